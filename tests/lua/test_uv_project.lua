-- The UV model's projection for tanh and relu with one-dimensional inputs (the vector UV model of
-- Flatter-faster Fig. 1): Gauss-Newton onto the zero-loss set lands there (loss below 1e-20), is
-- idempotent bit for bit, and moves a point displaced by delta along the normal space back to
-- within O(delta^2) of where it started, as the gradient-flow limit does.
local H = dofile((arg[0]:match("^(.*)/[^/]*$") or ".") .. "/harness.lua")

for _, act in ipairs { "tanh", "relu" } do
  for seed = 0, 2 do
    local L = mf.landscape.uv { n = 10, P = 5, act = act, d = 1, m = 1, seed = seed }
    local p = L:project(L.x0)
    H.check(L:value(p) < 1e-20, ("%s seed %d: loss at the projection %.3g < 1e-20"):format(act, seed, L:value(p)))
    local q = L:project(p)
    local same = true
    for i = 1, #p do same = same and p[i] == q[i] end
    H.check(same, act .. ": P(P z) == P z bit for bit")
    -- displace along a normal direction by delta and project back
    local _, N = L:tangent(p)
    for _, delta in ipairs { 1e-3, 1e-4 } do
      local z = {}
      for i = 1, #p do z[i] = p[i] + delta * N[1][i] end
      local pz = L:project(z)
      local s = 0
      for i = 1, #p do s = s + (pz[i] - p[i]) ^ 2 end
      -- second order: |P(p + delta n) - p| <= C delta^2; C = 50 is generous for |z| ~ 5
      H.check(math.sqrt(s) <= 50 * delta * delta,
        ("%s seed %d: |P(p + %.0e n) - p| = %.3g is second order"):format(act, seed, delta, math.sqrt(s)))
    end
  end
end
-- codim of the vector UV model with a nonlinearity: u orthogonal to the P = 5 columns
H.check(mf.landscape.uv { n = 10, P = 5, act = "tanh", d = 1, m = 1 }.codim == 5, "vector tanh UV codim")
H.finish()
