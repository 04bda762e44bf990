-- Quasistatic Fig. 3 left and middle left (examples/quasistatic/fig3_left.lua, fig3_middle.lua):
-- the equal-speed-factor pair agrees within 5% in x at the end (a bound at least 4 combined
-- standard errors wide), the run with half the speed factor is slower by the predicted
-- amount (x within 5% of 5 exp(-sigma^2 s k/2)), and the equal range factor gives all three the
-- same time-averaged |y|, within 5% of sigma sqrt(r)/sqrt(2 pi); quick modes write PNG and CSV.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local dir_ex = here .. "/../../examples/quasistatic/"

local function run_example(name, ...) return H.run_example(dir_ex .. name, ...) end

local dir = H.tmpdir()
local left = run_example("fig3_left.lua", "--out", dir)
H.check(math.abs(left.gap) <= 0.05, ("equal s: x gap %.4f exceeds 5%%"):format(left.gap))
H.check(0.05 >= 4 * left.se, ("the 5%% bound is narrower than 4 s.e. (%.4f)"):format(left.se))
H.check(math.abs(left.xC / left.theoryC - 1) <= 0.05, ("half s: x %.4f vs theory %.4f"):format(left.xC, left.theoryC))
H.check(math.abs(left.xA / left.theoryA - 1) <= 0.05, ("equal s: x %.4f vs theory %.4f"):format(left.xA, left.theoryA))
H.check(left.xC > 2 * left.xA, "half the speed factor is clearly slower")

local mid = run_example("fig3_middle.lua", "--out", dir)
for _, k in ipairs { "A", "B", "C" } do
  H.check(math.abs(mid.levels[k] / mid.theory - 1) <= 0.05,
    ("run %s: time-averaged |y| %.4f vs sigma sqrt(r)/sqrt(2 pi) = %.4f"):format(k, mid.levels[k], mid.theory))
end

local qdir = H.tmpdir()
run_example("fig3_left.lua", "--quick", "--out", qdir)
run_example("fig3_middle.lua", "--quick", "--out", qdir)
for _, f in ipairs { "fig3_left", "fig3_middle" } do
  local w, h = H.png_size(qdir .. "/" .. f .. ".png")
  H.check(w == 900 and h == 600, f .. ": quick mode writes a 900x600 PNG")
  local csv = H.read(qdir .. "/" .. f .. ".csv") or ""
  local rows = select(2, csv:gsub("\n", ""))
  H.check(rows == 2 + 501, f .. ": CSV has a metadata line, a header and 501 rows, got " .. rows)
end
os.execute("rm -rf '" .. dir .. "' '" .. qdir .. "'")
H.finish()
