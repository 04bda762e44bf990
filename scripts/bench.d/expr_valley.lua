-- Benchmark case expr-valley, mflab side (run by scripts/bench):
--   mflab expr_valley.lua IMPL NOISE STEPS [REPEATS [CHECK]]
-- The valley f = (1 + x^2) y^2 from (1, 0.1) with SGD (lr 0.01) and NOISE 'hessian' (Hessian
-- noise, sigma 1: needs the projection onto the manifold every step) or 'full' (isotropic
-- noise in all directions, sigma 0.1: gradients only), 4096
-- trajectories in lockstep on one thread, as IMPL: 'builtin' (mf.landscape.valley), 'expr'
-- (mf.landscape.expr, compiled where mflab has libtcc), 'interp' (mf.landscape.expr with
-- compile = false), 'project' (mf.landscape.expr with project = {"x", "0"}) or 'custom' (mf.landscape.custom with Lua functions f, grad, hess).
-- Prints one "rate <trajectory-steps per second>" line per run, then
-- "check <CHECK> <mean x1> <standard error>" after CHECK steps (default STEPS).
local impl, nname = arg[1], arg[2]
local steps = math.tointeger(tonumber(arg[3] or ""))
local repeats = math.tointeger(tonumber(arg[4] or "1"))
local check = math.tointeger(tonumber(arg[5] or "")) or steps
assert(steps and steps > 0 and repeats and repeats > 0 and check and check > 0 and
       (nname == "hessian" or nname == "full"),
       "usage: mflab expr_valley.lua builtin|expr|interp|project|custom hessian|full STEPS [REPEATS [CHECK]]")

local SEEDS = 4096
local L
if impl == "builtin" then
  L = mf.landscape.valley { a = 1, b = 1 }
elseif impl == "expr" or impl == "interp" then
  L = mf.landscape.expr { vars = { "x", "y" }, f = "(1 + x^2) * y^2", codim = 1, compile = impl == "expr" }
elseif impl == "project" then -- the expression with its projection in closed form (option project)
  L = mf.landscape.expr { vars = { "x", "y" }, f = "(1 + x^2) * y^2", codim = 1, project = { "x", "0" } }
elseif impl == "custom" then
  L = mf.landscape.custom { dim = 2, codim = 1,
    f = function(z) return (1 + z[1] * z[1]) * (z[2] * z[2]) end,
    grad = function(z) return { 2 * z[1] * z[2] * z[2], 2 * (1 + z[1] * z[1]) * z[2] } end,
    hess = function(z)
      local x, y = z[1], z[2]
      return { { 2 * y * y, 4 * x * y }, { 4 * x * y, 2 * (1 + x * x) } }
    end }
else
  error("expr_valley.lua: IMPL must be builtin, expr, interp, project or custom, got " .. tostring(impl))
end
local opt = mf.opt.sgd { lr = 0.01 }
local noise = nname == "hessian" and mf.noise.hessian { sigma = 1 }
  or mf.noise.isotropic { sigma = 0.1, space = "full" }

local function run(n)
  return mf.run { landscape = L, optimizer = opt, noise = noise, x0 = { 1, 0.1 }, steps = n, every = n,
                  seeds = SEEDS, threads = 1, record = { "x1" } }
end

local r
for _ = 1, repeats do
  r = nil
  collectgarbage()
  local t0 = os.clock() -- CPU time; one thread, so it is the wall time of the run
  r = run(steps)
  local dt = os.clock() - t0
  print(("rate %.6e"):format(SEEDS * steps / dt))
end

if check ~= steps then r = run(check) end
local last = #r.t
print(("check %d %.17g %.17g"):format(check, r:mean("x1")[last], r:std("x1")[last] / math.sqrt(SEEDS)))
