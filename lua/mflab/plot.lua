--- mflab.plot — figures drawn by gnuplot.
--
-- Pure Lua 5.4. The module table is exposed by the library as `mf.plot`;
-- calling it creates a figure:
--
--   local p = mf.plot{ title = "x along the valley", xlabel = "step", ylabel = "x" }
--   p:line(r.t, r:mean("x1"), { title = "SGD, mean of 256" })
--   p:band(r.t, lo, hi, { title = "± 1 std" })
--   p:save("fig1.png")          -- .png .svg .pdf .txt
--   p:show()                    -- window if DISPLAY is set, else text on stdout
--   print(p:text())             -- text (gnuplot `dumb`) rendering as a string
--
-- Figure options (all optional):
--   title, xlabel, ylabel  string           (none)
--   logx, logy             boolean          false
--   xrange, yrange         {lo, hi}         autoscale; either end may be "*"
--   size                   {w, h} pixels    {800, 600}; .pdf uses w/100 x h/100 inches,
--                                           .txt uses w/8 x h/20 characters
--   layout                 {rows, cols}     {1, 1}
--   key                    string | false   "top right"; words among top bottom left
--                                           right center inside outside above below
--                                           box nobox horizontal vertical reverse
--                                           opaque Left Right; false or "off" hides it
--   enhanced               boolean          false; true turns on gnuplot enhanced text
--                                           (x^2, x_1, {/Symbol s}) in titles and labels
-- With several panels the figure title is the title over the whole layout and the
-- other options are defaults for every panel; p:panel(i, opts) overrides them.
--
-- Methods (mutating methods return the figure):
--   p:line(x, y, { title, width = 1.5, color = <cycle>, dash = "solid" })
--   p:points(x, y, { title, size = 0.6, color = <cycle>, marker = 7 })
--   p:band(x, lo, hi, { title, color = <matching line>, alpha = 0.25 })
--   p:band(r, "x1", { title, color, alpha, k = 1 })   from a result r (mf.run): over r.t,
--                  r:mean("x1") -/+ k r:std("x1")
--   p:band(r, "x1", { quantiles = {0.1, 0.9}, ... })  between two quantiles over the seeds
--                  (r:quantile(name, q) if the result has it, else from r:at(name, j);
--                  linear interpolation between order statistics, NaNs left out)
--   p:contour(f, { xrange, yrange, n = 100, levels = 12, logscale = false,
--                  color = <palette by level>, width = 1 })
--   p:heatmap(f | {x =, y =, z =} | rows, { xrange, yrange, n = 100, x, y, z,
--                  logscale = false, title })   colour map; lines added after it
--                  are drawn on top (trajectories over a landscape); in text a
--                  character per cell, darker for larger values
--   p:panel(i [, { title, xlabel, ylabel, logx, logy, xrange, yrange, key }])
--   p:set("raw gnuplot command")       -- escape hatch, also M.raw(p, cmd)
--   p:save(path [, {timeout}])  p:show()  p:text([cols, rows])  p:close()
--
-- Saving: the file is written whole or not at all. gnuplot writes a partial file beside the
-- target; it is kept only if it is non-empty and well-formed (PNG signature and IEND chunk,
-- SVG closing tag, PDF %%EOF), then fsync'd and renamed over the target, so a gnuplot that
-- writes nothing, garbage or a truncated file (a full disk) is an error and leaves the old
-- file as it was. A gnuplot that has not finished after `timeout` seconds (default
-- M.timeout = 120) is stopped and the save fails. Ctrl-C, SIGTERM, SIGHUP or even SIGKILL
-- during a save leave no temporary file, partial file or gnuplot process (see
-- lua/mflab/plot_proc.lua); a Ctrl-C that comes while the file is being finished says so:
-- "interrupted! (after mf.plot:save had written 'fig.png' completely)".
--
-- Windows: with a display, p:show() opens one gnuplot process per figure and every later
-- p:show() redraws in the same window without raising it (terminal option noraise), so a
-- loop can update a figure as it runs. p:close() ends that process; the window stays until
-- closed by hand. Errors gnuplot reports for a window come back at the next show or close.
--   M.available()  -> true, "gnuplot 5.4.4" | false, message
--
-- x, y, lo, hi are Lua arrays or any object with __len/__index (engine vectors);
-- data is copied (packed as doubles) when the series is added. NaN breaks a line.
-- Series are drawn in this order in each panel: contours, bands, then lines and
-- points in the order they were added. A band without a colour takes the colour of
-- the next line/points series added after it in its panel (else the last one before
-- it), so p:band(t, m - s, m + s) followed by p:line(t, m) match.
--
-- Module fields that may be changed:
--   M.gnuplot   = "gnuplot"  the program run (a name looked up on PATH, or a path)
--   M.tmpdir    = nil        directory for temporary files (default $TMPDIR or /tmp)
--   M.timeout   = 120        seconds a gnuplot run may take (p:save's option 'timeout')
--   M.colors    = {...}      the colour cycle
--   M.interactive_terminals = {"qt", "x11", "wxt"}  tried in order by p:show()
--   M.display   = nil        a display name; nil: $DISPLAY. Set "" to force text in show()
--
-- Raw commands given to p:set go, verbatim and unchecked, just before the plot
-- command of the panel selected at the time; gnuplot state they change carries over
-- to later panels. They are an escape hatch: they can do anything gnuplot can do.

local proc = require "mflab.plot_proc"
local schema = require "mflab.schema"

local M = {}

M.gnuplot = "gnuplot"
M.timeout = 120
M.tmpdir = nil
M.colors = {
  "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
  "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
}
M.interactive_terminals = { "qt", "x11", "wxt" }
M.default_size = { 800, 600 }

local EXTENSIONS = "use .png, .svg, .pdf or .txt"

local fmt = string.format
local concat = table.concat

------------------------------------------------------------------------------
-- the parts (each its own module)
------------------------------------------------------------------------------

local U = require "mflab.plot_util"       -- quoting, number formats, small predicates
local opt = require "mflab.plot_opts"     -- option schemas (mflab.schema) and normalization
local pack = require "mflab.plot_data"    -- series data packed as float64 records
local script = require "mflab.plot_script" -- the gnuplot script: styles, keys, panels

local shquote, gpquote, num, isfinite, typename, describe, readfile =
  U.shquote, U.gpquote, U.num, U.isfinite, U.typename, U.describe, U.readfile
local check_opts = opt.check_opts
local arraylen, pack_columns, series_data, CHUNK, packfmt =
  pack.arraylen, pack.pack_columns, pack.series_data, pack.CHUNK, pack.packfmt
local function build_script(self, term, outpath, datapath)
  return script.build(M, self, term, outpath, datapath)
end
local FIGURE_OPTS, PANEL_OPTS, LINE_OPTS, POINTS_OPTS, BAND_OPTS, CONTOUR_OPTS, HEATMAP_OPTS,
  SAVE_OPTS = opt.schemas.FIGURE_OPTS, opt.schemas.PANEL_OPTS, opt.schemas.LINE_OPTS,
  opt.schemas.POINTS_OPTS, opt.schemas.BAND_OPTS, opt.schemas.CONTOUR_OPTS,
  opt.schemas.HEATMAP_OPTS, opt.schemas.SAVE_OPTS

------------------------------------------------------------------------------
-- gnuplot discovery
------------------------------------------------------------------------------

local function probe() return proc.probe(M.gnuplot) end
local function not_found_message(prog) return proc.not_found_message(prog) end
local parse_stderr = proc.parse_stderr

--- Returns true, "gnuplot <version>" if gnuplot can be run, else false, message.
function M.available()
  local info, msg = probe()
  if info then return true, "gnuplot " .. info.version end
  return false, msg
end

------------------------------------------------------------------------------
-- temporary files
------------------------------------------------------------------------------

local Temp = {}
Temp.__index = Temp

local function tmpbase()
  local base = M.tmpdir
  if base == nil or base == "" then base = os.getenv("TMPDIR") end
  if base == nil or base == "" then base = "/tmp" end
  return base
end

local function new_temp()
  local self = setmetatable({ files = {} }, Temp)
  local p = io.popen("mktemp -d " .. shquote(tmpbase() .. "/mflab-plot.XXXXXX")
    .. " 2>/dev/null", "r")
  local dir = p and p:read("l")
  if p then p:close() end
  if dir and dir ~= "" then
    self.dir = dir
    self.prefix = dir .. "/"
    self.token = dir:match("([^/]*)$"):gsub("^mflab%-plot%.", "")
  else
    -- no mktemp: reserve a name with os.tmpname and derive names from it
    local name = os.tmpname()
    self.files[1] = name
    self.prefix = name .. "."
    self.token = name:match("([^/]*)$")
  end
  return self
end

function Temp:path(name)
  local p = self.prefix .. name
  self.files[#self.files + 1] = p
  return p
end

function Temp:cleanup()
  for i = #self.files, 1, -1 do os.remove(self.files[i]) end
  self.files = {}
  if self.dir then os.remove(self.dir); self.dir = nil end
end

------------------------------------------------------------------------------
-- figures
------------------------------------------------------------------------------

local Figure = {}
Figure.__index = Figure
Figure.__name = "mf.plot figure"

local function check_self(self, fname, level)
  if getmetatable(self) ~= Figure then
    error(fmt("%s: expected a figure as self (call it as p:%s(...))", fname,
      fname:match("[^:]*$")), level + 1)
  end
end

local function new_figure(opts, level)
  level = level + 1
  local o = check_opts("mf.plot", opts, FIGURE_OPTS, level)
  local layout = o.layout or { 1, 1 }
  local self = setmetatable({
    opts = o,
    size = o.size or { M.default_size[1], M.default_size[2] },
    layout = layout,
    npanels = layout[1] * layout[2],
    panels = {},
    current = 1,
  }, Figure)
  for i = 1, self.npanels do
    self.panels[i] = { opts = {}, series = {}, raw = {} }
  end
  return self
end

setmetatable(M, {
  __call = function(_, opts)
    local f = new_figure(opts, 2)
    return f
  end,
})

--- M.new(opts) is the same as M(opts).
function M.new(opts)
  local f = new_figure(opts, 2)
  return f
end

function Figure:__tostring()
  local n = 0
  for _, pn in ipairs(self.panels) do n = n + #pn.series end
  return fmt("mf.plot figure (%d panel%s, %d series)", self.npanels,
    self.npanels == 1 and "" or "s", n)
end

local function add_series(self, s)
  local pn = self.panels[self.current]
  pn.series[#pn.series + 1] = s
  return self
end

--- p:line(x, y [, {title, width, color, dash}])
function Figure:line(x, y, opts)
  check_self(self, "mf.plot:line", 2)
  local o = check_opts("mf.plot:line", opts, LINE_OPTS, 2)
  local data, n, sample = series_data("mf.plot:line", { "x", "y" }, { x, y }, 2)
  return add_series(self, { kind = "line", data = data, n = n, ncol = 2, o = o, sample = sample })
end

--- p:points(x, y [, {title, size, color, marker}])
function Figure:points(x, y, opts)
  check_self(self, "mf.plot:points", 2)
  local o = check_opts("mf.plot:points", opts, POINTS_OPTS, 2)
  local data, n, sample = series_data("mf.plot:points", { "x", "y" }, { x, y }, 2)
  return add_series(self, { kind = "points", data = data, n = n, ncol = 2, o = o, sample = sample })
end

-- The band of a result's observable: x = r.t, and mean -/+ k std, or two quantiles (from
-- r:quantile(name, q) when the result has it, else from every seed's value, r:at(name, j),
-- interpolated linearly between order statistics as numpy's default).
local function result_band(fname, r, name, o, level)
  level = level + 1
  local function get(key)
    local ok, v = pcall(function() return r[key] end)
    if ok then return v end
  end
  local t = get("t")
  if arraylen(t) == nil then
    error(fmt("%s: argument 'r' must be a result with times r.t (from mf.run), got %s", fname,
      typename(r)), level)
  end
  local function call(method, ...)
    local f = get(method)
    if type(f) ~= "function" then return nil end
    local ok, v = pcall(f, r, ...)
    if not ok then error(fmt("%s: %s", fname, tostring(v):gsub("^[^:]*:%d+: ", "")), level + 1) end
    return v
  end
  local lo, hi = {}, {}
  if o.quantiles then
    local qa, qb = o.quantiles[1], o.quantiles[2]
    -- r:quantile when the result kept those levels (statistics-only runs), else the seeds
    local a, b, qerr = nil, nil, nil
    local fq = get("quantile")
    if type(fq) == "function" then
      local ok, v = pcall(fq, r, name, qa)
      if ok then a = v else qerr = tostring(v):gsub("^[^:]*:%d+: ", "") end
    end
    if a ~= nil then
      b = call("quantile", name, qb)
    else
      local fat = get("at")
      local ok, v1 = false, nil
      if type(fat) == "function" then ok, v1 = pcall(fat, r, name, 1) end
      if not ok or (type(v1) ~= "table" and not schema.isvector(v1)) or #v1 == 0 then -- (a statistics-only result has no seeds)
        error(fmt("%s: option 'quantiles' needs a result with r:quantile or r:at%s", fname,
          qerr and (" (" .. qerr .. ")") or ""), level)
      end
      a, b = {}, {}
      local function q(sorted, p)
        local h = (#sorted - 1) * p + 1
        local i = math.floor(h)
        if i >= #sorted then return sorted[#sorted] end
        return sorted[i] + (h - i) * (sorted[i + 1] - sorted[i])
      end
      for j = 1, #t do
        local v = call("at", name, j)
        local fin = {}
        for _, x in ipairs(v) do if x == x then fin[#fin + 1] = x end end
        table.sort(fin)
        a[j] = #fin > 0 and q(fin, qa) or 0 / 0
        b[j] = #fin > 0 and q(fin, qb) or 0 / 0
      end
    end
    lo, hi = a, b
  else
    local m, sd = call("mean", name), call("std", name)
    if m == nil or sd == nil then
      error(fmt("%s: argument 'r' must be a result with r:mean and r:std", fname), level)
    end
    local k = o.k or 1
    for j = 1, #t do
      lo[j] = m[j] - k * sd[j]
      hi[j] = m[j] + k * sd[j]
    end
  end
  return t, lo, hi
end

--- p:band(x, lo, hi [, {title, color, alpha}])
--- p:band(r, name [, {title, color, alpha, k = 1, quantiles = {qlo, qhi}}])
function Figure:band(x, lo, hi, opts)
  check_self(self, "mf.plot:band", 2)
  if type(lo) == "string" then -- p:band(r, "x1" [, opts]): from a result
    local o = check_opts("mf.plot:band", hi, BAND_OPTS, 2)
    if opts ~= nil then
      error("mf.plot:band: p:band(r, name [, opts]) takes 3 arguments, got a 4th", 2)
    end
    local t, a, b = result_band("mf.plot:band", x, lo, o, 2)
    local data, n, sample = series_data("mf.plot:band", { "r.t", "lo", "hi" }, { t, a, b }, 2)
    return add_series(self, { kind = "band", data = data, n = n, ncol = 3, o = o, sample = sample })
  end
  local o = check_opts("mf.plot:band", opts, BAND_OPTS, 2)
  for _, k in ipairs { "k", "quantiles" } do
    if o[k] ~= nil then
      error(fmt("mf.plot:band: option '%s' is for a band from a result, p:band(r, name, {%s = ...})",
        k, k), 2)
    end
  end
  local data, n, sample = series_data("mf.plot:band", { "x", "lo", "hi" }, { x, lo, hi }, 2)
  return add_series(self, { kind = "band", data = data, n = n, ncol = 3, o = o, sample = sample })
end

--- p:contour(f [, {xrange, yrange, n, levels, logscale, color, width}])
function Figure:contour(f, opts)
  local fname = "mf.plot:contour"
  check_self(self, fname, 2)
  local ok = type(f) == "function"
  if not ok then
    local mt = getmetatable(f)
    ok = type(mt) == "table" and mt.__call ~= nil
  end
  if not ok then
    error(fmt("%s: argument 'f' must be a function f(x, y), got %s", fname, typename(f)), 2)
  end
  local o = check_opts(fname, opts, CONTOUR_OPTS, 2)
  local pn = self.panels[self.current]
  local function numeric(r)
    return r and isfinite(r[1]) and isfinite(r[2]) and r or nil
  end
  local xr = o.xrange or numeric(pn.opts.xrange) or numeric(self.opts.xrange)
  local yr = o.yrange or numeric(pn.opts.yrange) or numeric(self.opts.yrange)
  for _, a in ipairs { { "xrange", xr }, { "yrange", yr } } do
    if not numeric(a[2]) then
      error(fmt("%s: option '%s' is required (two numbers) unless the panel has a numeric %s",
        fname, a[1], a[1]), 2)
    end
  end
  local n = o.n or 100
  local x0, x1, y0, y1 = xr[1], xr[2], yr[1], yr[2]
  local dx, dy = (x1 - x0) / (n - 1), (y1 - y0) / (n - 1)
  local parts, buf, k = {}, {}, 0
  local zmin, zmax, pmin = math.huge, -math.huge, math.huge
  local pack, unpack = string.pack, table.unpack
  for j = 0, n - 1 do
    local y = (j == n - 1) and y1 or y0 + j * dy
    for i = 0, n - 1 do
      local x = (i == n - 1) and x1 or x0 + i * dx
      local z = f(x, y)
      if type(z) ~= "number" then
        error(fmt("%s: f(%s, %s) returned %s, expected a number", fname, num(x), num(y),
          describe(z)), 2)
      end
      if isfinite(z) then
        if z < zmin then zmin = z end
        if z > zmax then zmax = z end
        if z > 0 and z < pmin then pmin = z end
      end
      k = k + 1
      buf[k] = z
      if k == CHUNK then
        parts[#parts + 1] = pack(packfmt[CHUNK], unpack(buf, 1, CHUNK))
        k = 0
      end
    end
  end
  if k > 0 then parts[#parts + 1] = pack(packfmt[k], unpack(buf, 1, k)) end
  local levels = o.levels or 12
  local cntr
  if type(levels) == "table" then
    local vs = {}
    for i, v in ipairs(levels) do vs[i] = num(v) end
    cntr = "levels discrete " .. concat(vs, ",")
  elseif o.logscale then
    if not (pmin < math.huge and zmax > pmin) then
      error(fmt("%s: logscale needs positive values of f that are not all equal", fname), 2)
    end
    local vs, la, lb = {}, math.log(pmin), math.log(zmax)
    for i = 1, levels do
      vs[i] = fmt("%.10g", math.exp(la + (lb - la) * i / (levels + 1)))
    end
    cntr = "levels discrete " .. concat(vs, ",")
  else
    cntr = "levels auto " .. levels
  end
  return add_series(self, {
    kind = "contour", data = concat(parts), n = n * n, ncol = 1, o = o,
    grid = { n = n, x0 = x0, y0 = y0, dx = dx, dy = dy }, cntrparam = cntr,
  })
end

-- Cell edges of sorted centres c (geometric midpoints when geometric is set).
local function edges(c, geometric)
  local n, e = #c, {}
  if n == 1 then return { c[1] - 0.5, c[1] + 0.5 } end
  local function mid(a, b) return geometric and math.sqrt(a * b) or (a + b) / 2 end
  for i = 2, n do e[i] = mid(c[i - 1], c[i]) end
  e[1] = geometric and c[1] * c[1] / e[2] or 2 * c[1] - e[2]
  e[n + 1] = geometric and c[n] * c[n] / e[n] or 2 * c[n] - e[n]
  return e
end

local function uniform(c)
  if #c < 2 then return true end
  local d = (c[#c] - c[1]) / (#c - 1)
  for i = 2, #c do
    if math.abs((c[i] - c[i - 1]) - d) > 1e-9 * math.abs(d) then return false end
  end
  return true
end

local function numbers_of(fname, what, v, level)
  local n = arraylen(v)
  if not n or n == 0 then
    error(fmt("%s: %s must be a non-empty array of numbers, got %s", fname, what, typename(v)), level + 1)
  end
  local out = {}
  for i = 1, n do
    if not isfinite(v[i]) then
      error(fmt("%s: %s[%d] must be a finite number, got %s", fname, what, i, describe(v[i])), level + 1)
    end
    out[i] = v[i]
  end
  return out
end

local function increasing(fname, what, c, level)
  for i = 2, #c do
    if not (c[i] > c[i - 1]) then
      error(fmt("%s: %s must be increasing (%s[%d] = %s, %s[%d] = %s)", fname, what, what, i - 1,
        num(c[i - 1]), what, i, num(c[i])), level + 1)
    end
  end
end

--- p:heatmap(src [, {xrange, yrange, n, x, y, z, logscale, title}])
-- src: a function f(x, y) sampled on an n x n grid over xrange x yrange; a grid
-- {x = {...}, y = {...}, z = {{...}, ...}} with z[j][i] the value at (x[i], y[j]); or sweep
-- rows {{lr = .., mu = .., T = ..}, ...} with options x, y, z naming the fields. Missing grid
-- points (and NaN) are left blank. title labels the colour box.
function Figure:heatmap(src, opts)
  local fname = "mf.plot:heatmap"
  check_self(self, fname, 2)
  local o = check_opts(fname, opts, HEATMAP_OPTS, 2)
  local xs, ys, z = nil, nil, {}
  local callable = type(src) == "function" or (type(getmetatable(src)) == "table" and getmetatable(src).__call)
  if callable then
    local pn = self.panels[self.current]
    local function numeric(r) return r and isfinite(r[1]) and isfinite(r[2]) and r or nil end
    local xr = o.xrange or numeric(pn.opts.xrange) or numeric(self.opts.xrange)
    local yr = o.yrange or numeric(pn.opts.yrange) or numeric(self.opts.yrange)
    for _, a in ipairs { { "xrange", xr }, { "yrange", yr } } do
      if not numeric(a[2]) then
        error(fmt("%s: option '%s' is required (two numbers) unless the panel has a numeric %s",
          fname, a[1], a[1]), 2)
      end
    end
    local n = o.n or 100
    xs, ys = {}, {}
    for i = 0, n - 1 do
      xs[i + 1] = i == n - 1 and xr[2] or xr[1] + i * (xr[2] - xr[1]) / (n - 1)
      ys[i + 1] = i == n - 1 and yr[2] or yr[1] + i * (yr[2] - yr[1]) / (n - 1)
    end
    for j = 1, n do
      for i = 1, n do
        local v = src(xs[i], ys[j])
        if type(v) ~= "number" then
          error(fmt("%s: f(%s, %s) returned %s, expected a number", fname, num(xs[i]), num(ys[j]),
            describe(v)), 2)
        end
        z[#z + 1] = v
      end
    end
  elseif type(src) == "table" and src.z ~= nil then
    xs = numbers_of(fname, "grid.x", src.x, 2)
    ys = numbers_of(fname, "grid.y", src.y, 2)
    increasing(fname, "grid.x", xs, 2)
    increasing(fname, "grid.y", ys, 2)
    if arraylen(src.z) ~= #ys then
      error(fmt("%s: grid.z must have one row per y (%d rows), got %s", fname, #ys,
        tostring(arraylen(src.z) or typename(src.z))), 2)
    end
    for j = 1, #ys do
      local row = src.z[j]
      if arraylen(row) ~= #xs then
        error(fmt("%s: grid.z[%d] must have one value per x (%d), got %s", fname, j, #xs,
          tostring(arraylen(row) or typename(row))), 2)
      end
      for i = 1, #xs do
        if type(row[i]) ~= "number" then
          error(fmt("%s: grid.z[%d][%d] must be a number, got %s", fname, j, i, describe(row[i])), 2)
        end
        z[#z + 1] = row[i]
      end
    end
  elseif type(src) == "table" and type(src[1]) == "table" then
    for _, k in ipairs { "x", "y", "z" } do
      if not o[k] then
        error(fmt("%s: option '%s' (a field name) is required for sweep rows", fname, k), 2)
      end
    end
    local xv, yv, cells = {}, {}, {}
    for r = 1, #src do
      local row = src[r]
      if type(row) ~= "table" then
        error(fmt("%s: rows[%d] must be a table with fields %s, %s and %s, got %s", fname, r,
          o.x, o.y, o.z, describe(row)), 2)
      end
      for _, k in ipairs { "x", "y", "z" } do
        local v = row[o[k]]
        if v == nil then
          error(fmt("%s: rows[%d].%s is missing (nil)%s", fname, r, o[k], k == "z"
            and "; give 0/0 (NaN) for a cell left blank" or ""), 2)
        elseif not isfinite(v) and not (k == "z" and type(v) == "number") then
          error(fmt("%s: rows[%d].%s must be a number%s, got %s", fname, r, o[k],
            k == "z" and "" or " (finite)", describe(v)), 2)
        end
      end
      local key = num(row[o.x]) .. " " .. num(row[o.y])
      if cells[key] then
        error(fmt("%s: rows %d and %d have the same %s and %s", fname, cells[key].r, r, o.x, o.y), 2)
      end
      cells[key] = { r = r, z = row[o.z] }
      xv[row[o.x]], yv[row[o.y]] = true, true
    end
    xs, ys = {}, {}
    for v in pairs(xv) do xs[#xs + 1] = v end
    for v in pairs(yv) do ys[#ys + 1] = v end
    table.sort(xs)
    table.sort(ys)
    for j = 1, #ys do
      for i = 1, #xs do
        local c = cells[num(xs[i]) .. " " .. num(ys[j])]
        z[#z + 1] = c and c.z or 0 / 0
      end
    end
  else
    error(fmt("%s: argument 'src' must be a function f(x, y), a grid {x =, y =, z =} or sweep rows, got %s",
      fname, typename(src)), 2)
  end
  local zmin, zmax = math.huge, -math.huge
  for k = 1, #z do
    local v = z[k]
    if isfinite(v) and not (o.logscale and v <= 0) then
      if v < zmin then zmin = v end
      if v > zmax then zmax = v end
    end
  end
  if zmin > zmax then
    error(fmt("%s: no finite%s values to show", fname, o.logscale and " positive" or ""), 2)
  end
  local logx, logy = self.panels[self.current].opts.logx, self.panels[self.current].opts.logy
  if logx == nil then logx = self.opts.logx end
  if logy == nil then logy = self.opts.logy end
  local ex, ey = edges(xs, logx and xs[1] > 0), edges(ys, logy and ys[1] > 0)
  return add_series(self, {
    kind = "heatmap", o = o, xs = xs, ys = ys, z = z, zmin = zmin, zmax = zmax,
    image = uniform(xs) and uniform(ys) and #xs > 1 and #ys > 1 and not logx and not logy,
    ex = ex, ey = ey, n = #z,
  })
end


--- p:panel(i [, opts]) selects panel i (row-major, 1-based) and updates its options.
function Figure:panel(i, opts)
  check_self(self, "mf.plot:panel", 2)
  if math.type(i) ~= "integer" or i < 1 or i > self.npanels then
    error(fmt("mf.plot:panel: panel index must be an integer 1..%d, got %s",
      self.npanels, describe(i)), 2)
  end
  local o = check_opts("mf.plot:panel", opts, PANEL_OPTS, 2)
  local po = self.panels[i].opts
  for k, v in pairs(o) do po[k] = v end
  self.current = i
  return self
end

--- p:set(cmd) appends a raw gnuplot command to the current panel (escape hatch).
function Figure:set(cmd)
  check_self(self, "mf.plot:set", 2)
  if type(cmd) ~= "string" then
    error(fmt("mf.plot:set: argument 'cmd' must be a string, got %s", typename(cmd)), 2)
  end
  local raw = self.panels[self.current].raw
  for line in (cmd .. "\n"):gmatch("([^\n]*)\n") do raw[#raw + 1] = line end
  return self
end

--- M.raw(p, cmd) is p:set(cmd).
function M.raw(p, cmd)
  check_self(p, "mf.plot.raw", 2)
  if type(cmd) ~= "string" then
    error(fmt("mf.plot.raw: argument 'cmd' must be a string, got %s", typename(cmd)), 2)
  end
  p:set(cmd)
  return p
end

------------------------------------------------------------------------------
-- running gnuplot
------------------------------------------------------------------------------

local function has_data(self)
  for _, pn in ipairs(self.panels) do
    if #pn.series > 0 or #pn.raw > 0 then return true end
  end
  return false
end

local function has_log(self)
  if self.opts.logx or self.opts.logy then return true end
  for _, pn in ipairs(self.panels) do
    if pn.opts.logx or pn.opts.logy then return true end
  end
  return false
end

-- Renders the figure with the given terminal through one supervised gnuplot job (see
-- mflab.plot_proc): to the file `target` (written whole or not at all), or, with target nil,
-- to text that is returned. Errors carry no position; `what` names the function.
local function render(self, term, target, kind, timeout, what)
  local info, msg = probe()
  if not info then error(msg, 0) end
  local lines
  local res = proc.run {
    gnuplot = M.gnuplot, tmpbase = tmpbase(), timeout = timeout or M.timeout,
    target = target, kind = kind,
    build = function(dir, part)
      local data
      lines, data = build_script(self, term, part or (dir .. "/out.txt"), dir .. "/data.bin")
      return concat(lines, "\n") .. "\n", data
    end,
  }
  local where = target and fmt("; '%s' was not written", target) or ""
  if res.interrupted then
    if res.status == "ok" and target then
      error(fmt("%s (after %s had written '%s' completely)", tostring(res.interrupted), what,
        target), 0)
    end
    error(fmt("%s (%s stopped%s)", tostring(res.interrupted), what, where), 0)
  end
  if res.error then error(res.error, 0) end
  local st = res.status
  if st == "signal" then
    error(fmt("%s: interrupted (SIG%s)%s", what, res.detail, where), 0)
  elseif st == "tmp" then
    error(fmt("mf.plot: %s (set mf.plot.tmpdir or TMPDIR)", res.detail), 0)
  elseif st == "write" then
    error(fmt("%s: cannot write '%s': %s", what, target, res.detail), 0)
  elseif st == "lost" or st == "abort" then
    error(fmt("%s: the gnuplot job ended without a report%s", what, where), 0)
  elseif st == "timeout" then
    error(fmt("%s: gnuplot did not finish within %s s and was stopped%s (the limit is "
      .. "mf.plot.timeout, or the option 'timeout')", what, res.detail, where), 0)
  end
  local code = tonumber(res.detail)
  local errtext = res.stderr
  local err, warnings = parse_stderr(errtext, lines or {}, (res.dir or "") .. "/script.gp")
  if st == "exit" and (code == 127 or code == 126) and not err then
    proc.forget(M.gnuplot)
    error(not_found_message(M.gnuplot), 0)
  end
  if err then
    if err:find("value undefined", 1, true) and has_log(self) then
      err = err .. " (a log axis drops values <= 0)"
    end
    error("mf.plot: gnuplot: " .. err .. where, 0)
  end
  if st == "exit" then
    local last = errtext:gsub("%s+$", ""):match("[^\n]*$")
    error(fmt("mf.plot: gnuplot: exited with status %s%s%s", res.detail,
      last ~= "" and (": " .. last) or "", where), 0)
  elseif st == "invalid" then
    error(fmt("%s: %s%s", what, res.detail, where), 0)
  elseif st ~= "ok" then
    error(fmt("%s: gnuplot job failed (%s %s)%s", what, st, res.detail, where), 0)
  end
  for _, w in ipairs(warnings) do
    io.stderr:write("mf.plot: gnuplot ", (w:gsub("^[Ww]arning", "warning")), "\n")
  end
  return res.output
end

-- Re-raises an "mf.plot" error at `level` (seen from the caller of rethrow's caller).
local function rethrow(level, ok, ...)
  if ok then return ... end
  local res = ...
  if type(res) == "string" and res:match("^mf%.plot") then error(res, level + 1) end
  error(res, 0)
end

local function dumb_term(cols, rows)
  return { line = fmt("set terminal dumb size %d,%d nofeed mono", cols, rows), dumb = true,
    cols = cols, rows = rows }
end

local function env_size()
  local c = math.tointeger(tonumber(os.getenv("COLUMNS") or ""))
  local l = math.tointeger(tonumber(os.getenv("LINES") or ""))
  local cols = (c and c >= 20) and c or 100
  local rows = (l and l >= 11) and (l - 1) or 30
  return cols, rows
end

local function terminal_for(self, ext, info, level)
  local w, h = self.size[1], self.size[2]
  if ext == "png" then
    if info.terminals.pngcairo then
      return { line = fmt("set terminal pngcairo size %d,%d background rgb 'white'", w, h) }
    elseif info.terminals.png then
      return { line = fmt("set terminal png size %d,%d background rgb 'white'", w, h) }
    end
    error("mf.plot:save: this gnuplot has neither the pngcairo nor the png terminal", level + 1)
  elseif ext == "svg" then
    if not info.terminals.svg then
      error("mf.plot:save: this gnuplot has no svg terminal", level + 1)
    end
    return { line = fmt("set terminal svg size %d,%d fixed background rgb 'white'", w, h), kind = "svg" }
  elseif ext == "pdf" then
    if not info.terminals.pdfcairo then
      error("mf.plot:save: this gnuplot has no pdfcairo terminal", level + 1)
    end
    return { line = fmt("set terminal pdfcairo size %.2fin,%.2fin", w / 100, h / 100), kind = "pdf" }
  elseif ext == "txt" then
    return dumb_term(math.max(20, math.floor(w / 8 + 0.5)), math.max(10, math.floor(h / 20 + 0.5)))
  end
end

local function check_drawable(self, fname, level)
  if not has_data(self) then
    error(fname .. ": nothing to plot (add a series with line, points, band or contour)",
      level + 1)
  end
  local info, msg = probe()
  if not info then error(msg, level + 1) end
  return info
end

--- p:save(path): writes the figure; the terminal is chosen by the extension.
function Figure:save(path, opts)
  local fname = "mf.plot:save"
  check_self(self, fname, 2)
  if type(path) ~= "string" or path == "" then
    error(fmt("%s: argument 'path' must be a file name, got %s", fname, describe(path)), 2)
  end
  local dir, base = path:match("^(.*/)([^/]*)$")
  if not dir then dir, base = "", path end
  local ext = base:match("%.([^.]+)$")
  if not ext or base:match("^%.[^.]*$") then
    error(fmt("%s: file name '%s' has no extension (%s)", fname, path, EXTENSIONS), 2)
  end
  local lext = ext:lower()
  if not (lext == "png" or lext == "svg" or lext == "pdf" or lext == "txt") then
    error(fmt("%s: unknown file extension '.%s' in '%s' (%s)", fname, ext, path, EXTENSIONS), 2)
  end
  if path:find("\n", 1, true) then
    error(fmt("%s: file name %q contains a newline", fname, path), 2)
  end
  local o = check_opts(fname, opts, SAVE_OPTS, 2)
  local info = check_drawable(self, fname, 2)
  local term = terminal_for(self, lext, info, 2)
  rethrow(2, pcall(render, self, term, path, lext, o.timeout, fname))
  return self
end

--- M._script(p [, ext]) -> the gnuplot script p:save would run for a file of that
-- extension (default "png"), with placeholder paths. For tests and for debugging a figure.
function M._script(p, ext)
  check_self(p, "mf.plot._script", 2)
  local info = check_drawable(p, "mf.plot._script", 2)
  local term = terminal_for(p, ext or "png", info, 2)
  local lines = build_script(p, term, "/dev/null", "/dev/null")
  return concat(lines, "\n") .. "\n"
end

--- p:text([cols, rows]) returns the dumb-terminal rendering as a string.
-- Default size: $COLUMNS x ($LINES - 1), else 100 x 30.
function Figure:text(cols, rows)
  local fname = "mf.plot:text"
  check_self(self, fname, 2)
  local dc, dr = env_size()
  for _, a in ipairs { { "cols", cols }, { "rows", rows } } do
    local v = a[2]
    if v ~= nil and not (math.type(v) == "integer" and v >= 10 and v <= 10000) then
      error(fmt("%s: argument '%s' must be an integer 10..10000, got %s", fname, a[1],
        describe(v)), 2)
    end
  end
  check_drawable(self, fname, 2)
  local s = rethrow(2, pcall(render, self, dumb_term(cols or dc, rows or dr), nil, "txt", nil,
    fname))
  s = s:gsub("[ \t]+\n", "\n"):gsub("[ \t]+$", ""):gsub("\n+$", "")
  return s .. "\n"
end

-- The figure's window: one gnuplot process per figure, kept open so that later show() calls
-- redraw the same window (from a running loop, say) without raising it. gnuplot's messages
-- go to a file read at the next show() or close().
local function window_errors(w)
  local text = readfile(w.errpath) or ""
  local new = text:sub(w.errseen + 1)
  w.errseen = #text
  if new == "" then return end
  local err, warnings = parse_stderr(new, {}, "\0")
  for _, m in ipairs(warnings) do io.stderr:write("mf.plot: gnuplot ", m, "\n") end
  if err then error("mf.plot: gnuplot: " .. err, 0) end
end

local function window_show(self, t, level)
  local w = self.window
  if not w then
    local tmp = new_temp()
    local errpath = tmp:path("window-stderr.txt")
    local pipe = io.popen(shquote(M.gnuplot) .. " -persist >/dev/null 2>" .. shquote(errpath), "w")
    if not pipe then
      tmp:cleanup()
      error("mf.plot:show: cannot start " .. M.gnuplot, level + 1)
    end
    w = { tmp = tmp, pipe = pipe, errpath = errpath, errseen = 0, count = 0, data = {} }
    self.window = w
  end
  local ok, err = pcall(window_errors, w)
  if not ok then error(err, level + 1) end
  w.count = w.count + 1
  local datapath = w.tmp:path(fmt("data-%d.bin", w.count))
  local title = "mflab" .. (self.opts.title and (": " .. self.opts.title) or "")
  local term = { line = fmt("set terminal %s 0 size %d,%d title %s noraise", t, self.size[1],
    self.size[2], gpquote(title)) }
  local lines, data = build_script(self, term, nil, datapath)
  local f = assert(io.open(datapath, "wb"))
  for _, d in ipairs(data) do f:write(d) end
  assert(f:close())
  w.data[#w.data + 1] = datapath
  -- the data of the show before last is no longer needed (gnuplot replots from the last)
  if #w.data > 2 then os.remove(table.remove(w.data, 1)) end
  local wok = w.pipe:write(concat(lines, "\n"), "\n")
  if wok then wok = w.pipe:flush() end
  if not wok then
    self:close()
    error("mf.plot:show: the gnuplot window process has ended", level + 1)
  end
end

--- p:close(): ends the figure's window process (see show); the window itself stays until
-- closed by hand (gnuplot -persist). Reports a gnuplot error from the last show.
function Figure:close()
  check_self(self, "mf.plot:close", 2)
  local w = self.window
  if not w then return self end
  self.window = nil
  pcall(function() w.pipe:write("exit\n") end)
  w.pipe:close()
  local ok, err = pcall(window_errors, w)
  w.tmp:cleanup()
  if not ok then error(err, 2) end
  return self
end
Figure.__gc = function(self) if self.window then pcall(Figure.close, self) end end

--- p:show(): a window when a display is there (M.display, default $DISPLAY) and gnuplot has
-- an interactive terminal — the same window at every call, updated without taking the
-- focus — else the text rendering on stdout.
function Figure:show()
  local fname = "mf.plot:show"
  check_self(self, fname, 2)
  local info = check_drawable(self, fname, 2)
  local display = M.display
  if display == nil then display = os.getenv("DISPLAY") end
  if display and display ~= "" then
    for _, t in ipairs(M.interactive_terminals) do
      if info.terminals[t] then
        window_show(self, t, 2)
        return self
      end
    end
  end
  local s = self:text()
  io.stdout:write(s)
  io.stdout:flush()
  return self
end

M.Figure = Figure

return M
