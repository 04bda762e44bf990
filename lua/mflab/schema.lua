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

-- mflab vectors (mf.vec, and what result accessors return) stand wherever an array of numbers
-- is accepted: isvector tells them apart, array(v) gives a plain table for code that needs one
-- (table.sort, rawlen, string.pack) and passes anything else through unchanged.
function M.isvector(v) return udname(v) == "mflab.vector" end
function M.array(v)
  if udname(v) == "mflab.vector" then return v:totable() end
  return v
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
  point = function(v, name)
    if udname(v) == "mflab.vector" then return true end
    -- plain tables only: a __len or __index (2^61 entries, an endless ipairs) cannot hang a check
    if type(v) == "table" and getmetatable(v) ~= nil then return false, "a plain table of numbers (no metatable) or a vector" end
    if type(v) ~= "table" or #v == 0 then return false, "a table of numbers or a vector" end
    for i = 1, #v do
      if not finite(v[i]) then
        return false, "a table of finite numbers or a vector", ("%s[%d] = %s"):format(name or "?", i, M.show(v[i]))
      end
    end
    return true
  end,
  coefficients = function(v, name)
    if type(v) ~= "table" or getmetatable(v) ~= nil or #v == 0 then return false, "a table of numbers {c0, c1, ...}" end
    for i = 1, #v do
      if not finite(v[i]) then
        return false, "a table of finite numbers {c0, c1, ...}", ("%s[%d] = %s"):format(name or "?", i, M.show(v[i]))
      end
    end
    return true
  end,
  names = function(v)
    if type(v) ~= "table" or getmetatable(v) ~= nil then return false, "a table of names" end
    for i = 1, #v do
      if type(v[i]) ~= "string" then return false, "a table of names (strings)" end
    end
    return true
  end,
  landscape = function(v) return udname(v) == "mflab.landscape", "a landscape (mf.landscape.*)" end,
  optimizer = function(v) return udname(v) == "mflab.optimizer", "an optimizer (mf.opt.*)" end,
  noise = function(v) return udname(v) == "mflab.noise", "a noise model (mf.noise.*)" end,
}

-- A value as an error message shows it: strings quoted, NaN as nan, objects by type name,
-- tables without their address.
local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "userdata" then return udname(v) or "userdata" end
  if type(v) == "number" and v ~= v then return "nan" end
  if type(v) == "table" then return udname(v) or "a table" end
  return tostring(v)
end
M.show = show

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
  M.last = { fname = s.fname, options = out } -- for M.public's record of what was made
  for _, o in ipairs(s.options) do
    local v = opts[o.name]
    if v == nil then
      if o.required then fail(s, ("option '%s' is required: %s"):format(o.name, o.doc or ""), level) end
      v = o.default
    else
      local ok, want, got = M.kinds[o.kind](v, o.name)
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
        fail(s, ("option '%s' must be %s, got %s"):format(o.name, want, got or show(v)), level)
      end
    end
    out[o.name] = v
  end
  return out
end

------------------------------------------------------------------------------
-- the public entry points: errors at the caller's line, and what each object was made from
------------------------------------------------------------------------------

-- Objects made by public constructors -> { constructor = "mf.opt.sgd", options = {...} } (the
-- checked options, defaults filled in). Weak keys: the record goes with the object.
M.made = setmetatable({}, { __mode = "k" })

-- Whether a chunk name is one of the library's own files (lua/mflab/<module>.lua).
local function library_source(src)
  local name = src and src:match("mflab/([%w_]+)%.lua$")
  return name ~= nil and package.loaded["mflab." .. name] ~= nil
end

-- Wraps a public function (or method) so that an error raised inside the library — by a schema
-- check, by the engine's C functions, by a library helper — is reported at the line of the
-- first caller outside the library, as README promises, whatever depth it was raised at, and
-- names the function: Lua's "bad argument #2 to '?'" (a C function called through pcall has no
-- name) becomes "bad argument #1 to 'result:mean'", and a message that does not mention the
-- function gains it as a prefix ("landscape:grad: mf.landscape.custom: option 'f' must ...").
-- With `record`, the object returned is recorded in M.made with the options its schema checked.
-- Error objects (tables) and errors already located in the user's code pass unchanged.
local function name_error(fname, msg, is_c)
  if msg:find("^interrupted") or msg:find("^watchdog") then return msg end -- Ctrl-C says only that
  local n, rest = msg:match("^bad argument #(%d+) to '[^']*' (.*)$")
  if n and is_c then -- raised by f itself: its arguments are the caller's
    n = tonumber(n)
    if fname:find(":", 1, true) then -- a method: do not count self, as Lua does
      n = n - 1
      if n == 0 then return ("calling '%s' on bad self %s"):format(fname, rest) end
    end
    return ("bad argument #%d to '%s' %s"):format(n, fname, rest)
  end
  local short = fname:match("[%w_]+$")
  if msg:find(fname, 1, true) or (short and msg:find(short, 1, true)) then return msg end
  return fname .. ": " .. msg
end

function M.public(fname, f, record)
  local is_c = debug.getinfo(f, "S").what == "C"
  local function fail(e)
    local caller = debug.getinfo(2, "S")
    -- through pcall (a C function) the one who called pcall decides: mf.sweep's pcall is library code
    if caller and caller.what == "C" then caller = debug.getinfo(3, "S") or caller end
    local from_user = not (caller and caller.what ~= "C" and library_source(caller.short_src))
    if from_user and type(e) == "table" and rawget(e, "result") ~= nil and type(rawget(e, "message")) == "string" then
      -- a run or flow the user called stopped part way (Ctrl-C, divergence): keep what it
      -- recorded reachable without pcall, as mf.last, and say so (library callers such as
      -- mf.sweep handle the error object themselves)
      local mf = package.loaded["mflab"]
      if type(mf) == "table" then
        mf.last = e.result
        if not e.message:find("mf.last", 1, true) then
          e.message = e.message .. " (the partial result is mf.last)"
        end
      end
    end
    if type(e) ~= "string" then error(e, 0) end
    local src, at = e:match("^([^\n]-):%d+: ()")
    if src and not library_source(src) then error(e, 0) end -- already at the user's line
    if not src then at = 1 end -- raised without a position (through pcall, or level 0)
    local level = 2 -- the caller of this wrapper, or further out while that is library code
    while true do
      local info = debug.getinfo(level, "S")
      if not info or info.what == "C" or not library_source(info.short_src) then break end
      level = level + 1
    end
    error(name_error(fname, e:sub(at), is_c), level)
  end
  -- tail calls throughout, so that in fail level 2 is the wrapper's caller; no table per call
  local function finish(ok, ...)
    if not ok then return fail((...)) end
    if record then
      local obj = ...
      if obj ~= nil and M.last and M.last.fname == fname then
        M.made[obj] = { constructor = fname, options = M.last.options }
      end
    end
    return ...
  end
  return function(...) return finish(pcall(f, ...)) end
end

-- A JSON-ready description of a value: objects made by constructors as
-- { constructor =, name =, options = {...}, text = tostring(v) } with their options described in turn, functions as
-- "function", other userdata by their tostring, tables field by field.
function M.describe(v, seen)
  seen = seen or {}
  local t = type(v)
  if t == "function" then return "function" end
  if t ~= "table" and t ~= "userdata" then return v end
  if seen[v] then return tostring(v) end
  seen[v] = true
  local made = M.made[v]
  if made then
    local opts = {}
    for k, x in pairs(made.options) do opts[k] = M.describe(x, seen) end
    local ok, name = pcall(function() return v.name end)
    return { constructor = made.constructor, options = opts, name = ok and type(name) == "string" and name or nil,
      text = tostring(v) }
  end
  if t == "userdata" then return tostring(v) end
  local out = {}
  for k, x in pairs(v) do out[k] = M.describe(x, seen) end
  return out
end

return M
