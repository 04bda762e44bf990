-- Normalization-sharpness Fig. 4 (examples/sharpness/fig4.lua) in quick mode: GD+WD on
-- linear regression with BN interpolates within 1000 steps, then enters the edge of stability
-- (2/eta_t crosses lambda_1 at the projection back and forth, the training loss hovers between
-- 1e-6 and 1e-2), and the distance to the min-norm interpolant of problem (M) falls at least
-- 10x while the test loss approaches the min-norm interpolant's (S Thm. 5.1). Writes a PNG and
-- a CSV with one row per record.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local example = here .. "/../../examples/sharpness/fig4.lua"

local function run_example(...) return H.run_example(example, ...) end

local dir = H.tmpdir()
local q = run_example("--quick", "--out", dir)
H.check(q.steps == 40000 and q.every == 40, "quick mode: 40000 steps, a record every 40")
H.check(q.min_loss_first_1k <= 1e-14, "train loss below 1e-14 within 1000 steps: " .. q.min_loss_first_1k)
H.check(q.eos_step >= 1000 and q.eos_step <= 4000, "edge of stability between steps 1000 and 4000: " .. q.eos_step)
H.check(q.crossings >= 6, "2/eta_t and lambda_1(phi_t) cross back and forth: " .. q.crossings)
H.check(q.eos_loss_median >= 1e-6 and q.eos_loss_median <= 1e-2, "train loss at the edge of stability ~1e-4: " .. q.eos_loss_median)
H.check(q.dist_ratio >= 10, ("distance to the min-norm interpolant falls at least 10x: %.3g -> %.3g"):format(q.dist_at_eos, q.dist_end))
H.close(q.test_end, q.test_minnorm, 0.02, "test loss approaches the min-norm interpolant's")
H.close(q.two_over_eta_end, q.lambda1_end, 0.01, "2/eta_t = lambda_1(phi_t) at the edge of stability")
H.check(q.seeds == 16 and q.seeds_lower >= 8, "the min-norm interpolant generalizes better in most seeds: " .. q.seeds_lower)
local w, h = H.png_size(dir .. "/fig4.png")
H.check(w == 1400 and h == 1000, ("fig4.png is a 1400x1000 PNG (got %s x %s)"):format(w, h))
local lines = {}
for line in (H.read(dir .. "/fig4.csv") or ""):gmatch("[^\n]+") do lines[#lines + 1] = line end
-- the metadata comment is the last line (the header comes first, for numpy.genfromtxt); put it first here
if lines[#lines] and lines[#lines]:match("^# ") then table.insert(lines, 1, table.remove(lines)) end
H.check(lines[1] and lines[1]:match("^# mflab"), "CSV carries a metadata comment")
H.check(lines[2] == "t,loss,test_loss,two_over_eta,lambda1_proj,h,abs_h,dist_minnorm,wnorm", "CSV header: " .. tostring(lines[2]))
H.check(#lines == 2 + 1001, "CSV has one row per record (1001), got " .. (#lines - 2))
os.execute("rm -rf '" .. dir .. "'")
H.finish()
