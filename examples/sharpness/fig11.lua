-- Sharpness paper (Lyu, Li & Arora), Fig. 11: a closer look at Fig. 1's matrix completion with BN
-- (d = 50, rank 2, N = 800, GD+WD lr = 0.1, wd = 0.01) around the moment it enters the edge of
-- stability: 2/eta_t switches back and forth between below and above the spherical sharpness
-- (lambda_1 of the Hessian at theta_t = w_t/|w_t|, as the paper computes it), and the training
-- loss oscillates periodically with it.
--
-- A coarse run (records every 10 steps) finds the first step where 2/eta_t <= sharpness; GD+WD
-- keeps no optimizer state, so a second run from the iterate `before` steps earlier records every
-- step of the window exactly as the long run would have.
--
-- Usage: mflab fig11.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists the
-- parameters). Writes DIR/fig11.png and DIR/sharpness_fig11.csv (every step of the window),
-- prints the entry step, how often 2/eta_t and the sharpness cross in the window, and the
-- training loss's peaks.
local mf = mf or require "mflab"

local function run(p)
  local L = mf.landscape.matrix_completion_bn { d = p.d, rank = 2, observed = p.N, seed = p.seed }
  local opt = mf.opt.gd_wd { lr = p.lr, wd = p.wd }
  local horizon, before, window = p.horizon, p.before, p.window

  -- 1. where the edge of stability starts
  local coarse = mf.run { landscape = L, optimizer = opt, steps = horizon, every = 10, quiet = true,
                          record = { "x", "spherical_sharpness", "eta_eff" } }
  local entry
  for j = 1, #coarse.t do
    if 2 / coarse.eta_eff[j] <= coarse.spherical_sharpness[j] then entry = coarse.t[j]; break end
  end
  if not entry then error(("sharpness_fig11: no edge of stability within %d steps (parameter horizon)"):format(horizon), 0) end

  -- 2. every step of the window [entry - before, entry - before + window]
  local t0 = math.max(0, entry - before)
  local w0
  if t0 == 0 then
    w0 = L.x0
  else
    local r0 = mf.run { landscape = L, optimizer = opt, steps = t0, every = t0, quiet = true, record = { "x" } }
    w0 = {}
    for k = 1, L.dim do w0[k] = r0["x" .. k][#r0.t] end
  end
  local r = mf.run { landscape = L, optimizer = opt, x0 = w0, steps = window, every = 1, quiet = true,
                     record = { "loss", "spherical_sharpness", "eta_eff" } }
  local t, two_eta, sharp, loss = {}, {}, {}, {}
  for j = 1, #r.t do
    t[j], two_eta[j], sharp[j], loss[j] = t0 + r.t[j], 2 / r.eta_eff[j], r.spherical_sharpness[j], r.loss[j]
  end

  -- Crossings of 2/eta_t and the sharpness after the entry, counted on records of one parity: at
  -- the edge of stability GD alternates sides of the valley every step, so both series carry a
  -- period-2 flicker that would count as crossings. The loss's slow oscillation: its local maxima
  -- (again on one parity) above the rounding floor (1e-20; interpolation leaves ~1e-30) that stand a
  -- factor 2 above the minimum since the previous maximum.
  local crossings, sgn = 0, nil
  for j = 1, #t, 2 do
    if t[j] >= entry then
      local s = two_eta[j] > sharp[j]
      if sgn ~= nil and s ~= sgn then crossings = crossings + 1 end
      sgn = s
    end
  end
  local peaks, low = {}, math.huge
  for j = 3, #t - 2, 2 do
    low = math.min(low, loss[j])
    if t[j] >= entry and loss[j] > 1e-20 and loss[j] > loss[j - 2] and loss[j] >= loss[j + 2] and loss[j] > 2 * low then
      peaks[#peaks + 1], low = t[j], loss[j]
    end
  end
  local spacing = {}
  for k = 2, #peaks do spacing[#spacing + 1] = peaks[k] - peaks[k - 1] end
  local period = #spacing > 0 and (peaks[#peaks] - peaks[1]) / #spacing or 0 / 0
  return { entry = entry, crossings = crossings, period = period, peaks = peaks, t = t, loss = loss,
           spherical_sharpness = sharp, two_over_eta = two_eta }
end

local function plot(res, p, ctx)
  local t, loss, sharp, two_eta = res.t, res.loss, res.spherical_sharpness, res.two_over_eta
  local fig = mf.plot { layout = { 2, 1 }, size = { 1200, 900 },
    title = ("Matrix completion with BN (d = %d, rank 2, N = %d): entering the edge of stability"):format(p.d, p.N) }
  fig:panel(1, { title = "2/eta_t against the spherical sharpness", xlabel = "step", ylabel = "sharpness, 2/eta_t",
               key = "top right box opaque" })
  fig:line(t, sharp, { title = "spherical sharpness lambda_1(theta_t)", width = 1 })
  fig:line(t, two_eta, { title = "2/eta_t", dash = "dash", width = 1 })
  fig:panel(2, { title = "training loss", xlabel = "step", ylabel = "loss", logy = true, key = "bottom right box opaque" })
  local pos = {}
  for j = 1, #loss do pos[j] = loss[j] > 0 and loss[j] or 0 / 0 end
  fig:line(t, pos, { title = "train loss", width = 1 })
  fig:save(ctx:path("fig11.png"))
end

local function report(res)
  local shown = {}
  for k = 1, math.min(6, #res.peaks) do shown[k] = tostring(res.peaks[k]) end
  print(("fig11: edge of stability from step %d (2/eta_t first below the spherical sharpness); in steps %d..%d they cross "
    .. "%d times (even steps); training-loss peaks at steps %s%s (mean spacing %.0f steps)"):format(res.entry, res.t[1], res.t[#res.t], res.crossings,
    table.concat(shown, ", "), #res.peaks > 6 and ", ..." or "", res.period))
end

return mf.experiment {
  name = "sharpness_fig11",
  doc = "Sharpness paper Fig. 11: Fig. 1's matrix completion entering the edge of stability, every step: 2/eta_t and the spherical sharpness cross back and forth, the training loss oscillates",
  params = {
    { name = "lr", default = 0.1, kind = "number", doc = "learning rate of GD+WD" },
    { name = "wd", default = 0.01, kind = "number", doc = "weight decay" },
    { name = "d", default = 50, kind = "integer", doc = "matrix size" },
    { name = "N", default = 800, kind = "integer", doc = "observed entries" },
    { name = "seed", default = 0, kind = "integer", doc = "data seed" },
    { name = "horizon", default = 4000, kind = "integer", doc = "steps searched for the entry (records every 10)" },
    { name = "before", default = 200, kind = "integer", doc = "steps of the window before the entry" },
    { name = "window", default = 1200, kind = "integer", doc = "steps recorded one by one" },
  },
  quick = { horizon = 2500, window = 600 },
  run = run, plot = plot, report = report,
}:main(...)
