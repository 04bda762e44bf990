--- mflab.plot_script — the gnuplot script of a figure: terminal, panels, styles, key places.
local U = require "mflab.plot_util"
local pack = require "mflab.plot_data"
local S = {}
local fmt = string.format
local concat = table.concat
local gpquote, num, isfinite = U.gpquote, U.num, U.isfinite
local heatmap_data = pack.heatmap_data
local M -- the mf.plot module (colours and other fields users may change), set by S.build
------------------------------------------------------------------------------
-- script generation
------------------------------------------------------------------------------


-- "set palette defined (...)" for colours low to high (default viridis).
local function palette_cmd(colors)
  colors = colors or { "#440154", "#3b528b", "#21918c", "#5ec962", "#c8b800" }
  local parts = {}
  for i, c in ipairs(colors) do parts[i] = fmt("%d %s", i - 1, gpquote(c)) end
  return "set palette defined (" .. concat(parts, ", ") .. ")"
end

local function range_str(r)
  if not r then return "[*:*]" end
  local function e(v) return v == "*" and "*" or num(v) end
  return "[" .. e(r[1]) .. ":" .. e(r[2]) .. "]"
end

local function panel_settings(self, i)
  local fo, po = self.opts, self.panels[i].opts
  local function get(k)
    if po[k] ~= nil then return po[k] end
    if k == "title" and self.npanels > 1 then return nil end
    return fo[k]
  end
  return get
end

------------------------------------------------------------------------------
-- reading at a glance: styles, titles, key placement
------------------------------------------------------------------------------

-- Dash types and point types cycled after the colours: the n-th automatic style of a panel
-- is colour n mod #colors with dash (or marker) n div #colors, skipping pairs already taken
-- (by explicit colours or dashes), so no two series of a panel look alike until
-- #colors x 5 series.
local DASH_CYCLE = { 1, 2, 3, 4, 5 }
local MARKER_CYCLE = { 7, 5, 9, 11, 13 }

-- Returns per-series {color =, dash =, marker =} for the lines and points of a panel.
local function panel_styles(series)
  local nc, styles, used = #M.colors, {}, {}
  local function key(s, c, v) return s.kind .. "|" .. c:lower() .. "|" .. tostring(v) end
  local function shape(s) return s.kind == "line" and s.o.dash or s.o.marker end
  local cycle = { line = DASH_CYCLE, points = MARKER_CYCLE }
  for si, s in ipairs(series) do
    if (s.kind == "line" or s.kind == "points") and s.o.color then
      local v = shape(s) or cycle[s.kind][1]
      styles[si] = { color = s.o.color, dash = v, marker = v }
      used[key(s, s.o.color, v)] = true
    end
  end
  local ci = 0
  for si, s in ipairs(series) do
    if (s.kind == "line" or s.kind == "points") and not s.o.color then
      local cyc, fixed = cycle[s.kind], shape(s)
      local pick
      for k = ci, ci + nc * #cyc - 1 do
        local c = M.colors[k % nc + 1]
        local v = fixed or cyc[(k // nc) % #cyc + 1]
        if not used[key(s, c, v)] then pick = { k = k, c = c, v = v }; break end
      end
      if not pick then -- every pair taken: plain cycle
        pick = { k = ci, c = M.colors[ci % nc + 1], v = fixed or cyc[(ci // nc) % #cyc + 1] }
      end
      ci = pick.k + 1
      used[key(s, pick.c, pick.v)] = true
      styles[si] = { color = pick.c, dash = pick.v, marker = pick.v }
    end
  end
  return styles
end

-- Text metrics of a terminal: character width, line height, and the canvas size, in one unit.
local function term_metrics(self, term)
  local w, h = self.size[1], self.size[2]
  if term.dumb then return { cw = 1, lh = 1, W = term.cols, H = term.rows } end
  if term.kind == "pdf" then return { cw = 6.6, lh = 14, W = w * 0.72, H = h * 0.72 } end
  return { cw = 8, lh = 19, W = w, H = h }
end

-- Wraps text at spaces to lines of at most `width` characters (existing newlines kept).
local function wrap(text, width)
  width = math.max(20, math.floor(width))
  local out = {}
  for para in (text .. "\n"):gmatch("(.-)\n") do
    -- lines of about equal length rather than a full line and a stub
    local len = utf8.len(para) or #para
    local nlines = math.ceil(len / width)
    local w = nlines > 1 and math.min(width, math.ceil(len / nlines) + 6) or width
    local line = ""
    for word in para:gmatch("%S+") do
      if line ~= "" and (utf8.len(line) or #line) + 1 + (utf8.len(word) or #word) > w then
        out[#out + 1] = line
        line = word
      else
        line = line == "" and word or (line .. " " .. word)
      end
    end
    out[#out + 1] = line
  end
  return concat(out, "\n")
end

-- The panel's plot area in canvas units (an estimate: gnuplot's margins are about 10
-- characters on the left, 2 on the right, 4 lines below and 2 above).
local function plot_area(self, m)
  local pw, ph = m.W / self.layout[2], m.H / self.layout[1]
  if self.npanels > 1 and self.opts.title then ph = ph - 2 * m.lh / self.layout[1] end
  return math.max(pw - 12 * m.cw, 4 * m.cw), math.max(ph - 6 * m.lh, 3 * m.lh)
end

-- Chooses where the key of a panel goes when the figure does not say: the first corner (then
-- side) whose key box covers no point of the panel's lines, points and bands; outside the plot
-- when every place inside would hide data. Returns the gnuplot key words.
-- The key's number of entries and its widest title (characters).
local function key_extent(pn)
  local entries, width = 0, 0
  for _, s in ipairs(pn.series) do
    if s.o.title and s.kind ~= "heatmap" and s.kind ~= "contour" then
      for l in (s.o.title .. "\n"):gmatch("(.-)\n") do
        entries = entries + 1
        width = math.max(width, utf8.len(l) or #l)
      end
    end
  end
  return entries, width
end

local function auto_key(self, pn, get, m)
  local entries, width = key_extent(pn)
  if entries == 0 then return "top right" end
  local aw, ah = plot_area(self, m)
  local fw = ((width + 7) * m.cw) / aw
  local fh = ((entries + 0.6) * m.lh) / ah
  -- the points, in the unit square of the axes
  local pts = {}
  local lo, hi = { math.huge, math.huge }, { -math.huge, -math.huge }
  local logs = { get("logx"), get("logy") }
  local function tr(v, a)
    if not isfinite(v) then return nil end
    if logs[a] then
      if v <= 0 then return nil end
      return math.log(v, 10)
    end
    return v
  end
  local polylines = {}
  for _, s in ipairs(pn.series) do
    if s.sample then
      local xs = s.sample[1]
      for c = 2, #s.sample do
        local pl = {}
        for i = 1, #xs do
          local x, y = tr(xs[i], 1), tr(s.sample[c][i], 2)
          pl[i] = (x and y) and { x, y } or false
          if x and y then
            if x < lo[1] then lo[1] = x end
            if x > hi[1] then hi[1] = x end
            if y < lo[2] then lo[2] = y end
            if y > hi[2] then hi[2] = y end
          end
        end
        polylines[#polylines + 1] = { pl = pl, line = s.kind ~= "points" }
      end
      if s.kind == "band" then -- the filled area between the edges
        local pl = {}
        for i = 1, #xs do
          local x, a, b = tr(xs[i], 1), tr(s.sample[2][i], 2), tr(s.sample[3][i], 2)
          pl[i] = (x and a and b) and { x, (a + b) / 2 } or false
        end
        polylines[#polylines + 1] = { pl = pl, line = true }
      end
    end
  end
  for _, s in ipairs(pn.series) do -- a heat map's cells set the default ranges
    if s.kind == "heatmap" then
      for a, e in ipairs { s.ex, s.ey } do
        local e1, e2 = tr(e[1], a), tr(e[#e], a)
        if e1 and e1 < lo[a] then lo[a] = e1 end
        if e2 and e2 > hi[a] then hi[a] = e2 end
      end
      break
    end
  end
  if lo[1] > hi[1] then return "top right" end
  for a, ax in ipairs { "x", "y" } do
    local r = get(ax .. "range")
    if r then
      if r[1] ~= "*" then lo[a] = tr(r[1], a) or lo[a] end
      if r[2] ~= "*" then hi[a] = tr(r[2], a) or hi[a] end
    end
    if hi[a] < lo[a] then lo[a], hi[a] = hi[a], lo[a] end
    if hi[a] == lo[a] then lo[a], hi[a] = lo[a] - 1, hi[a] + 1 end
  end
  for _, p in ipairs(polylines) do
    local prev
    for _, q in ipairs(p.pl) do
      if q then
        local u = (q[1] - lo[1]) / (hi[1] - lo[1])
        local v = (q[2] - lo[2]) / (hi[2] - lo[2])
        if prev and p.line then -- points along the segment, so a line through the box counts
          local nk = math.min(200, math.ceil(math.max(math.abs(u - prev[1]), math.abs(v - prev[2])) / 0.01))
          for k = 1, nk - 1 do
            pts[#pts + 1] = { prev[1] + (u - prev[1]) * k / nk, prev[2] + (v - prev[2]) * k / nk }
          end
        end
        pts[#pts + 1] = { u, v }
        prev = { u, v }
      else
        prev = nil
      end
    end
  end
  local pad = 0.02
  local places = {
    { "top right", 1 - fw, 1, 1 - fh, 1 }, { "top left", 0, fw, 1 - fh, 1 },
    { "bottom right", 1 - fw, 1, 0, fh }, { "bottom left", 0, fw, 0, fh },
    { "right center", 1 - fw, 1, 0.5 - fh / 2, 0.5 + fh / 2 },
    { "left center", 0, fw, 0.5 - fh / 2, 0.5 + fh / 2 },
    { "center top", 0.5 - fw / 2, 0.5 + fw / 2, 1 - fh, 1 },
    { "center bottom", 0.5 - fw / 2, 0.5 + fw / 2, 0, fh },
  }
  if fw < 0.9 and fh < 0.9 then
    for _, pl in ipairs(places) do
      local u0, u1, v0, v1 = pl[2] - pad, pl[3] + pad, pl[4] - pad, pl[5] + pad
      local free = true
      for _, q in ipairs(pts) do
        if q[1] >= u0 and q[1] <= u1 and q[2] >= v0 and q[2] <= v1 then free = false; break end
      end
      if free then return pl[1] end
    end
  end
  -- nowhere inside: beside the plot if the key is narrow enough, else under it
  if fw < 0.45 then return "outside right top" end
  return "below"
end

-- Builds the gnuplot script. term: {line = "set terminal ...", dumb = bool}.
-- Returns the script as an array of lines, and the data file contents as an
-- array of strings.
local function build_script(self, term, outpath, datapath)
  local L = {}
  local function add(s) L[#L + 1] = s end
  local data, offset = {}, 0
  local function place(s)
    data[#data + 1] = s.data
    local at = offset
    offset = offset + #s.data
    return at
  end
  local dq = gpquote(datapath)

  add(term.line)
  add(self.opts.enhanced and "set termoption enhanced" or "set termoption noenhanced")
  add("set encoding utf8")
  if outpath then add("set output " .. gpquote(outpath)) end
  add(palette_cmd(nil))
  add("unset colorbox")
  add([[mf_ramp(f) = (f != f) ? " " : substr(".:-=+*#%@", 1 + int(8.999 * (f < 0 ? 0 : f > 1 ? 1 : f)), 1 + int(8.999 * (f < 0 ? 0 : f > 1 ? 1 : f)))]])

  -- contour lines are computed into datablocks before any panel settings
  local anycontour = false
  for pi, pn in ipairs(self.panels) do
    for si, s in ipairs(pn.series) do
      if s.kind == "contour" then
        if not anycontour then
          add("set contour base")
          add("unset surface")
          anycontour = true
        end
        local g = s.grid
        s.block = fmt("$mf_contour_%d_%d", pi, si)
        add("set cntrparam " .. s.cntrparam)
        add("set table " .. s.block)
        add(fmt("splot %s binary array=(%d,%d) skip=%d format=\"%%float64\" "
          .. "origin=(%s,%s,0) dx=%s dy=%s using 1 notitle",
          dq, g.n, g.n, place(s), num(g.x0), num(g.y0), num(g.dx), num(g.dy)))
        add("unset table")
      end
    end
  end
  if anycontour then
    add("unset contour")
    add("set surface")
    add("set cntrparam levels auto 5")
  end

  local multi = self.npanels > 1
  local m = term_metrics(self, term)
  if multi then
    local t = self.opts.title
    if t then t = wrap(t, 0.95 * m.W / m.cw) end
    add(fmt("set multiplot layout %d,%d%s", self.layout[1], self.layout[2],
      t and (" title " .. gpquote(t)) or ""))
  end

  for pi, pn in ipairs(self.panels) do
    local get = panel_settings(self, pi)
    local hasdata = #pn.series > 0
    if multi and not hasdata and #pn.raw == 0 then
      add("set multiplot next")
      goto continue
    end
    for _, k in ipairs { "title", "xlabel", "ylabel" } do
      local v = get(k)
      if v and k == "title" then v = wrap(v, 0.95 * (m.W / self.layout[2]) / m.cw) end
      add(v and ("set " .. k .. " " .. gpquote(v)) or ("unset " .. k))
    end
    for _, ax in ipairs { "x", "y" } do
      local lg = get("log" .. ax)
      local r = get(ax .. "range")
      if lg and r then
        for _, e in ipairs(r) do
          if e ~= "*" and e <= 0 then
            error(fmt("mf.plot: panel %d: %srange %s must be positive with log%s",
              pi, ax, range_str(r), ax), 0)
          end
        end
      end
      add((lg and "set" or "unset") .. " logscale " .. ax)
      if not r then -- a heat map fills the panel: its cells' extent is the default range
        for _, s in ipairs(pn.series) do
          if s.kind == "heatmap" then
            local e = ax == "x" and s.ex or s.ey
            r = { e[1], e[#e] }
            break
          end
        end
      end
      add("set " .. ax .. "range " .. range_str(r))
    end
    local logcb, heat = false, nil
    for _, s in ipairs(pn.series) do
      if (s.kind == "contour" or s.kind == "heatmap") and s.o.logscale then logcb = true end
      if s.kind == "heatmap" and not heat then heat = s end
    end
    local key = get("key")
    if key == nil then key = auto_key(self, pn, get, m) end
    local function has(word) return key and (" " .. key .. " "):find(" " .. word .. " ", 1, true) end
    local entries, kw = key_extent(pn)
    if entries == 0 and #pn.series > 0 then key = false end -- nothing titled: no (empty) key box
    local inside = key and not (has("outside") or has("below") or has("above") or has("lmargin")
      or has("rmargin") or has("tmargin") or has("bmargin"))
    if inside and entries > 0 then
      local aw = plot_area(self, m)
      if (kw + 7) * m.cw > 0.95 * aw then
        key, inside = "below", false -- wider than the plot: under it, where it fits
      end
    end
    if inside and heat and not (has("nobox") or has("noopaque")) then
      key = key .. " box opaque" -- readable over any colour of the map
      -- a grey ground when a series is drawn in white or near white (a path over a dark map)
      for _, sr in ipairs(pn.series) do
        local c = sr.o.title and sr.o.color and sr.o.color:lower()
        local r, g, b = (c or ""):match("^#(%x%x)(%x%x)(%x%x)")
        if c == "white" or (r and 0.2126 * tonumber(r, 16) + 0.7152 * tonumber(g, 16)
            + 0.0722 * tonumber(b, 16) > 0.85 * 255) then
          key = key .. " fc rgb '#d9d9d9'"
          break
        end
      end
      -- cairo terminals overestimate text width by about a fifth: a box that fits the text
      if not term.dumb and term.kind ~= "svg" then key = key .. fmt(" width %d", -math.floor(kw / 5)) end
    end
    add("set key default") -- settings of the previous panel's key do not carry over
    add(key and ("set key " .. key .. " noautotitle") or "unset key")
    -- room on the right for the last x tick label (gnuplot's own margin clips it), unless
    -- the colour box or a key outside needs that margin
    local outside = key and (has("outside") or has("rmargin"))
    add((heat or outside) and "set rmargin -1" or "set rmargin 4")
    add(palette_cmd(heat and heat.o.palette))
    add((logcb and "set" or "unset") .. " logscale cb")
    add((heat and not term.dumb) and "set colorbox" or "unset colorbox")
    add((heat and heat.o.title) and ("set cblabel " .. gpquote(heat.o.title)) or "unset cblabel")
    add("set cbrange [*:*]")
    for _, r in ipairs(pn.raw) do add(r) end

    if not hasdata then
      -- only raw commands: let them draw (e.g. a raw plot command)
      goto continue
    end

    -- colours: lines and points take the next colour of the cycle; a band
    -- without a colour matches the next line/points series added after it,
    -- else the last one before it
    local lt = 0
    local colors = {}
    local series = pn.series
    local styles = panel_styles(series)
    for si, st in pairs(styles) do colors[si] = st.color end
    for si, s in ipairs(series) do
      if s.kind == "band" then
        local c = s.o.color
        for j = si + 1, #series do
          if c then break end
          c = colors[j]
        end
        for j = si - 1, 1, -1 do
          if c then break end
          c = colors[j]
        end
        colors[si] = c or M.colors[1]
      end
    end

    local clauses = {}
    local function title(s)
      return s.o.title and ("title " .. gpquote(s.o.title)) or "notitle"
    end
    local function src(s)
      return fmt("%s binary skip=%d record=%d format=\"%s\"", dq, place(s), s.n,
        string.rep("%float64", s.ncol))
    end
    for _, s in ipairs(pn.series) do
      if s.kind == "heatmap" then
        s.data = heatmap_data(s, term.dumb)
        if term.dumb then
          -- text: a character per cell, darker for larger values
          local span = s.zmax > s.zmin and (s.zmax - s.zmin) or 1
          local zexpr = s.o.logscale and fmt("(log($3) - %s) / %s", num(math.log(s.zmin)),
            num(s.zmax > s.zmin and math.log(s.zmax / s.zmin) or 1)) or fmt("($3 - %s) / %s", num(s.zmin), num(span))
          clauses[#clauses + 1] = fmt("%s using 1:2:(mf_ramp(%s)) with labels notitle", src(s), zexpr)
        elseif s.image then
          clauses[#clauses + 1] = fmt("%s binary array=(%d,%d) skip=%d format=\"%%float64\" "
            .. "origin=(%s,%s) dx=%s dy=%s using 1 with image notitle", dq, #s.xs, #s.ys, place(s),
            num(s.xs[1]), num(s.ys[1]), num((s.xs[#s.xs] - s.xs[1]) / (#s.xs - 1)),
            num((s.ys[#s.ys] - s.ys[1]) / (#s.ys - 1)))
        else
          clauses[#clauses + 1] = fmt("%s using 1:2:3:4:5:6:7 with boxxyerror fc palette fs solid 1.0 noborder notitle", src(s))
        end
      end
    end
    for _, s in ipairs(pn.series) do
      if s.kind == "contour" then
        local style = s.o.color and ("lc rgb " .. gpquote(s.o.color)) or "lc palette"
        clauses[#clauses + 1] = fmt("%s using 1:2:3 with lines lw %s %s notitle",
          s.block, num(s.o.width or 1), style)
      end
    end
    for si, s in ipairs(pn.series) do
      if s.kind == "band" then
        lt = lt + 1
        local c = gpquote(colors[si])
        if term.dumb then
          -- no fill in text: draw the two edges with one character
          local source = src(s)
          clauses[#clauses + 1] = fmt("%s using 1:2 with lines lt %d lc rgb %s %s",
            source, lt, c, title(s))
          clauses[#clauses + 1] = fmt("%s using 1:3 with lines lt %d lc rgb %s notitle",
            source, lt, c)
        else
          clauses[#clauses + 1] = fmt(
            "%s using 1:2:3 with filledcurves lt %d fc rgb %s fs transparent solid %s noborder %s",
            src(s), lt, c, num(s.o.alpha or 0.25), title(s))
        end
      end
    end
    for si, s in ipairs(pn.series) do
      if s.kind == "line" then
        lt = lt + 1
        local dash = styles[si].dash
        dash = type(dash) == "string" and gpquote(dash) or num(dash)
        clauses[#clauses + 1] = fmt("%s using 1:2 with lines lt %d lw %s lc rgb %s dt %s %s",
          src(s), lt, num(s.o.width or 1.5), gpquote(colors[si]), dash, title(s))
      elseif s.kind == "points" then
        lt = lt + 1
        clauses[#clauses + 1] = fmt("%s using 1:2 with points lt %d pt %d ps %s lc rgb %s %s",
          src(s), lt, styles[si].marker, num(s.o.size or 0.6), gpquote(colors[si]), title(s))
      end
    end
    add("plot " .. concat(clauses, ", \\\n  "))
    ::continue::
  end
  if multi then add("unset multiplot") end
  if outpath then add("unset output") end
  return L, data
end


-- S.build(plot_module, figure, term, outpath, datapath) -> script lines, data strings
function S.build(mod, self, term, outpath, datapath)
  M = mod
  return build_script(self, term, outpath, datapath)
end

return S
