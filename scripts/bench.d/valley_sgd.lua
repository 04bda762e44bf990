-- Benchmark case valley-sgd, mflab side (run by scripts/bench):
--   mflab valley_sgd.lua STEPS [REPEATS [CHECK]]
-- Times REPEATS runs of STEPS steps of SGD with Hessian noise on the valley, 4096 trajectories
-- in lockstep on one thread, and prints one "rate <trajectory-steps per second>" line per run.
-- Then prints "check <CHECK> <mean x1> <standard error of the mean>" for the ensemble after
-- CHECK steps (default STEPS), which the harness compares with the peers' figures.
local steps = math.tointeger(tonumber(arg[1] or ""))
local repeats = math.tointeger(tonumber(arg[2] or "1"))
local check = math.tointeger(tonumber(arg[3] or "")) or steps
assert(steps and steps > 0 and repeats and repeats > 0 and check and check > 0,
       "usage: mflab valley_sgd.lua STEPS [REPEATS [CHECK]]")

local SEEDS = 4096
local L = mf.landscape.valley{a = 1, b = 1}
local opt = mf.opt.sgd{lr = 0.01}
local noise = mf.noise.hessian{sigma = 1}

local function run(n)
  return mf.run{landscape = L, optimizer = opt, noise = noise, x0 = {1, 0}, steps = n, every = n,
                seeds = SEEDS, threads = 1, record = {"x1"}}
end

local r
for _ = 1, repeats do
  r = nil
  collectgarbage()
  local t0 = os.clock() -- CPU time; one thread, so it is the wall time of the run
  r = run(steps)
  local dt = os.clock() - t0
  print(("rate %.6e"):format(SEEDS * steps / dt))
end

if check ~= steps then r = run(check) end
local last = #r.t
assert(r.t[last] == check)
print(("check %d %.17g %.17g"):format(check, r:mean("x1")[last], r:std("x1")[last] / math.sqrt(SEEDS)))
