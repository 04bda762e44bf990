-- The sweep of test_resume_kill.sh: 30 points x 2 seeds, each a small ensemble run (about
-- 20 ms), so that kills land inside points, between journal lines and in the final writes.
-- mflab kill_sweep.lua OUT [resume]
local out, mode = arg[1], arg[2]
local L = mf.landscape.valley {}
local S = mf.sweep {
  grid = mf.sweep.product { lr = { 0.002, 0.005, 0.01, 0.02, 0.05, 0.1 }, mu = { 0, 0.3, 0.6, 0.9, 0.99 } },
  seeds = 2, out = out, resume = mode == "resume", quiet = true,
  run = function(p)
    if p.lr == 0.1 and p.mu == 0.99 then error("a failing point") end
    local r = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = p.lr, momentum = p.mu },
      noise = mf.noise.isotropic { sigma = 0.3 }, x0 = { 2, 0.5 }, steps = 6000, every = 2000, seeds = 8,
      seed = p.seed, threads = 1, quiet = true }
    return { loss = r:mean("loss")[#r], x1 = r:mean("x1")[#r] }
  end }
if not S then return end -- an MPI worker rank: the root has the results
print(("done %d points"):format(#S))
