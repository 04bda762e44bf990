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
-- Usage: mflab fig2_middle.lua [--quick] [--out DIR] [--seeds N] [--steps N]
-- Writes DIR/fig2_middle.png and DIR/fig2_middle.csv, prints the distance of the projected
-- iterate to the manifold dynamics as a fraction of the displacement at the last step, and
-- returns the numbers.
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
--   manifold for the noise (the generic gradient-flow projection, ~1-2 ms a step here), so the
--   full run takes ~70 s on 2 cores (the two seeds run in parallel, block = 1).
-- * One run is plotted (seed 1), as in the paper's middle panel: Hessian noise has no tangent
--   part (D11 = 0), so the manifold dynamics predicts every single run, not only the mean;
--   the other seeds (run in parallel) give the printed spread of the end-point numbers.
-- * The distance uses the projection P z_k of the iterate: the iterate itself oscillates
--   ~0.24 around the manifold, which the manifold dynamics does not describe; |z_k - zeta_k|
--   is drawn too.
local mf = mf or require "mflab"

local opts = mf.example.options(arg, "fig2_middle.lua")

local sigma = 3
local steps = opts.steps or (opts.quick and 400 or 20000)
local seeds = opts.seeds or (opts.quick and 1 or 2)
local every = math.max(1, steps // (opts.quick and 50 or 100))
local seed = 2023

local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = 4 }
local x0 = L.x0 -- U0 = M, V0 = I
local d = L.dim
local noise = mf.noise.hessian { sigma = sigma }

local function dist(a, b)
  local s = 0
  for k = 1, #a do s = s + (a[k] - b[k]) ^ 2 end
  return math.sqrt(s)
end
-- the point of record j (seed sd) from per-coordinate series
local function point(cols, j)
  local z = {}
  for k = 1, d do z[k] = cols[k][j] end
  return z
end

local cases = {
  { key = "sgd", label = "SGD", color = "#1f77b4", opt = mf.opt.sgd { lr = 1e-3 } },
  { key = "sgdm", label = "SGDm", color = "#d62728", opt = mf.opt.momentum { lr = 5e-4, mu = 0.5 } },
}
local t0 = os.clock()
local wall0 = os.time()
for _, c in ipairs(cases) do
  c.run = mf.run { landscape = L, optimizer = c.opt, noise = noise, x0 = x0, steps = steps, every = every,
                   seeds = seeds, seed = seed, record = { "x", "p" }, block = 1, quiet = true }
  local flow = mf.manifold.flow { landscape = L, optimizer = c.opt, noise = noise }
  local f = flow:integrate { x0 = x0, steps = steps, every = every, method = "dp45", quiet = true }
  local fc = {}
  for k = 1, d do fc[k] = f["x" .. k] end
  local n = #c.run.t
  c.per_seed = {}
  for sd = 1, seeds do
    local zc, pc = {}, {}
    for k = 1, d do
      zc[k] = c.run:column("x" .. k, sd)
      pc[k] = c.run:column("p" .. k, sd)
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
    c.per_seed[sd] = s
  end
  local r, p = 0, 0
  for sd = 1, seeds do r, p = r + c.per_seed[sd].ratio, p + c.per_seed[sd].pace end
  c.ratio, c.pace = r / seeds, p / seeds
  local lo, hi = math.huge, -math.huge
  for sd = 1, seeds do lo, hi = math.min(lo, c.per_seed[sd].ratio), math.max(hi, c.per_seed[sd].ratio) end
  c.ratio_lo, c.ratio_hi = lo, hi
end
local t = cases[1].run.t
local n = #t

local names, cols = { "t" }, { t }
for _, c in ipairs(cases) do
  local s = c.per_seed[1]
  for _, col in ipairs { { "disp", s.disp }, { "disp_proj", s.disp_p }, { "gap", s.gap }, { "gap_proj", s.gap_p },
                         { "flow_disp", s.flow_disp } } do
    names[#names + 1] = c.key .. "_" .. col[1]
    cols[#cols + 1] = col[2]
  end
end
local csv = opts.out .. "/fig2_middle.csv"
mf.write_csv(csv, names, cols, ("mflab %s; quasistatic Fig. 2 middle; matrix_factorization m=n=p=5 seed=4 from U0=M V0=I; hessian sigma=%g; sgd lr=1e-3; momentum lr=5e-4 mu=0.5; steps=%d seeds=%d seed=%d; columns for seed 1; gap = |z - zeta|, gap_proj = |Pz - zeta|")
  :format(mf.version, sigma, steps, seeds, seed))

local p = mf.plot { size = { 1200, 500 }, layout = { 1, 2 },
                    title = ("Matrix factorization 5x5 from U = M, V = I, Hessian noise (sigma = %g): true vs manifold dynamics, one run; "
                      .. "SGD lr = 1e-3, SGDm lr = 5e-4, mu = 0.5"):format(sigma) }
p:panel(1, { xlabel = "iteration", ylabel = "distance", key = "top left" })
for _, c in ipairs(cases) do
  local s = c.per_seed[1]
  p:line(t, s.disp, { title = c.label .. ": |z_k - z_0|", color = c.color })
  p:line(t, s.gap, { title = c.label .. ": |z_k - zeta_k|", color = c.color, dash = "dot", width = 1 })
  p:line(t, s.gap_p, { title = c.label .. ": |P z_k - zeta_k|", color = c.color, dash = "dash" })
end
p:panel(2, { xlabel = "displacement |P z_k - z_0| of the true dynamics", ylabel = "|P z_k - zeta_k|", key = "top left" })
for _, c in ipairs(cases) do
  local s = c.per_seed[1]
  p:line(s.disp_p, s.gap_p, { title = c.label, color = c.color })
end
local png = opts.out .. "/fig2_middle.png"
p:save(png)

local parts = {}
for _, c in ipairs(cases) do
  local s = c.per_seed[1]
  parts[#parts + 1] = ("%s: displacement %.3f, |Pz - zeta| %.4f = %.1f%% of it (seeds %.1f%%..%.1f%%), true/flow pace %.3f")
    :format(c.key, s.disp_p[n], s.gap_p[n], 100 * c.ratio, 100 * c.ratio_lo, 100 * c.ratio_hi, c.pace)
end
print(("fig2_middle: at step %d (%d seeds, %.0f s): %s"):format(steps, seeds, os.time() - wall0, table.concat(parts, "; ")))

local out = { steps = steps, seeds = seeds, png = png, csv = csv, x0 = x0, cpu = os.clock() - t0, cases = {} }
for _, c in ipairs(cases) do
  local s = c.per_seed[1]
  out.cases[#out.cases + 1] = { key = c.key, ratio = c.ratio, ratio_lo = c.ratio_lo, ratio_hi = c.ratio_hi,
    pace = c.pace, disp = s.disp_p[n], gap = s.gap_p[n], gap_raw = s.gap[n], flow_disp = s.flow_disp[n] }
end
return out
