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

-- mf.fit.exp_timescale(t, y): y = a exp(-t/T) by a log-linear fit
function M.fit.exp_timescale(t, y)
  local p, se, rss = core.fit("exp_timescale", t, y)
  return { T = p[1], se_T = se[1], a = p[2], se_a = se[2], rate = p[3], se_rate = se[3], rss = rss, n = #t }
end

-- mf.fit.powerlaw(x, y): y = c x^exponent by a log-log fit
function M.fit.powerlaw(x, y)
  local p, se, rss = core.fit("powerlaw", x, y)
  return { exponent = p[1], se_exponent = se[1], c = p[2], se_c = se[2], rss = rss, n = #x }
end

-- mf.fit.vee(x, y): Flatter-faster eq. (14), y = a_max + a1 (x - x*) left of x*, a2 (x - x*) right
function M.fit.vee(x, y)
  local p, se, rss = core.fit("vee", x, y)
  return { x_opt = p[1], se_x_opt = se[1], a_max = p[2], se_a_max = se[2], a1 = p[3], se_a1 = se[3],
           a2 = p[4], se_a2 = se[4], rss = rss, n = #x }
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
