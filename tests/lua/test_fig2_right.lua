-- Quasistatic Fig. 2 right (examples/quasistatic/fig2_right.lua), quick mode (2000 steps, 16
-- runs and 16 SDE paths): the distance between the mean projected iterate and the mean of the
-- manifold SDE is at most 2.5 times its sampling floor (if the two laws were equal, its square
-- over the floor's would be about chi^2_50 / 50, above 6.25 with negligible probability), and
-- the means of |U|^2 + |V|^2 agree within 4 standard errors; the PNG and CSV are written.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local example = here .. "/../../examples/quasistatic/fig2_right.lua"

local function run_example(...) return H.run_example(example, ...) end

local dir = H.tmpdir()
local res = run_example("--quick", "--out", dir)
H.check(res.steps == 2000 and res.seeds == 16 and res.h == 100, "quick mode is small")
H.check(res.floor > 0 and res.gap <= 2.5 * res.floor,
  ("distance of the means %.3f vs sampling floor %.3f"):format(res.gap, res.floor))
H.check(math.abs(res.zq) < 4, ("|U|^2 + |V|^2: true and SDE means %.2f s.e. apart"):format(res.zq))
local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = 4 }
local q0 = 0
for k = 1, L.dim do q0 = q0 + L.x0[k] ^ 2 end
H.close(res.q0, q0, 1e-9, "q at the start is |M|_F^2 + |I|_F^2")
local w, h = H.png_size(dir .. "/fig2_right.png")
H.check(w == 1200 and h == 500, "a 1200x500 PNG")
local csv = H.read(dir .. "/fig2_right.csv") or ""
H.check(csv:match("^t,disp_true,disp_sde,gap,floor,q_true,q_true_se,q_sde,q_sde_se\n"), "CSV header")
os.execute("rm -rf '" .. dir .. "'")
H.finish()
