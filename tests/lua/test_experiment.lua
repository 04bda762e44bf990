-- mf.experiment in Lua: the JSON of results round-trips every double bit for bit (and NaN,
-- infinities, -0, integer keys); command-line values parse as documented (Lua numbers, 1e6
-- counts, lists, lin/log ranges); E:run checks its parameters with the command line's
-- messages; declarations are checked; help(mf.experiment) documents it; E:cli writes the
-- folder and --replot reads it back without running.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local json = require "mflab.json"
local X = require "mflab.experiment"

-- JSON: exact round trip -------------------------------------------------------------------
local bits = function(v) return string.pack("<d", v) end
local rng = 12345
local function next_double() -- random bit patterns: every exponent and mantissa
  rng = (rng * 6364136223846793005 + 1442695040888963407)
  local v = string.unpack("<d", string.pack("<i8", rng))
  return v
end
local vals, bad = {}, 0
for i = 1, 2000 do
  local v = next_double()
  if v == v and v ~= math.huge and v ~= -math.huge then vals[#vals + 1] = v end
end
for _, v in ipairs { 0.1, 1 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e6 + 0.0, 2 ^ 53 + 0.0, -0.0, 0.0 } do
  vals[#vals + 1] = v
end
local back = json.decode(json.encode(vals))
for i, v in ipairs(vals) do
  if math.type(back[i]) ~= "float" or bits(back[i]) ~= bits(v) then bad = bad + 1 end
end
H.check(#back == #vals and bad == 0, ("%d of %d doubles do not round-trip bit for bit"):format(bad, #vals))
local t = json.decode(json.encode { n = 0 / 0, p = math.huge, m = -math.huge, i = 3, f = 3.0, s = "a\"b\n\\", b = false,
                                    runs = { [800] = { x = 1 }, [1600] = { x = 2 } }, e = {}, v = mf.vec { 1.5, 2 } })
H.check(t.n ~= t.n and t.p == math.huge and t.m == -math.huge, "NaN and infinities round-trip (as Python's json writes them)")
H.check(math.type(t.i) == "integer" and math.type(t.f) == "float" and t.f == 3, "integers stay integers, floats floats (3.0)")
H.check(t.s == "a\"b\n\\" and t.b == false, "strings and booleans")
H.check(t.runs[800].x == 1 and t.runs[1600].x == 2, "integer keys of a sparse table come back as integers")
H.check(t.v[1] == 1.5 and t.v[2] == 2 and #t.v == 2, "mf vectors are saved as arrays")
H.check(json.number(0.1) == "0.1" and json.number(1e-3) == "0.001" and json.number(5.0) == "5.0", "shortest exact forms")
H.raises({ "results.f is a function" }, json.encode, { f = print }, "results")
H.raises({ "invalid JSON at byte" }, json.decode, "{\"a\": [1, 2}")

-- declarations and E:run ------------------------------------------------------------------
local runs = 0
local E = mf.experiment {
  name = "t", doc = "test experiment",
  params = {
    { name = "lr", default = 1e-3, kind = "number", doc = "learning rate" },
    { name = "steps", default = 10, kind = "integer", doc = "steps" },
    { name = "ns", default = { 1, 2 }, kind = "integers", doc = "sizes" },
    { name = "on", default = true, kind = "boolean", doc = "switch" },
    { name = "tag", default = "x", doc = "a string (kind inferred)" },
  },
  quick = { steps = 1e3 },
  run = function(p, ctx)
    runs = runs + 1
    return { lr = p.lr, steps = p.steps, ns = p.ns, on = p.on, tag = p.tag, out = ctx.out or "none" }
  end,
}
H.check(E.params[5].kind == "string" and E.quick.steps == 1000 and math.type(E.quick.steps) == "integer",
  "kind inferred from the default; quick's 1e3 is the integer 1000")
local d = E:defaults()
H.check(d.lr == 1e-3 and d.steps == 10 and d.ns[2] == 2 and d.on == true and d.tag == "x", "E:defaults()")
local r = E:run { steps = 1e6, lr = 2 }
H.check(r.steps == 1000000 and math.type(r.steps) == "integer" and r.lr == 2.0 and math.type(r.lr) == "float" and r.out == "none",
  "E:run: overrides (1e6 as a count, numbers as floats), no output folder")
H.raises({ "t: unknown parameter 'lrr' (parameters: lr, steps, ns, on, tag)" }, E.run, E, { lrr = 1 })
H.raises({ "t: parameter 'steps' must be an integer (1e6 counts), got 1.5" }, E.run, E, { steps = 1.5 })
H.raises({ "t: parameter 'lr' must be a finite number, got \"abc\"" }, E.run, E, { lr = "abc" })
H.raises({ "t: parameter 'ns' must be a list of integers" }, E.run, E, { ns = { 1, 2.5 } })
H.raises({ "mf.experiment: option 'run' is required" }, mf.experiment, { name = "x" })
H.raises({ "parameter 'a' needs a one-line doc" }, mf.experiment, { name = "x", run = print, params = { { name = "a", default = 1 } } })
H.raises({ "parameter 'a': the default must be an integer" }, mf.experiment,
  { name = "x", run = print, params = { { name = "a", default = 1.5, kind = "integer", doc = "a" } } })
H.raises({ "parameter name 'out' is taken by the command line" }, mf.experiment,
  { name = "x", run = print, params = { { name = "out", default = 1, doc = "a" } } })
H.raises({ "quick sets 'nope', which is not a parameter" }, mf.experiment, { name = "x", run = print, quick = { nope = 1 } })
H.raises({ "run() must return a table of named results, got nil" }, E.run,
  mf.experiment { name = "y", run = function() end })

-- command-line values ---------------------------------------------------------------------
local P = E.byname
local function parse(name, s) return E:parse_value(P[name], s) end
local v, list = parse("lr", "0x10")
H.check(v == 16 and math.type(v) == "float" and not list, "0x10 is 16.0 for a number parameter")
v = parse("steps", "1e6")
H.check(v == 1000000 and math.type(v) == "integer", "1e6 is the integer 1000000 for an integer parameter")
v, list = parse("lr", "1e-3,3e-3,1e-2")
H.check(list and #v == 3 and v[1] == 1e-3 and v[2] == 3e-3 and v[3] == 1e-2, "a list for a one-value parameter: a sweep")
v = parse("lr", "log:1e-3:1e-1:5")
H.check(#v == 5 and v[1] == 1e-3 and v[3] == 1e-2 and v[5] == 1e-1 and v[2] == 0.00316227766016838,
  "log range: 5 points, ends exact, 15 significant digits inside: " .. table.concat(v, " "))
v = parse("lr", "lin:0:1:11")
H.check(#v == 11 and v[4] == 0.3 and v[8] == 0.7 and v[11] == 1, "lin range 0:1:11 gives 0.3 and 0.7 as written")
v, list = parse("ns", "lin:16:64:4")
H.check(not list and #v == 4 and v[2] == 32 and math.type(v[4]) == "integer", "a range as the value of a list parameter")
v, list = parse("ns", "5")
H.check(not list and #v == 1 and v[1] == 5, "one value for a list parameter is a list of one")
for _, s in ipairs { "true", "yes", "on", "1" } do H.check(parse("on", s) == true, "boolean " .. s) end
for _, s in ipairs { "false", "no", "off", "0" } do H.check(parse("on", s) == false, "boolean " .. s) end
H.raises({ "a log range needs FROM, TO > 0" }, parse, "lr", "log:0:1:3")
H.raises({ "a range is lin:FROM:TO:COUNT" }, parse, "lr", "lin:0:1:x")

-- the folder: E:cli writes results and metadata; --replot reads them without running -------
local dir = H.tmpdir() .. "/a/b"
runs = 0
local res = E:cli({ "lr=0.5", "--out", dir, "--quick" }, "t.lua")
H.check(runs == 1 and res.steps == 1000 and res.lr == 0.5 and res.out == dir, "E:cli runs with --quick and overrides")
local meta = json.decode(H.read(dir .. "/t.meta.json"))
H.check(meta.state == "ok" and meta.params.steps == 1000 and meta.params.lr == 0.5 and meta.quick == true and
  meta.given.lr == 0.5 and meta.command == "mflab t.lua lr=0.5 --out " .. dir .. " --quick", "metadata: parameters as fields, the command")
local saved = json.decode(H.read(dir .. "/t.results.json"))
H.check(saved.steps == 1000 and saved.ns[2] == 2 and saved.tag == "x", "results saved")
local again = E:cli({ "--out", dir, "--replot" }, "t.lua")
H.check(runs == 1 and again.lr == 0.5 and again.steps == 1000, "--replot returns the saved results without running")
H.raises({ "holds results of other parameters: lr = 0.5 there, 0.001 here; steps = 1000 there, 10 here" }, E.cli, E, { "--out", dir }, "t.lua")
H.check(runs == 1, "a refused run does not run")
H.check(E:cli({ "--help" }) == nil and runs == 1, "--help returns nothing and runs nothing")

-- a series t in the results: NAME.csv beside the JSON
local S = mf.experiment { name = "s", run = function() return { t = { 0, 10, 20 }, x = { 1.5, 2, 1 / 3 }, short = { 1 }, n = 3 } end }
local sdir = H.tmpdir()
S:cli({ "--out", sdir })
local csv = H.read(sdir .. "/s.csv") or ""
H.check(csv:match("^# mflab [^\n]*\nt,x\n0,1.5\n10,2\n20,0.33333333333333331\n$") ~= nil, "series CSV: " .. csv)
H.check(json.decode(H.read(sdir .. "/s.meta.json")).series == "s.csv", "the metadata names the series CSV")
H.check(require("mflab.help").text(S):find("usage: mflab s.lua", 1, true), "help(E) prints the experiment's --help")
os.execute("rm -rf '" .. sdir .. "'")

-- whole files and folders (core.write_file: temporary name, fsync, rename; core.mkdir: -p)
local core = require "mflab.core"
local base = H.tmpdir()
core.write_file(base .. "/f.txt", "abc\0def")
H.check(H.read(base .. "/f.txt") == "abc\0def", "write_file writes the bytes exactly")
core.write_file(base .. "/f.txt", "x")
H.check(H.read(base .. "/f.txt") == "x", "write_file replaces a file whole")
local leftovers = io.popen("ls '" .. base .. "'"):read("a")
H.check(leftovers == "f.txt\n", "no temporary file left: " .. leftovers)
H.raises({ "mf.experiment: cannot write '" .. base .. "/no/such/f.txt'" }, core.write_file, base .. "/no/such/f.txt", "x")
core.mkdir(base .. "/p/q/r")
core.mkdir(base .. "/p/q/r/") -- existing: fine
H.check(io.open(base .. "/p/q/r/.", "r") ~= nil, "mkdir creates the parents")
H.raises({ "cannot create folder '" .. base .. "/f.txt': a file of that name is in the way" }, core.mkdir, base .. "/f.txt/sub")
H.raises({ "unknown argument 'oops'" }, E.cli, E, { "oops" })
H.raises({ "--out needs a folder name" }, E.cli, E, { "--out" })
os.execute("rm -rf '" .. base .. "'")

-- help ---------------------------------------------------------------------------------------
local text = require("mflab.help").text(mf.experiment)
for _, want in ipairs { "mf.experiment{", "params", "quick", "run", "plot", "report", "E:main", "example:" } do
  H.check(text:find(want, 1, true), "help(mf.experiment) mentions " .. want)
end
H.check(require("mflab.help").text("mf.experiment") == text, "help('mf.experiment') is the same text")
H.check(tostring(E):find("experiment t (5 parameters", 1, true), "tostring(E)")
os.execute("rm -rf '" .. dir:gsub("/a/b$", "") .. "'")
H.finish()
