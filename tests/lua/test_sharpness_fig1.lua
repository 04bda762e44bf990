-- Normalization-sharpness Fig. 1 and 6 (examples/sharpness/fig1.lua) in quick mode: matrix
-- completion with BN under GD+WD interpolates the observations, reaches the edge of stability
-- after 1000-3000 steps (paper ~2000), and from there the spherical sharpness falls at least 4x
-- to 2/eta_t, the recovered matrix's third singular value shrinks against the second, and the
-- test loss falls (N = 800: at least halved within 10000 steps; N = 1600: below 0.01).
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local example = here .. "/../../examples/sharpness/fig1.lua"

local function run_example(...) return H.run_example(example, ...) end

local dir = H.tmpdir()
local q = run_example("--quick", "--out", dir)
H.check(q.steps == 10000 and q.every == 200, "quick mode: 10000 steps, a record every 200")
for _, N in ipairs { 400, 800, 1600 } do
  local c = q.runs[N]
  H.check(c.loss_min <= 1e-12, ("N = %d: the observations are interpolated first (loss %.1e)"):format(N, c.loss_min))
  H.check(c.eos_step >= 1000 and c.eos_step <= 3000, ("N = %d: edge of stability at step %d"):format(N, c.eos_step))
  H.check(c.sharp_before >= 2.5 * c.sharp_end, ("N = %d: spherical sharpness falls %.1f -> %.2f"):format(N, c.sharp_before, c.sharp_end))
  H.close(c.two_eta_end, c.sharp_end, 0.1, ("N = %d: 2/eta_t meets the sharpness"):format(N))
  H.check(c.gap_end < c.gap_before, ("N = %d: sv3/sv2 shrinks %.3g -> %.3g"):format(N, c.gap_before, c.gap_end))
  H.check(c.test_end < c.test_before, ("N = %d: test loss falls %.3f -> %.4f"):format(N, c.test_before, c.test_end))
end
H.check(q.runs[800].sharp_before >= 4 * q.runs[800].sharp_end, "N = 800: sharpness falls at least 4x")
H.check(q.runs[800].test_end <= 0.5 * q.runs[800].test_before, "N = 800: test loss at least halved")
H.check(q.runs[800].test_before >= 1 and q.runs[800].test_before <= 1.5, "N = 800: test loss ~1.1-1.3 at the first interpolant (paper 1.12)")
H.check(q.runs[1600].test_end <= 0.01, "N = 1600: test loss below 0.01")
for _, png in ipairs { dir .. "/fig1.png", dir .. "/fig1_observations.png" } do
  local w = H.png_size(png)
  H.check(w == 1400, png .. " is a 1400-pixel-wide PNG")
end
local lines = {}
for line in (H.read(dir .. "/fig1.csv") or ""):gmatch("[^\n]+") do lines[#lines + 1] = line end
-- the metadata comment is the last line (the header comes first, for numpy.genfromtxt); put it first here
if lines[#lines] and lines[#lines]:match("^# ") then table.insert(lines, 1, table.remove(lines)) end
H.check(lines[1] and lines[1]:match("^# mflab"), "CSV carries a metadata comment")
H.check(lines[2] and lines[2]:match("^t,N800_loss,N800_test_loss,N800_spherical_sharpness,N800_two_over_eta,N800_sv1,"),
  "CSV header: " .. tostring(lines[2]))
H.check(#lines == 2 + 51, "CSV has one row per record (51), got " .. (#lines - 2))
os.execute("rm -rf '" .. dir .. "'")
H.finish()
