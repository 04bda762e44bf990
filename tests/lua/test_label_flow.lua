-- The manifold flow of label noise (doc/math.md §4 "Label-noise heavy ball, scaling limit";
-- flatter-faster eqs. (6), (7), (9)). With beta = 1 - C lr^gamma, the heavy ball's drift per
-- iteration is -eps^2 lr^2/(4 (1-beta)^2) P_L grad Tr(c H_f) = -eps^2 lr^(2-2 gamma)/(4 C^2) ...,
-- c = 2w (1/P for the UV model). Checked: (1) the vector UV model, where it is -z/tau2 with
-- tau2 of F eq. (9) (mf.analysis.uv_timescales), to 1e-8, and its integral
-- |z|^2 = |z0|^2 exp(-2k/tau2) to 1e-6; (2) F eq. (7) against a central difference of the
-- Hessian's trace along the tangent basis, on a tanh UV model (codim 5) and on matrix
-- factorization (c = 2); (3) a simulated heavy-ball ensemble with label noise on the vector UV
-- model follows the flow: the mean of |z|^2 within 4 standard errors plus 2% (the flow's
-- O(tau1/tau2) error) at every record.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local function norm2(z) local s = 0; for k = 1, #z do s = s + z[k] ^ 2 end; return s end

-- (1) vector UV model, F Fig. 1's data (n = 10, P = 5), gamma = 2/3 and C = C* (eq. (10))
local uv = mf.landscape.uv { n = 10, P = 5 }
local mu2 = 0
for a = 1, 5 do mu2 = mu2 + uv.X[a][1] ^ 2 / 5 end
local lr, gamma, eps = 0.05, 2 / 3, 0.1
local C = mf.analysis.uv_timescales { lr = lr, gamma = gamma, C = 1, eps = eps, mu2 = mu2, n = 10, P = 5 }.C_star
local ts = mf.analysis.uv_timescales { lr = lr, gamma = gamma, C = C, eps = eps, mu2 = mu2, n = 10, P = 5 }
local hb = mf.opt.heavy_ball { lr = lr, beta = 1 - C * lr ^ gamma }
local nz = mf.noise.label { eps = eps }
local md = mf.manifold.flow { landscape = uv, optimizer = hb, noise = nz }
H.close(md:dt(), lr, 1e-15, "time per iteration is lr")
local zs = uv:project(uv.x0)
local d = md:drift(zs)
local worst = 0
for k = 1, uv.dim do worst = math.max(worst, math.abs(md:dt() * d[k] + zs[k] / ts.tau2)) end
H.check(worst <= 1e-8 * math.sqrt(norm2(zs)) / ts.tau2,
  ("per-iteration drift = -z/tau2 (F eq. (9)): worst %.3g of %.3g"):format(worst, math.sqrt(norm2(zs)) / ts.tau2))
local K = math.floor(3 * ts.tau2)
local sol = md:integrate { x0 = zs, steps = K, every = K // 3, method = "dp45", rtol = 1e-10, atol = 1e-14, quiet = true }
for j = 1, #sol.t do
  local z = {}
  for k = 1, uv.dim do z[k] = sol["x" .. k][j] end
  H.close(norm2(z) / (norm2(zs) * math.exp(-2 * sol.t[j] / ts.tau2)), 1, 1e-6,
    ("|z|^2 decays as exp(-2k/tau2), k = %d"):format(sol.t[j]))
end

-- (2) F eq. (7) with P_L grad Tr H_f from central differences of L:trace_hessian along the
-- tangent basis (step 1e-4; the O(h^2) error is ~1e-8 relative)
local function check_eq7(L, z, opt, e, c, tag)
  local beta = opt.beta
  local f = mf.manifold.flow { landscape = L, optimizer = opt, noise = mf.noise.label { eps = e } }
  local dz = f:drift(z)
  local T = L:tangent(z)
  local want = {}
  for k = 1, L.dim do want[k] = 0 end
  local h = 1e-4
  for _, t in ipairs(T) do
    local zp, zm = {}, {}
    for k = 1, L.dim do zp[k], zm[k] = z[k] + h * t[k], z[k] - h * t[k] end
    local g = (L:trace_hessian(zp) - L:trace_hessian(zm)) / (2 * h)
    for k = 1, L.dim do want[k] = want[k] - e ^ 2 * opt.lr ^ 2 / (4 * (1 - beta) ^ 2) * c * g * t[k] end
  end
  local err, scale = 0, 0
  for k = 1, L.dim do
    err = math.max(err, math.abs(f:dt() * dz[k] - want[k]))
    scale = math.max(scale, math.abs(want[k]))
  end
  H.check(scale > 0 and err <= 1e-6 * scale, ("%s: F eq. (7), error %.3g of %.3g"):format(tag, err, scale))
end
local uvt = mf.landscape.uv { n = 10, P = 5, d = 3, act = "tanh" }
check_eq7(uvt, uvt:project(uvt.x0), mf.opt.heavy_ball { lr = 0.02, beta = 0.9 }, 0.3, 1 / 5, "tanh UV (d = 3), c = 1/P")
local mfl = mf.landscape.matrix_factorization { m = 3, n = 3, p = 3, seed = 1 }
check_eq7(mfl, mfl:project(mfl.x0), mf.opt.heavy_ball { lr = 0.01, beta = 0.8 }, 0.2, 2, "matrix factorization, c = 2")

-- (3) the simulated heavy ball with label noise follows the flow (gamma = 1/2, C = 1/2:
-- tau1 = 18 iterations, tau2 = 4346; eps = 0.3)
do
  local lr3, g3, C3, e3 = 0.05, 0.5, 0.5, 0.3
  local opt = mf.opt.heavy_ball { lr = lr3, beta = 1 - C3 * lr3 ^ g3 }
  local noise = mf.noise.label { eps = e3 }
  local steps, seeds = 8000, 64
  local r = mf.run { landscape = uv, optimizer = opt, noise = noise, x0 = zs, steps = steps, every = 1000,
                     seeds = seeds, seed = 3, record = { "wnorm" }, quiet = true }
  local s3 = mf.manifold.flow { landscape = uv, optimizer = opt, noise = noise }
    :integrate { x0 = zs, steps = steps, every = 1000, method = "dp45", quiet = true }
  local tau2 = mf.analysis.uv_timescales { lr = lr3, gamma = g3, C = C3, eps = e3, mu2 = mu2, n = 10, P = 5 }.tau2
  local worst_z = 0
  for j = 2, #r.t do
    local w = r:at("wnorm", j)
    local m, m2 = 0, 0
    for i = 1, seeds do m, m2 = m + w[i] ^ 2 / seeds, m2 + w[i] ^ 4 / seeds end
    local se = math.sqrt((m2 - m * m) / (seeds - 1))
    local z = {}
    for k = 1, uv.dim do z[k] = s3["x" .. k][j] end
    local f = norm2(z)
    H.close(f / (norm2(zs) * math.exp(-2 * r.t[j] / tau2)), 1, 1e-6, "flow = closed form")
    worst_z = math.max(worst_z, (math.abs(m - f) - 0.02 * f) / se)
  end
  H.check(worst_z <= 4, ("simulated mean |z|^2 follows the flow within 4 s.e. + 2%% (worst %.2f)"):format(worst_z))
end

-- errors
H.raises({ "mf.manifold.flow", "option 'noise'", "label noise", "'valley' has no examples" }, mf.manifold.flow,
  { landscape = mf.landscape.valley {}, optimizer = hb, noise = nz })
H.raises({ "mf.manifold.flow", "adam needs hessian noise" }, mf.manifold.flow,
  { landscape = uv, optimizer = mf.opt.adam {}, noise = nz })
H.finish()
