-- Long loops outside the stepping loop respond to the first interrupt (issue 15): the record
-- grid of a run or a flow with ~10^8 records, and the tabulation of a function-valued lr.
-- Deterministic: the interrupt is made pending first (the watchdog's SIGALRM with its hook on
-- another thread), then each call must stop
-- at its first poll -- after exactly 2^16 record times or lr values -- with an error naming
-- the function. Without the polls the grid (512 MB of times) or the 2^26 Lua calls would run
-- to the end and the calls would report something else.
package.path = arg[0]:gsub("[^/]*$", "") .. "../lua/?.lua;" .. package.path
local H = require "harness"
local core = mf._core

local STEPS = 1 << 26 -- 2^26 + 1 records: 512 MB of times, 1 GB of (untouched) records
local L = mf.landscape.valley{ a = 1, b = 1 }
local sgd = mf.opt.sgd{ lr = 1e-3 }
local lr_fn = mf.opt.sgd{ lr = function(k) return 1e-3 / (1 + k * 1e-9) end }
local fl = mf.manifold.flow{ landscape = L, optimizer = sgd, noise = mf.noise.hessian{ sigma = 2 } }

-- The watchdog arms its hook on the thread that calls it: here a suspended coroutine, kept
-- alive to the end, so the SIGALRM only sets the engine's interrupt flag, as a Ctrl-C whose
-- hook cannot reach the running code would.
local armer = coroutine.create(function() core.watchdog(0.001) coroutine.yield() end)
assert(coroutine.resume(armer))
local t0 = core.clock()
while not core.interrupt_pending() and core.clock() - t0 < 10 do end
H.check(core.interrupt_pending(), "the interrupt was pending before the calls")
local out = {}
local function try(name, f, ...)
  local w = core.clock()
  local ok, e = pcall(f, ...)
  out[name] = { ok = ok, msg = tostring(type(e) == "table" and e.message or e), wall = core.clock() - w }
end
try("flow", fl.integrate, fl, { x0 = { 1, 0 }, steps = STEPS, every = 1, method = "rk4", quiet = true })
try("run", mf.run, { landscape = L, optimizer = sgd, x0 = { 1, 0 }, steps = STEPS, every = 1, seeds = 1 })
try("lr", mf.run, { landscape = L, optimizer = lr_fn, x0 = { 1, 0 }, steps = STEPS, every = STEPS, seeds = 1 })
core.watchdog(0)
H.check(not core.interrupt_pending(), "watchdog(0) cleared the interrupt")

local want = {
  flow = "flow:integrate: interrupted while laying out the 67108865 record times (at 65536)",
  run = "mf.run: interrupted while laying out the 67108865 record times (at 65536)",
  lr = "mf.run: interrupted while tabulating the function-valued lr, at step 65537 of 67108864",
}
for _, name in ipairs{ "flow", "run", "lr" } do
  local o = out[name]
  H.check(o and not o.ok, name .. ": the call failed")
  if o then
    H.check(o.msg == want[name], ("%s: message %q, want %q"):format(name, o.msg, want[name]))
    print(("%-5s stopped after %.3f s: %s"):format(name, o.wall, o.msg))
  end
end
H.finish()
assert(armer)
