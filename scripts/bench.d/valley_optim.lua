-- Benchmark case valley-optim, mflab side (run by scripts/bench):
--   mflab valley_optim.lua OPT STEPS [REPEATS]
-- Times REPEATS runs of STEPS steps of optimizer OPT (sgd, heavy_ball, adam) with Hessian noise
-- on the valley, 4096 trajectories in lockstep on one thread, and prints one
-- "rate <trajectory-steps per second>" line per run.
local name = arg[1]
local steps = math.tointeger(tonumber(arg[2] or ""))
local repeats = math.tointeger(tonumber(arg[3] or "1"))
local opts = { sgd = { lr = 0.01 }, heavy_ball = { lr = 0.01, beta = 0.9 }, adam = { lr = 1e-3 } }
assert(opts[name] and steps and steps > 0 and repeats and repeats > 0,
       "usage: mflab valley_optim.lua sgd|heavy_ball|adam STEPS [REPEATS]")

local SEEDS = 4096
local L = mf.landscape.valley { a = 1, b = 1 }
local opt = mf.opt[name](opts[name])
local noise = mf.noise.hessian { sigma = 1 }
for _ = 1, repeats do
  collectgarbage()
  local t0 = os.clock() -- CPU time; one thread, so it is the wall time of the run
  local r = mf.run { landscape = L, optimizer = opt, noise = noise, x0 = { 1, 0 }, steps = steps, every = steps,
                     seeds = SEEDS, threads = 1, record = { "x1" }, quiet = true }
  local dt = os.clock() - t0
  assert(r.steps == steps)
  print(("rate %.6e"):format(SEEDS * steps / dt))
end
