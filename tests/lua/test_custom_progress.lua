-- Lua-callback landscapes report progress during a run (issue 17: a long custom run looked hung,
-- the engine counted steps only every 4096), and their noise at the generic projection works.
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
H.finish()
