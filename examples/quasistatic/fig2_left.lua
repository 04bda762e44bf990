-- Quasistatic paper (Ma, Wu & E), Fig. 2 left: SGD with momentum (SGDm, Q(15)) on the valley
-- f(x, y) = (1 + x^2) y^2 from (5, 0) with Hessian noise, for mu in {0, 0.5, 0.8, 0.9}:
--   true x       the ensemble mean of x over the seeds
--   eq. (17)     the momentum-like discretization of the manifold dynamics,
--                m <- mu m - lr G(x), x <- x + m, G = V^m grad_M A (flow{order = 2}:integrate{method = "momentum"})
--   eq. (19)     the first-order ODE dx/dt = -(lr sigma^2 / (4 (1 - mu)^2)) h'(x), t = k lr,
--                i.e. x_k = 5 exp(-lr^2 sigma^2 k / (2 (1 - mu)^2))           (doc/math.md §4)
--
-- Usage: mflab fig2_left.lua [--quick] [--out DIR] [--seeds N]
-- Writes DIR/fig2_left.png and DIR/fig2_left.csv, prints the relative gap of the ensemble mean
-- (and of eq. (17)) to the ODE at the last step for each mu, and returns the numbers.
--
-- Parameters and why: lr = 1e-3 and sigma = 2 as in Fig. 1, so the speed 1/(1 - mu)^2 spreads
-- the four runs from barely moving (mu = 0: x 5 -> 4.8) to near the origin (mu = 0.9:
-- 5 -> 0.09) in 20 000 steps. The discrete oscillation of y has variance
-- V^m / (1 - lr h/(1 + mu)) (an AR(2) computation), so the drift is biased by about
-- lr h/(1 + mu) <= 2.6% at x = 5, less as x falls.
local mf = mf or require "mflab"

local opts = mf.example.options(arg, "fig2_left.lua")

local lr, sigma = 1e-3, 2
local steps = opts.quick and 5000 or 20000
local seeds = opts.seeds or (opts.quick and 64 or 512)
local every = steps // 500
local x0 = { 5, 0 }
local mus = { 0, 0.5, 0.8, 0.9 }

local L = mf.landscape.valley { a = 1, b = 1 }
local noise = mf.noise.hessian { sigma = sigma }
local cases = {}
for _, mu in ipairs(mus) do
  local opt = mf.opt.momentum { lr = lr, mu = mu }
  local c = { mu = mu }
  c.run = mf.run { landscape = L, optimizer = opt, noise = noise, x0 = x0, steps = steps, every = every,
                   seeds = seeds, seed = 2023, record = { "x1" }, quiet = true }
  local flow = mf.manifold.flow { landscape = L, optimizer = opt, noise = noise }
  local flow2 = mf.manifold.flow { landscape = L, optimizer = opt, noise = noise, order = 2 }
  c.eq17 = flow2:integrate { x0 = x0, steps = steps, every = every, method = "momentum", quiet = true }.x1
  c.ode = flow:integrate { x0 = x0, steps = steps, every = every, method = "dp45", quiet = true }.x1
  c.mean, c.std = c.run:mean("x1"), c.run:std("x1")
  local n = #c.mean
  c.gap = (c.mean[n] - c.ode[n]) / c.ode[n]
  c.se = c.std[n] / math.sqrt(seeds) / c.ode[n]
  c.gap17 = (c.eq17[n] - c.ode[n]) / c.ode[n]
  cases[#cases + 1] = c
end
local t = cases[1].run.t

local names, cols = { "t" }, { t }
for _, c in ipairs(cases) do
  local key = ("mu%g"):format(c.mu)
  for _, col in ipairs { { "mean", c.mean }, { "std", c.std }, { "eq17", c.eq17 }, { "ode", c.ode } } do
    names[#names + 1] = key .. "_x_" .. col[1]
    cols[#cols + 1] = col[2]
  end
end
local csv = opts.out .. "/fig2_left.csv"
mf.write_csv(csv, names, cols, ("mflab %s; quasistatic Fig. 2 left; lr=%g sigma=%g steps=%d seeds=%d seed=2023")
  :format(mf.version, lr, sigma, steps, seeds))

local p = mf.plot { size = { 900, 600 }, title = ("SGDm on (1 + x^2) y^2 with Hessian noise: true x (mean of %d), eq. (17), eq. (19)"):format(seeds),
                    xlabel = "iteration", ylabel = "x", key = "bottom left" }
for _, c in ipairs(cases) do
  p:line(t, c.mean, { title = ("mu = %g: true (mean)"):format(c.mu) })
  p:line(t, c.eq17, { title = ("mu = %g: eq. (17)"):format(c.mu), dash = "dash" })
  p:line(t, c.ode, { title = ("mu = %g: eq. (19)"):format(c.mu), dash = "dot" })
end
local png = opts.out .. "/fig2_left.png"
p:save(png)

local parts = {}
for _, c in ipairs(cases) do
  parts[#parts + 1] = ("mu=%g: x %.3f, true %+.2f%% (s.e. %.2f%%), eq17 %+.2f%%"):format(c.mu, c.ode[#t],
    100 * c.gap, 100 * c.se, 100 * c.gap17)
end
print(("fig2_left: at step %d, gap to the ODE eq. (19): %s"):format(steps, table.concat(parts, "; ")))

local out = { steps = steps, seeds = seeds, png = png, csv = csv, cases = {} }
for _, c in ipairs(cases) do
  out.cases[#out.cases + 1] = { mu = c.mu, gap = c.gap, se = c.se, gap17 = c.gap17, x_ode = c.ode[#t], x_mean = c.mean[#t] }
end
return out
