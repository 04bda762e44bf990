-- mf.run: an ensemble of trajectories stepped in lockstep, with its recorded observables.
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor
local progress = require "mflab.progress"

local M = {}

local run_schema = schema.new("mf.run", {
  { name = "landscape", kind = "landscape", required = true, doc = "the loss landscape" },
  { name = "optimizer", kind = "optimizer", required = true, doc = "the optimizer" },
  { name = "noise", kind = "noise", doc = "gradient-noise model (default: none)" },
  { name = "x0", kind = "point", doc = "starting point, the same for every trajectory (default: the landscape's L.x0, the paper's start, where it has one)" },
  { name = "steps", kind = "natural", required = true, doc = "number of optimizer steps" },
  { name = "every", kind = "count", doc = "record every this many steps (default: steps/1000, at least 1); the last step is always recorded" },
  { name = "seeds", kind = "count", default = 1, doc = "number of trajectories (each its own random stream)" },
  { name = "seed", kind = "natural", default = 0, doc = "base seed: trajectory i uses stream (seed, i)" },
  { name = "record", kind = "names", doc = "observables: 'x1'..'xd' (or 'x' for all), 'loss', 'trH', 'dist', 'p1'..'pd' (or 'p'), 'wnorm', 'mnorm', 'lr', 'lr_eff' (also 'eta_eff'), 'test_loss', 'lambda1', 'spherical_sharpness', 'lambda1_p', 'spherical_sharpness_p', 'h1', optimizer state such as 'm1' or 'v', and the landscape's own ('dist_minnorm', 'sv1'..) (README; default: all coordinates and loss)" },
  { name = "threads", kind = "natural", default = 0, doc = "worker threads (0: all processors); results do not depend on it" },
  { name = "block", kind = "count", doc = "trajectories stepped together per block (default: automatic, at most 256); results do not depend on it" },
  { name = "quiet", kind = "boolean", default = false, doc = "no progress bar (shown on a terminal's stderr for runs over a second)" },
  { name = "progress", kind = "function", doc = "called as progress(done, total, seconds) a few times a second instead of the bar; done, total in trajectory-steps" },
}, "steps an ensemble of trajectories in lockstep and records observables")

local function describe(x) return x == nil and "none" or tostring(x) end

function M.run(opts)
  local o = check(run_schema, opts)
  local d = o.landscape.dim
  o.x0 = o.x0 or o.landscape.x0
  if not o.x0 then
    error(("mf.run: option 'x0' is required: landscape '%s' has no default start"):format(o.landscape.name), 2)
  end
  if #o.x0 ~= d then
    error(("mf.run: option 'x0' has %d entries, landscape '%s' has dimension %d"):format(#o.x0, o.landscape.name, d), 2)
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
  local x0 = {}
  for k = 1, #o.x0 do x0[k] = o.x0[k] end
  o.meta = ("mflab %s; landscape: %s; optimizer: %s; noise: %s; steps=%d every=%d seeds=%d seed=%d x0={%s}")
      :format(core.version, tostring(o.landscape), tostring(o.optimizer), describe(o.noise), o.steps,
        o.every, o.seeds, o.seed, table.concat(x0, ", "))
  -- what export writes beside the data (JSON): the version and every option that shaped it
  o.metadata = { mflab = core.version, made_by = "mf.run", landscape = schema.describe(o.landscape),
    optimizer = schema.describe(o.optimizer), noise = o.noise and schema.describe(o.noise) or "none", x0 = x0, steps = o.steps,
    every = o.every, seeds = o.seeds, seed = o.seed, record = names }
  local finish
  o.progress, finish = progress.choose(o, "mf.run", o.seeds, "traj-steps")
  return progress.finally(finish, core.run, o)
end

return M
