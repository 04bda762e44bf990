-- Quasistatic paper (Ma, Wu & E), Fig. 3 middle left: the moving average of |y| for the three
-- SGDm runs of fig3_left.lua (see fig3_runs.lua), which share the range factor
-- r = lr/(B (1-mu)): the oscillation has variance sigma^2 r/4 (Q §4), so E|y| is
-- sigma sqrt(r)/sqrt(2 pi) for all three although their speeds differ.
--
-- Usage: mflab fig3_middle.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists
-- the parameters, those of fig3_runs.lua).
-- Writes DIR/fig3_middle.png and DIR/fig3_middle.csv (the ensemble mean of |y| at each record
-- and its moving average over 25 records), prints the time average of |y| of each run against
-- the prediction, and returns the results.
local mf = mf or require "mflab"
local R = require "fig3_runs" -- the experiment beside this file

local W = 25

local function moving_average(v)
  local out, s = {}, 0
  for j = 1, #v do
    s = s + v[j]
    if j > W then s = s - v[j - W] end
    out[j] = s / math.min(j, W)
  end
  return out
end

local function run(p)
  local res = R:run(p)
  res.levels = {}
  for _, c in ipairs(res.runs) do
    c.ma = moving_average(c.absy)
    local s, n = 0, 0
    for j = 2, #c.absy do s, n = s + c.absy[j], n + 1 end -- record 1 is the start on the manifold
    c.level = s / n
    res.levels[c.key] = c.level
  end
  res.theory = res.absy_theory
  return res
end

local function plot(res, p, ctx)
  local names, cols = { "t" }, { res.t }
  for _, c in ipairs(res.runs) do
    names[#names + 1], cols[#cols + 1] = c.key .. "_absy_mean", c.absy
    names[#names + 1], cols[#cols + 1] = c.key .. "_absy_ma", c.ma
  end
  mf.write_csv(ctx:path("fig3_middle.csv"), names, cols, ("mflab %s; quasistatic Fig. 3 middle left; sigma=%g steps=%d seeds=%d seed=%d; window=%d records")
    :format(mf.version, res.sigma, res.steps, res.seeds, p.seed, W))

  local fig = mf.plot { size = { 900, 600 }, xlabel = "iteration", ylabel = "|y|", key = "bottom right",
                        title = ("moving average of |y| (mean of %d seeds): equal range factor r, equal oscillation"):format(res.seeds) }
  for _, c in ipairs(res.runs) do fig:line(res.t, c.ma, { title = c.label }) end
  local flat = {}
  for j = 1, #res.t do flat[j] = res.absy_theory end
  fig:line(res.t, flat, { title = "sigma sqrt(r) / sqrt(2 pi)", dash = "dash" })
  fig:save(ctx:path("fig3_middle.png"))
end

local function report(res)
  local parts = {}
  for _, c in ipairs(res.runs) do parts[#parts + 1] = ("%s %.4f"):format(c.key, c.level) end
  print(("fig3_middle: time-averaged |y|: %s; prediction sigma sqrt(r)/sqrt(2 pi) = %.4f")
    :format(table.concat(parts, ", "), res.absy_theory))
end

return mf.experiment {
  name = "quasistatic_fig3_middle",
  doc = "Quasistatic Fig. 3 middle left: the moving average of |y| for runs of equal range factor r = lr/(B (1-mu))",
  params = R.params, quick = R.quick,
  run = run, plot = plot, report = report,
}:main(...)
