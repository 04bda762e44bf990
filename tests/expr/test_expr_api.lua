-- mf.landscape.expr (issue 17) from Lua, beyond tests/expr/test_expr.lua: parameters set
-- between runs (L:set, L:params), compiled and interpreted forms (option compile,
-- L:expr_info) giving the same bits, and runs on the valley as an expression against the built-in valley: bit-identical
-- without noise and with full-space isotropic noise (the same operations), within stated
-- bounds with normal-space and Hessian noise (the expression landscape projects by the generic
-- gradient flow, the built-in one in closed form); run-time domain errors end in the run's
-- non-finite error naming step and trajectory.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/../lua/harness.lua")

local VALLEY = "(1 + x^2) * y^2"
local ROT = "(x*sin(t) + y*cos(t))^2 * (1 + (x*cos(t) - y*sin(t))^2)"

-- options and messages -------------------------------------------------------------------
local E = mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 1, x0 = { 5, 0 } }
H.check(E.dim == 2 and E.codim == 1 and E.name == "expr" and E.x0[1] == 5, "dim, codim, name, x0")
H.check(not E.serial, "an expression landscape runs multi-threaded")
H.raises({ "mf.landscape.expr", "option 'f'", "found '*' at column 5" }, mf.landscape.expr,
  { vars = { "x" }, f = "x + * 2" })
H.raises({ "mf.landscape.expr", "unknown identifier 'q'", "variables: x, y", "parameters: t", "at column 9" },
  mf.landscape.expr, { vars = { "x", "y" }, params = { t = 1 }, f = "x + y + q" })
H.raises({ "function 'min' takes 2 arguments, got 3" }, mf.landscape.expr, { vars = { "x" }, f = "min(x, 1, 2)" })
H.raises({ "option 'params'", "parameter 't' has no value" }, mf.landscape.expr, { vars = { "x" }, params = { "t" }, f = "x*t" })
H.raises({ "option 'params'", "parameter 't' needs a finite number" }, mf.landscape.expr,
  { vars = { "x" }, params = { t = 0 / 0 }, f = "x*t" })
H.raises({ "mf.landscape.expr", "option 'f'" }, mf.landscape.expr, { vars = { "x" } })
H.raises({ "option 'codim' must be <= the number of variables 1" }, mf.landscape.expr, { vars = { "x" }, f = "x^2", codim = 2 })
H.raises({ "option 'f'", "indexed variable 'x' needs an index" }, mf.landscape.expr, { vars = { x = 40 }, f = "x" })
H.raises({ "landscape:set", "no parameter 'u'", "parameters: none" }, E.set, E, { u = 1 })
H.raises({ "only expression landscapes" }, E.set, mf.landscape.valley {}, { t = 1 })

-- parameters: L:set changes them without a rebuild; values agree with a fresh landscape -------
local R = mf.landscape.expr { vars = { "x", "y" }, params = { t = 0.3 }, f = ROT, codim = 1 }
local R5 = mf.landscape.expr { vars = { "x", "y" }, params = { t = 0.5 }, f = ROT, codim = 1 }
H.check(R:params().t == 0.3, "params() reads t")
H.raises({ "landscape:set", "parameter 't' must be finite" }, R.set, R, { t = math.huge })
H.check(R:params().t == 0.3, "a refused set changes nothing")
R:set { t = 0.5 }
H.check(R:params().t == 0.5, "set t")
local g1, g2 = R:grad { 0.7, -1.3 }, R5:grad { 0.7, -1.3 }
H.check(g1[1] == g2[1] and g1[2] == g2[2], "set{t = 0.5} gives the bits of a landscape built with t = 0.5")
local info = R:expr_info()
H.check(info.nodes > 10 and type(info.compiled) == "boolean", "expr_info")

-- runs ------------------------------------------------------------------------------------
local V = mf.landscape.valley {}
local function run(L, noise, steps, seeds, extra)
  local o = { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, noise = noise, x0 = { 3, 0.5 },
              steps = steps, seeds = seeds, every = steps, threads = 1 }
  for k, v in pairs(extra or {}) do o[k] = v end
  return mf.run(o)
end
local function maxdiff(a, b, seeds, name)
  local m = 0
  for s = 1, seeds do
    local ca, cb = a:column(name, s), b:column(name, s)
    for i = 1, #ca do m = math.max(m, math.abs(ca[i] - cb[i])) end
  end
  return m
end

do -- no noise and full-space isotropic noise: the same operations, the same bits
  local a, b = run(E, nil, 1000, 1), run(V, nil, 1000, 1)
  H.check(maxdiff(a, b, 1, "x1") == 0 and maxdiff(a, b, 1, "x2") == 0, "gradient descent: bit-identical to the built-in valley")
  local nz = mf.noise.isotropic { sigma = 0.1, space = "full" }
  a, b = run(E, nz, 500, 8), run(V, nz, 500, 8)
  H.check(maxdiff(a, b, 8, "x1") == 0 and maxdiff(a, b, 8, "x2") == 0, "full isotropic noise: bit-identical")
  local Ei = mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 1, compile = false }
  H.check(not Ei:expr_info().compiled, "compile = false interprets")
  local ai = run(Ei, nz, 500, 8)
  H.check(maxdiff(a, ai, 8, "x1") == 0 and maxdiff(a, ai, 8, "x2") == 0, "interpreted: the same bits")
  local c = run(E, nz, 500, 8, { threads = 2, block = 3 })
  H.check(maxdiff(a, c, 8, "x1") == 0 and maxdiff(a, c, 8, "x2") == 0, "threads 2, block 3: the same bits")
end

do -- the rotated valley without noise: within 1e-12 over 1000 steps
  local RB = mf.landscape.rotated_valley { theta = 0.3 }
  local RE = mf.landscape.expr { vars = { "x", "y" }, params = { t = 0.3 }, f = ROT, codim = 1 }
  local a, b = run(RE, nil, 1000, 1), run(RB, nil, 1000, 1)
  local d = math.max(maxdiff(a, b, 1, "x1"), maxdiff(a, b, 1, "x2"))
  H.check(d <= 1e-12, ("rotated valley: expression vs built-in differ by %.3g over 1000 steps"):format(d))
end

do -- noise in the normal space and Hessian noise: the generic projection (gradient flow) vs the
  -- built-in closed form (x, 0). N(Pz) = e_y up to ~1e-12 on the valley, so normal-space noise
  -- agrees to round-off; Hessian noise uses sqrt(h(x')) at the flow's limit x' = x + O(y^2), so
  -- the coupled trajectories differ by O(sigma y^2) per step: bounded here by 1e-3 after 200
  -- steps, and the ensemble means agree within 4 standard errors of the mean difference.
  local nz = mf.noise.isotropic { sigma = 0.05 }
  local a, b = run(E, nz, 200, 16), run(V, nz, 200, 16)
  local d = math.max(maxdiff(a, b, 16, "x1"), maxdiff(a, b, 16, "x2"))
  H.check(d <= 1e-9, ("normal-space isotropic noise: expression vs built-in differ by %.3g"):format(d))
  local hz = mf.noise.hessian { sigma = 0.05 }
  local S = 32
  a, b = run(E, hz, 200, S), run(V, hz, 200, S)
  d = math.max(maxdiff(a, b, S, "x1"), maxdiff(a, b, S, "x2"))
  H.check(d <= 1e-3, ("Hessian noise: coupled trajectories differ by %.3g (bound 1e-3)"):format(d))
  for _, name in ipairs { "x1", "x2" } do
    local s1, s2 = 0, 0
    for s = 1, S do
      local ca, cb = a:column(name, s), b:column(name, s)
      local dd = ca[#ca] - cb[#cb]
      s1, s2 = s1 + dd, s2 + dd * dd
    end
    local mean = s1 / S
    local se = math.sqrt(math.max(s2 / S - mean * mean, 0) / (S - 1))
    H.check(math.abs(mean) <= 4 * se + 1e-12, ("Hessian noise, %s: mean difference %.3g, 4 standard errors %.3g"):format(name, mean, 4 * se))
  end
end

do -- domain errors at run time end in the run loop's non-finite error
  local Llog = mf.landscape.expr { vars = { "x", "y" }, f = "log(x) * y^2" }
  local ok, err = pcall(mf.run, { landscape = Llog, optimizer = mf.opt.sgd { lr = 0.1 }, x0 = { -1, 1 }, steps = 10, seeds = 2 })
  H.check(not ok and tostring(err):match("^mf%.run: non%-finite value at step 1 in trajectory 1"), "log of a negative number: " .. tostring(err))
  H.check(not ok and err.step == 1 and err.trajectory == 1, "the error names step and trajectory")
  -- d/dy y^2/(x - c) = 2y/(x - c): every trajectory starts at x = c (division by zero)
  local Ldiv = mf.landscape.expr { vars = { "x", "y" }, params = { c = 1 }, f = "y^2 / (x - c)" }
  ok, err = pcall(mf.run, { landscape = Ldiv, optimizer = mf.opt.sgd { lr = 0.1 }, x0 = { 1, 1 }, steps = 10, seeds = 3 })
  H.check(not ok and tostring(err):match("non%-finite value at step 1 in trajectory 1"), "division by zero: " .. tostring(err))
end

H.finish()
