-- Option tables checked against declared schemas.
--
-- A schema lists its options in order; each option has a kind (what values it accepts), a
-- default or `required = true`, and a one-line doc. check() rejects unknown keys, missing
-- required keys, wrong types and out-of-range values with an error that names the function
-- and the option, and returns a new table with the defaults filled in. The schemas are kept
-- (schema.all) so help() and the docs read defaults from the one place they are declared.
local M = { all = {} }

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

local function udname(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name or nil
end

-- Counts (steps, seeds, every, dimensions, ...): an integer, or a float with an exact integer
-- value, as Python and Julia users write them (1e6, 1e3). Returns the integer or nil; 1.5,
-- NaN, +-Inf and floats beyond the 64-bit range give nil. Kinds natural and count use it, and
-- check() hands the integer on, so the engine only ever sees integers.
function M.tocount(v)
  if math.type(v) == "integer" then return v end
  if math.type(v) == "float" then return math.tointeger(v) end
  return nil
end

-- Kinds whose checked values are converted by tocount.
local INTEGRAL = { natural = true, count = true }

-- kind -> function(value, option) returning ok, expectation
M.kinds = {
  number = function(v) return finite(v), "a finite number" end,
  positive = function(v) return finite(v) and v > 0, "a finite number > 0" end,
  nonnegative = function(v) return finite(v) and v >= 0, "a finite number >= 0" end,
  natural = function(v) local n = M.tocount(v) return n ~= nil and n >= 0, "an integer >= 0" end,
  count = function(v) local n = M.tocount(v) return n ~= nil and n >= 1, "an integer >= 1" end,
  boolean = function(v) return type(v) == "boolean", "true or false" end,
  string = function(v) return type(v) == "string", "a string" end,
  ["function"] = function(v) return type(v) == "function", "a function" end,
  table = function(v) return type(v) == "table", "a table" end,
  point = function(v)
    if udname(v) == "mflab.vector" then return true end
    if type(v) ~= "table" or #v == 0 then return false, "a table of numbers or a vector" end
    for i = 1, #v do
      if not finite(v[i]) then return false, "a table of finite numbers or a vector" end
    end
    return true
  end,
  coefficients = function(v)
    if type(v) ~= "table" or #v == 0 then return false, "a table of numbers {c0, c1, ...}" end
    for i = 1, #v do
      if not finite(v[i]) then return false, "a table of finite numbers {c0, c1, ...}" end
    end
    return true
  end,
  names = function(v)
    if type(v) ~= "table" then return false, "a table of names" end
    for i = 1, #v do
      if type(v[i]) ~= "string" then return false, "a table of names (strings)" end
    end
    return true
  end,
  landscape = function(v) return udname(v) == "mflab.landscape", "a landscape (mf.landscape.*)" end,
  optimizer = function(v) return udname(v) == "mflab.optimizer", "an optimizer (mf.opt.*)" end,
  noise = function(v) return udname(v) == "mflab.noise", "a noise model (mf.noise.*)" end,
}

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "userdata" then return udname(v) or "userdata" end
  return tostring(v)
end

-- schema.new(fname, options [, doc]): options is a list of
-- { name =, kind =, default = | required = true, one_of = {...}, doc = }
function M.new(fname, options, doc)
  local s = { fname = fname, options = options, byname = {}, doc = doc }
  for _, o in ipairs(options) do
    assert(M.kinds[o.kind], "schema " .. fname .. ": unknown kind " .. tostring(o.kind))
    s.byname[o.name] = o
  end
  M.all[fname] = s
  return s
end

local function fail(s, msg, level) error(s.fname .. ": " .. msg, level) end

-- Returns a checked copy of opts with defaults filled in. Errors point at the caller of the
-- function that called check (level 2, as error() counts from check's caller); call check
-- directly from the constructor, not through a tail call, so the count holds.
function M.check(s, opts, level)
  level = (level or 2) + 2 -- fail() and check() themselves
  if opts == nil then opts = {} end
  if type(opts) ~= "table" or udname(opts) then
    fail(s, "expected an options table {...}, got " .. type(opts), level)
  end
  for k in pairs(opts) do
    if type(k) ~= "string" then
      fail(s, "options must be named (key = value); got a positional entry " .. show(k), level)
    end
    if not s.byname[k] then
      local known = {}
      for _, o in ipairs(s.options) do known[#known + 1] = o.name end
      fail(s, ("unknown option '%s' (options: %s)"):format(k, table.concat(known, ", ")), level)
    end
  end
  local out = {}
  for _, o in ipairs(s.options) do
    local v = opts[o.name]
    if v == nil then
      if o.required then fail(s, ("option '%s' is required: %s"):format(o.name, o.doc or ""), level) end
      v = o.default
    else
      local ok, want = M.kinds[o.kind](v)
      if ok and o.one_of then
        ok = false
        for _, w in ipairs(o.one_of) do if v == w then ok = true end end
        local q = {}
        for _, w in ipairs(o.one_of) do q[#q + 1] = show(w) end
        want = "one of " .. table.concat(q, ", ")
      end
      if ok and INTEGRAL[o.kind] then v = M.tocount(v) end
      if ok and o.check then ok, want = o.check(v) end
      if not ok then
        fail(s, ("option '%s' must be %s, got %s"):format(o.name, want, show(v)), level)
      end
    end
    out[o.name] = v
  end
  return out
end

return M
