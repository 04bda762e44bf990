-- Shared by fig3_left.lua and fig3_middle.lua (quasistatic paper, Fig. 3 left and middle left),
-- which `require "fig3_runs"` (the running script's folder is on package.path) and call R:run(p):
-- three SGDm runs on the valley (1 + x^2) y^2 from (5, 0) with Hessian noise sigma = 2, the
-- batch size B entering as minibatch{B} (covariance / B, Q(20)):
--   A: lr 0.004, mu 0.6, B 2    speed s = lr^2/(B (1-mu)^2) = 5e-5,   range r = lr/(B (1-mu)) = 0.005
--   B: lr 0.002, mu 0.8, B 2    s = 5e-5 (the same),                  r = 0.005
--   C: lr 0.002, mu 0.6, B 1    s = 2.5e-5 (half),                    r = 0.005
-- Equal s and r force equal lr/(1-mu) and B, so the equal pair differs in lr and mu; C keeps r
-- and halves s by halving both lr/(1-mu) and B (Q §4, eq. (22)). Per iteration the manifold
-- dynamics is x_k = 5 exp(-sigma^2 s k / 2) (Q(21)), and the oscillation of y has variance
-- sigma^2 r / 4 whatever h(x) is, so E|y| = sigma sqrt(r) / sqrt(2 pi) for all three.
-- The discrete oscillation is larger by 1/(1 - lr h/(1 + mu)) (an AR(2) computation), which
-- makes A drift a few percent faster than B while x is large; it fades as x falls.
-- Run alone (mflab fig3_runs.lua [name=value ...] [--quick]) it saves the three ensembles'
-- series in its output folder.
local mf = mf or require "mflab"

local RUNS = {
  { key = "A", lr = 0.004, mu = 0.6, B = 2 },
  { key = "B", lr = 0.002, mu = 0.8, B = 2 },
  { key = "C", lr = 0.002, mu = 0.6, B = 1 },
}

local function run(p)
  local sigma, x0 = p.sigma, { 5, 0 }
  local steps, seeds = p.steps, p.seeds
  local every = steps // p.records
  local L = mf.landscape.valley { a = 1, b = 1 }
  local runs = {}
  for i, def in ipairs(RUNS) do
    local c = { key = def.key, lr = def.lr, mu = def.mu, B = def.B }
    c.s = c.lr ^ 2 / (c.B * (1 - c.mu) ^ 2)
    c.r = c.lr / (c.B * (1 - c.mu))
    c.label = ("lr = %g, mu = %g, B = %g (s = %g, r = %g)"):format(c.lr, c.mu, c.B, c.s, c.r)
    local r = mf.run { landscape = L, optimizer = mf.opt.momentum { lr = c.lr, mu = c.mu },
                       noise = mf.noise.minibatch { B = c.B, of = mf.noise.hessian { sigma = sigma } },
                       x0 = x0, steps = steps, every = every, seeds = seeds, seed = p.seed,
                       record = { "x1", "dist" }, quiet = true }
    c.mean, c.std = r:mean("x1"), r:std("x1")
    c.absy = r:mean("dist") -- |y|: the distance to the manifold y = 0
    c.theory = {}
    for j, t in ipairs(r.t) do c.theory[j] = x0[1] * math.exp(-sigma ^ 2 * c.s * t / 2) end
    runs[i] = c
    if i == 1 then runs.t = r.t end
  end
  return { runs = { runs[1], runs[2], runs[3] }, steps = steps, seeds = seeds, sigma = sigma, t = runs.t,
           absy_theory = sigma * math.sqrt(runs[1].r) / math.sqrt(2 * math.pi) }
end

return mf.experiment {
  name = "quasistatic_fig3_runs",
  doc = "Quasistatic Fig. 3 left and middle: three SGDm ensembles on the valley, two with equal speed factor s, all with equal range factor r",
  params = {
    { name = "sigma", default = 2, kind = "number", doc = "Hessian-noise scale" },
    { name = "steps", default = 20000, kind = "integer", doc = "steps" },
    { name = "seeds", default = 512, kind = "integer", doc = "trajectories per run" },
    { name = "seed", default = 2023, kind = "integer", doc = "random seed of the ensembles" },
    { name = "records", default = 500, kind = "integer", doc = "records over the run (every = steps // records)" },
  },
  quick = { steps = 4000, seeds = 64 },
  run = run,
}:main(...)
