-- Projections of expression landscapes (issue 17): the generic gradient-flow limit against the
-- exact limit of the valley, idempotency, same bits across thread counts and block sizes; the
-- closed-form projection given as expressions (option project) against the built-in valley's;
-- the manifold check at the first projection.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/../lua/harness.lua")

local VALLEY = "(1 + x^2) * y^2"

-- ---- the generic projection is the gradient-flow limit, to 1e-10 ----------------------------
-- For f = (1 + x^2) y^2 the flow has dx/dy = x y / (1 + x^2), so ln x + x^2/2 - y^2/2 is
-- constant along it: Phi(x, y) = (p, 0) with ln p + p^2/2 = ln x + x^2/2 - y^2/2 (x > 0).
local function phi(x, y)
  local c = math.log(x) + x * x / 2 - y * y / 2
  local p = x
  for _ = 1, 60 do p = p - (math.log(p) + p * p / 2 - c) / (1 / p + p) end
  return p
end
local E = mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 1 }
local worst, widem = 0, 0
for _, x in ipairs { 0.3, 1, 2, 5 } do
  for _, y in ipairs { 0.3, 0.1, 0.05, 0.01, 1e-3, -0.2 } do
    local p = E:project { x, y }
    worst = math.max(worst, math.abs(p[1] - phi(x, y)), math.abs(p[2]))
    local q = E:project(p) -- a point of M projects onto itself
    widem = math.max(widem, math.abs(q[1] - p[1]), math.abs(q[2] - p[2]))
  end
end
H.check(worst <= 1e-10, ("generic projection vs the exact flow limit: worst %.2e"):format(worst))
print(("generic projection: %.2e from the exact flow limit, idempotent to %.2e"):format(worst, widem))
H.check(widem <= 1e-12, ("generic projection is idempotent: worst %.2e"):format(widem))

-- ---- the closed-form projection given as expressions -------------------------------------------
local sgd, hn = mf.opt.sgd { lr = 0.01 }, mf.noise.hessian { sigma = 1 }
local function run(L, x0, steps, seeds, threads, block, noise)
  return mf.run { landscape = L, optimizer = sgd, noise = noise or hn, x0 = x0, steps = steps,
                  every = steps // 10, seeds = seeds, threads = threads, block = block, record = { "x1", "x2" } }
end
local function diff(a, b, seeds) -- worst |a - b| over every record and whether all bits agree
  local w, same = 0, true
  for _, n in ipairs { "x1", "x2" } do
    for i = 1, seeds do
      local ca, cb = a:column(n, i), b:column(n, i)
      for j = 1, #ca do
        w = math.max(w, math.abs(ca[j] - cb[j]))
        same = same and ca[j] == cb[j]
      end
    end
  end
  return w, same
end

-- the flat valley: P z = (x, 0) as the built-in valley's, so the same operations and the same bits
local V = mf.landscape.valley { h = { 1, 0, 1 } }
local EP = mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 1, project = { "x", "0" } }
local pv, pe = V:project { 1.5, -0.3 }, EP:project { 1.5, -0.3 }
H.check(pv[1] == pe[1] and pv[2] == pe[2], "project {x, 0} equals the built-in valley's projection")
local _, same = diff(run(V, { 1, 0.1 }, 1000, 64, 1), run(EP, { 1, 0.1 }, 1000, 64, 2, 5), 64)
H.check(same, "Hessian noise: the valley with project = {x, 0} runs bit-identical to the built-in valley")

-- the rotated valley: the orthogonal projection onto the line x sin t + y cos t = 0 as expressions;
-- the Hessian's normal eigenpair comes from the 2 x 2 closed form (off-diagonal entries), the
-- built-in valley's from its formula: the same to rounding over 1000 steps
local ROT = "(x*sin(t) + y*cos(t))^2 * (1 + (x*cos(t) - y*sin(t))^2)"
local PROJ = { "x - (x*sin(t) + y*cos(t))*sin(t)", "y - (x*sin(t) + y*cos(t))*cos(t)" }
local RV = mf.landscape.rotated_valley { theta = 0.3, h = { 1, 0, 1 } }
local RP = mf.landscape.expr { vars = { "x", "y" }, params = { t = 0.3 }, f = ROT, codim = 1, project = PROJ }
local x0r = { 2 * math.cos(0.3), -2 * math.sin(0.3) } -- u = 2 on M
local wr = diff(run(RV, x0r, 1000, 32, 1), run(RP, x0r, 1000, 32, 1), 32)
H.check(wr <= 1e-12, ("rotated valley with a closed-form projection vs built-in, 1000 steps: %.2e"):format(wr))
local wn = diff(run(RV, x0r, 1000, 32, 1, nil, mf.noise.isotropic { sigma = 0.3 }),
  run(RP, x0r, 1000, 32, 1, nil, mf.noise.isotropic { sigma = 0.3 }), 32)
H.check(wn <= 1e-12, ("normal-space isotropic noise, the same: %.2e"):format(wn))
-- the same loss in 3 variables (w ignored, P w = w): the normal eigenpair from LAPACK (dsyevr)
local RP3 = mf.landscape.expr { vars = { "x", "y", "w" }, params = { t = 0.3 }, f = ROT, codim = 1,
  project = { PROJ[1], PROJ[2], "w" } }
local a3 = run(RP3, { x0r[1], x0r[2], 0.7 }, 1000, 32, 1)
local w3 = diff(run(RP, x0r, 1000, 32, 1), a3, 32)
print(("closed-form projection runs vs built-in rotated valley: Hessian noise %.2e, isotropic %.2e; 2x2 vs dsyevr %.2e"):format(wr, wn, w3))
H.check(w3 <= 1e-12, ("2 x 2 closed-form eigenpairs vs dsyevr's, 1000 steps: %.2e"):format(w3))

-- constraints without project: P z is the nearest point of {c = 0} (Gauss-Newton)
local EM1 = mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, manifold = { "y" } }
local _, sm = diff(run(V, { 1, 0.1 }, 1000, 64, 1), run(EM1, { 1, 0.1 }, 1000, 64, 2, 5), 64)
H.check(sm, "Hessian noise: the valley with manifold = {y} runs bit-identical to the built-in valley")
local RC = mf.landscape.expr { vars = { "x", "y" }, params = { t = 0.3 }, f = ROT, manifold = { "x*sin(t) + y*cos(t)" } }
local wc = diff(run(RV, x0r, 1000, 32, 1), run(RC, x0r, 1000, 32, 1), 32)
H.check(wc <= 1e-12, ("rotated valley with its line as the constraint vs built-in, 1000 steps: %.2e"):format(wc))
-- a curved manifold: the unit circle; the nearest point is z/|z|; two constraints in 3-D: a circle
-- in the plane w = 0.5
local CI = mf.landscape.expr { vars = { "x", "y" }, f = "(x^2 + y^2 - 1)^2", manifold = { "x^2 + y^2 - 1" } }
local wci = 0
for _, z in ipairs { { 1.3, 0.4 }, { -0.2, 0.7 }, { 0.05, -1.6 }, { 1, 0 } } do
  local p, r = CI:project(z), math.sqrt(z[1] ^ 2 + z[2] ^ 2)
  wci = math.max(wci, math.abs(p[1] - z[1] / r), math.abs(p[2] - z[2] / r))
end
H.check(wci <= 1e-15, ("circle: nearest point z/|z| to %.1e"):format(wci))
local C3 = mf.landscape.expr { vars = { "x", "y", "w" }, f = "(x^2 + y^2 - 1)^2 + (w - 0.5)^2",
  manifold = { "x^2 + y^2 - 1", "w - 0.5" } }
local p3 = C3:project { 0.6, 0.6, 0.9 }
H.near(p3[1], math.sqrt(0.5), 1e-15, "codim 2: x")
H.near(p3[2], math.sqrt(0.5), 1e-15, "codim 2: y")
H.check(p3[3] == 0.5, "codim 2: w")
H.raises({ "landscape:project", "not defined" }, CI.project, CI, { 0, 0 }) -- the centre: J = 0
local ref = run(CI, { 1, 0 }, 50, 6, 1, 6)
for _, tb in ipairs { { 2, 1 }, { 2, 4 }, { 1, 5 } } do
  local _, s = diff(ref, run(CI, { 1, 0 }, 50, 6, tb[1], tb[2]), 6)
  H.check(s, ("circle: Gauss-Newton projection, threads %d block %d: the same bits"):format(tb[1], tb[2]))
end

-- the manifold flow on the constrained valley follows the built-in valley's
local fa = mf.manifold.flow { landscape = V, optimizer = sgd, noise = hn }:integrate { x0 = { 2, 0 }, steps = 2000 }
local fb = mf.manifold.flow { landscape = EM1, optimizer = sgd, noise = hn }:integrate { x0 = { 2, 0 }, steps = 2000 }
H.close(fb:column("x1")[#fb.t], fa:column("x1")[#fa.t], 1e-12, "manifold flow: valley with manifold = {y} vs built-in")

-- ---- the generic projection in runs: the same bits whatever the threads and blocks ------------
local EG = mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 1 }
local CG = mf.landscape.custom { dim = 2, codim = 1,
  f = function(z) return (1 + z[1] * z[1]) * (z[2] * z[2]) end,
  grad = function(z) return { 2 * z[1] * z[2] * z[2], 2 * (1 + z[1] * z[1]) * z[2] } end }
for _, L in ipairs { EG, CG } do
  local ref = run(L, { 1, 0.1 }, 30, 6, 1, 6)
  for _, tb in ipairs { { 2, 1 }, { 2, 4 }, { 1, 5 } } do
    local _, s = diff(ref, run(L, { 1, 0.1 }, 30, 6, tb[1], tb[2]), 6)
    H.check(s, ("%s: generic projection, threads %d block %d: the same bits"):format(L.name, tb[1], tb[2]))
  end
end
-- and the flow limit stays close to the closed form's orthogonal projection here (the noise at
-- Pz differs by O(|y|^2) in x): the ensembles' means agree to a few standard errors
local rg, rc = run(EG, { 1, 0.1 }, 200, 256, 2), run(EP, { 1, 0.1 }, 200, 256, 2)
local mg, mc, se = rg:mean("x1")[#rg.t], rc:mean("x1")[#rc.t], rc:std("x1")[#rc.t] / math.sqrt(256)
H.check(math.abs(mg - mc) <= 4 * se + 1e-3, ("flow-limit vs orthogonal projection: mean x1 %.6f vs %.6f (se %.1e)"):format(mg, mc, se))

-- ---- bad input ----------------------------------------------------------------------------------
H.raises({ "mf.landscape.expr", "option 'project' needs one expression per variable (2), got 1" },
  mf.landscape.expr, { vars = { "x", "y" }, f = VALLEY, codim = 1, project = { "x" } })
H.raises({ "option 'project'[2]", "at column 4" }, mf.landscape.expr,
  { vars = { "x", "y" }, f = VALLEY, codim = 1, project = { "x", "0 +* q" } })
H.raises({ "option 'project'[1]", "unknown identifier 'q'" }, mf.landscape.expr,
  { vars = { "x", "y" }, f = VALLEY, codim = 1, project = { "q", "0" } })
H.raises({ "option 'project' needs codim > 0" }, mf.landscape.expr, { vars = { "x", "y" }, f = VALLEY, project = { "x", "0" } })
H.raises({ "option 'project'[2] must be a string" }, mf.landscape.expr,
  { vars = { "x", "y" }, f = VALLEY, codim = 1, project = { "x", 0 } })
H.raises({ "option 'project'", "a table" }, mf.landscape.expr, { vars = { "x", "y" }, f = VALLEY, codim = 1, project = "x" })

local proxy = setmetatable({}, { __len = function() return 2 ^ 61 end, __index = function() return "x" end })
H.raises({ "option 'project' needs one expression per variable (2), got 0" }, mf.landscape.expr,
  { vars = { "x", "y" }, f = VALLEY, codim = 1, project = proxy })

-- the manifold checked at a run's first projection
local function bad(L, x0, wants)
  H.raises(wants, mf.run, { landscape = L, optimizer = sgd, noise = hn, x0 = x0, steps = 5, seeds = 2 })
end
bad(mf.landscape.expr { vars = { "x", "y", "w" }, f = VALLEY, codim = 2 }, { 1, 0.1, 0 },
  { "mf.run", "codim 2 is inconsistent with the minima", "1 eigenvalue(s)", "codim 1 there" })
bad(mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 2 }, { 1, 0.1 },
  { "codim 2 is inconsistent", "codim 1 there" })
bad(mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 1, project = { "y", "x" } }, { 1, 0.1 },
  { "the projection is not a projection", "P(P x0) differs from P x0 by 0.9" })
bad(mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 1, project = { "x", "0.001" } }, { 1, 0.1 },
  { "the projection of x0 is not a minimum", "|grad f| = 0.004" })
bad(mf.landscape.custom { dim = 3, codim = 2, f = function(z) return (1 + z[1] * z[1]) * (z[2] * z[2]) end },
  { 1, 0.1, 0 }, { "codim 2 is inconsistent", "codim 1 there" })
-- constraints (option manifold): codim from their number, checked at the first projection (with
-- a project that is not their nearest point, so that the constraints' own check speaks)
local EM = mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, manifold = { "y" } }
H.check(EM.codim == 1, "option manifold sets codim")
H.check(pcall(mf.run, { landscape = EM, optimizer = sgd, noise = hn, x0 = { 1, 0.1 }, steps = 5, seeds = 2 }), "constraint y: runs")
local RM = mf.landscape.expr { vars = { "x", "y" }, params = { t = 0.3 }, f = ROT, manifold = { "x*sin(t) + y*cos(t)" }, project = PROJ }
H.check(pcall(mf.run, { landscape = RM, optimizer = sgd, noise = hn, x0 = { 1, 0.1 }, steps = 5, seeds = 2 }), "rotated constraint with its projection: runs")
bad(mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, manifold = { "y - 0.01" }, project = { "x", "0" } }, { 1, 0.1 },
  { "constraint 1 of the manifold is -0.01, not 0" })
-- without project the nearest point of {y = 0.01} is no minimum
bad(mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, manifold = { "y - 0.01" } }, { 1, 0.1 },
  { "the projection of x0 is not a minimum" })
-- x = Phi(1, 0.1)_x holds at P x0 only, and runs along M
local px = ("%.17g"):format(phi(1, 0.1))
bad(mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, manifold = { "x - " .. px }, project = { px, "0" } }, { 1, 0.1 },
  { "constraint 1 of the manifold does not cut across the minima", "its gradient has 1 of 1 along M" })
bad(mf.landscape.expr { vars = { "x", "y" }, params = { t = 0.3 }, f = ROT, manifold = { "y" }, project = PROJ }, { 1, 0.1 },
  { "constraint 1 of the manifold is", "not 0" })
H.raises({ "option 'manifold' gives 1 constraint(s)", "but option 'codim' is 2" }, mf.landscape.expr,
  { vars = { "x", "y" }, f = VALLEY, manifold = { "y" }, codim = 2 })
H.raises({ "option 'manifold' needs 1 to 2 constraints", "got 3" }, mf.landscape.expr,
  { vars = { "x", "y" }, f = VALLEY, manifold = { "y", "x", "x" } })
H.raises({ "option 'manifold' needs 1 to 2 constraints", "got 0" }, mf.landscape.expr,
  { vars = { "x", "y" }, f = VALLEY, manifold = {} })
H.raises({ "option 'manifold'[1]", "at column 4" }, mf.landscape.expr, { vars = { "x", "y" }, f = VALLEY, manifold = { "y +" } })
-- a consistent one passes, and noise in all directions needs no manifold
H.check(pcall(mf.run, { landscape = EP, optimizer = sgd, noise = hn, x0 = { 1, 0.1 }, steps = 5, seeds = 2 }), "consistent: runs")
H.check(pcall(mf.run, { landscape = mf.landscape.expr { vars = { "x", "y" }, f = VALLEY, codim = 1, project = { "y", "x" } },
  optimizer = sgd, noise = mf.noise.isotropic { sigma = 0.1, space = "full" }, x0 = { 1, 0.1 }, steps = 5, seeds = 2 }),
  "full-space noise does not project: no check")
H.finish()
