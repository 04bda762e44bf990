-- mf.parallel without mpirun: the exact serialization every value goes through, and map's
-- local semantics (the same as across ranks: tests/mpi checks the files agree byte for byte).
local H = dofile(arg[0]:match("(.*/)") .. "harness.lua")
local P = mf.parallel
local enc, dec = P._encode, P._decode

-- bits of a double, to compare NaN payloads and signed zeros
local function bits(x) return string.pack("<d", x) end

-- numbers: bit for bit, integers stay integers
local floats = { 0.0, -0.0, 1 / 3, -2.5e-310, 4.9406564584124654e-324, 1.7976931348623157e308,
  math.huge, -math.huge, 0 / 0, string.unpack("<d", string.pack("<i8", 0x7ff0000000000123)),
  (string.unpack("<d", string.pack("<i8", -0x0008000000000001))) }
for k, x in ipairs(floats) do
  local y = dec(enc(x))
  H.check(math.type(y) == "float" and bits(y) == bits(x), ("float %d (%a) round trip"):format(k, x))
end
for _, n in ipairs({ 0, -1, 42, math.maxinteger, math.mininteger }) do
  local y = dec(enc(n))
  H.check(math.type(y) == "integer" and y == n, "integer round trip " .. n)
end
H.check(math.type(dec(enc(3.0))) == "float", "3.0 stays a float")

-- strings with any bytes, booleans, nil
local s = "a\0b\255\n" .. string.rep("x", 1000)
H.check(dec(enc(s)) == s, "string with NUL and high bytes")
H.check(dec(enc(true)) == true and dec(enc(false)) == false and dec(enc(nil)) == nil, "true, false, nil")

-- nested tables, mixed keys, holes after the array part, vectors
local t = { 1, 2.5, "three", { x = 0.1, [7] = { true } }, name = "p", [0.5] = -0.0, [false] = 1,
  [10] = "after a hole", v = mf.vec{ 1 / 3, -0.0, 1e-300 } }
local u = dec(enc(t))
H.check(u[1] == 1 and math.type(u[1]) == "integer" and u[2] == 2.5 and u[3] == "three", "array part")
H.check(u[4].x == 0.1 and u[4][7][1] == true, "nested table")
H.check(u.name == "p" and bits(u[0.5]) == bits(-0.0) and u[false] == 1 and u[10] == "after a hole",
  "hash part: string, float, boolean and integer keys")
H.check(getmetatable(u.v).__name == "mflab.vector" and #u.v == 3 and bits(u.v[1]) == bits(1 / 3)
  and bits(u.v[2]) == bits(-0.0) and u.v[3] == 1e-300, "mf vector")
-- equal tables give equal bytes, whatever their construction order
local a, b = {}, {}
for i = 1, 50 do a["k" .. i] = i end
for i = 50, 1, -1 do b["k" .. i] = i end
H.check(enc(a) == enc(b), "the same table built in two orders has the same bytes")
H.check(enc(dec(enc(t))) == enc(t), "encode(decode(bytes)) gives the same bytes")

-- what cannot be sent
H.raises({ "a function at value.f" }, enc, { f = print })
H.raises({ "a userdata at value[1]" }, enc, { io.stdout })
local cyc = {}
cyc.self = cyc
H.raises({ "a table that contains itself at value.self" }, enc, cyc)
H.raises({ "a table key of type table" }, enc, { [{}] = 1 })
H.raises({ "corrupt message" }, dec, "Z")
H.raises({ "trailing bytes" }, dec, enc(1) .. "x")

-- map, local loop: values in index order, errors as values, skip, done in order, n = 0
H.check(not P.available() or P.size() == 1, "size 1 without mpirun")
H.check(P.rank() == 0 and P.is_root(), "rank 0 is the root")
local order = {}
local v = P.map{ n = 6, skip = { [2] = true }, run = function(i)
  if i == 4 then error("four fails") end
  if i == 5 then return { f = print } end
  if i == 6 then error({ code = 6 }) end
  return { i = i, sq = i * i / 7 }
end, done = function(i, x) order[#order + 1] = i end }
H.check(v[1].i == 1 and bits(v[1].sq) == bits(1 / 7) and v[3].sq == 9 / 7, "values in index order")
H.check(v[2] == nil, "a skipped point has no value")
H.check(type(v[4].error) == "string" and v[4].error:find("four fails", 1, true), "an error becomes {error = message}")
H.check(v[5].error:find("mf.parallel.map: run(5) returned a function at value.f", 1, true),
  "a value that cannot be sent becomes an error for that point")
H.check(v[6].error == "(error object is a table value)", "a non-string error object")
H.check(table.concat(order, ",") == "1,3,4,5,6", "done once per point not skipped")
local e = P.map{ n = 0, run = function() error("never") end }
H.check(type(e) == "table" and next(e) == nil, "n = 0 gives an empty array")
H.check(P.map{ n = 3, run = function(i) return nil end }[1] == nil, "nil values")

-- bad input
H.raises({ "mf.parallel.map: option 'n' is required" }, P.map, { run = print })
H.raises({ "mf.parallel.map: option 'n' must be an integer >= 0" }, P.map, { n = -1, run = print })
H.raises({ "mf.parallel.map: option 'run' must be a function" }, P.map, { n = 1, run = 3 })
H.raises({ "mf.parallel.map: unknown option 'nn'" }, P.map, { n = 1, run = print, nn = 1 })
H.raises({ "mf.parallel.map: option 'skip' must map point indices 1..3 to true, got the key 4" },
  P.map, { n = 3, run = print, skip = { [4] = true } })
H.raises({ "got the key x" }, P.map, { n = 3, run = print, skip = { x = true } })
H.raises({ "got the key 1.5" }, P.map, { n = 3, run = print, skip = { [1.5] = true } })
local sk = P.map{ n = 3, run = function(i) return i end, skip = { [1] = false, [2] = { row = 1 } } }
H.check(sk[1] == 1 and sk[2] == nil and sk[3] == 3, "skip: false runs the point, any other value skips it")
local nested = P.map{ n = 1, run = function() return P.map{ n = 1, run = function() return 1 end } end }
H.check(nested[1].error:find("maps cannot be nested", 1, true), "a nested map is an error for that point")
H.check(P.map{ n = 1, run = function(i) return i end }[1] == 1, "map works again after a nested attempt")

H.finish()
