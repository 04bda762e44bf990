-- Prints the exact bits (%a) of runs that go through every per-instruction-set kernel
-- (mflab/isa.h): the valley family, matrix sensing's sweeps (double and single storage), each
-- optimizer's update and the RNG's normals, the batch-norm, uv, sphere3d and matrix-factorization
-- landscapes (the last with Hessian noise: its projection), at
-- several thread counts and block sizes.
-- test_isa.sh runs it once per path (MFLAB_ISA) and compares the outputs byte for byte.
local mf = require "mflab"
local function dump(tag, r)
  local out = {}
  for _, name in ipairs(r.names) do
    for s = 1, r.seeds do
      local c = r:column(name, s)
      out[#out + 1] = string.format("%a", c[#c])
    end
  end
  print(tag, table.concat(out, " "))
end

local V = mf.landscape.valley{a = 1, b = 1}
local RV = mf.landscape.rotated_valley{theta = 0.3, h = {1, 0, 0.5}}
local poly = mf.landscape.valley{h = {1, 0.2, 1, 0.05, 0.01}}
local opts = {
  sgd = mf.opt.sgd{lr = 0.01},
  momentum = mf.opt.sgd{lr = 0.01, momentum = 0.9, nesterov = true, weight_decay = 1e-3},
  heavy_ball = mf.opt.heavy_ball{lr = 0.01, beta = 0.9},
  adam = mf.opt.adam{lr = 0.01},
  adamw = mf.opt.adamw{lr = 0.01, weight_decay = 0.01},
  rmsprop = mf.opt.rmsprop{lr = 0.001, centered = true, momentum = 0.5},
  scalar_rmsprop = mf.opt.scalar_rmsprop{lr = 0.01, v0 = 1},
  gd_wd = mf.opt.gd_wd{lr = 0.01, wd = 0.1},
}
local names = {}
for k in pairs(opts) do names[#names + 1] = k end
table.sort(names)
for _, k in ipairs(names) do
  for _, L in ipairs{V, RV, poly} do
    for _, nz in ipairs{mf.noise.hessian{sigma = 0.5}, mf.noise.isotropic{sigma = 0.1}} do
      for _, tb in ipairs{{1, 0}, {2, 8}, {2, 24}} do
        local r = mf.run{landscape = L, optimizer = opts[k], noise = nz, x0 = {2, 0.3},
                         steps = 300, every = 300, seeds = 37, seed = 7,
                         threads = tb[1], block = tb[2] > 0 and tb[2] or nil}
        dump(k .. " " .. L.name .. " " .. nz.name .. " t" .. tb[1] .. " b" .. tb[2], r)
      end
    end
  end
end
for _, prec in ipairs{"double", "single"} do
  local M = mf.landscape.matrix_sensing{d = 11, r = 2, P = 61, seed = 3, precision = prec}
  for _, tb in ipairs{{1, 0}, {2, 3}, {2, 8}} do
    local r = mf.run{landscape = M, optimizer = mf.opt.sgd{lr = 0.05, momentum = 0.5},
                     steps = 20, every = 20, seeds = 9,
                     threads = tb[1], block = tb[2] > 0 and tb[2] or nil,
                     record = {"loss", "x1", "x121", "x242"}}
    dump("matrix_sensing " .. prec .. " t" .. tb[1] .. " b" .. tb[2], r)
  end
end
-- the other landscapes with per-path kernels: batch-norm (linear regression, matrix
-- completion), uv with each activation, sphere3d
local others = {
  mf.landscape.linreg_bn{d = 13, n = 7, seed = 2},
  mf.landscape.matrix_completion_bn{d = 9, rank = 2, observed = 40, seed = 2},
  mf.landscape.uv{n = 6, P = 5, act = "tanh", d = 3, m = 2, seed = 1},
  mf.landscape.uv{n = 6, P = 5, act = "relu", d = 3, m = 2, seed = 1},
  mf.landscape.sphere3d{seed = 4},
  mf.landscape.matrix_factorization{m = 3, n = 3, p = 3, seed = 1},
}
for _, L in ipairs(others) do
  for _, tb in ipairs{{1, 0}, {2, 5}} do
    local r = mf.run{landscape = L, optimizer = mf.opt.sgd{lr = 0.01, momentum = 0.5},
                     noise = mf.noise.isotropic{sigma = 0.01, space = "full"}, steps = 50,
                     every = 50, seeds = 11, seed = 5, threads = tb[1],
                     block = tb[2] > 0 and tb[2] or nil, record = {"loss", "x1", "x2"}}
    dump(L.name .. " t" .. tb[1] .. " b" .. tb[2], r)
  end
end
local F = mf.landscape.matrix_factorization{m = 3, n = 3, p = 3, seed = 2}
local r = mf.run{landscape = F, optimizer = mf.opt.sgd{lr = 0.01}, noise = mf.noise.hessian{sigma = 0.1},
                 steps = 30, every = 30, seeds = 6, seed = 3, threads = 2, block = 4,
                 record = {"loss", "x1", "x2"}}
dump("matrix_factorization hessian", r)
-- the manifold SDE on matrix factorization: its closed-form frame (tangent noise T dW) and exact
-- Hessian derivative (the force) run in the per-path copies of landscape_mf.c
local sde = mf.manifold.flow{landscape = F, optimizer = mf.opt.sgd{lr = 0.01},
                             noise = mf.noise.isotropic{sigma = 0.3, space = "full"}}
dump("matrix_factorization sde", sde:integrate{x0 = F.x0, steps = 40, every = 40, method = "em", h = 10,
                                               seeds = 3, seed = 4, quiet = true})
