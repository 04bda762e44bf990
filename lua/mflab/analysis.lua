-- mf.analysis: the measurements the papers make. Hessian spectra and traces of a landscape at
-- a point, spherical sharpness, distance to the manifold (also reachable as mf.hessian), fits
-- (mf.fit) and the closed forms of doc/math.md §4.
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check

local M = {}

local function udname(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name or nil
end

local function need_landscape(fname, L)
  if udname(L) ~= "mflab.landscape" then
    error(("%s: argument 'L' must be a landscape, got %s"):format(fname, udname(L) or type(L)), 3)
  end
end

local function norm(z)
  local s = 0
  for i = 1, #z do s = s + z[i] * z[i] end
  return math.sqrt(s)
end

local trace_schema = schema.new("mf.analysis.trace", {
  { name = "method", kind = "string", default = "exact", one_of = { "exact", "hutchinson" },
    doc = "'exact': the diagonal of the Hessian; 'hutchinson': Rademacher probes v^T H v" },
  { name = "tol", kind = "positive", default = 1e-2, doc = "hutchinson: stop when the standard error is below tol * |estimate|" },
  { name = "max_samples", kind = "count", default = 1000, doc = "hutchinson: at most this many probes" },
  { name = "seed", kind = "natural", default = 0, doc = "hutchinson: seed of the probes" },
}, "trace of the Hessian of L at z; returns trace, standard error (0 when exact), probes used")

-- mf.analysis.trace(L, z [, opts]) -> trace, se, samples
function M.trace(L, z, opts)
  need_landscape("mf.analysis.trace", L)
  local o = check(trace_schema, opts)
  return core.hessian_trace(L, z, o.method, o.tol, o.max_samples, o.seed)
end

local top_schema = schema.new("mf.analysis.top", {
  { name = "tol", kind = "positive", default = 1e-10, doc = "stop when each Ritz residual is below tol * |eigenvalue|" },
  { name = "maxiter", kind = "natural", default = 0, doc = "at most this many Hessian-vector products (0: the dimension)" },
  { name = "seed", kind = "natural", default = 0, doc = "seed of the start vector" },
}, "top-k eigenpairs of the Hessian of L at z by Lanczos with full reorthogonalization; returns values (descending), vectors, products used")

-- mf.analysis.top(L, z, k [, opts]) -> values, vectors, products
function M.top(L, z, k, opts)
  need_landscape("mf.analysis.top", L)
  k = schema.tocount(k) or error("mf.analysis.top: argument 'k' must be an integer >= 1, got " .. tostring(k), 2)
  local o = check(top_schema, opts)
  return core.hessian_top(L, z, k, o.tol, o.maxiter, o.seed)
end

-- mf.analysis.spherical_sharpness(L, w) = lambda_1(H(w/|w|)) = |w|^2 lambda_1(H(w))
-- (sharpness paper Q.3), for scale-invariant landscapes L(c w) = L(w).
function M.spherical_sharpness(L, w)
  local fname = "mf.analysis.spherical_sharpness"
  need_landscape(fname, L)
  if type(w) ~= "table" and udname(w) ~= "mflab.vector" then
    error(fname .. ": argument 'w' must be a table of numbers or a vector", 2)
  end
  local n = norm(w)
  if not (n > 0) then error(fname .. ": argument 'w' must be non-zero", 2) end
  local u, w2 = {}, {}
  for i = 1, #w do u[i], w2[i] = w[i] / n, 2 * w[i] end
  local f1, f2 = L:value(w), L:value(w2)
  if math.abs(f2 - f1) > 1e-9 * (math.abs(f1) + 1e-12) then
    error(("%s: landscape '%s' is not scale-invariant (L(2w) = %.10g, L(w) = %.10g)")
      :format(fname, L.name, f2, f1), 2)
  end
  local vals = core.hessian_top(L, u, 1, 1e-12, 0, 0)
  return vals[1]
end

-- mf.analysis.distance_to_manifold(L, z) = |z - P(z)|
function M.distance_to_manifold(L, z)
  need_landscape("mf.analysis.distance_to_manifold", L)
  local p = L:project(z)
  local s = 0
  for i = 1, #p do s = s + (z[i] - p[i]) ^ 2 end
  return math.sqrt(s)
end

-- Fits -----------------------------------------------------------------------------------
M.fit = {}

local function is_finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

local fit_schema = schema.new("mf.fit", {
  { name = "from", kind = "number", doc = "use only points with x >= from (a window; default: all)" },
  { name = "to", kind = "number", doc = "use only points with x <= to (default: all)" },
}, "options of the fit helpers")

-- The points a fit uses: x[i], y[i] for i = 1..#x inside the window, skipping missing (nil)
-- or non-finite values, which a sweep leaves where a point failed or diverged. Returns the
-- kept x, y and the number skipped.
local function fit_points(fname, x, y, opts)
  for _, a in ipairs { { "x", x }, { "y", y } } do
    local t = type(a[2]) == "table" and "table" or udname(a[2])
    if t ~= "table" and t ~= "mflab.vector" then
      error(("%s: argument '%s' must be a table of numbers or a vector, got %s"):format(fname, a[1], t or type(a[2])), 3)
    end
  end
  local o = check(fit_schema, opts)
  -- y may hold nil for missing points, so #y may stop early; lengths differ only when y has
  -- nothing at the end of x's range either
  if #y > #x or (#y < #x and y[#x] == nil) then
    error(("%s: x and y have different lengths (%d and %d)"):format(fname, #x, #y), 3)
  end
  local xs, ys, skipped = {}, {}, 0
  for i = 1, #x do
    local xi, yi = x[i], y[i]
    if not (is_finite(xi) and is_finite(yi)) then
      skipped = skipped + 1
    elseif (o.from == nil or xi >= o.from) and (o.to == nil or xi <= o.to) then
      xs[#xs + 1], ys[#ys + 1] = xi, yi
    end
  end
  return xs, ys, skipped
end

local function fit_note(r)
  if r.skipped > 0 then r.note = ("%d of %d points skipped (missing or not finite)"):format(r.skipped, r.n + r.skipped) end
  return r
end

-- mf.fit.exp_timescale(t, y [, {from =, to =}]): y = a exp(-t/T) by a log-linear fit over the
-- window from <= t <= to
function M.fit.exp_timescale(t, y, opts)
  local x, v, skipped = fit_points("mf.fit.exp_timescale", t, y, opts)
  local p, se, rss = core.fit("exp_timescale", x, v)
  return fit_note { T = p[1], se_T = se[1], a = p[2], se_a = se[2], rate = p[3], se_rate = se[3], rss = rss, n = #x, skipped = skipped }
end

-- mf.fit.powerlaw(x, y [, {from =, to =}]): y = c x^exponent by a log-log fit
function M.fit.powerlaw(x, y, opts)
  local xs, ys, skipped = fit_points("mf.fit.powerlaw", x, y, opts)
  local p, se, rss = core.fit("powerlaw", xs, ys)
  return fit_note { exponent = p[1], se_exponent = se[1], c = p[2], se_c = se[2], rss = rss, n = #xs, skipped = skipped }
end

-- mf.fit.vee(x, y [, {from =, to =}]): Flatter-faster eq. (14), y = a_max + a1 (x - x*) left of x*, a2 (x - x*) right
function M.fit.vee(x, y, opts)
  local xs, ys, skipped = fit_points("mf.fit.vee", x, y, opts)
  local p, se, rss = core.fit("vee", xs, ys)
  return fit_note { x_opt = p[1], se_x_opt = se[1], a_max = p[2], se_a_max = se[2], a1 = p[3], se_a1 = se[3],
           a2 = p[4], se_a2 = se[4], rss = rss, n = #xs, skipped = skipped }
end

-- Closed forms (doc/math.md §4) ------------------------------------------------------------------

local hb_schema = schema.new("mf.analysis.hb_spectrum", {
  { name = "lr", kind = "positive", required = true, doc = "learning rate eta" },
  { name = "beta", kind = "nonnegative", required = true, doc = "momentum beta in [0, 1)", check = function(v) return v < 1, "a number in [0, 1)" end },
  { name = "lambda", kind = "number", required = true, doc = "Hessian eigenvalue of the direction" },
}, "heavy-ball Jacobian eigenvalues kappa_pm = (1 + beta - eta lambda +- sqrt((1 + beta - eta lambda)^2 - 4 beta))/2; returns two {re, im, abs}")

function M.hb_spectrum(opts)
  local o = check(hb_schema, opts)
  local r1, i1, r2, i2 = core.closed("hb_spectrum", o.lr, o.beta, o.lambda)
  return { re = r1, im = i1, abs = math.sqrt(r1 * r1 + i1 * i1) }, { re = r2, im = i2, abs = math.sqrt(r2 * r2 + i2 * i2) }
end

local ou_schema = schema.new("mf.analysis.ou_variance", {
  { name = "lr", kind = "positive", required = true, doc = "learning rate eta" },
  { name = "beta", kind = "nonnegative", required = true, doc = "momentum beta in [0, 1)", check = function(v) return v < 1, "a number in [0, 1)" end },
  { name = "lambda", kind = "positive", required = true, doc = "Hessian eigenvalue of the direction" },
  { name = "eps", kind = "nonnegative", required = true, doc = "label-noise scale epsilon" },
  { name = "Lambda", kind = "nonnegative", default = 1, doc = "noise variance along the direction" },
}, "stationary variance of heavy-ball weights along an eigen-direction (Flatter-faster App. F; eq. (171) corrected by the factor (1 + beta))")

function M.ou_variance(opts)
  local o = check(ou_schema, opts)
  return core.closed("ou_variance", o.lr, o.beta, o.lambda, o.eps, o.Lambda)
end

local uv_schema = schema.new("mf.analysis.uv_timescales", {
  { name = "lr", kind = "positive", required = true, doc = "learning rate eta" },
  { name = "gamma", kind = "positive", required = true, doc = "exponent of beta = 1 - C eta^gamma" },
  { name = "C", kind = "positive", required = true, doc = "prefactor of beta = 1 - C eta^gamma" },
  { name = "eps", kind = "positive", required = true, doc = "label-noise scale epsilon" },
  { name = "mu2", kind = "positive", required = true, doc = "data variance mu_2 = (1/P) sum x_a^2" },
  { name = "n", kind = "positive", default = 1, doc = "width n" },
  { name = "P", kind = "positive", required = true, doc = "number of examples" },
}, "vector UV model timescales (Flatter-faster eqs. (9), (10)): tau1 = 2/(C eta^gamma), tau2, and C*")

function M.uv_timescales(opts)
  local o = check(uv_schema, opts)
  return {
    tau1 = core.closed("uv_tau1", o.lr, o.gamma, o.C),
    tau2 = core.closed("uv_tau2", o.lr, o.gamma, o.C, o.eps, o.mu2, o.n, o.P),
    C_star = core.closed("uv_cstar", o.eps, o.mu2, o.n, o.P),
  }
end

-- mf.analysis.uv_mu2(L): the data variance mu_2 = tr Sigma = (1/P) sum_a |x_a|^2 of a UV
-- landscape (Flatter-faster §3.4), from the inputs it drew (L.X)
function M.uv_mu2(L)
  need_landscape("mf.analysis.uv_mu2", L)
  if L.name ~= "uv" then
    error(("mf.analysis.uv_mu2: argument 'L' must be a uv landscape, got '%s'"):format(L.name), 2)
  end
  local X, s = L.X, 0
  for a = 1, #X do
    for l = 1, #X[a] do s = s + X[a][l] * X[a][l] end
  end
  return s / #X
end

-- mf.analysis.uv_cstar(L, eps): C* = (eps^2 mu_2/(P n))^(1/3) (Flatter-faster eq. (10)'s
-- optimum) for the data a UV landscape drew; also returns mu_2, P and n
function M.uv_cstar(L, eps)
  local mu2 = M.uv_mu2(L)
  if not (type(eps) == "number" and eps > 0 and eps < math.huge) then
    error("mf.analysis.uv_cstar: argument 'eps' must be a finite number > 0, got " .. tostring(eps), 2)
  end
  local P, n = #L.X, L.dim // (#L.X[1] + L.nres // #L.X) -- dim = (m + d) n, nres = P m
  return core.closed("uv_cstar", eps, mu2, n, P), mu2, P, n
end

local sensing_schema = schema.new("mf.analysis.sensing_cstar", {
  { name = "lr", kind = "positive", required = true, doc = "learning rate eta" },
  { name = "eps", kind = "positive", required = true, doc = "label-noise scale epsilon (variance eps^2)" },
  { name = "d", kind = "count", required = true, doc = "matrix size d" },
  { name = "P", kind = "count", required = true, doc = "number of measurements" },
  { name = "a2", kind = "positive", default = 1, doc = "second moment <a_ij^2> of the measurement entries" },
}, "matrix sensing's optimal momentum (Flatter-faster App. D, eq. (131)): C^3 = 2 eps^2 <a^2>/(d P), beta* = 1 - C eta^(2/3); returns C, beta, C P^(1/3)")

-- mf.analysis.sensing_cstar{lr, eps, d, P [, a2]} -> {C =, beta =, C_P13 =}: the crude
-- estimate of App. D (the top eigenvalue of S approximated by Tr Sigma^1/d); the paper measures
-- C* P^(1/3) ~ 0.24 against this ~0.12 (d = 100, eps^2 = 0.1)
function M.sensing_cstar(opts)
  local o = check(sensing_schema, opts)
  local C = (2 * o.eps * o.eps * o.a2 / (o.d * o.P)) ^ (1 / 3)
  return { C = C, beta = 1 - C * o.lr ^ (2 / 3), C_P13 = C * o.P ^ (1 / 3) }
end

local factor_schema = schema.new("mf.analysis.factors", {
  { name = "lr", kind = "positive", required = true, doc = "learning rate eta" },
  { name = "mu", kind = "nonnegative", default = 0, doc = "momentum mu in [0, 1)", check = function(v) return v < 1, "a number in [0, 1)" end },
  { name = "B", kind = "positive", default = 1, doc = "batch size (or 1/sigma^2)" },
}, "SGD-momentum speed factor s = eta^2/(B(1-mu)^2) and range factor r = eta/(B(1-mu)) (quasistatic §4)")

-- mf.analysis.factors{lr, mu, B} -> s, r
function M.factors(opts)
  local o = check(factor_schema, opts)
  return core.closed("speed", o.lr, o.mu, o.B), core.closed("range", o.lr, o.mu, o.B)
end

return M
