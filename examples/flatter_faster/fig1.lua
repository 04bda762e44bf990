-- Flatter-faster paper (Cowsik et al.), Fig. 1: the timescale T_c of label-noise heavy ball on
-- the vector UV model against the learning rate, for momentum beta = 1 - C eta^gamma, and its
-- exponent alpha(gamma) in T_c = T0 eta^(-alpha): the theory (F §3.4, eqs. (9), (10); doc/math.md)
-- has alpha = max(gamma, 2 - 2gamma), the drift along the valley (2 - 2gamma) for gamma < 2/3
-- and the equilibration (gamma) above, fastest at gamma = 2/3, with T0 the same for every gamma
-- at C* = (eps^2 mu_2/(P n))^(1/3).
--
-- Data as in the paper (App. A.1): P = 5 inputs x_a ~ N(0, 1) drawn once, targets y = 0, full
-- batch, label noise of size eps = 1/2; the model f(x) = n^(-1/2) sum_k u_k phi(v_k x), n = 10
-- (the width the paper's C* = 0.17 implies for mu_2 ~ 1), phi = identity, tanh or relu.
--
-- Per activation: one mf.sweep over (gamma, eta, C). Each point runs `seeds` trajectories from
-- the same start; T_c is the first time the seed-mean of |U|^2 + |V|^2, less the level it
-- settles to (the mean over the last quarter of the run: label noise keeps |w|^2 fluctuating),
-- falls to `level` = 5% of its start, interpolated between records, with a bootstrap standard
-- error over the trajectories. This is the paper's "time until |w|^2 < 0.1 n" (App. A.1) from a
-- start of |w|^2 ~ 90 (`scale` = 2 times the landscape's random point, projected; tanh: 0.5, as
-- a larger start saturates it and its drift takes ~170 tau2 at 2, ~4 tau2 at 0.5). It is not a
-- fit of a e^(-t/T) to the decay's slope: above gamma = 2/3 (tau2 < tau1) |w|^2 first falls fast,
-- within ~sqrt(tau1 tau2) (the drift builds up over the equilibration time tau1 while it acts on
-- the faster tau2), then a tail of a few percent of the start lasts ~tau1 (the underdamped
-- relaxation); a slope fit sees the fast fall and measures alpha ~ 1 - gamma/2, the threshold
-- time sees the tail and measures gamma. The run is `horizon` = 2 predicted crossing times
-- max(2.5 tau1, k tau2) long, k measured by a pilot at the cheapest drift-limited point (1.3
-- for linear, ~4 for tanh from its start), and
-- run again twice as long, up to `extend` times, when the crossing is not in its first two
-- thirds. Long runs (small gamma and eta, large C: nearly deterministic) get fewer trajectories,
-- down to 4 (`budget`). Then per (gamma, C) a power law T_c = T0 eta^(-alpha) over the eta grid
-- (mf.fit.powerlaw, points that failed or diverged skipped and counted), and C is chosen as the
-- paper does: the C of the grid with the least spread (standard deviation) of log T0 over the
-- gammas measured at every eta for every C (gamma = 1 diverges at small C and eta), refined by a
-- parabola through it and its neighbours in log C; the bracket is those neighbours.
--
-- The start: `start = "manifold"` (default) projects the landscape's random point onto the
-- zero-loss set (Gauss-Newton for tanh and relu, see README) so the run starts where the
-- theory's drift applies; `start = "random"` starts from the random point itself, where the
-- first part of the decay is the fall onto the valley, not the drift along it (README).
--
-- Usage: mflab fig1.lua [name=value ...] [--quick] [--out DIR] [--replot] [--resume]
-- Writes DIR/fig1.png (a: theory; b-d: measured alpha(gamma) for linear, tanh, relu),
-- DIR/fig1_alpha.csv, and one sweep folder per activation (sweep_<act>/sweep.csv, .npz, .json,
-- journal: --resume continues a killed run); prints alpha per gamma against the theory and the
-- fitted C against C*.
local mf = mf or require "mflab"

local function alpha_theory(g) return math.max(g, 2 - 2 * g) end

-- |w|^2 per record and trajectory (the trajectories still finite there)
local function w2_rows(r)
  local rows = {}
  for j = 1, #r.t do
    local a, row = r:at("wnorm", j), {}
    for i = 1, #a do row[i] = a[i] * a[i] end
    rows[j] = row
  end
  return rows
end

-- The seed-mean over the trajectories `pick` (indices into a row), skipping non-finite ones
local function mean_of(rows, pick)
  local y = {}
  for j, row in ipairs(rows) do
    local s, k = 0, 0
    for _, i in ipairs(pick) do
      local v = row[i]
      if v == v and v < math.huge then s, k = s + v, k + 1 end
    end
    y[j] = k > 0 and s / k or 0 / 0
  end
  return y
end

-- T_c of one seed-mean curve y at record times t: the level it settles to (the mean of the last
-- quarter: label noise keeps |w|^2 fluctuating) is subtracted, and T_c is the first time the
-- excess falls to `level` of its start, interpolated in log between the two records around it
-- (the paper's "time until |w|^2 < 0.1 n" from a start of ~n, App. A.1). Returns nil when the
-- excess never gets there, gets there in the last third of the run, or the level has not
-- settled (the third quarter's mean more than the threshold above the last quarter's).
local function crossing(t, y, level)
  local nr, floor, k = #y, 0, 0
  for j = nr - nr // 4, nr do floor, k = floor + y[j], k + 1 end
  floor = floor / k
  local z0 = y[1] - floor
  if not (z0 > 0) then return nil, floor end
  local target = level * z0
  -- settled: the third quarter's mean within the threshold of the last quarter's (a run cut
  -- off mid-decay has a "level" far above the true one and would cross it early)
  local q3, k3 = 0, 0
  for j = nr // 2, nr - nr // 4 - 1 do q3, k3 = q3 + y[j], k3 + 1 end
  if k3 > 0 and q3 / k3 - floor > target then return nil, floor end
  for j = 2, nr do
    local z = y[j] - floor
    if z <= target then
      if t[j] > t[nr] * 2 / 3 then return nil, floor end
      local zp = y[j - 1] - floor
      if z > 0 and zp > target then -- log-linear between records j-1 and j
        return t[j - 1] + (t[j] - t[j - 1]) * math.log(zp / target) / math.log(zp / z), floor
      end
      return t[j], floor
    end
  end
  return nil, floor
end

-- One point: T_c of (eta, gamma, C) for landscape L from x0. The run is `horizon` predicted
-- crossing times long, max(2.5 tau1, k tau2): the linear model crosses 5% at ~2 tau1 above
-- gamma = 2/3 and ~1.5 tau2 below; k is the activation's own drift, measured by run()'s pilot
-- (tanh's saturated start drifts ~10x slower than the linear tau2). When the crossing is not
-- inside the first two thirds of the run, the run is repeated twice as long, up to `extend` times.
local function timescale(p, L, x0, mu2, q, k, extend)
  local beta = 1 - q.C * q.eta ^ q.gamma
  if not (beta >= 0 and beta < 1) then
    error(("fig1: the point (eta %g, gamma %g, C %g) gives beta = 1 - C eta^gamma = %g, outside [0, 1)")
      :format(q.eta, q.gamma, q.C, beta), 0)
  end
  local tt = mf.analysis.uv_timescales { lr = q.eta, gamma = q.gamma, C = q.C, eps = p.eps, mu2 = mu2, n = p.n, P = p.P }
  local T = math.max(2.5 * tt.tau1, k * tt.tau2)
  local steps = math.ceil(p.horizon * T)
  extend = extend or p.extend
  for attempt = 0, extend do
    -- long runs (the drift-limited corner: small gamma and eta, large C) are nearly
    -- deterministic, so they get fewer trajectories: at most `budget` trajectory-steps, at least 4
    local seeds = math.max(math.min(4, p.seeds), math.min(p.seeds, math.floor(p.budget / steps)))
    local r = mf.run { landscape = L, optimizer = mf.opt.heavy_ball { lr = q.eta, beta = beta },
                       noise = mf.noise.label { eps = p.eps }, x0 = x0, steps = steps,
                       every = math.max(1, steps // p.records), seeds = seeds, seed = p.seed,
                       record = { "wnorm" }, on_nonfinite = "drop", quiet = true }
    local dropped = #r.dropped
    if dropped > seeds // 2 then
      error(("fig1: at (eta %g, gamma %g, C %g) %d of %d trajectories diverged; too few left to fit")
        :format(q.eta, q.gamma, q.C, dropped, seeds), 0)
    end
    local rows, all = w2_rows(r), {}
    for i = 1, seeds do all[i] = i end
    local y = mean_of(rows, all)
    local Tc, floor = crossing(r.t, y, p.level)
    if Tc then
      -- standard error by a bootstrap over the trajectories (fixed generator: same bits each run)
      local B, s1, s2, nb, state = 64, 0, 0, 0, 12345
      for _ = 1, B do
        local pick = {}
        for i = 1, seeds do
          state = (state * 1103515245 + 12345) % 2147483648
          pick[i] = 1 + state % seeds
        end
        local tb = crossing(r.t, mean_of(rows, pick), p.level)
        if tb then s1, s2, nb = s1 + tb, s2 + tb * tb, nb + 1 end
      end
      local se = nb > 1 and math.sqrt(math.max(0, (s2 - s1 * s1 / nb) / (nb - 1))) or 0 / 0
      return { Tc = Tc, Tc_se = se, steps = steps, seeds = seeds, dropped = dropped, floor = floor, extended = attempt,
               Tc_tau1 = Tc / tt.tau1, Tc_tau2 = Tc / tt.tau2 }
    end
    if attempt == extend then
      error(("fig1: at (eta %g, gamma %g, C %g) |w|^2 did not fall to %g of its start above its settled level within %d steps (from %.3g to %.3g); raise horizon or extend")
        :format(q.eta, q.gamma, q.C, p.level, steps, y[1], floor), 0)
    end
    steps = 2 * steps
  end
end

local function run(p, ctx)
  local res = { acts = {}, gammas = p.gammas, C_grid = p.C }
  for _, act in ipairs(p.acts) do
    local L = mf.landscape.uv { n = p.n, P = p.P, act = act, d = 1, m = 1, seed = p.seed }
    local x0 = {}
    local scale = act == "tanh" and p.tanh_scale or p.scale
    for i = 1, #L.x0 do x0[i] = scale * L.x0[i] end
    if p.start == "manifold" then x0 = L:project(x0) end
    local mu2 = mf.analysis.uv_mu2(L)
    -- pilot: the activation's own drift time against tau2 at the cheapest drift-limited point
    -- (smallest gamma, largest eta, middle C), run until its crossing is covered
    local k = 1.5
    local g0, e0, C0 = math.huge, 0, p.C[(#p.C + 1) // 2]
    for _, g in ipairs(p.gammas) do g0 = math.min(g0, g) end
    for _, e in ipairs(p.etas) do e0 = math.max(e0, e) end
    if g0 < 2 / 3 then
      local ok, pilot = pcall(timescale, p, L, x0, mu2, { eta = e0, gamma = g0, C = C0 }, 1.5, p.extend + 5)
      if ok then
        local tt = mf.analysis.uv_timescales { lr = e0, gamma = g0, C = C0, eps = p.eps, mu2 = mu2, n = p.n, P = p.P }
        k = math.max(1, pilot.Tc / tt.tau2)
        print(("fig1: %s: pilot at (eta %g, gamma %g, C %g): T_c = %.4g = %.3g tau2 (steps sized by it)"):format(act, e0, g0, C0, pilot.Tc, k))
      else
        print(("fig1: %s: pilot failed (%s); steps sized by the linear drift"):format(act, tostring(pilot)))
      end
    end
    local S = mf.sweep { grid = mf.sweep.product { { "gamma", p.gammas }, { "C", p.C }, { "eta", p.etas } },
                         seeds = 1, ctx = ctx, out = ctx.out and (ctx.out .. "/sweep_" .. act),
                         run = function(q) return timescale(p, L, x0, mu2, q, k) end }
    if not S then os.exit(0) end -- a worker rank under mpirun: rank 0 writes everything
    -- T_c per (gamma, C) over eta
    local Tc = {}
    for i = 1, #S do
      local row = S[i]
      local key = row.gamma .. "/" .. row.C
      Tc[key] = Tc[key] or { eta = {}, T = {} }
      local e = Tc[key]
      e.eta[#e.eta + 1], e.T[#e.T + 1] = row.eta, row.Tc_mean
    end
    local byC = {}
    for ci, C in ipairs(p.C) do
      local fits = {}
      for gi, g in ipairs(p.gammas) do
        local e = Tc[g .. "/" .. C]
        local ok, f = pcall(mf.fit.powerlaw, e.eta, e.T)
        if ok then
          fits[gi] = { alpha = -f.exponent, se = f.se_exponent, T0 = f.c, skipped = f.skipped }
        else
          fits[gi] = { alpha = 0 / 0, se = 0 / 0, T0 = 0 / 0, skipped = #e.eta, error = tostring(f) }
        end
      end
      byC[ci] = { C = C, fits = fits }
    end
    -- the gammas that enter the C scan: those measured at every eta for every C (a gamma with
    -- failed points at some C would compare T0 over different eta ranges; at gamma = 1 small C
    -- and eta diverge, README)
    local used = {}
    for gi in ipairs(p.gammas) do
      local all = true
      for _, b in ipairs(byC) do all = all and b.fits[gi].skipped == 0 and b.fits[gi].T0 == b.fits[gi].T0 end
      if all then used[#used + 1] = gi end
    end
    for _, b in ipairs(byC) do
      local m, s, n = 0, 0, #used
      for _, gi in ipairs(used) do m = m + math.log(b.fits[gi].T0) / n end
      for _, gi in ipairs(used) do s = s + (math.log(b.fits[gi].T0) - m) ^ 2 / math.max(1, n - 1) end
      b.spread = n >= 2 and math.sqrt(s) or 0 / 0
    end
    -- the C of least spread, refined by a parabola in log C through its neighbours
    local best
    for ci, b in ipairs(byC) do
      if b.spread == b.spread and (not best or b.spread < byC[best].spread) then best = ci end
    end
    local C_fit, lo, hi = best and byC[best].C or 0 / 0, nil, nil
    if best then
      lo, hi = byC[math.max(1, best - 1)].C, byC[math.min(#byC, best + 1)].C
      if best > 1 and best < #byC then
        local x1, x2, x3 = math.log(byC[best - 1].C), math.log(byC[best].C), math.log(byC[best + 1].C)
        local y1, y2, y3 = byC[best - 1].spread, byC[best].spread, byC[best + 1].spread
        local den = (x1 - x2) * (x1 - x3) * (x2 - x3)
        local A = (x3 * (y2 - y1) + x2 * (y1 - y3) + x1 * (y3 - y2)) / den
        local B = (x3 * x3 * (y1 - y2) + x2 * x2 * (y3 - y1) + x1 * x1 * (y2 - y3)) / den
        if A > 0 then
          local xv = -B / (2 * A)
          if xv > x1 and xv < x3 then C_fit = math.exp(xv) end
        end
      end
    end
    local C_star = mf.analysis.uv_cstar(L, p.eps)
    res.acts[#res.acts + 1] = { act = act, mu2 = mu2, C_star = C_star, C_fit = C_fit, C_lo = lo, C_hi = hi,
                                best = best, byC = byC, failed = #S:failures(), used = used }
  end
  return res
end

local function plot(res, p, ctx)
  -- CSV: alpha per (activation, C, gamma)
  local cols = { {}, {}, {}, {}, {}, {}, {} }
  local names = { "act", "C", "gamma", "alpha", "alpha_se", "alpha_theory", "T0" }
  for ai, a in ipairs(res.acts) do
    for _, b in ipairs(a.byC) do
      for gi, g in ipairs(res.gammas) do
        local f = b.fits[gi]
        local row = { ai, b.C, g, f.alpha, f.se, alpha_theory(g), f.T0 }
        for k = 1, #row do cols[k][#cols[k] + 1] = row[k] end
      end
    end
  end
  local acts = {}
  for _, a in ipairs(res.acts) do acts[#acts + 1] = a.act end
  mf.write_csv(ctx:path("fig1_alpha.csv"), names, cols,
    ("mflab %s; flatter-faster Fig. 1; act codes %s; eps=%g n=%d P=%d seeds=%d start=%s")
      :format(mf.version, table.concat(acts, "=1,2,3 "), p.eps, p.n, p.P, p.seeds, p.start))

  local fig = mf.plot { layout = { 1, 1 + #res.acts }, size = { 450 * (1 + #res.acts), 480 },
                        title = "Timescale exponent alpha(gamma) of T_c ~ eta^-alpha, beta = 1 - C eta^gamma (vector UV model, label noise)" }
  local gs, eq, dr, mx = {}, {}, {}, {}
  for i = 0, 100 do
    local g = i / 100
    gs[#gs + 1], eq[#eq + 1], dr[#dr + 1], mx[#mx + 1] = g, g, 2 - 2 * g, alpha_theory(g)
  end
  fig:panel(1, { title = "(a) theory", xlabel = "gamma", ylabel = "alpha", yrange = { 0, 2 }, key = "top right" })
  fig:line(gs, eq, { title = "equilibration: gamma" })
  fig:line(gs, dr, { title = "drift: 2 - 2 gamma" })
  fig:line(gs, mx, { title = "max", width = 3, dash = "dash" })
  for ai, a in ipairs(res.acts) do
    local b = a.byC[a.best or 1]
    fig:panel(1 + ai, { title = ("(%s) %s, C = %g (fitted %.3g)"):format(string.char(97 + ai), a.act, b.C, a.C_fit),
                        xlabel = "gamma", ylabel = "alpha", yrange = { 0, 2 }, key = "top right" })
    fig:line(gs, mx, { title = "theory" })
    local xs, ys = {}, {}
    for gi, g in ipairs(res.gammas) do xs[gi], ys[gi] = g, b.fits[gi].alpha end
    fig:points(xs, ys, { title = "measured", size = 1.2 })
    for gi, g in ipairs(res.gammas) do -- error bars: +- 2 standard errors
      local f = b.fits[gi]
      if f.alpha == f.alpha then
        fig:line({ g, g }, { f.alpha - 2 * f.se, f.alpha + 2 * f.se },
                 { title = gi == 1 and "+- 2 s.e." or nil, color = "#444444", width = 1 })
      end
    end
  end
  fig:save(ctx:path("fig1.png"))
end

local function report(res)
  for _, a in ipairs(res.acts) do
    local b = a.byC[a.best or 1]
    local parts = {}
    for gi, g in ipairs(res.gammas) do
      local f = b.fits[gi]
      parts[#parts + 1] = ("gamma %.3g: %.3f +- %.3f (theory %.3f)"):format(g, f.alpha, f.se, alpha_theory(g))
    end
    print(("fig1: %s: alpha at C = %g: %s"):format(a.act, b.C, table.concat(parts, "; ")))
    local ug = {}
    for _, gi in ipairs(a.used) do ug[#ug + 1] = ("%.3g"):format(res.gammas[gi]) end
    print(("fig1: %s: fitted C = %.3g (bracket %g..%g, least spread of log T0 over gamma = %s: %.3f); C* = (eps^2 mu_2/(P n))^(1/3) = %.3f (mu_2 = %.3f); ratio %.2f%s")
      :format(a.act, a.C_fit, a.C_lo or 0 / 0, a.C_hi or 0 / 0, table.concat(ug, ","), b.spread, a.C_star, a.mu2, a.C_fit / a.C_star,
        a.failed > 0 and ("; %d points failed (see the sweep's json)"):format(a.failed) or ""))
  end
end

return mf.experiment {
  name = "flatter_faster_fig1",
  doc = "Flatter-faster Fig. 1: timescale exponent alpha(gamma) of label-noise heavy ball on the vector UV model (linear, tanh, relu), beta = 1 - C eta^gamma, against max(gamma, 2 - 2 gamma); C fitted against C*",
  params = {
    { name = "acts", default = { "linear", "tanh", "relu" }, kind = "strings", doc = "activations, one sweep each" },
    { name = "gammas", default = { 0.2, 0.35, 0.5, 2 / 3, 0.8, 1 }, kind = "numbers", doc = "exponents gamma of 1 - beta = C eta^gamma" },
    { name = "etas", default = { 1e-3, 10 ^ -2.5, 1e-2, 10 ^ -1.5, 1e-1 }, kind = "numbers", doc = "learning rates" },
    { name = "C", default = { 0.14, 0.2, 0.28, 0.4 }, kind = "numbers", doc = "grid of C scanned for the least spread of log T0" },
    { name = "eps", default = 0.5, kind = "number", doc = "label-noise scale epsilon" },
    { name = "n", default = 10, kind = "integer", doc = "width n of the vector UV model" },
    { name = "P", default = 5, kind = "integer", doc = "number of inputs" },
    { name = "seeds", default = 16, kind = "integer", doc = "trajectories per point (fewer, down to 4, where a point's run is longer than budget/seeds steps)" },
    { name = "budget", default = 4e6, kind = "number", doc = "trajectory-steps per point above which it gets fewer trajectories" },
    { name = "seed", default = 0, kind = "integer", doc = "data seed (inputs and start) and base seed of the runs" },
    { name = "records", default = 300, kind = "integer", doc = "records per run" },
    { name = "horizon", default = 2, kind = "number", doc = "run length in predicted crossing times max(2.5 tau1, k tau2), k from the activation's pilot" },
    { name = "extend", default = 3, kind = "integer", doc = "times a run whose crossing is not inside its first two thirds is repeated twice as long" },
    { name = "level", default = 0.05, kind = "number", doc = "T_c is the first time |w|^2 less its settled level falls to this fraction of its start" },
    { name = "scale", default = 2, kind = "number", doc = "the random start is scaled by this before its projection (linear, relu: |w|^2 ~ 90, far above the noise level)" },
    { name = "tanh_scale", default = 0.5, kind = "number", doc = "the same for tanh (|w|^2 ~ 4.4: a larger start saturates tanh and drifts far slower, ~170 tau2 to cross at scale 2, ~16 at 1, ~4 at 0.5)" },
    { name = "start", default = "manifold", kind = "string", one_of = { "manifold", "random" }, doc = "start on the zero-loss manifold (the projection of a random point) or at the random point" },
  },
  quick = { acts = { "linear" }, gammas = { 0.2, 2 / 3, 1 }, etas = { 1e-2, 10 ^ -1.5, 1e-1 }, C = { 0.14, 0.2, 0.28 }, seeds = 8 },
  run = run, plot = plot, report = report,
}:main(...)
