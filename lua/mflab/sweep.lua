-- mf.sweep: a grid of parameter points x seeds, run for an experiment, a run function or a
-- run template; one result table (a row per point: parameters, then each named output's
-- mean, std, stderr, n and non-finite count over the seeds), saved as CSV, NPZ and JSON
-- metadata in an output folder, with a journal for resuming after a kill.
--
-- How the pieces fit (DESIGN.md, "the research layer"):
--   * grids expand to an ordered list of points (product, zip, or explicit points);
--   * points are grouped into tasks: one point per task, or for the run-template form a
--     batch of points that differ only in optimizer/noise hyperparameters and x0, run as one
--     mf.run{configs = ...} (one at a time where mf.run has no configs: the same bits);
--   * tasks go through mf.parallel.map when the MPI module is present (rank 0 gets the
--     values and writes the files), through a local loop otherwise;
--   * every finished point is one fsync'd journal line holding its raw per-seed samples in
--     exact hexadecimal (%a), so a resumed sweep rebuilds the same rows from the journal and
--     writes the same bytes as an uninterrupted one. Wall times and hosts go to the JSON only.
local core = require "mflab.core"
local schema = require "mflab.schema"
local export = require "mflab.export"
local progress = require "mflab.progress"

local M = {}
local fmt = string.format
local NAN = 0 / 0

local function fail(msg, level) error("mf.sweep: " .. msg, (level or 1) + 1) end

local function isfinite(x) return type(x) == "number" and x == x and x ~= math.huge and x ~= -math.huge end

local function udname(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name or nil
end

------------------------------------------------------------------------------
-- number and string encodings
------------------------------------------------------------------------------

-- Shortest decimal that reads back to the same double (CSV cells, messages).
local function num(x)
  if math.type(x) == "integer" then return fmt("%d", x) end
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  for digits = 15, 17 do
    local s = fmt("%." .. digits .. "g", x)
    if tonumber(s) == x then return s end
  end
  return fmt("%.17g", x)
end

-- Exact encodings for the journal: %a for finite doubles, names for the others.
local function hexnum(x)
  if math.type(x) == "integer" then return "i" .. fmt("%d", x) end
  if x ~= x then return "nan" end
  if x == math.huge then return "inf" end
  if x == -math.huge then return "-inf" end
  return fmt("%a", x)
end

local function unhexnum(s)
  if s == "nan" then return NAN end
  if s == "inf" then return math.huge end
  if s == "-inf" then return -math.huge end
  if s:sub(1, 1) == "i" then return math.tointeger(tonumber(s:sub(2))) end
  return tonumber(s)
end

-- Journal fields are separated by spaces: escape %, whitespace and control characters.
local function esc(s) return (s:gsub("[%%%s%c]", function(c) return fmt("%%%02X", c:byte()) end)) end
local function unesc(s) return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)) end

-- A parameter value in the journal: n<hex> for numbers, s<text> for strings, b0/b1.
local function encval(v)
  local t = type(v)
  if t == "number" then return "n" .. hexnum(v) end
  if t == "boolean" then return v and "b1" or "b0" end
  return "s" .. esc(v)
end

-- A parameter value in messages and the JSON header lists.
local function showval(v)
  if type(v) == "number" then return num(v) end
  if type(v) == "string" then return fmt("%q", v) end
  return tostring(v)
end

------------------------------------------------------------------------------
-- grids
------------------------------------------------------------------------------

local Grid = { __name = "mflab.sweep.grid" }
Grid.__index = Grid

local function check_value(fname, name, v, where)
  local t = type(v)
  if t == "string" and v:find("[,\"\n\r]") then
    error(fmt("%s: %s of '%s' (%q) cannot go into a CSV cell: no commas, quotes or line breaks", fname, where, name, v), 4)
  end
  if t == "number" or t == "string" or t == "boolean" then return v end
  error(fmt("%s: %s of '%s' must be a number, string or boolean, got %s", fname, where, name,
    udname(v) or t), 4)
end

-- The (name, list) pairs of a grid specification, in order: {name = list, ...} (names in
-- alphabetical order) or {{"name", list}, ...} (the order given). A scalar is a list of one.
local function named_lists(fname, spec)
  if type(spec) ~= "table" then
    error(fmt("%s: expected a table {name = {values...}, ...}, got %s", fname, type(spec)), 3)
  end
  local pairs_ = {}
  if #spec > 0 then
    for i, e in ipairs(spec) do
      if type(e) ~= "table" or type(e[1]) ~= "string" or e[2] == nil then
        error(fmt("%s: entry %d must be {\"name\", {values...}}", fname, i), 3)
      end
      pairs_[#pairs_ + 1] = { e[1], e[2] }
    end
    for k in pairs(spec) do
      if math.type(k) ~= "integer" then
        error(fmt("%s: mix of named lists and {\"name\", list} entries (key '%s')", fname, tostring(k)), 3)
      end
    end
  else
    local names = {}
    for k in pairs(spec) do
      if type(k) ~= "string" then error(fmt("%s: parameter names must be strings, got %s", fname, type(k)), 3) end
      names[#names + 1] = k
    end
    table.sort(names)
    for _, k in ipairs(names) do pairs_[#pairs_ + 1] = { k, spec[k] } end
  end
  local seen = {}
  for _, p in ipairs(pairs_) do
    local name, list = p[1], p[2]
    if not name:match("^[%a_][%w_]*$") then
      error(fmt("%s: parameter name '%s' must be an identifier (letters, digits, _)", fname, name), 3)
    end
    if seen[name] then error(fmt("%s: parameter '%s' appears twice", fname, name), 3) end
    seen[name] = true
    if type(list) ~= "table" then list = { list } end
    list = schema.array(list)
    if #list == 0 then error(fmt("%s: the list of '%s' is empty", fname, name), 3) end
    local vals = {}
    for i = 1, #list do vals[i] = check_value(fname, name, list[i], fmt("value %d", i)) end
    p[2] = vals
  end
  if #pairs_ == 0 then error(fmt("%s: the grid is empty (no parameters)", fname), 3) end
  return pairs_
end

-- mf.sweep.product{lr = {...}, mu = {...}}: every combination; the first name varies slowest
-- (names in alphabetical order, or as listed in the form {{"lr", {...}}, {"mu", {...}}}).
function M.product(spec)
  local lists = named_lists("mf.sweep.product", spec)
  local names, points = {}, { {} }
  for _, p in ipairs(lists) do
    names[#names + 1] = p[1]
    local nxt = {}
    for _, pt in ipairs(points) do
      for _, v in ipairs(p[2]) do
        local q = {}
        for k, x in pairs(pt) do q[k] = x end
        q[p[1]] = v
        nxt[#nxt + 1] = q
      end
    end
    points = nxt
  end
  return setmetatable({ kind = "product", names = names, points = points }, Grid)
end

-- mf.sweep.zip{lr = {...}, mu = {...}}: the i-th point takes the i-th value of every list;
-- the lists must have equal lengths.
function M.zip(spec)
  local lists = named_lists("mf.sweep.zip", spec)
  local names, n = {}, #lists[1][2]
  for _, p in ipairs(lists) do
    names[#names + 1] = p[1]
    if #p[2] ~= n then
      error(fmt("mf.sweep.zip: lists of unequal length: '%s' has %d values, '%s' has %d",
        lists[1][1], n, p[1], #p[2]), 2)
    end
  end
  local points = {}
  for i = 1, n do
    local q = {}
    for _, p in ipairs(lists) do q[p[1]] = p[2][i] end
    points[i] = q
  end
  return setmetatable({ kind = "zip", names = names, points = points }, Grid)
end

-- An explicit list of points {{lr = .., mu = ..}, ...}; every point names the same parameters.
local function explicit(list)
  local names, first = {}, list[1]
  if type(first) ~= "table" then fail("grid point 1 must be a table {name = value, ...}", 4) end
  for k in pairs(first) do
    if type(k) ~= "string" then fail("grid point 1: parameter names must be strings", 4) end
    names[#names + 1] = k
  end
  table.sort(names)
  if #names == 0 then fail("the grid is empty (point 1 names no parameters)", 4) end
  local points = {}
  for i, pt in ipairs(list) do
    if type(pt) ~= "table" then fail(fmt("grid point %d must be a table, got %s", i, type(pt)), 4) end
    local q = {}
    for k, v in pairs(pt) do
      if first[k] == nil then
        fail(fmt("grid point %d names '%s', which point 1 does not (points: %s)", i, tostring(k),
          table.concat(names, ", ")), 4)
      end
      q[k] = check_value("mf.sweep", k, v, fmt("grid point %d: the value", i))
    end
    for _, k in ipairs(names) do
      if q[k] == nil then fail(fmt("grid point %d has no value for '%s'", i, k), 4) end
    end
    points[i] = q
  end
  return setmetatable({ kind = "points", names = names, points = points }, Grid)
end

local function as_grid(g)
  if getmetatable(g) == Grid then return g end
  if type(g) ~= "table" then
    fail("option 'grid' must be mf.sweep.product{...}, mf.sweep.zip{...} or a list of points, got " .. type(g), 4)
  end
  if next(g) == nil then fail("the grid is empty", 4) end
  if #g > 0 and type(g[1]) == "table" and type(g[1][1]) ~= "string" then return explicit(g) end
  local ok, res = pcall(M.product, g)
  if not ok then error(tostring(res):gsub("^mf%.sweep%.product", "mf.sweep"), 4) end
  return res
end

------------------------------------------------------------------------------
-- options
------------------------------------------------------------------------------

schema.kinds.sweep_seeds = function(v)
  if math.type(v) == "integer" and v >= 1 then return true end
  if type(v) == "table" and #v > 0 then
    for i = 1, #v do
      if math.type(v[i]) ~= "integer" then return false, "a count or a list of integer seeds" end
    end
    return true
  end
  return false, "an integer >= 1 or a list of integer seeds"
end
schema.kinds.landscape_or_function = function(v)
  return udname(v) == "mflab.landscape" or type(v) == "function", "a landscape or a function(p) returning one"
end
schema.kinds.count_or_function = function(v)
  return (math.type(v) == "integer" and v >= 0) or type(v) == "function", "an integer >= 0 or a function(p)"
end
schema.kinds.point_or_function = function(v)
  if type(v) == "function" then return true end
  return schema.kinds.point(v)
end
schema.kinds.batch = function(v)
  return type(v) == "boolean" or (math.type(v) == "integer" and v >= 1), "true, false or a maximum batch size"
end

local sweep_schema = schema.new("mf.sweep", {
  { name = "grid", kind = "table", required = true, doc = "the points: mf.sweep.product{...}, mf.sweep.zip{...} or a list {{name = value, ...}, ...}" },
  { name = "experiment", kind = "table", doc = "an experiment (mf.experiment): each point and seed runs E:run(p)" },
  { name = "run", kind = "function", doc = "run(p) -> {name = number, ...}, called for each point and seed (instead of experiment)" },
  { name = "seeds", kind = "sweep_seeds", doc = "with experiment/run: a count N (seeds 0..N-1) or a list of seeds, each a run with p[seed_param] set (default: one run, no seed set); with a run template: trajectories per point (default 1)" },
  { name = "seed_param", kind = "string", default = "seed", doc = "the parameter that receives the seed (experiment/run forms)" },
  { name = "landscape", kind = "landscape_or_function", doc = "run template: the landscape (or a function(p) returning one; the same object batches)" },
  { name = "optimizer", kind = "function", doc = "run template: function(p) returning the point's optimizer" },
  { name = "noise", kind = "function", doc = "run template: function(p) returning the point's noise model (or nil)" },
  { name = "x0", kind = "point_or_function", doc = "run template: the start, or function(p) returning it (default: the landscape's)" },
  { name = "steps", kind = "count_or_function", doc = "run template: steps, or function(p)" },
  { name = "every", kind = "count_or_function", doc = "run template: record every this many steps (default: as mf.run)" },
  { name = "seed", kind = "natural", default = 0, doc = "run template: mf.run's base seed" },
  { name = "record", kind = "names", doc = "run template: mf.run's observables (default {\"loss\"})" },
  { name = "outputs", kind = "function", doc = "run template: outputs(result, p) -> {name = number or array of per-trajectory numbers} (default: each recorded name's final value per trajectory)" },
  { name = "on_nonfinite", kind = "string", doc = "run template: passed to mf.run (\"error\" or \"drop\") when given" },
  { name = "threads", kind = "natural", doc = "run template: mf.run's worker threads" },
  { name = "batch", kind = "batch", default = true, doc = "run template: group points that differ only in optimizer/noise hyperparameters and x0 into one mf.run (true: at most 16 per run; a number: at most that many; false: one run per point)" },
  { name = "out", kind = "string", doc = "output folder for sweep.csv, sweep.npz, sweep.json and the journal sweep.journal (default: no files)" },
  { name = "resume", kind = "boolean", default = false, doc = "keep the points finished in out's journal (also a journal of a different grid: its matching points)" },
  { name = "force", kind = "boolean", default = false, doc = "start over in a folder that holds a sweep of different parameters" },
  { name = "ctx", kind = "table", doc = "an experiment's ctx (inside run(p, ctx)): out, resume and force default to ctx.out, ctx.resume, ctx.force, so --out, --resume and --force of the command line reach the sweep" },
  { name = "quiet", kind = "boolean", default = false, doc = "no progress bar and no failure list on stderr" },
  { name = "progress", kind = "function", doc = "called as progress(done, total, seconds) in points, instead of the bar" },
}, "runs a grid of parameter points x seeds and collects one result table (CSV, NPZ, JSON metadata, journal for resume)")

------------------------------------------------------------------------------
-- running one point
------------------------------------------------------------------------------

local function errmsg(e)
  if type(e) == "table" and e.message then return tostring(e.message) end
  return tostring(e)
end

local function is_interrupt(msg) return msg:find("interrupted", 1, true) ~= nil end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function pointdesc(names, p)
  local parts = {}
  for _, k in ipairs(names) do parts[#parts + 1] = k .. "=" .. showval(p[k]) end
  return table.concat(parts, ", ")
end

-- Per-seed runs of one point (experiment and run forms): the value is
-- {out = {name = {sample per seed (NaN where that seed gave none)}}, failed = k, errors = {...}}.
local function run_point(S, p)
  local out, failed, errors = {}, 0, {}
  local nseeds = S.seedlist and #S.seedlist or 1
  for si = 1, nseeds do
    local q = copy(p)
    if S.seedlist then q[S.seed_param] = S.seedlist[si] end
    local ok, res = pcall(S.runner, q)
    local msg
    if ok then
      if type(res) ~= "table" then
        msg = fmt("mf.sweep: the run returned %s, expected a table of named numbers", type(res))
      else
        local names = {}
        for k in pairs(res) do names[#names + 1] = k end
        table.sort(names, function(a, b) return tostring(a) < tostring(b) end)
        for _, k in ipairs(names) do
          local v = res[k]
          if type(k) == "string" and type(v) == "number" then
            out[k] = out[k] or {}
            out[k][si] = v + 0.0
          elseif not S.experiment then
            -- a run function's results are all outputs: anything but a named number is a mistake
            msg = fmt("mf.sweep: output '%s' is %s, expected a number", tostring(k),
              type(v) == "string" and fmt("a string (%q)", v) or (udname(v) or type(v)))
            break
          end
        end
      end
    else
      msg = errmsg(res)
      if is_interrupt(msg) then error(res, 0) end
    end
    if msg then
      failed = failed + 1
      errors[#errors + 1] = S.seedlist and fmt("seed %s: %s", num(S.seedlist[si]), msg) or msg
      for _, s in pairs(out) do s[si] = nil end
    end
  end
  for _, s in pairs(out) do
    for si = 1, nseeds do if s[si] == nil then s[si] = NAN end end
  end
  return { out = out, failed = failed, errors = errors }
end

-- The samples of one run-template point from its mf.run result.
local function template_outputs(S, r, p)
  local out = {}
  local res
  if S.outputs then
    res = S.outputs(r, p)
    if type(res) ~= "table" then
      error(fmt("mf.sweep: outputs(result, p) returned %s, expected a table of named numbers", type(res)), 0)
    end
  else
    res = {}
    for _, n in ipairs(r.names) do res[n] = r:at(n, #r) end
  end
  for k, v in pairs(res) do
    if type(k) ~= "string" then error("mf.sweep: outputs must be named (name = value)", 0) end
    v = schema.array(v)
    if type(v) == "number" then
      out[k] = { v + 0.0 }
    elseif type(v) == "table" then
      local s = {}
      for i = 1, #v do
        if type(v[i]) ~= "number" then
          error(fmt("mf.sweep: output '%s'[%d] is %s, expected a number", k, i, type(v[i])), 0)
        end
        s[i] = v[i] + 0.0
      end
      out[k] = s
    else
      error(fmt("mf.sweep: output '%s' is %s, expected a number or an array of numbers", k,
        type(v) == "string" and fmt("a string (%q)", v) or (udname(v) or type(v))), 0)
    end
  end
  return out
end

-- Whether mf.run takes configurations (branch runcore); looked up at call time.
local function run_has_configs()
  local s = schema.all["mf.run"]
  return s and s.byname.configs ~= nil
end

M._batched_runs = 0 -- mf.run calls with several configurations (for tests and metadata)
M._single_runs = 0

-- The mf.run options shared by the configurations of one task.
local function run_options(S, c)
  local o = { landscape = c.landscape, steps = c.steps, every = c.every, seeds = S.ntraj,
    seed = S.seed, record = S.record, quiet = true }
  if S.on_nonfinite then o.on_nonfinite = S.on_nonfinite end
  if S.threads then o.threads = S.threads end
  return o
end

-- A run-template task: the points idx (already grouped). Returns one value per point.
local function run_template_task(S, task)
  local confs, values = {}, {}
  for j, i in ipairs(task.points) do
    local p = S.grid.points[i]
    local ok, c = pcall(S.configure, p)
    if not ok then
      local msg = errmsg(c)
      if is_interrupt(msg) then error(c, 0) end
      values[j] = { out = {}, failed = 1, errors = { msg } }
    else
      confs[#confs + 1] = { j = j, c = c, p = p }
    end
  end
  local function finish_one(k, r)
    local ok, out = pcall(template_outputs, S, r, confs[k].p)
    if ok then values[confs[k].j] = { out = out, failed = 0, errors = {} }
    else values[confs[k].j] = { out = {}, failed = 1, errors = { errmsg(out) } } end
  end
  local function alone(k)
    local c = confs[k].c
    local o = run_options(S, c)
    o.optimizer, o.noise, o.x0 = c.optimizer, c.noise, c.x0
    M._single_runs = M._single_runs + 1
    local ok, r = pcall(require("mflab").run, o)
    if ok then return finish_one(k, r) end
    local msg = errmsg(r)
    if is_interrupt(msg) then error(r, 0) end
    values[confs[k].j] = { out = {}, failed = 1, errors = { msg } }
  end
  if #confs > 1 and run_has_configs() then
    local o = run_options(S, confs[1].c)
    o.configs = {}
    for k, cf in ipairs(confs) do o.configs[k] = { optimizer = cf.c.optimizer, noise = cf.c.noise, x0 = cf.c.x0 } end
    M._batched_runs = M._batched_runs + 1
    local ok, rs = pcall(require("mflab").run, o)
    if ok then
      for k = 1, #confs do
        local e = rs[k].error -- a configuration that left the reals carries its error
        if e then
          -- the message of the configuration run alone, so the metadata does not depend on batching
          e = tostring(e):gsub("^mf%.run: configuration %d+: ", "mf.run: ")
          values[confs[k].j] = { out = {}, failed = 1, errors = { e } }
        else
          finish_one(k, rs[k])
        end
      end
      return values
    end
    local msg = errmsg(rs)
    if is_interrupt(msg) then error(rs, 0) end
    -- one configuration failed the batch (a divergence with on_nonfinite = "error"): run them
    -- alone, as the unbatched sweep would, so each failure stays with its own point
  end
  for k = 1, #confs do alone(k) end
  return values
end

------------------------------------------------------------------------------
-- journal
------------------------------------------------------------------------------

local JOURNAL_MAGIC = "mflab-sweep-journal 1"

-- A point's key in the journal: its parameters, encoded exactly.
local function pointkey(names, p)
  local parts = {}
  for _, k in ipairs(names) do parts[#parts + 1] = k .. "=" .. encval(p[k]) end
  return table.concat(parts, ";")
end

local function encode_value(v)
  local parts = { "f=" .. fmt("%d", v.failed) }
  local names = {}
  for k in pairs(v.out) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local s = {}
    for i, x in ipairs(v.out[k]) do s[i] = hexnum(x) end
    parts[#parts + 1] = "o=" .. esc(k) .. ":" .. table.concat(s, ",")
  end
  for _, e in ipairs(v.errors) do parts[#parts + 1] = "e=" .. esc(e) end
  return table.concat(parts, " ")
end

local function decode_value(fields, from)
  local v = { out = {}, errors = {} }
  for i = from, #fields do
    local f = fields[i]
    local tag, rest = f:match("^(%a)=(.*)$")
    if tag == "f" then v.failed = math.tointeger(tonumber(rest))
    elseif tag == "o" then
      local name, list = rest:match("^([^:]*):(.*)$")
      if not name then return nil end
      local s = {}
      for x in list:gmatch("[^,]+") do
        local y = unhexnum(x)
        if not y then return nil end
        s[#s + 1] = y
      end
      v.out[unesc(name)] = s
    elseif tag == "e" then v.errors[#v.errors + 1] = unesc(rest)
    else return nil end
  end
  if not v.failed then return nil end
  return v
end

-- The journal line of a finished point: "P <key> <fields...> ." (the dot marks a whole line).
local function journal_line(key, v) return "P " .. esc(key) .. " " .. encode_value(v) .. " .\n" end

-- The header: what the results depend on besides the points (context), and the grid's
-- values per parameter (for naming what differs).
local function header_fields(S)
  local ctx = {
    { "runner", S.runner_name },
    { "seeds", S.seedlist and table.concat((function()
      local t = {}
      for i, s in ipairs(S.seedlist) do t[i] = num(s) end
      return t
    end)(), ",") or "none" },
    { "seed_param", S.seedlist and S.seed_param or "none" },
  }
  for _, k in ipairs(S.template_context or {}) do ctx[#ctx + 1] = k end
  local grid = {}
  for _, name in ipairs(S.grid.names) do
    local seen, vals = {}, {}
    for _, p in ipairs(S.grid.points) do
      local v = p[name]
      local key = encval(v)
      if not seen[key] then seen[key] = true; vals[#vals + 1] = v end
    end
    local shown = {}
    for i, v in ipairs(vals) do shown[i] = showval(v) end
    grid[#grid + 1] = { name, table.concat(shown, ", ") }
  end
  return ctx, grid
end

local function header_line(ctx, grid)
  local parts = { "H", JOURNAL_MAGIC }
  for _, kv in ipairs(ctx) do parts[#parts + 1] = "c=" .. esc(kv[1]) .. ":" .. esc(kv[2]) end
  for _, kv in ipairs(grid) do parts[#parts + 1] = "g=" .. esc(kv[1]) .. ":" .. esc(kv[2]) end
  return table.concat(parts, " ") .. " .\n"
end

local function split(line)
  local f = {}
  for w in line:gmatch("%S+") do f[#f + 1] = w end
  return f
end

-- Reads a journal: header {ctx = {k = v}, grid = {k = v}, order = {...}} and the points
-- {key = value}; lines cut short by a kill (no final " .") are dropped.
local function read_journal(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  local header, points, lines = nil, {}, {}
  for line in text:gmatch("([^\n]*)\n") do -- a last line without its newline is torn
    local fl = split(line)
    if fl[#fl] == "." then
      table.remove(fl)
      if fl[1] == "H" and not header and fl[2] .. " " .. (fl[3] or "") == JOURNAL_MAGIC then
        header = { ctx = {}, grid = {}, ctx_order = {}, grid_order = {} }
        for i = 4, #fl do
          local tag, k, v = fl[i]:match("^(%a)=([^:]*):(.*)$")
          if tag == "c" then
            header.ctx[unesc(k)] = unesc(v); header.ctx_order[#header.ctx_order + 1] = unesc(k)
          elseif tag == "g" then
            header.grid[unesc(k)] = unesc(v); header.grid_order[#header.grid_order + 1] = unesc(k)
          end
        end
      elseif fl[1] == "P" and header and fl[2] then
        local v = decode_value(fl, 3)
        if v then
          local key = unesc(fl[2])
          if not points[key] then lines[#lines + 1] = key end
          points[key] = v
        end
      end
    end
  end
  if not header then return { bad = true } end
  return { header = header, points = points, keys = lines }
end

-- What differs between a saved header and this sweep's (ctx, grid): a list of phrases, and
-- whether only grid values differ (a resume can reuse the matching points).
local function differences(h, ctx, grid)
  local diffs, ctx_differs = {}, false
  local now = {}
  for _, kv in ipairs(ctx) do
    now[kv[1]] = true
    if h.ctx[kv[1]] ~= kv[2] then
      ctx_differs = true
      diffs[#diffs + 1] = fmt("%s (saved %s; now %s)", kv[1], h.ctx[kv[1]] or "none", kv[2])
    end
  end
  for _, k in ipairs(h.ctx_order) do
    if not now[k] then
      ctx_differs = true
      diffs[#diffs + 1] = fmt("%s (saved %s; now none)", k, h.ctx[k])
    end
  end
  local gnow = {}
  for _, kv in ipairs(grid) do
    gnow[kv[1]] = true
    if h.grid[kv[1]] == nil then
      diffs[#diffs + 1] = fmt("%s (not in the saved grid; now %s)", kv[1], kv[2])
      ctx_differs = true
    elseif h.grid[kv[1]] ~= kv[2] then
      diffs[#diffs + 1] = fmt("%s (saved %s; now %s)", kv[1], h.grid[kv[1]], kv[2])
    end
  end
  for _, k in ipairs(h.grid_order) do
    if not gnow[k] then
      diffs[#diffs + 1] = fmt("%s (saved %s; not in this grid)", k, h.grid[k])
      ctx_differs = true
    end
  end
  return diffs, ctx_differs
end

------------------------------------------------------------------------------
-- the result table
------------------------------------------------------------------------------

local Sweep = {}
local SweepMT = { __name = "mflab.sweep", __index = Sweep }

-- S:column(name): the values of one column, a row per point (parameters, point, failed,
-- <output>_mean, _std, _stderr, _n, _nonfinite).
function Sweep:column(name)
  if getmetatable(self) ~= SweepMT then error("sweep:column: call it as S:column(name)", 2) end
  if not self._has[name] then
    error(fmt("sweep:column: no column '%s' (columns: %s)", tostring(name), table.concat(self.columns, ", ")), 2)
  end
  local c = {}
  for i = 1, #self do c[i] = self[i][name] end
  return c
end

-- S:failures(): the failed points {point =, params =, failed =, errors = {...}}, in point order.
function Sweep:failures()
  if getmetatable(self) ~= SweepMT then error("sweep:failures: call it as S:failures()", 2) end
  local out = {}
  for i, f in ipairs(self.metadata.failures) do out[i] = f end
  return out
end

local function new_result(rows, columns, params, outputs, md)
  local result = setmetatable({}, SweepMT)
  for i, r in ipairs(rows) do result[i] = r end
  result.rows = rows
  result.columns, result.params, result.outputs = columns, params, outputs
  result.metadata = md
  result._has = {}
  for _, c in ipairs(columns) do result._has[c] = true end
  return result
end

local function cell(v)
  if type(v) == "number" then return num(v) end
  return tostring(v)
end

function SweepMT.__tostring(self)
  local out = { fmt("sweep: %d points x %s, %d failed; columns: %s", #self,
    self.metadata.seeds_desc, #self.metadata.failures, table.concat(self.columns, ", ")) }
  local cols = { "point" }
  for _, n in ipairs(self.params) do cols[#cols + 1] = n end
  for _, o in ipairs(self.outputs) do cols[#cols + 1] = o .. "_mean"; cols[#cols + 1] = o .. "_stderr" end
  cols[#cols + 1] = "failed"
  local rows, width = { cols }, {}
  local limit = #self > 40 and 20 or #self
  for i = 1, limit do
    local r = {}
    for k, c in ipairs(cols) do r[k] = cell(self[i][c]) end
    rows[#rows + 1] = r
  end
  for _, r in ipairs(rows) do
    for k, s in ipairs(r) do width[k] = math.max(width[k] or 0, #s) end
  end
  for _, r in ipairs(rows) do
    local s = {}
    for k, x in ipairs(r) do s[k] = (" "):rep(width[k] - #x) .. x end
    out[#out + 1] = "  " .. table.concat(s, "  ")
  end
  if limit < #self then out[#out + 1] = fmt("  ... %d more rows (S[i], S:column(name))", #self - limit) end
  return table.concat(out, "\n")
end

-- Statistics of the finite samples, summed in seed order: mean, std (n - 1), stderr, n,
-- and how many seeds gave no finite value.
local function stats(samples, nexpected)
  if not samples then return NAN, NAN, NAN, 0, nexpected end
  local n, s = 0, 0.0
  for _, x in ipairs(samples) do
    if isfinite(x) then n = n + 1; s = s + x end
  end
  if n == 0 then return NAN, NAN, NAN, 0, #samples end
  local mean = s / n
  if n < 2 then return mean, NAN, NAN, n, #samples - n end
  local q = 0.0
  for _, x in ipairs(samples) do
    if isfinite(x) then q = q + (x - mean) * (x - mean) end
  end
  local std = math.sqrt(q / (n - 1))
  return mean, std, std / math.sqrt(n), n, #samples - n
end

local STAT_SUFFIX = { "mean", "std", "stderr", "n", "nonfinite" }

-- Rows from the point values: the same function for fresh and journaled values, so the
-- files do not depend on where a value came from.
local function build_rows(S, values)
  local onames, seen = {}, {}
  for i = 1, #values do
    for k in pairs(values[i].out) do
      if not seen[k] then seen[k] = true; onames[#onames + 1] = k end
    end
  end
  table.sort(onames)
  local pset = {}
  for _, n in ipairs(S.grid.names) do pset[n] = true end
  for _, o in ipairs(onames) do
    for _, suf in ipairs(STAT_SUFFIX) do
      if pset[o .. "_" .. suf] then fail(fmt("output column '%s_%s' has the name of a parameter", o, suf), 3) end
    end
  end
  local columns = { "point" }
  for _, n in ipairs(S.grid.names) do
    if n == "point" or n == "failed" then fail(fmt("parameter name '%s' is reserved for a column", n), 3) end
    columns[#columns + 1] = n
  end
  columns[#columns + 1] = "failed"
  for _, o in ipairs(onames) do
    for _, suf in ipairs(STAT_SUFFIX) do columns[#columns + 1] = o .. "_" .. suf end
  end
  local rows, failures = {}, {}
  for i, p in ipairs(S.grid.points) do
    local v = values[i]
    local row = { point = i, failed = v.failed }
    for _, n in ipairs(S.grid.names) do row[n] = p[n] end
    for _, o in ipairs(onames) do
      local m, sd, se, n, bad = stats(v.out[o], S.nsamples)
      row[o .. "_mean"], row[o .. "_std"], row[o .. "_stderr"] = m, sd, se
      row[o .. "_n"], row[o .. "_nonfinite"] = n, bad
    end
    if #v.errors > 0 then
      row.error = v.errors[1]
      local params = {}
      for _, n in ipairs(S.grid.names) do params[n] = p[n] end
      failures[#failures + 1] = { point = i, params = params, failed = v.failed, errors = v.errors }
    end
    rows[i] = row
  end
  return rows, columns, onames, failures
end

------------------------------------------------------------------------------
-- files
------------------------------------------------------------------------------

local function csv_text(S, rows, columns)
  local out = { table.concat(columns, ",") }
  for _, row in ipairs(rows) do
    local r = {}
    for k, c in ipairs(columns) do
      local v = row[c]
      if type(v) == "boolean" then v = v and 1 or 0 end
      if type(v) == "string" and v:find("[,\"\n\r]") then
        fail(fmt("string parameter value %q cannot go into CSV (commas, quotes, newlines)", v), 4)
      end
      r[k] = cell(v)
    end
    out[#out + 1] = table.concat(r, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

-- The NPZ arrays: one per column, float64, or int64 for integer columns; string parameters
-- become int64 codes into the sorted list of their values (metadata 'levels').
local function npz_specs(rows, columns)
  local specs, levels = {}, {}
  for _, c in ipairs(columns) do
    local kind = "i"
    local strs = {}
    for _, row in ipairs(rows) do
      local v = row[c]
      if type(v) == "string" then kind = "s"; strs[v] = true
      elseif type(v) == "boolean" then if kind ~= "s" and kind ~= "f" then kind = "i" end
      elseif math.type(v) ~= "integer" and kind == "i" then kind = "f" end
    end
    local codes
    if kind == "s" then
      local list = {}
      for s in pairs(strs) do list[#list + 1] = s end
      table.sort(list)
      codes = {}
      for k, s in ipairs(list) do codes[s] = k end
      levels[c] = list
    end
    local vals = {}
    for i, row in ipairs(rows) do
      local v = row[c]
      if kind == "s" then v = codes[v] or 0
      elseif type(v) == "boolean" then v = v and 1 or 0 end
      vals[i] = v
    end
    local data
    if kind == "f" then
      local parts = {}
      for i = 1, #vals do parts[i] = string.pack("=d", vals[i]) end
      data = table.concat(parts)
      specs[#specs + 1] = { name = c, data = data, shape = { #rows } }
    else
      local parts = {}
      for i = 1, #vals do parts[i] = string.pack("=i8", math.tointeger(vals[i])) end
      specs[#specs + 1] = { name = c, data = table.concat(parts), dtype = "i", shape = { #rows } }
    end
  end
  return specs, levels
end

local function join(dir, name) return dir:sub(-1) == "/" and dir .. name or dir .. "/" .. name end

-- Writes sweep.csv, sweep.npz and sweep.json together: each to a temporary name, all fsynced,
-- then renamed data first and metadata last.
local function write_files(S, rows, columns, md)
  local dir = S.out
  local csv, npz, json = join(dir, "sweep.csv"), join(dir, "sweep.npz"), join(dir, "sweep.json")
  local tcsv, tnpz, tjson = join(dir, ".sweep.csv.new"), join(dir, ".sweep.npz.new"), join(dir, ".sweep.json.new")
  local specs, levels = npz_specs(rows, columns)
  if next(levels) then md.levels = levels end
  local function put(p, text)
    local f, err = io.open(p, "wb")
    local ok, werr = f and f:write(text)
    local closed = f and f:close()
    if not (ok and closed) then fail(fmt("cannot write '%s': %s", p, tostring(err or werr)), 4) end
  end
  put(tcsv, csv_text(S, rows, columns))
  core.write_npz(tnpz, specs)
  put(tjson, export.json(md) .. "\n")
  core.file_commit({ tcsv, tnpz, tjson }, { csv, npz, json })
  return { csv = csv, npz = npz, json = json }
end

------------------------------------------------------------------------------
-- progress
------------------------------------------------------------------------------

local function clock(s)
  s = math.floor(s + 0.5)
  if s >= 3600 then return fmt("%d:%02d:%02d", s // 3600, s // 60 % 60, s % 60) end
  return fmt("%d:%02d", s // 60, s % 60)
end

-- The bar's text: points done of total after `seconds`, rate and time left counted over the
-- points computed in this session (not those taken from a journal).
function M._progress_text(done, total, seconds, computed)
  computed = computed or done
  local frac = total > 0 and math.min(1, done / total) or 1
  local full = math.floor(frac * progress.width + 0.5)
  local rate = seconds > 0 and computed / seconds or 0
  local left = rate > 0 and (total - done) / rate or nil
  return fmt("mf.sweep [%s%s] %3d%%  %d/%d points  %.2f points/s  %s left",
    ("#"):rep(full), ("."):rep(progress.width - full), math.floor(frac * 100), done, total, rate,
    left and clock(left) or "?")
end

------------------------------------------------------------------------------
-- mf.sweep
------------------------------------------------------------------------------

-- mf.sweep.load(dir): the result table of a sweep saved in folder dir (sweep.csv and
-- sweep.json), e.g. to redraw its figures without recomputing.
function M.load(dir)
  local fname = "mf.sweep.load"
  if type(dir) ~= "string" or dir == "" then error(fname .. ": argument 'dir' must be a folder name", 2) end
  local function slurp(name)
    local f, err = io.open(join(dir, name), "rb")
    if not f then error(fmt("%s: cannot read '%s': %s", fname, join(dir, name), tostring(err):gsub("^[^:]*: ", "")), 3) end
    local t = f:read("a")
    f:close()
    return t
  end
  local md = require("mflab.json").decode(slurp("sweep.json"), join(dir, "sweep.json"))
  local text = slurp("sweep.csv")
  local columns, rows = nil, {}
  for line in text:gmatch("([^\n]*)\n") do
    local cells = {}
    for c in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c end
    if not columns then
      columns = cells
    else
      if #cells ~= #columns then
        error(fmt("%s: '%s' line %d has %d cells, the header %d", fname, join(dir, "sweep.csv"), #rows + 2, #cells, #columns), 2)
      end
      local row = {}
      for k, c in ipairs(cells) do
        local v = c == "nan" and NAN or c == "inf" and math.huge or c == "-inf" and -math.huge or tonumber(c)
        if v == nil then v = c end
        row[columns[k]] = v
      end
      rows[#rows + 1] = row
    end
  end
  if not columns then error(fmt("%s: '%s' is empty", fname, join(dir, "sweep.csv")), 2) end
  for _, f in ipairs(md.failures or {}) do
    if rows[f.point] and f.errors and f.errors[1] then rows[f.point].error = f.errors[1] end
  end
  md.failures = md.failures or {}
  local grid = md.grid or {}
  return new_result(rows, columns, grid.names or {}, md.outputs or {}, md)
end

local function parallel_module()
  local ok, par = pcall(require, "mflab.parallel")
  if ok then return par end
  if tostring(par):find("module 'mflab.parallel' not found", 1, true) then return nil end
  error(par, 0)
end

-- Tasks: lists of point indices. Run-template points are grouped by what one mf.run must
-- share (landscape, steps, every, optimizer type, noise type) in point order, cut into
-- batches of at most K; the grouping depends only on the grid, never on the journal, so every
-- MPI rank builds the same tasks.
local function make_tasks(S, nranks)
  local tasks = {}
  if not S.template then
    for i = 1, #S.grid.points do tasks[i] = { points = { i } } end
    return tasks
  end
  local K = S.batch == true and 16 or S.batch == false and 1 or S.batch
  if nranks > 1 then K = math.max(1, math.min(K, math.ceil(#S.grid.points / nranks))) end
  local groups, order = {}, {}
  local lids, nl = setmetatable({}, { __mode = "k" }), 0
  for i, p in ipairs(S.grid.points) do
    local ok, c = pcall(S.configure, p)
    local key
    if ok then
      if not lids[c.landscape] then nl = nl + 1; lids[c.landscape] = nl end
      key = table.concat({ lids[c.landscape], tostring(c.steps), tostring(c.every),
        c.optimizer.name, c.noise and c.noise.name or "-" }, "|")
    else
      key = "error:" .. i -- reported when the task runs
    end
    if not groups[key] then groups[key] = {}; order[#order + 1] = key end
    local g = groups[key]
    if #g == 0 or #g[#g].points >= K then g[#g + 1] = { points = {} } end
    table.insert(g[#g].points, i)
  end
  for _, key in ipairs(order) do
    for _, t in ipairs(groups[key]) do tasks[#tasks + 1] = t end
  end
  table.sort(tasks, function(a, b) return a.points[1] < b.points[1] end)
  return tasks
end

local function sweep(opts)
  local o = schema.check(sweep_schema, opts)
  if o.ctx then
    if opts.out == nil then o.out = o.ctx.out end
    if opts.resume == nil then o.resume = o.ctx.resume and true or false end
    if opts.force == nil then o.force = o.ctx.force and true or false end
  end
  local S = { seed_param = o.seed_param, out = o.out, seed = o.seed, on_nonfinite = o.on_nonfinite,
    threads = o.threads, batch = o.batch, outputs = o.outputs }
  S.grid = as_grid(o.grid)
  if #S.grid.points == 0 then fail("the grid is empty", 2) end
  local forms = (o.experiment and 1 or 0) + (o.run and 1 or 0) + (o.optimizer and 1 or 0)
  if forms ~= 1 then
    fail("give exactly one of 'experiment' (E:run(p)), 'run' (a function(p)) or a run template ('optimizer' = function(p), with 'landscape' and 'steps')", 2)
  end
  local template_only = { "landscape", "noise", "x0", "steps", "every", "record", "outputs", "on_nonfinite", "threads" }
  if o.optimizer then
    S.template = true
    for _, k in ipairs { "landscape", "steps" } do
      if o[k] == nil then fail(fmt("option '%s' is required for a run template", k), 2) end
    end
    if opts.seed_param then fail("option 'seed_param' is for the experiment and run forms; a run template's seeds are trajectories", 2) end
    if type(o.seeds) == "table" then fail("option 'seeds' of a run template is the number of trajectories (an integer)", 2) end
    S.ntraj = o.seeds or 1
    S.nsamples = S.ntraj
    S.record = o.record or { "loss" }
    local L, opt_f, noise_f, x0, steps, every = o.landscape, o.optimizer, o.noise, o.x0, o.steps, o.every
    S.configure = function(p)
      local c = {}
      c.landscape = type(L) == "function" and L(p) or L
      if udname(c.landscape) ~= "mflab.landscape" then
        error(fmt("mf.sweep: landscape(p) returned %s, expected a landscape", udname(c.landscape) or type(c.landscape)), 0)
      end
      c.optimizer = opt_f(p)
      if udname(c.optimizer) ~= "mflab.optimizer" then
        error(fmt("mf.sweep: optimizer(p) returned %s, expected an optimizer (mf.opt.*)", udname(c.optimizer) or type(c.optimizer)), 0)
      end
      if noise_f then
        c.noise = noise_f(p)
        if c.noise ~= nil and udname(c.noise) ~= "mflab.noise" then
          error(fmt("mf.sweep: noise(p) returned %s, expected a noise model (mf.noise.*) or nil", udname(c.noise) or type(c.noise)), 0)
        end
      end
      if type(x0) == "function" then c.x0 = x0(p) else c.x0 = x0 end
      c.steps = type(steps) == "function" and steps(p) or steps
      c.every = type(every) == "function" and every(p) or every
      if math.type(c.steps) ~= "integer" or c.steps < 0 then error("mf.sweep: steps(p) must return an integer >= 0", 0) end
      return c
    end
    S.runner_name = "template"
    S.template_context = {
      { "trajectories", tostring(S.ntraj) }, { "seed", tostring(S.seed) },
      { "record", table.concat(S.record, ",") },
      { "steps", type(steps) == "function" and "function" or tostring(steps) },
      { "every", type(every) == "function" and "function" or tostring(every) },
      { "outputs", o.outputs and "function" or "final values" },
    }
  else
    for _, k in ipairs(template_only) do
      if o[k] ~= nil then fail(fmt("option '%s' belongs to a run template (optimizer = function(p) ...)", k), 2) end
    end
    if o.seeds then
      local list = o.seeds
      if math.type(list) == "integer" then
        list = {}
        for s = 0, o.seeds - 1 do list[#list + 1] = s end
      end
      S.seedlist = list
    end
    S.nsamples = S.seedlist and #S.seedlist or 1
    if o.experiment then
      local E = o.experiment
      if type(E.run) ~= "function" or type(E.params) ~= "table" then
        fail("option 'experiment' must be an experiment (mf.experiment{...}: E:run(p) and E.params)", 2)
      end
      local declared, list = {}, {}
      for _, prm in ipairs(E.params) do declared[prm.name] = true; list[#list + 1] = prm.name end
      for _, n in ipairs(S.grid.names) do
        if not declared[n] then
          fail(fmt("unknown parameter '%s' in the grid (experiment '%s' declares: %s)", n,
            tostring(E.name), table.concat(list, ", ")), 2)
        end
      end
      if S.seedlist and not declared[S.seed_param] then
        fail(fmt("option 'seeds' needs the seed parameter '%s', which experiment '%s' does not declare (declared: %s; set seed_param)",
          S.seed_param, tostring(E.name), table.concat(list, ", ")), 2)
      end
      S.experiment = E
      S.runner = function(p) return E:run(p) end
      S.runner_name = "experiment " .. tostring(E.name)
    else
      S.runner = o.run
      S.runner_name = "run function"
    end
    if S.seedlist then
      for _, n in ipairs(S.grid.names) do
        if n == S.seed_param then
          fail(fmt("the grid sets '%s', which option 'seeds' sets for each run (drop one of them)", n), 2)
        end
      end
    end
  end

  local par = parallel_module()
  local nranks = par and par.size and par.size() or 1
  local root = not par or not par.is_root or par.is_root()
  local tasks = make_tasks(S, nranks)
  local keys = {}
  for i, p in ipairs(S.grid.points) do keys[i] = pointkey(S.grid.names, p) end

  -- the output folder and the journal (root only)
  local values, from_journal = {}, 0
  local jpath
  if root and S.out then
    local okm, merr = pcall(core.mkdir, S.out)
    if not okm then fail(tostring(merr):gsub("^mf%.experiment: ", ""), 2) end
    jpath = join(S.out, "sweep.journal")
    local ctx, grid = header_fields(S)
    local saved = read_journal(jpath)
    local keep = {}
    if saved and saved.bad then
      if not o.force then
        fail(fmt("folder '%s' has a journal this version cannot read (%s); use force = true to start over", S.out, jpath), 2)
      end
    elseif saved then
      local diffs, ctx_differs = differences(saved.header, ctx, grid)
      if #diffs > 0 and not o.force then
        if not o.resume then
          fail(fmt("folder '%s' holds a sweep of different parameters: %s; use resume = true to keep its finished points%s or force = true to start over",
            S.out, table.concat(diffs, "; "), ctx_differs and " (not possible here)" or ""), 2)
        elseif ctx_differs then
          fail(fmt("cannot resume in folder '%s': its sweep differs in %s; use force = true to start over",
            S.out, table.concat(diffs, "; ")), 2)
        end
      end
      if o.resume and not o.force then keep = saved.points end
    end
    local lines = { header_line(ctx, grid) }
    for i, k in ipairs(keys) do
      if keep[k] then
        values[i] = keep[k]
        from_journal = from_journal + 1
        lines[#lines + 1] = journal_line(k, keep[k])
      end
    end
    -- the torn tail of a killed run goes here; fixed temporary names, so a kill leaves at
    -- most one of each, and whatever an earlier kill left is removed first
    for _, name in ipairs(core.listdir(S.out)) do
      if name:match("^%.sweep%.") then os.remove(join(S.out, name)) end
    end
    local tj = join(S.out, ".sweep.journal.new")
    local f, ferr = io.open(tj, "wb")
    if not f then fail(fmt("cannot write the journal in '%s': %s", S.out, tostring(ferr)), 2) end
    f:write(table.concat(lines))
    f:close()
    core.file_commit({ tj }, { jpath })
  end

  -- progress
  local total, done, computed = #S.grid.points, from_journal, 0
  local t0 = core.clock()
  local report, finish = nil, function() end
  if root then
    if o.progress then
      report = o.progress
    elseif not o.quiet and core.isatty("stderr") then
      local shown = false
      report = function(d, n, s)
        if s < progress.delay and d < n then return end
        shown = true
        io.stderr:write("\r", M._progress_text(d, n, s, computed), "\27[K")
        io.stderr:flush()
      end
      finish = function() if shown then io.stderr:write("\r\27[K"); io.stderr:flush() end end
    end
  end
  local saved_silent = progress.silent
  progress.silent = true -- no mf.run bars inside the points

  local function record(t, v)
    local task = tasks[t]
    if type(v) == "table" and v.error ~= nil and #v == 0 then
      local msg = tostring(v.error)
      if is_interrupt(msg) then error(msg, 0) end
      local list = {}
      for j = 1, #task.points do list[j] = { out = {}, failed = 1, errors = { msg } } end
      v = list
    end
    local lines = {}
    for j, i in ipairs(task.points) do
      if values[i] == nil then
        values[i] = v[j]
        done, computed = done + 1, computed + 1
        lines[#lines + 1] = journal_line(keys[i], v[j])
      end
    end
    if jpath and #lines > 0 then core.file_append(jpath, table.concat(lines)) end
    if report then report(done, total, core.clock() - t0) end
  end

  local skip = {}
  for t, task in ipairs(tasks) do
    local all = true
    for _, i in ipairs(task.points) do if values[i] == nil then all = false end end
    if all then skip[t] = true end
  end
  local function run_task(t)
    local task = tasks[t]
    if S.template then return run_template_task(S, task) end
    return { run_point(S, S.grid.points[task.points[1]]) }
  end

  local ok, err = pcall(function()
    if par and par.map then
      local res = par.map { n = #tasks, run = run_task, done = record, skip = skip }
      return res
    end
    for t = 1, #tasks do
      if not skip[t] then
        local okt, v = pcall(run_task, t)
        if not okt then
          local msg = errmsg(v)
          if is_interrupt(msg) then error(v, 0) end
          v = { error = msg }
        end
        record(t, v)
      end
    end
  end)
  progress.silent = saved_silent
  finish()
  if not ok then error(err, 0) end
  if not root then return nil end
  for i = 1, #S.grid.points do
    if values[i] == nil then -- map must deliver every task once; say so rather than crash later
      fail(fmt("no value came back for point %d (%s) from mf.parallel.map", i, pointdesc(S.grid.names, S.grid.points[i])), 2)
    end
  end

  local rows, columns, onames, failures = build_rows(S, values)
  local wall = core.clock() - t0
  local params = {}
  for _, n in ipairs(S.grid.names) do
    local seen, vals = {}, {}
    for _, p in ipairs(S.grid.points) do
      local k = encval(p[n])
      if not seen[k] then seen[k] = true; vals[#vals + 1] = p[n] end
    end
    params[n] = vals
  end
  local md = {
    made_by = "mf.sweep", mflab = core.version, host = core.hostname(),
    date = os.date("!%Y-%m-%dT%H:%M:%SZ"), wall_seconds = wall,
    runner = S.runner_name,
    grid = { kind = S.grid.kind, names = S.grid.names, values = params, points = #S.grid.points },
    seeds = S.seedlist or (S.template and S.ntraj) or nil,
    seed_param = S.seedlist and S.seed_param or nil,
    seeds_desc = S.template and fmt("%d trajectories", S.ntraj)
      or S.seedlist and fmt("%d seeds", #S.seedlist) or "1 run",
    outputs = onames, columns = columns,
    points_computed = computed, points_from_journal = from_journal,
    ranks = nranks, tasks = #tasks,
    failures = failures,
    files = S.out and { csv = "sweep.csv", npz = "sweep.npz", journal = "sweep.journal",
      layout = "a row per point: point, the parameters, failed (seeds whose run raised), then per output <name>_mean, _std, _stderr (n - 1; NaN below two values), _n (finite values), _nonfinite (seeds without a finite value)" } or nil,
  }
  if S.template then
    md.template = { steps = type(o.steps) == "number" and o.steps or "function", seed = S.seed,
      record = S.record, batch = S.batch, configs_in_one_run = run_has_configs() }
  end
  if S.experiment and type(S.experiment.defaults) == "function" then
    local okd, d = pcall(S.experiment.defaults, S.experiment)
    if okd then md.defaults = d end
  end
  local result = new_result(rows, columns, S.grid.names, onames, md)
  if S.out then result.files = write_files(S, rows, columns, md) end
  if #failures > 0 and not o.quiet then
    io.stderr:write(fmt("mf.sweep: %d of %d points failed:\n", #failures, #rows))
    for _, f in ipairs(failures) do
      io.stderr:write(fmt("  point %d (%s): %s%s\n", f.point, pointdesc(S.grid.names, f.params),
        f.errors[1]:gsub("\n.*", ""), #f.errors > 1 and fmt(" (and %d more)", #f.errors - 1) or ""))
    end
  end
  return result
end

core.methods.sweep = Sweep -- so help's walker finds sweep:column and friends

return setmetatable(M, {
  __call = function(_, opts) return sweep(opts) end,
})
