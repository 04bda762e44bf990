-- JSON that round-trips Lua values exactly, for experiment results and metadata.
--
-- encode: integers as integers; floats in the shortest of 15, 16, 17 significant digits that
-- reads back to the same double, always with a '.' or an exponent (so 5.0 stays a float);
-- NaN, Infinity and -Infinity as Python's json module writes and reads them; mf vectors as
-- arrays; objects with sorted keys; integer keys of tables that are not sequences as strings
-- ("800"). decode: the inverse, with object keys that are integer numerals ("800") read back
-- as integers. So decode(encode(v)) equals v bit for bit for the values results hold.
local M = {}

local fmt = string.format

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return ESC[c] or fmt("\\u%04x", c:byte()) end) .. '"'
end

-- the shortest decimal form of a float that reads back to the same double
function M.number(v)
  if math.type(v) == "integer" then return fmt("%d", v) end
  if v ~= v then return "NaN" end
  if v == math.huge then return "Infinity" end
  if v == -math.huge then return "-Infinity" end
  local s
  for digits = 15, 17 do
    s = fmt("%." .. digits .. "g", v)
    if tonumber(s) == v then break end
  end
  if not s:find("[.eEn]") then s = s .. ".0" end
  return s
end

-- Raw accesses throughout (rawlen, rawget, next): the text describes the data the table holds,
-- and a metamethod (a __len of 2^61, an __index or __pairs that never ends) cannot hang it.
local function is_sequence(t)
  local n = rawlen(t)
  for k in next, t do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

-- an mf vector (or any userdata whose metatable is named mflab.vector) as a plain table
local function totable(v)
  local mt = getmetatable(v)
  if type(v) == "userdata" and type(mt) == "table" and mt.__name == "mflab.vector" then return v:totable() end
  return nil
end

local function encode(v, indent, out, path, seen)
  local t = type(v)
  if t == "number" then out[#out + 1] = M.number(v)
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "string" then out[#out + 1] = quote(v)
  elseif t == "userdata" and totable(v) then encode(totable(v), indent, out, path, seen)
  elseif t == "table" then
    if seen[v] then error(path .. " refers to itself", 0) end
    seen[v] = true
    local inner = indent .. "  "
    if is_sequence(v) then
      local flat = true
      for i = 1, rawlen(v) do if type(rawget(v, i)) == "table" then flat = false end end
      out[#out + 1] = "["
      for i = 1, rawlen(v) do
        if i > 1 then out[#out + 1] = flat and ", " or "," end
        if not flat then out[#out + 1] = "\n" .. inner end
        encode(rawget(v, i), inner, out, path .. "[" .. i .. "]", seen)
      end
      if not flat and rawlen(v) > 0 then out[#out + 1] = "\n" .. indent end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in next, v do
        if type(k) ~= "string" and math.type(k) ~= "integer" then
          error(fmt("%s has a key of type %s (keys must be strings or integers)", path, type(k)), 0)
        end
        keys[#keys + 1] = k
      end
      table.sort(keys, function(a, b)
        if type(a) == type(b) then return a < b end
        return type(a) == "number"
      end)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        out[#out + 1] = (i > 1 and ",\n" or "\n") .. inner .. quote(tostring(k)) .. ": "
        encode(rawget(v, k), inner, out, path .. "." .. tostring(k), seen)
      end
      out[#out + 1] = (#keys > 0 and ("\n" .. indent) or "") .. "}"
    end
    seen[v] = nil
  else
    error(fmt("%s is a %s (values must be numbers, strings, booleans, tables or vectors)", path, t), 0)
  end
end

-- json.encode(v [, name]): the JSON text; errors name the offending path (name.key[3]).
function M.encode(v, name)
  local out = {}
  encode(v, "", out, name or "value", {})
  return table.concat(out)
end

local WORDS = { ["true"] = true, ["false"] = false, ["null"] = nil, NaN = 0 / 0, Infinity = math.huge }

-- json.decode(text [, source]): the Lua value; errors name the source and the byte offset.
function M.decode(text, source)
  local pos = 1
  local function fail(what) error(fmt("%s: invalid JSON at byte %d: %s", source or "json", pos, what), 0) end
  local function skip() pos = text:find("[^ \t\r\n]", pos) or #text + 1 end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local j = text:find('["\\]', i)
      if not j then fail("unterminated string") end
      out[#out + 1] = text:sub(i, j - 1)
      if text:sub(j, j) == '"' then pos = j + 1; break end
      local c = text:sub(j + 1, j + 1)
      local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
      if simple[c] then out[#out + 1] = simple[c]; i = j + 2
      elseif c == "u" then
        local hex = text:sub(j + 2, j + 5)
        if not hex:match("^%x%x%x%x$") then pos = j; fail("bad \\u escape") end
        out[#out + 1] = utf8.char(tonumber(hex, 16))
        i = j + 6
      else pos = j; fail("bad escape") end
    end
    return table.concat(out)
  end
  function value()
    skip()
    local c = text:sub(pos, pos)
    if c == "{" then
      local obj = {}
      pos = pos + 1
      skip()
      if text:sub(pos, pos) == "}" then pos = pos + 1; return obj end
      while true do
        skip()
        if text:sub(pos, pos) ~= '"' then fail("expected a key") end
        local k = str()
        skip()
        if text:sub(pos, pos) ~= ":" then fail("expected ':'") end
        pos = pos + 1
        local ik = k:match("^%-?%d+$") and math.tointeger(tonumber(k))
        obj[ik or k] = value()
        skip()
        local d = text:sub(pos, pos)
        pos = pos + 1
        if d == "}" then return obj end
        if d ~= "," then pos = pos - 1; fail("expected ',' or '}'") end
      end
    elseif c == "[" then
      local arr = {}
      pos = pos + 1
      skip()
      if text:sub(pos, pos) == "]" then pos = pos + 1; return arr end
      while true do
        arr[#arr + 1] = value()
        skip()
        local d = text:sub(pos, pos)
        pos = pos + 1
        if d == "]" then return arr end
        if d ~= "," then pos = pos - 1; fail("expected ',' or ']'") end
      end
    elseif c == '"' then
      return str()
    end
    local word = text:match("^%-?[%a]+", pos)
    if word then
      local neg = word:sub(1, 1) == "-"
      local w = neg and word:sub(2) or word
      if WORDS[w] == nil and w ~= "null" then fail("unexpected '" .. word .. "'") end
      if neg and w ~= "Infinity" then fail("unexpected '" .. word .. "'") end
      pos = pos + #word
      if neg then return -math.huge end
      return WORDS[w]
    end
    local num = text:match("^%-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    local v = num and tonumber(num)
    if not v then fail("unexpected " .. (c == "" and "end of text" or "'" .. c .. "'")) end
    pos = pos + #num
    return v
  end
  local v = value()
  skip()
  if pos <= #text then fail("trailing characters") end
  return v
end

return M
