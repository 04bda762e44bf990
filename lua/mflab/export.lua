-- mf.export: data out of mflab — NumPy .npy/.npz files (numpy.load reads them), JSON, and
-- r:save by extension (.csv, .npy, .npz) with the run's metadata as JSON beside the data.
-- Every file is written to a temporary name and renamed, so it is whole or absent.
local core = require "mflab.core"
local schema = require "mflab.schema"

local M = {}

local fmt = string.format

local function fail(fname, msg, level) error(fname .. ": " .. msg, level + 1) end

------------------------------------------------------------------------------
-- JSON
------------------------------------------------------------------------------

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t" }

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return ESC[c] or fmt("\\u%04x", c:byte()) end) .. '"'
end

-- Raw accesses (rawlen, rawget, next): the text describes the data a table holds, and a
-- metamethod (a __len of 2^61, an endless __pairs) cannot hang the encoder.
local function is_array(t)
  local n = rawlen(t)
  for k in next, t do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
  end
  return true
end

-- `path` lists the tables being encoded (to refuse a cycle, which would never end) and where.
local function encode(v, indent, out, fname, path, where)
  path = path or {}
  where = where or "value"
  v = schema.array(v) -- a vector is written as the array of its entries
  local t = type(v)
  if t == "nil" then out[#out + 1] = "null"
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "number" then
    if math.type(v) == "integer" then out[#out + 1] = fmt("%d", v)
    elseif v ~= v or v == math.huge or v == -math.huge then out[#out + 1] = "null" -- JSON has no NaN
    else out[#out + 1] = fmt("%.17g", v) end
  elseif t == "string" then out[#out + 1] = json_string(v)
  elseif t == "table" then
    if path[v] then
      fail(fname, ("cannot encode a cyclic table: %s is %s itself"):format(where, path[v]), 4)
    end
    path[v] = where
    local inner = indent .. "  "
    if is_array(v) then
      local flat = true
      for i = 1, rawlen(v) do local x = rawget(v, i) if type(x) == "table" or schema.isvector(x) then flat = false end end
      out[#out + 1] = "["
      for i = 1, rawlen(v) do
        if i > 1 then out[#out + 1] = flat and ", " or "," end
        if not flat then out[#out + 1] = "\n" .. inner end
        local x = rawget(v, i)
        if math.type(x) == "float" and x == x and x ~= math.huge and x ~= -math.huge then
          out[#out + 1] = fmt("%.17g", x) -- the common case inline: no 'where' string per entry
        else
          encode(x, inner, out, fname, path, where .. "[" .. i .. "]")
        end
      end
      if not flat and rawlen(v) > 0 then out[#out + 1] = "\n" .. indent end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in next, v do
        if type(k) ~= "string" then fail(fname, "JSON object keys must be strings, got " .. type(k), 4) end
        keys[#keys + 1] = k
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        out[#out + 1] = (i > 1 and ",\n" or "\n") .. inner .. json_string(k) .. ": "
        encode(rawget(v, k), inner, out, fname, path, where .. "." .. k)
      end
      out[#out + 1] = (#keys > 0 and ("\n" .. indent) or "") .. "}"
    end
    path[v] = nil
  else
    out[#out + 1] = json_string(tostring(v)) -- userdata (a landscape, ...): its description
  end
end

-- mf.export.json(value): the JSON text of a value (objects with sorted keys, 17 digits). A
-- table that contains itself is an error naming where.
function M.json(v, fname)
  local out = {}
  encode(v, "", out, fname or "mf.export.json")
  return table.concat(out)
end

-- Writes text to path through a temporary file.
local function write_text(fname, path, text, level)
  local tmp = fmt("%s.tmp.%d%06d", path, os.time(), math.random(0, 999999))
  local f, err = io.open(tmp, "wb")
  if not f then fail(fname, fmt("cannot write '%s': %s", path, tostring(err):gsub("^[^:]*: ", "")), level + 1) end
  local ok, werr = f:write(text)
  local closed, cerr = f:close()
  local renamed, rerr = false, nil
  if ok and closed then renamed, rerr = os.rename(tmp, path) end
  if not renamed then
    os.remove(tmp)
    fail(fname, fmt("cannot write '%s': %s", path, tostring(werr or cerr or rerr)), level + 1)
  end
  return path
end

-- mf.export.write_json(path, value): value as a JSON file.
function M.write_json(path, v)
  if type(path) ~= "string" or path == "" then fail("mf.export.write_json", "argument 'path' must be a file name", 2) end
  return write_text("mf.export.write_json", path, M.json(v, "mf.export.write_json") .. "\n", 2)
end

------------------------------------------------------------------------------
-- NumPy
------------------------------------------------------------------------------

local function arraylen(v)
  local t = type(v)
  if t ~= "table" and t ~= "userdata" then return nil end
  local ok, n = pcall(function() return #v end)
  return ok and math.type(n) == "integer" and n or nil
end

local function pack_doubles(vals, n, fname, what, level)
  local parts, chunk = {}, {}
  for i = 1, n do
    local x = vals[i]
    if type(x) ~= "number" then fail(fname, fmt("%s[%d] must be a number, got %s", what, i, type(x)), level + 1) end
    chunk[#chunk + 1] = x
    if #chunk == 240 then
      parts[#parts + 1] = string.pack("=" .. ("d"):rep(240), table.unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then parts[#parts + 1] = string.pack("=" .. ("d"):rep(#chunk), table.unpack(chunk)) end
  return table.concat(parts)
end

-- An array spec for the engine from a Lua value: a table (or vector) of numbers -> shape (n),
-- a table of equal-length rows -> shape (rows, cols).
local function array_spec(v, name, fname, level)
  level = level + 1
  v = schema.array(v)
  local n = arraylen(v)
  if not n then fail(fname, fmt("'%s' must be an array of numbers or of rows, got %s", name, type(v)), level) end
  if n > 0 and (type(v[1]) == "table" or schema.isvector(v[1])) then
    local cols = arraylen(v[1])
    local parts = {}
    for i = 1, n do
      local row = schema.array(v[i])
      if arraylen(row) ~= cols then
        fail(fname, fmt("'%s' row %d has %s entries, row 1 has %d", name, i, tostring(arraylen(row)), cols), level)
      end
      parts[i] = pack_doubles(row, cols, fname, fmt("%s[%d]", name, i), level)
    end
    return { name = name, data = table.concat(parts), shape = { n, cols } }
  end
  return { name = name, data = pack_doubles(v, n, fname, name, level), shape = { n } }
end

-- mf.export.npy(path, array): a 1-D array (a table or vector of numbers) or a 2-D one (a
-- table of equal-length rows) as a float64 .npy file.
-- With metadata (any JSON-able value), <path>.json is written with it, as one with the data.
function M.npy(path, array, metadata)
  if type(path) ~= "string" or path == "" then fail("mf.export.npy", "argument 'path' must be a file name", 2) end
  local spec = array_spec(array, "array", "mf.export.npy", 2)
  if metadata ~= nil then
    core.write_npy(path, spec, M.metadata_path(path), M.json(metadata, "mf.export.npy") .. "\n")
  else
    core.write_npy(path, spec)
  end
  return path
end

-- mf.export.npz(path, {name = array, ...}): several named arrays in one .npz file.
function M.npz(path, arrays, metadata)
  local fname = "mf.export.npz"
  if type(path) ~= "string" or path == "" then fail(fname, "argument 'path' must be a file name", 2) end
  if type(arrays) ~= "table" then fail(fname, "argument 'arrays' must be a table {name = array, ...}", 2) end
  local names = {}
  for k in pairs(arrays) do
    if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then
      fail(fname, "array names must be identifiers, got " .. tostring(k), 2)
    end
    names[#names + 1] = k
  end
  if #names == 0 then fail(fname, "no arrays to write", 2) end
  table.sort(names)
  local specs = {}
  for i, k in ipairs(names) do specs[i] = array_spec(arrays[k], k, fname, 2) end
  if metadata ~= nil then
    core.write_npz(path, specs, M.metadata_path(path), M.json(metadata, fname) .. "\n")
  else
    core.write_npz(path, specs)
  end
  return path
end

------------------------------------------------------------------------------
-- results
------------------------------------------------------------------------------

local EXTENSIONS = "use .csv, .npy or .npz"

-- The JSON written beside a result's data: the run's metadata and how the data is laid out.
function M.result_metadata(r, file, kind)
  local md = {}
  for k, v in pairs(r.metadata or {}) do md[k] = v end
  md.mflab = md.mflab or core.version
  md.file = file:match("[^/]*$")
  md.names = r.names
  md.records = #r
  md.steps_done = r.steps
  md.seeds = r.seeds
  local t = r.t
  md.t_first, md.t_last = t[1], t[#t]
  if r.stats and kind == "npz" then
    md.layout = "statistics only (keep = \"stats\"): arrays t, alive, quantiles (levels) and per name <name>_mean, _var, _min, _max (records), <name>_q (records, levels) and <name> (kept trajectories, records) when trajectories were kept"
  elseif kind == "npz" then
    md.layout = r.seeds == 1 and "arrays t (records) and one array per name, shape (records)"
      or "arrays t (records) and one array per name, shape (seeds, records)"
  elseif kind == "npy" then
    md.layout = "one float64 array of shape (seeds, records, names), names in the order of 'names'"
  else
    md.layout = "CSV: a header line, the rows, and a last '# mflab ...' comment line"
  end
  return md
end

-- Each data file has its own metadata file: run.npy -> run.npy.json, run.npz -> run.npz.json.
function M.metadata_path(path) return path .. ".json" end

local LAYOUTS = { summary = true, long = true }

-- The arrays of a statistics-only result (keep = "stats"): t, alive, quantiles (the levels),
-- and per name <name>_mean, _var, _min, _max (records), <name>_q (records x levels) and, when
-- trajectories were kept, <name> (kept x records).
local function stats_arrays(r)
  local a = { t = r.t, alive = r:alive(), quantiles = #r.quantiles > 0 and r.quantiles or nil }
  for _, n in ipairs(r.names) do
    local key = n:gsub("[^%w_]", "_")
    a[key .. "_mean"], a[key .. "_var"], a[key .. "_min"], a[key .. "_max"] = r:mean(n), r:var(n), r:min(n), r:max(n)
    if #r.quantiles > 0 then
      local cols = {}
      for i, q in ipairs(r.quantiles) do cols[i] = r:quantile(n, q) end
      local rows = {}
      for j = 1, #r.t do
        local row = {}
        for i = 1, #cols do row[i] = cols[i][j] end
        rows[j] = row
      end
      a[key .. "_q"] = rows
    end
    if r.kept > 0 then
      local rows = {}
      for s = 1, r.kept do rows[s] = r:column(n, s) end
      a[key] = rows
    end
  end
  return a
end

local SAVE_OPTS = { layout = true, json = true }

-- r:save(path [, layout | {layout = "summary"|"long", json = bool}]): by extension, with the
-- metadata (M.result_metadata) in <path>.json written as one with the data (by default for
-- .npy/.npz; json = true for .csv, whose last line "# mflab ..." also carries it).
function core.methods.result.save(self, path, opts)
  local fname = "result:save"
  if type(path) ~= "string" or path == "" then fail(fname, "argument 'path' must be a file name", 2) end
  if type(opts) == "string" or opts == nil then opts = { layout = opts } end
  if type(opts) ~= "table" then fail(fname, "argument 3 must be a layout (\"summary\" or \"long\") or an options table {layout =, json =}", 2) end
  for k in pairs(opts) do
    if not SAVE_OPTS[k] then fail(fname, fmt("unknown option '%s' (options: json, layout)", tostring(k)), 2) end
  end
  if opts.layout ~= nil and not LAYOUTS[opts.layout] then
    fail(fname, fmt("option 'layout' must be \"summary\" or \"long\", got %s",
      type(opts.layout) == "string" and fmt("%q", opts.layout) or tostring(opts.layout)), 2)
  end
  if opts.json ~= nil and type(opts.json) ~= "boolean" then
    fail(fname, "option 'json' must be true or false, got " .. type(opts.json), 2)
  end
  local ext = path:match("%.([^./]+)$")
  ext = ext and ext:lower()
  if ext ~= "csv" and ext ~= "npy" and ext ~= "npz" then
    fail(fname, fmt("unknown file extension in '%s' (%s)", path, EXTENSIONS), 2)
  end
  if ext ~= "csv" and opts.layout then fail(fname, "option 'layout' is for .csv files", 2) end
  local json = opts.json
  if json == nil then json = ext ~= "csv" end
  local mpath, mtext
  if json then mpath, mtext = M.metadata_path(path), M.json(M.result_metadata(self, path, ext), fname) .. "\n" end
  if ext == "csv" then
    core.result_csv(self, path, opts.layout or "summary", self.meta, mpath, mtext)
  elseif self.stats then -- a statistics-only result: named arrays
    if ext == "npy" then fail(fname, "a statistics-only result (keep = \"stats\") is saved as .npz or .csv", 2) end
    M.npz(path, stats_arrays(self), json and M.result_metadata(self, path, ext) or nil)
  elseif ext == "npy" then
    core.result_npy(self, path, mpath, mtext)
  else
    core.result_npz(self, path, mpath, mtext)
  end
  return self
end

return M
