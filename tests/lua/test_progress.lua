-- Progress reports: the engine calls progress(done, total, seconds) from the calling thread a
-- few times a second and once at the end, without changing the results; the bar's text;
-- the bar stays silent for the first second and is erased at the end.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local progress = require "mflab.progress"

-- the bar's text ----------------------------------------------------------------------------
H.check(progress.format("mf.run", 500, 1000, 2, 1, "steps") ==
  "mf.run [############............]  50%  500/1000 steps  250 steps/s  0:02 left",
  "format: " .. progress.format("mf.run", 500, 1000, 2, 1, "steps"))
-- per = seeds: steps are trajectory-steps / seeds; rates with SI prefixes; hours
H.check(progress.format("mf.run", 256e6 // 1, 1024e6 // 1, 1, 256, "traj-steps") ==
  "mf.run [######..................]  25%  1000000/4000000 steps  256.0 M traj-steps/s  0:03 left",
  "format with seeds: " .. progress.format("mf.run", 256e6 // 1, 1024e6 // 1, 1, 256, "traj-steps"))
H.check(progress.format("x", 1, 10000, 1, 1, "steps"):find("2:46:39 left", 1, true), "hours in the time left")
H.check(progress.format("x", 0, 10, 0, 1, "steps"):find("? left", 1, true), "no rate yet: ? left")

-- the bar: silent before the delay, erased at the end ------------------------------------
local buf = {}
local out = { write = function(self, ...) for _, s in ipairs { ... } do buf[#buf + 1] = s end end, flush = function() end }
local report, finish = progress.bar("t", 1, "steps", out)
report(10, 100, 0.5)
H.check(#buf == 0, "nothing before one second")
finish()
H.check(#buf == 0, "a bar never shown is not erased")
report(50, 100, 1.5)
local text = table.concat(buf)
H.check(text:sub(1, 1) == "\r" and text:find("t [############............]  50%", 1, true) and text:find("\27[K", 1, true),
  "the bar after one second: " .. text)
buf = {}
finish()
H.check(table.concat(buf) == "\r\27[K", "finish erases the line")

-- the engine's reports -------------------------------------------------------------------
local L = mf.landscape.valley {}
local opt, nz = mf.opt.sgd { lr = 1e-3 }, mf.noise.hessian { sigma = 2 }
local base = { landscape = L, optimizer = opt, noise = nz, x0 = { 5, 0 }, steps = 300000, every = 1000, seeds = 64, threads = 2 }
local function with(extra)
  local o = {}
  for k, v in pairs(base) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end
local calls = {}
local r1 = mf.run(with { progress = function(d, t, s) calls[#calls + 1] = { d, t, s } end })
H.check(#calls >= 1, "progress is called at least once (at the end)")
local last = calls[#calls]
H.check(last[1] == 300000 * 64 and last[2] == 300000 * 64, "the last report is done == total in trajectory-steps")
local ok = true
for i = 2, #calls do
  if not (calls[i][1] >= calls[i - 1][1] and calls[i][3] >= calls[i - 1][3] and calls[i][2] == last[2]) then ok = false end
end
H.check(ok, "reports increase and keep the total")
for i = 2, #calls - 1 do
  H.check(calls[i][3] - calls[i - 1][3] >= 0.2, "reports are at least a period apart")
end
local r2 = mf.run(with { quiet = true })
local same = true
for _, n in ipairs(r1.names) do
  local a, b = r1:column(n, 7), r2:column(n, 7)
  for j = 1, #a do if a[j] ~= b[j] then same = false end end
end
H.check(same, "a progress function does not change the results")
-- an error in the function turns it off, the run completes
local n = 0
local r3 = mf.run(with { progress = function() n = n + 1; error("boom") end })
H.check(n == 1 and #r3 == #r1, "an error in progress: called once, run completes")
H.raises({ "mf.run", "option 'quiet'" }, mf.run, with { quiet = 1 })
H.raises({ "mf.run", "option 'progress'" }, mf.run, with { progress = 3 })

-- the manifold flow reports iterations
local md = mf.manifold.flow { landscape = L, optimizer = opt, noise = nz }
calls = {}
md:integrate { x0 = { 5, 0 }, steps = 50000, progress = function(d, t) calls[#calls + 1] = { d, t } end }
H.check(#calls >= 1 and calls[#calls][1] == 50000 and calls[#calls][2] == 50000, "integrate: last report is steps/steps")
H.raises({ "flow:integrate", "option 'quiet'" }, md.integrate, md, { x0 = { 5, 0 }, steps = 10, quiet = "yes" })

-- a run that fails still erases the bar: finally() runs finish and re-raises the error object
local finished = false
local okr, err = pcall(progress.finally, function() finished = true end, error, { message = "x" })
H.check(not okr and finished and type(err) == "table" and err.message == "x", "finally re-raises after finish")

H.finish()
