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
-- the same start and fits a e^(-t/T_c) to the seed-mean of |U|^2 + |V|^2 less the level it
-- settles to (the mean over the last quarter of the run: label noise keeps |w|^2 fluctuating at
-- ~eps^2 eta^(1 - gamma)/C per coordinate, which is not small above gamma = 2/3), over the window
-- from the first record where that excess is 20% below its start to the first where it is 10%
-- of it (the paper fits down to |w|^2 < 0.1 n, App. A.1, which above gamma = 2/3 the noise floor
-- never reaches). The horizon is `horizon` times the predicted timescale
-- max(2 tau1, tau2/2) (|w|^2 decays at 2/tau2; the equilibration tau1 = 2/(C eta^gamma) sets a
-- floor). Then per (gamma, C) a power law T_c = T0 eta^(-alpha) over the eta grid (mf.fit.powerlaw,
-- points that failed or diverged skipped and counted), and C is chosen as the paper does: the C
-- of the grid with the least spread (standard deviation) of log T0 over gamma, refined by a
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

-- the seed-mean of |w|^2 per record over the trajectories still finite there
local function mean_w2(r)
  local y = {}
  for j = 1, #r.t do
    local a, s, k = r:at("wnorm", j), 0, 0
    for i = 1, #a do
      if a[i] == a[i] then s, k = s + a[i] * a[i], k + 1 end
    end
    y[j] = k > 0 and s / k or 0 / 0
  end
  return y
end

-- One point: T_c of (eta, gamma, C) for landscape L from x0.
local function timescale(p, L, x0, mu2, q)
  local beta = 1 - q.C * q.eta ^ q.gamma
  if not (beta >= 0 and beta < 1) then
    error(("fig1: the point (eta %g, gamma %g, C %g) gives beta = 1 - C eta^gamma = %g, outside [0, 1)")
      :format(q.eta, q.gamma, q.C, beta), 0)
  end
  local tt = mf.analysis.uv_timescales { lr = q.eta, gamma = q.gamma, C = q.C, eps = p.eps, mu2 = mu2, n = p.n, P = p.P }
  local T = math.max(2 * tt.tau1, tt.tau2 / 2)
  local steps = math.ceil(p.horizon * T)
  local r = mf.run { landscape = L, optimizer = mf.opt.heavy_ball { lr = q.eta, beta = beta },
                     noise = mf.noise.label { eps = p.eps }, x0 = x0, steps = steps,
                     every = math.max(1, steps // p.records), seeds = p.seeds, seed = p.seed,
                     record = { "wnorm" }, on_nonfinite = "drop", quiet = true }
  local dropped = #r.dropped
  if dropped > p.seeds // 2 then
    error(("fig1: at (eta %g, gamma %g, C %g) %d of %d trajectories diverged; too few left to fit")
      :format(q.eta, q.gamma, q.C, dropped, p.seeds), 0)
  end
  local y = mean_w2(r)
  -- the level |w|^2 settles to: label noise keeps it fluctuating, by ~eps^2 eta^(1-gamma)/C per
  -- coordinate, which matters above gamma = 2/3; the mean of the last quarter of the records
  local nr, floor, k = #y, 0, 0
  for j = nr - nr // 4, nr do floor, k = floor + y[j], k + 1 end
  floor = floor / k
  if not (floor < 0.5 * y[1]) then
    error(("fig1: at (eta %g, gamma %g, C %g) |w|^2 did not decay within %d steps (from %.3g to %.3g); raise horizon")
      :format(q.eta, q.gamma, q.C, steps, y[1], floor), 0)
  end
  local z = {}
  for j = 1, nr do z[j] = y[j] - floor end
  local z0 = z[1]
  local from, to
  for j = 1, nr do
    if not from and z[j] <= 0.8 * z0 then from = r.t[j] end
    if not to and z[j] <= 0.1 * z0 then to = r.t[j] end
    if not (z[j] > 0) then z[j] = 0 / 0 end -- below the level: noise; the fit skips it
  end
  local f = mf.fit.exp_timescale(r.t, z, { from = from or 0, to = to or r.t[nr] })
  return { Tc = f.T, Tc_se = f.se_T, steps = steps, dropped = dropped }
end

local function run(p, ctx)
  local res = { acts = {}, gammas = p.gammas, C_grid = p.C }
  for _, act in ipairs(p.acts) do
    local L = mf.landscape.uv { n = p.n, P = p.P, act = act, d = 1, m = 1, seed = p.seed }
    local x0 = p.start == "manifold" and L:project(L.x0) or L.x0
    local mu2 = mf.analysis.uv_mu2(L)
    local S = mf.sweep { grid = mf.sweep.product { { "gamma", p.gammas }, { "C", p.C }, { "eta", p.etas } },
                         seeds = 1, ctx = ctx, out = ctx.out and (ctx.out .. "/sweep_" .. act),
                         run = function(q) return timescale(p, L, x0, mu2, q) end }
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
      local fits, logT0 = {}, {}
      for gi, g in ipairs(p.gammas) do
        local e = Tc[g .. "/" .. C]
        local ok, f = pcall(mf.fit.powerlaw, e.eta, e.T)
        if ok then
          fits[gi] = { alpha = -f.exponent, se = f.se_exponent, T0 = f.c, skipped = f.skipped }
          logT0[#logT0 + 1] = math.log(f.c)
        else
          fits[gi] = { alpha = 0 / 0, se = 0 / 0, T0 = 0 / 0, skipped = #e.eta, error = tostring(f) }
        end
      end
      local m, s = 0, 0
      for _, v in ipairs(logT0) do m = m + v / #logT0 end
      for _, v in ipairs(logT0) do s = s + (v - m) ^ 2 / math.max(1, #logT0 - 1) end
      byC[ci] = { C = C, fits = fits, spread = #logT0 >= 2 and math.sqrt(s) or 0 / 0 }
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
                                best = best, byC = byC, failed = #S:failures() }
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
    fig:line(gs, mx, { title = "theory max(gamma, 2 - 2 gamma)" })
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
    print(("fig1: %s: fitted C = %.3g (bracket %g..%g, least spread of log T0 over gamma %.3f); C* = (eps^2 mu_2/(P n))^(1/3) = %.3f (mu_2 = %.3f); ratio %.2f%s")
      :format(a.act, a.C_fit, a.C_lo or 0 / 0, a.C_hi or 0 / 0, b.spread, a.C_star, a.mu2, a.C_fit / a.C_star,
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
    { name = "C", default = { 0.1, 0.14, 0.2, 0.28, 0.4 }, kind = "numbers", doc = "grid of C scanned for the least spread of log T0" },
    { name = "eps", default = 0.5, kind = "number", doc = "label-noise scale epsilon" },
    { name = "n", default = 10, kind = "integer", doc = "width n of the vector UV model" },
    { name = "P", default = 5, kind = "integer", doc = "number of inputs" },
    { name = "seeds", default = 16, kind = "integer", doc = "trajectories per point" },
    { name = "seed", default = 0, kind = "integer", doc = "data seed (inputs and start) and base seed of the runs" },
    { name = "records", default = 300, kind = "integer", doc = "records per run" },
    { name = "horizon", default = 4, kind = "number", doc = "run length in predicted timescales max(2 tau1, tau2/2)" },
    { name = "start", default = "manifold", kind = "string", one_of = { "manifold", "random" }, doc = "start on the zero-loss manifold (the projection of a random point) or at the random point" },
  },
  quick = { acts = { "linear" }, gammas = { 0.2, 2 / 3, 1 }, etas = { 1e-2, 10 ^ -1.5, 1e-1 }, C = { 0.14, 0.2, 0.28 }, seeds = 8 },
  run = run, plot = plot, report = report,
}:main(...)
