-- Quasistatic Fig. 2 left (examples/quasistatic/fig2_left.lua): for every mu the ensemble
-- mean of x at the end is within 5% of the first-order ODE eq. (19) (a bound at least 4
-- standard errors wide) and the eq. (17) discretization within 2%; the ODE is the closed form
-- x_k = 5 exp(-lr^2 sigma^2 k / (2 (1 - mu)^2)); the manifold drift of momentum and heavy ball is
-- SGD's times 1/(1 - mu)^2; the quick mode writes a PNG and a CSV.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local example = here .. "/../../examples/quasistatic/fig2_left.lua"

local function run_example(...) return H.run_example(example, ...) end

local dir = H.tmpdir()
local full = run_example("--out", dir)
H.check(#full.cases == 4, "four values of mu")
for _, c in ipairs(full.cases) do
  H.check(math.abs(c.gap) <= 0.05, ("mu = %g: mean vs ODE gap %.4f exceeds 5%%"):format(c.mu, c.gap))
  H.check(0.05 >= 4 * c.se, ("mu = %g: the 5%% bound is narrower than 4 s.e. (%.4f)"):format(c.mu, c.se))
  H.check(math.abs(c.gap17) <= 0.02, ("mu = %g: eq. (17) vs ODE gap %.4f exceeds 2%%"):format(c.mu, c.gap17))
  H.close(c.x_ode, 5 * math.exp(-(1e-3) ^ 2 * 4 * full.steps / (2 * (1 - c.mu) ^ 2)), 1e-8,
    ("mu = %g: ODE closed form"):format(c.mu))
end
H.check(full.cases[4].x_mean < 0.2 and full.cases[1].x_mean > 4.7, "mu = 0.9 travels far, mu = 0 hardly")

local L, nz = mf.landscape.valley {}, mf.noise.hessian { sigma = 1.5 }
local base = mf.manifold.flow { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, noise = nz }:drift { 1.3, 0 }
for _, opt in ipairs { mf.opt.momentum { lr = 0.01, mu = 0.7 }, mf.opt.heavy_ball { lr = 0.01, beta = 0.7 },
                       mf.opt.sgd { lr = 0.01, momentum = 0.7 } } do
  local d = mf.manifold.flow { landscape = L, optimizer = opt, noise = nz }:drift { 1.3, 0 }
  H.close(d[1], base[1] / 0.3 ^ 2, 1e-14, opt.name .. ": drift is SGD's / (1 - mu)^2")
end
H.raises({ "not supported", "supported:" }, mf.manifold.flow, { landscape = L, optimizer = mf.opt.adamw {}, noise = nz })
H.raises({ "constant learning rate" }, mf.manifold.flow,
  { landscape = L, optimizer = mf.opt.momentum { lr = mf.schedule.cosine { lr = 0.1, T = 5 }, mu = 0.5 }, noise = nz })

local qdir = H.tmpdir()
local quick = run_example("--quick", "--out", qdir)
H.check(quick.steps == 5000, "quick mode is small")
local w, h = H.png_size(qdir .. "/fig2_left.png")
H.check(w == 900 and h == 600, "quick mode writes a 900x600 PNG")
local csv = H.read(qdir .. "/fig2_left.csv") or ""
H.check(csv:match("^t,mu0_x_mean,mu0_x_std,mu0_x_eq17,mu0_x_ode,mu0.5_x_mean"), "CSV header")
os.execute("rm -rf '" .. dir .. "' '" .. qdir .. "'")
H.finish()
