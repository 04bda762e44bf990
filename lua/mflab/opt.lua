-- mf.opt: optimizers (MATH.md §3).
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor

local M = {}

local sgd_schema = schema.new("mf.opt.sgd", {
  { name = "lr", kind = "positive", required = true, doc = "learning rate eta" },
}, "z <- z - lr g, g the noisy gradient (MATH.md §3)")

function M.sgd(opts)
  local o = check(sgd_schema, opts)
  return core.sgd(o.lr)
end

return M
