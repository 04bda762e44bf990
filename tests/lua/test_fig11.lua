-- Sharpness Fig. 11 (quick): matrix completion with BN entering the edge of stability; 2/eta_t
-- and the spherical sharpness cross back and forth and the training loss oscillates.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local out = H.tmpdir()
local r = H.run_example("examples/sharpness/fig11.lua", "--quick", "--out", out)
H.check(r.entry >= 1300 and r.entry <= 1800, ("entry into the edge of stability at step %d (Fig. 1: ~1600)"):format(r.entry))
H.check(r.crossings >= 3, ("2/eta_t and the sharpness cross %d times (>= 3)"):format(r.crossings))
H.check(r.peaks >= 3 and r.period > 40 and r.period < 200,
  ("the training loss oscillates: %d peaks, mean spacing %.0f steps"):format(r.peaks, r.period))
-- before the entry the iterate interpolates (rounding-level loss); after it the loss is lifted
local pre, post = 0, 0
for j = 1, #r.t do
  if r.t[j] < r.entry then pre = math.max(pre, r.loss[j]) elseif r.t[j] > r.entry + 150 then post = math.max(post, r.loss[j]) end
end
H.check(pre < 1e-25 and post > 1e-8, ("loss before the entry %.1e, after it up to %.1e"):format(pre, post))
H.check(H.png_size(r.png) ~= nil, "fig11.png written")
H.finish()
