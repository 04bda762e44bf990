--- mflab.plot_data — series data packed as native float64 records for gnuplot's binary input.
local U = require "mflab.plot_util"
local M = {}
local fmt = string.format
local concat = table.concat
local isfinite, describe, typename = U.isfinite, U.describe, U.typename
------------------------------------------------------------------------------
-- packing data
------------------------------------------------------------------------------

local CHUNK = 240 -- values per string.pack call (a multiple of 2 and 3)
local packfmt = setmetatable({}, { __index = function(t, k)
  local f = "=" .. string.rep("d", k)
  t[k] = f
  return f
end })

-- Returns the length of an array-like value, or nil.
local function arraylen(v)
  local t = type(v)
  if t ~= "table" and t ~= "userdata" then return nil end
  local ok, n = pcall(function() return #v end)
  if ok and math.type(n) == "integer" then return n end
  return nil
end

-- Packs columns (array-likes of equal length n) as interleaved float64 records.
-- Errors name the argument and index of a non-number.
local function pack_columns(fname, names, cols, n, level)
  level = level + 1
  local ncol = #cols
  local parts, buf, k = {}, {}, 0
  local pack, unpack = string.pack, table.unpack
  for i = 1, n do
    for c = 1, ncol do
      local v = cols[c][i]
      if type(v) ~= "number" then
        error(fmt("%s: %s[%d] must be a number, got %s", fname, names[c], i,
          describe(v)), level)
      end
      k = k + 1
      buf[k] = v
    end
    if k == CHUNK then
      parts[#parts + 1] = pack(packfmt[CHUNK], unpack(buf, 1, CHUNK))
      k = 0
    end
  end
  if k > 0 then parts[#parts + 1] = pack(packfmt[k], unpack(buf, 1, k)) end
  return concat(parts)
end

-- Checks the array arguments of a series method and packs them.
local function series_data(fname, names, args, level)
  level = level + 1
  local cols, n = {}, nil
  for i, name in ipairs(names) do
    local v = args[i]
    local len = arraylen(v)
    if not len and (type(v) == "table" or type(v) == "userdata") then
      local ok, t = pcall(function() return v:totable() end)
      if ok and type(t) == "table" then v, len = t, #t end
    end
    if not len then
      error(fmt("%s: argument '%s' must be an array of numbers, got %s", fname, name,
        typename(v)), level)
    end
    if len == 0 then
      error(fmt("%s: argument '%s' is empty", fname, name), level)
    end
    if n and len ~= n then
      error(fmt("%s: arguments '%s' and '%s' have different lengths (%d and %d)",
        fname, names[1], name, n, len), level)
    end
    n = n or len
    cols[i] = v
  end
  local packed = pack_columns(fname, names, cols, n, level)
  -- a thinned copy of the points, for placing the key where it hides nothing
  local step = math.max(1, n // 400)
  local sample = {}
  for c = 1, #cols do sample[c] = {} end
  local i = 1
  while true do
    for c = 1, #cols do sample[c][#sample[c] + 1] = cols[c][i] end
    if i == n then break end
    i = math.min(n, i + step)
  end
  return packed, n, sample
end


-- Packs a heat map's data for the terminal: the z grid for an image, one box per cell
-- (x, y, xlo, xhi, ylo, yhi, z) otherwise, or (x, y, z) at most cols x rows for text.
local function heatmap_data(s, dumb)
  local xs, ys, z, nx = s.xs, s.ys, s.z, #s.xs
  local cols = {}
  if dumb then
    local si, sj = math.max(1, math.ceil(nx / 60)), math.max(1, math.ceil(#ys / 24))
    for j = 1, #ys, sj do
      for i = 1, nx, si do
        local v = z[(j - 1) * nx + i]
        if isfinite(v) then cols[#cols + 1] = { xs[i], ys[j], v } end
      end
    end
    s.ncol, s.n = 3, #cols
  elseif s.image then
    s.ncol, s.n = 1, #z
    return pack_columns("mf.plot:heatmap", { "z" }, { z }, #z, 1)
  else
    for j = 1, #ys do
      for i = 1, nx do
        cols[#cols + 1] = { xs[i], ys[j], s.ex[i], s.ex[i + 1], s.ey[j], s.ey[j + 1], z[(j - 1) * nx + i] }
      end
    end
    s.ncol, s.n = 7, #cols
  end
  local parts = {}
  for k, c in ipairs(cols) do parts[k] = string.pack("=" .. ("d"):rep(#c), table.unpack(c)) end
  return concat(parts)
end

M.CHUNK, M.packfmt = CHUNK, packfmt
M.arraylen, M.pack_columns, M.series_data, M.heatmap_data = arraylen, pack_columns, series_data, heatmap_data
return M
