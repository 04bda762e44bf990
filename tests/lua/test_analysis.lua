-- mf.analysis / mf.hessian / mf.fit from Lua: values against closed forms, errors for bad input.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

H.check(mf.hessian == mf.analysis and mf.fit == mf.analysis.fit, "aliases mf.hessian and mf.fit")

-- valley at (2, 0.5): H = [[h'' y^2, 2 h' y], [2 h' y, 2 h]] = [[0.5, 4], [4, 10]]
local L = mf.landscape.valley { a = 1, b = 1 }
local z = { 2, 0.5 }
local vals, vecs, nmv = mf.analysis.top(L, z, 2)
local tr, det = 10.5, 0.5 * 10 - 16
local l1 = (tr + math.sqrt(tr * tr - 4 * det)) / 2
H.close(vals[1], l1, 1e-12, "top eigenvalue of the valley Hessian")
H.close(vals[2], tr - l1, 1e-12, "second eigenvalue")
H.check(#vals == 2 and #vecs == 2 and #vecs[1] == 2 and nmv <= 2, "two pairs from at most 2 products")
-- H v = lambda v
local v = vecs[1]
H.close(0.5 * v[1] + 4 * v[2], l1 * v[1], 1e-10, "eigenvector, row 1")
H.close(4 * v[1] + 10 * v[2], l1 * v[2], 1e-10, "eigenvector, row 2")

local t, se, n = mf.analysis.trace(L, z)
H.check(t == 10.5 and se == 0 and n == 0, "exact trace")
t, se, n = mf.analysis.trace(L, z, { method = "hutchinson", tol = 1e-9, max_samples = 4000, seed = 3 })
H.check(n == 4000 and math.abs(t - 10.5) <= 4 * se, ("Hutchinson %g +- %g within 4 s.e. of 10.5"):format(t, se))
-- Rademacher: v^T H v = 10.5 + 2 * 4 * v1 v2, so the standard error is 8 / sqrt(n)
H.close(se, 8 / math.sqrt(4000), 0.05, "Hutchinson standard error")

H.close(mf.analysis.distance_to_manifold(L, { 3, -0.25 }), 0.25, 1e-15, "distance to the manifold")

-- bad input
H.raises({ "mf.analysis.top", "k = 3 must be between 1 and the dimension 2" }, mf.analysis.top, L, z, 3)
H.raises({ "mf.analysis.top", "argument 'k' must be an integer" }, mf.analysis.top, L, z, 1.5)
H.raises({ "mf.analysis.top", "argument 'L' must be a landscape" }, mf.analysis.top, {}, z, 1)
H.raises({ "mf.analysis.trace", "option 'method'" }, mf.analysis.trace, L, z, { method = "guess" })
H.raises({ "mf.analysis.spherical_sharpness", "not scale-invariant" }, mf.analysis.spherical_sharpness, L, z)

-- spherical sharpness on the scale-invariant 3-D example (sharpness paper App. F): on the
-- manifold x = y > 0 of the unit sphere it is 6/(1 - z^2), and it equals |w|^2 lambda_1(H(w))
local S = mf.landscape.sphere3d { rotate = false }
for _, zc in ipairs { 0, 0.3, 0.6 } do
  local x = math.sqrt((1 - zc * zc) / 2)
  local w = { x, x, zc }
  H.close(mf.analysis.spherical_sharpness(S, w), 6 / (1 - zc * zc), 1e-7, "sphere3d sharpness 6/(1 - z^2) at z = " .. zc)
  local w3 = { 3 * x, 3 * x, 3 * zc }
  H.close(mf.analysis.spherical_sharpness(S, w3), 6 / (1 - zc * zc), 1e-7, "invariant to scaling w")
  H.close(9 * mf.analysis.top(S, w3, 1)[1], 6 / (1 - zc * zc), 1e-7, "= |w|^2 lambda_1(H(w))")
end
local Sr = mf.landscape.sphere3d { seed = 4 } -- rotated by a random orthogonal U: same spectrum
local w = { 0.3, 1.3, 1.2 }
H.close(mf.analysis.spherical_sharpness(Sr, w), (0.09 + 1.69 + 1.44) * mf.analysis.top(Sr, w, 1)[1], 1e-9,
  "rotated sphere3d: spherical sharpness = |w|^2 lambda_1")

-- fits
local ts, ys = {}, {}
for i = 1, 20 do ts[i] = i; ys[i] = 4 * math.exp(-i / 6) end
local f = mf.fit.exp_timescale(ts, ys)
H.close(f.T, 6, 1e-12, "exp timescale of exact data")
H.close(f.a, 4, 1e-12, "exp amplitude of exact data")
H.close(f.rate, 1 / 6, 1e-12, "rate")
local xs = {}
for i = 1, 20 do xs[i] = i; ys[i] = 0.3 * i ^ 1.7 end
local p = mf.fit.powerlaw(xs, ys)
H.close(p.exponent, 1.7, 1e-12, "power-law exponent of exact data")
for i = 1, 21 do xs[i] = (i - 1) / 20; ys[i] = 1 - 2 * math.abs(xs[i] - 0.4) + (i % 2 == 0 and 1e-3 or -1e-3) end
local vf = mf.fit.vee(xs, ys)
H.check(math.abs(vf.x_opt - 0.4) <= 2 * vf.se_x_opt + 1e-3 and vf.a1 > 0 and vf.a2 < 0,
  ("vee optimum %g +- %g"):format(vf.x_opt, vf.se_x_opt))
H.raises({ "mf.fit.exp_timescale", "2 points cannot fit 2 parameters" }, mf.fit.exp_timescale, { 1, 2 }, { 1, 0.5 })
H.raises({ "mf.fit.exp_timescale", "a log fit needs y > 0" }, mf.fit.exp_timescale, { 1, 2, 3 }, { 1, 0, 0.5 })
H.raises({ "mf.fit.powerlaw", "a log fit needs x > 0" }, mf.fit.powerlaw, { 0, 2, 3 }, { 1, 2, 3 })
-- missing and non-finite points (a sweep's failed or diverged points) are skipped and counted
do
  local t, y = {}, {}
  for i = 1, 12 do t[i] = i; y[i] = 4 * math.exp(-i / 6) end
  y[3], y[7], y[11] = 0 / 0, math.huge, nil -- a trailing nil would be a shorter y: use NaN there
  local g = mf.fit.exp_timescale(t, y)
  H.close(g.T, 6, 1e-12, "exp timescale with NaN, Inf and a nil point")
  H.check(g.n == 9 and g.skipped == 3 and g.note:find("3 of 12 points skipped", 1, true),
    "skipped points counted: " .. tostring(g.note))
  -- a window: the late part of a two-rate decay gives the slow rate only
  for i = 1, 40 do t[i] = i; y[i] = 100 * math.exp(-i / 2) + math.exp(-i / 10) end
  local w = mf.fit.exp_timescale(t, y, { from = 30, to = 40 })
  H.close(w.T, 10, 2e-3, "windowed fit sees the slow timescale")
  H.check(w.n == 11 and w.skipped == 0, "window of 11 points")
  local pl = mf.fit.powerlaw({ 1, 2, 3, 4, 5 }, { 1, 0 / 0, 9, 16, 25 })
  H.close(pl.exponent, 2, 1e-12, "power law with a NaN point")
  H.raises({ "mf.fit", "option 'from' must be a" }, mf.fit.powerlaw, { 1, 2, 3 }, { 1, 2, 3 }, { from = "a" })
end
H.raises({ "mf.fit.vee", "different lengths" }, mf.fit.vee, { 1, 2, 3, 4, 5 }, { 1, 2, 3, 4 })

-- closed forms
local kp, km = mf.analysis.hb_spectrum { lr = 0.1, beta = 0.9, lambda = 1 }
-- heavy-ball map on (w, pi): trace 1 + beta - eta lambda, determinant beta
H.close(kp.re + km.re, 1 + 0.9 - 0.1, 1e-14, "kappa sum = trace")
H.close(kp.abs * km.abs, 0.9, 1e-14, "kappa product = determinant")
H.check(kp.im > 0 and km.im < 0, "complex pair when (1 + beta - eta lambda)^2 < 4 beta")
H.close(mf.analysis.ou_variance { lr = 0.1, beta = 0, lambda = 2, eps = 1 }, 0.1 / (2 * (2 - 0.2)), 1e-14,
  "OU variance at beta = 0 is SGD's lr eps^2 / (lambda (2 - lr lambda))")
local s, r = mf.analysis.factors { lr = 0.1, mu = 0.9, B = 4 }
H.close(s, 0.01 / (4 * 0.01), 1e-14, "speed factor")
H.close(r, 0.1 / (4 * 0.1), 1e-14, "range factor")
local uv = mf.analysis.uv_timescales { lr = 1e-3, gamma = 2 / 3, C = 0.17, eps = 0.5, mu2 = 1, P = 5 }
H.close(uv.C_star, (0.25 / 5) ^ (1 / 3), 1e-14, "C*")
H.raises({ "mf.analysis.hb_spectrum", "option 'beta'", "[0, 1)" }, mf.analysis.hb_spectrum, { lr = 0.1, beta = 1, lambda = 1 })

-- mu_2 and C* of the vector UV model; matrix sensing's App. D estimate
do
  local L = mf.landscape.uv { n = 10, P = 5, d = 1, m = 1, seed = 3 }
  local s = 0
  for a = 1, 5 do s = s + L.X[a][1] ^ 2 end
  H.close(mf.analysis.uv_mu2(L), s / 5, 1e-15, "mu_2 = (1/P) sum x_a^2")
  local C, mu2, P, n = mf.analysis.uv_cstar(L, 0.5)
  H.check(P == 5 and n == 10, "uv_cstar reads P and n from the landscape")
  H.close(C, (0.25 * mu2 / 50) ^ (1 / 3), 1e-14, "C* = (eps^2 mu_2/(P n))^(1/3)")
  local L2 = mf.landscape.uv { n = 4, P = 7, d = 3, m = 2 }
  local _, _, P2, n2 = mf.analysis.uv_cstar(L2, 1)
  H.check(P2 == 7 and n2 == 4, "uv_cstar: P and n with d = 3, m = 2")
  local sc = mf.analysis.sensing_cstar { lr = 0.1, eps = math.sqrt(0.1), d = 100, P = 2500 }
  H.close(sc.C_P13, 0.002 ^ (1 / 3), 1e-14, "sensing C* P^(1/3) = (2 eps^2/d)^(1/3) = 0.126 (paper: ~0.12)")
  H.close(sc.beta, 1 - sc.C * 0.1 ^ (2 / 3), 1e-15, "beta* = 1 - C eta^(2/3)")
  H.raises({ "mf.analysis.uv_mu2", "must be a uv landscape" }, mf.analysis.uv_mu2, mf.landscape.valley {})
  H.raises({ "mf.analysis.sensing_cstar", "option 'eps'" }, mf.analysis.sensing_cstar, { lr = 0.1, eps = -1, d = 10, P = 10 })
end
H.finish()
