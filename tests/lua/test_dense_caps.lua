-- Dense normal-space noise has a dimension cap (issue 15), like L:hess and L:tangent: Hessian
-- or normal-space isotropic noise on a landscape without a closed-form normal space takes the
-- generic path (the d x d Hessian eigendecomposed every step of every trajectory), refused
-- above dimension 2000 with an error that names mf.run, the noise, and the matrix-free
-- alternative; exactly at 2000 it is accepted.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local H = require "harness"

local function run(L, nz, steps)
  return pcall(mf.run, { landscape = L, optimizer = mf.opt.sgd{ lr = 1e-3 }, noise = nz,
                         x0 = mf.vec(L.dim), steps = steps or 0, seeds = 1, quiet = true })
end
local function custom(d) return mf.landscape.custom{ dim = d, codim = 1, f = function() return 0 end } end

-- at the cap: accepted (steps = 0: bound, never evaluated; uv, whose start needs no check of
-- a user's manifold -- for a custom landscape that check alone takes a 2000 x 2000 Hessian)
local U0 = mf.landscape.uv{ n = 1000, P = 5 }
H.check(U0.dim == 2000, "uv dimension " .. U0.dim)
for _, nz in ipairs{ mf.noise.hessian{ sigma = 1 }, mf.noise.isotropic{ sigma = 1 } } do
  local ok, e = pcall(mf.run, { landscape = U0, optimizer = mf.opt.sgd{ lr = 1e-3 }, noise = nz, x0 = U0.x0,
                                steps = 0, seeds = 1, quiet = true })
  H.check(ok, "dimension 2000 is accepted: " .. tostring(e))
end

-- above it: refused before the run, pointing to isotropic noise in the full space
local ok, e = run(custom(2001), mf.noise.hessian{ sigma = 1 })
H.check(not ok and tostring(e):find("mf.run: Hessian noise on landscape 'custom' of dimension 2001 takes the dense normal-space path", 1, true)
        and tostring(e):find("limited to dimension 2000; use isotropic noise with space = 'full'", 1, true),
        "Hessian noise, dimension 2001: " .. tostring(e))
ok, e = run(custom(2001), mf.noise.minibatch{ B = 4, of = mf.noise.isotropic{ sigma = 1 } })
H.check(not ok and tostring(e):find("mf.run: isotropic noise in the normal space on landscape 'custom' of dimension 2001", 1, true),
        "minibatch of normal-space isotropic noise, dimension 2001: " .. tostring(e))
-- the suggested alternative runs
ok, e = run(custom(2001), mf.noise.isotropic{ sigma = 1, space = "full" }, 2)
H.check(ok, "full-space isotropic noise at dimension 2001 runs: " .. tostring(e))

-- a landscape with residuals: the hint is label noise, which runs matrix-free
local U = mf.landscape.uv{ n = 1001, P = 5 } -- dimension 2n = 2002
H.check(U.dim == 2002, "uv dimension " .. U.dim)
ok, e = run(U, mf.noise.hessian{ sigma = 1 })
H.check(not ok and tostring(e):find("mf.run: Hessian noise on landscape 'uv' of dimension 2002", 1, true)
        and tostring(e):find("use mf.noise.label{eps = ...}", 1, true), "uv, Hessian noise: " .. tostring(e))
ok, e = run(U, mf.noise.label{ eps = 0.1 }, 2)
H.check(ok, "label noise on uv of dimension 2002 runs: " .. tostring(e))
H.finish()
