-- Quasistatic paper (Ma, Wu & E), Fig. 2 middle: matrix factorization f(U, V) = |U V^T - M|_F^2
-- with m = n = p = 5 (Q §3), from U0 = M, V0 = I (the landscape's L.x0), Hessian noise
-- D D^T = (sigma^2/2) H_f(Pz). For SGD and for SGD with momentum (SGDm, Q(15)):
--   displacement   |z_k - z_0| of the true iterate (mf.run), as the paper plots it
--   distance       |z_k - zeta_k| and |P z_k - zeta_k|, zeta the first-order manifold dynamics
--                  (SGD: Q(13), dz/dt = -(lr sigma^2/4) grad_M Tr A; SGDm: Q(18)/(19), the same
--                  divided by (1 - mu)^2, V from eq. (39)), integrated by DP45 on the same
--                  iteration grid (t = k lr)
-- against the iteration, and the distance against the displacement.
--
-- Usage: mflab fig2_middle.lua [name=value ...] [--quick] [--out DIR] [--replot] (--help lists
-- the parameters).
-- Writes DIR/fig2_middle.png and DIR/fig2_middle.csv, prints the distance of the projected
-- iterate to the manifold dynamics as a fraction of the displacement at the last step, and
-- returns the results.
--
-- Decisions (the paper gives none of these numbers):
-- * M: the landscape's recipe M = A B^T, A, B standard normal, with seed 4, the first seed
--   whose M is well conditioned (singular values 11.0, 7.09, 2.18, 1.76, 0.42). Seed 0's M
--   has sigma_5 = 0.002: near the flattest (balanced) minimum the slowest normal direction
--   relaxes at rate ~4 sigma_5 = 0.008 (Hessian eigenvalue 0.0074 there), slower than the
--   drift along the manifold, so the quasistatic picture fails there, and projecting onto the
--   manifold (the gradient-flow limit) costs ~40 ms per step.
-- * lr = 1e-3, sigma = 3 for SGD. The stiffest normal direction at the start has
--   A = H_f/2 = 122, so lr A = 0.12: discrete SGD's oscillation there is 1/(1 - lr A) = 1.14
--   times the SDE's, which makes the true dynamics faster than the flow along the same path
--   (over the first 4000 steps the gap is 11% of the displacement at lr = 1e-3 and 8% at
--   lr = 2.5e-4 with lr sigma^2 fixed; by step 20 000 it is 5%, as both slow down near the
--   balanced minimum). lr sigma^2 = 0.009 keeps the iterate ~0.24 from the manifold
--   (sqrt(25 lr sigma^2/4)).
-- * SGDm: mu = 0.5, lr = 5e-4: the same speed factor lr^2/(1-mu)^2 and range factor
--   lr/(1-mu) as SGD (Q §4, Q(22)), so both travel the same path at the same pace per
--   iteration and the panel compares them directly.
-- * 20 000 iterations: the flow travels 4.6 of the 9.4 it needs to reach the balanced minimum
--   (|U|^2 = |V|^2 = nuclear norm of M); every step of the true dynamics projects onto the
--   manifold for the noise (matrix factorization's own gradient-flow projection, to the noise's
--   accuracy ~0.1 ms a step; README, "Matrix factorization's projection and noise"), so the
--   full run takes ~9 s on one core (the two seeds run in parallel threads, block = 1).
-- * One run is plotted (seed 1), as in the paper's middle panel: Hessian noise has no tangent
--   part (D11 = 0), so the manifold dynamics predicts every single run, not only the mean;
--   the other seeds (run in parallel) give the printed spread of the end-point numbers.
-- * The distance uses the projection P z_k of the iterate: the iterate itself oscillates
--   ~0.24 around the manifold, which the manifold dynamics does not describe; |z_k - zeta_k|
--   is drawn too.
local mf = mf or require "mflab"

local function dist(a, b)
  local s = 0
  for k = 1, #a do s = s + (a[k] - b[k]) ^ 2 end
  return math.sqrt(s)
end

local KEYS = { "sgd", "sgdm" }

local function run(p)
  local sigma, steps, seeds, seed = p.sigma, p.steps, p.seeds, p.seed
  local every = math.max(1, steps // p.records)
  local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = p.data_seed }
  local x0 = L.x0 -- U0 = M, V0 = I
  local d = L.dim
  local noise = mf.noise.hessian { sigma = sigma }
  -- the point of record j (seed sd) from per-coordinate series
  local function point(cols, j)
    local z = {}
    for k = 1, d do z[k] = cols[k][j] end
    return z
  end
  local opts = { sgd = mf.opt.sgd { lr = p.lr }, sgdm = mf.opt.momentum { lr = p.lr_momentum, mu = p.mu } }
  local t0 = os.clock()
  local wall0 = os.time()
  local res = { steps = steps, seeds = seeds, x0 = {}, cases = {} }
  for k = 1, d do res.x0[k] = x0[k] end
  for _, key in ipairs(KEYS) do
    local opt = opts[key]
    local r = mf.run { landscape = L, optimizer = opt, noise = noise, x0 = x0, steps = steps, every = every,
                       seeds = seeds, seed = seed, record = { "x", "p" }, block = 1, quiet = true }
    local flow = mf.manifold.flow { landscape = L, optimizer = opt, noise = noise }
    local f = flow:integrate { x0 = x0, steps = steps, every = every, method = "dp45", quiet = true }
    local fc = {}
    for k = 1, d do fc[k] = f["x" .. k] end
    local n = #r.t
    local per_seed = {}
    for sd = 1, seeds do
      local zc, pc = {}, {}
      for k = 1, d do
        zc[k] = r:column("x" .. k, sd)
        pc[k] = r:column("p" .. k, sd)
      end
      local s = { disp = {}, disp_p = {}, gap = {}, gap_p = {}, flow_disp = {} }
      for j = 1, n do
        local z, pz, zeta = point(zc, j), point(pc, j), point(fc, j)
        s.disp[j] = dist(z, x0)
        s.disp_p[j] = dist(pz, x0)
        s.gap[j] = dist(z, zeta)
        s.gap_p[j] = dist(pz, zeta)
        s.flow_disp[j] = dist(zeta, x0)
      end
      s.ratio = s.gap_p[n] / s.disp_p[n]        -- distance / displacement at the end
      s.pace = s.disp_p[n] / s.flow_disp[n]     -- how much farther the true dynamics got
      per_seed[sd] = s
    end
    local c = { key = key }
    local rs, ps = 0, 0
    for sd = 1, seeds do rs, ps = rs + per_seed[sd].ratio, ps + per_seed[sd].pace end
    c.ratio, c.pace = rs / seeds, ps / seeds
    local lo, hi = math.huge, -math.huge
    for sd = 1, seeds do lo, hi = math.min(lo, per_seed[sd].ratio), math.max(hi, per_seed[sd].ratio) end
    c.ratio_lo, c.ratio_hi = lo, hi
    local s = per_seed[1] -- the plotted run and its end-point numbers
    c.disp, c.gap, c.gap_raw, c.flow_disp = s.disp_p[n], s.gap_p[n], s.gap[n], s.flow_disp[n]
    c.series = { disp = s.disp, disp_proj = s.disp_p, gap = s.gap, gap_proj = s.gap_p, flow_disp = s.flow_disp }
    res.cases[#res.cases + 1] = c
    res.t = r.t
  end
  res.cpu, res.wall = os.clock() - t0, os.time() - wall0
  return res
end

local LOOK = { sgd = { label = "SGD", color = "#1f77b4" }, sgdm = { label = "SGDm", color = "#d62728" } }

local function plot(res, p, ctx)
  local t = res.t
  local names, cols = { "t" }, { t }
  for _, c in ipairs(res.cases) do
    for _, col in ipairs { "disp", "disp_proj", "gap", "gap_proj", "flow_disp" } do
      names[#names + 1] = c.key .. "_" .. col
      cols[#cols + 1] = c.series[col]
    end
  end
  mf.write_csv(ctx:path("fig2_middle.csv"), names, cols, ("mflab %s; quasistatic Fig. 2 middle; matrix_factorization m=n=p=5 seed=%d from U0=M V0=I; hessian sigma=%g; sgd lr=%g; momentum lr=%g mu=%g; steps=%d seeds=%d seed=%d; columns for seed 1; gap = |z - zeta|, gap_proj = |Pz - zeta|")
    :format(mf.version, p.data_seed, p.sigma, p.lr, p.lr_momentum, p.mu, res.steps, res.seeds, p.seed))

  local fig = mf.plot { size = { 1200, 500 }, layout = { 1, 2 },
                        title = ("Matrix factorization 5x5 from U = M, V = I, Hessian noise (sigma = %g): true vs manifold dynamics, one run; "
                          .. "SGD lr = %g, SGDm lr = %g, mu = %g"):format(p.sigma, p.lr, p.lr_momentum, p.mu) }
  fig:panel(1, { xlabel = "iteration", ylabel = "distance" })
  for _, c in ipairs(res.cases) do
    local s, look = c.series, LOOK[c.key]
    fig:line(t, s.disp, { title = look.label .. ": |z_k - z_0|", color = look.color })
    fig:line(t, s.gap, { title = look.label .. ": |z_k - zeta_k|", color = look.color, dash = "dot", width = 1 })
    fig:line(t, s.gap_proj, { title = look.label .. ": |P z_k - zeta_k|", color = look.color, dash = "dash" })
  end
  fig:panel(2, { xlabel = "displacement |P z_k - z_0| of the true dynamics", ylabel = "|P z_k - zeta_k|", key = "top left" })
  for _, c in ipairs(res.cases) do
    fig:line(c.series.disp_proj, c.series.gap_proj, { title = LOOK[c.key].label, color = LOOK[c.key].color })
  end
  fig:save(ctx:path("fig2_middle.png"))
end

local function report(res)
  local parts = {}
  for _, c in ipairs(res.cases) do
    parts[#parts + 1] = ("%s: displacement %.3f, |Pz - zeta| %.4f = %.1f%% of it (seeds %.1f%%..%.1f%%), true/flow pace %.3f")
      :format(c.key, c.disp, c.gap, 100 * c.ratio, 100 * c.ratio_lo, 100 * c.ratio_hi, c.pace)
  end
  print(("fig2_middle: at step %d (%d seeds, %.0f s): %s"):format(res.steps, res.seeds, res.wall, table.concat(parts, "; ")))
end

local E = mf.experiment {
  name = "quasistatic_fig2_middle",
  doc = "Quasistatic Fig. 2 middle: matrix factorization 5x5 with Hessian noise, SGD and SGDm against the manifold dynamics",
  params = {
    { name = "sigma", default = 3, kind = "number", doc = "Hessian-noise scale" },
    { name = "lr", default = 1e-3, kind = "number", doc = "SGD learning rate" },
    { name = "lr_momentum", default = 5e-4, kind = "number", doc = "SGDm learning rate" },
    { name = "mu", default = 0.5, kind = "number", doc = "SGDm momentum" },
    { name = "steps", default = 20000, kind = "integer", doc = "steps" },
    { name = "seeds", default = 2, kind = "integer", doc = "runs (seed 1 is plotted)" },
    { name = "seed", default = 2023, kind = "integer", doc = "random seed of the runs" },
    { name = "data_seed", default = 4, kind = "integer", doc = "seed of the matrix M (4: well conditioned)" },
    { name = "records", default = 100, kind = "integer", doc = "records over the run (every = steps // records)" },
  },
  quick = { steps = 400, seeds = 1, records = 50 },
  run = run, plot = plot, report = report,
}

return E:main(...)
