-- The Lua API of the foundation: constructors check their options, landscapes evaluate one
-- point at a time, runs return results with statistics and columns, CSV files round-trip,
-- a diverging run names its step and trajectory and keeps what was recorded.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

H.check(type(mf) == "table" and mf == require "mflab", "global mf is require 'mflab'")
H.check(type(mf.version) == "string" and mf.version:match("^%d+%.%d+%.%d+$"), "mf.version")

-- option checking: unknown key, wrong type, out of range, missing required -------------
H.raises({ "mf.landscape.valley", "unknown option 'c'" }, mf.landscape.valley, { c = 1 })
H.raises({ "mf.landscape.valley", "option 'a'", "> 0" }, mf.landscape.valley, { a = -1 })
H.raises({ "mf.landscape.valley", "option 'b'", "got \"x\"" }, mf.landscape.valley, { b = "x" })
H.raises({ "mf.landscape.valley", "either option 'h'" }, mf.landscape.valley, { h = { 1, 0, 1 }, a = 2 })
H.raises({ "mf.opt.sgd", "option 'lr' is required" }, mf.opt.sgd, {})
H.raises({ "mf.opt.sgd", "option 'lr'", "got 0" }, mf.opt.sgd, { lr = 0 })
H.raises({ "mf.opt.sgd", "option 'lr'", "nan" }, mf.opt.sgd, { lr = 0 / 0 })
H.raises({ "mf.noise.hessian", "option 'sigma'" }, mf.noise.hessian, { sigma = -2 })
H.raises({ "mf.noise.isotropic", "option 'space'", "one of \"normal\", \"full\"" },
  mf.noise.isotropic, { space = "sideways" })
H.raises({ "mf.opt.sgd", "expected an options table" }, mf.opt.sgd, 0.1)
-- the error points at the caller's line, not inside the library
local _, e = pcall(function() mf.opt.sgd { lr = -1 } end)
H.check(tostring(e):match("test_api%.lua:%d+:"), "error position is the caller's: " .. tostring(e))

-- landscapes ------------------------------------------------------------------------------
local L = mf.landscape.valley { a = 1, b = 1 }
H.check(L.dim == 2 and L.codim == 1 and L.name == "valley", "valley dim/codim/name")
H.close(L:value { 2, 3 }, (1 + 4) * 9, 0, "value at (2, 3)")
local g = L:grad { 2, 3 }
H.close(g[1], 2 * 2 * 9, 0, "df/dx = h'(x) y^2")
H.close(g[2], 2 * 5 * 3, 0, "df/dy = 2 h(x) y")
local Hs = L:hess { 2, 3 }
H.check(Hs[1][1] == 2 * 9 and Hs[1][2] == 2 * 4 * 3 and Hs[2][1] == Hs[1][2] and Hs[2][2] == 10, "Hessian at (2, 3)")
local P = L:project { 2, 3 }
H.check(P[1] == 2 and P[2] == 0, "projection onto y = 0")
H.close(mf.landscape.valley { h = { 2, 0, 0, 0, 1 } }:value { 1, 1 }, 3, 0, "polynomial h = 2 + x^4") -- (a cubic h is refused: h must stay positive)
H.check(tostring(L):match("h%(x%) = 1 %+ 1 x%^2"), "valley prints its h: " .. tostring(L))
H.check(L:value(mf.vec { 2, 3 }) == 45, "a vector works as a point")
H.raises({ "landscape:value", "z has 3 entries" }, L.value, L, { 1, 2, 3 })
H.raises({ "landscape:grad", "z[2] must be a number" }, L.grad, L, { 1, "a" })

-- vectors ------------------------------------------------------------------------------
local v = mf.vec { 1, 2, 3 }
H.check(#v == 3 and v[2] == 2, "vector length and index")
v[2] = 7
H.check(v:totable()[2] == 7 and tostring(v) == "vec{1, 7, 3}", "vector set/print: " .. tostring(v))
H.check(v[4] == nil, "reads past the end give nil") -- reads past the end give nil (ipairs stops there)
H.raises({ "out of range" }, function() v[4] = 1 end)

-- runs and results ------------------------------------------------------------------------
local opt, nz = mf.opt.sgd { lr = 0.01 }, mf.noise.hessian { sigma = 1 }
local r = mf.run { landscape = L, optimizer = opt, noise = nz, x0 = { 1, 0.2 }, steps = 1000, every = 100, seeds = 50, seed = 3 }
H.check(#r.t == 11 and r.t[1] == 0 and r.t[11] == 1000 and #r == 11, "record times 0, 100, ..., 1000")
H.check(table.concat(r.names, ",") == "x1,x2,loss", "default record: every coordinate and loss")
H.check(r.seeds == 50 and r.steps == 1000, "seeds and steps")
-- mean and unbiased variance against a direct computation over the seeds
local vals = r:at("x2", 6)
local s, q = 0, 0
for i = 1, #vals do s = s + vals[i] end
local mu = s / #vals
for i = 1, #vals do q = q + (vals[i] - mu) ^ 2 end
H.close(r:mean("x2")[6], mu, 1e-15, "mean over seeds")
H.close(r:var("x2")[6], q / (#vals - 1), 1e-14, "unbiased variance over seeds")
H.close(r:std("x2")[6], math.sqrt(q / (#vals - 1)), 1e-14, "std over seeds")
H.check(r:column("x2", 17)[6] == vals[17], "column(name, seed) agrees with at(name, j)")
local loss = r:column("loss", 4)
local x1, x2 = r:column("x1", 4), r:column("x2", 4)
H.close(loss[11], (1 + x1[11] ^ 2) * x2[11] ^ 2, 1e-15, "recorded loss is f at the recorded point")
H.raises({ "'y' was not recorded", "x1, x2, loss" }, r.mean, r, "y")
H.raises({ "r.x1 needs a one-seed result" }, function() return r.x1 end)
H.raises({ "seed 51 out of range" }, r.column, r, "x1", 51)

-- the same seed gives the same bits whatever threads and block
local function digest(res)
  local t = {}
  for j = 1, #res.t do for _, x in ipairs(res:at("x2", j)) do t[#t + 1] = string.pack("d", x) end end
  return table.concat(t)
end
local base = { landscape = L, optimizer = opt, noise = mf.noise.isotropic { sigma = 0.5, space = "full" },
               x0 = { 1, 0 }, steps = 300, every = 30, seeds = 77, seed = 9 }
local ref = digest(mf.run(base))
for _, layout in ipairs { { threads = 1, block = 1 }, { threads = 2, block = 13 }, { threads = 2 } } do
  local o = {}
  for k, x in pairs(base) do o[k] = x end
  o.threads, o.block = layout.threads, layout.block
  H.check(digest(mf.run(o)) == ref, ("threads=%s block=%s changes the bits"):format(layout.threads, layout.block))
end
base.seed = 10
H.check(digest(mf.run(base)) ~= ref, "another seed gives other numbers")

-- run option errors name the option
H.raises({ "mf.run", "option 'x0' is required" }, mf.run,
  { landscape = mf.landscape.custom { dim = 1, f = function(z) return z[1] ^ 2 end }, optimizer = opt, steps = 1 })
H.raises({ "mf.run", "option 'x0' has 3 entries" }, mf.run, { landscape = L, optimizer = opt, steps = 1, x0 = { 1, 2, 3 } })
H.raises({ "mf.run", "option 'steps'", "integer >= 0" }, mf.run, { landscape = L, optimizer = opt, steps = 1.5, x0 = { 1, 2 } })
H.raises({ "mf.run", "option 'landscape' must be a landscape" }, mf.run, { landscape = opt, optimizer = opt, steps = 1, x0 = { 1, 2 } })
H.raises({ "mf.run", "unknown observable 'x3'" }, mf.run, { landscape = L, optimizer = opt, steps = 1, x0 = { 1, 2 }, record = { "x3" } })
H.raises({ "mf.run", "option 'seeds'", "integer >= 1" }, mf.run, { landscape = L, optimizer = opt, steps = 1, x0 = { 1, 2 }, seeds = 0 })

-- divergence: h = 1, lr = 10, y <- -19 y; x = x - lr * 0 * y^2 turns NaN once y^2 overflows (step 122)
local Lflat = mf.landscape.valley { h = { 1 } }
local ok, err = pcall(mf.run, { landscape = Lflat, optimizer = mf.opt.sgd { lr = 10 }, x0 = { 0, 1 },
                                steps = 1000, every = 10, seeds = 3 })
H.check(not ok and getmetatable(err).__name == "mflab.error", "divergence raises an mflab.error")
H.check(tostring(err):match("^mf%.run: non%-finite value at step 122 in trajectory 1"), "message: " .. tostring(err))
H.check(err.step == 122 and err.trajectory == 1, "error names step and trajectory")
H.check(err.result and #err.result.t == 13 and err.result.t[13] == 120, "records before the failure are kept")
H.close(math.abs(err.result:column("x2", 2)[13]), 19 ^ 120, 1e-12, "kept values are the real ones")

-- CSV files -------------------------------------------------------------------------------
local dir = H.tmpdir()
local path = dir .. "/r.csv"
H.check(r:save(path) == r, "save returns the result")
local text = H.read(path)
local rows = {}
for line in text:gmatch("[^\n]+") do rows[#rows + 1] = line end
table.insert(rows, 1, table.remove(rows)) -- the metadata comment is the last line
H.check(rows[1]:match("^# mflab .*seeds=50 seed=3"), "metadata line: " .. rows[1])
H.check(rows[2] == "t,x1_mean,x1_std,x2_mean,x2_std,loss_mean,loss_std", "summary header: " .. rows[2])
H.check(#rows == 2 + 11, "one row per record")
local cells = {}
for c in rows[8]:gmatch("[^,]+") do cells[#cells + 1] = c end
H.check(tonumber(cells[1]) == 500 and tonumber(cells[4]) == r:mean("x2")[6], "values round-trip exactly (17 digits)")
r:save(dir .. "/long.csv", "long")
local long = H.read(dir .. "/long.csv")
local nlines = select(2, long:gsub("\n", ""))
H.check(nlines == 2 + 11 * 50 and long:match("^t,seed,x1,x2,loss\n"), "long layout: a row per (time, seed)")
H.raises({ "result:save", "cannot write '/nonexistent/dir/r.csv'" }, r.save, r, "/nonexistent/dir/r.csv")
H.raises({ "result:save", "option 'layout' must be \"summary\" or \"long\", got \"wide\"" }, r.save, r, dir .. "/w.csv", "wide")
local listing = io.popen("ls -A '" .. dir .. "'"):read("a")
H.check(not listing:match("tmp"), "no temporary files left: " .. listing)
-- mf.write_csv
mf.write_csv(dir .. "/w.csv", { "a", "b" }, { { 1, 2 }, { 0.1, 1 / 3 } }, "meta")
H.check(H.read(dir .. "/w.csv") == "a,b\n1,0.10000000000000001\n2,0.33333333333333331\n# meta\n", "write_csv text")
H.raises({ "mf.write_csv", "column 'b' has 1 rows" }, mf.write_csv, dir .. "/x.csv", { "a", "b" }, { { 1, 2 }, { 1 } })
H.raises({ "mf.write_csv", "cannot write" }, mf.write_csv, "/nonexistent/x.csv", { "a" }, { { 1 } })
os.execute("rm -rf '" .. dir .. "'")

-- manifold flow ------------------------------------------------------------------------------
local md = mf.manifold.flow { landscape = L, optimizer = opt, noise = nz }
local sol = md:integrate { x0 = { 5, 0.3 }, steps = 1000, every = 100 }
H.check(#sol.t == 11 and sol.t[11] == 1000 and sol.x2[1] == 0, "flow on mf.run's grid, started from the projection")
H.close(sol.x1[11], 5 * math.exp(-0.01 * 0.01 * 1000 / 2), 1e-12, "valley flow x(k) = x0 exp(-lr^2 sigma^2 k/2)")
H.close(md:drift { 2, 0 }[1], -(0.01 / 4) * 4, 1e-15, "drift -(lr sigma^2/4) h'(x)")
local sde = mf.manifold.flow { landscape = L, optimizer = opt, noise = mf.noise.isotropic { space = "full" } }
H.raises({ "flow:integrate", "use method 'em'" }, sde.integrate, sde, { x0 = { 1, 0 }, steps = 10, method = "rk4" })
H.raises({ "mf.manifold.flow", "supported:" }, mf.manifold.flow,
  { landscape = L, optimizer = mf.opt.adam { lr = 0.01 }, noise = mf.noise.isotropic {} })
H.raises({ "mf.manifold.flow", "option 'noise' is required" }, mf.manifold.flow, { landscape = L, optimizer = opt })
H.raises({ "flow:integrate", "unknown option 'paths'" }, md.integrate, md, { x0 = { 1, 0 }, steps = 10, paths = 4 })

-- how the REPL prints values
H.check(mf._repr({ 1, 2.5, "a" }) == '{1, 2.5, "a"}', "array repr: " .. mf._repr({ 1, 2.5, "a" }))
H.check(mf._repr({ b = 1, a = { 1, 2 } }) == "{a = {1, 2}, b = 1}", "record repr: " .. mf._repr({ b = 1, a = { 1, 2 } }))
local long = {}
for i = 1, 25 do long[i] = i end
H.check(mf._repr(long) == "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (25 entries)}", "long arrays are cut")
H.check(mf._repr(45.0) == "45.0" and mf._repr(L) == tostring(L), "numbers and userdata")

-- dense paths refuse large dimensions before allocating, and name the matrix-free alternative
do
  local big = mf.landscape.matrix_factorization { m = 50, n = 50, p = 25 } -- dim 2500
  local z = {}
  for i = 1, big.dim do z[i] = 0.1 end
  H.raises({ "landscape:tangent", "2500", "limit 2000", "L:project" }, big.tangent, big, z)
  H.raises({ "landscape:hess", "2500", "limit 2000", "L:hvp" }, big.hess, big, z)
end
H.finish()
