-- mf.ode: a user's own ODE dy/dt = f(t, y) integrated with mflab's integrators (the adaptive
-- Dormand-Prince 5(4) and the classical RK4 that the manifold flows use), recorded on a grid.
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check

local M = {}

local integrate_schema = schema.new("mf.ode.integrate", {
  { name = "rhs", kind = "function", required = true,
    doc = "f(t, y) -> a table of #y0 numbers, dy/dt (y is passed as a fresh table)" },
  { name = "y0", kind = "point", required = true, doc = "the state at t0" },
  { name = "t1", kind = "number", required = true, doc = "end time (> t0)" },
  { name = "t0", kind = "number", default = 0, doc = "start time" },
  { name = "every", kind = "positive", doc = "record spacing in time (default: (t1 - t0)/1000); t1 is always recorded" },
  { name = "method", kind = "string", default = "dp45", one_of = { "dp45", "rk4" },
    doc = "'dp45': adaptive Dormand-Prince 5(4) to rtol/atol per step; 'rk4': classical RK4 with fixed step h" },
  { name = "rtol", kind = "positive", default = 1e-10, doc = "dp45: relative tolerance per step" },
  { name = "atol", kind = "positive", default = 1e-12, doc = "dp45: absolute tolerance per step" },
  { name = "h", kind = "positive", doc = "rk4: step size (default: every/10); a step never crosses a record time" },
  { name = "names", kind = "names", doc = "names of the components (default y1, y2, ...): the solution's series are sol[name]" },
}, "integrates dy/dt = f(t, y) from t0 to t1; returns sol with sol.t (record times), sol.y (the state at each record), one series per component (sol.y1 ... or sol[name]) and sol.stats = {accepted, rejected, evals}")

-- mf.ode.integrate{rhs = f, y0 = {...}, t1 = T [, t0, every, method, rtol, atol, h, names]}
function M.integrate(opts)
  local o = check(integrate_schema, opts)
  local n = #o.y0
  if not (o.t1 > o.t0) then
    error(("mf.ode.integrate: option 't1' must be > t0 = %.17g, got %.17g"):format(o.t0, o.t1), 2)
  end
  if o.names and #o.names ~= n then
    error(("mf.ode.integrate: option 'names' has %d names for %d components"):format(#o.names, n), 2)
  end
  local every = o.every or (o.t1 - o.t0) / 1000
  local nrec = math.ceil((o.t1 - o.t0) / every - 1e-9)
  if nrec > 1e7 then
    error(("mf.ode.integrate: option 'every' gives %d records (at most 1e7)"):format(nrec), 2)
  end
  local times = { o.t0 }
  for j = 1, nrec - 1 do times[#times + 1] = o.t0 + j * every end
  times[#times + 1] = o.t1
  local y0 = {}
  for k = 1, n do y0[k] = o.y0[k] end
  local ok, ys, acc, rej, evals = pcall(core.ode_integrate, o.rhs, y0, times, o.method, o.rtol, o.atol,
    o.h or every / 10)
  if not ok then error(ys, 2) end
  local sol = { t = times, y = ys, stats = { accepted = acc, rejected = rej, evals = evals } }
  for k = 1, n do
    local s = {}
    for j = 1, #ys do s[j] = ys[j][k] end
    sol[o.names and o.names[k] or ("y" .. k)] = s
  end
  return sol
end

return M
