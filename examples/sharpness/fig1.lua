-- Normalization-sharpness paper (Lyu, Li & Arora), Fig. 1 and Fig. 6: matrix completion with
-- batch normalization (S App. P.1). A rank-2 matrix M (50 x 50, second moment 1) is observed on
-- N uniformly drawn entries; the model (gamma/sigma) U V^T with U, V in R^(50 x 50) (no rank
-- constraint) is trained by GD with weight decay, lr = 0.1, wd = 0.01. The training loss goes to
-- ~0 within a few hundred steps while the test loss (all 2500 entries) stays high; weight decay
-- then raises the effective learning rate eta_t = lr/((1 - lr wd)|w|^2) until 2/eta_t meets the
-- spherical sharpness (the edge of stability), from where the sharpness falls, the gap between
-- the second and third singular values of the recovered matrix opens (low rank) and the test
-- loss drops. Paper: sharpness falls after ~2000 steps, test loss 1.12 -> 0.013 (N = 800).
--
-- Recorded by mf.run every `every` steps, nothing stored per step: loss, test_loss,
-- spherical_sharpness (lambda_1 of the Hessian at w/|w|, at the current point as the paper
-- computes it for completion, S Q.3), eta_eff, and sv1..sv5, the singular values of the
-- recovered matrix. The paper gives no start: U, V entries N(0, 0.1^2) (matrix_completion_bn's
-- default init_scale), with which the edge of stability comes at ~1700 steps.
--
-- Usage: mflab fig1.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists the
-- parameters). Writes DIR/fig1.png (N = 800), DIR/fig1_observations.png (N = 400, 800, 1600)
-- and DIR/fig1.csv, prints the key numbers and returns the results (runs[N] per N).
local mf = mf or require "mflab"

local K = 5 -- singular values recorded

local function run(p)
  local lr, wd, d, steps, every = p.lr, p.wd, p.d, p.steps, p.every
  local opt = mf.opt.gd_wd { lr = lr, wd = wd }
  local res = { steps = steps, every = every, observed = p.observed, runs = {} }
  for _, N in ipairs(p.observed) do
    local L = mf.landscape.matrix_completion_bn { d = d, rank = 2, observed = N, seed = p.seed }
    local rec = { "loss", "test_loss", "spherical_sharpness", "eta_eff" }
    for k = 1, K do rec[#rec + 1] = "sv" .. k end
    local r = mf.run { landscape = L, optimizer = opt, steps = steps, every = every, quiet = true, record = rec }
    local c = { t = r.t, loss = r.loss, test = r.test_loss, sharp = r.spherical_sharpness, two_eta = {}, sv = {} }
    for j = 1, #r.t do c.two_eta[j] = 2 / r.eta_eff[j] end
    for k = 1, K do c.sv[k] = r["sv" .. k] end
    -- the edge of stability: the first record where 2/eta_t comes within 5% of the sharpness
    -- (there the two cross back and forth, S Fig. 11; records of even steps can see 2/eta_t
    -- slightly above)
    local eos
    for j = 2, #r.t do
      if c.two_eta[j] <= 1.05 * c.sharp[j] then eos = j; break end
    end
    local n = #r.t
    eos = eos or n
    -- the interpolant GD finds first: the record of least training loss before the edge
    local pre = 1
    for j = 1, eos - 1 do if c.loss[j] < c.loss[pre] then pre = j end end
    c.eos_step = r.t[eos]
    c.loss_min, c.test_before, c.sharp_before = c.loss[pre], c.test[pre], c.sharp[pre]
    c.gap_before = c.sv[3][pre] / c.sv[2][pre]
    c.test_end, c.sharp_end, c.gap_end = c.test[n], c.sharp[n], c.sv[3][n] / c.sv[2][n]
    c.two_eta_end = c.two_eta[n]
    res.runs[N] = c
  end
  return res
end

local function positive(x)
  local out = {}
  for j = 1, #x do out[j] = x[j] > 0 and x[j] or 0 / 0 end
  return out
end

local function plot(res, p, ctx)
  local main = res.runs[res.observed[1]]
  local t = main.t
  -- CSV
  local names, cols = { "t" }, { t }
  for _, N in ipairs(res.observed) do
    local c, pre = res.runs[N], "N" .. N .. "_"
    for _, col in ipairs { { "loss", c.loss }, { "test_loss", c.test }, { "spherical_sharpness", c.sharp }, { "two_over_eta", c.two_eta } } do
      names[#names + 1], cols[#cols + 1] = pre .. col[1], col[2]
    end
    for k = 1, K do names[#names + 1], cols[#cols + 1] = pre .. "sv" .. k, c.sv[k] end
  end
  mf.write_csv(ctx:path("fig1.csv"), names, cols, ("mflab %s; normalization-sharpness Fig. 1, 6; matrix_completion_bn d=%d rank=2 seed=%d init_scale=0.1; gd_wd lr=%g wd=%g; steps=%d every=%d")
    :format(mf.version, p.d, p.seed, p.lr, p.wd, res.steps, res.every))

  -- figures
  local fig = mf.plot { layout = { 2, 2 }, size = { 1400, 1000 },
    title = ("Matrix completion with BN: d = %d, rank 2, N = %d observations, GD+WD lr = %g, wd = %g"):format(p.d, res.observed[1], p.lr, p.wd) }
  fig:panel(1, { title = "(a) train and test loss", xlabel = "step", logy = true, key = "bottom left" })
  fig:line(t, positive(main.loss), { title = "train loss", width = 1 })
  fig:line(t, main.test, { title = "test loss (all entries)" })
  fig:panel(2, { title = "(b) spherical sharpness and 2/eta_t", xlabel = "step", logy = true, key = "top right" })
  fig:line(t, main.sharp, { title = "spherical sharpness" })
  fig:line(t, main.two_eta, { title = "2/eta_t", dash = "dash" })
  fig:panel(3, { title = "(c) top singular values of the recovered matrix", xlabel = "step", logy = true, key = "bottom left" })
  for k = 1, K do fig:line(t, main.sv[k], { title = "sv" .. k }) end
  fig:panel(4, { title = "(d) effective learning rate", xlabel = "step", logy = true, key = "bottom right" })
  local eta = {}
  for j = 1, #t do eta[j] = 2 / main.two_eta[j] end
  fig:line(t, eta, { title = "eta_t = lr/((1 - lr wd)|w|^2)" })
  fig:save(ctx:path("fig1.png"))

  local q = mf.plot { layout = { 1, 2 }, size = { 1400, 560 },
    title = "Matrix completion with BN, 400 / 800 / 1600 observations (S Fig. 6)" }
  q:panel(1, { title = "test loss", xlabel = "step", logy = true, key = "bottom left" })
  for _, N in ipairs(res.observed) do q:line(t, res.runs[N].test, { title = "N = " .. N }) end
  q:panel(2, { title = "spherical sharpness", xlabel = "step", logy = true, key = "top right" })
  for _, N in ipairs(res.observed) do q:line(t, res.runs[N].sharp, { title = "N = " .. N }) end
  q:save(ctx:path("fig1_observations.png"))
end

local function report(res)
  for _, N in ipairs(res.observed) do
    local c = res.runs[N]
    local paper = N == 800 and { " (paper ~2000)", " (paper 1.12 -> 0.013)" } or { "", "" }
    print(("fig1: N = %4d: train loss %.0e before the edge of stability at step %d%s; spherical sharpness %.1f -> %.2f "
      .. "(2/eta_t %.2f); test loss %.3f -> %.4f%s; sv3/sv2 %.2g -> %.2g")
      :format(N, c.loss_min, c.eos_step, paper[1], c.sharp_before, c.sharp_end, c.two_eta_end, c.test_before, c.test_end,
        paper[2], c.gap_before, c.gap_end))
  end
end

return mf.experiment {
  name = "sharpness_fig1",
  doc = "Normalization-sharpness Fig. 1 and 6: matrix completion with BN under GD+WD reaches the edge of stability and recovers the low-rank matrix",
  params = {
    { name = "lr", default = 0.1, kind = "number", doc = "learning rate (S App. P.1)" },
    { name = "wd", default = 0.01, kind = "number", doc = "weight decay (S App. P.1)" },
    { name = "d", default = 50, kind = "integer", doc = "matrix size d x d" },
    { name = "observed", default = { 800, 400, 1600 }, kind = "integers", doc = "numbers N of observed entries; the first is the main figure" },
    { name = "steps", default = 60000, kind = "integer", doc = "steps" },
    { name = "every", default = 200, kind = "integer", doc = "steps between records" },
    { name = "seed", default = 0, kind = "integer", doc = "data seed (M, the observed entries, the start)" },
  },
  quick = { steps = 10000 },
  run = run, plot = plot, report = report,
}:main(...)
