-- mf.noise: gradient-noise models (MATH.md §2).
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor

local M = {}

local hessian_schema = schema.new("mf.noise.hessian", {
  { name = "sigma", kind = "nonnegative", default = 1, doc = "noise scale: D D^T = (sigma^2/2) H_f(Pz)" },
}, "Hessian-aligned gradient noise, covariance (sigma^2/2) H_f at the projection (MATH.md §2)")

function M.hessian(opts)
  local o = check(hessian_schema, opts)
  return core.noise_hessian(o.sigma)
end

local isotropic_schema = schema.new("mf.noise.isotropic", {
  { name = "sigma", kind = "nonnegative", default = 1, doc = "noise scale: D D^T = sigma^2 P" },
  { name = "space", kind = "string", default = "normal", one_of = { "normal", "full" },
    doc = "'normal': covariance sigma^2 P_T (normal space only); 'full': sigma^2 I" },
}, "isotropic gradient noise (MATH.md §2)")

function M.isotropic(opts)
  local o = check(isotropic_schema, opts)
  return core.noise_isotropic(o.sigma, o.space)
end

return M
