-- mf.run: an ensemble of trajectories stepped in lockstep, with its recorded observables.
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor
local progress = require "mflab.progress"

local M = {}

-- the observables, from the recorder's own list (core: mf_observable_list)
local function observable_names()
  local names = {}
  for _, o in ipairs(core.observables()) do
    local n = o.name
    if o.name == "x<k>" then n = "'x1'..'xd' (or 'x' for all)"
    elseif o.name == "p<k>" then n = "'p1'..'pd' (or 'p')"
    elseif o.name == "<state><k>" then n = "optimizer state such as 'm1' or 'v'"
    else n = "'" .. n .. "'" end
    names[#names + 1] = n
  end
  return table.concat(names, ", ")
end

local run_schema = schema.new("mf.run", {
  { name = "landscape", kind = "landscape", required = true, doc = "the loss landscape" },
  { name = "optimizer", kind = "optimizer", doc = "the optimizer (required unless configs is given)" },
  { name = "configs", kind = "table", doc = "K configurations {{optimizer =, noise =, x0 =}, ...} stepped in one batched run (one optimizer type, one noise type); mf.run then returns K results, each bit-identical to its configuration run alone (missing noise and x0 come from the run's options)" },
  { name = "noise", kind = "noise", doc = "gradient-noise model (default: none)" },
  { name = "x0", kind = "point", doc = "starting point, the same for every trajectory (default: the landscape's L.x0, the paper's start, where it has one)" },
  { name = "steps", kind = "natural", required = true, doc = "number of optimizer steps" },
  { name = "every", kind = "count", doc = "record every this many steps (default: steps/1000, at least 1); the last step is always recorded" },
  { name = "seeds", kind = "count", default = 1, doc = "number of trajectories (each its own random stream)" },
  { name = "seed", kind = "natural", default = 0, doc = "base seed: trajectory i uses stream (seed, i)" },
  { name = "record", kind = "names", doc = "observables: " .. observable_names() .. ", and the landscape's own ('dist_minnorm', 'sv1'..) (README; default: all coordinates and loss)" },
  { name = "threads", kind = "natural", default = 0, doc = "worker threads (0: all processors); results do not depend on it" },
  { name = "block", kind = "count", doc = "trajectories stepped together per block (default: automatic, at most 256); results do not depend on it" },
  { name = "on_nonfinite", kind = "string", default = "error", one_of = { "error", "drop" }, doc = "a trajectory that leaves the reals: 'error' stops its configuration (an error naming step and trajectory), 'drop' freezes and marks it (r.dropped, r:alive()) and the others go on" },
  { name = "keep", kind = "string", default = "trajectories", one_of = { "trajectories", "stats" }, doc = "'trajectories': every value; 'stats': per-record mean, variance, min, max and quantiles only (memory independent of seeds)" },
  { name = "keep_trajectories", kind = "natural", default = 0, doc = "with keep = 'stats': trajectories 1..n also kept whole (r:column)" },
  { name = "quantiles", kind = "table", doc = "with keep = 'stats': quantile levels in [0, 1] (default {0.05, 0.5, 0.95}; r:quantile(name, p))" },
  { name = "checkpoint", kind = "table", check = function(v)
      if type(v.path) ~= "string" or v.path == "" then return false, "a table {path = file, every = seconds}" end
      if v.every ~= nil and not (type(v.every) == "number" and v.every >= 0 and v.every < math.huge) then
        return false, "a table {path = file, every = seconds} with every a number >= 0"
      end
      for k in pairs(v) do if k ~= "path" and k ~= "every" then return false, "a table {path =, every =} (unknown key '" .. tostring(k) .. "')" end end
      return true
    end, doc = "{path = file, every = seconds (default 60)}: write the run's full state (records so far, positions, optimizer state, random streams) to file every so often, atomically" },
  { name = "resume", kind = "string", doc = "a checkpoint file of this same run: continue from it to the same bits as an uninterrupted run" },
  { name = "quiet", kind = "boolean", default = false, doc = "no progress bar (shown on a terminal's stderr for runs over a second)" },
  { name = "progress", kind = "function", doc = "called as progress(done, total, seconds) a few times a second instead of the bar; done, total in trajectory-steps" },
}, "steps an ensemble of trajectories in lockstep and records observables")

local function describe(x) return x == nil and "none" or tostring(x) end

local conf_schema = schema.new("mf.run configs[k]", {
  { name = "optimizer", kind = "optimizer", required = true, doc = "the configuration's optimizer" },
  { name = "noise", kind = "noise", doc = "its noise model (default: the run's noise)" },
  { name = "x0", kind = "point", doc = "its start (default: the run's x0)" },
}, "one configuration of a batched run")

local function copy_point(x)
  local t = {}
  for k = 1, #x do t[k] = x[k] end
  return t
end

function M.run(opts)
  local o = check(run_schema, opts)
  local d = o.landscape.dim
  if o.configs == nil and o.optimizer == nil then
    error("mf.run: option 'optimizer' is required: the optimizer (or give configs)", 2)
  end
  if o.configs ~= nil and o.optimizer ~= nil then
    error("mf.run: give either option 'optimizer' or option 'configs', not both", 2)
  end
  if o.keep ~= "stats" and (o.keep_trajectories ~= 0 or o.quantiles ~= nil) then
    error("mf.run: options 'keep_trajectories' and 'quantiles' need keep = \"stats\"", 2)
  end
  if o.keep_trajectories > o.seeds then
    error(("mf.run: option 'keep_trajectories' (%d) is more than seeds (%d)"):format(o.keep_trajectories, o.seeds), 2)
  end
  if o.keep == "stats" then
    o.quantiles = o.quantiles or { 0.05, 0.5, 0.95 }
    for i, q in ipairs(o.quantiles) do
      if type(q) ~= "number" or not (q >= 0 and q <= 1) then
        error(("mf.run: option 'quantiles': entry %d must be a number in [0, 1], got %s"):format(i, tostring(q)), 2)
      end
    end
  end
  local function start(x0, what)
    x0 = x0 or o.x0 or o.landscape.x0
    if not x0 then
      error(("mf.run: option 'x0' is required%s: landscape '%s' has no default start"):format(what, o.landscape.name), 3)
    end
    if #x0 ~= d then
      error(("mf.run: option 'x0'%s has %d entries, landscape '%s' has dimension %d"):format(what, #x0, o.landscape.name, d), 3)
    end
    return x0
  end
  local names = {}
  for _, n in ipairs(o.record or { "x", "loss" }) do
    if n == "x" or n == "p" then
      for k = 1, d do names[#names + 1] = n .. k end
    else
      names[#names + 1] = n
    end
  end
  o.record = names
  o.every = o.every or math.max(1, o.steps // 1000)
  -- meta (one line) and metadata (what export writes beside the data) of one configuration
  local function describe_run(t, x0)
    t.meta = ("mflab %s; landscape: %s; optimizer: %s; noise: %s; steps=%d every=%d seeds=%d seed=%d x0={%s}")
        :format(core.version, tostring(o.landscape), tostring(t.optimizer), describe(t.noise), o.steps,
          o.every, o.seeds, o.seed, table.concat(x0, ", "))
    t.metadata = { mflab = core.version, kernels = core.isa, cpu = core.cpu, made_by = "mf.run", landscape = schema.describe(o.landscape),
      optimizer = schema.describe(t.optimizer), noise = t.noise and schema.describe(t.noise) or "none", x0 = x0, steps = o.steps,
      every = o.every, seeds = o.seeds, seed = o.seed, record = names }
    if o.keep == "stats" then
      t.metadata.keep, t.metadata.keep_trajectories, t.metadata.quantiles = "stats", o.keep_trajectories, o.quantiles
    end
    if o.on_nonfinite ~= "error" then t.metadata.on_nonfinite = o.on_nonfinite end
  end
  if o.configs then
    if #o.configs == 0 then error("mf.run: option 'configs' is empty", 2) end
    local confs = {}
    for k, cf in ipairs(o.configs) do
      local ok, c = pcall(check, conf_schema, cf, 1)
      if not ok then error((tostring(c):gsub("^mf%.run configs%[k%]", ("mf.run: configs[%d]"):format(k))), 2) end
      c.noise = c.noise or o.noise
      c.x0 = copy_point(start(c.x0, (" of configs[%d]"):format(k)))
      describe_run(c, c.x0)
      c.metadata.config = k
      confs[k] = c
    end
    o.configs = confs
  else
    o.x0 = start(o.x0, "")
    local x0 = copy_point(o.x0)
    describe_run(o, x0)
  end
  local finish
  o.progress, finish = progress.choose(o, "mf.run", o.seeds * (o.configs and #o.configs or 1), "traj-steps")
  return progress.finally(finish, core.run, o)
end

return M
