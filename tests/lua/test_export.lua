-- Export: results to .npz/.npy (numpy.load reads them and gets the same doubles), JSON
-- metadata beside, CSV with the version, seed and options; arrays to .npy/.npz; bad input is
-- an error naming the argument and leaves nothing behind.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local PY = "/usr/bin/python3"

local dir = H.tmpdir()
local function ls()
  local p = io.popen("ls -A '" .. dir .. "'")
  local t = {}
  for l in p:lines() do t[#t + 1] = l end
  p:close()
  table.sort(t)
  return table.concat(t, " ")
end

local L = mf.landscape.valley {}
local opt, nz = mf.opt.sgd { lr = 0.01 }, mf.noise.hessian { sigma = 1.5 }
local r = mf.run { landscape = L, optimizer = opt, noise = nz, x0 = { 1, 0.5 }, steps = 105, every = 10,
  seeds = 5, seed = 42, quiet = true }

-- metadata ---------------------------------------------------------------------------------
local md = r.metadata
H.check(md.mflab == mf.version and md.seed == 42 and md.seeds == 5 and md.steps == 105 and md.every == 10,
  "r.metadata: version, seed, seeds, steps, every")
H.check(md.x0[1] == 1 and md.x0[2] == 0.5 and md.record[3] == "loss", "r.metadata: x0, record")
-- parameters as structured fields: each object by its constructor and checked options
H.check(md.optimizer.constructor == "mf.opt.sgd" and md.optimizer.options.lr == 0.01 and md.optimizer.options.momentum == 0
  and md.noise.constructor == "mf.noise.hessian" and md.noise.options.sigma == 1.5
  and md.landscape.constructor == "mf.landscape.valley" and md.landscape.options.a == 1 and md.landscape.name == "valley",
  "r.metadata: landscape, optimizer, noise as {constructor, options}")
r:save(dir .. "/r.csv")
local first = H.read(dir .. "/r.csv"):match("([^\n]*)\n$")
H.check(first:find("# mflab " .. mf.version, 1, true) and first:find("seed=42", 1, true) and first:find("x0={1, 0.5}", 1, true)
  and first:find("sgd{lr", 1, true) and first:find("hessian{sigma", 1, true), "CSV metadata line (the last): " .. first)
H.check(ls() == "r.csv", "CSV: no JSON unless asked: " .. ls())
r:save(dir .. "/r2.csv", { layout = "long", json = true })
H.check(ls() == "r.csv r2.csv r2.csv.json", "CSV with json = true writes r2.csv.json: " .. ls())

-- JSON --------------------------------------------------------------------------------------
H.check(mf.export.json({ b = 1, a = { 1, 2.5, "x\n\"" }, c = true, d = 0 / 0 }) ==
  '{\n  "a": [1, 2.5, "x\\n\\""],\n  "b": 1,\n  "c": true,\n  "d": null\n}', "JSON text: " .. mf.export.json({ b = 1, a = { 1, 2.5, "x\n\"" }, c = true, d = 0 / 0 }))
H.check(mf.export.json(0.1) == "0.10000000000000001", "JSON numbers keep 17 digits")
H.raises({ "mf.export.json", "keys must be strings" }, mf.export.json, { [true] = 1 })

-- NumPy --------------------------------------------------------------------------------------
r:save(dir .. "/r.npz")
r:save(dir .. "/all.npy")
H.check(H.read(dir .. "/r.npz"):sub(1, 4) == "PK\3\4", ".npz is a zip file")
H.check(H.read(dir .. "/all.npy"):sub(1, 6) == "\147NUMPY", ".npy has the NumPy magic")
local hess = L:hess { 1.5, 0 }
mf.export.npy(dir .. "/h.npy", hess)
mf.export.npy(dir .. "/v.npy", mf.vec { 0.1, -2, 1e300 })
mf.export.npz(dir .. "/a.npz", { t = r.t, m = r:mean("x1"), rows = { { 1, 2, 3 }, { 4, 5, 6 } } })
-- one-seed results: 1-D arrays
local md1 = mf.manifold.flow { landscape = L, optimizer = opt, noise = nz }
local sol = md1:integrate { x0 = { 2, 0 }, steps = 50, every = 7, quiet = true }
sol:save(dir .. "/sol.npz")
-- a failed run keeps what it recorded; its .npy holds exactly that
local ok, err = pcall(mf.run, { landscape = mf.landscape.valley { h = { 1 } }, optimizer = mf.opt.sgd { lr = 10 },
  x0 = { 0, 1 }, steps = 1000, every = 10, seeds = 3 })
local failed = err.result
failed:save(dir .. "/failed.npy")

-- What Python should see: every value, written with 17 digits, compared exactly there.
local expect = {}
local function series(name, t)
  local s = {}
  for i = 1, #t do s[i] = ("%.17g"):format(t[i]) end
  expect[#expect + 1] = name .. " " .. table.concat(s, " ")
end
series("r.npz:t", r.t)
for _, n in ipairs(r.names) do
  for seed = 1, r.seeds do series(("r.npz:%s[%d]"):format(n, seed - 1), r:column(n, seed)) end
  for seed = 1, r.seeds do series(("all.npy:[%d,:,%d]"):format(seed - 1, ({ x1 = 0, x2 = 1, loss = 2 })[n]), r:column(n, seed)) end
end
for i = 1, 2 do series(("h.npy:[%d]"):format(i - 1), hess[i]) end
series("v.npy:", { 0.1, -2, 1e300 })
series("a.npz:t", r.t)
series("a.npz:m", r:mean("x1"))
series("a.npz:rows[1]", { 4, 5, 6 })
series("sol.npz:x1", sol.x1)
series("sol.npz:t", sol.t)
for seed = 1, 3 do series(("failed.npy:[%d,:,1]"):format(seed - 1), failed:column("x2", seed)) end
mf.write_csv(dir .. "/q.csv", { "plain", "a,b", "c\nd", 'e"' }, { { 1, 2 }, { 3, 4 }, { 5, 6 }, { 7, 8 } }, "a comment")
local f = assert(io.open(dir .. "/expect.txt", "w"))
f:write(table.concat(expect, "\n"), "\n")
f:close()

local script = [[
import json, sys, os
d = sys.argv[1]
try:
    import numpy as np
except ImportError:
    print("SKIP numpy"); sys.exit(0)
files = {}
def get(spec):
    fn, _, key = spec.partition(":")
    if fn not in files:
        files[fn] = np.load(os.path.join(d, fn))
    a = files[fn]
    if fn.endswith(".npz"):
        name, _, idx = key.partition("[")
        a = a[name]
        return eval("a[" + idx, {"a": a}) if idx else a
    return eval("a" + key, {"a": a}) if key else a
bad = 0
for line in open(os.path.join(d, "expect.txt")):
    spec, *vals = line.split()
    got = np.asarray(get(spec)).ravel().tolist()
    want = [float(v) for v in vals]
    if got != want:
        bad += 1
        print("MISMATCH", spec, got[:5], want[:5])
z = np.load(os.path.join(d, "r.npz"))
print("FILES", " ".join(z.files), "DTYPES", z["t"].dtype, z["x1"].dtype, "SHAPES", z["x1"].shape,
      np.load(os.path.join(d, "all.npy")).shape, np.load(os.path.join(d, "sol.npz"))["x1"].shape,
      np.load(os.path.join(d, "failed.npy")).shape)
meta = json.load(open(os.path.join(d, "r.npz.json")))
print("JSON", meta["seed"], meta["seeds"], meta["mflab"], meta["file"], ",".join(meta["names"]), meta["x0"])
allmeta = json.load(open(os.path.join(d, "all.npy.json")))
print("NPYMETA", allmeta["file"], allmeta["optimizer"]["constructor"], allmeta["optimizer"]["options"]["lr"])
json.load(open(os.path.join(d, "r2.csv.json")))
fm = json.load(open(os.path.join(d, "sol.npz.json")))
print("FLOWMETA", fm["landscape"]["constructor"], fm["method"], fm["optimizer"]["options"]["lr"], fm["noise"]["options"]["sigma"])
# CSV as it is, by numpy.genfromtxt with the header line
for name, cols in (("r.csv", "t,x1_mean,x1_std,x2_mean,x2_std,loss_mean,loss_std"), ("r2.csv", "t,seed,x1,x2,loss")):
    a = np.genfromtxt(os.path.join(d, name), delimiter=",", names=True)
    print("GENFROMTXT", name, ",".join(a.dtype.names) == cols or ",".join(a.dtype.names), a.shape, np.isnan(a.view((float, len(a.dtype.names)))).sum() if a.dtype.names else -1)
import csv
print("CSVNAMES", csv.reader(open(os.path.join(d, "q.csv"))).__next__())
print("BAD", bad)
]]
f = assert(io.open(dir .. "/check.py", "w"))
f:write(script)
f:close()
local py = io.open(PY, "r")
if not py then
  print("SKIP: " .. PY .. " is not installed; .npy/.npz files not checked with numpy")
  SKIPPED = true
else
  py:close()
  local p = io.popen(PY .. " '" .. dir .. "/check.py' '" .. dir .. "' 2>&1")
  local out = p:read("a")
  p:close()
  if out:match("^SKIP numpy") then
    print("SKIP: numpy is not installed for " .. PY .. "; .npy/.npz files not checked with numpy")
    SKIPPED = true
  else
    H.check(out:find("BAD 0", 1, true), "numpy.load reads every value exactly:\n" .. out)
    H.check(out:find("FILES t x1 x2 loss DTYPES int64 float64 SHAPES (5, 12) (5, 12, 3) (9,) (3, 13, 3)", 1, true),
      "npz members, dtypes and shapes:\n" .. out)
    H.check(out:find("JSON 42 5 " .. mf.version .. " r.npz x1,x2,loss [1, 0.5]", 1, true), "JSON beside the data:\n" .. out)
    H.check(out:find("NPYMETA all.npy mf.opt.sgd 0.01", 1, true), "all.npy has its own all.npy.json:\n" .. out)
    H.check(out:find("FLOWMETA mf.landscape.valley rk4 0.01 1.5", 1, true), "a flow's metadata records landscape and method:\n" .. out)
    H.check(out:find("GENFROMTXT r.csv True (12,) 0", 1, true) and out:find("GENFROMTXT r2.csv True (60,) 0", 1, true),
      "numpy.genfromtxt(names=True) reads the CSV files as they are:\n" .. out)
    H.check(out:find("CSVNAMES ['plain', 'a,b', 'c\\nd', 'e\"']", 1, true), "CSV names with commas, newlines, quotes are quoted:\n" .. out)
  end
end

-- bad input ----------------------------------------------------------------------------------
local bad = H.tmpdir()
H.raises({ "result:save", "unknown file extension", "r.txt", ".csv, .npy or .npz" }, r.save, r, bad .. "/r.txt")
H.raises({ "result:save", "unknown file extension" }, r.save, r, bad .. "/noext")
H.raises({ "result:save", "cannot write", "/no/such/dir/r.npz" }, r.save, r, "/no/such/dir/r.npz")
H.raises({ "result:save", "cannot write" }, r.save, r, "/no/such/dir/r.npy")
H.raises({ "result:save", "unknown option 'jason'" }, r.save, r, bad .. "/r.npz", { jason = true })
H.raises({ "result:save", "'layout' is for .csv" }, r.save, r, bad .. "/r.npz", "long")
H.raises({ "mf.export.npy", "'array' row 2 has 1 entries, row 1 has 2" }, mf.export.npy, bad .. "/x.npy", { { 1, 2 }, { 3 } })
H.raises({ "mf.export.npy", "array[2] must be a number, got string" }, mf.export.npy, bad .. "/x.npy", { 1, "a" })
H.raises({ "mf.export.npz", "array names must be identifiers" }, mf.export.npz, bad .. "/x.npz", { ["a b"] = { 1 } })
H.raises({ "mf.export.npz", "cannot write" }, mf.export.npz, "/no/such/dir/x.npz", { a = { 1 } })
H.raises({ "mf.export.write_json", "cannot write" }, mf.export.write_json, "/no/such/dir/x.json", {})
local p = io.popen("ls -A '" .. bad .. "'")
local left = p:read("a")
p:close()
H.check(left == "", "nothing left behind after failed writes: " .. left)
-- a write that fails at the rename (the target is a directory) removes its temporary file
os.execute("mkdir '" .. bad .. "/isdir.npz'")
H.raises({ "result:save", "cannot write", "isdir.npz" }, r.save, r, bad .. "/isdir.npz")
p = io.popen("ls -A '" .. bad .. "'")
left = p:read("a")
p:close()
H.check(left == "isdir.npz\n", "only the directory is left: " .. left)

-- data and metadata are written as one: when the metadata cannot be placed (its name is a
-- directory), the data file is not written either, and no temporary file is left
os.execute("rmdir '" .. bad .. "/isdir.npz'; mkdir '" .. bad .. "/pair.npy.json'")
H.raises({ "result:save", "cannot write", "pair.npy.json" }, r.save, r, bad .. "/pair.npy")
p = io.popen("ls -A '" .. bad .. "'")
left = p:read("a")
p:close()
H.check(left == "pair.npy.json\n", "no pair.npy without its metadata, no temporary files: " .. left)
-- r:save("run.npy") and r:save("run.npz") each have their own metadata
r:save(bad .. "/run.npy")
r:save(bad .. "/run.npz")
H.check(H.read(bad .. "/run.npy.json"):find('"file": "run.npy"', 1, true) and H.read(bad .. "/run.npz.json"):find('"file": "run.npz"', 1, true),
  "run.npy.json and run.npz.json")
-- a cyclic table is an error naming where, at once (not unbounded memory growth)
local cyc = { a = { 1, 2 } }
cyc.a[3] = cyc
local t0 = os.clock()
H.raises({ "mf.export.json", "cyclic", "value.a[3]" }, mf.export.json, cyc)
H.raises({ "mf.export.write_json", "cyclic" }, mf.export.write_json, bad .. "/c.json", cyc)
H.check(os.clock() - t0 < 1, "cyclic tables are refused at once")
local shared = { 1, 2 }
H.check(mf.export.json({ a = shared, b = shared }) == '{\n  "a": [1, 2],\n  "b": [1, 2]\n}', "a table used twice is not a cycle")
-- mf.export.npy/npz with metadata: <path>.json beside
mf.export.npy(bad .. "/m.npy", { 1, 2 }, { source = "test" })
H.check(H.read(bad .. "/m.npy.json") == '{\n  "source": "test"\n}\n', "mf.export.npy(path, array, metadata)")

os.execute("rm -rf '" .. dir .. "' '" .. bad .. "'")
H.finish()
-- a missing dependency is a visible skip (ctest: SKIP_RETURN_CODE 77), not a pass
if SKIPPED then os.exit(77) end
