-- Benchmark case mf-flow, mflab side (run by scripts/bench):
--   mflab mf_flow.lua STEPS EVERY [REPEATS]
-- Times REPEATS integrations of the first-order manifold flow of SGD (lr 1e-3) with Hessian
-- noise (sigma 3) on the 5x5 matrix factorization (50 parameters, seed-4 M, from U = M, V = I),
-- the setting of examples/quasistatic/fig2_middle.lua, for STEPS iterations with DP45 (rtol
-- 1e-9, atol 1e-12), recording every EVERY iterations, on one thread. Prints one
-- "rate <integrations per second>" line per run and "seconds <best>" at the end.
local steps = math.tointeger(tonumber(arg[1] or ""))
local every = math.tointeger(tonumber(arg[2] or ""))
local repeats = math.tointeger(tonumber(arg[3] or "1"))
assert(steps and every and repeats and steps > 0 and every > 0 and repeats > 0,
       "usage: mflab mf_flow.lua STEPS EVERY [REPEATS]")
local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = 4 }
local flow = mf.manifold.flow { landscape = L, optimizer = mf.opt.sgd { lr = 1e-3 }, noise = mf.noise.hessian { sigma = 3 } }
local best = math.huge
for _ = 1, repeats do
  collectgarbage()
  local t0 = os.clock()
  local s = flow:integrate { x0 = L.x0, steps = steps, every = every, method = "dp45", quiet = true }
  local dt = os.clock() - t0
  assert(s.t[#s.t] == steps)
  best = math.min(best, dt)
  print(("rate %.6e"):format(1 / dt))
end
print(("seconds %.4f"):format(best))
