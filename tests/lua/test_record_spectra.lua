-- Recorder observables for the sharpness paper (S): spectra by Lanczos (lambda1,
-- spherical_sharpness, and at the projection lambda1_p, spherical_sharpness_p, h1), eta_eff,
-- test_loss and landscape observables (dist_minnorm, sv<k>), each against its definition
-- evaluated at the recorded coordinates; the same bits for any threads and block; the errors
-- for landscapes that lack what an observable needs.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local function dot(a, b)
  local s = 0
  for i = 1, #a do s = s + a[i] * b[i] end
  return s
end

local function point(r, d, j, s, prefix)
  local z = {}
  for k = 1, d do z[k] = r:column((prefix or "x") .. k, s or 1)[j] end
  return z
end

-- sphere3d with GD+WD (S Fig. 3c): every spectrum against mf.analysis and the closed forms ------
do
  local S = mf.landscape.sphere3d { seed = 2 }
  local lr, wd = 0.5, 0.08
  local r = mf.run { landscape = S, optimizer = mf.opt.gd_wd { lr = lr, wd = wd }, steps = 400, every = 40,
    record = { "x", "p", "spherical_sharpness", "lambda1", "spherical_sharpness_p", "lambda1_p", "h1",
      "eta_eff", "lr_eff", "wnorm", "dist" } }
  local U = S.U
  local n = {} -- the normal of M in w coordinates, U^T (1, -1, 0)/sqrt 2, largest entry positive
  for c = 1, 3 do n[c] = (U[1][c] - U[2][c]) / math.sqrt(2) end
  local big = 1
  for c = 2, 3 do if math.abs(n[c]) > math.abs(n[big]) then big = c end end
  if n[big] < 0 then for c = 1, 3 do n[c] = -n[c] end end
  for j = 1, #r.t do
    local z, p = point(r, 3, j), point(r, 3, j, 1, "p")
    local lam = mf.analysis.top(S, z, 1)[1]
    H.close(r.lambda1[j], lam, 1e-9, "lambda1 = top Hessian eigenvalue")
    H.close(r.spherical_sharpness[j], mf.analysis.spherical_sharpness(S, z), 1e-9, "spherical sharpness")
    -- on M: H = 3/r^2 [[1, -1, 0], [-1, 1, 0], [0, 0, 0]] in u = U w, lambda_1 = 6/r^2
    local u = {}
    for a = 1, 3 do u[a] = dot(U[a], p) end
    local r2 = u[1] ^ 2 + u[2] ^ 2
    H.close(r.lambda1_p[j], 6 / r2, 1e-9, "lambda1 at the projection: 6/r^2")
    H.close(r.spherical_sharpness_p[j], dot(p, p) * 6 / r2, 1e-9, "spherical sharpness at the projection")
    local dz = {}
    for a = 1, 3 do dz[a] = z[a] - p[a] end
    H.close(r.h1[j], dot(dz, n), 1e-9, "h1 = <z - Pz, v1>")
    H.close(r.eta_eff[j], lr / ((1 - lr * wd) * r.wnorm[j] ^ 2), 1e-14, "eta_eff (S §3)")
    H.check(r.eta_eff[j] == r.lr_eff[j], "eta_eff is lr_eff")
  end
  -- the run ends at the edge of stability: 2/eta_eff close to the sharpness at the projection
  H.close(2 / r.eta_eff[#r.t], r.spherical_sharpness_p[#r.t], 0.1, "edge of stability at the end")
end

-- linreg_bn: test loss and dist_minnorm; threads and block do not change a bit --------------------
do
  local L = mf.landscape.linreg_bn { d = 10, n = 6, seed = 1 }
  local names = { "x", "loss", "test_loss", "dist_minnorm", "spherical_sharpness", "spherical_sharpness_p", "h1" }
  local function run(threads, block)
    return mf.run { landscape = L, optimizer = mf.opt.gd_wd { lr = 0.5, wd = 1e-3 }, noise = mf.noise.isotropic { sigma = 1e-3, space = "full" },
      steps = 300, every = 50, seeds = 5, seed = 9, threads = threads, block = block, record = names }
  end
  local r1, r2 = run(1), run(2, 2)
  local same = true
  for _, nm in ipairs { "test_loss", "dist_minnorm", "spherical_sharpness", "spherical_sharpness_p", "h1" } do
    for s = 1, 5 do
      local a, b = r1:column(nm, s), r2:column(nm, s)
      for j = 1, #a do same = same and (a[j] == b[j] or (a[j] ~= a[j] and b[j] ~= b[j])) end
    end
  end
  H.check(same, "spectra, test loss and dist_minnorm: the same bits with 1 or 2 threads, blocks of 2")
  for _, s in ipairs { 1, 4 } do
    for _, j in ipairs { 1, 4, #r1.t } do
      local z = point(r1, 10, j, s)
      H.close(r1:column("test_loss", s)[j], L:test_loss(z), 1e-14, "recorded test_loss")
      local wt, c2 = {}, 0 -- dist_minnorm: (wt, bt) = gamma sqrt(n) (w, -w.mu_x)/|Xc w| + (0, mean y)
      local n, d, my = #L.y, 10, 0
      local mx, a = {}, {}
      for i = 1, n do my = my + L.y[i] / n end
      for k = 1, d do mx[k] = 0; for i = 1, n do mx[k] = mx[k] + L.X[i][k] / n end end
      local vy = 0
      for i = 1, n do vy = vy + (L.y[i] - my) ^ 2 / n end
      for i = 1, n do a[i] = 0; for k = 1, d do a[i] = a[i] + (L.X[i][k] - mx[k]) * z[k] end; c2 = c2 + a[i] ^ 2 end
      local sc = math.sqrt(vy * n / c2)
      local bt, dm = my, 0
      for k = 1, d do wt[k] = sc * z[k]; bt = bt - wt[k] * mx[k]; dm = dm + (wt[k] - L.w_minnorm[k]) ^ 2 end
      dm = math.sqrt(dm + (bt - L.b_minnorm) ^ 2)
      H.close(r1:column("dist_minnorm", s)[j], dm, 1e-12, "recorded dist_minnorm")
      H.close(r1:column("spherical_sharpness", s)[j], mf.analysis.spherical_sharpness(L, z), 1e-8,
        "recorded spherical sharpness (linreg_bn)")
    end
  end
end

-- matrix_completion_bn: singular values of the recovered matrix ------------------------------------
do
  local d = 6
  local C = mf.landscape.matrix_completion_bn { d = d, observed = 20, init_scale = 0.3, seed = 3 }
  local names = { "x", "sv1", "sv2", "sv3", "sv4", "sv5", "sv6", "spherical_sharpness" }
  local r = mf.run { landscape = C, optimizer = mf.opt.gd_wd { lr = 0.1, wd = 0.01 }, steps = 100, every = 50, record = names }
  for j = 1, #r.t do
    local z = point(r, C.dim, j)
    local s2, g2, N = 0, 0, #C.observed
    local W = {}
    for i = 1, d do
      W[i] = {}
      for k = 1, d do
        local s = 0
        for c = 1, d do s = s + z[(i - 1) * d + c] * z[d * d + (k - 1) * d + c] end
        W[i][k] = s
      end
    end
    for _, e in ipairs(C.observed) do s2 = s2 + W[e[1]][e[2]] ^ 2 / N; g2 = g2 + C.M[e[1]][e[2]] ^ 2 / N end
    local fro, ssv = 0, 0
    for i = 1, d do for k = 1, d do fro = fro + g2 / s2 * W[i][k] ^ 2 end end
    local desc = true
    for k = 1, d do
      ssv = ssv + r["sv" .. k][j] ^ 2
      if k > 1 then desc = desc and r["sv" .. k][j] <= r["sv" .. (k - 1)][j] end
    end
    H.close(ssv, fro, 1e-12, "sum of squared singular values = |(gamma/sigma) U V^T|_F^2")
    H.check(desc, "singular values in descending order")
    H.close(r.spherical_sharpness[j], mf.analysis.spherical_sharpness(C, z), 1e-8, "spherical sharpness (completion)")
  end
end

-- errors ----------------------------------------------------------------------------------------
do
  local V = mf.landscape.valley {}
  local opt = mf.opt.gd_wd { lr = 0.1, wd = 0.1 }
  H.raises({ "mf.run", "scale-invariant" }, mf.run,
    { landscape = V, optimizer = opt, x0 = { 1, 1 }, steps = 2, record = { "spherical_sharpness" } })
  H.raises({ "mf.run", "no test loss" }, mf.run,
    { landscape = V, optimizer = opt, x0 = { 1, 1 }, steps = 2, record = { "test_loss" } })
  local F = mf.landscape.custom { dim = 2, f = function(z) return z[1] ^ 2 + z[2] ^ 2 end }
  H.raises({ "mf.run", "projection" }, mf.run,
    { landscape = F, optimizer = opt, x0 = { 1, 1 }, steps = 2, record = { "h1" } })
  local L = mf.landscape.linreg_bn { d = 5, n = 4 }
  H.raises({ "mf.run", "unknown observable 'sv1'", "dist_minnorm" }, mf.run,
    { landscape = L, optimizer = opt, steps = 2, record = { "sv1" } })
  -- a scale-invariant custom landscape passes the numerical check
  local A = mf.landscape.custom { dim = 2, f = function(z) return z[1] ^ 2 / (z[1] ^ 2 + z[2] ^ 2) end }
  local r = mf.run { landscape = A, optimizer = opt, x0 = { 1, 2 }, steps = 3, record = { "spherical_sharpness", "lambda1", "wnorm" } }
  H.close(r.spherical_sharpness[1], r.lambda1[1] * r.wnorm[1] ^ 2, 1e-14, "custom: |w|^2 lambda_1")
end

H.finish()
