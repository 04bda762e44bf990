-- Quasistatic paper (Ma, Wu & E), Fig. 2 left: SGD with momentum (SGDm, Q(15)) on the valley
-- f(x, y) = (1 + x^2) y^2 from (5, 0) with Hessian noise, for mu in {0, 0.5, 0.8, 0.9}:
--   true x       the ensemble mean of x over the seeds
--   eq. (17)     the momentum-like discretization of the manifold dynamics,
--                m <- mu m - lr G(x), x <- x + m, G = V^m grad_M A (flow{order = 2}:integrate{method = "momentum"})
--   eq. (19)     the first-order ODE dx/dt = -(lr sigma^2 / (4 (1 - mu)^2)) h'(x), t = k lr,
--                i.e. x_k = 5 exp(-lr^2 sigma^2 k / (2 (1 - mu)^2))           (doc/math.md §4)
--
-- Usage: mflab fig2_left.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists the
-- parameters).
-- Writes DIR/fig2_left.png and DIR/fig2_left.csv, prints the relative gap of the ensemble mean
-- (and of eq. (17)) to the ODE at the last step for each mu, and returns the results.
--
-- Parameters and why: lr = 1e-3 and sigma = 2 as in Fig. 1, so the speed 1/(1 - mu)^2 spreads
-- the four runs from barely moving (mu = 0: x 5 -> 4.8) to near the origin (mu = 0.9:
-- 5 -> 0.09) in 20 000 steps. The discrete oscillation of y has variance
-- V^m / (1 - lr h/(1 + mu)) (an AR(2) computation), so the drift is biased by about
-- lr h/(1 + mu) <= 2.6% at x = 5, less as x falls.
local mf = mf or require "mflab"

local function run(p)
  local lr, sigma, steps, seeds = p.lr, p.sigma, p.steps, p.seeds
  local every = steps // p.records
  local x0 = { 5, 0 }
  local L = mf.landscape.valley { a = 1, b = 1 }
  local noise = mf.noise.hessian { sigma = sigma }
  local res = { steps = steps, seeds = seeds, cases = {} }
  for _, mu in ipairs(p.mus) do
    local opt = mf.opt.momentum { lr = lr, mu = mu }
    local r = mf.run { landscape = L, optimizer = opt, noise = noise, x0 = x0, steps = steps, every = every,
                       seeds = seeds, seed = p.seed, record = { "x1" }, quiet = true }
    local flow = mf.manifold.flow { landscape = L, optimizer = opt, noise = noise }
    local flow2 = mf.manifold.flow { landscape = L, optimizer = opt, noise = noise, order = 2 }
    local c = { mu = mu }
    c.eq17 = flow2:integrate { x0 = x0, steps = steps, every = every, method = "momentum", quiet = true }.x1
    c.ode = flow:integrate { x0 = x0, steps = steps, every = every, method = "dp45", quiet = true }.x1
    c.mean, c.std = r:mean("x1"), r:std("x1")
    local n = #c.mean
    c.gap = (c.mean[n] - c.ode[n]) / c.ode[n]
    c.se = c.std[n] / math.sqrt(seeds) / c.ode[n]
    c.gap17 = (c.eq17[n] - c.ode[n]) / c.ode[n]
    c.x_ode, c.x_mean = c.ode[n], c.mean[n]
    res.cases[#res.cases + 1] = c
    res.t = r.t
  end
  return res
end

local function plot(res, p, ctx)
  local t = res.t
  local names, cols = { "t" }, { t }
  for _, c in ipairs(res.cases) do
    local key = ("mu%g"):format(c.mu)
    for _, col in ipairs { "mean", "std", "eq17", "ode" } do
      names[#names + 1] = key .. "_x_" .. col
      cols[#cols + 1] = c[col]
    end
  end
  mf.write_csv(ctx:path("fig2_left.csv"), names, cols, ("mflab %s; quasistatic Fig. 2 left; lr=%g sigma=%g steps=%d seeds=%d seed=%d")
    :format(mf.version, p.lr, p.sigma, res.steps, res.seeds, p.seed))

  local fig = mf.plot { size = { 900, 600 }, title = ("SGDm on (1 + x^2) y^2 with Hessian noise: true x (mean of %d), eq. (17), eq. (19)"):format(res.seeds),
                        xlabel = "iteration", ylabel = "x", key = "bottom left" }
  -- one colour per momentum, one dash per curve kind: 12 series, every pair distinct
  for k, c in ipairs(res.cases) do
    local color = mf.plot.colors[k]
    fig:line(t, c.mean, { title = ("mu = %g: true (mean)"):format(c.mu), color = color })
    fig:line(t, c.eq17, { title = ("mu = %g: eq. (17)"):format(c.mu), dash = "dash", color = color })
    fig:line(t, c.ode, { title = ("mu = %g: eq. (19)"):format(c.mu), dash = "dot", color = color })
  end
  fig:save(ctx:path("fig2_left.png"))
end

local function report(res)
  local parts = {}
  for _, c in ipairs(res.cases) do
    parts[#parts + 1] = ("mu=%g: x %.3f, true %+.2f%% (s.e. %.2f%%), eq17 %+.2f%%"):format(c.mu, c.x_ode,
      100 * c.gap, 100 * c.se, 100 * c.gap17)
  end
  print(("fig2_left: at step %d, gap to the ODE eq. (19): %s"):format(res.steps, table.concat(parts, "; ")))
end

local E = mf.experiment {
  name = "quasistatic_fig2_left",
  doc = "Quasistatic Fig. 2 left: SGD with momentum on the valley with Hessian noise against eq. (17) and the ODE eq. (19)",
  params = {
    { name = "lr", default = 1e-3, kind = "number", doc = "learning rate" },
    { name = "sigma", default = 2, kind = "number", doc = "Hessian-noise scale" },
    { name = "mus", default = { 0, 0.5, 0.8, 0.9 }, kind = "numbers", doc = "momentum values, one curve each" },
    { name = "steps", default = 20000, kind = "integer", doc = "steps" },
    { name = "seeds", default = 512, kind = "integer", doc = "trajectories per momentum" },
    { name = "seed", default = 2023, kind = "integer", doc = "random seed of the ensembles" },
    { name = "records", default = 500, kind = "integer", doc = "records over the run (every = steps // records)" },
  },
  quick = { steps = 5000, seeds = 64 },
  run = run, plot = plot, report = report,
}

return E:main(...)
