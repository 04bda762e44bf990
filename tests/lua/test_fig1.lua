-- Quasistatic Fig. 1 (examples/quasistatic/fig1.lua): the ensemble mean of x at the end is
-- within 5% of the manifold ODE for Hessian noise and within 10% for isotropic noise, with
-- enough seeds that each bound is at least 4 standard errors wide; the quick mode writes a
-- valid PNG and a CSV.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local example = here .. "/../../examples/quasistatic/fig1.lua"

local function run_example(...) return H.run_example(example, ...) end

local dir = H.tmpdir()
local full = run_example("--out", dir)
H.check(full.seeds >= 256 and full.steps == 800000, "full mode runs 256 seeds x 800000 steps")
H.check(math.abs(full.gap_hessian) <= 0.05,
  ("Hessian noise: mean vs ODE gap %.4f exceeds 5%%"):format(full.gap_hessian))
H.check(0.05 >= 4 * full.se_hessian,
  ("Hessian noise: 5%% bound is narrower than 4 standard errors (se %.4f)"):format(full.se_hessian))
H.check(math.abs(full.gap_isotropic) <= 0.10,
  ("isotropic noise: mean vs ODE gap %.4f exceeds 10%%"):format(full.gap_isotropic))
H.check(0.10 >= 4 * full.se_isotropic,
  ("isotropic noise: 10%% bound is narrower than 4 standard errors (se %.4f)"):format(full.se_isotropic))
-- the ODE itself: Hessian noise has x(t) = 5 exp(-lr sigma^2 t / 2), t = k lr, lr = 1e-3, sigma = 2
H.close(full.x_end_hessian, 5 * math.exp(-(1e-3) ^ 2 * 4 * 800000 / 2), 1e-9, "Hessian ODE closed form")
H.check(full.x_end_isotropic > 3 and full.x_end_isotropic < 4, "isotropic ODE travels 5 -> 3.6")
local w, h = H.png_size(dir .. "/fig1.png")
H.check(w == 1400 and h == 560, ("fig1.png is a 1400x560 PNG (got %s x %s)"):format(w, h))

local qdir = H.tmpdir()
local quick = run_example("--quick", "--out", qdir)
H.check(quick.steps == 40000 and quick.seeds == 32, "quick mode is small")
local qw = H.png_size(qdir .. "/fig1.png")
H.check(qw == 1400, "quick mode writes a valid PNG")
local csv = H.read(qdir .. "/fig1.csv") or ""
local lines = {}
for line in csv:gmatch("[^\n]+") do lines[#lines + 1] = line end
-- the metadata comment is the last line (the header comes first, for numpy.genfromtxt); put it first here
if lines[#lines] and lines[#lines]:match("^# ") then table.insert(lines, 1, table.remove(lines)) end
H.check(lines[1] and lines[1]:match("^# mflab"), "CSV carries a metadata comment")
H.check(lines[2] == "t,hessian_x_mean,hessian_x_std,hessian_x_ode,isotropic_x_mean,isotropic_x_std,isotropic_x_ode",
  "CSV header: " .. tostring(lines[2]))
H.check(#lines == 2 + 801, "CSV has one row per recorded step (801), got " .. (#lines - 2))
H.check(lines[3] and lines[3]:match("^0,5,0,5,5,0,5$"), "first row starts at x = 5: " .. tostring(lines[3]))
os.execute("rm -rf '" .. dir .. "' '" .. qdir .. "'")
H.finish()
