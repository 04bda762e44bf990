-- mf.manifold: effective dynamics on the manifold of minima (MATH.md §4).
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor
local progress = require "mflab.progress"

local M = {}

local flow_schema = schema.new("mf.manifold.flow", {
  { name = "landscape", kind = "landscape", required = true, doc = "the loss landscape" },
  { name = "optimizer", kind = "optimizer", required = true, doc = "the optimizer whose effective dynamics to build" },
  { name = "noise", kind = "noise", required = true, doc = "the gradient-noise model" },
}, "first-order manifold ODE dz/dt = -sum V_ij grad_M A_ij (MATH.md §4), t = k lr")

local integrate_schema = schema.new("flow:integrate", {
  { name = "x0", kind = "point", required = true, doc = "start; projected onto the manifold first" },
  { name = "steps", kind = "natural", required = true, doc = "iterations (one RK4 step of dt = lr each)" },
  { name = "every", kind = "count", doc = "record every this many iterations (default: steps/1000, at least 1)" },
  { name = "scheme", kind = "string", default = "rk4", one_of = { "rk4", "momentum" },
    doc = "'rk4': the first-order ODE (Q(13), (19)) by RK4; 'momentum': the momentum-like discretization of Q(17), m <- mu m - lr G, z <- P(z + m)" },
  { name = "quiet", kind = "boolean", default = false, doc = "no progress bar (shown on a terminal's stderr for runs over a second)" },
  { name = "progress", kind = "function", doc = "called as progress(done, total, seconds) a few times a second instead of the bar" },
}, "integrates the flow with RK4 on mf.run's step grid; returns a one-seed result (r.t, r.x1, ...)")

function M.flow(opts)
  local o = check(flow_schema, opts)
  return core.flow(o.landscape, o.optimizer, o.noise)
end

local core_integrate = core.methods.flow.integrate
function core.methods.flow.integrate(self, opts)
  local o = check(integrate_schema, opts)
  o.every = o.every or math.max(1, o.steps // 1000)
  o.meta = ("mflab %s; %s; steps=%d every=%d"):format(core.version, tostring(self), o.steps, o.every)
  local finish
  o.progress, finish = progress.choose(o, "flow:integrate", 1, "steps")
  return progress.finally(finish, core_integrate, self, o)
end

return M
