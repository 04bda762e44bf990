-- mf.opt: optimizers (doc/math.md §3). Options named as torch.optim names them, with its defaults,
-- where the optimizer exists there; `lr` is everywhere a number, a schedule (mf.schedule.*)
-- or a Lua function of the step. Each step uses the noisy gradient g = grad f - D xi.
local core = require "mflab.core"
local schema = require "mflab.schema"
local schedule = require "mflab.schedule"
local check = schema.check -- errors point at the user's call of the constructor

local M = {}

local function unit(v) return v >= 0 and v < 1, "a number in [0, 1)" end
local function betas(v)
  local ok = #v == 2 and type(v[1]) == "number" and type(v[2]) == "number"
      and v[1] >= 0 and v[1] < 1 and v[2] >= 0 and v[2] < 1
  return ok, "two numbers {beta1, beta2} in [0, 1)"
end

local lr_req = { name = "lr", kind = "lr", required = true, doc = "learning rate: a number, a schedule or a function of the step" }
local function lr_def(v) return { name = "lr", kind = "lr", default = v, doc = "learning rate: a number, a schedule or a function of the step" } end

local defs = {
  sgd = { doc = "torch.optim.SGD: g <- g + wd z; b <- g (step 1), b <- momentum b + (1 - dampening) g; g <- g + momentum b (nesterov) or b; z <- z - lr g",
    lr_req,
    { name = "momentum", kind = "number", default = 0, check = unit, doc = "momentum factor" },
    { name = "dampening", kind = "number", default = 0, check = function(v) return v >= 0 and v <= 1, "a number in [0, 1]" end, doc = "dampening of the momentum" },
    { name = "weight_decay", kind = "nonnegative", default = 0, doc = "L2 penalty added to the gradient" },
    { name = "nesterov", kind = "boolean", default = false, doc = "Nesterov momentum (needs momentum > 0, dampening = 0)" } },
  momentum = { doc = "quasistatic eq. (15): m <- mu m - lr g; z <- z + m",
    lr_req,
    { name = "mu", kind = "number", required = true, check = unit, doc = "momentum factor mu in [0, 1)" } },
  heavy_ball = { doc = "flatter-faster eq. (1): pi <- beta pi - g; z <- z + lr pi (the same as momentum with m = lr pi)",
    lr_req,
    { name = "beta", kind = "number", required = true, check = unit, doc = "momentum factor beta in [0, 1)" } },
  adam = { doc = "torch.optim.Adam (weight decay added to the gradient)",
    lr_def(1e-3),
    { name = "betas", kind = "table", default = { 0.9, 0.999 }, check = betas, doc = "{beta1, beta2}: averaging of the gradient and its square" },
    { name = "eps", kind = "positive", default = 1e-8, doc = "added to the denominator" },
    { name = "weight_decay", kind = "nonnegative", default = 0, doc = "L2 penalty added to the gradient" } },
  adamw = { doc = "torch.optim.AdamW (decoupled weight decay: z <- z (1 - lr wd) first)",
    lr_def(1e-3),
    { name = "betas", kind = "table", default = { 0.9, 0.999 }, check = betas, doc = "{beta1, beta2}" },
    { name = "eps", kind = "positive", default = 1e-8, doc = "added to the denominator" },
    { name = "weight_decay", kind = "nonnegative", default = 1e-2, doc = "decoupled weight decay" } },
  rmsprop = { doc = "torch.optim.RMSprop",
    lr_def(1e-2),
    { name = "alpha", kind = "number", default = 0.99, check = unit, doc = "smoothing constant of the squared-gradient average" },
    { name = "eps", kind = "positive", default = 1e-8, doc = "added to the denominator" },
    { name = "weight_decay", kind = "nonnegative", default = 0, doc = "L2 penalty added to the gradient" },
    { name = "momentum", kind = "number", default = 0, check = unit, doc = "momentum factor" },
    { name = "centered", kind = "boolean", default = false, doc = "normalize by the variance estimate" } },
  scalar_rmsprop = { doc = "sharpness paper Def. B.1: z <- z - lr g/sqrt(v_t), v_{t+1} = beta v_t + (1 - beta)|g|^2",
    lr_req,
    { name = "beta", kind = "number", default = 0.99, check = unit, doc = "averaging of |g|^2" },
    { name = "v0", kind = "positive", required = true, doc = "v_1, the initial average of |g|^2" } },
  gd_wd = { doc = "sharpness paper eq. (1): z <- (1 - lr wd) z - lr g",
    { name = "lr", kind = "positive", required = true, doc = "learning rate eta-hat (constant)" },
    { name = "wd", kind = "nonnegative", required = true, doc = "weight decay lambda-hat; lr * wd < 1" } },
  projected_gd = { doc = "gradient descent on the unit sphere: z <- (z - lr g)/|z - lr g|",
    lr_req },
}

local function show(v)
  if type(v) == "table" and not schedule.is_schedule(v) then
    local t = {}
    for i = 1, #v do t[i] = show(v[i]) end
    return "{" .. table.concat(t, ", ") .. "}"
  elseif type(v) == "function" then
    return "function"
  end
  return tostring(v)
end

for name, def in pairs(defs) do
  local options = {}
  for i = 1, #def do options[i] = def[i] end
  local s = schema.new("mf.opt." .. name, options, def.doc)
  M[name] = function(opts)
    local o = check(s, opts)
    if o.betas then o.betas = { o.betas[1], o.betas[2] } end
    local parts = {}
    for _, opt in ipairs(options) do parts[#parts + 1] = opt.name .. " = " .. show(o[opt.name]) end
    local desc = name .. "{" .. table.concat(parts, ", ") .. "}"
    local lr = o.lr
    if schedule.is_schedule(lr) and lr.kind == "function" then lr = lr.fn end
    local args = {}
    for k, v in pairs(o) do args[k] = v end
    args.lr = lr
    local ok, res = pcall(core.optim, name, args, desc)
    if not ok then error(res, 2) end
    return res
  end
end

return M
