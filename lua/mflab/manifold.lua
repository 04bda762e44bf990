-- mf.manifold: effective dynamics on the manifold of minima (doc/math.md §4).
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor
local progress = require "mflab.progress"

local M = {}

local flow_schema = schema.new("mf.manifold.flow", {
  { name = "landscape", kind = "landscape", required = true, doc = "the loss landscape" },
  { name = "optimizer", kind = "optimizer", required = true, doc = "the optimizer whose effective dynamics to build" },
  { name = "noise", kind = "noise", required = true, doc = "the gradient-noise model" },
  { name = "order", kind = "count", default = 1, one_of = { 1, 2 },
    doc = "1: the first-order flow; 2: the second-order (momentum) system of Q(17) / Q(46), for momentum optimizers and adam" },
}, "the effective dynamics on the manifold of minima (doc/math.md §4): dz/dt = -sum V_ij grad_M A_ij with V from the Lyapunov equation (SGD, Q(12)), eq. (39) (momentum, /(1-mu)), or Adam's quasistatic fast subsystem on the rotated valley; t = k lr (k lr^2 for adam)")

local integrate_schema = schema.new("flow:integrate", {
  { name = "x0", kind = "point", required = true, doc = "start; projected onto the manifold first" },
  { name = "steps", kind = "natural", required = true, doc = "iterations of the optimizer (time lr each, lr^2 for adam)" },
  { name = "every", kind = "count", doc = "record every this many iterations (default: steps/1000, at least 1)" },
  { name = "method", kind = "string", one_of = { "rk4", "dp45", "em", "momentum" },
    doc = "'rk4': one RK4 step per iteration (default for ODEs); 'dp45': adaptive Dormand-Prince 5(4) to rtol/atol (a stiff flow, whose stable step is far below the record spacing, stops with an error naming the remedy); 'em': Euler-Maruyama, one path per seed (default and required with tangent noise); 'momentum': the momentum-like discretization of Q(17) (order 2)" },
  { name = "rtol", kind = "positive", default = 1e-9, doc = "dp45: relative tolerance per step" },
  { name = "atol", kind = "positive", default = 1e-12, doc = "dp45: absolute tolerance per step" },
  { name = "seeds", kind = "count", default = 1, doc = "em: number of paths (path i uses stream (seed, i))" },
  { name = "seed", kind = "natural", default = 0, doc = "em: base seed" },
  { name = "h", kind = "count", default = 1, doc = "rk4, em: iterations per step (time h lr each, h lr^2 for adam); a step never crosses a record, so the last one before it may be shorter" },
  { name = "quiet", kind = "boolean", default = false, doc = "no progress bar (shown on a terminal's stderr for runs over a second)" },
  { name = "progress", kind = "function", doc = "called as progress(done, total, seconds) a few times a second instead of the bar" },
}, "integrates the flow on mf.run's step grid, projecting onto the manifold after every step; returns a result like mf.run's (r.t, r.x1, ..., and m1.. for order 2; one seed per path)")

function M.flow(opts)
  local o = check(flow_schema, opts)
  return core.flow(o.landscape, o.optimizer, o.noise, o.order)
end

local core_integrate = core.methods.flow.integrate
function core.methods.flow.integrate(self, opts)
  local o = check(integrate_schema, opts)
  o.every = o.every or math.max(1, o.steps // 1000)
  o.meta = ("mflab %s; %s; steps=%d every=%d method=%s"):format(core.version, tostring(self), o.steps,
    o.every, o.method or "default")
  local x0 = {}
  for k = 1, #o.x0 do x0[k] = o.x0[k] end
  -- what the flow was made from (mf.manifold.flow's options), each object by constructor and
  -- options; method is filled in by the engine with the one used
  local made = schema.made[self]
  local fo = made and made.options or {}
  o.metadata = { mflab = core.version, made_by = "flow:integrate", flow = tostring(self), x0 = x0,
    landscape = schema.describe(fo.landscape), optimizer = schema.describe(fo.optimizer),
    noise = fo.noise and schema.describe(fo.noise) or nil, order = fo.order,
    steps = o.steps, every = o.every, seeds = o.seeds, seed = o.seed, h = o.h, rtol = o.rtol, atol = o.atol,
    method = o.method }
  local finish
  o.progress, finish = progress.choose(o, "flow:integrate", 1, "steps")
  return progress.finally(finish, core_integrate, self, o)
end

return M
