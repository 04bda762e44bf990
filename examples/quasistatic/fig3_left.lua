-- Quasistatic paper (Ma, Wu & E), Fig. 3 left: x against iterations for three SGDm runs on the
-- valley with Hessian noise, two with the same speed factor s = lr^2/(B (1-mu)^2) (and range
-- factor r) but different (lr, mu), one with half the speed factor; see fig3_runs.lua for the
-- parameters and why. The equal-s pair coincides; the third is slower.
--
-- Usage: mflab fig3_left.lua [--quick] [--out DIR] [--seeds N]
-- Writes DIR/fig3_left.png and DIR/fig3_left.csv, prints the relative gap in x between the
-- equal-s pair at the last step, and returns the numbers.
local mf = mf or require "mflab"

local opts = mf.example.options(arg, "fig3_left.lua")

local here = (arg and arg[0] or ""):match("(.*)/") or "."
local R = dofile(here .. "/fig3_runs.lua")(opts)
local A, B, C = R.runs[1], R.runs[2], R.runs[3]
local n = #R.t

local names, cols = { "t" }, { R.t }
for _, c in ipairs(R.runs) do
  for _, col in ipairs { { "mean", c.mean }, { "std", c.std }, { "theory", c.theory } } do
    names[#names + 1] = c.key .. "_x_" .. col[1]
    cols[#cols + 1] = col[2]
  end
end
local csv = opts.out .. "/fig3_left.csv"
mf.write_csv(csv, names, cols, ("mflab %s; quasistatic Fig. 3 left; sigma=%g steps=%d seeds=%d seed=2023; A B C = %s | %s | %s")
  :format(mf.version, R.sigma, R.steps, R.seeds, A.label, B.label, C.label))

local p = mf.plot { size = { 900, 600 }, xlabel = "iteration", ylabel = "x", key = "top right",
                    title = ("SGDm on (1 + x^2) y^2, Hessian noise: x (mean of %d seeds) for equal and smaller speed factor s"):format(R.seeds) }
for _, c in ipairs(R.runs) do p:line(R.t, c.mean, { title = c.label }) end
p:line(R.t, A.theory, { title = "x_0 exp(-sigma^2 s k/2), s = 5e-5", dash = "dash" })
p:line(R.t, C.theory, { title = "x_0 exp(-sigma^2 s k/2), s = 2.5e-5", dash = "dash" })
local png = opts.out .. "/fig3_left.png"
p:save(png)

local gap = (A.mean[n] - B.mean[n]) / B.mean[n]
local se = math.sqrt((A.std[n] ^ 2 + B.std[n] ^ 2) / R.seeds) / B.mean[n]
print(("fig3_left: at step %d, x: A %.4f, B %.4f (equal s: gap %+.2f%%, s.e. %.2f%%), C %.4f (half s; theory %.4f)")
  :format(R.steps, A.mean[n], B.mean[n], 100 * gap, 100 * se, C.mean[n], C.theory[n]))

return { steps = R.steps, seeds = R.seeds, png = png, csv = csv, gap = gap, se = se,
         xA = A.mean[n], xB = B.mean[n], xC = C.mean[n], theoryA = A.theory[n], theoryC = C.theory[n] }
