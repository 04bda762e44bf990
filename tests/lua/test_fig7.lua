-- Sharpness Fig. 7 (quick): matrix completion with BN, d = 100: the training loss reaches the
-- rounding floor before the edge of stability, then the spherical sharpness falls and, with 3200
-- observations, the test loss falls after it.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local out = H.tmpdir()
local r = H.run_example("examples/sharpness/fig7.lua", "--quick", "--out", out)
for N, c in pairs(r.runs) do
  H.check(c.eos >= 1500 and c.eos <= 3500, ("N = %d: edge of stability at step %d (1500..3500)"):format(N, c.eos))
  H.check(c.loss_eos < 1e-20, ("N = %d: interpolates before it (train loss %.1e)"):format(N, c.loss_eos))
  H.check(c.sharp_end < 0.3 * c.sharp_eos, ("N = %d: spherical sharpness falls %.1f -> %.2f"):format(N, c.sharp_eos, c.sharp_end))
end
local c = r.runs[3200]
H.check(c.half and c.fall and c.half >= c.fall and c.test_end < 0.1 * c.test_eos,
  ("N = 3200: the test loss halves at step %s, after the sharpness starts to fall (%s), and ends at %.4f from %.3f")
    :format(tostring(c.half), tostring(c.fall), c.test_end, c.test_eos))
H.check(c.gap_end < 0.2 * c.gap_eos, ("N = 3200: sv3/sv2 %.2g -> %.2g (low rank)"):format(c.gap_eos, c.gap_end))
H.check(H.png_size(r.png) ~= nil, "fig7.png written")
H.finish()
