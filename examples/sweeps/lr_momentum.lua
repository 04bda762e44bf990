-- A 36-point sweep of SGD with momentum, learning rate x momentum, on the valley
-- f(x, y) = (1 + x^2) y^2 from (2, 0.5) with isotropic gradient noise: the final loss of an
-- ensemble per point, as a heat map. Along y the curvature is 2 h(x) with h = 1 + x^2, and
-- heavy-ball momentum is stable while lr * 2h < 2 (1 + mu) (Polyak; the AR(2) roots), so
-- the top-right corner diverges. Diverged trajectories are dropped (on_nonfinite = "drop")
-- and counted; a cell whose point lost any trajectory is left blank in the heat map, not
-- filled with NaN colours.
--
-- The points differ only in the optimizer's hyperparameters, so mf.sweep runs them in
-- batches of configurations (one mf.run{configs = ...} each). Results: sweep.csv, sweep.npz,
-- sweep.json, the journal, lr_momentum.png in the output folder.
--   mflab examples/sweeps/lr_momentum.lua                  (36 points x 64 trajectories)
--   mflab examples/sweeps/lr_momentum.lua --quick          (a smaller run)
--   mflab examples/sweeps/lr_momentum.lua --resume         (continue a killed sweep)
--   mflab examples/sweeps/lr_momentum.lua lr=0.01,0.03,0.1 mu=0,0.9
--   mpirun -n 4 mflab examples/sweeps/lr_momentum.lua      (points spread over 4 ranks)
local mf = mf or require "mflab"

local function run(p, ctx)
  local L = mf.landscape.valley { a = 1, b = 1 }
  local S = mf.sweep {
    grid = mf.sweep.product { { "lr", p.lr }, { "mu", p.mu } },
    landscape = L, x0 = { 2, 0.5 }, steps = p.steps, seeds = p.seeds, seed = p.seed,
    optimizer = function(q) return mf.opt.sgd { lr = q.lr, momentum = q.mu } end,
    noise = function() return mf.noise.isotropic { sigma = p.sigma } end,
    record = { "loss" }, on_nonfinite = "drop", ctx = ctx }
  if not S then os.exit(0) end -- an MPI worker rank: the root has the results and writes
  local diverged, stable, best = 0, 0, nil
  for _, r in ipairs(S) do
    if r.loss_nonfinite > 0 then diverged = diverged + 1 else stable = stable + 1 end
    if r.loss_nonfinite == 0 and (not best or r.loss_mean < best.loss_mean) then best = r end
  end
  return { points = #S, stable = stable, diverged = diverged, failed = #S:failures(),
           best_lr = best and best.lr, best_mu = best and best.mu, best_loss = best and best.loss_mean }
end

local function plot(res, p, ctx)
  local S = mf.sweep.load(ctx.out) -- also on --replot: the saved table, nothing recomputed
  local rows = {}
  for i, r in ipairs(S) do
    -- blank (NaN) where the point lost a trajectory or failed: the mean of the survivors
    -- would paint a diverging point as a good one
    local ok = r.failed == 0 and r.loss_nonfinite == 0
    rows[i] = { lr = r.lr, mu = r.mu, loss = ok and r.loss_mean or 0 / 0 }
  end
  local fig = mf.plot { title = ("SGD + momentum on the valley: final loss, %d trajectories per point"):format(p.seeds),
                        xlabel = "learning rate", ylabel = "momentum", logx = true, size = { 760, 520 } }
  fig:heatmap(rows, { x = "lr", y = "mu", z = "loss", logscale = true, title = "mean final loss (blank: diverged)" })
  fig:save(ctx:path("lr_momentum.png"))
end

local function report(res)
  print(("lr_momentum: %d points, %d stable, %d with diverged trajectories (%d failed); lowest final loss %s at lr = %s, mu = %s")
    :format(res.points, res.stable, res.diverged, res.failed, res.best_loss and ("%.3g"):format(res.best_loss) or "-",
      res.best_lr and ("%g"):format(res.best_lr) or "-", res.best_mu and ("%g"):format(res.best_mu) or "-"))
end

return mf.experiment {
  name = "lr_momentum",
  doc = "A learning rate x momentum sweep of SGD on the valley (1 + x^2) y^2: final loss per point as a heat map, diverged points blank",
  params = {
    { name = "lr", default = { 0.003, 0.01, 0.03, 0.1, 0.2, 0.4 }, kind = "numbers", doc = "learning rates (a list: lr=0.01,0.1 or a range)" },
    { name = "mu", default = { 0, 0.3, 0.6, 0.8, 0.9, 0.95 }, kind = "numbers", doc = "momentum factors" },
    { name = "steps", default = 4000, kind = "integer", doc = "SGD steps per trajectory" },
    { name = "seeds", default = 64, kind = "integer", doc = "trajectories per point" },
    { name = "seed", default = 2024, kind = "integer", doc = "random seed of the ensembles" },
    { name = "sigma", default = 0.5, kind = "number", doc = "isotropic gradient-noise scale" },
  },
  quick = { steps = 800, seeds = 16 },
  run = run, plot = plot, report = report,
}:main(...)
