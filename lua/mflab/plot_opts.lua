--- mflab.plot_opts — the options of mf.plot, checked by the project's schema checker.
local U = require "mflab.plot_util"
local schema = require "mflab.schema"
local M = {}
local fmt = string.format
local concat = table.concat
local isfinite, describe, typename = U.isfinite, U.describe, U.typename
------------------------------------------------------------------------------
-- option checking
------------------------------------------------------------------------------

local KEY_WORDS = {}
for w in ([[top bottom left right center inside outside above below over under
  box nobox horizontal vertical reverse noreverse opaque noopaque Left Right
  lmargin rmargin tmargin bmargin]]):gmatch("%S+") do KEY_WORDS[w] = true end

local DASHES = { solid = 1, dash = 2, dashed = 2, dot = 3, dotted = 3,
  dashdot = 4, dashdotdot = 5 }

-- Each checker returns the (normalized) value, or nil and a description of
-- what was expected.
local check = {}

function check.string(v)
  if type(v) == "string" then return v end
  return nil, "a string"
end

function check.boolean(v)
  if type(v) == "boolean" then return v end
  return nil, "a boolean"
end

function check.posnum(v)
  if isfinite(v) and v > 0 then return v end
  return nil, "a positive number"
end

function check.unit(v)
  if isfinite(v) and v >= 0 and v <= 1 then return v end
  return nil, "a number between 0 and 1"
end

function check.posint(v)
  if math.type(v) == "integer" and v > 0 then return v end
  if isfinite(v) and v > 0 and v == math.floor(v) then return math.tointeger(v) end
  return nil, "a positive integer"
end

function check.gridn(v)
  local n = check.posint(v)
  if n and n >= 2 and n <= 10000 then return n end
  return nil, "an integer between 2 and 10000"
end

function check.marker(v)
  if math.type(v) == "integer" and v >= 0 and v <= 100 then return v end
  return nil, "a point type (integer 0..100)"
end

function check.range(v)
  local want = "{lo, hi} with numbers (or \"*\" for autoscale), lo ~= hi"
  if type(v) ~= "table" or #v ~= 2 then return nil, want end
  for k in pairs(v) do
    if k ~= 1 and k ~= 2 then return nil, want end
  end
  local lo, hi = v[1], v[2]
  for _, e in ipairs { lo, hi } do
    if not (isfinite(e) or e == "*") then return nil, want end
  end
  if lo == hi and lo ~= "*" then return nil, want end
  return { lo, hi }
end

function check.size(v)
  local want = "{width, height} in pixels (integers 16..20000)"
  if type(v) ~= "table" or #v ~= 2 then return nil, want end
  local w, h = check.posint(v[1]), check.posint(v[2])
  if not (w and h and w >= 16 and h >= 16 and w <= 20000 and h <= 20000) then
    return nil, want
  end
  return { w, h }
end

function check.layout(v)
  local want = "{rows, cols} (positive integers, at most 100 panels)"
  if type(v) ~= "table" or #v ~= 2 then return nil, want end
  local r, c = check.posint(v[1]), check.posint(v[2])
  if not (r and c and r * c <= 100) then return nil, want end
  return { r, c }
end

function check.key(v)
  local want = "false or a string of key placement words such as \"top left\""
  if v == false or v == "off" or v == "none" then return false end
  if v == true or v == "on" then return "top right" end
  if type(v) ~= "string" then return nil, want end
  local words = {}
  for w in v:gmatch("%S+") do
    if not KEY_WORDS[w] then
      return nil, want .. " (unknown word '" .. w .. "')"
    end
    words[#words + 1] = w
  end
  return concat(words, " ")
end

function check.color(v)
  local want = "a colour name or \"#rrggbb\""
  if type(v) ~= "string" then return nil, want end
  if v:match("^#%x%x%x%x%x%x$") or v:match("^#%x%x%x%x%x%x%x%x$")
      or v:match("^%a[%w_%-]*$") then
    return v
  end
  return nil, want
end

function check.dash(v)
  local want = "\"solid\", \"dash\", \"dot\", \"dashdot\", \"dashdotdot\", "
    .. "true, an integer dash type or a pattern of \".-_ \""
  if v == true then return 2 end
  if v == false then return 1 end
  if math.type(v) == "integer" and v >= 1 then return v end
  if type(v) == "string" then
    if DASHES[v] then return DASHES[v] end
    if v:match("^[%.%-_ ]+$") then return v end
  end
  return nil, want
end

function check.quantiles(v)
  local want = "{qlo, qhi} with 0 <= qlo < qhi <= 1"
  if type(v) ~= "table" or #v ~= 2 then return nil, want end
  local a, b = v[1], v[2]
  if not (isfinite(a) and isfinite(b) and a >= 0 and a < b and b <= 1) then return nil, want end
  return { a, b }
end

function check.levels(v)
  local want = "a positive integer or an array of numbers"
  if type(v) == "table" then
    if #v == 0 then return nil, want end
    local out = {}
    for i = 1, #v do
      if not isfinite(v[i]) then return nil, want end
      out[i] = v[i]
    end
    for k in pairs(v) do
      if math.type(k) ~= "integer" or k < 1 or k > #v then return nil, want end
    end
    return out
  end
  local n = check.posint(v)
  if n and n <= 1000 then return n end
  return nil, want
end

-- Heat-map colour maps: name -> colours from low to high.
M.PALETTES = {
  viridis = { "#440154", "#3b528b", "#21918c", "#5ec962", "#c8b800" },
  magma = { "#000004", "#51127c", "#b73779", "#fc8961", "#fcfdbf" },
  gray = { "#000000", "#ffffff" },
  coolwarm = { "#3b4cc0", "#8db0fe", "#dddddd", "#f4987a", "#b40426" },
}

function check.palette(v)
  local names = {}
  for k in pairs(M.PALETTES) do names[#names + 1] = k end
  table.sort(names)
  local want = "a palette name (" .. concat(names, ", ") .. ") or an array of at least 2 colours"
  if type(v) == "string" then
    if M.PALETTES[v] then return M.PALETTES[v] end
    return nil, want
  end
  if type(v) ~= "table" or #v < 2 then return nil, want end
  local out = {}
  for i = 1, #v do
    local c = check.color(v[i])
    if not c then return nil, want end
    out[i] = c
  end
  return out
end

-- The plot kinds, registered in the shared checker as "plot.<kind>".
for kind, fn in pairs(check) do
  schema.kinds["plot." .. kind] = function(v)
    local val, want = fn(v)
    return val ~= nil, want
  end
end

local function S(fname, doc, list)
  local options = {}
  for i, o in ipairs(list) do
    options[i] = { name = o[1], kind = "plot." .. o[2], doc = o[3] }
  end
  return schema.new(fname, options, doc)
end

local TITLE = { "title", "string", "a title (newlines allowed; long ones are wrapped)" }
local RANGES = {
  { "xrange", "range", "{lo, hi}; either end may be \"*\" (autoscale)" },
  { "yrange", "range", "{lo, hi}; either end may be \"*\" (autoscale)" },
}
local AXES = {
  TITLE, { "xlabel", "string", "x axis label" }, { "ylabel", "string", "y axis label" },
  { "logx", "boolean", "logarithmic x axis" }, { "logy", "boolean", "logarithmic y axis" },
  RANGES[1], RANGES[2],
  { "key", "key", "where the key goes: words among top bottom left right center inside "
    .. "outside above below box opaque ...; false hides it; default: a corner where it hides "
    .. "no data, else outside" },
}
local function with(list, ...)
  local out = {}
  for _, o in ipairs(list) do out[#out + 1] = o end
  for _, o in ipairs { ... } do out[#out + 1] = o end
  return out
end

M.schemas = {
  FIGURE_OPTS = S("mf.plot", "a figure; with a layout, the axis options are defaults for every panel", with(AXES,
    { "size", "size", "{width, height} in pixels (default {800, 600})" },
    { "layout", "layout", "{rows, cols} panels (default {1, 1})" },
    { "enhanced", "boolean", "gnuplot enhanced text (x^2, x_1) in titles and labels" })),
  PANEL_OPTS = S("mf.plot:panel", "selects a panel and sets its own axis options", AXES),
  LINE_OPTS = S("mf.plot:line", "a line through the points (x[i], y[i]); NaN breaks it", {
    TITLE, { "width", "posnum", "line width (default 1.5)" },
    { "color", "color", "a colour name or \"#rrggbb\" (default: the next of the cycle)" },
    { "dash", "dash", "\"solid\", \"dash\", \"dot\", \"dashdot\", \"dashdotdot\" or a pattern "
      .. "(default: solid, then the cycle's next dash once the colours are used up)" } }),
  POINTS_OPTS = S("mf.plot:points", "a marker at every point (x[i], y[i])", {
    TITLE, { "size", "posnum", "point size (default 0.6)" },
    { "color", "color", "a colour name or \"#rrggbb\" (default: the next of the cycle)" },
    { "marker", "marker", "a gnuplot point type 0..100 (default: filled circle, then the cycle)" } }),
  BAND_OPTS = S("mf.plot:band", "a shaded band between lo and hi, or from a result r: mean -/+ k std "
    .. "or two quantiles of an observable over r.t", {
    TITLE, { "color", "color", "fill colour (default: that of the matching line)" },
    { "alpha", "unit", "opacity 0..1 (default 0.25)" },
    { "k", "posnum", "p:band(r, name) only: half-width in standard deviations (default 1)" },
    { "quantiles", "quantiles", "p:band(r, name) only: {qlo, qhi}, a band between two "
      .. "quantiles over the seeds instead" } }),
  CONTOUR_OPTS = S("mf.plot:contour", "contour lines of f(x, y) sampled on an n x n grid", {
    RANGES[1], RANGES[2], { "n", "gridn", "grid points per side (default 100)" },
    { "levels", "levels", "number of levels (default 12) or an array of values" },
    { "logscale", "boolean", "levels spaced geometrically" },
    { "color", "color", "one colour for every level (default: the palette by level)" },
    { "width", "posnum", "line width (default 1)" } }),
  HEATMAP_OPTS = S("mf.plot:heatmap", "a colour map of f(x, y), of a grid, or of sweep rows", {
    RANGES[1], RANGES[2], { "n", "gridn", "grid points per side for a function (default 100)" },
    { "x", "string", "sweep rows: the field along x" }, { "y", "string", "sweep rows: the field along y" },
    { "z", "string", "sweep rows: the field shown as colour" },
    { "logscale", "boolean", "logarithmic colour scale" },
    { "palette", "palette", "colour map: viridis (default), magma, gray, coolwarm, or colours low to high" },
    { "title", "string", "label of the colour box" } }),
  SAVE_OPTS = S("mf.plot:save", "writes the figure whole or not at all; the extension picks the format", {
    { "timeout", "posnum", "seconds gnuplot may take (default mf.plot.timeout, 120)" } }),
}

-- Checks an options table against a schema (mflab.schema: unknown options, types and ranges
-- are errors naming the function and the option) and returns the values normalized (dash
-- names to dash types, key words joined, palettes to colours). `level` is the error level
-- seen from the caller of check_opts.
function M.check_opts(fname, opts, spec, level)
  local o = schema.check(spec, opts, level + 1)
  local out = {}
  for _, d in ipairs(spec.options) do
    local v = o[d.name]
    if v ~= nil then out[d.name] = check[d.kind:sub(6)](v) end
  end
  return out
end

M.check = check
return M
