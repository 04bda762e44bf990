-- Sharpness paper (Lyu, Li & Arora), Fig. 3c and App. F: GD with weight decay on the
-- scale-invariant 3-D loss L(w) = F(w), F(x, y, z) = 2 - (x + y)/sqrt(x^2 - xy + y^2), whose
-- minimizers on the unit sphere form the half circle Gamma = {x = y > 0}; the spherical
-- sharpness there is 6/(1 - z^2), least at zeta* = (1/sqrt 2, 1/sqrt 2, 0).
-- GD+WD (S(1)): w <- (1 - lr wd) w - lr grad L(w), lr = 0.5, wd = 0.08, from w0 = (0.3, 1.3, 1.2);
-- the direction theta = w/|w| is drawn over the loss on the sphere, in longitude and latitude
-- (the loss depends on the longitude only; Gamma is the meridian at 45 degrees), with the
-- sharpness-reduction flow (S(3), tau = t lr wd) from the same start (projected onto Gamma);
-- below, Fig. 3a-b: |w_t| against the step, and |grad L(w_t)| against the balance level above
-- which |w| rises (S(1) with grad L orthogonal to w).
--
-- Usage: mflab fig3c.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists the
-- parameters). Writes DIR/fig3c.png and DIR/fig3c.csv, prints the end points' distances to
-- zeta* and the spherical sharpness there, and returns the results.
--
-- Decisions:
-- * rotate = false: the paper draws L(w) = F(U w) with a random orthogonal U "transformed back
--   to the domain of F", and starts from (0.3, 1.3, 1.2) in that domain. GD+WD commutes with
--   orthogonal maps (grad L(U^T v) = U^T grad F(v)), so running on F itself gives the plotted
--   path directly (mf.landscape.sphere3d{} with its default rotate = true starts from
--   U^T (0.3, 1.3, 1.2) and gives the same path rotated).
-- * 400 steps: theta reaches Gamma in ~5 steps, then drifts down Gamma; by step 250 its
--   projection is within 1e-4 of zeta*. It ends in the edge-of-stability regime, alternating
--   between (0.6, 0.8, 0) and (0.8, 0.6, 0) (a period-2 oscillation across Gamma, |w| = 1.195,
--   2/(effective lr) = 5.49 below the sharpness 6), so the distance of theta itself to zeta*
--   stays 0.14; the printed numbers give theta, the mean of its last two values (the centre of
--   the oscillation) and its projection P theta onto Gamma.
local mf = mf or require "mflab"

local s2 = 1 / math.sqrt(2)
local zstar = { s2, s2, 0 }

local function unit(v)
  local r = math.sqrt(v[1] ^ 2 + v[2] ^ 2 + v[3] ^ 2)
  return { v[1] / r, v[2] / r, v[3] / r }
end
local function dist(a, b) return math.sqrt((a[1] - b[1]) ^ 2 + (a[2] - b[2]) ^ 2 + (a[3] - b[3]) ^ 2) end
local function lonlat(v) -- degrees
  local u = unit(v)
  return math.deg(math.atan(u[2], u[1])), math.deg(math.asin(u[3]))
end

local function run(p)
  local lr, wd, steps, w0 = p.lr, p.wd, p.steps, p.w0
  if #w0 ~= 3 then error(("sharpness_fig3c: parameter 'w0' must be three numbers, got %d"):format(#w0), 0) end
  local L = mf.landscape.sphere3d { rotate = false }
  local opt = mf.opt.gd_wd { lr = lr, wd = wd }
  local r = mf.run { landscape = L, optimizer = opt, x0 = w0, steps = steps, every = 1,
                     record = { "x", "p", "loss", "wnorm", "lr_eff" }, quiet = true }
  local flow = mf.manifold.flow { landscape = L, optimizer = opt, noise = mf.noise.none() }
  -- the start is off Gamma: the flow starts from its projection (say so ourselves, not on stderr)
  local pw0 = L:project(w0)
  local f = flow:integrate { x0 = pw0, steps = steps, every = 1, method = "dp45", quiet = true }
  local t, n = r.t, #r.t

  local theta, ptheta, zeta = {}, {}, {}
  local sharp_p, sharp_f, eos = {}, {}, {}
  for j = 1, n do
    theta[j] = unit { r.x1[j], r.x2[j], r.x3[j] }
    ptheta[j] = unit { r.p1[j], r.p2[j], r.p3[j] }
    zeta[j] = { f.x1[j], f.x2[j], f.x3[j] }
    sharp_p[j] = mf.analysis.spherical_sharpness(L, ptheta[j])
    sharp_f[j] = mf.analysis.spherical_sharpness(L, zeta[j])
    eos[j] = 2 / r.lr_eff[j] -- edge of stability: 2 / effective lr (S §4)
  end

  local mid = unit { theta[n][1] + theta[n - 1][1], theta[n][2] + theta[n - 1][2], theta[n][3] + theta[n - 1][3] }
  local res = {
    steps = steps,
    d_theta = dist(theta[n], zstar),
    d_mid = dist(mid, zstar),
    d_proj = dist(ptheta[n], zstar),
    d_flow = dist(zeta[n], zstar),
    sharp_theta = mf.analysis.spherical_sharpness(L, theta[n]),
    sharp_proj = sharp_p[n],
    sharp_flow = sharp_f[n],
    eos = eos[n],
    theta = theta[n], theta_prev = theta[n - 1], zeta = zeta[n],
  }
  -- Fig. 3a-b: |w_t| and |grad L(w_t)|. L is scale-invariant, so grad L(w) is orthogonal to w and
  -- GD+WD gives |w_{t+1}|^2 = (1 - lr wd)^2 |w_t|^2 + lr^2 |grad L(w_t)|^2 exactly (S(1)): |w| falls
  -- while |grad L| is below the balance |w| sqrt(1 - (1 - lr wd)^2)/lr and rises while it is above
  local gnorm, balance = {}, {}
  local q = math.sqrt(1 - (1 - lr * wd) ^ 2) / lr
  res.rise_steps, res.rise_agree, res.wnorm_min, res.wnorm_min_step = 0, 0, math.huge, 0
  for j = 1, n do
    local g = L:grad { r.x1[j], r.x2[j], r.x3[j] }
    gnorm[j] = math.sqrt(g[1] ^ 2 + g[2] ^ 2 + g[3] ^ 2)
    balance[j] = q * r.wnorm[j]
    if r.wnorm[j] < res.wnorm_min then res.wnorm_min, res.wnorm_min_step = r.wnorm[j], t[j] end
    if j < n then
      local rises = r.wnorm[j + 1] > r.wnorm[j]
      if rises then res.rise_steps = res.rise_steps + 1 end
      if rises == (gnorm[j] > balance[j]) then res.rise_agree = res.rise_agree + 1 end
    end
  end
  res.wnorm0, res.wnorm_end = r.wnorm[1], r.wnorm[n]
  -- sharpness along the flow never rises (S(3) is a gradient flow of log lambda_1)
  res.flow_monotone = true
  for j = 2, n do
    if sharp_f[j] > sharp_f[j - 1] + 1e-12 then res.flow_monotone = false end
  end
  -- how closely P theta follows the flow, per step, after theta first reaches Gamma (5 steps)
  res.max_gap = 0
  for j = 6, n do res.max_gap = math.max(res.max_gap, dist(ptheta[j], zeta[j])) end

  local sr = { t = t, loss = r.loss, wnorm = r.wnorm, gnorm = gnorm, balance = balance, two_over_lr_eff = eos, sharpness_ptheta = sharp_p, sharpness_zeta = sharp_f }
  for k = 1, 3 do sr["theta" .. k], sr["ptheta" .. k], sr["zeta" .. k] = {}, {}, {} end
  for j = 1, n do
    for k = 1, 3 do
      sr["theta" .. k][j], sr["ptheta" .. k][j], sr["zeta" .. k][j] = theta[j][k], ptheta[j][k], zeta[j][k]
    end
  end
  res.series = sr
  return res
end

local function plot(res, p, ctx)
  local sr = res.series
  local t, n = sr.t, #sr.t
  local names = { "t", "theta1", "theta2", "theta3", "ptheta1", "ptheta2", "ptheta3", "zeta1", "zeta2", "zeta3", "loss", "wnorm",
                  "gnorm", "balance", "two_over_lr_eff", "sharpness_ptheta", "sharpness_zeta" }
  local cols = {}
  for k, name in ipairs(names) do cols[k] = sr[name] end
  mf.write_csv(ctx:path("fig3c.csv"), names, cols,
    ("mflab %s; sharpness paper Fig. 3c; sphere3d rotate=false; gd_wd lr=%g wd=%g; w0=(%g,%g,%g); steps=%d; zeta = sharpness-reduction flow (dp45) from P(w0)")
    :format(mf.version, p.lr, p.wd, p.w0[1], p.w0[2], p.w0[3], res.steps))

  local lon, lat, flon, flat = {}, {}, {}, {}
  for j = 1, n do
    lon[j], lat[j] = lonlat { sr.theta1[j], sr.theta2[j], sr.theta3[j] }
    flon[j], flat[j] = lonlat { sr.zeta1[j], sr.zeta2[j], sr.zeta3[j] }
  end
  local L = mf.landscape.sphere3d { rotate = false }
  local function F(lo, la)
    local a, b = math.rad(lo), math.rad(la)
    return L:value { math.cos(b) * math.cos(a), math.cos(b) * math.sin(a), math.sin(b) }
  end
  local fig = mf.plot { size = { 1200, 1000 }, layout = { 2, 2 },
                        title = ("GD+WD (lr %g, wd %g) on the 3-D scale-invariant loss from w0 = (%g, %g, %g)"):format(p.lr, p.wd, p.w0[1], p.w0[2], p.w0[3]) }
  fig:panel(1, { xlabel = "longitude of theta (degrees)", ylabel = "latitude of theta (degrees)", key = "top right",
                 xrange = { 20, 90 }, yrange = { -5, 62 }, title = "theta = w/|w| over the loss on the sphere" })
  fig:heatmap(F, { xrange = { 20, 90 }, yrange = { -5, 62 }, n = 120, title = "loss" })
  fig:line({ 45, 45 }, { -5, 62 }, { title = "Gamma (minimizers, x = y)", color = "#000000", width = 1 })
  fig:line(lon, lat, { title = "GD+WD theta_t", color = "#ffffff", width = 1 })
  fig:points(lon, lat, { color = "#ffffff", size = 0.4 })
  fig:line(flon, flat, { title = "sharpness-reduction flow", color = "#d62728", width = 2.5, dash = "dash" })
  fig:points({ 45 }, { 0 }, { title = "flattest minimizer (1/sqrt2, 1/sqrt2, 0)", color = "#d62728", marker = 3, size = 2.5 })
  fig:panel(2, { xlabel = "step", ylabel = "spherical sharpness", key = "top right", xrange = { 0, math.min(res.steps, 150) },
                 title = "sharpness and the edge of stability" })
  fig:line(t, sr.sharpness_ptheta, { title = "lambda_1 at P theta_t (GD+WD)", color = "#1f77b4" })
  fig:line(t, sr.sharpness_zeta, { title = "lambda_1 along the flow", color = "#d62728", dash = "dash" })
  fig:line(t, sr.two_over_lr_eff, { title = "2 / effective lr", color = "#7f7f7f", dash = "dot" })
  local tmax = math.min(res.steps, 150)
  fig:panel(3, { xlabel = "step", ylabel = "|w_t|", key = "top right", xrange = { 0, tmax },
                 title = "(Fig. 3a) the norm |w_t|" })
  fig:line(t, sr.wnorm, { title = "|w_t| (GD+WD)", color = "#1f77b4" })
  fig:panel(4, { xlabel = "step", ylabel = "|grad L(w_t)|", key = "top right", xrange = { 0, tmax }, logy = true,
                 title = "(Fig. 3b) |w| falls while the gradient is below the balance, rises above it" })
  fig:line(t, sr.gnorm, { title = "|grad L(w_t)|", color = "#d62728" })
  fig:line(t, sr.balance, { title = "balance |w_t| sqrt(1 - (1 - lr wd)^2)/lr", color = "#7f7f7f", dash = "dash" })
  fig:save(ctx:path("fig3c.png"))
end

local function report(res)
  print(("fig3c: after %d steps, distance to (1/sqrt2, 1/sqrt2, 0): theta %.4f (period-2 oscillation), "
    .. "mean of the last two %.2e, P theta %.2e, flow %.2e; spherical sharpness: P theta %.6f, flow %.6f (minimum 6), "
    .. "theta %.4f; 2/effective lr %.4f; max |P theta - zeta| after step 5: %.4f")
    :format(res.steps, res.d_theta, res.d_mid, res.d_proj, res.d_flow, res.sharp_proj, res.sharp_flow, res.sharp_theta,
      res.eos, res.max_gap))
  print(("fig3c: |w| %.4f at the start, least %.4f at step %d, %.4f at the end; |w| rises at %d of %d steps, "
    .. "and rises exactly when |grad L| is above the balance at %d of %d (Fig. 3a-b)")
    :format(res.wnorm0, res.wnorm_min, res.wnorm_min_step, res.wnorm_end, res.rise_steps, res.steps, res.rise_agree, res.steps))
end

return mf.experiment {
  name = "sharpness_fig3c",
  doc = "Sharpness paper Fig. 3c: GD+WD on the 3-D scale-invariant loss drifts along the minimizers to the flattest one, with the sharpness-reduction flow",
  params = {
    { name = "lr", default = 0.5, kind = "number", doc = "learning rate" },
    { name = "wd", default = 0.08, kind = "number", doc = "weight decay" },
    { name = "w0", default = { 0.3, 1.3, 1.2 }, kind = "numbers", doc = "start (three numbers)" },
    { name = "steps", default = 400, kind = "integer", doc = "steps (one record each)" },
  },
  quick = { steps = 250 },
  run = run, plot = plot, report = report,
}:main(...)
