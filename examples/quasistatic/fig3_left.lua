-- Quasistatic paper (Ma, Wu & E), Fig. 3 left: x against iterations for three SGDm runs on the
-- valley with Hessian noise, two with the same speed factor s = lr^2/(B (1-mu)^2) (and range
-- factor r) but different (lr, mu), one with half the speed factor; see fig3_runs.lua for the
-- parameters and why. The equal-s pair coincides; the third is slower.
--
-- Usage: mflab fig3_left.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists
-- the parameters, those of fig3_runs.lua).
-- Writes DIR/fig3_left.png and DIR/fig3_left.csv, prints the relative gap in x between the
-- equal-s pair at the last step, and returns the results.
local mf = mf or require "mflab"
local R = require "fig3_runs" -- the experiment beside this file

local function run(p)
  local res = R:run(p)
  local A, B, C = res.runs[1], res.runs[2], res.runs[3]
  local n = #res.t
  res.gap = (A.mean[n] - B.mean[n]) / B.mean[n]
  res.se = math.sqrt((A.std[n] ^ 2 + B.std[n] ^ 2) / res.seeds) / B.mean[n]
  res.xA, res.xB, res.xC, res.theoryA, res.theoryC = A.mean[n], B.mean[n], C.mean[n], A.theory[n], C.theory[n]
  return res
end

local function plot(res, p, ctx)
  local A, B, C = res.runs[1], res.runs[2], res.runs[3]
  local names, cols = { "t" }, { res.t }
  for _, c in ipairs(res.runs) do
    for _, col in ipairs { "mean", "std", "theory" } do
      names[#names + 1] = c.key .. "_x_" .. col
      cols[#cols + 1] = c[col]
    end
  end
  mf.write_csv(ctx:path("fig3_left.csv"), names, cols, ("mflab %s; quasistatic Fig. 3 left; sigma=%g steps=%d seeds=%d seed=%d; A B C = %s | %s | %s")
    :format(mf.version, res.sigma, res.steps, res.seeds, p.seed, A.label, B.label, C.label))

  local fig = mf.plot { size = { 900, 600 }, xlabel = "iteration", ylabel = "x", key = "top right",
                        title = ("SGDm on (1 + x^2) y^2, Hessian noise: x (mean of %d seeds) for equal and smaller speed factor s"):format(res.seeds) }
  for _, c in ipairs(res.runs) do fig:line(res.t, c.mean, { title = c.label }) end
  fig:line(res.t, A.theory, { title = "x_0 exp(-sigma^2 s k/2), s = 5e-5", dash = "dash" })
  fig:line(res.t, C.theory, { title = "x_0 exp(-sigma^2 s k/2), s = 2.5e-5", dash = "dash" })
  fig:save(ctx:path("fig3_left.png"))
end

local function report(res)
  print(("fig3_left: at step %d, x: A %.4f, B %.4f (equal s: gap %+.2f%%, s.e. %.2f%%), C %.4f (half s; theory %.4f)")
    :format(res.steps, res.xA, res.xB, 100 * res.gap, 100 * res.se, res.xC, res.theoryC))
end

return mf.experiment {
  name = "quasistatic_fig3_left",
  doc = "Quasistatic Fig. 3 left: x for SGDm runs of equal and of half speed factor s = lr^2/(B (1-mu)^2)",
  params = R.params, quick = R.quick,
  run = run, plot = plot, report = report,
}:main(...)
