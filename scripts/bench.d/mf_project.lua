-- Benchmark case mf-project, mflab side (run by scripts/bench):
--   mflab mf_project.lua ROUNDS [REPEATS]
-- Times the matrix-factorization projection (L:project: the gradient-flow limit of
-- engine/src/core/landscape_mf.c, DP45, the exponential tail, Gauss-Newton) of the 101 recorded
-- iterates of a 2000-step SGD run with Hessian noise on examples/quasistatic/fig2_middle.lua's
-- landscape (5x5x5, seed-4 M, lr 1e-3, sigma 3; the iterates lie ~0.24 from M), ROUNDS times
-- over all of them, on one thread. Prints one "rate <projections per second>" line per repeat.
local rounds = math.tointeger(tonumber(arg[1] or ""))
local repeats = math.tointeger(tonumber(arg[2] or "1"))
assert(rounds and repeats and rounds > 0 and repeats > 0, "usage: mflab mf_project.lua ROUNDS [REPEATS]")
local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = 4 }
local r = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = 1e-3 }, noise = mf.noise.hessian { sigma = 3 },
                   x0 = L.x0, steps = 2000, every = 20, seed = 2023, record = { "x" }, block = 1, quiet = true }
local pts = {}
for j = 1, #r.t do
  local z = {}
  for k = 1, L.dim do z[k] = r:column("x" .. k)[j] end
  pts[j] = z
end
for _ = 1, repeats do
  collectgarbage()
  local t0 = os.clock()
  for _ = 1, rounds do
    for j = 1, #pts do L:project(pts[j]) end
  end
  print(("rate %.6e"):format(rounds * #pts / (os.clock() - t0)))
end
