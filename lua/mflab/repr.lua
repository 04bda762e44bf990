-- mf._repr: how the REPL prints values.

local M = {}

-- mf._repr(v): how the REPL prints a value. Plain tables print on one line, arrays as
-- {1, 2, 3} (long ones cut after 10 entries with the count), records with sorted keys, nested
-- tables one level deep; numbers with up to 10 significant digits; the rest as tostring.
local function repr(v, depth)
  local t = type(v)
  if t == "string" then return depth > 0 and ("%q"):format(v) or v end
  if t == "number" then
    return math.type(v) == "integer" and tostring(v) or (v == math.floor(v) and math.abs(v) < 1e15 and ("%.1f"):format(v) or ("%.10g"):format(v))
  end
  if t ~= "table" or getmetatable(v) ~= nil then return tostring(v) end
  if depth >= 2 then return "{...}" end
  local parts, n = {}, #v
  for i = 1, math.min(n, 10) do parts[#parts + 1] = repr(v[i], depth + 1) end
  if n > 10 then parts[#parts + 1] = ("... (%d entries)"):format(n) end
  local keys = {}
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for i, k in ipairs(keys) do
    if i > 20 then parts[#parts + 1] = ("... (%d more keys)"):format(#keys - 20) break end
    local name = (type(k) == "string" and k:match("^[%a_][%w_]*$")) and k or ("[" .. repr(k, 2) .. "]")
    parts[#parts + 1] = name .. " = " .. repr(v[k], depth + 1)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end
function M.repr(v) return repr(v, 0) end

return M
