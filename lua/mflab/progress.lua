-- The progress bar of long runs: mf.run and flow:integrate show one on stderr when it is a
-- terminal, the run takes longer than a second, and quiet ~= true. The engine calls the
-- reporter from the calling thread a few times a second with (done, total, seconds), counted
-- in trajectory-steps (mf.run) or iterations (integrate).
local core = require "mflab.core"

local M = {}

M.delay = 1.0 -- seconds before the bar appears: short runs stay silent
M.width = 24 -- characters of the bar itself
M.silent = false -- set by mf.sweep while it runs points: its own bar replaces theirs

local function si(x)
  if x >= 1e9 then return ("%.1f G"):format(x / 1e9) end
  if x >= 1e6 then return ("%.1f M"):format(x / 1e6) end
  if x >= 1e3 then return ("%.1f k"):format(x / 1e3) end
  return ("%.0f"):format(x)
end

local function clock(s)
  s = math.floor(s + 0.5)
  if s >= 3600 then return ("%d:%02d:%02d"):format(s // 3600, s // 60 % 60, s % 60) end
  return ("%d:%02d"):format(s // 60, s % 60)
end

-- The bar's text for done of total units after `seconds`; `per` units make one step (the
-- number of trajectories for mf.run), so the count is in steps and the rate in units/s.
function M.format(label, done, total, seconds, per, unit)
  per = per or 1
  local frac = total > 0 and math.min(1, done / total) or 1
  local full = math.floor(frac * M.width + 0.5)
  local rate = seconds > 0 and done / seconds or 0
  local left = rate > 0 and (total - done) / rate or nil
  return ("%s [%s%s] %3d%%  %d/%d steps  %s %s/s  %s left"):format(label,
    ("#"):rep(full), ("."):rep(M.width - full), math.floor(frac * 100),
    done // per, total // per, si(rate), unit or "steps", left and clock(left) or "?")
end

-- A reporter function(done, total, seconds) writing the bar to `out` (default io.stderr),
-- and a finish() that erases it. `per` and `unit` as in format.
function M.bar(label, per, unit, out)
  out = out or io.stderr
  local shown = false
  local function report(done, total, seconds)
    if seconds < M.delay then return end
    shown = true
    out:write("\r", M.format(label, done, total, seconds, per, unit), "\27[K")
    out:flush()
  end
  local function finish()
    if shown then
      out:write("\r\27[K")
      out:flush()
    end
  end
  return report, finish
end

-- What mf.run and integrate do with their options quiet and progress: returns the reporter
-- to give the engine (or nil) and the function to call when the run is over.
function M.choose(o, label, per, unit)
  if o.progress then return o.progress, function() end end
  if o.quiet or M.silent or not core.isatty("stderr") then return nil, function() end end
  return M.bar(label, per, unit)
end

-- Calls f(...) and then finish, also when f raises; re-raises the error as it was.
function M.finally(finish, f, ...)
  local res = table.pack(pcall(f, ...))
  finish()
  if not res[1] then error(res[2], 0) end
  return table.unpack(res, 2, res.n)
end

return M
