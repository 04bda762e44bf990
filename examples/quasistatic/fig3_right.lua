-- Quasistatic paper (Ma, Wu & E), Fig. 3 right: Adam on the rotated valley
-- f = (x sin t + y cos t)^2 (1 + (x cos t - y sin t)^2) (Q eq. 23) for t in {0, pi/8, pi/4}, and
-- SGD, all with Hessian noise: the distance |Pz| of the manifold projection from the origin
-- against iterations (ensemble mean), with the first-order manifold flow of each (doc/math.md §4:
-- SGD Q(13), time k lr; Adam Q(24)-(27) with the fast subsystem solved at any angle, time k lr^2).
-- Adam moves fast when the manifold lies along an axis and slowly when it does not, slower than
-- SGD with the same learning rate.
--
-- Parameters and why:
--   lr = 5e-3 for all, sigma = 1, 800 000 steps from u = 5 on the manifold. Adam at t = pi/4 moves
--     as dx/dk = -lr^2 h'/(2h) whatever sigma and eps are (Q(27)), so it needs ~14/lr^2 steps to
--     bring |Pz| from 5 to 1: lr = 5e-3 keeps that to ~6e5 steps (~1.5 s for 128 seeds),
--     while the discrete runs stay within ~3% of the flows (at lr = 1e-2 the gap is ~10%).
--   eps = 0.1 = 20 sigma lr, not torch's 1e-8. At t = 0 the flow, like the paper's SDE, leaves out
--     the mean gradient's part of Adam's second moment along the manifold, (h' y^2)^2, so it
--     holds only while eps >> sqrt(E (h' y^2)^2) = sqrt(3) h' E[y^2] ~ 0.85 sigma lr. With
--     eps = 1e-8 Adam instead moves at ~lr/sqrt(3) per step (sign-like) and the flow's
--     -lr^2 sigma h'/(4 eps sqrt(h)) per step is off by orders of magnitude. At 20 sigma lr the
--     left-out part slows the run by ~5% (printed below). The speed ratio of t = 0 over t = pi/4
--     is about 1.56 sigma/eps ~ 16 (the ratio of the first-order flows, Q(27)).
--   betas = {0.9, 0.999} (torch's); the manifold moves slowly enough that Adam's second moment,
--     an average over ~1000 steps, keeps up with h(x) (~1% effect).
-- At t = pi/8, beyond the paper, the flow's tangent coefficient is the Schur complement
-- M11 - M12^2/M22 of the rotated preconditioner (manifold.h); the plain M11 is ~10% too fast.
-- The key number: iterations until the mean |Pz| first reaches 1, and the ratio between t = pi/4
-- and t = 0, for the runs and for the flows.
--
-- Usage: mflab fig3_right.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists
-- the parameters). Writes DIR/fig3_right.png and DIR/fig3_right.csv, prints the key numbers,
-- returns the results.
local mf = mf or require "mflab"

local CASES = {
  { key = "adam0", theta = 0, label = "Adam, theta = 0" },
  { key = "adam8", theta = math.pi / 8, label = "Adam, theta = pi/8" },
  { key = "adam4", theta = math.pi / 4, label = "Adam, theta = pi/4" },
  { key = "sgd", theta = math.pi / 4, label = "SGD (any theta)" },
}

-- the first step where y falls to lvl, interpolated linearly between records
local function crossing(t, y, lvl)
  for j = 2, #t do
    if y[j] <= lvl then return t[j - 1] + (t[j] - t[j - 1]) * (y[j - 1] - lvl) / (y[j - 1] - y[j]) end
  end
  return nil
end

local function run(p)
  local lr, eps, level, steps, seeds, every = p.lr, p.eps, p.level, p.steps, p.seeds, p.every
  local noise = mf.noise.hessian { sigma = p.sigma }
  local res = { steps = steps, seeds = seeds }
  for _, def in ipairs(CASES) do
    local L = mf.landscape.rotated_valley { theta = def.theta }
    local opt = def.key == "sgd" and mf.opt.sgd { lr = lr } or mf.opt.adam { lr = lr, betas = { 0.9, 0.999 }, eps = eps }
    local r = mf.run { landscape = L, optimizer = opt, noise = noise, x0 = L.x0, steps = steps, every = every,
                       seeds = seeds, seed = p.seed, record = { "p1", "p2" }, quiet = true }
    local sol = mf.manifold.flow { landscape = L, optimizer = opt, noise = noise }
      :integrate { x0 = L.x0, steps = steps, every = every, method = "dp45", quiet = true }
    local c = { mean = {}, std = {}, flow = {} }
    for j = 1, #r.t do -- |Pz| of each trajectory, then its mean and std over seeds
      local p1, p2 = r:at("p1", j), r:at("p2", j)
      local s, s2 = 0, 0
      for k = 1, seeds do
        local dist = math.sqrt(p1[k] ^ 2 + p2[k] ^ 2)
        s, s2 = s + dist, s2 + dist * dist
      end
      c.mean[j] = s / seeds
      c.std[j] = math.sqrt(math.max(0, (s2 - s * s / seeds) / math.max(1, seeds - 1)))
      c.flow[j] = math.sqrt(sol.x1[j] ^ 2 + sol.x2[j] ^ 2)
    end
    c.k_run, c.k_flow = crossing(r.t, c.mean, level), crossing(sol.t, c.flow, level)
    res[def.key] = c
    res.t = res.t or r.t
  end
  local A0, A4 = res.adam0, res.adam4
  res.factor_run = A4.k_run and A0.k_run and A4.k_run / A0.k_run
  res.factor_flow = A4.k_flow and A0.k_flow and A4.k_flow / A0.k_flow
  return res
end

local function plot(res, p, ctx)
  local t = res.t
  local names, cols = { "t" }, { t }
  for _, def in ipairs(CASES) do
    for _, col in ipairs { "mean", "std", "flow" } do
      names[#names + 1] = def.key .. "_dist_" .. col
      cols[#cols + 1] = res[def.key][col]
    end
  end
  mf.write_csv(ctx:path("fig3_right.csv"), names, cols, ("mflab %s; quasistatic Fig. 3 right; rotated valley h = 1 + u^2, Hessian noise sigma=%g; lr=%g; adam betas={0.9, 0.999} eps=%g; steps=%d seeds=%d seed=%d; dist = |Pz|")
    :format(mf.version, p.sigma, p.lr, p.eps, res.steps, res.seeds, p.seed))

  -- log iteration axis: t = 0 is left out
  local function tail(y) return table.move(y, 2, #y, 1, {}) end
  local fig = mf.plot { size = { 900, 600 }, xlabel = "iteration", ylabel = "|Pz|, distance of the projection from the origin",
                        logx = true, xrange = { 500, 1e6 }, key = "bottom left",
                        title = ("Adam and SGD on the rotated valley, lr = %g, mean of %d seeds; dashed: manifold flow"):format(p.lr, res.seeds) }
  local colors = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728" }
  for n, def in ipairs(CASES) do
    local c = res[def.key]
    fig:line(tail(t), tail(c.mean), { title = def.label, color = colors[n] })
    fig:line(tail(t), tail(c.flow), { title = def.label .. ", flow", color = colors[n], dash = "dash" })
  end
  fig:save(ctx:path("fig3_right.png"))
end

local function report(res, p)
  local A0, A8, A4, S = res.adam0, res.adam8, res.adam4, res.sgd
  local function fmt(k) return k and ("%.0f"):format(k) or "not reached" end
  print(("fig3_right: iterations until |Pz| = %g (run / flow): theta=0 %s / %s, theta=pi/8 %s / %s, theta=pi/4 %s / %s, SGD %s / %s")
    :format(p.level, fmt(A0.k_run), fmt(A0.k_flow), fmt(A8.k_run), fmt(A8.k_flow), fmt(A4.k_run), fmt(A4.k_flow),
      fmt(S.k_run), fmt(S.k_flow)))
  print(("fig3_right: Adam at theta = 0 reaches it %.1f times sooner than at theta = pi/4 (flow: %.1f)")
    :format(res.factor_run or 0 / 0, res.factor_flow or 0 / 0))
end

return mf.experiment {
  name = "quasistatic_fig3_right",
  doc = "Quasistatic Fig. 3 right: Adam on the rotated valley at three angles and SGD, |Pz| against the manifold flows",
  params = {
    { name = "lr", default = 5e-3, kind = "number", doc = "learning rate of Adam and SGD" },
    { name = "sigma", default = 1, kind = "number", doc = "Hessian-noise scale" },
    { name = "eps", default = 0.1, kind = "number", doc = "Adam's eps (20 sigma lr; see the head of the file)" },
    { name = "level", default = 1, kind = "number", doc = "the |Pz| whose first crossing is timed" },
    { name = "steps", default = 800000, kind = "integer", doc = "steps" },
    { name = "seeds", default = 128, kind = "integer", doc = "trajectories per case" },
    { name = "every", default = 800, kind = "integer", doc = "steps between records" },
    { name = "seed", default = 2023, kind = "integer", doc = "random seed of the ensembles" },
  },
  quick = { seeds = 32, every = 4000 },
  run = run, plot = plot, report = report,
}:main(...)
