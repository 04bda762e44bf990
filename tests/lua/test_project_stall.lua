-- The generic projection gives up quickly on a point it cannot bring to the manifold (issue
-- 15): from a diverged point (|z| ~ 1e10..1e30) rounding is all that is left of the gradient
-- flow, which used to spend its whole budget (2e6 gradients: seconds per trajectory-step in a
-- run) before NaN. Now either stage stops when |grad f| has not halved and z has not moved by
-- 1e-8 |z| within MF_PROJECT_STALL = 16384 gradients. Counts are of the landscape's f calls
-- (a custom landscape without grad: 4 f calls per central-difference gradient), so the checks
-- are deterministic. A slow but real flow, which moves z, is not cut short.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local H = require "harness"

local n = 0
local V = mf.landscape.custom{ dim = 2, codim = 1, f = function(z) n = n + 1 return (1 + z[1] ^ 2) * z[2] ^ 2 end }
local function project(L, z)
  n = 0
  local ok, p = pcall(L.project, L, z)
  return ok, p, n
end

-- diverged points: an error naming the stall, after < 4e5 f calls (1e5 gradients; the budget
-- alone would allow 8e6 f calls)
for _, z in ipairs{ { -5e9, 1e10 }, { -5e29, 1e30 } } do
  local ok, e, calls = project(V, z)
  H.check(not ok and tostring(e):find("landscape:project: the projection of this point is not defined", 1, true)
          and tostring(e):find("stalled", 1, true), "diverged point " .. z[2] .. ": " .. tostring(e))
  H.check(calls < 4e5, ("diverged point %g: %d f calls (< 4e5)"):format(z[2], calls))
end

-- far but finite: the flow creeps (z moves), is not cut short, and reaches the valley y = 0
local ok, p, calls = project(V, { -500, 1000 })
H.check(ok and math.abs(p[2]) < 1e-9, "far point (-500, 1000) projects: " .. tostring(ok and p[2] or p))
H.check(calls > 4 * 16384 * 2, ("the slow flow ran past two stall windows (%d f calls)"):format(calls))
ok, p = project(V, { 3, 0.1 })
H.check(ok and math.abs(p[2]) < 1e-9 and math.abs(p[1] - 3) < 0.01, "near point projects")

-- uv from |z| ~ 1e3: the explicit stage hovered at its stability limit until the budget ran
-- out (NaN); handed over to gradient descent it reaches a minimum
local U = mf.landscape.uv{ n = 3, P = 5 }
local z = {}
for i = 1, U.dim do z[i] = 1e3 * (i % 2 == 0 and 1 or -0.5) end
ok, p = project(U, z)
H.check(ok, "uv from |z| ~ 1e3 projects: " .. tostring(p))
if ok then
  local g, gn, pn = U:grad(p), 0, 0
  for i = 1, U.dim do gn, pn = gn + g[i] ^ 2, pn + p[i] ^ 2 end
  H.check(math.sqrt(gn) <= 1e-12 * math.max(1, math.sqrt(pn)), ("a minimum: |grad f| %.3g"):format(math.sqrt(gn)))
end

-- a run that diverges (lr 0.5 at curvature 20) with Hessian noise at the projection: the
-- non-finite error names the step and the trajectory, reached in ~1 s (was ~26 s a seed)
n = 0
local okr, er = pcall(mf.run, { landscape = V, optimizer = mf.opt.sgd{ lr = 0.5 }, noise = mf.noise.hessian{ sigma = 0.1 },
                                x0 = { 3, 0.1 }, steps = 200, seeds = 1, every = 1, quiet = true })
local msg = type(er) == "table" and er.message or tostring(er)
local step = tonumber(msg:match("^mf%.run: non%-finite value at step (%d+) in trajectory 1 "))
H.check(not okr and step and step <= 10, "diverging run: " .. msg)
H.check(n < 2e7, ("diverging run: %d f calls"):format(n))
H.finish()
