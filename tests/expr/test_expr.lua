-- mf.landscape.expr: symbolic derivatives against finite differences on random expressions,
-- the valley and rotated valley as expressions against the built-in ones (value, gradient,
-- Hessian, runs, manifold-flow drift), error messages, and run-time non-finite errors.
local H = dofile((arg[0]:match("(.*)/") or ".") .. "/../lua/harness.lua")

-- ---- random well-defined expressions (fixed seed) -----------------------------------------
math.randomseed(20261204)
local vars = { "x", "y", "z" }
local consts = { "0.5", "1.5", "2", "3", "0.25" }
local function pick(t) return t[math.random(#t)] end
local function gen(depth)
  if depth == 0 or math.random() < 0.2 then
    local r = math.random()
    if r < 0.6 then return pick(vars) elseif r < 0.8 then return "a" else return pick(consts) end
  end
  local k = math.random(14)
  local A = gen(depth - 1)
  if k == 1 then return "(" .. A .. " + " .. gen(depth - 1) .. ")"
  elseif k == 2 then return "(" .. A .. " - " .. gen(depth - 1) .. ")"
  elseif k == 3 or k == 4 then return "(" .. A .. " * " .. gen(depth - 1) .. ")"
  elseif k == 5 then return "(" .. A .. " / (1.5 + " .. gen(depth - 1) .. "^2))"
  elseif k == 6 then return "(" .. A .. ")^" .. pick { "2", "3" }
  elseif k == 7 then return "sin(" .. A .. ")"
  elseif k == 8 then return "cos(" .. A .. ")"
  elseif k == 9 then return "tanh(" .. A .. ")"
  elseif k == 10 then return "sigmoid(" .. A .. ")"
  elseif k == 11 then return "log(1 + (" .. A .. ")^2)"
  elseif k == 12 then return "sqrt(2 + (" .. A .. ")^2)"
  elseif k == 13 then return "exp(0.3 * tanh(" .. A .. "))"
  else return "(2 + sin(" .. A .. "))^(0.5 + y^2)" end
end

local NEXPR, worst_g, worst_h = 60, 0, 0
for e = 1, NEXPR do
  local src = gen(4)
  local L = mf.landscape.expr { vars = vars, params = { a = 0.7 }, f = src }
  for _ = 1, 3 do
    local z = { math.random() * 2 - 1, math.random() * 2 - 1, math.random() * 2 - 1 }
    local g, Hs = L:grad(z), L:hess(z)
    local f0 = L:value(z)
    for k = 1, 3 do
      local h = 1e-5
      local zp, zm = { z[1], z[2], z[3] }, { z[1], z[2], z[3] }
      zp[k], zm[k] = z[k] + h, z[k] - h
      local fd = (L:value(zp) - L:value(zm)) / (2 * h)
      local scale = math.max(1, math.abs(f0), math.abs(g[k]))
      worst_g = math.max(worst_g, math.abs(fd - g[k]) / scale)
      local gp, gm = L:grad(zp), L:grad(zm)
      for l = 1, 3 do
        local fdh = (gp[l] - gm[l]) / (2 * h)
        worst_h = math.max(worst_h, math.abs(fdh - Hs[k][l]) / math.max(1, math.abs(Hs[k][l]), math.abs(g[l])))
        H.check(Hs[k][l] == Hs[l][k], "Hessian symmetric")
      end
    end
  end
end
H.check(worst_g < 1e-7, ("%d random expressions: gradient vs central differences, worst %.2e"):format(NEXPR, worst_g))
H.check(worst_h < 1e-7, ("%d random expressions: Hessian vs central differences, worst %.2e"):format(NEXPR, worst_h))
print(("random expressions: gradient %.2e, Hessian %.2e worst relative error vs differences"):format(worst_g, worst_h))

-- min, max, abs away from their kinks
local K = mf.landscape.expr { vars = { "x", "y" }, f = "min(x, y)^2 + 3*max(x, y) + abs(x - 2*y)" }
local kz = { 0.3, -0.4 } -- min = y, max = x, x - 2y > 0
H.close(K:value(kz), 0.16 + 0.9 + 1.1, 1e-15, "min/max/abs value")
local kg = K:grad(kz)
H.close(kg[1], 3 + 1, 1e-15, "d/dx")
H.close(kg[2], 2 * -0.4 - 2, 1e-15, "d/dy")

-- ---- the valley as an expression against the built-in one (1e-14) ---------------------------
local V = mf.landscape.valley { h = { 1, 0, 1 } }
local E = mf.landscape.expr { vars = { "x", "y" }, f = "(1 + x^2) * y^2", codim = 1 }
local wv = 0
for _ = 1, 200 do
  local z = { math.random() * 10 - 5, math.random() * 4 - 2 }
  local function rel(a, b) return math.abs(a - b) / math.max(1, math.abs(b)) end
  wv = math.max(wv, rel(E:value(z), V:value(z)))
  local ge, gv = E:grad(z), V:grad(z)
  local he, hv = E:hess(z), V:hess(z)
  for k = 1, 2 do
    wv = math.max(wv, rel(ge[k], gv[k]))
    for l = 1, 2 do wv = math.max(wv, rel(he[k][l], hv[k][l])) end
  end
end
H.check(wv <= 1e-14, ("valley as expression vs built-in: value/grad/Hessian worst %.2e"):format(wv))
H.close(mf.analysis.trace(E, { 2, 0.5 }), mf.analysis.trace(V, { 2, 0.5 }), 1e-14, "analysis.trace")

-- the rotated valley with a parameter
local th = 0.3
local RV = mf.landscape.rotated_valley { theta = th, h = { 1, 0, 1 } }
local RE = mf.landscape.expr { vars = { "x", "y" }, params = { t = th }, codim = 1,
  f = "(x*sin(t) + y*cos(t))^2 * (1 + (x*cos(t) - y*sin(t))^2)" }
local wr = 0
for _ = 1, 100 do
  local z = { math.random() * 6 - 3, math.random() * 6 - 3 }
  local ge, gv = RE:grad(z), RV:grad(z)
  wr = math.max(wr, math.abs(RE:value(z) - RV:value(z)) / math.max(1, RV:value(z)))
  for k = 1, 2 do wr = math.max(wr, math.abs(ge[k] - gv[k]) / math.max(1, math.abs(gv[k]))) end
end
H.check(wr <= 1e-13, ("rotated valley as expression vs built-in: worst %.2e"):format(wr))
-- the generic projection is the gradient-flow limit (not the built-in's orthogonal projection):
-- it lands on the line x sin + y cos = 0
local pe = RE:project { 1, 2 }
H.near(pe[1] * math.sin(th) + pe[2] * math.cos(th), 0, 1e-10, "rotated valley: projection on M")

-- ---- runs: SGD without noise bit-identical, isotropic / Hessian noise close ------------------
local sgd = mf.opt.sgd { lr = 0.01 }
local function run(L, noise, steps, seeds)
  return mf.run { landscape = L, optimizer = sgd, noise = noise, x0 = { 2, 0.5 }, steps = steps,
                  every = steps, seeds = seeds, record = { "x1", "x2" } }
end
local r1, r2 = run(E, nil, 1000, 4), run(V, nil, 1000, 4)
H.close(r1:mean("x1")[2], r2:mean("x1")[2], 1e-14, "noiseless SGD, 1000 steps: x")
H.close(r1:mean("x2")[2], r2:mean("x2")[2], 1e-14, "noiseless SGD, 1000 steps: y")
-- Noise is evaluated at Pz: the built-in valley's P is (x, 0), the expression's the gradient-flow
-- limit, whose x differs by O(y^2) (here y ~ sqrt(lr) sigma ~ 0.1): isotropic noise (the normal
-- direction is (0, 1) either way) gives the same ensemble to 1e-12, Hessian noise (scale
-- sqrt(h(Px))) to ~1e-4.
for _, c in ipairs { { mf.noise.isotropic { sigma = 1 }, 1e-12 }, { mf.noise.hessian { sigma = 1 }, 1e-3 } } do
  local a, b = run(E, c[1], 500, 64), run(V, c[1], 500, 64)
  H.near(a:mean("x1")[2], b:mean("x1")[2], c[2], tostring(c[1]) .. ": ensemble mean x (~1.9)")
  H.near(a:mean("x2")[2], b:mean("x2")[2], c[2], tostring(c[1]) .. ": ensemble mean y")
end

-- ---- manifold flows: the drift uses the symbolic third derivatives ---------------------------
local nz = mf.noise.hessian { sigma = 1.5 }
local fe = mf.manifold.flow { landscape = E, optimizer = mf.opt.sgd { lr = 0.01 }, noise = nz }
local fv = mf.manifold.flow { landscape = V, optimizer = mf.opt.sgd { lr = 0.01 }, noise = nz }
for _, x in ipairs { 0.5, 1.7, 3 } do
  local de, dv = fe:drift { x, 0 }, fv:drift { x, 0 }
  H.close(de[1], dv[1], 1e-10, "SGD flow drift at x = " .. x)
  H.close(de[2], dv[2], 1e-10, "SGD flow drift (y) at x = " .. x)
end

-- ---- errors ---------------------------------------------------------------------------------
local function make(f, extra)
  local o = { vars = { "x", "y" }, params = { t = 1 }, f = f }
  for k, v in pairs(extra or {}) do o[k] = v end
  return mf.landscape.expr(o)
end
H.raises({ "mf.landscape.expr: option 'f'", "column 4" }, make, "x +* y")
H.raises({ "column 7", "expected ')'" }, make, "(x + y")
H.raises({ "unknown identifier 'w'", "column 5", "variables: x, y", "parameters: t" }, make, "x + w")
H.raises({ "function 'sin' takes 1 argument, got 2", "column 5" }, make, "2 + sin(x, y)")
H.raises({ "function 'max' takes 2 arguments, got 1" }, make, "max(x)")
H.raises({ "unknown function 'foo'", "column 1" }, make, "foo(x)")
H.raises({ "option 'params'", "parameter 't'", "finite number" }, make, "x", { params = { t = "a" } })
H.raises({ "option 'codim'", "<= the number of variables 2" }, make, "x", { codim = 3 })
H.raises({ "option 'f'" }, make, nil)
H.raises({ "name 'x' given twice" }, make, "x", { params = { x = 1 } })

-- ---- run-time non-finite values end in the run loop's error naming step and trajectory -------
-- x0 = 0.5, lr = 1: x1 = 0.5 - (1 + 2 log(1.5)/1.5) < -1, then log(1 + x) of a negative number
local LG = mf.landscape.expr { vars = { "x", "y" }, f = "x^2 + log(1 + x)^2 + y^2" }
H.raises({ "non-finite value at step 2", "in trajectory 1" }, mf.run,
  { landscape = LG, optimizer = mf.opt.sgd { lr = 1 }, x0 = { 0.5, 0 }, steps = 10, seeds = 1, record = { "x1" } })
local LD = mf.landscape.expr { vars = { "x", "y" }, f = "1 / x + y^2" }
H.raises({ "non-finite value at step 1", "in trajectory 1" }, mf.run,
  { landscape = LD, optimizer = mf.opt.sgd { lr = 0.1 }, x0 = { 0, 0 }, steps = 10, seeds = 1, record = { "x1" } })

H.finish()
