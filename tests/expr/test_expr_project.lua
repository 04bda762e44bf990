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
H.check(widem <= 1e-12, ("generic projection is idempotent: worst %.2e"):format(widem))
