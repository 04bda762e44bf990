-- Quasistatic paper (Ma, Wu & E), Fig. 2 right: the matrix factorization of fig2_middle.lua
-- (m = n = p = 5, seed-4 M, from U0 = M, V0 = I) under SGD whose noise has a part along the
-- manifold: isotropic noise in the full space, D = sigma I (mf.noise.isotropic{space = "full"}).
-- Its manifold dynamics is an SDE (Q(12)):
--     dz = -(lr sigma^2/4) grad_M Tr log A dt + sqrt(lr) sigma P_L dW       (normal part: Q(14))
-- integrated by Euler-Maruyama with projection (flow:integrate{method = "em"}), one path per
-- seed. Single runs now differ by their tangent random walk, so, as in the paper, the averages
-- are compared: the mean over seeds of the projected true iterate P z_k (mf.run) against the
-- mean over paths of the SDE:
--   displacement   |mean P z_k - z_0| of the true dynamics (and of the SDE's mean)
--   distance       |mean P z_k - mean zeta_k|
--   floor          sqrt(sum_coords (var P z_k + var zeta_k) / N): the distance two means of N
--                  samples of the same law would show; a distance near it is sampling noise
-- and, because the distance between two 50-dimensional means is dominated by that noise, a
-- one-dimensional observable the noise hardly hides: q = |U|_F^2 + |V|_F^2 (= Tr H_f / 10 on
-- the manifold, doc/math.md §1), mean ± standard error for both.
--
-- Usage: mflab fig2_right.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists
-- the parameters).
-- Writes DIR/fig2_right.png and DIR/fig2_right.csv, prints the distance between the means and
-- its sampling floor, and the difference of mean q in standard errors, at the last step.
--
-- Decisions (the paper gives none of these numbers):
-- * lr = 1e-3 as in fig2_middle (lr A <= 0.12 in the stiffest direction); sigma = 5 keeps the
--   iterate ~0.2 from the manifold (normal variance lr sigma^2 / (4 a) per direction).
-- * The normal part drives z down grad Tr log A, ~35 times weaker here than Hessian noise's
--   grad Tr A at the same sigma (|grad_M Tr log A| = 3.75 at the start), while the tangent
--   part moves each run by sqrt(25 k) lr sigma (~3.5 after 20 000 steps): the drift of the
--   mean is much smaller than the spread of the runs, and the comparison is statistical.
-- * 20 000 iterations, 128 runs and 128 SDE paths; the SDE takes Euler-Maruyama steps of
--   h = 200 iterations (dt = 0.2; the tangent increment per step is ~0.35, small against the
--   scale of U and V): every step of the flow projects onto the manifold and evaluates the
--   drift (~0.2 ms), so one step per iteration would take ~10 minutes for 128 paths.
local mf = mf or require "mflab"

local function run(p)
  local lr, sigma, steps, seeds, seed = p.lr, p.sigma, p.steps, p.seeds, p.seed
  local every = math.max(1, steps // p.records)
  local h = math.max(1, math.min(p.em_h, every))
  local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = p.data_seed }
  local x0 = L.x0
  local d = L.dim
  local opt = mf.opt.sgd { lr = lr }
  local noise = mf.noise.isotropic { sigma = sigma, space = "full" }

  local wall0 = os.time()
  local r = mf.run { landscape = L, optimizer = opt, noise = noise, x0 = x0, steps = steps, every = every,
                     seeds = seeds, seed = seed, record = { "p" }, quiet = true }
  local flow = mf.manifold.flow { landscape = L, optimizer = opt, noise = noise }
  local sde = flow:integrate { x0 = x0, steps = steps, every = every, method = "em", h = h, seeds = seeds,
                               seed = seed + 1, quiet = true }
  local t = r.t
  local n = #t

  -- means, variances per coordinate; q per trajectory
  local function summary(res, prefix)
    local mean, var = {}, {}
    for k = 1, d do
      mean[k] = res:mean(prefix .. k)
      var[k] = res:var(prefix .. k)
    end
    local s1, s2 = {}, {}
    for j = 1, n do s1[j], s2[j] = 0, 0 end
    for sd = 1, seeds do
      local q = {}
      for j = 1, n do q[j] = 0 end
      for k = 1, d do
        local col = res:column(prefix .. k, sd)
        for j = 1, n do q[j] = q[j] + col[j] ^ 2 end
      end
      for j = 1, n do s1[j], s2[j] = s1[j] + q[j], s2[j] + q[j] ^ 2 end
    end
    local qm, qse = {}, {}
    for j = 1, n do
      qm[j] = s1[j] / seeds
      qse[j] = math.sqrt(math.max(0, s2[j] / seeds - qm[j] ^ 2) / (seeds - 1))
    end
    return { mean = mean, var = var, qm = qm, qse = qse }
  end
  local T, S = summary(r, "p"), summary(sde, "x")

  local disp, disp_sde, gap, floor, zq = {}, {}, {}, {}, {}
  for j = 1, n do
    local a, b, g, f = 0, 0, 0, 0
    for k = 1, d do
      a = a + (T.mean[k][j] - x0[k]) ^ 2
      b = b + (S.mean[k][j] - x0[k]) ^ 2
      g = g + (T.mean[k][j] - S.mean[k][j]) ^ 2
      f = f + (T.var[k][j] + S.var[k][j]) / seeds
    end
    disp[j], disp_sde[j], gap[j], floor[j] = math.sqrt(a), math.sqrt(b), math.sqrt(g), math.sqrt(f)
    local se = math.sqrt(T.qse[j] ^ 2 + S.qse[j] ^ 2)
    zq[j] = se > 0 and (T.qm[j] - S.qm[j]) / se or 0
  end
  return { steps = steps, seeds = seeds, h = h, gap = gap[n], floor = floor[n], disp = disp[n], disp_sde = disp_sde[n],
           q_true = T.qm[n], q_true_se = T.qse[n], q_sde = S.qm[n], q_sde_se = S.qse[n], zq = zq[n], q0 = T.qm[1],
           wall = os.time() - wall0,
           series = { t = t, disp_true = disp, disp_sde = disp_sde, gap = gap, floor = floor, q_true = T.qm,
                      q_true_se = T.qse, q_sde = S.qm, q_sde_se = S.qse } }
end

local function plot(res, p, ctx)
  local s = res.series
  local t, n = s.t, #s.t
  local names = { "t", "disp_true", "disp_sde", "gap", "floor", "q_true", "q_true_se", "q_sde", "q_sde_se" }
  local cols = {}
  for k, name in ipairs(names) do cols[k] = s[name] end
  mf.write_csv(ctx:path("fig2_right.csv"), names, cols,
    ("mflab %s; quasistatic Fig. 2 right; matrix_factorization m=n=p=5 seed=%d from U0=M V0=I; sgd lr=%g; isotropic full sigma=%g; steps=%d seeds=%d seed=%d; sde em h=%d seed=%d; q = |U|^2+|V|^2 of Pz")
    :format(mf.version, p.data_seed, p.lr, p.sigma, res.steps, res.seeds, p.seed, res.h, p.seed + 1))

  local fig = mf.plot { size = { 1200, 500 }, layout = { 1, 2 },
                        title = ("Matrix factorization 5x5, SGD lr = %g with isotropic noise sigma = %g (tangent part included): means over %d runs and %d SDE paths")
                          :format(p.lr, p.sigma, res.seeds, res.seeds) }
  fig:panel(1, { xlabel = "iteration", ylabel = "distance" })
  fig:line(t, s.disp_true, { title = "displacement of the mean, true: |mean P z_k - z_0|", color = "#1f77b4" })
  fig:line(t, s.disp_sde, { title = "displacement of the mean, manifold SDE", color = "#1f77b4", dash = "dot" })
  fig:line(t, s.gap, { title = "|mean P z_k - mean zeta_k|", color = "#d62728" })
  fig:line(t, s.floor, { title = "sampling floor of that distance", color = "#7f7f7f", dash = "dash" })
  fig:panel(2, { xlabel = "iteration", ylabel = "|U|_F^2 + |V|_F^2 at P z (mean, ±1 s.e.)", key = "top left" })
  local function band(m, se, sgn)
    local out = {}
    for j = 1, n do out[j] = m[j] + sgn * se[j] end
    return out
  end
  fig:band(t, band(s.q_true, s.q_true_se, -1), band(s.q_true, s.q_true_se, 1), { color = "#1f77b4" })
  fig:line(t, s.q_true, { title = "true dynamics", color = "#1f77b4" })
  fig:band(t, band(s.q_sde, s.q_sde_se, -1), band(s.q_sde, s.q_sde_se, 1), { color = "#2ca02c" })
  fig:line(t, s.q_sde, { title = "manifold SDE", color = "#2ca02c", dash = "dash" })
  fig:save(ctx:path("fig2_right.png"))
end

local function report(res)
  print(("fig2_right: at step %d (%d runs, %d SDE paths, %.0f s): |mean Pz - mean zeta| %.3f, sampling floor %.3f (ratio %.2f); "
    .. "displacement of the mean %.3f (SDE %.3f); |U|^2+|V|^2 true %.2f ± %.2f, SDE %.2f ± %.2f (%+.1f s.e.)")
    :format(res.steps, res.seeds, res.seeds, res.wall, res.gap, res.floor, res.gap / res.floor, res.disp, res.disp_sde,
      res.q_true, res.q_true_se, res.q_sde, res.q_sde_se, res.zq))
end

local E = mf.experiment {
  name = "quasistatic_fig2_right",
  doc = "Quasistatic Fig. 2 right: matrix factorization 5x5, SGD with full-space isotropic noise against the manifold SDE (means)",
  params = {
    { name = "lr", default = 1e-3, kind = "number", doc = "SGD learning rate" },
    { name = "sigma", default = 5, kind = "number", doc = "isotropic-noise scale" },
    { name = "steps", default = 20000, kind = "integer", doc = "steps" },
    { name = "seeds", default = 128, kind = "integer", doc = "runs, and paths of the SDE" },
    { name = "seed", default = 2023, kind = "integer", doc = "random seed of the runs (the SDE uses seed + 1)" },
    { name = "data_seed", default = 4, kind = "integer", doc = "seed of the matrix M" },
    { name = "records", default = 40, kind = "integer", doc = "records over the run (every = steps // records)" },
    { name = "em_h", default = 200, kind = "integer", doc = "Euler-Maruyama step of the SDE in iterations (at most every)" },
  },
  quick = { steps = 2000, seeds = 16, records = 20 },
  run = run, plot = plot, report = report,
}

return E:main(...)
