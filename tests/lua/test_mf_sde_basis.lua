-- The SGD flow's SDE on matrix factorization (fig2_right's setting: isotropic full-space noise,
-- tangent noise sqrt(lr) sigma T dW) no longer depends on the last bits of its start: the tangent
-- basis T of the landscape's frame is Loewdin's orthonormalization of (U E_kl, -V E_lk), a
-- continuous function of z (landscape_mf.c), where it was the basis LAPACK returned for the
-- Hessian's 25-fold zero eigenvalue, which a change of z at 1e-12 rotated (the paths then differed
-- by O(1) after one step). Starting 1e-12 apart, the paths stay within 1e-7 of each other (1.2e-12 measured; 0.52 before); and
-- L:tangent's T is orthonormal, spans null(J) (J T = 0: U dV^T + dU V^T = 0 for each column) and
-- moves by O(eps) with z.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = 4 }
local d = L.dim
local opt = mf.opt.sgd { lr = 1e-3 }
local noise = mf.noise.isotropic { sigma = 5, space = "full" }
local flow = mf.manifold.flow { landscape = L, optimizer = opt, noise = noise }

-- a start on M away from U = M, V = I (where the normal eigenvalues are degenerate), and the same
-- start moved by 1e-12 (then projected back by the flow)
local x0 = {}
for k = 1, d do x0[k] = L.x0[k] + 0.3 * math.sin(7 * k) end
x0 = L:project(x0)
local x1 = {}
for k = 1, d do x1[k] = x0[k] + 1e-12 * math.cos(3 * k) end

local function final(x)
  local r = flow:integrate { x0 = x, steps = 1000, every = 500, method = "em", h = 100, seeds = 2, seed = 7, quiet = true }
  local out = {}
  for s = 1, 2 do
    for k = 1, d do
      local c = r:column("x" .. k, s)
      out[#out + 1] = c[#c]
    end
  end
  return out
end
local a, b = final(x0), final(x1)
local gap, moved = 0, 0
for i = 1, #a do
  gap = math.max(gap, math.abs(a[i] - b[i]))
  moved = math.max(moved, math.abs(a[i] - x0[(i - 1) % d + 1]))
end
H.check(moved > 0.1, ("the paths move (by %.3g)"):format(moved))
print(("paths %.3g apart after moving %.3g"):format(gap, moved))
H.check(gap <= 1e-7, ("starts 1e-12 apart give paths %.3g apart after 10 steps"):format(gap))

-- L:tangent: T orthonormal, in null(J), continuous
local function tangent_at(z)
  local T, N = L:tangent(z)
  return T, N
end
local T, N = tangent_at(x0)
H.check(#T == 25 and #N == 25, "25 tangent and 25 normal vectors")
local worst_o, worst_j = 0, 0
for i = 1, #T do
  for j = 1, #T do
    local s = 0
    for k = 1, d do s = s + T[i][k] * T[j][k] end
    worst_o = math.max(worst_o, math.abs(s - (i == j and 1 or 0)))
  end
  -- J t = dU V^T + U dV^T at Pz
  for r = 0, 4 do
    for c = 0, 4 do
      local s = 0
      for k = 0, 4 do
        s = s + T[i][r * 5 + k + 1] * x0[25 + c * 5 + k + 1] + x0[r * 5 + k + 1] * T[i][25 + c * 5 + k + 1]
      end
      worst_j = math.max(worst_j, math.abs(s))
    end
  end
end
H.check(worst_o <= 1e-12, ("T^T T = I: %.3g"):format(worst_o))
H.check(worst_j <= 1e-12, ("J T = 0: %.3g"):format(worst_j))
local function shift(eps)
  local z = {}
  for k = 1, d do z[k] = x0[k] + eps * math.cos(5 * k) end
  local T2 = tangent_at(z)
  local m = 0
  for i = 1, #T do
    for k = 1, d do m = math.max(m, math.abs(T2[i][k] - T[i][k])) end
  end
  return m / eps
end
local r6, r8 = shift(1e-6), shift(1e-8)
H.check(r6 < 50 and math.abs(r8 - r6) <= 0.05 * r6, ("T moves by O(eps): %.4g, %.4g per unit eps"):format(r6, r8))
H.finish()
