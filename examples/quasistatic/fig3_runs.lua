-- Shared by fig3_left.lua and fig3_middle.lua (quasistatic paper, Fig. 3 left and middle left):
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
local mf = mf or require "mflab"

return function(opts)
  local sigma, x0 = 2, { 5, 0 }
  local steps = opts.quick and 4000 or 20000
  local seeds = opts.seeds or (opts.quick and 64 or 512)
  local every = steps // 500
  local L = mf.landscape.valley { a = 1, b = 1 }
  local runs = {
    { key = "A", lr = 0.004, mu = 0.6, B = 2 },
    { key = "B", lr = 0.002, mu = 0.8, B = 2 },
    { key = "C", lr = 0.002, mu = 0.6, B = 1 },
  }
  for _, c in ipairs(runs) do
    c.s = c.lr ^ 2 / (c.B * (1 - c.mu) ^ 2)
    c.r = c.lr / (c.B * (1 - c.mu))
    c.label = ("lr = %g, mu = %g, B = %g (s = %g, r = %g)"):format(c.lr, c.mu, c.B, c.s, c.r)
    c.run = mf.run { landscape = L, optimizer = mf.opt.momentum { lr = c.lr, mu = c.mu },
                     noise = mf.noise.minibatch { B = c.B, of = mf.noise.hessian { sigma = sigma } },
                     x0 = x0, steps = steps, every = every, seeds = seeds, seed = 2023,
                     record = { "x1", "dist" }, quiet = true }
    c.mean, c.std = c.run:mean("x1"), c.run:std("x1")
    c.absy = c.run:mean("dist") -- |y|: the distance to the manifold y = 0
    c.theory = {}
    for j, t in ipairs(c.run.t) do c.theory[j] = x0[1] * math.exp(-sigma ^ 2 * c.s * t / 2) end
  end
  return { runs = runs, steps = steps, seeds = seeds, sigma = sigma, t = runs[1].run.t,
           absy_theory = sigma * math.sqrt(runs[1].r) / math.sqrt(2 * math.pi) }
end
