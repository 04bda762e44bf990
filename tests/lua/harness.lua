-- A small test harness for Lua tests run by mflab: check/close/raises count passes and
-- failures; finish() prints "N passed, N failed" and raises if anything failed.
local H = { passed = 0, failed = 0 }

local function report(ok, msg, level)
  if ok then
    H.passed = H.passed + 1
  else
    H.failed = H.failed + 1
    local info = debug.getinfo(level or 3, "Sl")
    io.stderr:write(("FAIL %s:%d: %s\n"):format(info.short_src, info.currentline, msg))
  end
  return ok
end

function H.check(cond, msg) return report(cond and true or false, msg or "check failed") end

-- Relative: |a - b| <= rtol |b|. (The old form, tol max(1, |b|), let an expected value below 1
-- pass at any relative error up to tol/|b|: a standard error 0.126 checked +-0.05 was +-40%.)
-- An expected value of 0, or a statistical check whose scale is a standard error rather than
-- |b|, uses H.near with the absolute tolerance stated (n standard errors, rounding, ...).
local AUDIT = os.getenv("MFLAB_HARNESS_AUDIT")
function H.close(a, b, rtol, msg)
  local num = type(a) == "number" and type(b) == "number"
  local ok = num and math.abs(a - b) <= rtol * math.abs(b)
  if AUDIT and num and not ok and math.abs(a - b) <= rtol * math.max(1, math.abs(b)) then
    local info = debug.getinfo(2, "Sl")
    io.stderr:write(("AUDIT %s:%d: %.17g vs %.17g (tol %g) %s\n"):format(info.short_src, info.currentline, a, b, rtol, msg or ""))
  end
  return report(ok, ("%s: %.17g vs %.17g (relative tol %g)"):format(msg or "close", tonumber(a) or 0 / 0, tonumber(b) or 0 / 0, rtol))
end

-- Absolute: |a - b| <= atol (an expected 0, or a bound of n standard errors).
function H.near(a, b, atol, msg)
  local ok = type(a) == "number" and type(b) == "number" and math.abs(a - b) <= atol
  return report(ok, ("%s: %.17g vs %.17g (absolute tol %g)"):format(msg or "near", tonumber(a) or 0 / 0, tonumber(b) or 0 / 0, atol))
end

-- f(...) must raise an error whose message contains every string in `wants` (plain find)
function H.raises(wants, f, ...)
  local ok, err = pcall(f, ...)
  if ok then return report(false, "expected an error containing '" .. table.concat(wants, "', '") .. "'") end
  local msg = tostring(err)
  for _, w in ipairs(wants) do
    if not msg:find(w, 1, true) then
      return report(false, ("error '%s' does not contain '%s'"):format(msg, w))
    end
  end
  return report(true), err
end

-- Runs an example script as `mflab path args...` would (arg set, the script's folder first on
-- package.path, the chunk's return value returned: an experiment's results), restoring the
-- caller's arg and package.path afterwards.
function H.run_example(path, ...)
  local saved, saved_path = arg, package.path
  local dir = path:match("(.*)/") or "."
  arg = { [0] = path, ... }
  package.path = dir .. "/?.lua;" .. dir .. "/?/init.lua;" .. package.path
  local ok, res = pcall(dofile, path)
  arg, package.path = saved, saved_path
  if not ok then error(res, 0) end
  return res
end

function H.tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end

function H.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- width, height of a PNG file, or nil
function H.png_size(path)
  local s = H.read(path)
  if not s or s:sub(1, 8) ~= "\137PNG\r\n\26\n" or s:sub(13, 16) ~= "IHDR" then return nil end
  return string.unpack(">I4I4", s, 17)
end

function H.finish()
  print(("%d passed, %d failed"):format(H.passed, H.failed))
  if H.failed > 0 then error(H.failed .. " check(s) failed", 0) end
end

return H
