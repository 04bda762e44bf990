-- Flatter-faster Fig. 1 (quick: linear activation, gamma in {0.2, 2/3, 1}, eta in [1e-2, 1e-1],
-- C in {0.14, 0.2, 0.28}): the timescale exponent at gamma = 2/3 and 0.2 against the theory
-- max(gamma, 2 - 2gamma), and the fitted C against C* = (eps^2 mu_2/(P n))^(1/3).
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local out = H.tmpdir()
local r = H.run_example(here .. "/../../examples/flatter_faster/fig1.lua", "--quick", "--out", out)
local a = r.acts[1]
H.check(a.act == "linear", "quick runs the linear model")
local b = a.byC[a.best]
local function alpha(g)
  for gi, gg in ipairs(r.gammas) do if math.abs(gg - g) < 1e-12 then return b.fits[gi].alpha end end
end
H.check(math.abs(alpha(2 / 3) - 2 / 3) < 0.1, ("alpha(2/3) = %.3f within 0.1 of 2/3"):format(alpha(2 / 3)))
H.check(math.abs(alpha(0.2) - 1.6) < 0.15, ("alpha(0.2) = %.3f within 0.15 of 1.6"):format(alpha(0.2)))
H.check(a.C_fit / a.C_star < 1.5 and a.C_star / a.C_fit < 1.5,
  ("fitted C %.3f within a factor 1.5 of C* %.3f"):format(a.C_fit, a.C_star))
H.check(H.png_size(out .. "/fig1.png") ~= nil, "fig1.png written")
H.check(H.read(out .. "/sweep_linear/sweep.csv") ~= nil, "the sweep's table is in sweep_linear/")
-- a point whose beta leaves [0, 1) fails in the sweep with a message naming it
local E = dofile(here .. "/../../examples/flatter_faster/fig1.lua")
local ok, err = pcall(E.run, E, { acts = { "linear" }, gammas = { 0.1 }, etas = { 0.5 }, C = { 3 }, seeds = 2 })
H.check(ok and err.acts[1].failed == 1, "the point (eta 0.5, gamma 0.1, C 3) fails in its sweep, the run goes on")
H.finish()
