-- Quasistatic paper (Ma, Wu & E), Fig. 1: SGD on the valley f(x, y) = (1 + x^2) y^2 from
-- (5, 0), with Hessian-aligned and with isotropic normal-space noise, against the first-order
-- manifold dynamics of doc/math.md §4:
--   Hessian noise    dx/dt = -(lr sigma^2/4) h'(x)       (eq. 13; x(t) = 5 exp(-lr sigma^2 t/2))
--   isotropic noise  dx/dt = -(lr sigma^2/4) h'(x)/h(x)  (eq. 14)
-- with t = k lr after k steps.
--
-- Usage: mflab fig1.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists the
-- parameters). Writes DIR/fig1.png (left: one run's (x, y) path over contours of f; right: x against
-- iterations, ensemble mean +- 1 std and the manifold ODE, for both noises) and DIR/fig1.csv,
-- and prints one summary line: the relative gap between the ensemble mean and the ODE at the
-- end, for each noise. Returns the results table (used by the test suite); DIR also gets
-- quasistatic_fig1.results.json and .meta.json (mf.experiment).
--
-- Parameters and why:
--   lr = 1e-3. Stability of the start needs lr * 2h(5) = 0.052 well below 2. The discrete
--     y-oscillation has variance lr sigma^2/(4h (1 - lr h)) instead of the SDE's lr sigma^2/(4h),
--     so the manifold drift is off by a factor 1/(1 - lr h): 2.6% at x = 5, falling as x does.
--     The ensemble mean also carries an O(lr) bias from the fluctuations of x; both shrink with
--     lr, and at 1e-3 the two curves agree to about 1.5%.
--   sigma = 2 for Hessian noise, 4 for isotropic noise. Along the valley the isotropic drift
--     h'/h is weaker than the Hessian one h' by h(x) = 26 at the start; doubling its sigma lets
--     both curves travel visibly in one run (x: 5 -> 1.0 and 5 -> 3.6).
--   800 000 steps, 256 seeds: the standard error of the ensemble mean is below 0.2% of x.
local mf = mf or require "mflab"

local function run(p)
  local lr, steps, seeds = p.lr, p.steps, p.seeds
  local every = steps // p.records
  local x0 = { 5, 0 }
  local L = mf.landscape.valley { a = 1, b = 1 }
  local opt = mf.opt.sgd { lr = lr }
  local cases = {
    { key = "hessian", noise = mf.noise.hessian { sigma = p.sigma_hessian } },
    { key = "isotropic", noise = mf.noise.isotropic { sigma = p.sigma_isotropic, space = "normal" } },
  }
  local res = { steps = steps, seeds = seeds }
  for _, c in ipairs(cases) do
    local run = mf.run { landscape = L, optimizer = opt, noise = c.noise, x0 = x0, steps = steps,
                         every = every, seeds = seeds, seed = p.seed, record = { "x1", "x2" } }
    local ode = mf.manifold.flow { landscape = L, optimizer = opt, noise = c.noise }
        :integrate { x0 = x0, steps = steps, every = every }
    local mean, std = run:mean("x1"), run:std("x1")
    local n = #mean
    res["gap_" .. c.key] = (mean[n] - ode.x1[n]) / ode.x1[n]
    res["se_" .. c.key] = std[n] / math.sqrt(seeds) / ode.x1[n] -- standard error of the relative gap
    res["x_end_" .. c.key] = ode.x1[n]
    res[c.key] = { mean = mean, std = std, ode = ode.x1 }
    if c.key == "hessian" then
      res.t = run.t
      res.path_x, res.path_y = run:column("x1", 1), run:column("x2", 1) -- one run, for the left panel
    end
  end
  return res
end

local LABEL = { hessian = "Hessian noise", isotropic = "isotropic noise" }

local function plot(res, p, ctx)
  local t = res.t
  -- CSV: one row per recorded step
  local names, cols = { "t" }, { t }
  for _, key in ipairs { "hessian", "isotropic" } do
    for _, col in ipairs { "mean", "std", "ode" } do
      names[#names + 1] = key .. "_x_" .. col
      cols[#cols + 1] = res[key][col]
    end
  end
  mf.write_csv(ctx:path("fig1.csv"), names, cols, ("mflab %s; quasistatic Fig. 1; lr=%g steps=%d seeds=%d seed=%d")
    :format(mf.version, p.lr, res.steps, res.seeds, p.seed))

  -- Figure: left, one Hessian-noise run over the contours of f; right, x against iterations.
  local fig = mf.plot { layout = { 1, 2 }, size = { 1400, 560 },
                        title = "SGD on f(x, y) = (1 + x^2) y^2 from (5, 0): true and manifold dynamics" }
  local ymax = 0
  for _, y in ipairs(res.path_y) do ymax = math.max(ymax, math.abs(y)) end
  ymax = 1.3 * ymax
  fig:panel(1, { title = "one SGD run (Hessian noise) over the level sets of f", xlabel = "x", ylabel = "y",
                 xrange = { -0.2, 5.4 }, yrange = { -ymax, ymax } })
  local levels = {}
  for k = 0, 10 do levels[#levels + 1] = ymax * ymax * 2 ^ (k - 8) end
  fig:contour(function(x, y) return (1 + x * x) * y * y end,
              { xrange = { -0.2, 5.4 }, yrange = { -ymax, ymax }, n = 120, levels = levels })
  fig:line(res.path_x, res.path_y, { title = "SGD path", width = 1 })
  fig:panel(2, { title = ("x against iterations (mean +- std of %d seeds)"):format(res.seeds),
                 xlabel = "iteration", ylabel = "x", key = "bottom left" })
  for _, key in ipairs { "hessian", "isotropic" } do
    local c = res[key]
    local lo, hi = {}, {}
    for j = 1, #c.mean do lo[j], hi[j] = c.mean[j] - c.std[j], c.mean[j] + c.std[j] end
    fig:band(t, lo, hi, { title = LABEL[key] .. ": +- 1 std" })
    fig:line(t, c.mean, { title = LABEL[key] .. ": SGD mean" })
    fig:line(t, c.ode, { title = LABEL[key] .. ": manifold ODE", dash = "dash" })
  end
  fig:save(ctx:path("fig1.png"))
end

local function report(res)
  print(("fig1: relative gap of the ensemble mean to the manifold ODE at step %d: Hessian noise %+.2f%% (s.e. %.2f%%), isotropic noise %+.2f%% (s.e. %.2f%%)")
    :format(res.steps, 100 * res.gap_hessian, 100 * res.se_hessian, 100 * res.gap_isotropic, 100 * res.se_isotropic))
end

local E = mf.experiment {
  name = "quasistatic_fig1",
  doc = "Quasistatic Fig. 1: SGD on the valley (1 + x^2) y^2 with Hessian and isotropic noise against the manifold ODE",
  params = {
    { name = "lr", default = 1e-3, kind = "number", doc = "SGD learning rate" },
    { name = "sigma_hessian", default = 2, kind = "number", doc = "noise scale of the Hessian noise" },
    { name = "sigma_isotropic", default = 4, kind = "number", doc = "noise scale of the isotropic normal-space noise" },
    { name = "steps", default = 800000, kind = "integer", doc = "SGD steps" },
    { name = "seeds", default = 256, kind = "integer", doc = "trajectories per noise" },
    { name = "seed", default = 2023, kind = "integer", doc = "random seed of the ensemble" },
    { name = "records", default = 800, kind = "integer", doc = "records over the run (every = steps // records)" },
  },
  quick = { steps = 40000, seeds = 32 },
  run = run, plot = plot, report = report,
}

return E:main(...)
