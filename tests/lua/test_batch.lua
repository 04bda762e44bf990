-- Batched configurations (mf.run{configs = ...}): every configuration's result is
-- bit-identical to its run alone, for every optimizer, on the valley and on matrix sensing,
-- for any thread count and block size (blocks spanning configurations).
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

-- every value of every recorded name, trajectory and record equal bit for bit
local function same(a, b, msg)
  local ok = #a.t == #b.t and a.seeds == b.seeds and #a.names == #b.names
  for _, n in ipairs(a.names) do
    for s = 1, a.seeds do
      local ca, cb = a:column(n, s), b:column(n, s)
      for j = 1, #ca do
        if not (ca[j] == cb[j] or (ca[j] ~= ca[j] and cb[j] ~= cb[j])) then ok = false end
      end
    end
  end
  return H.check(ok, msg)
end

local L = mf.landscape.valley {}
local hes = mf.noise.hessian
local O = mf.opt
local cases = {
  { "sgd", { O.sgd { lr = 0.01 }, O.sgd { lr = 0.008, momentum = 0.5 }, O.sgd { lr = 0.006, momentum = 0.8, nesterov = true, weight_decay = 0.01 } } },
  { "momentum", { O.momentum { lr = 0.01, mu = 0.5 }, O.momentum { lr = 0.005, mu = 0.9 } } },
  { "heavy_ball", { O.heavy_ball { lr = 0.01, beta = 0.3 }, O.heavy_ball { lr = 0.004, beta = 0.9 }, O.heavy_ball { lr = 0.002, beta = 0.6 } } },
  { "adam", { O.adam { lr = 0.01 }, O.adam { lr = 0.02, betas = { 0.8, 0.99 }, eps = 1e-6 }, O.adam { lr = 0.005, weight_decay = 0.1 } } },
  { "adamw", { O.adamw { lr = 0.01 }, O.adamw { lr = 0.02, weight_decay = 0.1, betas = { 0.5, 0.9 } } } },
  { "rmsprop", { O.rmsprop { lr = 0.001 }, O.rmsprop { lr = 0.002, centered = true, momentum = 0.5, alpha = 0.9 } } },
  { "scalar_rmsprop", { O.scalar_rmsprop { lr = 0.01, v0 = 1 }, O.scalar_rmsprop { lr = 0.02, v0 = 4, beta = 0.9 } } },
  { "gd_wd", { O.gd_wd { lr = 0.01, wd = 0.1 }, O.gd_wd { lr = 0.005, wd = 1 } } },
  { "projected_gd", { O.projected_gd { lr = 0.01 }, O.projected_gd { lr = 0.002 } } },
}
local starts = { { 5, 0 }, { 4, 0.1 }, { 3, -0.2 } }
for _, case in ipairs(cases) do
  local name, opts = case[1], case[2]
  local configs = {}
  for k, o in ipairs(opts) do
    -- per-configuration noise scale and start; configuration 2 takes the run's noise
    configs[k] = { optimizer = o, x0 = starts[k], noise = k ~= 2 and hes { sigma = 0.5 * k } or nil }
  end
  local rec = { "x1", "x2", "loss", "lr", "lr_eff" }
  local base = { landscape = L, noise = hes { sigma = 1 }, steps = 300, every = 7, seeds = 13, seed = 5, record = rec }
  local function with(t)
    local o = {}
    for k, v in pairs(base) do o[k] = v end
    for k, v in pairs(t) do o[k] = v end
    return o
  end
  local a = mf.run(with { configs = configs, threads = 1, block = 5 }) -- blocks span configurations
  local b = mf.run(with { configs = configs, threads = 2, block = 8 })
  local c = mf.run(with { configs = configs, threads = 2 })
  H.check(#a == #opts, name .. ": one result per configuration")
  for k, o in ipairs(opts) do
    local alone = mf.run(with { optimizer = o, x0 = starts[k], noise = configs[k].noise or base.noise, threads = 1 })
    same(a[k], alone, ("%s: configuration %d equals its run alone (block 5, 1 thread)"):format(name, k))
    same(b[k], alone, ("%s: configuration %d equals its run alone (block 8, 2 threads)"):format(name, k))
    same(c[k], alone, ("%s: configuration %d equals its run alone (auto block)"):format(name, k))
    H.check(a[k].error == nil, name .. ": no error")
  end
end

-- Matrix sensing with label noise, heavy ball: a beta sweep of 4 configurations (one seed
-- each, so every block holds several configurations and the sweeps over the measurements
-- serve all of them), and per-configuration noise scales.
do
  local M = mf.landscape.matrix_sensing { d = 6, r = 2, P = 40, seed = 3 }
  local lab = mf.noise.label { eps = 0.3 }
  local configs, betas = {}, { 0.0, 0.5, 0.8, 0.9 }
  for k, beta in ipairs(betas) do configs[k] = { optimizer = O.heavy_ball { lr = 0.05, beta = beta } } end
  configs[4].noise = mf.noise.label { eps = 0.1 }
  local rec = { "loss", "test_loss", "x1", "x40", "pi3" }
  local base = { landscape = M, noise = lab, steps = 60, every = 10, seeds = 2, seed = 9, record = rec }
  local function with(t)
    local o = {}
    for k, v in pairs(base) do o[k] = v end
    for k, v in pairs(t) do o[k] = v end
    return o
  end
  local a = mf.run(with { configs = configs, threads = 1 })
  local b = mf.run(with { configs = configs, threads = 2, block = 3 })
  for k = 1, #betas do
    local alone = mf.run(with { optimizer = configs[k].optimizer, noise = configs[k].noise or lab, threads = 1, block = 1 })
    same(a[k], alone, ("matrix sensing: beta = %g equals its run alone"):format(betas[k]))
    same(b[k], alone, ("matrix sensing: beta = %g equals its run alone (2 threads, block 3)"):format(betas[k]))
  end
  H.check(a[1]:mean("loss")[#a[1].t] ~= a[3]:mean("loss")[#a[3].t], "the configurations differ")
end

-- A configuration that leaves the reals (error mode) carries its error; the others are whole.
do
  local configs = { { optimizer = O.sgd { lr = 0.01 } }, { optimizer = O.sgd { lr = 0.2 } }, { optimizer = O.sgd { lr = 0.005 } } }
  local base = { landscape = L, noise = hes { sigma = 1 }, x0 = { 5, 0 }, steps = 200, every = 10, seeds = 6, record = { "x1", "x2" } }
  local rs = mf.run { landscape = L, noise = base.noise, x0 = base.x0, steps = 200, every = 10, seeds = 6, record = base.record, configs = configs, block = 4 }
  H.check(rs[2].error and rs[2].error:find("configuration 2: non%-finite value at step"), "configuration 2 failed: " .. tostring(rs[2].error))
  H.check(rs[2].fail_step and rs[2].fail_step <= 200 and #rs[2].t < 21, "its records stop before the failure")
  local ok, e = pcall(mf.run, { landscape = L, noise = base.noise, x0 = base.x0, steps = 200, every = 10, seeds = 6, record = base.record, optimizer = configs[2].optimizer })
  H.check(not ok and e.step == rs[2].fail_step and e.trajectory == rs[2].fail_trajectory, "the same failure as alone")
  for _, k in ipairs { 1, 3 } do
    H.check(rs[k].error == nil, "configuration " .. k .. " has no error")
    same(rs[k], mf.run { landscape = L, noise = base.noise, x0 = base.x0, steps = 200, every = 10, seeds = 6, record = base.record, optimizer = configs[k].optimizer },
      "configuration " .. k .. " equals its run alone beside a failing one")
  end
end

-- bad input
H.raises({ "mf.run", "configs", "empty" }, mf.run, { landscape = L, configs = {}, steps = 1, x0 = { 1, 0 } })
H.raises({ "mf.run", "one optimizer type" }, mf.run, { landscape = L, configs = { { optimizer = O.sgd { lr = 0.1 } }, { optimizer = O.adam {} } }, steps = 1, x0 = { 1, 0 } })
H.raises({ "mf.run", "either option 'optimizer' or option 'configs'" }, mf.run, { landscape = L, optimizer = O.sgd { lr = 0.1 }, configs = { { optimizer = O.sgd { lr = 0.1 } } }, steps = 1, x0 = { 1, 0 } })
H.raises({ "configs[2]", "optimizer" }, mf.run, { landscape = L, configs = { { optimizer = O.sgd { lr = 0.1 } }, { lr = 1 } }, steps = 1, x0 = { 1, 0 } })
H.raises({ "configs[1]", "x0", "3 entries" }, mf.run, { landscape = L, configs = { { optimizer = O.sgd { lr = 0.1 }, x0 = { 1, 2, 3 } } }, steps = 1 })

H.finish()
