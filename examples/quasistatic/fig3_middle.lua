-- Quasistatic paper (Ma, Wu & E), Fig. 3 middle left: the moving average of |y| for the three
-- SGDm runs of fig3_left.lua (see fig3_runs.lua), which share the range factor
-- r = lr/(B (1-mu)): the oscillation has variance sigma^2 r/4 (Q §4), so E|y| is
-- sigma sqrt(r)/sqrt(2 pi) for all three although their speeds differ.
--
-- Usage: mflab fig3_middle.lua [--quick] [--out DIR] [--seeds N]
-- Writes DIR/fig3_middle.png and DIR/fig3_middle.csv (the ensemble mean of |y| at each record
-- and its moving average over 25 records), prints the time average of |y| of each run against
-- the prediction, and returns the numbers.
local mf = mf or require "mflab"

local opts = mf.example.options(arg, "fig3_middle.lua")

local here = (arg and arg[0] or ""):match("(.*)/") or "."
local R = dofile(here .. "/fig3_runs.lua")(opts)
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

local names, cols = { "t" }, { R.t }
for _, c in ipairs(R.runs) do
  c.ma = moving_average(c.absy)
  local s, n = 0, 0
  for j = 2, #c.absy do s, n = s + c.absy[j], n + 1 end -- record 1 is the start on the manifold
  c.level = s / n
  names[#names + 1], cols[#cols + 1] = c.key .. "_absy_mean", c.absy
  names[#names + 1], cols[#cols + 1] = c.key .. "_absy_ma", c.ma
end
local csv = opts.out .. "/fig3_middle.csv"
mf.write_csv(csv, names, cols, ("mflab %s; quasistatic Fig. 3 middle left; sigma=%g steps=%d seeds=%d seed=2023; window=%d records")
  :format(mf.version, R.sigma, R.steps, R.seeds, W))

local p = mf.plot { size = { 900, 600 }, xlabel = "iteration", ylabel = "|y|", key = "bottom right",
                    title = ("moving average of |y| (mean of %d seeds): equal range factor r, equal oscillation"):format(R.seeds) }
for _, c in ipairs(R.runs) do p:line(R.t, c.ma, { title = c.label }) end
local flat = {}
for j = 1, #R.t do flat[j] = R.absy_theory end
p:line(R.t, flat, { title = "sigma sqrt(r) / sqrt(2 pi)", dash = "dash" })
local png = opts.out .. "/fig3_middle.png"
p:save(png)

local parts = {}
for _, c in ipairs(R.runs) do parts[#parts + 1] = ("%s %.4f"):format(c.key, c.level) end
print(("fig3_middle: time-averaged |y|: %s; prediction sigma sqrt(r)/sqrt(2 pi) = %.4f")
  :format(table.concat(parts, ", "), R.absy_theory))

local levels = {}
for _, c in ipairs(R.runs) do levels[c.key] = c.level end
return { steps = R.steps, seeds = R.seeds, png = png, csv = csv, levels = levels, theory = R.absy_theory }
