-- Sharpness paper Fig. 3c (examples/sharpness/fig3c.lua), full run (400 steps, a fraction of a
-- second): the sharpness-reduction flow ends within 1e-3 of the flattest minimizer
-- (1/sqrt 2, 1/sqrt 2, 0) with spherical sharpness 6 (App. F: 6/(1 - z^2)), lowering it
-- monotonically; GD+WD's direction theta ends in a period-2 oscillation across Gamma whose
-- centre and projection onto Gamma are within 1e-3 of the same point; running on the rotated
-- landscape F(U w) from U^T w0 gives the same path rotated (the script's rotate = false);
-- the flow integrates with records 200 steps apart (Dormand-Prince used to fail there).
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local example = here .. "/../../examples/sharpness/fig3c.lua"

local function run_example(...) return H.run_example(example, ...) end

local dir = H.tmpdir()
local r = run_example("--out", dir)
H.check(r.steps == 400, "full run")
H.check(r.d_flow < 1e-3, ("flow ends %.3g from zeta* (tolerance 1e-3)"):format(r.d_flow))
H.check(r.d_proj < 1e-3, ("P theta ends %.3g from zeta* (tolerance 1e-3)"):format(r.d_proj))
-- Fig. 3a-b: |w_{t+1}|^2 = (1 - lr wd)^2 |w_t|^2 + lr^2 |grad L|^2 exactly, so |w| rises at exactly
-- the steps where |grad L| is above the balance; it does rise at some (the early oscillation)
-- and ends below its start
H.check(r.rise_agree == r.steps, ("|w| rises exactly when |grad L| is above the balance: %d of %d steps"):format(r.rise_agree, r.steps))
H.check(r.rise_steps >= 5 and r.rise_steps < r.steps / 2, ("|w| rises at %d steps (some, fewer than half)"):format(r.rise_steps))
H.check(math.abs(r.wnorm_end - 1.1953) < 1e-3 and r.wnorm0 > 1.79, ("|w| from %.4f to %.4f (1.1953)"):format(r.wnorm0, r.wnorm_end))
H.check(r.d_mid < 1e-3, ("the centre of theta's last oscillation is %.3g from zeta* (tolerance 1e-3)"):format(r.d_mid))
H.check(r.d_theta > 0.05 and r.d_theta < 0.15, ("theta itself oscillates at %.4f from zeta*"):format(r.d_theta))
H.check((r.theta[1] - r.theta[2]) * (r.theta_prev[1] - r.theta_prev[2]) < 0, "theta alternates across x = y")
H.close(r.sharp_flow, 6, 1e-6, "spherical sharpness at the flow's end")
H.close(r.sharp_proj, 6, 1e-6, "spherical sharpness at P theta")
H.check(r.flow_monotone, "the flow lowers the spherical sharpness monotonically")
H.check(r.eos < r.sharp_proj, ("edge of stability: 2/effective lr %.4f below lambda_1"):format(r.eos))
local w, h = H.png_size(dir .. "/fig3c.png")
H.check(w == 1200 and h == 1000, "a 1200x1000 PNG")
local csv = H.read(dir .. "/fig3c.csv") or ""
H.check(csv:match("^t,theta1,theta2,theta3,ptheta1,ptheta2,ptheta3,zeta1,zeta2,zeta3,loss,wnorm,"), "CSV header")

-- the rotated landscape (the paper's L(w) = F(U w)) from U^T w0: U w_t is the same path
local R = mf.landscape.sphere3d { seed = 3 }
local gw = mf.opt.gd_wd { lr = 0.5, wd = 0.08 }
local a = mf.run { landscape = R, optimizer = gw, x0 = R.x0, steps = 400, every = 400 }
local b = mf.run { landscape = mf.landscape.sphere3d { rotate = false }, optimizer = gw, x0 = { 0.3, 1.3, 1.2 },
                   steps = 400, every = 400 }
local U, worst = R.U, 0
for i = 1, 3 do
  local v = 0
  for k = 1, 3 do v = v + U[i][k] * a["x" .. k][2] end
  worst = math.max(worst, math.abs(v - b["x" .. i][2]))
end
H.check(worst < 1e-8, ("U w_400 on the rotated landscape equals w_400 on F (%.2g)"):format(worst))

-- records 200 steps apart: the flow's adaptive steps grow until a stage would leave Gamma's
-- neighbourhood; such a step is rejected and shrunk (it used to be an error)
local S = mf.landscape.sphere3d { rotate = false }
local fl = mf.manifold.flow { landscape = S, optimizer = gw, noise = mf.noise.none() }
local ok, sol = pcall(fl.integrate, fl, { x0 = S:project { 0.3, 1.3, 1.2 }, steps = 4000, every = 200, method = "dp45" })
H.check(ok, "coarse records: " .. tostring(ok or sol))
if ok then
  local e = #sol.t
  local d = math.sqrt((sol.x1[e] - 1 / math.sqrt(2)) ^ 2 + (sol.x2[e] - 1 / math.sqrt(2)) ^ 2 + sol.x3[e] ^ 2)
  H.check(d < 1e-3, ("coarse records: the flow ends %.3g from zeta*"):format(d))
end

local qdir = H.tmpdir() -- another folder: dir holds the results of the full parameters
local q = run_example("--quick", "--out", qdir)
H.check(q.steps == 250 and q.d_proj < 1e-3, "quick mode")
os.execute("rm -rf '" .. dir .. "' '" .. qdir .. "'")
H.finish()
