-- mf.noise: gradient-noise models (doc/math.md §2).
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor

local M = {}

local hessian_schema = schema.new("mf.noise.hessian", {
  { name = "sigma", kind = "nonnegative", default = 1, doc = "noise scale: D D^T = (sigma^2/2) H_f(Pz)" },
}, "Hessian-aligned gradient noise, covariance (sigma^2/2) H_f at the projection (doc/math.md §2)")

function M.hessian(opts)
  local o = check(hessian_schema, opts)
  return core.noise_hessian(o.sigma)
end

local isotropic_schema = schema.new("mf.noise.isotropic", {
  { name = "sigma", kind = "nonnegative", default = 1, doc = "noise scale: D D^T = sigma^2 P" },
  { name = "space", kind = "string", default = "normal", one_of = { "normal", "full" },
    doc = "'normal': covariance sigma^2 P_T (normal space only); 'full': sigma^2 I" },
}, "isotropic gradient noise (doc/math.md §2)")

function M.isotropic(opts)
  local o = check(isotropic_schema, opts)
  return core.noise_isotropic(o.sigma, o.space)
end

local none_schema = schema.new("mf.noise.none", {}, "no noise: the exact gradient (what mf.run uses when noise is omitted)")

function M.none(opts)
  check(none_schema, opts)
  return core.noise_none()
end

local label_schema = schema.new("mf.noise.label", {
  { name = "eps", kind = "nonnegative", required = true,
    doc = "label-noise scale: every step each target y_a -> y_a + eps xi_a, xi_a ~ N(0, 1)" },
}, "label noise on landscapes with per-example residuals (uv, matrix_factorization, ...): the gradient of the loss with freshly perturbed targets; D D^T = 2 w eps^2 H_f on the zero-loss manifold, f = w sum_a r_a^2 (doc/math.md §2, flatter-faster eq. (1))")

function M.label(opts)
  local o = check(label_schema, opts)
  return core.noise_label(o.eps)
end

local minibatch_schema = schema.new("mf.noise.minibatch", {
  { name = "B", kind = "number", required = true, check = function(v) return v >= 1, "a number >= 1" end,
    doc = "batch size: the covariance of `of` is divided by B" },
  { name = "of", kind = "noise", required = true, doc = "the single-sample noise model (mf.noise.*)" },
}, "minibatch noise: covariance D D^T / B (quasistatic eq. (20); doc/math.md §2)")

function M.minibatch(opts)
  local o = check(minibatch_schema, opts)
  return core.noise_minibatch(o.of, o.B)
end

return M
