-- The sweeps of test_sweep_mpi.sh: a batched run template (points grouped into
-- mf.run{configs = ...}, some diverging) and a run function with seeds, into OUT/template and
-- OUT/run. mflab mpi_sweep.lua OUT [resume] [stop_after]
local out, mode, stop = arg[1], arg[2], tonumber(arg[3] or "")
local L = mf.landscape.valley {}
local T = mf.sweep {
  grid = mf.sweep.product { lr = { 0.01, 0.03, 0.1, 0.3, 1, 3 }, mu = { 0, 0.5, 0.9 } },
  landscape = L, optimizer = function(p) return mf.opt.sgd { lr = p.lr, momentum = p.mu } end,
  noise = function(p) return mf.noise.isotropic { sigma = 0.2 } end, x0 = { 2, 0.5 },
  steps = 500, every = 100, seeds = 16, seed = 7, batch = 4, threads = 1,
  out = out .. "/template", resume = mode == "resume", quiet = true }
local n = 0
local R = mf.sweep {
  grid = mf.sweep.zip { lr = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2 }, w = { 1, 2, 3, 4, 5, 6, 7, 8 } },
  seeds = 3, out = out .. "/run", resume = mode == "resume", quiet = true,
  run = function(p)
    n = n + 1
    if stop and n > stop then os.exit(3) end -- a crash in the middle (for the resume test)
    local r = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = p.lr }, x0 = { p.w, 0.3 }, steps = 300,
      noise = mf.noise.hessian { sigma = 1 }, seeds = 8, seed = p.seed, threads = 1, quiet = true }
    return { loss = r:mean("loss")[#r], x1 = r:mean("x1")[#r] }
  end }
if T then print(("template %d points, run %d points"):format(#T, #R)) end
