-- Sharpness paper (Lyu, Li & Arora), Fig. 3c and App. F: GD with weight decay on the
-- scale-invariant 3-D loss L(w) = F(w), F(x, y, z) = 2 - (x + y)/sqrt(x^2 - xy + y^2), whose
-- minimizers on the unit sphere form the half circle Gamma = {x = y > 0}; the spherical
-- sharpness there is 6/(1 - z^2), least at zeta* = (1/sqrt 2, 1/sqrt 2, 0).
-- GD+WD (S(1)): w <- (1 - lr wd) w - lr grad L(w), lr = 0.5, wd = 0.08, from w0 = (0.3, 1.3, 1.2);
-- the direction theta = w/|w| is drawn over the loss on the sphere, in longitude and latitude
-- (the loss depends on the longitude only; Gamma is the meridian at 45 degrees), with the
-- sharpness-reduction flow (S(3), tau = t lr wd) from the same start (projected onto Gamma).
--
-- Usage: mflab fig3c.lua [--quick] [--out DIR] [--steps N]
-- Writes DIR/fig3c.png and DIR/fig3c.csv, prints the end points' distances to zeta* and the
-- spherical sharpness there, and returns the numbers.
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

local opts = mf.example.options(arg, "fig3c.lua")

local lr, wd = 0.5, 0.08
local steps = opts.steps or (opts.quick and 250 or 400)
local w0 = { 0.3, 1.3, 1.2 }
local s2 = 1 / math.sqrt(2)
local zstar = { s2, s2, 0 }

local L = mf.landscape.sphere3d { rotate = false }
local opt = mf.opt.gd_wd { lr = lr, wd = wd }
local run = mf.run { landscape = L, optimizer = opt, x0 = w0, steps = steps, every = 1,
                     record = { "x", "p", "loss", "wnorm", "lr_eff" }, quiet = true }
local flow = mf.manifold.flow { landscape = L, optimizer = opt, noise = mf.noise.none() }
-- the start is off Gamma: the flow starts from its projection (say so ourselves, not on stderr)
local pw0 = L:project(w0)
local f = flow:integrate { x0 = pw0, steps = steps, every = 1, method = "dp45", quiet = true }
local t, n = run.t, #run.t

local function unit(v)
  local r = math.sqrt(v[1] ^ 2 + v[2] ^ 2 + v[3] ^ 2)
  return { v[1] / r, v[2] / r, v[3] / r }
end
local function dist(a, b) return math.sqrt((a[1] - b[1]) ^ 2 + (a[2] - b[2]) ^ 2 + (a[3] - b[3]) ^ 2) end
local function lonlat(v) -- degrees
  local u = unit(v)
  return math.deg(math.atan(u[2], u[1])), math.deg(math.asin(u[3]))
end

local theta, ptheta, zeta = {}, {}, {}
local lon, lat, plon, plat, flon, flat = {}, {}, {}, {}, {}, {}
local sharp_p, sharp_f, eos = {}, {}, {}
for j = 1, n do
  theta[j] = unit { run.x1[j], run.x2[j], run.x3[j] }
  ptheta[j] = unit { run.p1[j], run.p2[j], run.p3[j] }
  zeta[j] = { f.x1[j], f.x2[j], f.x3[j] }
  lon[j], lat[j] = lonlat(theta[j])
  plon[j], plat[j] = lonlat(ptheta[j])
  flon[j], flat[j] = lonlat(zeta[j])
  sharp_p[j] = mf.analysis.spherical_sharpness(L, ptheta[j])
  sharp_f[j] = mf.analysis.spherical_sharpness(L, zeta[j])
  eos[j] = 2 / run.lr_eff[j] -- edge of stability: 2 / effective lr (S §4)
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
-- sharpness along the flow never rises (S(3) is a gradient flow of log lambda_1)
res.flow_monotone = true
for j = 2, n do
  if sharp_f[j] > sharp_f[j - 1] + 1e-12 then res.flow_monotone = false end
end
-- how closely P theta follows the flow, per step, after theta first reaches Gamma (5 steps)
res.max_gap = 0
for j = 6, n do res.max_gap = math.max(res.max_gap, dist(ptheta[j], zeta[j])) end

local tx, ty, tz, px, py, pz, fx, fy, fz = {}, {}, {}, {}, {}, {}, {}, {}, {}
for j = 1, n do
  tx[j], ty[j], tz[j] = theta[j][1], theta[j][2], theta[j][3]
  px[j], py[j], pz[j] = ptheta[j][1], ptheta[j][2], ptheta[j][3]
  fx[j], fy[j], fz[j] = zeta[j][1], zeta[j][2], zeta[j][3]
end
local csv = opts.out .. "/fig3c.csv"
mf.write_csv(csv,
  { "t", "theta1", "theta2", "theta3", "ptheta1", "ptheta2", "ptheta3", "zeta1", "zeta2", "zeta3", "loss", "wnorm",
    "two_over_lr_eff", "sharpness_ptheta", "sharpness_zeta" },
  { t, tx, ty, tz, px, py, pz, fx, fy, fz, run.loss, run.wnorm, eos, sharp_p, sharp_f },
  ("mflab %s; sharpness paper Fig. 3c; sphere3d rotate=false; gd_wd lr=%g wd=%g; w0=(0.3,1.3,1.2); steps=%d; zeta = sharpness-reduction flow (dp45) from P(w0)")
  :format(mf.version, lr, wd, steps))

local function F(lo, la)
  local a, b = math.rad(lo), math.rad(la)
  return L:value { math.cos(b) * math.cos(a), math.cos(b) * math.sin(a), math.sin(b) }
end
local p = mf.plot { size = { 1200, 550 }, layout = { 1, 2 },
                    title = "GD+WD (lr 0.5, wd 0.08) on the 3-D scale-invariant loss from w0 = (0.3, 1.3, 1.2)" }
p:panel(1, { xlabel = "longitude of theta (degrees)", ylabel = "latitude of theta (degrees)", key = "top right",
             xrange = { 20, 90 }, yrange = { -5, 62 }, title = "theta = w/|w| over the loss on the sphere" })
p:heatmap(F, { xrange = { 20, 90 }, yrange = { -5, 62 }, n = 120, title = "loss" })
p:line({ 45, 45 }, { -5, 62 }, { title = "Gamma (minimizers, x = y)", color = "#000000", width = 1 })
p:line(lon, lat, { title = "GD+WD theta_t", color = "#ffffff", width = 1 })
p:points(lon, lat, { color = "#ffffff", size = 0.4 })
p:line(flon, flat, { title = "sharpness-reduction flow", color = "#d62728", width = 2.5, dash = "dash" })
p:points({ 45 }, { 0 }, { title = "flattest minimizer (1/sqrt2, 1/sqrt2, 0)", color = "#d62728", marker = 3, size = 2.5 })
p:panel(2, { xlabel = "step", ylabel = "spherical sharpness", key = "top right", xrange = { 0, math.min(steps, 150) },
             title = "sharpness and the edge of stability" })
p:line(t, sharp_p, { title = "lambda_1 at P theta_t (GD+WD)", color = "#1f77b4" })
p:line(t, sharp_f, { title = "lambda_1 along the flow", color = "#d62728", dash = "dash" })
p:line(t, eos, { title = "2 / effective lr", color = "#7f7f7f", dash = "dot" })
local png = opts.out .. "/fig3c.png"
p:save(png)

print(("fig3c: after %d steps, distance to (1/sqrt2, 1/sqrt2, 0): theta %.4f (period-2 oscillation), "
  .. "mean of the last two %.2e, P theta %.2e, flow %.2e; spherical sharpness: P theta %.6f, flow %.6f (minimum 6), "
  .. "theta %.4f; 2/effective lr %.4f; max |P theta - zeta| after step 5: %.4f")
  :format(steps, res.d_theta, res.d_mid, res.d_proj, res.d_flow, res.sharp_proj, res.sharp_flow, res.sharp_theta,
    res.eos, res.max_gap))
res.png, res.csv = png, csv
return res
