-- Benchmark case sweep-sensing, mflab side (run by scripts/bench):
--   mflab sweep_sensing.lua sensing STEPS REPEATS
--     a beta sweep of K = 8 heavy-ball configurations (lr 0.02, beta 0, 0.1, ..., 0.7) on the
--     paper's matrix sensing (d = 100, r = 5, P = 2500), full batch with label noise eps = 0.1,
--     one trajectory each, in one batched run (one thread, block = 8: every sweep over the
--     measurements serves the 8 configurations); rate = configuration-steps per second.
--   mflab sweep_sensing.lua valley THREADS STEPS REPEATS
--     a 64-point learning-rate sweep of SGD with Hessian noise on the valley, 64 trajectories
--     per point, in one batched run on THREADS threads; rate = trajectory-steps per second.
-- Prints "rate R" per repeat and "check STEPS MEAN SEM" (the mean final loss / x1).
local mode = arg[1]
if mode == "sensing" then
  local steps, repeats = math.tointeger(tonumber(arg[2])), math.tointeger(tonumber(arg[3]))
  local L = mf.landscape.matrix_sensing { d = 100, r = 5, P = 2500, seed = 0 }
  local configs = {}
  for k = 1, 8 do configs[k] = { optimizer = mf.opt.heavy_ball { lr = 0.02, beta = 0.1 * (k - 1) } } end
  local rs
  for _ = 1, repeats do
    collectgarbage()
    local t0 = os.clock() -- CPU time; one thread
    rs = mf.run { landscape = L, configs = configs, noise = mf.noise.label { eps = 0.1 }, steps = steps,
      every = steps, seeds = 1, block = 8, threads = 1, record = { "loss" }, quiet = true }
    print(("rate %.6e"):format(8 * steps / (os.clock() - t0)))
  end
  local s, s2 = 0, 0
  for k = 1, 8 do
    local v = rs[k]:mean("loss")[2]
    s, s2 = s + v, s2 + v * v
  end
  print(("check %d %.10g %.10g"):format(steps, s / 8, math.sqrt(math.max(0, s2 / 8 - (s / 8) ^ 2) / 7)))
elseif mode == "valley" then
  local threads, steps, repeats = math.tointeger(tonumber(arg[2])), math.tointeger(tonumber(arg[3])), math.tointeger(tonumber(arg[4]))
  local L = mf.landscape.valley {}
  local configs = {}
  for k = 1, 64 do configs[k] = { optimizer = mf.opt.sgd { lr = 0.001 + 0.0003 * (k - 1) } } end
  local rs
  for _ = 1, repeats do
    collectgarbage()
    -- wall time: the run's own clock, reported to the progress function at the end
    local wall = 0
    rs = mf.run { landscape = L, configs = configs, noise = mf.noise.hessian { sigma = 1 }, x0 = { 5, 0 },
      steps = steps, every = steps, seeds = 64, threads = threads, record = { "x1" },
      progress = function(_, _, seconds) wall = seconds end }
    print(("rate %.6e"):format(64 * 64 * steps / wall))
  end
  print(("check %d %.10g %.10g"):format(steps, rs[1]:mean("x1")[2], rs[1]:std("x1")[2] / 8))
else
  error("usage: mflab sweep_sensing.lua sensing STEPS REPEATS | valley THREADS STEPS REPEATS")
end
