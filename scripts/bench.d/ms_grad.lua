-- Benchmark case matrix-sensing, mflab side (run by scripts/bench):
--   mflab ms_grad.lua grad|block PRECISION STEPS REPEATS
--   mflab ms_grad.lua top PRECISION
-- The landscape is the paper's (d = 100, r = 5, P = 2500: 20000 parameters, a 2500 x 10000
-- measurement matrix). grad: REPEATS runs of STEPS plain SGD steps of one trajectory
-- (mf.run, one thread), printing "rate <gradients per second>" for each; block: the same with
-- 8 trajectories stepped together (block = 8: one sweep over the measurements per step serves
-- all 8), rate = 8 STEPS / time. A step is a gradient and the update of 20000 coordinates.
-- top: mf.analysis.top(L, U = V = I, 1) with tol 1e-4 (Ritz residual <= 1e-4 |lambda|, which
-- gives the eigenvalue to ~1e-8), printed as
-- "top <hvps> <seconds per call> <lambda_1> <relative error against tol 1e-12>".
local mode, precision = arg[1], arg[2] or "double"
local L = mf.landscape.matrix_sensing { d = 100, r = 5, P = 2500, seed = 0, precision = precision }
local opt = mf.opt.sgd { lr = 0.05 }

if mode == "top" then
  local z = L.x0
  local best, vals, n = math.huge, nil, nil
  for _ = 1, 3 do
    local t0 = os.clock()
    vals, _, n = mf.analysis.top(L, z, 1, { tol = 1e-4 })
    best = math.min(best, os.clock() - t0)
  end
  local ref = mf.analysis.top(L, z, 1, { tol = 1e-12 })
  print(("top %d %.6f %.17g %.3e"):format(n, best, vals[1], math.abs(vals[1] - ref[1]) / ref[1]))
  return
end

local steps = math.tointeger(tonumber(arg[3] or ""))
local repeats = math.tointeger(tonumber(arg[4] or "1"))
assert((mode == "grad" or mode == "block") and steps and steps > 0 and repeats and repeats > 0,
  "usage: mflab ms_grad.lua grad|block PRECISION STEPS REPEATS | top PRECISION")
local seeds = mode == "block" and 8 or 1
for _ = 1, repeats do
  collectgarbage()
  local t0 = os.clock() -- CPU time; one thread, so it is the wall time of the run
  local r = mf.run { landscape = L, optimizer = opt, steps = steps, every = steps, seeds = seeds,
    block = seeds, threads = 1, record = { "loss" } }
  local dt = os.clock() - t0
  assert(r:mean("loss")[2] < r:mean("loss")[1], "the loss did not fall")
  print(("rate %.6e"):format(seeds * steps / dt))
end
