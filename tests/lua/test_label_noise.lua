-- mf.noise.label (doc/math.md §2, flatter-faster eq. (1)): the covariance of the noisy gradient at a
-- point of the zero-loss manifold is eps^2 c H_f with c = 2w (f = w sum_a r_a^2): c = 1/P for the
-- UV model (F eq. (11)), c = 2 for matrix factorization. Estimated from the first SGD step with
-- lr = 1 from a manifold point z*, where z1 - z* = -grad f(z*) + D xi and grad f(z*) ~ 1e-12:
-- every entry of the sample covariance (and of the mean) within 4 standard errors of the
-- theory, the standard error of entry (i, j) being sqrt((S_ii S_jj + S_ij^2)/N) for Gaussian
-- samples. The streams are seeded, so the test is deterministic.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local function cov_check(L, zs, eps, c, N, tag)
  local d = L.dim
  local r = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = 1 }, noise = mf.noise.label { eps = eps },
                     x0 = zs, steps = 1, every = 1, seeds = N, seed = 11, record = { "x" }, quiet = true }
  local X = {}
  for k = 1, d do
    local col = r:at("x" .. k, 2)
    for i = 1, N do col[i] = col[i] - zs[k] end
    X[k] = col
  end
  local Hf = L:hess(zs)
  local worst, worst_at, mworst = 0, "", 0
  for k = 1, d do -- the mean: 0 (the gradient vanishes on the manifold)
    local s = 0
    for i = 1, N do s = s + X[k][i] end
    local se = math.sqrt(eps ^ 2 * c * Hf[k][k] / N)
    if se > 0 then mworst = math.max(mworst, math.abs(s / N) / se) end
  end
  for a = 1, d do
    for b = a, d do
      local xa, xb, s = X[a], X[b], 0
      for i = 1, N do s = s + xa[i] * xb[i] end
      local Sab, Saa, Sbb = eps ^ 2 * c * Hf[a][b], eps ^ 2 * c * Hf[a][a], eps ^ 2 * c * Hf[b][b]
      local se = math.sqrt((Saa * Sbb + Sab ^ 2) / N)
      local z = math.abs(s / N - Sab) / se
      if z > worst then worst, worst_at = z, ("(%d, %d): %.6g vs %.6g"):format(a, b, s / N, Sab) end
    end
  end
  H.check(mworst <= 4, ("%s: mean within 4 s.e. (worst %.2f)"):format(tag, mworst))
  H.check(worst <= 4, ("%s: covariance = eps^2 c H_f within 4 s.e. (worst %.2f s.e. at %s)"):format(tag, worst, worst_at))
  print(("%s: %d samples, covariance entries within %.2f s.e. of eps^2 c H_f (c = %g)"):format(tag, N, worst, c))
end

-- the vector UV model of flatter-faster Fig. 1: n = 10, P = 5, c = 1/P
local uv = mf.landscape.uv { n = 10, P = 5 }
local zs = uv:project(uv.x0)
H.check(H.near(uv:value(zs), 0, 1e-20, "projection is a zero-loss point"))
cov_check(uv, zs, 0.5, 1 / 5, 100000, "uv")
-- the vector model's noise has rank 1 (every residual's gradient is x_a (v, u)/sqrt(n)); a UV
-- model with m = 2 outputs and d = 3 inputs has a rank-6 covariance, so the entries test more
local uv2 = mf.landscape.uv { n = 4, P = 5, m = 2, d = 3, act = "tanh", seed = 2 }
cov_check(uv2, uv2:project(uv2.x0), 0.5, 1 / 5, 100000, "uv m = 2, d = 3, tanh")
-- matrix factorization (w = 1, c = 2), small so the Lua covariance stays fast
local mfl = mf.landscape.matrix_factorization { m = 3, n = 2, p = 2, seed = 3 }
local z0 = {}
for k = 1, mfl.dim do z0[k] = 0.5 + 0.1 * k end
cov_check(mfl, mfl:project(z0), 0.3, 2, 50000, "matrix_factorization")

-- options, printing, minibatch scaling
local nz = mf.noise.label { eps = 0.5 }
H.check(nz.name == "label" and nz.eps == 0.5 and tostring(nz) == "label{eps = 0.5}", "label: " .. tostring(nz))
H.raises({ "mf.noise.label", "option 'eps'" }, mf.noise.label, {})
H.raises({ "mf.noise.label", "option 'eps'" }, mf.noise.label, { eps = -1 })
H.raises({ "mf.noise.label", "unknown option" }, mf.noise.label, { eps = 1, sigma = 1 })
local a = mf.run { landscape = uv, optimizer = mf.opt.sgd { lr = 0.01 }, x0 = uv.x0, steps = 20, seeds = 3, seed = 5,
                   noise = mf.noise.minibatch { B = 4, of = mf.noise.label { eps = 1 } } }
local b = mf.run { landscape = uv, optimizer = mf.opt.sgd { lr = 0.01 }, x0 = uv.x0, steps = 20, seeds = 3, seed = 5,
                   noise = mf.noise.label { eps = 0.5 } }
H.check(a:column("x7", 3)[#a.t] == b:column("x7", 3)[#b.t], "minibatch{B = 4} of eps 1 is eps 0.5")

-- landscapes without examples: an error naming the option
local valley = mf.landscape.valley {}
H.raises({ "mf.run", "option 'noise'", "label noise", "'valley' has no examples" }, mf.run,
  { landscape = valley, optimizer = mf.opt.sgd { lr = 0.01 }, noise = nz, x0 = { 1, 0 }, steps = 1 })
H.finish()
