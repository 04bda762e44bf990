-- mf.landscape: loss landscapes (MATH.md §1). Each constructor checks its options against
-- its schema and builds the engine's landscape.
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor

local M = {}

local valley_schema = schema.new("mf.landscape.valley", {
  { name = "a", kind = "positive", default = 1, doc = "h(x) = a + b x^2: the curvature scale at x = 0" },
  { name = "b", kind = "nonnegative", default = 1, doc = "h(x) = a + b x^2: how fast the valley sharpens" },
  { name = "h", kind = "coefficients", doc = "h as polynomial coefficients {c0, c1, ...}, h(x) = c0 + c1 x + c2 x^2 + ... (replaces a and b); h must stay positive" },
}, "f(x, y) = h(x) y^2, manifold of minima y = 0 (MATH.md §1; quasistatic paper Fig. 1)")

function M.valley(opts)
  local o = check(valley_schema, opts)
  if o.h and (opts.a ~= nil or opts.b ~= nil) then
    error("mf.landscape.valley: give either option 'h' or options 'a'/'b', not both", 2)
  end
  return core.valley(o.h or { o.a, 0, o.b })
end

return M
