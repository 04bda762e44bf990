-- A save driven by tests/plot/test_faults.sh: mflab tests/plot/save_job.lua
-- Environment: GP (gnuplot program), TMPD (mf.plot.tmpdir), TARGET (the file to write),
-- TIMEOUT (seconds, optional), N (number of points, optional; larger means a slower render),
-- REPEAT (saves in a row, optional). Prints "saved <path>" after every save that returned.
local mf = mf or require "mflab"
local P = mf.plot
P.gnuplot = os.getenv("GP") or "gnuplot"
P.tmpdir = os.getenv("TMPD")
P.timeout = tonumber(os.getenv("TIMEOUT") or "") or P.timeout
local n = math.tointeger(tonumber(os.getenv("N") or "")) or 200
local x, y = {}, {}
for i = 1, n do
  x[i] = i
  y[i] = math.sin(i * 0.37) * math.cos(i * 0.011) + (i % 7) * 0.01
end
local p = P { title = "fault paths", xlabel = "i", ylabel = "y" }
for k = 1, 12 do
  local yk = {}
  for i = 1, n do yk[i] = y[i] + k end
  p:line(x, yk, { title = "series " .. k })
end
local target = assert(os.getenv("TARGET"), "TARGET not set")
for _ = 1, math.tointeger(tonumber(os.getenv("REPEAT") or "")) or 1 do
  p:save(target)
  print("saved " .. target)
  io.stdout:flush()
end
