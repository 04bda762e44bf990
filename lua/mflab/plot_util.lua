--- mflab.plot_util — small helpers shared by the mf.plot modules.
local M = {}
local fmt = string.format
local concat = table.concat
------------------------------------------------------------------------------
-- small helpers
------------------------------------------------------------------------------

local function shquote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- A gnuplot string constant. Single-quoted strings get no backslash, backquote
-- or macro processing in gnuplot; a quote is doubled. Newlines are spliced in
-- as a concatenated "\n" so multi-line titles still work.
local function gpquote(s)
  s = tostring(s):gsub("\r\n?", "\n")
  local parts = {}
  for piece in (s .. "\n"):gmatch("(.-)\n") do
    parts[#parts + 1] = "'" .. piece:gsub("'", "''") .. "'"
  end
  return concat(parts, '."\\n".')
end

local function num(v)
  if math.type(v) == "integer" then return fmt("%d", v) end
  return fmt("%.17g", v)
end

local function isfinite(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
end

local function typename(v)
  local t = type(v)
  if t == "number" then return math.type(v) == "integer" and "integer" or "number" end
  return t
end

local function describe(v)
  if type(v) == "string" then return fmt("%q", v) end
  if type(v) == "number" then return num(v) end
  return typename(v)
end

local function readfile(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

M.shquote, M.gpquote, M.num, M.isfinite, M.typename, M.describe, M.readfile =
  shquote, gpquote, num, isfinite, typename, describe, readfile
return M
