-- Flatter-faster paper (Cowsik et al.), Fig. 3 and App. A.2: label-noise heavy ball on matrix
-- sensing, eta = 0.1, label-noise variance eps^2 = 0.1, a grid of beta; the expected test error
-- |UV - X*|_F^2 / d (F eq. 13) and Tr H of the training loss against the epoch (one full-batch
-- step each), one curve per beta. The paper finds an interior optimum beta* at which both fall
-- fastest, the same beta* for both criteria, and C* = (1 - beta*)/eta^(2/3) ~ 0.24 P^(-1/3)
-- (its crude theory, App. D eq. (131): C^3 = 2 eps^2 <a^2>/(d P), ~0.12 P^(-1/3)).
--
-- Data (F A.2.1): A_i with N(0, 1) entries, X* the rank-r truncation of a Gaussian matrix,
-- P = 5 r d measurements, U = V = I_d at the start. All beta step in one batched run: every
-- configuration shares one pass over the P x d^2 measurement matrix per step (the block
-- kernels of matrix sensing), and configuration k's trajectory uses the stream it would use
-- alone. Default d = 30 (P = 750), which shows the same interior optimum in a couple of
-- minutes; `--full` is the paper's d = 100, P = 2500.
--
-- The criteria, after `eval` steps: the paper's last step is a projection onto the zero-loss
-- manifold before measuring (the spread around it grows like 1/(1 - beta) and would penalize
-- large beta), by full-batch training without noise (Adam, lr 1e-4); here `proj_steps` epochs of
-- noise-free heavy ball (lr, beta 0.9) from each run's iterate at step `eval`, batched; the
-- report prints the training loss reached there. beta* is the grid value
-- with the least value, both grid neighbours worse (an interior optimum), refined by
-- mf.fit.vee over log(1 - beta) (the paper's eq. (14) fit).
--
-- Usage: mflab fig3.lua [name=value ...] [--quick | --full] [--out DIR] [--replot] (--full: d = 100, P = 2500)
-- Writes DIR/fig3.png (a: test error, b: Tr H against the epoch; c: both at the projection
-- after `eval` steps against beta), DIR/fig3.csv; prints beta* by both criteria, C*, C* P^(1/3)
-- against 0.24, and the theory's beta*.
local mf = mf or require "mflab"

local function run(p)
  local P = p.P > 0 and p.P or 5 * p.r * p.d
  local L = mf.landscape.matrix_sensing { d = p.d, r = p.r, P = P, seed = p.seed }
  local configs = {}
  for k, beta in ipairs(p.betas) do
    if not (beta >= 0 and beta < 1) then
      error(("fig3: betas[%d] = %g must be in [0, 1)"):format(k, beta), 0)
    end
    configs[k] = { optimizer = mf.opt.heavy_ball { lr = p.lr, beta = beta },
                   noise = mf.noise.label { eps = math.sqrt(p.eps2) } }
  end
  local rs = mf.run { landscape = L, configs = configs, steps = p.steps, every = p.every, seeds = 1,
                      seed = p.seed, record = { "test_loss", "trH" }, on_nonfinite = "drop" }
  -- The paper's last step, a projection onto the zero-loss manifold before measuring (the
  -- spread around it grows like 1/(1 - beta) and would penalize large beta): it trains on the
  -- full batch without noise (Adam, lr 1e-4). Here: `eval` noisy epochs, then `proj_steps`
  -- epochs of noise-free heavy ball (lr, beta 0.9) from there, all configurations in one
  -- batched run each; L:project's gradient flow would take minutes per point at this size.
  local rx = mf.run { landscape = L, configs = configs, steps = p.eval, every = p.eval, seeds = 1,
                      seed = p.seed, record = { "x" }, on_nonfinite = "drop" }
  local pconfigs = {}
  for k = 1, #configs do
    local z = {}
    for i = 1, L.dim do z[i] = rx[k]["x" .. i][#rx[k].t] end
    if not (z[1] == z[1]) then z = L.x0 end -- diverged: its point is marked below
    pconfigs[k] = { optimizer = mf.opt.heavy_ball { lr = p.lr, beta = 0.9 }, x0 = z }
  end
  local rp = mf.run { landscape = L, configs = pconfigs, steps = p.proj_steps, every = p.proj_steps, seeds = 1,
                      record = { "loss", "test_loss", "trH" }, on_nonfinite = "drop" }
  local res = { t = rs[1].t, P = P, curves = {}, final = {} }
  for k, beta in ipairs(p.betas) do
    local r = rs[k]
    res.curves[k] = { beta = beta, test = r.test_loss, trH = r.trH, dropped = #r.dropped }
    local q, j = rp[k], #rp[k].t
    local diverged = #rx[k].dropped > 0 or #q.dropped > 0
    res.final[k] = { beta = beta, test = diverged and 0 / 0 or q.test_loss[j], trH = diverged and 0 / 0 or q.trH[j],
                     loss = diverged and 0 / 0 or q.loss[j], test_raw = rx[k] and r.test_loss[#r.t] }
  end
  -- beta* by each criterion: the grid minimum with both neighbours worse, then a vee fit in
  -- x = log(1 - beta)
  local function optimum(key)
    local best
    for k, f in ipairs(res.final) do
      if f[key] == f[key] and (not best or f[key] < res.final[best][key]) then best = k end
    end
    if not best then return { interior = false } end
    local o = { grid = p.betas[best], index = best,
                interior = best > 1 and best < #p.betas and res.final[best - 1][key] > res.final[best][key]
                  and res.final[best + 1][key] > res.final[best][key] }
    -- refined: the vee of eq. (14) through log(value) against log(1 - beta) (the values span
    -- decades), over the grid point and its two neighbours on each side
    local xs, ys = {}, {}
    for k = math.max(1, best - 2), math.min(#res.final, best + 2) do
      local f = res.final[k]
      if f[key] == f[key] and f[key] > 0 then xs[#xs + 1], ys[#ys + 1] = math.log(1 - f.beta), -math.log(f[key]) end
    end
    local ok, v = pcall(mf.fit.vee, xs, ys)
    if ok and v.a1 > 0 and v.a2 < 0 then o.fit = 1 - math.exp(v.x_opt) end
    o.C = (1 - (o.fit or o.grid)) / p.lr ^ (2 / 3)
    return o
  end
  res.by_test, res.by_trH = optimum("test"), optimum("trH")
  res.theory = mf.analysis.sensing_cstar { lr = p.lr, eps = math.sqrt(p.eps2), d = p.d, P = P }
  return res
end

local function plot(res, p, ctx)
  local t = res.t
  local names, cols = { "t" }, { t }
  for _, c in ipairs(res.curves) do
    names[#names + 1], cols[#cols + 1] = ("test_beta%g"):format(c.beta), c.test
    names[#names + 1], cols[#cols + 1] = ("trH_beta%g"):format(c.beta), c.trH
  end
  mf.write_csv(ctx:path("fig3.csv"), names, cols, ("mflab %s; flatter-faster Fig. 3; matrix_sensing d=%d r=%d P=%d seed=%d; heavy_ball lr=%g; label eps^2=%g")
    :format(mf.version, p.d, p.r, res.P, p.seed, p.lr, p.eps2))
  local fig = mf.plot { layout = { 1, 3 }, size = { 1800, 560 },
    title = ("Matrix sensing d = %d, r = %d, P = %d: label-noise heavy ball, eta = %g, eps^2 = %g"):format(p.d, p.r, res.P, p.lr, p.eps2) }
  fig:panel(1, { title = "(a) expected test error |UV - X*|^2/d", xlabel = "epoch", ylabel = "test error", logy = true, key = "top right" })
  for _, c in ipairs(res.curves) do fig:line(t, c.test, { title = ("beta = %g"):format(c.beta) }) end
  fig:panel(2, { title = "(b) Tr H of the training loss", xlabel = "epoch", ylabel = "Tr H", logy = true, key = "top right" })
  for _, c in ipairs(res.curves) do fig:line(t, c.trH, { title = ("beta = %g"):format(c.beta) }) end
  local x, te, th = {}, {}, {}
  for k, f in ipairs(res.final) do x[k], te[k], th[k] = 1 - f.beta, f.test, f.trH end
  fig:panel(3, { title = ("(c) at the projection after %d epochs"):format(p.eval), xlabel = "1 - beta", logx = true, logy = true,
                 ylabel = "relative to the best", key = "top center" })
  local function rel(v)
    local m = math.huge
    for _, a in ipairs(v) do if a == a then m = math.min(m, a) end end
    local out = {}
    for k, a in ipairs(v) do out[k] = a / m end
    return out
  end
  fig:line(x, rel(te), { title = "test error / min" })
  fig:points(x, rel(te), { title = "" })
  fig:line(x, rel(th), { title = "Tr H / min", dash = "dash" })
  fig:points(x, rel(th), { title = "" })
  fig:save(ctx:path("fig3.png"))
end

local function report(res, p)
  local parts = {}
  for _, f in ipairs(res.final) do
    parts[#parts + 1] = ("beta %g: test %.4g, Tr H %.5g (loss %.1e)"):format(f.beta, f.test, f.trH, f.loss)
  end
  print(("fig3: at the projection after %d epochs: %s"):format(p.eval, table.concat(parts, "; ")))
  local a, b = res.by_test, res.by_trH
  local function show(o)
    return ("beta* %s (grid %s, %s)"):format(o.fit and ("%.4f"):format(o.fit) or "none", tostring(o.grid),
      o.interior and "both neighbours worse" or "at the edge of the grid")
  end
  print(("fig3: by test error %s; by Tr H %s; %s"):format(show(a), show(b),
    a.grid == b.grid and "the two criteria agree on the grid" or "the criteria differ"))
  print(("fig3: C* = (1 - beta*)/eta^(2/3) = %.4f (test error), C* P^(1/3) = %.3f (paper ~0.24); theory (App. D eq. 131) C P^(1/3) = %.3f, beta* = %.4f")
    :format(a.C, a.C * res.P ^ (1 / 3), res.theory.C_P13, res.theory.beta))
end

return mf.experiment {
  name = "flatter_faster_fig3",
  doc = "Flatter-faster Fig. 3: matrix sensing with label-noise heavy ball; test error and Tr H fall fastest at an interior beta*, the same for both; C* P^(1/3) against 0.24",
  params = {
    { name = "d", default = 30, kind = "integer", doc = "matrix size (the paper: 100)" },
    { name = "r", default = 5, kind = "integer", doc = "rank of X*" },
    { name = "P", default = 0, kind = "integer", doc = "measurements (0: 5 r d, the paper's choice)" },
    { name = "lr", default = 0.1, kind = "number", doc = "learning rate eta" },
    { name = "eps2", default = 0.1, kind = "number", doc = "label-noise variance eps^2" },
    { name = "betas", default = { 0.95, 0.97, 0.98, 0.985, 0.99, 0.993, 0.996, 0.998 }, kind = "numbers", doc = "momenta, one batched configuration each" },
    { name = "steps", default = 6000, kind = "integer", doc = "epochs (full-batch steps) recorded" },
    { name = "every", default = 50, kind = "integer", doc = "record every this many epochs" },
    { name = "eval", default = 1500, kind = "integer", doc = "epoch at which the iterate is projected and compared" },
    { name = "seed", default = 0, kind = "integer", doc = "data seed and seed of the label noise" },
    { name = "proj_steps", default = 5000, kind = "integer", doc = "noise-free heavy-ball epochs (lr, beta 0.9) that project onto the manifold before the comparison" },
  },
  quick = { d = 20, r = 2, steps = 1500, eval = 500, every = 25, proj_steps = 2000 }, -- P = 200 < d^2: a manifold of minima
  sets = { full = { d = 100, betas = { 0.98, 0.985, 0.99, 0.993, 0.995, 0.996, 0.997, 0.998 } } }, -- the paper's size
  run = run, plot = plot, report = report,
}:main(...)
