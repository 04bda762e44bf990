-- The first-projection check above dimension MF_CHECK_MANIFOLD_MAXDIM (300): no dense Hessian
-- (at dimension 2000 it took 5 minutes through Lua callbacks), lambda_max by power iteration on
-- Hessian-vector products, the minimum test still made; codim is not checked there.
package.path = arg[0]:gsub("[^/]*$", "") .. "?.lua;" .. package.path
local H = require "harness"

local d = 400
-- f = (1 + x1^2) sum_{k >= 2} x_k^2: the valley in d dimensions, M = the x1 axis, codim d - 1,
-- Hessian on M = diag(0, 2 (1 + x1^2), ...): lambda_max = 4 at x1 = 1
local function sq(z) local s = 0 for k = 2, d do s = s + z[k] ^ 2 end return s end
local function valley(opts)
  local o = { dim = d, codim = d - 1,
    f = function(z) return (1 + z[1] ^ 2) * sq(z) end,
    grad = function(z)
      local g = { 2 * z[1] * sq(z) }
      for k = 2, d do g[k] = 2 * (1 + z[1] ^ 2) * z[k] end
      return g
    end }
  for k, v in pairs(opts or {}) do o[k] = v end
  return mf.landscape.custom(o)
end
local x0 = {}
for k = 1, d do x0[k] = k == 1 and 1 or 1e-3 end
local function run(L)
  return pcall(mf.run, { landscape = L, optimizer = mf.opt.sgd{ lr = 0.01 },
                         noise = mf.noise.hessian{ sigma = 0.1 }, x0 = x0, steps = 1, seeds = 1,
                         quiet = true, record = { "loss" } })
end

-- a right claim passes, in seconds (a closed-form P keeps the run itself cheap)
local axis = function(z) local p = { z[1] } for k = 2, d do p[k] = 0 end return p end
local t0 = os.clock()
local ok, r = run(valley{ project = axis })
H.check(ok, "dimension 400, right projection: " .. tostring(r))
H.check(os.clock() - t0 < 60, ("the check took %.1f s"):format(os.clock() - t0))

-- a projection to a point that is not a minimum is refused, naming the gradient there and the
-- power-iteration estimate of lambda_max: at (1, 0.5, 0, ...) the Hessian is 4 I off the first
-- two coordinates and [[0.5, 2], [2, 4]] on them, so lambda_max = (4.5 + sqrt(28.25)) / 2)
local off = function(z) local p = axis(z) p[2] = 0.5 return p end
local ok2, e = run(valley{ project = off })
H.check(not ok2, "a non-minimum projection is refused")
e = tostring(e)
H.check(e:find("is not a minimum", 1, true) and e:find("codim is not checked above dimension 300", 1, true),
        "message: " .. e)
local lam = tonumber(e:match("largest eigenvalue ~([%d.e+-]+)"))
H.close(lam, (4.5 + math.sqrt(28.25)) / 2, 0.01, "lambda_max by power iteration")
H.finish()
