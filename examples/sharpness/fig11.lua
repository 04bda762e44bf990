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
-- Usage: mflab fig11.lua [--quick] [--out DIR] [--seed N]
-- Writes DIR/fig11.png and DIR/fig11.csv, prints the entry step, how often 2/eta_t and the
-- sharpness cross in the window, and the period of the training loss's oscillation.
local mf = mf or require "mflab"

local opts = mf.example.options(arg, "fig11.lua", { seed = 0 })

local lr, wd = 0.1, 0.01
local L = mf.landscape.matrix_completion_bn { d = 50, rank = 2, observed = 800, seed = opts.seed }
local opt = mf.opt.gd_wd { lr = lr, wd = wd }
local horizon = opts.quick and 2500 or 4000
local before, window = 200, opts.quick and 600 or 1200

-- 1. where the edge of stability starts
local coarse = mf.run { landscape = L, optimizer = opt, steps = horizon, every = 10, quiet = true,
                        record = { "x", "spherical_sharpness", "eta_eff" } }
local entry
for j = 1, #coarse.t do
  if 2 / coarse.eta_eff[j] <= coarse.spherical_sharpness[j] then entry = coarse.t[j]; break end
end
if not entry then error(("fig11: no edge of stability within %d steps"):format(horizon), 0) end

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

local csv = opts.out .. "/fig11.csv"
mf.write_csv(csv, { "t", "loss", "spherical_sharpness", "two_over_eta" }, { t, loss, sharp, two_eta },
  ("mflab %s; normalization-sharpness Fig. 11; matrix_completion_bn d=50 rank=2 N=800 seed=%d; gd_wd lr=%g wd=%g")
    :format(mf.version, opts.seed, lr, wd))

local p = mf.plot { layout = { 2, 1 }, size = { 1200, 900 },
  title = "Matrix completion with BN (d = 50, rank 2, N = 800): entering the edge of stability" }
p:panel(1, { title = "2/eta_t against the spherical sharpness", xlabel = "step", ylabel = "sharpness, 2/eta_t",
             key = "top right box opaque" })
p:line(t, sharp, { title = "spherical sharpness lambda_1(theta_t)", width = 1 })
p:line(t, two_eta, { title = "2/eta_t", dash = "dash", width = 1 })
p:panel(2, { title = "training loss", xlabel = "step", ylabel = "loss", logy = true, key = "bottom right box opaque" })
local pos = {}
for j = 1, #loss do pos[j] = loss[j] > 0 and loss[j] or 0 / 0 end
p:line(t, pos, { title = "train loss", width = 1 })
local png = opts.out .. "/fig11.png"
p:save(png)

local shown = {}
for k = 1, math.min(6, #peaks) do shown[k] = tostring(peaks[k]) end
print(("fig11: edge of stability from step %d (2/eta_t first below the spherical sharpness); in steps %d..%d they cross "
  .. "%d times (even steps); training-loss peaks at steps %s%s (mean spacing %.0f steps)"):format(entry, t[1], t[#t], crossings,
  table.concat(shown, ", "), #peaks > 6 and ", ..." or "", period))
return { png = png, csv = csv, entry = entry, crossings = crossings, period = period, peaks = #peaks,
         t = t, loss = loss, sharp = sharp, two_eta = two_eta }
