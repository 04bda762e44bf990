-- Lua-callback landscapes report progress during a run (issue 17: a long custom run looked hung,
-- the engine counted steps only every 4096), and a projection given as a Lua function (option
-- project) replaces the gradient-flow limit.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

-- a custom valley whose gradient takes ~0.1 ms (a busy wait): 60 steps x 2 seeds ~ 1.5 s
local function spin(s) local t = os.clock() + s; while os.clock() < t do end end
local L = mf.landscape.custom { dim = 2, codim = 1,
  f = function(z) return (1 + z[1] * z[1]) * (z[2] * z[2]) end,
  grad = function(z) spin(1e-2); return { 2 * z[1] * z[2] * z[2], 2 * (1 + z[1] * z[1]) * z[2] } end }
local calls = {}
local r = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, x0 = { 1, 0.1 }, steps = 150,
                   every = 150, seeds = 1, progress = function(d, t, s) calls[#calls + 1] = { d, t, s } end }
local mid = 0
for _, c in ipairs(calls) do if c[1] > 0 and c[1] < c[2] then mid = mid + 1 end end
H.check(#calls >= 2 and mid >= 1, ("a 1.5 s custom run reports progress before its end (%d reports, %d in between)"):format(#calls, mid))
H.check(calls[#calls][1] == 150 and calls[#calls][2] == 150, "the last report is done == total")
H.check(#r.t == 2, "the run completes")

-- option project: the valley's (x, 0) from Lua runs bit-identical to the built-in valley
local V = mf.landscape.valley { h = { 1, 0, 1 } }
local CP = mf.landscape.custom { dim = 2, codim = 1,
  f = function(z) return (1 + z[1] * z[1]) * (z[2] * z[2]) end,
  grad = function(z) return { 2 * z[1] * z[2] * z[2], 2 * (1 + z[1] * z[1]) * z[2] } end,
  hess = function(z) local x, y = z[1], z[2]; return { { 2 * y * y, 4 * x * y }, { 4 * x * y, 2 * (1 + x * x) } } end,
  project = function(z) return { z[1], 0 } end }
local function run(L, threads, block)
  return mf.run { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, noise = mf.noise.hessian { sigma = 1 }, x0 = { 1, 0.1 },
                  steps = 300, every = 100, seeds = 16, threads = threads, block = block, record = { "x1", "x2" } }
end
local a, b = run(V, 1), run(CP, 2, 3)
local same = true
for _, n in ipairs { "x1", "x2" } do
  for i = 1, 16 do
    local ca, cb = a:column(n, i), b:column(n, i)
    for j = 1, #ca do same = same and ca[j] == cb[j] end
  end
end
H.check(same, "custom with project = (x, 0): Hessian noise bit-identical to the built-in valley")
local p = CP:project { 1.5, -0.3 }
H.check(p[1] == 1.5 and p[2] == 0, "L:project calls it")
H.raises({ "mf.landscape.custom", "option 'project' needs codim > 0" }, mf.landscape.custom,
  { dim = 2, f = function() return 0 end, project = function(z) return z end })
H.raises({ "mf.landscape.custom", "option 'project'", "function" }, mf.landscape.custom,
  { dim = 2, codim = 1, f = function() return 0 end, project = 3 })
local CB = mf.landscape.custom { dim = 2, codim = 1, f = function(z) return (1 + z[1] ^ 2) * z[2] ^ 2 end,
  project = function(z) return { z[1] } end }
H.raises({ "option 'project' must return the projection (a table of 2 numbers)" }, mf.run,
  { landscape = CB, optimizer = mf.opt.sgd { lr = 0.01 }, noise = mf.noise.hessian { sigma = 1 }, x0 = { 1, 0.1 }, steps = 3, seeds = 2 })
local CW = mf.landscape.custom { dim = 2, codim = 1, f = function(z) return (1 + z[1] ^ 2) * z[2] ^ 2 end,
  project = function(z) return { z[2], z[1] } end }
H.raises({ "mf.run", "the projection is not a projection" }, mf.run,
  { landscape = CW, optimizer = mf.opt.sgd { lr = 0.01 }, noise = mf.noise.hessian { sigma = 1 }, x0 = { 1, 0.1 }, steps = 3, seeds = 2 })
H.finish()
