-- Flatter-faster Fig. 3 (quick: d = 20, r = 2, P = 200): label-noise heavy ball on matrix sensing
-- has an interior optimal momentum (both grid neighbours worse) by the test error and by Tr H at
-- the projection, and the two criteria agree; every configuration ran in one batched run.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local out = H.tmpdir()
local r = H.run_example(here .. "/../../examples/flatter_faster/fig3.lua", "--quick", "--out", out)
H.check(r.by_test.interior, ("test error: interior beta* %s"):format(tostring(r.by_test.grid)))
H.check(r.by_trH.interior, ("Tr H: interior beta* %s"):format(tostring(r.by_trH.grid)))
H.check(r.by_test.grid == r.by_trH.grid, ("the criteria agree: %s and %s"):format(tostring(r.by_test.grid), tostring(r.by_trH.grid)))
for _, f in ipairs(r.final) do
  H.check(f.loss < 1e-10, ("beta %g: the projection reaches the manifold (loss %.1e)"):format(f.beta, f.loss))
end
H.check(H.png_size(out .. "/fig3.png") ~= nil, "fig3.png written")
-- a beta outside [0, 1) is an error naming it
local E = dofile(here .. "/../../examples/flatter_faster/fig3.lua")
H.raises({ "betas[2] = 1" }, E.run, E, { d = 20, r = 2, betas = { 0.9, 1 }, steps = 10, eval = 10, every = 5, proj_steps = 10 })
-- named parameter sets: --full is d = 100; it cannot be combined with --quick
H.check(E:help_text():find("--full sets: d=100", 1, true) ~= nil, "--help lists the --full set")
H.raises({ "--quick and --full cannot be combined" }, E.cli, E, { "--full", "--quick" })
H.finish()
