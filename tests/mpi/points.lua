-- mf.parallel.map over 40 points of unequal cost (small SGD ensembles on the valley with
-- 150..2100 steps), as a sweep would: point 17 fails on purpose, point 5 is skipped (as on a
-- resume), and the root writes every value, floats in hex (%a), to the file given as the
-- first argument. The file must be the same bytes for a one-process run and for any number
-- of MPI ranks. Each rank also writes how many points it computed to <file>.rank<r>.
-- usage: mflab points.lua OUT
local out = assert(arg[1], "usage: mflab points.lua OUT")
local P = mf.parallel
local L = mf.landscape.valley{ a = 1, b = 1 }
local N = 40

local computed = 0
local function run(i)
  computed = computed + 1
  if i == 17 then error("point 17 fails on purpose") end
  local steps = 2000 * (1 + (i * 7) % 14) -- unequal costs, not monotone in i
  local r = mf.run{ landscape = L, optimizer = mf.opt.sgd{ lr = 0.01 * (1 + i % 3), momentum = 0.5 },
    noise = mf.noise.isotropic{ sigma = 0.5 }, x0 = { 1 + i / 10, 0.2 }, steps = steps,
    seeds = 128, seed = i, every = steps, threads = 1, quiet = true }
  local x1 = r:mean("x1")
  return { i = i, steps = steps, x1 = x1[#x1], loss = r:mean("loss")[#x1], x2s = r:mean("x2"),
           tag = ("p%02d"):format(i), even = i % 2 == 0, vec = mf.vec{ x1[1], x1[#x1] } }
end

local done_calls, done_seen = 0, {}
local values = P.map{ n = N, run = run, skip = { [5] = true }, done = function(i, v)
  assert(P.is_root(), "done called on a worker")
  assert(not done_seen[i], "done called twice for one point")
  done_seen[i] = true
  done_calls = done_calls + 1
end }

local f = assert(io.open(("%s.rank%d"):format(out, P.rank()), "w"))
f:write(computed, "\n")
f:close()

if not P.is_root() then
  assert(values == nil, "map returned a value on a worker")
  return
end

-- A value as text: floats in hex so that a differing bit shows, integers as integers.
local function show(v)
  local t = type(v)
  if t == "number" then return math.type(v) == "integer" and ("%d"):format(v) or ("%a"):format(v) end
  if t == "userdata" then
    local s = {}
    for j = 1, #v do s[j] = ("%a"):format(v[j]) end
    return "vec{" .. table.concat(s, ",") .. "}"
  end
  if t == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local s = {}
    for _, k in ipairs(keys) do s[#s + 1] = tostring(k) .. "=" .. show(v[k]) end
    return "{" .. table.concat(s, " ") .. "}"
  end
  return tostring(v)
end

local lines = { ("points %d, done calls %d"):format(N, done_calls) }
for i = 1, N do lines[#lines + 1] = ("%d %s"):format(i, show(values[i])) end
assert(done_calls == N - 1, "done must be called once per point that is not skipped")
assert(values[5] == nil, "a skipped point has no value")
assert(type(values[17]) == "table" and values[17].error:find("point 17 fails on purpose", 1, true),
  "the failing point's value is {error = message}")
for i = 1, N do
  if i ~= 5 and i ~= 17 then assert(values[i].i == i and math.type(values[i].steps) == "integer") end
end
-- whole or not at all: a temporary file renamed over the result
local tmp = out .. ".tmp"
f = assert(io.open(tmp, "w"))
f:write(table.concat(lines, "\n"), "\n")
f:close()
assert(os.rename(tmp, out))
