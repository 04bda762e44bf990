-- mflab: the Lua face of the engine. `local mf = require "mflab"` (inside the mflab
-- executable the global `mf` is this table). Constructors take one options table, checked
-- against the schemas below; the schemas are where every default is declared.
local core = require "mflab.core"
local schema = require "mflab.schema"

local mf = {
  version = core.version,
  core = core,
  schema = schema,
  landscape = {},
  opt = {},
  noise = {},
  manifold = {},
}

mf.vec = core.vector

local check = schema.check -- errors point at the user's call of the constructor

-- Landscapes ----------------------------------------------------------------------------

local valley_schema = schema.new("mf.landscape.valley", {
  { name = "a", kind = "positive", default = 1, doc = "h(x) = a + b x^2: the curvature scale at x = 0" },
  { name = "b", kind = "nonnegative", default = 1, doc = "h(x) = a + b x^2: how fast the valley sharpens" },
  { name = "h", kind = "coefficients", doc = "h as polynomial coefficients {c0, c1, ...}, h(x) = c0 + c1 x + c2 x^2 + ... (replaces a and b); h must stay positive" },
}, "f(x, y) = h(x) y^2, manifold of minima y = 0 (MATH.md §1; quasistatic paper Fig. 1)")

function mf.landscape.valley(opts)
  local o = check(valley_schema, opts)
  if o.h and (opts.a ~= nil or opts.b ~= nil) then
    error("mf.landscape.valley: give either option 'h' or options 'a'/'b', not both", 2)
  end
  return core.valley(o.h or { o.a, 0, o.b })
end

-- Optimizers ----------------------------------------------------------------------------

local sgd_schema = schema.new("mf.opt.sgd", {
  { name = "lr", kind = "positive", required = true, doc = "learning rate eta" },
}, "z <- z - lr g, g the noisy gradient (MATH.md §3)")

function mf.opt.sgd(opts)
  local o = check(sgd_schema, opts)
  return core.sgd(o.lr)
end

-- Noise models --------------------------------------------------------------------------

local hessian_schema = schema.new("mf.noise.hessian", {
  { name = "sigma", kind = "nonnegative", default = 1, doc = "noise scale: D D^T = (sigma^2/2) H_f(Pz)" },
}, "Hessian-aligned gradient noise, covariance (sigma^2/2) H_f at the projection (MATH.md §2)")

function mf.noise.hessian(opts)
  local o = check(hessian_schema, opts)
  return core.noise_hessian(o.sigma)
end

local isotropic_schema = schema.new("mf.noise.isotropic", {
  { name = "sigma", kind = "nonnegative", default = 1, doc = "noise scale: D D^T = sigma^2 P" },
  { name = "space", kind = "string", default = "normal", one_of = { "normal", "full" },
    doc = "'normal': covariance sigma^2 P_T (normal space only); 'full': sigma^2 I" },
}, "isotropic gradient noise (MATH.md §2)")

function mf.noise.isotropic(opts)
  local o = check(isotropic_schema, opts)
  return core.noise_isotropic(o.sigma, o.space)
end

-- Runs ----------------------------------------------------------------------------------

local run_schema = schema.new("mf.run", {
  { name = "landscape", kind = "landscape", required = true, doc = "the loss landscape" },
  { name = "optimizer", kind = "optimizer", required = true, doc = "the optimizer" },
  { name = "noise", kind = "noise", doc = "gradient-noise model (default: none)" },
  { name = "x0", kind = "point", required = true, doc = "starting point, the same for every trajectory" },
  { name = "steps", kind = "natural", required = true, doc = "number of optimizer steps" },
  { name = "every", kind = "count", doc = "record every this many steps (default: steps/1000, at least 1); the last step is always recorded" },
  { name = "seeds", kind = "count", default = 1, doc = "number of trajectories (each its own random stream)" },
  { name = "seed", kind = "natural", default = 0, doc = "base seed: trajectory i uses stream (seed, i)" },
  { name = "record", kind = "names", doc = "observables: 'x1'..'xd' (or 'x' for all), 'loss' (default: all coordinates and loss)" },
  { name = "threads", kind = "natural", default = 0, doc = "worker threads (0: all processors); results do not depend on it" },
  { name = "block", kind = "count", doc = "trajectories stepped together per block (default: automatic, at most 256); results do not depend on it" },
}, "steps an ensemble of trajectories in lockstep and records observables")

local function describe(x) return x == nil and "none" or tostring(x) end

function mf.run(opts)
  local o = check(run_schema, opts)
  local d = o.landscape.dim
  local names = {}
  for _, n in ipairs(o.record or { "x", "loss" }) do
    if n == "x" then
      for k = 1, d do names[#names + 1] = "x" .. k end
    else
      names[#names + 1] = n
    end
  end
  o.record = names
  o.every = o.every or math.max(1, o.steps // 1000)
  o.meta = ("mflab %s; landscape: %s; optimizer: %s; noise: %s; steps=%d every=%d seeds=%d seed=%d")
      :format(mf.version, tostring(o.landscape), tostring(o.optimizer), describe(o.noise), o.steps,
        o.every, o.seeds, o.seed)
  return core.run(o)
end

-- Manifold dynamics ---------------------------------------------------------------------

local flow_schema = schema.new("mf.manifold.flow", {
  { name = "landscape", kind = "landscape", required = true, doc = "the loss landscape" },
  { name = "optimizer", kind = "optimizer", required = true, doc = "the optimizer whose effective dynamics to build" },
  { name = "noise", kind = "noise", required = true, doc = "the gradient-noise model" },
}, "first-order manifold ODE dz/dt = -sum V_ij grad_M A_ij (MATH.md §4), t = k lr")

local integrate_schema = schema.new("flow:integrate", {
  { name = "x0", kind = "point", required = true, doc = "start; projected onto the manifold first" },
  { name = "steps", kind = "natural", required = true, doc = "iterations (one RK4 step of dt = lr each)" },
  { name = "every", kind = "count", doc = "record every this many iterations (default: steps/1000, at least 1)" },
}, "integrates the flow with RK4 on mf.run's step grid; returns a one-seed result (r.t, r.x1, ...)")

function mf.manifold.flow(opts)
  local o = check(flow_schema, opts)
  return core.flow(o.landscape, o.optimizer, o.noise)
end

local core_integrate = core.methods.flow.integrate
function core.methods.flow.integrate(self, opts)
  local o = check(integrate_schema, opts)
  o.every = o.every or math.max(1, o.steps // 1000)
  o.meta = ("mflab %s; %s; steps=%d every=%d"):format(mf.version, tostring(self), o.steps, o.every)
  return core_integrate(self, o)
end

-- Files -------------------------------------------------------------------------------

-- mf.write_csv(path, names, columns [, meta]): columns[k] is the array for names[k]; all of
-- equal length. meta (a string) becomes a first comment line "# meta". Numbers keep 17
-- significant digits. Written to a temporary name and renamed, so it is whole or absent.
function mf.write_csv(path, names, columns, meta)
  local fname = "mf.write_csv"
  if type(path) ~= "string" then error(fname .. ": argument 'path' must be a string", 2) end
  if type(names) ~= "table" or type(columns) ~= "table" or #names ~= #columns or #names == 0 then
    error(fname .. ": arguments 'names' and 'columns' must be non-empty tables of equal length", 2)
  end
  local n = #columns[1]
  for k = 1, #names do
    if type(names[k]) ~= "string" then error(fname .. ": names[" .. k .. "] must be a string", 2) end
    if #columns[k] ~= n then
      error(("%s: column '%s' has %d rows, column '%s' has %d"):format(fname, names[k], #columns[k], names[1], n), 2)
    end
  end
  local out = {}
  if meta then out[#out + 1] = "# " .. tostring(meta):gsub("\n", " ") end
  out[#out + 1] = table.concat(names, ",")
  local row = {}
  for j = 1, n do
    for k = 1, #columns do
      local v = columns[k][j]
      row[k] = math.type(v) == "integer" and tostring(v) or ("%.17g"):format(v)
    end
    out[#out + 1] = table.concat(row, ",")
  end
  local tmp = ("%s.tmp.%d%06d"):format(path, os.time(), math.random(0, 999999))
  local f, err = io.open(tmp, "w")
  if not f then error(fname .. ": cannot write '" .. path .. "': " .. tostring(err), 2) end
  local ok, werr = f:write(table.concat(out, "\n"), "\n")
  local closed, cerr = f:close()
  if not ok or not closed then
    os.remove(tmp)
    error(fname .. ": cannot write '" .. path .. "': " .. tostring(werr or cerr), 2)
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    error(fname .. ": cannot write '" .. path .. "': " .. tostring(rerr), 2)
  end
  return path
end

-- Printing ------------------------------------------------------------------------------

-- mf._repr(v): how the REPL prints a value. Plain tables print on one line, arrays as
-- {1, 2, 3} (long ones cut after 10 entries with the count), records with sorted keys, nested
-- tables one level deep; numbers with up to 10 significant digits; the rest as tostring.
local function repr(v, depth)
  local t = type(v)
  if t == "string" then return depth > 0 and ("%q"):format(v) or v end
  if t == "number" then
    return math.type(v) == "integer" and tostring(v) or (v == math.floor(v) and math.abs(v) < 1e15 and ("%.1f"):format(v) or ("%.10g"):format(v))
  end
  if t ~= "table" or getmetatable(v) ~= nil then return tostring(v) end
  if depth >= 2 then return "{...}" end
  local parts, n = {}, #v
  for i = 1, math.min(n, 10) do parts[#parts + 1] = repr(v[i], depth + 1) end
  if n > 10 then parts[#parts + 1] = ("... (%d entries)"):format(n) end
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for i, k in ipairs(keys) do
    if i > 20 then parts[#parts + 1] = ("... (%d more keys)"):format(#keys - 20) break end
    local name = (type(k) == "string" and k:match("^[%a_][%w_]*$")) and k or ("[" .. repr(k, 2) .. "]")
    parts[#parts + 1] = name .. " = " .. repr(v[k], depth + 1)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end
function mf._repr(v) return repr(v, 0) end

-- Plotting ------------------------------------------------------------------------------

mf.plot = require "mflab.plot"

return mf
