-- mf.parallel: one loop over independent points, spread over MPI ranks when mflab runs under
-- mpirun (or srun), a plain local loop otherwise; the same script either way.
--
--   local values = mf.parallel.map{ n = N, run = function(i) return value end,
--                                   done = function(i, value) end,  -- root only, arrival order
--                                   skip = { [i] = true, ... } }     -- indices already done
--
-- Under MPI, rank 0 (the root) hands out indices as ranks ask for them (dynamic load
-- balancing: a rank that finished a cheap point gets the next one at once), computes points
-- itself between requests (a dispatcher thread answers the others), and gathers every value.
-- map returns on the root the array of the N values in index order, nil on the other ranks.
-- Every value, the root's own included and in the local loop as well, goes through the same
-- exact serialization (numbers bit for bit, integers stay integers), so what the root holds,
-- and so writes, does not depend on which rank computed a point nor on the number of ranks.
-- The MPI part is the module "mflab.mpi" (engine/src/mpi), present when mflab is built with
-- MFLAB_WITH_MPI; the engine itself never calls MPI.
local schema = require "mflab.schema"
local core = require "mflab.core"

local M = {}

local fmt = string.format
local spack, sunpack = string.pack, string.unpack

-- The MPI module exists only in an executable built with MPI (preloaded by it).
local mpi = package.preload["mflab.mpi"] and require "mflab.mpi" or nil

local NOT_BUILT = "this mflab was built without MPI. Install the Debian packages "
  .. "libopenmpi-dev and openmpi-bin and rebuild with cmake -DMFLAB_WITH_MPI=ON "
  .. "(scripts/setup installs them; the option is on when OpenMPI is found)"

--- rank of this process (0 on the root, and without MPI)
function M.rank() return mpi and mpi.rank() or 0 end

--- number of processes (1 without MPI or without a launcher)
function M.size() return mpi and mpi.size() or 1 end

--- whether this process is the root (rank 0), the one that writes files
function M.is_root() return M.rank() == 0 end

--- whether this mflab is built with MPI (it then runs across ranks when started by mpirun)
function M.available() return mpi ~= nil end

--- raises a clear error when this mflab is built without MPI
function M.require_mpi()
  if not mpi then error("mf.parallel.require_mpi: " .. NOT_BUILT, 2) end
  return true
end

------------------------------------------------------------------------------
-- exact serialization of values: nil, booleans, numbers, strings, mf vectors and tables
------------------------------------------------------------------------------

local vector_name = schema.isvector

local function key_before(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "boolean" then return (not a) and b end
  return a < b
end

local encode_into

local function check_key(k, path)
  local tk = type(k)
  if tk ~= "string" and tk ~= "boolean" and tk ~= "number" then
    error(fmt("a table key of type %s at %s, which cannot be sent between ranks", tk, path), 0)
  end
end

-- Appends the bytes of v to out (an array of strings). Tags: n nil, f/t booleans, i integer
-- (8 bytes), d float (the 8 bytes of the double), s string, v vector, T table (array part
-- 1..m in order, then the other keys sorted, so equal tables give equal bytes).
encode_into = function(v, out, path, seen)
  local tv = type(v)
  if tv == "nil" then
    out[#out + 1] = "n"
  elseif tv == "boolean" then
    out[#out + 1] = v and "t" or "f"
  elseif tv == "number" then
    if math.type(v) == "integer" then
      out[#out + 1] = spack("<c1i8", "i", v)
    else
      out[#out + 1] = spack("<c1d", "d", v)
    end
  elseif tv == "string" then
    out[#out + 1] = spack("<c1s8", "s", v)
  elseif tv == "userdata" and vector_name(v) then
    local n = #v
    out[#out + 1] = spack("<c1i8", "v", n)
    for j = 1, n do out[#out + 1] = spack("<d", v[j]) end
  elseif tv == "table" then
    if seen[v] then error(fmt("a table that contains itself at %s", path), 0) end
    seen[v] = true
    local m = 0
    while rawget(v, m + 1) ~= nil do m = m + 1 end
    local keys = {}
    for k in next, v do
      if not (math.type(k) == "integer" and k >= 1 and k <= m) then keys[#keys + 1] = k end
    end
    for _, k in ipairs(keys) do check_key(k, path) end -- before sorting, which needs them comparable
    table.sort(keys, key_before)
    out[#out + 1] = spack("<c1i8i8", "T", m, #keys)
    for j = 1, m do encode_into(rawget(v, j), out, fmt("%s[%d]", path, j), seen) end
    for _, k in ipairs(keys) do
      encode_into(k, out, path, seen)
      local sub = type(k) == "string" and fmt("%s.%s", path, k) or fmt("%s[%s]", path, tostring(k))
      encode_into(rawget(v, k), out, sub, seen)
    end
    seen[v] = nil
  else
    error(fmt("a %s at %s, which cannot be sent between ranks (values are nil, booleans, "
      .. "numbers, strings, mf vectors and tables of these)", tv, path), 0)
  end
end

local function encode(v)
  local out = {}
  encode_into(v, out, "value", {})
  return table.concat(out)
end

local decode_at
decode_at = function(s, pos)
  local tag = s:sub(pos, pos)
  if tag == "n" then return nil, pos + 1 end
  if tag == "t" then return true, pos + 1 end
  if tag == "f" then return false, pos + 1 end
  if tag == "i" then return sunpack("<i8", s, pos + 1) end
  if tag == "d" then return sunpack("<d", s, pos + 1) end
  if tag == "s" then return sunpack("<s8", s, pos + 1) end
  if tag == "v" then
    local n, p = sunpack("<i8", s, pos + 1)
    local x = {}
    for j = 1, n do x[j], p = sunpack("<d", s, p) end
    return core.vector(x), p
  end
  if tag == "T" then
    local m, nk, p = sunpack("<i8i8", s, pos + 1)
    local t = {}
    for j = 1, m do t[j], p = decode_at(s, p) end
    for _ = 1, nk do
      local k, v
      k, p = decode_at(s, p)
      v, p = decode_at(s, p)
      t[k] = v
    end
    return t, p
  end
  error(fmt("mf.parallel: corrupt message (tag %q at byte %d)", tag, pos), 0)
end

local function decode(s)
  local v, p = decode_at(s, 1)
  if p ~= #s + 1 then error("mf.parallel: corrupt message (trailing bytes)", 0) end
  return v
end

M._encode, M._decode = encode, decode -- for the tests

------------------------------------------------------------------------------
-- map
------------------------------------------------------------------------------

local map_schema = schema.new("mf.parallel.map", {
  { name = "n", kind = "natural", required = true, doc = "number of points, indexed 1..n" },
  { name = "run", kind = "function", required = true,
    doc = "run(i) returns point i's value (nil, booleans, numbers, strings, mf vectors, tables of these); an error becomes {error = message}" },
  { name = "done", kind = "function",
    doc = "done(i, value), on the root only, as each point finishes (in arrival order): journal and progress" },
  { name = "skip", kind = "table", default = {},
    doc = "{[i] = true, ...}: points already done (resume; any value but false skips); their values stay nil" },
}, "runs run(i) for i = 1..n, over the MPI ranks when started by mpirun; on the root returns the n values in index order, nil on the other ranks")

local function error_text(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if type(mt) == "table" and mt.__tostring then return tostring(e) end
  return fmt("(error object is a %s value)", type(e))
end

-- Runs point i and returns its serialized value; an error (but not Ctrl-C) becomes the
-- point's value {error = message}.
local function compute(run, i)
  local ok, v = pcall(run, i)
  if ok then
    local ok2, bytes = pcall(encode, v)
    if ok2 then return bytes end
    v = fmt("mf.parallel.map: run(%d) returned %s", i, bytes)
  elseif core.interrupt_pending() then
    error(v, 0)
  else
    v = error_text(v)
  end
  return encode({ error = v })
end

local in_map = false

local function map_local(o, values)
  for i = 1, o.n do
    if not o.skip[i] then
      local v = decode(compute(o.run, i))
      values[i] = v
      if o.done then o.done(i, v) end
    end
  end
  return values
end

local function map_root(o, values)
  mpi.start(o.n, o.skip)
  local function accept(i, bytes)
    local v = decode(bytes)
    values[i] = v
    if o.done then o.done(i, v) end
  end
  local function drain(wait)
    local got = mpi.collect(wait)
    if got == nil then return false end
    for k = 1, #got, 2 do accept(got[k], got[k + 1]) end
    return true
  end
  while true do
    drain(false) -- the workers' results first: done() reports them as soon as possible
    local i = mpi.take()
    if not i then break end
    accept(i, compute(o.run, i))
  end
  while drain(true) do end
  return values
end

local function map_worker(o)
  local i = mpi.ask(0)
  while i do
    i = mpi.ask(i, compute(o.run, i))
  end
  return nil
end

--- mf.parallel.map{n =, run =, done =, skip =}
function M.map(opts)
  local o = schema.check(map_schema, opts)
  for k, v in pairs(o.skip) do
    if math.type(k) ~= "integer" or k < 1 or k > o.n then
      error(fmt("mf.parallel.map: option 'skip' must map point indices 1..%d to true, got the key %s",
        o.n, tostring(k)), 2)
    end
  end
  if not mpi then
    local launched = tonumber(os.getenv("OMPI_COMM_WORLD_SIZE") or "")
    if launched and launched > 1 then error("mf.parallel.map: started by mpirun, but " .. NOT_BUILT, 2) end
  end
  if in_map then error("mf.parallel.map: maps cannot be nested (run(i) called map)", 2) end
  in_map = true
  local ok, r = pcall(function()
    if M.size() == 1 then return map_local(o, {}) end
    if M.rank() == 0 then return map_root(o, {}) end
    return map_worker(o)
  end)
  in_map = false
  if not ok then error(r, 0) end
  return r
end

return M
