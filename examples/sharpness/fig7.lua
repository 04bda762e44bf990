-- Sharpness paper (Lyu, Li & Arora), Fig. 7: overparameterized matrix completion with BN for a
-- rank-2 100 x 100 matrix (S App. P.1 as in Fig. 1, d = 100), N = 1600, 2400 and 3200 observed
-- entries, GD+WD lr = 0.1, wd = 0.01 from U, V ~ N(0, 0.1^2). The paper: the training loss falls to
-- ~0 quickly while the test loss stays high; once the edge of stability is reached the spherical
-- sharpness starts to fall, and the test loss falls with it.
--
-- Recorded every 200 steps: loss, test_loss (all d^2 entries), spherical_sharpness (lambda_1 at
-- theta_t = w/|w|), eta_eff, sv2, sv3. The edge of stability is the first record where 2/eta_t
-- comes within 5% of the sharpness (as in fig1.lua).
--
-- Usage: mflab fig7.lua [--quick] [--out DIR] [--seed N]
-- Writes DIR/fig7.png and DIR/fig7.csv; prints, per N, the entry step, the sharpness and the test
-- loss at the entry and at the end, and the step at which the test loss has fallen by half.
local mf = mf or require "mflab"

local opts = mf.example.options(arg, "fig7.lua", { seed = 0 })

local lr, wd, d = 0.1, 0.01, 100
local steps = opts.quick and 8000 or 20000 -- everything has settled by step ~17 000
local every = 200
local opt = mf.opt.gd_wd { lr = lr, wd = wd }
local Ns = opts.quick and { 1600, 3200 } or { 1600, 2400, 3200 }

local runs = {}
for _, N in ipairs(Ns) do
  local L = mf.landscape.matrix_completion_bn { d = d, rank = 2, observed = N, seed = opts.seed }
  local r = mf.run { landscape = L, optimizer = opt, steps = steps, every = every, quiet = true,
                     record = { "loss", "test_loss", "spherical_sharpness", "eta_eff", "sv2", "sv3" } }
  local c = { N = N, t = r.t, loss = r.loss, test = r.test_loss, sharp = r.spherical_sharpness, two_eta = {} }
  for j = 1, #r.t do c.two_eta[j] = 2 / r.eta_eff[j] end
  for j = 2, #r.t do
    if c.two_eta[j] <= 1.05 * c.sharp[j] then c.eos = j; break end
  end
  local n = #r.t
  c.eos = c.eos or n
  c.sharp_eos, c.test_eos = c.sharp[c.eos], c.test[c.eos]
  c.sharp_end, c.test_end = c.sharp[n], c.test[n]
  c.gap_eos, c.gap_end = r.sv3[c.eos] / r.sv2[c.eos], r.sv3[n] / r.sv2[n]
  c.loss_eos = c.loss[math.max(1, c.eos - 1)]
  -- the test loss halves: the first record after the entry at half its value there
  for j = c.eos, n do
    if c.test[j] <= 0.5 * c.test_eos then c.half = r.t[j]; break end
  end
  -- the sharpness starts to fall: first record after the entry 5% below its value there
  for j = c.eos, n do
    if c.sharp[j] <= 0.95 * c.sharp_eos then c.fall = r.t[j]; break end
  end
  runs[#runs + 1] = c
end
local t = runs[1].t

local names, cols = { "t" }, { t }
for _, c in ipairs(runs) do
  for _, col in ipairs { { "loss", c.loss }, { "test_loss", c.test }, { "spherical_sharpness", c.sharp }, { "two_over_eta", c.two_eta } } do
    names[#names + 1], cols[#cols + 1] = "N" .. c.N .. "_" .. col[1], col[2]
  end
end
local csv = opts.out .. "/fig7.csv"
mf.write_csv(csv, names, cols, ("mflab %s; normalization-sharpness Fig. 7; matrix_completion_bn d=%d rank=2 seed=%d; gd_wd lr=%g wd=%g; steps=%d every=%d")
  :format(mf.version, d, opts.seed, lr, wd, steps, every))

local p = mf.plot { layout = { 1, 3 }, size = { 1800, 560 },
  title = ("Matrix completion with BN, d = %d, rank 2, GD+WD lr = %g, wd = %g (S Fig. 7)"):format(d, lr, wd) }
p:panel(1, { title = "train loss", xlabel = "step", ylabel = "train loss", logy = true, key = "top right" })
for k, c in ipairs(runs) do
  local pos = {}
  for j = 1, #c.loss do pos[j] = c.loss[j] > 0 and c.loss[j] or 0 / 0 end
  p:line(t, pos, { title = "N = " .. c.N, width = 1, color = mf.plot.colors[k] })
end
p:panel(2, { title = "test loss (all entries)", xlabel = "step", ylabel = "test loss", logy = true, key = "bottom left" })
for k, c in ipairs(runs) do p:line(t, c.test, { title = "N = " .. c.N, color = mf.plot.colors[k] }) end
p:panel(3, { title = "spherical sharpness (solid) and 2/eta_t (dashed)", xlabel = "step", ylabel = "sharpness",
             logy = true, key = "top right" })
for k, c in ipairs(runs) do -- one colour per N for both of its curves
  local color = mf.plot.colors[k]
  p:line(t, c.sharp, { title = "N = " .. c.N, color = color })
  p:line(t, c.two_eta, { title = "2/eta_t, N = " .. c.N, dash = "dash", width = 1, color = color })
end
local png = opts.out .. "/fig7.png"
p:save(png)

local res = { png = png, csv = csv, steps = steps, runs = {} }
for _, c in ipairs(runs) do
  res.runs[c.N] = { eos = t[c.eos], sharp_eos = c.sharp_eos, sharp_end = c.sharp_end, test_eos = c.test_eos,
                    test_end = c.test_end, half = c.half, fall = c.fall, loss_eos = c.loss_eos,
                    gap_eos = c.gap_eos, gap_end = c.gap_end }
  print(("fig7: N = %d: train loss %.0e at the edge of stability (step %d); spherical sharpness %.1f -> %.2f, falling "
    .. "from step %s; test loss %.3f -> %.4f, halved by step %s; sv3/sv2 %.2g -> %.2g")
    :format(c.N, c.loss_eos, t[c.eos], c.sharp_eos, c.sharp_end, tostring(c.fall), c.test_eos, c.test_end,
      tostring(c.half), c.gap_eos, c.gap_end))
end
return res
