-- Tests of lua/mflab/plot.lua (mf.plot). Run by the mflab executable:
--   mflab tests/plot/test_plot.lua
-- or, without the executable, by plain Lua 5.4:
--   lua5.4 tests/plot/test_plot.lua
-- Needs gnuplot; exits with status 77 (ctest: skipped) when it is missing.
-- Prints "N passed, N failed" last and raises an error if any test failed.

-- Use the module from this source tree.
local here = debug.getinfo(1, "S").source:match("^@(.*)$") or ""
local root = here:match("^(.*)/tests/plot/[^/]*$")
if not root then
  root = here:find("/", 1, true) and here:match("^(.*)/[^/]*$") .. "/../.." or "../.."
end
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path

local P = require "mflab.plot"

local passed, failed = 0, 0
local THIS = "test_plot.lua"

local function test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    print("ok     " .. name)
  else
    failed = failed + 1
    print("FAILED " .. name .. "\n  " .. tostring(err):gsub("\n", "\n  "))
  end
end

local function check(cond, msg, ...)
  if not cond then error(string.format(msg or "check failed", ...), 2) end
end

-- Runs fn, which must raise an error; checks the message contains every plain
-- string in `wants`; returns the message.
local function must_fail(fn, wants)
  local ok, err = pcall(fn)
  check(not ok, "expected an error, got none")
  err = tostring(err)
  for _, w in ipairs(wants) do
    check(err:find(w, 1, true), "error message %q does not contain %q", err, w)
  end
  return err
end

local function shq(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function mktempdir()
  local p = assert(io.popen("mktemp -d " .. shq((os.getenv("TMPDIR") or "/tmp") ..
    "/mflab-plot-test.XXXXXX")))
  local d = p:read("l")
  p:close()
  assert(d and d ~= "", "mktemp -d failed")
  return d
end

local function listdir(dir)
  local p = assert(io.popen("ls -A " .. shq(dir) .. " 2>/dev/null"))
  local out = {}
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  table.sort(out)
  return out
end

local function readfile(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function png_size(path)
  local s = readfile(path)
  check(s, "cannot read %s", path)
  check(#s > 33, "%s is too short to be a PNG", path)
  check(s:sub(1, 8) == "\137PNG\r\n\26\n", "%s does not start with the PNG signature", path)
  check(s:sub(13, 16) == "IHDR", "%s has no IHDR chunk first", path)
  local w, h = string.unpack(">I4I4", s, 17)
  return w, h
end

local function linspace(a, b, n)
  local t = {}
  for i = 0, n - 1 do t[i + 1] = a + (b - a) * i / (n - 1) end
  return t
end

local function map(t, f)
  local r = {}
  for i = 1, #t do r[i] = f(t[i]) end
  return r
end

------------------------------------------------------------------------------

local ok, why = P.available()
if not ok then
  print("skipping mf.plot tests: " .. tostring(why))
  print("0 passed, 0 failed")
  os.exit(77)
end
print("using " .. why)

local TMP = mktempdir()      -- dedicated directory for the module's temp files
local OUT = mktempdir()      -- where figures are saved
P.tmpdir = TMP

local function out(name) return OUT .. "/" .. name end

local function assert_tmp_empty()
  local left = listdir(TMP)
  check(#left == 0, "temporary files left behind: %s", table.concat(left, ", "))
end

-- Files in OUT that are not among the expected names (e.g. partial files).
local function stray_files(expected)
  local set, stray = {}, {}
  for _, n in ipairs(expected) do set[n] = true end
  for _, n in ipairs(listdir(OUT)) do
    if not set[n] then stray[#stray + 1] = n end
  end
  return stray
end

local X = linspace(0, 10, 101)

test("M.available reports gnuplot", function()
  local a, msg = P.available()
  check(a == true, "available() should be true")
  check(type(msg) == "string" and msg:find("gnuplot", 1, true), "bad message %s", tostring(msg))
end)

test("png has the signature and the requested size", function()
  local p = P { title = "y = x", xlabel = "x", ylabel = "y", size = { 640, 480 } }
  check(p:line(X, X, { title = "identity" }) == p, "line must return self")
  check(p:save(out("line.png")) == p, "save must return self")
  local w, h = png_size(out("line.png"))
  check(w == 640 and h == 480, "IHDR says %dx%d, wanted 640x480", w, h)
  local stray = stray_files { "line.png" }
  check(#stray == 0, "stray files in output dir: %s", table.concat(stray, ", "))
  assert_tmp_empty()
end)

test("png of a non-default size", function()
  P { size = { 333, 222 } }:line(X, X):save(out("small.png"))
  local w, h = png_size(out("small.png"))
  check(w == 333 and h == 222, "IHDR says %dx%d, wanted 333x222", w, h)
end)

test("svg contains <svg", function()
  P { title = "svg" }:line(X, X):save(out("line.svg"))
  local s = readfile(out("line.svg"))
  check(s and s:find("<svg", 1, true), "no <svg in the file")
end)

test("pdf starts with %PDF", function()
  P { title = "pdf" }:line(X, X):save(out("line.pdf"))
  local s = readfile(out("line.pdf"))
  check(s and s:sub(1, 4) == "%PDF", "file does not start with %%PDF")
end)

test("txt is a text plot", function()
  P { title = "txt" }:line(X, X, { title = "diag" }):save(out("line.txt"))
  local s = readfile(out("line.txt"))
  check(s and s:find("*", 1, true) and s:find("diag", 1, true), "no series or legend in text")
end)

test("extension is case-insensitive (.PNG)", function()
  P {}:line(X, X):save(out("upper.PNG"))
  png_size(out("upper.PNG"))
end)

test("dumb rendering of y = x on [0,10]: series, ticks, legend", function()
  local p = P { title = "diag", xrange = { 0, 10 }, yrange = { 0, 10 } }
  p:line(X, X, { title = "the identity line" })
  local s = p:text(80, 24)
  check(type(s) == "string", "text() must return a string")
  check(s:find("*", 1, true), "no '*' marker in:\n%s", s)
  check(s:find("%f[%w%.%-]0%f[^%w%.]"), "no tick label 0 in:\n%s", s)
  check(s:find("%f[%w%.%-]10%f[^%w%.]"), "no tick label 10 in:\n%s", s)
  check(s:find("the identity line", 1, true), "legend title missing in:\n%s", s)
  check(s:find("diag", 1, true), "plot title missing")
  -- requested size: at most 24 rows and 80 columns
  local rows, wide = 0, 0
  for l in s:gmatch("[^\n]*") do
    rows = rows + 1
    if #l > wide then wide = #l end
  end
  check(wide <= 80, "text is %d columns wide, wanted <= 80", wide)
  check(rows <= 25, "text has %d rows, wanted <= 24", rows)
  assert_tmp_empty()
end)

test("several series give several legend entries", function()
  local p = P {}
  p:line(X, X, { title = "first series" })
  p:line(X, map(X, function(x) return 10 - x end), { title = "second series", dash = "dash", width = 2, color = "#00aa00" })
  p:points(X, map(X, function(x) return x / 2 end), { title = "third series", size = 1 })
  local s = p:text(100, 30)
  for _, t in ipairs { "first series", "second series", "third series" } do
    check(s:find(t, 1, true), "legend entry %q missing", t)
  end
end)

test("log y axis: y = 10^x has tick 1000", function()
  local x = linspace(0, 4, 41)
  local p = P { logy = true }
  p:line(x, map(x, function(v) return 10 ^ v end), { title = "10^x" })
  local s = p:text(100, 30)
  check(s:find("%f[%d]1000%f[^%d]"), "no tick 1000 in:\n%s", s)
end)

test("log x axis and panel override of log settings", function()
  local x = linspace(1, 1e4, 200)
  local p = P { logx = true, logy = true }
  p:panel(1, { logy = false })
  p:line(x, map(x, math.log))
  local s = p:text(100, 30)
  check(s:find("%f[%d]1000%f[^%d]"), "no x tick 1000 in:\n%s", s)
end)

test("titles with quotes, backslash, backquote and newline are shown verbatim", function()
  local title = [[it's "quoted" \ `echo INJECTED` @x]]
  local p = P { title = title, xlabel = "two\nlines", key = "top left" }
  p:line(X, X, { title = "o'k" })
  local s = p:text(100, 30)
  check(s:find(title, 1, true), "title not verbatim in:\n%s", s)
  check(s:find("o'k", 1, true), "series title not verbatim")
  check(s:find("two", 1, true) and s:find("lines", 1, true), "xlabel lines missing")
end)

test("array-like objects with __len/__index are accepted", function()
  local function proxy(t)
    return setmetatable({}, { __len = function() return #t end,
      __index = function(_, i) return t[i] end })
  end
  local p = P { size = { 300, 200 } }
  p:line(proxy(X), proxy(X), { title = "proxy" })
  check(p:text(80, 24):find("proxy", 1, true), "proxy series not drawn")
end)

test("series of different lengths: error names the arguments, at the caller", function()
  local p = P {}
  local err = must_fail(function() p:line({ 1, 2, 3 }, { 1, 2 }) end, { "mf.plot:line", "'x'", "'y'", "3", "2" })
  check(err:find(THIS, 1, true), "error should point at the caller: %s", err)
  must_fail(function() p:band({ 1, 2, 3 }, { 1, 2, 3 }, { 1, 2 }) end, { "mf.plot:band", "'hi'" })
  must_fail(function() p:points({ 1, 2 }, {}) end, { "mf.plot:points", "'y'" })
end)

test("non-numbers and non-arrays are errors naming the argument", function()
  local p = P {}
  must_fail(function() p:line({ 1, 2, 3 }, { 1, "a", 3 }) end, { "y[2]", "must be a number" })
  must_fail(function() p:line(5, { 1 }) end, { "'x'", "array" })
end)

test("options are checked: unknown key, wrong type, bad value", function()
  local err = must_fail(function() P { titel = "x" } end, { "mf.plot: unknown option 'titel'" })
  check(err:find(THIS, 1, true), "error should point at the caller: %s", err)
  must_fail(function() P { logx = 1 } end, { "mf.plot", "'logx'", "boolean" })
  must_fail(function() P { size = { 0, 10 } } end, { "mf.plot", "'size'" })
  must_fail(function() P { xrange = { 1 } } end, { "mf.plot", "'xrange'" })
  must_fail(function() P { key = "top sideways" } end, { "mf.plot", "'key'", "sideways" })
  must_fail(function() P {}:line(X, X, { widht = 2 }) end, { "mf.plot:line", "unknown option 'widht'" })
  must_fail(function() P {}:line(X, X, { color = "red; system 'x'" }) end, { "mf.plot:line", "'color'" })
  must_fail(function() P {}:band(X, X, X, { alpha = 2 }) end, { "mf.plot:band", "'alpha'" })
  must_fail(function() P {}:contour(function() return 0 end, { xrange = { 0, 1 }, yrange = { 0, 1 }, n = 1 }) end,
    { "mf.plot:contour", "'n'" })
  must_fail(function() P { layout = { 1, 2 } }:panel(3) end, { "mf.plot:panel", "1..2" })
  must_fail(function() P {}:panel(1, { size = { 1, 2 } }) end, { "mf.plot:panel", "unknown option 'size'" })
end)

test("contour needs ranges; f must return numbers", function()
  must_fail(function() P {}:contour(function(x, y) return x + y end) end, { "mf.plot:contour", "'xrange'" })
  must_fail(function()
    P {}:contour(function() return "no" end, { xrange = { 0, 1 }, yrange = { 0, 1 }, n = 3 })
  end, { "mf.plot:contour", "expected a number" })
end)

test("unknown extension: error names it and no file is created", function()
  local before = listdir(OUT)
  local p = P {}:line(X, X)
  must_fail(function() p:save(out("fig.bmp")) end, { ".bmp" })
  must_fail(function() p:save(out("noext")) end, { "no extension" })
  check(not exists(out("fig.bmp")), "fig.bmp was created")
  check(#listdir(OUT) == #before, "files appeared in the output dir")
  assert_tmp_empty()
end)

test("unwritable path: error and nothing left behind", function()
  local p = P {}:line(X, X)
  must_fail(function() p:save("/nonexistent/dir/x.png") end, { "/nonexistent/dir/x.png" })
  check(not exists("/nonexistent/dir/x.png"), "file exists?")
  assert_tmp_empty()
end)

test("gnuplot syntax error via p:set is raised with gnuplot's message", function()
  local p = P {}:line(X, X)
  check(p:set("sett foo") == p, "set must return self")
  local err = must_fail(function() p:save(out("bad.png")) end,
    { "mf.plot: gnuplot:", "invalid command", "sett foo" })
  check(err:find(THIS, 1, true), "error should point at the caller: %s", err)
  check(not exists(out("bad.png")), "bad.png was created")
  local stray = stray_files(listdir(OUT))
  for _, n in ipairs(listdir(OUT)) do
    check(not n:find("part", 1, true), "partial file left: %s", n)
  end
  check(#stray == 0, "stray files")
  must_fail(function() p:text() end, { "mf.plot: gnuplot:", "invalid command" })
  assert_tmp_empty()
end)

test("gnuplot runtime error via M.raw is raised", function()
  local p = P {}:line(X, X)
  P.raw(p, "print undefined_variable_xyz")
  must_fail(function() p:text() end, { "mf.plot: gnuplot:", "undefined_variable_xyz" })
  assert_tmp_empty()
end)

test("a failed save keeps the previous file intact", function()
  local path = out("keep.png")
  P { size = { 200, 100 } }:line(X, X):save(path)
  local before = readfile(path)
  local p = P { size = { 400, 300 } }:line(X, X):set("sett foo")
  must_fail(function() p:save(path) end, { "invalid command" })
  check(readfile(path) == before, "the old file was changed")
  -- a successful save replaces it
  P { size = { 400, 300 } }:line(X, X):save(path)
  local w, h = png_size(path)
  check(w == 400 and h == 300, "not replaced: %dx%d", w, h)
  for _, n in ipairs(listdir(OUT)) do
    check(not n:find("part", 1, true), "partial file left: %s", n)
  end
end)

test("gnuplot missing from PATH: error says how to install it", function()
  local saved = P.gnuplot
  P.gnuplot = "gnuplot-not-installed-mflab-test"
  local ok1, e1 = pcall(function()
    local a, msg = P.available()
    check(a == false, "available() should be false")
    check(msg:find("apt-get install gnuplot-nox", 1, true), "available message: %s", msg)
    must_fail(function() P {}:line(X, X):save(out("nogp.png")) end,
      { "mf.plot: gnuplot not found on PATH", "apt-get install gnuplot-nox" })
    must_fail(function() P {}:line(X, X):text() end, { "apt-get install gnuplot-nox" })
    check(not exists(out("nogp.png")), "nogp.png was created")
  end)
  P.gnuplot = saved
  if not ok1 then error(e1, 0) end
  assert_tmp_empty()
end)

test("empty figure is an error", function()
  must_fail(function() P {}:save(out("empty.png")) end, { "nothing to plot" })
  check(not exists(out("empty.png")), "empty.png was created")
end)

test("temporary files are removed (dedicated temp dir stays empty)", function()
  check(#listdir(TMP) == 0, "temp dir not empty at start")
  local p = P { layout = { 1, 2 } }
  p:panel(1):line(X, X):panel(2):points(X, X)
  p:save(out("tmpcheck.svg"))
  p:text(80, 24)
  pcall(p.save, p, out("x.unknown"))
  p:set("sett foo")
  pcall(p.save, p, out("tmpcheck2.png"))
  assert_tmp_empty()
end)

test("two panels: contour in 1, lines + band in 2, PNG of requested size", function()
  local p = P { title = "two panels", layout = { 1, 2 }, size = { 900, 400 } }
  p:panel(1, { title = "valley", xlabel = "x", ylabel = "y" })
  p:contour(function(x, y) return (1 + x * x) * y * y end,
    { xrange = { -2, 2 }, yrange = { -1, 1 }, n = 60, levels = 8 })
  p:line({ -2, 0, 2 }, { 0.5, 0, -0.5 }, { title = "path", color = "black" })
  p:panel(2, { title = "mean ± std", xlabel = "step", ylabel = "x", logy = true })
  local t = linspace(1, 100, 100)
  local m = map(t, function(v) return 10 * math.exp(-v / 30) + 0.1 end)
  p:band(t, map(m, function(v) return 0.8 * v end), map(m, function(v) return 1.2 * v end),
    { title = "± std", alpha = 0.3 })
  p:line(t, m, { title = "mean" })
  p:save(out("two.png"))
  local w, h = png_size(out("two.png"))
  check(w == 900 and h == 400, "IHDR says %dx%d, wanted 900x400", w, h)
  local s = p:text(120, 30)
  check(s:find("valley", 1, true) and s:find("mean", 1, true), "panel titles/legend missing")
  assert_tmp_empty()
end)

test("contour with log levels and explicit levels", function()
  local f = function(x, y) return math.exp(x) + y * y end
  local p = P { layout = { 2, 1 } }
  p:panel(1):contour(f, { xrange = { 0, 5 }, yrange = { -1, 1 }, logscale = true, levels = 6 })
  p:panel(2):contour(f, { xrange = { 0, 5 }, yrange = { -1, 1 }, levels = { 2, 10, 50 }, color = "gray" })
  p:save(out("contours.svg"))
  check(readfile(out("contours.svg")):find("<svg", 1, true), "no svg")
end)

test("layout with an empty panel still renders", function()
  local p = P { layout = { 2, 2 }, size = { 500, 400 } }
  p:panel(1):line(X, X)
  p:panel(4):points(X, X)
  p:save(out("sparse.png"))
  local w, h = png_size(out("sparse.png"))
  check(w == 500 and h == 400, "IHDR %dx%d", w, h)
end)

test("show() without DISPLAY prints a text plot", function()
  if os.getenv("DISPLAY") and os.getenv("DISPLAY") ~= "" then
    print("       (DISPLAY is set: not opening a window in tests; checked text() instead)")
    return
  end
  local real = io.stdout
  local buf = {}
  io.stdout = { write = function(self, ...)
    for _, v in ipairs { ... } do buf[#buf + 1] = tostring(v) end
    return self
  end, flush = function() end }
  local ok2, e = pcall(function() P {}:line(X, X, { title = "shown" }):show() end)
  io.stdout = real
  if not ok2 then error(e, 0) end
  local s = table.concat(buf)
  check(s:find("shown", 1, true) and s:find("*", 1, true), "show() printed:\n%s", s)
end)

test("heat map of a function with a trajectory on top: PNG of the requested size", function()
  local p = P { title = "valley", size = { 500, 300 } }
  check(p:heatmap(function(x, y) return (1 + x * x) * y * y end,
    { xrange = { -3, 3 }, yrange = { -1, 1 }, n = 60, title = "f" }) == p, "heatmap returns self")
  p:line({ -3, -1, 0, 2 }, { 1, 0.5, -0.2, 0 }, { title = "trajectory" })
  p:save(out("heat.png"))
  local w, h = png_size(out("heat.png"))
  check(w == 500 and h == 300, "IHDR %dx%d", w, h)
  P { size = { 400, 400 } }:heatmap(function(x, y) return x * y end, { xrange = { 0, 1 }, yrange = { 0, 1 } })
    :save(out("heat.svg"))
  check((readfile(out("heat.svg")) or ""):find("<svg", 1, true), "heat map as svg")
  assert_tmp_empty()
end)

test("heat map in text: a character per cell, darker for larger values, blank for NaN", function()
  local p = P { xrange = { 0.5, 3.5 }, yrange = { 0.5, 2.5 } }
  p:heatmap({ x = { 1, 2, 3 }, y = { 1, 2 }, z = { { 0, 4, 8 }, { 2, 6, 0 / 0 } } })
  local t = p:text(40, 12)
  -- z = 0 -> '.', 8 -> '@' (the ends of the ramp ".:-=+*#%@"), 4 -> '+', 2 -> '-', 6 -> '#'
  local rows = {}
  for line in t:gmatch("[^\n]+") do -- the rows at y = 2 and y = 1, inside the tick marks
    local cells = line:match("^%s*[12] |%-%+(.-)%+%-|$")
    if cells then rows[#rows + 1] = cells:gsub("%s", "") end
  end
  check(#rows == 2 and rows[1] == "-#" and rows[2] == ".+@", "text heat map rows %s in\n%s",
    table.concat(rows, "|"), t)
end)

test("heat map of sweep rows (log x, non-uniform grid), and its errors", function()
  local rows = {}
  for _, lr in ipairs { 0.001, 0.01, 0.1 } do
    for _, mu in ipairs { 0, 0.5, 0.9 } do rows[#rows + 1] = { lr = lr, mu = mu, T = lr / (1 - mu) } end
  end
  local p = P { logx = true, size = { 420, 300 } }
  p:heatmap(rows, { x = "lr", y = "mu", z = "T", logscale = true, title = "T" })
  p:save(out("sweep.png"))
  local w, h = png_size(out("sweep.png"))
  check(w == 420 and h == 300, "IHDR %dx%d", w, h)
  local t = P { logx = true }:heatmap(rows, { x = "lr", y = "mu", z = "T" }):text(60, 16)
  check(t:find("@", 1, true) and t:find(".", 1, true), "sweep text heat map:\n%s", t)
  must_fail(function() P {}:heatmap(rows, { x = "lr", y = "mu" }) end,
    { "mf.plot:heatmap", "option 'z'", "required for sweep rows" })
  rows[#rows + 1] = { lr = 0.01, mu = 0.5, T = 1 }
  must_fail(function() P {}:heatmap(rows, { x = "lr", y = "mu", z = "T" }) end,
    { "mf.plot:heatmap", "rows 5 and 10 have the same lr and mu" })
  must_fail(function() P {}:heatmap({ { lr = 1, mu = "a", T = 1 } }, { x = "lr", y = "mu", z = "T" }) end,
    { "rows[1].mu must be a number" })
  must_fail(function() P {}:heatmap({ x = { 1, 2 }, y = { 1 }, z = { { 1, 2, 3 } } }) end,
    { "mf.plot:heatmap", "grid.z[1] must have one value per x (2), got 3" })
  must_fail(function() P {}:heatmap({ x = { 1, 2 }, y = { 1, 2 }, z = { { 1, 2 } } }) end,
    { "grid.z must have one row per y (2 rows), got 1" })
  must_fail(function() P {}:heatmap({ x = { 2, 1 }, y = { 1 }, z = { { 1, 2 } } }) end,
    { "grid.x must be increasing" })
  must_fail(function() P {}:heatmap(function() return 1 end, { yrange = { 0, 1 } }) end,
    { "option 'xrange' is required" })
  must_fail(function() P {}:heatmap(42) end, { "argument 'src' must be a function" })
  must_fail(function() P {}:heatmap(function() return 0 / 0 end, { xrange = { 0, 1 }, yrange = { 0, 1 } }) end,
    { "no finite values to show" })
end)

test("show() with a display: one gnuplot process per figure, reused, noraise; close() ends it", function()
  local dir = mktempdir()
  local stub = dir .. "/gnuplot-stub"
  local f = assert(io.open(stub, "w"))
  f:write("#!/bin/sh\n",
    "case \"$*\" in *-e*) echo 'MFLAB 5.4 4'; echo 'MFLAB_T qt dumb png'; exit 0;; esac\n",
    "echo \"start $*\" >> '", dir, "/log'\n",
    "cat >> '", dir, "/input'\n",
    "echo 'line 12: undefined variable: nope' >&2\n",
    "echo end >> '", dir, "/log'\n")
  f:close()
  os.execute("chmod +x " .. shq(stub))
  local saved_g, saved_d = P.gnuplot, P.display
  P.gnuplot, P.display = stub, ":99"
  local ok, err = pcall(function()
    local p = P { title = "live" }
    p:line(X, X)
    check(p:show() == p, "show returns self")
    p:line(X, X, { title = "second" })
    p:show()
    must_fail(function() p:close() end, { "mf.plot: gnuplot: undefined variable: nope" })
    check(p.window == nil, "closed")
  end)
  P.gnuplot, P.display = saved_g, saved_d
  if not ok then error(err, 0) end
  local log, input = readfile(dir .. "/log") or "", readfile(dir .. "/input") or ""
  check(log == "start -persist\nend\n", "one process for two shows, ended by close:\n%s", log)
  local _, nterm = input:gsub("set terminal qt 0 size 800,600 title 'mflab: live' noraise", "")
  local _, nplot = input:gsub("\nplot ", "")
  check(nterm == 2 and nplot == 2, "two redraws in the same window (%d, %d):\n%s", nterm, nplot, input)
  check(input:find("second", 1, true) and input:find("exit\n$"), "the second show has the new series; exit at the end")
  os.execute("rm -rf " .. shq(dir))
  assert_tmp_empty()
end)

test("1e6-point line saves (benchmark)", function()
  local n = 1000000
  local x, y = {}, {}
  for i = 1, n do x[i] = i; y[i] = math.sin(i * 1e-4) end
  local c0 = os.clock()
  local p = P { title = "1e6 points" }
  p:line(x, y, { title = "sin" })
  local c1 = os.clock()
  local clock = io.popen("date +%s.%N")
  local w0 = tonumber(clock:read("l")); clock:close()
  p:save(out("big.png"))
  clock = io.popen("date +%s.%N")
  local w1 = tonumber(clock:read("l")); clock:close()
  local w, h = png_size(out("big.png"))
  check(w == 800 and h == 600, "IHDR %dx%d", w, h)
  print(string.format("bench: 1e6-point line: pack %.3f s cpu, save %.3f s wall", c1 - c0,
    (w1 and w0) and (w1 - w0) or -1))
  assert_tmp_empty()
end)

------------------------------------------------------------------------------
-- reading at a glance (issue 18)

-- The (kind, colour, dash or marker) of every line and points clause of a script.
local function clause_styles(script)
  local out = {}
  for clause in script:gmatch("[^\n]+") do
    local c = clause:match("lc rgb '(#%x+)'")
    if c and clause:find("with lines", 1, true) then
      out[#out + 1] = "line " .. c .. " dt " .. (clause:match(" dt (%S+)") or "?")
    elseif c and clause:find("with points", 1, true) then
      out[#out + 1] = "points " .. c .. " pt " .. (clause:match(" pt (%S+)") or "?")
    end
  end
  return out
end

test("more series than colours: every style distinct, first ten unchanged", function()
  local p = P { title = "styles" }
  local x = { 1, 2, 3 }
  for k = 1, 23 do p:line(x, { k, k + 1, k + 2 }, { title = "s" .. k }) end
  -- (23 automatic lines took every colour with dash 2, so 6 more with dash 2 would have to
  -- repeat a pair: dot instead)
  -- explicit dashes, as fig2_left gives them, take part in the same pairing
  for k = 1, 6 do p:line(x, { -k, k, 0 }, { title = "d" .. k, dash = "dot" }) end
  for k = 1, 12 do p:points(x, { k, 0, k }, { title = "p" .. k }) end
  local st = clause_styles(P._script(p))
  check(#st == 23 + 6 + 12, "found %d styled clauses", #st)
  local seen = {}
  for i, v in ipairs(st) do
    check(not seen[v], "series %d repeats the style of series %s: %s", i, tostring(seen[v]), v)
    seen[v] = i
  end
  for k = 1, 10 do
    check(st[k] == "line " .. P.colors[k] .. " dt 1", "series %d: %s", k, st[k])
  end
  check(st[11] == "line " .. P.colors[1] .. " dt 2", "series 11: %s", st[11])
  check(st[21] == "line " .. P.colors[1] .. " dt 3", "series 21: %s", st[21])
end)

test("a long title is wrapped into lines that fit the width", function()
  local long = ("word "):rep(60) .. "end"
  local p = P { title = long, size = { 800, 600 } }:line({ 1, 2 }, { 1, 2 })
  local t = P._script(p):match("set title ([^\n]*)")
  check(t, "no title")
  local n = 0
  for piece in t:gmatch("'([^']*)'") do
    n = n + 1
    check(#piece <= 0.95 * 800 / 8, "line of %d characters: %s", #piece, piece)
  end
  check(n >= 3, "title in %d lines", n)
end)

test("default key goes to a corner that hides no data, else outside", function()
  local x = linspace(0, 1, 50)
  -- data filling the top right and top left: the key goes to the bottom
  local p = P {}:line(x, map(x, function(v) return v end), { title = "rising" })
  local key = P._script(p):match("set key ([^\n]*) noautotitle")
  check(key == "top left", "key: %s", tostring(key))
  p = P {}:line(x, map(x, function(v) return 1 - v end), { title = "falling" })
  key = P._script(p):match("set key ([^\n]*) noautotitle")
  check(key == "top right", "key: %s", tostring(key))
  -- noise everywhere: outside
  local xn = linspace(0, 1, 400)
  local y = {}
  for i = 1, #xn do y[i] = (i * i * 0.6180339887) % 1 end
  p = P {}:line(xn, y, { title = "everywhere" })
  key = P._script(p):match("set key ([^\n]*) noautotitle")
  check(key == "outside right top", "key: %s", tostring(key))
  -- an explicit key is kept, and every panel starts from the default key
  p = P { key = "bottom left" }:line(xn, y, { title = "kept" })
  local s = P._script(p)
  check(s:find("set key default\nset key bottom left noautotitle", 1, true), "explicit key lost")
end)

test("a key over a heat map is boxed and opaque; the right margin holds the last tick", function()
  local p = P {}:heatmap(function(x, y) return x * y end, { xrange = { 0, 1 }, yrange = { 0, 1 }, n = 10 })
  p:line({ 0, 1 }, { 0, 1 }, { title = "diagonal" })
  local s = P._script(p)
  check(s:match("set key [^\n]*box opaque"), "heat map key not boxed:\n%s", s)
  check(s:find("set rmargin -1", 1, true), "heat map panel: the colour box needs gnuplot's margin")
  check(not s:find("fc rgb", 1, true), "grey key ground without a light series")
  p:line({ 0, 1 }, { 1, 0 }, { title = "white path", color = "white" })
  check(P._script(p):match("set key [^\n]*box opaque fc rgb '#d9d9d9'"), "white series on a white key")
  s = P._script(P {}:line({ 1, 2 }, { 1, 2 }))
  check(s:find("set rmargin 4", 1, true), "no right margin for the last x tick")
  check(not s:match("box opaque"), "plain panel boxed")
  -- a heat map alone has nothing to list: no key box at all
  s = P._script(P {}:heatmap(function(x, y) return x + y end, { xrange = { 0, 1 }, yrange = { 0, 1 }, n = 5 }))
  check(s:find("unset key", 1, true) and not s:find("set key top", 1, true), "empty key drawn")
end)

test("heat maps: a nil cell is named; palettes by name or colours; bad palette", function()
  local rows = { { lr = 1, mu = 1, T = 3 }, { lr = 2, mu = 1 } }
  must_fail(function() P {}:heatmap(rows, { x = "lr", y = "mu", z = "T" }) end,
    { "mf.plot:heatmap", "rows[2].T is missing (nil)", "0/0" })
  must_fail(function() P {}:heatmap({ { lr = 1, T = 3 } }, { x = "lr", y = "mu", z = "T" }) end,
    { "rows[1].mu is missing (nil)" })
  rows[2].T = 0 / 0
  local p = P {}:heatmap(rows, { x = "lr", y = "mu", z = "T", palette = "gray" })
  check(P._script(p):find("set palette defined (0 '#000000', 1 '#ffffff')", 1, true), "gray palette")
  p = P {}:heatmap(rows, { x = "lr", y = "mu", z = "T", palette = { "white", "#ff0000", "black" } })
  check(P._script(p):find("set palette defined (0 'white', 1 '#ff0000', 2 'black')", 1, true), "palette list")
  must_fail(function() P {}:heatmap(rows, { x = "lr", y = "mu", z = "T", palette = "jet" }) end,
    { "mf.plot:heatmap", "option 'palette'", "viridis" })
  -- every option help advertises for p:heatmap is accepted (help derives from this schema)
  local s = require("mflab.schema").all["mf.plot:heatmap"]
  check(s and s.byname.palette, "heat map schema lacks palette")
end)

-- p:band from a result (issue 18)

-- The (x, lo, hi) triples of a band series, unpacked from its data.
local function band_rows(p, k)
  local s = p.panels[1].series[k or 1]
  local rows, pos = {}, 1
  for i = 1, s.n do
    local x, lo, hi
    x, lo, hi, pos = string.unpack("=ddd", s.data, pos)
    rows[i] = { x, lo, hi }
  end
  return rows
end

-- A result-like object: 3 records, 5 seeds with values v(j, s) = j * s (s = 1..5).
local function fake_result(with_quantile)
  local r = { t = { 0, 10, 20 } }
  function r:mean(name) assert(name == "x1"); return { 3, 6, 9 } end
  function r:std(name) assert(name == "x1"); return { 0.5, 1, 2 } end
  function r:at(name, j) return { j * 1, j * 2, j * 3, j * 4, j * 5 } end
  if with_quantile then
    function r:quantile(name, q) return { q, 2 * q, 3 * q } end
  end
  return r
end

test("p:band(r, name): mean -/+ k std over r.t", function()
  local p = P {}:band(fake_result(), "x1", { title = "+-1 std" })
  local rows = band_rows(p)
  local want = { { 0, 2.5, 3.5 }, { 10, 5, 7 }, { 20, 7, 11 } }
  for i = 1, 3 do
    for c = 1, 3 do check(rows[i][c] == want[i][c], "row %d col %d: %s", i, c, rows[i][c]) end
  end
  rows = band_rows(P {}:band(fake_result(), "x1", { k = 2 }))
  check(rows[3][2] == 5 and rows[3][3] == 13, "k = 2: %s %s", rows[3][2], rows[3][3])
end)

test("p:band(r, name, {quantiles}): from seeds (numpy's linear rule) or r:quantile", function()
  -- seeds' values at record j are j*{1..5}: the 0.1 quantile is j*1.4, the 0.9 one j*4.6
  local rows = band_rows(P {}:band(fake_result(), "x1", { quantiles = { 0.1, 0.9 } }))
  for j = 1, 3 do
    check(math.abs(rows[j][2] - 1.4 * j) < 1e-12 and math.abs(rows[j][3] - 4.6 * j) < 1e-12,
      "record %d: %s %s", j, rows[j][2], rows[j][3])
  end
  rows = band_rows(P {}:band(fake_result(true), "x1", { quantiles = { 0.25, 0.75 } }))
  check(rows[2][2] == 0.5 and rows[2][3] == 1.5, "r:quantile not used: %s %s", rows[2][2], rows[2][3])
  must_fail(function() P {}:band(fake_result(), "x1", { quantiles = { 0.9, 0.1 } }) end,
    { "mf.plot:band", "option 'quantiles'", "qlo < qhi" })
  must_fail(function() P {}:band({}, "x1") end, { "mf.plot:band", "argument 'r'", "r.t" })
  must_fail(function() P {}:band(fake_result(), "x1", {}, {}) end, { "mf.plot:band", "3 arguments" })
end)

if rawget(_G, "mf") and mf.run then
  test("p:band(r, name) on an mf.run result equals r:mean -/+ r:std bit for bit", function()
    local r = mf.run { landscape = mf.landscape.valley { a = 1, b = 1 }, optimizer = mf.opt.sgd { lr = 1e-2 },
      noise = mf.noise.isotropic { sigma = 1 }, x0 = { 1, 0 }, steps = 100, every = 10, seeds = 64, seed = 1,
      record = { "x1", "x2" } }
    local rows = band_rows(P {}:band(r, "x2"))
    local m, sd, t = r:mean("x2"), r:std("x2"), r.t
    check(#rows == #t, "%d rows for %d records", #rows, #t)
    for j = 1, #t do
      check(rows[j][1] == t[j] and rows[j][2] == m[j] - sd[j] and rows[j][3] == m[j] + sd[j], "record %d", j)
    end
    -- the median band of 64 seeds from r:at: between the 32nd and 33rd order statistics
    rows = band_rows(P {}:band(r, "x2", { quantiles = { 0.5, 1 } }))
    local v = r:at("x2", 5)
    table.sort(v)
    check(rows[5][2] == (v[32] + 0.5 * (v[33] - v[32])) and rows[5][3] == v[64], "median %s", rows[5][2])
    -- a statistics-only result: its own quantiles (mean and std too); a level it did not keep
    -- is an error that says so
    local ok, rs = pcall(mf.run, { landscape = mf.landscape.valley { a = 1, b = 1 },
      optimizer = mf.opt.sgd { lr = 1e-2 }, noise = mf.noise.isotropic { sigma = 1 }, x0 = { 1, 0 },
      steps = 100, every = 10, seeds = 64, seed = 1, record = { "x1", "x2" }, keep = "stats",
      quantiles = { 0.1, 0.9 } })
    if ok then
      rows = band_rows(P {}:band(rs, "x2", { quantiles = { 0.1, 0.9 } }))
      local q1, q9 = rs:quantile("x2", 0.1), rs:quantile("x2", 0.9)
      check(rows[7][2] == q1[7] and rows[7][3] == q9[7], "stats quantiles not used")
      rows = band_rows(P {}:band(rs, "x2"))
      check(rows[7][2] == rs:mean("x2")[7] - rs:std("x2")[7], "stats mean - std")
      must_fail(function() P {}:band(rs, "x2", { quantiles = { 0.2, 0.9 } }) end,
        { "mf.plot:band", "quantiles", "0.2" })
    end
  end)
end

------------------------------------------------------------------------------

P.tmpdir = nil
os.execute("rm -rf " .. shq(OUT) .. " " .. shq(TMP))

print(string.format("%d passed, %d failed", passed, failed))
if failed > 0 then error(string.format("%d mf.plot test(s) failed", failed), 0) end
