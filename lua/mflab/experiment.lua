-- mf.experiment: the unit of a reusable experiment library.
--
-- An experiment is one Lua file that declares its parameters, a run(p, ctx) returning named
-- results, optionally plot(results, p, ctx) and report(results, p, ctx), and a --quick
-- parameter set, and ends with `return E:main(...)`: run as a script (`mflab exp.lua lr=0.01
-- --out DIR`) it parses the command line, computes and writes its output folder; require'd
-- (from the script's folder or an MFLAB_PATH folder) it returns E, whose E:run(p) other
-- scripts and mf.sweep call. README "Experiments" has the grammar and an example.
local core = require "mflab.core"
local schema = require "mflab.schema"
local json = require "mflab.json"

local M = {}
local fmt = string.format

local Experiment = {}
Experiment.__index = Experiment
Experiment.__name = "mflab.experiment"

------------------------------------------------------------------------------
-- parameter kinds
------------------------------------------------------------------------------

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

-- An exact-integer float (1e6) counts as an integer wherever a count is taken.
local function as_integer(v)
  if math.type(v) == "integer" then return v end
  if finite(v) then return math.tointeger(v) end
  return nil
end

-- a number as people write it: the shortest form that reads back to the same value (0.5, 16)
local function num(v)
  if math.type(v) == "integer" then return fmt("%d", v) end
  return (json.number(v):gsub("%.0$", ""))
end

local function show(v)
  if type(v) == "string" then return fmt("%q", v) end
  if type(v) == "number" then return num(v) end
  if type(v) == "table" then
    local parts = {}
    for i = 1, #v do parts[i] = show(v[i]) end
    return "{" .. table.concat(parts, ", ") .. "}"
  end
  return tostring(v)
end

-- Command-line form of a value (what `key=value` would take).
local function cli_value(v)
  if type(v) == "number" then return num(v) end
  if type(v) == "table" then
    local parts = {}
    for i = 1, #v do parts[i] = cli_value(v[i]) end
    return table.concat(parts, ",")
  end
  return tostring(v)
end

local BOOL = { ["true"] = true, yes = true, on = true, ["1"] = true,
               ["false"] = false, no = false, off = false, ["0"] = false }

-- kind -> { want = what it accepts, check = Lua value -> normalized value or nil,
--           parse = string -> value or nil, elem = element kind of a list kind }
local KINDS = {
  -- a number parameter is always a float (lr=0x10 is 16.0), so its results and metadata do
  -- not depend on how the value was written
  number = { want = "a finite number", check = function(v) return finite(v) and v + 0.0 or nil end,
             parse = function(s) local v = tonumber(s); return finite(v) and v or nil end },
  integer = { want = "an integer (1e6 counts)", check = as_integer,
              parse = function(s) return as_integer(tonumber(s)) end },
  boolean = { want = "true or false", check = function(v) if type(v) == "boolean" then return v end end,
              parse = function(s) return BOOL[s:lower()] end },
  string = { want = "a string", check = function(v) return type(v) == "string" and v or nil end,
             parse = function(s) return s end },
}
for _, k in ipairs { "number", "integer", "string" } do
  local e = KINDS[k]
  KINDS[k .. "s"] = {
    elem = k, want = "a list of " .. e.want:gsub("^an? ", ""):gsub(" %(.*%)", "") .. "s",
    check = function(v)
      if type(v) ~= "table" then return nil end
      local out = {}
      for i = 1, #v do
        out[i] = e.check(v[i])
        if out[i] == nil then return nil end
      end
      for key in pairs(v) do if math.type(key) ~= "integer" or key < 1 or key > #v then return nil end end
      return out
    end,
  }
end
M.kinds = KINDS

-- "a,b,c", "lin:A:B:N" (N points from A to B, ends included) or "log:A:B:N" (N points from A
-- to B evenly spaced in log, A, B > 0): the strings of the list, or nil for a single value.
local function split_list(name, s, elem)
  local how, a, b, n = s:match("^(%a+):([^:]+):([^:]+):([^:]+)$")
  if how == "lin" or how == "log" then
    local x, y, k = tonumber(a), tonumber(b), as_integer(tonumber(n))
    if not (finite(x) and finite(y) and k and k >= 1) then
      return nil, fmt("parameter '%s': a range is %s:FROM:TO:COUNT with numbers and a count >= 1, got '%s'", name, how, s)
    end
    if how == "log" and not (x > 0 and y > 0) then
      return nil, fmt("parameter '%s': a log range needs FROM, TO > 0, got '%s'", name, s)
    end
    local out = {}
    for i = 0, k - 1 do
      local f = k == 1 and 0 or i / (k - 1)
      local v
      if how == "lin" then v = x + (y - x) * f else v = x * (y / x) ^ f end
      -- 15 significant digits: lin:0:1:11 gives 0.3, log:1e-3:1e-1:3 gives 0.01, as written
      v = tonumber(fmt("%.15g", v))
      if i == 0 then v = x elseif i == k - 1 then v = y end -- the ends exactly as written
      if elem == "integer" then
        local r = math.floor(v + 0.5)
        if math.abs(v - r) > 1e-9 * math.max(1, math.abs(v)) then
          return nil, fmt("parameter '%s' takes integers; the range '%s' gives %s", name, s, json.number(v))
        end
        v = math.tointeger(r)
      end
      out[#out + 1] = fmt("%.17g", v)
    end
    return out
  end
  if s:find(",", 1, true) then
    local out = {}
    for part in (s .. ","):gmatch("([^,]*),") do out[#out + 1] = part end
    return out
  end
  return nil
end

------------------------------------------------------------------------------
-- declaration
------------------------------------------------------------------------------

local S = schema.new("mf.experiment", {
  { name = "name", kind = "string", required = true,
    doc = "the experiment's name: its default output folder and the prefix of its files" },
  { name = "doc", kind = "string", default = "", doc = "what it computes and shows (first line: a summary)" },
  { name = "params", kind = "table", default = {},
    doc = "the parameters, in order: {name =, default =, kind = 'number'|'integer'|'boolean'|'string'|'numbers'|'integers'|'strings', doc =, one_of =}" },
  { name = "quick", kind = "table", default = {}, doc = "the parameter values of --quick (a small, fast version)" },
  { name = "sets", kind = "table", default = {}, doc = "other named parameter sets, each a flag: sets = {full = {d = 100}} gives --full" },
  { name = "run", kind = "function", required = true, doc = "run(p, ctx): computes and returns the results table (no files)" },
  { name = "plot", kind = "function", doc = "plot(results, p, ctx): figures and derived files (CSV) in ctx.out; again on --replot" },
  { name = "report", kind = "function", doc = "report(results, p, ctx): prints the summary; again on --replot" },
}, "an experiment (README: Experiments): `return E:main(...)` makes its file a command (mflab FILE name=value ... --quick --out DIR --replot --force --resume --help) and require'able; E:run{name = value} returns the results; E:defaults(), E.params, E:cli{args}; help(E) shows its parameters")

local RESERVED = { help = true, quick = true, out = true, replot = true, force = true, resume = true }

local function decl_error(name, msg) error(fmt("mf.experiment '%s': %s", name, msg), 3) end

local function infer_kind(v)
  if math.type(v) == "integer" then return "integer" end
  if type(v) == "number" then return "number" end
  if type(v) == "boolean" then return "boolean" end
  if type(v) == "string" then return "string" end
  if type(v) == "table" then
    local k = infer_kind(v[1])
    if k and KINDS[k .. "s"] then return k .. "s" end
  end
  return nil
end

-- mf.experiment{name =, doc =, params = {...}, quick = {...}, run =, plot =, report =}
function M.new(opts)
  local o = schema.check(S, opts)
  local E = setmetatable({ name = o.name, doc = o.doc, run_fn = o.run, plot_fn = o.plot, report_fn = o.report,
                           params = {}, byname = {}, quick = {}, sets = {} }, Experiment)
  if not o.name:match("^[%w_.-]+$") then
    decl_error(o.name, "the name must be letters, digits, '_', '-' or '.' (it names files)")
  end
  -- the file that declares it: E:main runs only when that file is the main script
  local info = debug.getinfo(2, "S")
  E.source = info and info.source
  for i, d in ipairs(o.params) do
    if type(d) ~= "table" or type(d.name) ~= "string" or not d.name:match("^[%a_][%w_]*$") then
      decl_error(o.name, fmt("params[%d] must be {name = 'identifier', default =, kind =, doc =}", i))
    end
    for key in pairs(d) do
      if not ({ name = 1, default = 1, kind = 1, doc = 1, one_of = 1 })[key] then
        decl_error(o.name, fmt("parameter '%s': unknown field '%s' (fields: name, default, kind, doc, one_of)", d.name, tostring(key)))
      end
    end
    if RESERVED[d.name] then decl_error(o.name, fmt("parameter name '%s' is taken by the command line (--%s)", d.name, d.name)) end
    if E.byname[d.name] then decl_error(o.name, fmt("parameter '%s' is declared twice", d.name)) end
    local kind = d.kind or infer_kind(d.default)
    if not KINDS[kind] then
      decl_error(o.name, fmt("parameter '%s': kind must be one of number, integer, boolean, string, numbers, integers, strings, got %s",
        d.name, show(d.kind)))
    end
    if type(d.doc) ~= "string" or d.doc == "" then decl_error(o.name, fmt("parameter '%s' needs a one-line doc", d.name)) end
    local p = { name = d.name, kind = kind, doc = d.doc, one_of = d.one_of }
    local v = KINDS[kind].check(d.default)
    if v == nil then
      decl_error(o.name, fmt("parameter '%s': the default must be %s, got %s", d.name, KINDS[kind].want, show(d.default)))
    end
    p.default = v
    E.params[i], E.byname[d.name] = p, p
  end
  for k, v in pairs(o.quick) do
    local p = E.byname[k]
    if not p then decl_error(o.name, fmt("quick sets '%s', which is not a parameter", tostring(k))) end
    local ok, val = pcall(E.check_value, E, p, v)
    if not ok then decl_error(o.name, "quick: " .. tostring(val)) end
    E.quick[k] = val
  end
  for name, set in pairs(o.sets) do
    if type(name) ~= "string" or not name:match("^[%a][%w_]*$") or RESERVED[name] or name == "h" then
      decl_error(o.name, fmt("sets: '%s' cannot name a flag (an identifier other than %s)", tostring(name),
        "help, quick, out, replot, force, resume"))
    end
    if type(set) ~= "table" then decl_error(o.name, fmt("sets.%s must be a table of parameter values", name)) end
    E.sets[name] = {}
    for k, v in pairs(set) do
      local p = E.byname[k]
      if not p then decl_error(o.name, fmt("sets.%s sets '%s', which is not a parameter", name, tostring(k))) end
      local ok, val = pcall(E.check_value, E, p, v)
      if not ok then decl_error(o.name, fmt("sets.%s: %s", name, tostring(val))) end
      E.sets[name][k] = val
    end
  end
  return E
end

------------------------------------------------------------------------------
-- parameters
------------------------------------------------------------------------------

function Experiment:names()
  local out = {}
  for i, p in ipairs(self.params) do out[i] = p.name end
  return table.concat(out, ", ")
end

function Experiment:param(name)
  local p = self.byname[name]
  if not p then
    error(fmt("%s: unknown parameter '%s' (parameters: %s)", self.name, tostring(name),
      #self.params > 0 and self:names() or "none"), 0)
  end
  return p
end

-- A Lua value for parameter p, normalized (1e6 -> 1000000 for integers); errors name it.
function Experiment:check_value(p, v)
  local c = KINDS[p.kind].check(v)
  if c == nil then error(fmt("%s: parameter '%s' must be %s, got %s", self.name, p.name, KINDS[p.kind].want, show(v)), 0) end
  if p.one_of then
    local ok = false
    for _, w in ipairs(p.one_of) do if w == c then ok = true end end
    if not ok then
      local q = {}
      for i, w in ipairs(p.one_of) do q[i] = show(w) end
      error(fmt("%s: parameter '%s' must be one of %s, got %s", self.name, p.name, table.concat(q, ", "), show(c)), 0)
    end
  end
  return c
end

-- A command-line string for parameter p: a value, or for a scalar kind given a list or a
-- range, the list of values (a sweep, second result true).
function Experiment:parse_value(p, s)
  local kind = KINDS[p.kind]
  local elem = kind.elem or p.kind
  local parts, err = split_list(p.name, s, elem)
  if err then error(self.name .. ": " .. err, 0) end
  local function one(str)
    local v = KINDS[elem].parse(str)
    if v == nil then
      error(fmt("%s: parameter '%s' must be %s, got '%s'", self.name, p.name, KINDS[elem].want, str), 0)
    end
    return v
  end
  if kind.elem then -- a list parameter: the list is its value
    local list = {}
    for i, str in ipairs(parts or (s == "" and {} or { s })) do list[i] = one(str) end
    return self:check_value(p, list), false
  end
  if parts then
    local list = {}
    for i, str in ipairs(parts) do list[i] = self:check_value(p, one(str)) end
    return list, true
  end
  return self:check_value(p, one(s)), false
end

-- E:defaults(): a table of the default values.
function Experiment:defaults()
  local out = {}
  for _, p in ipairs(self.params) do out[p.name] = p.default end
  return out
end

-- The full parameter table: defaults, then the quick set (when quick), then overrides.
function Experiment:resolve(overrides, quick)
  local out = self:defaults()
  if quick then for k, v in pairs(self.quick) do out[k] = v end end
  if overrides ~= nil and type(overrides) ~= "table" then
    error(fmt("%s: parameters must be a table {name = value, ...}, got %s", self.name, type(overrides)), 0)
  end
  for k, v in pairs(overrides or {}) do out[k] = self:check_value(self:param(k), v) end
  return out
end

local function copy(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do out[k] = copy(v) end
  return out
end

-- E:run([overrides [, ctx]]): the results of one run with the defaults and overrides (checked
-- as on the command line). Writes no files (ctx.out is nil unless a ctx gives one).
function Experiment:run(overrides, ctx)
  local p = self:resolve(overrides, ctx and ctx.quick)
  ctx = ctx or {}
  ctx.name, ctx.experiment = self.name, self
  ctx.meta = ctx.meta or {}
  local results = self.run_fn(copy(p), ctx)
  if type(results) ~= "table" then
    error(fmt("%s: run() must return a table of named results, got %s", self.name, type(results)), 0)
  end
  return results
end

------------------------------------------------------------------------------
-- help
------------------------------------------------------------------------------

local GRAMMAR = [[
values: numbers in any Lua notation (1e-3, 1e6, 0x10); integers accept 1e6; booleans
  true/false (yes/no, on/off, 1/0); lists a,b,c; ranges lin:FROM:TO:N and log:FROM:TO:N
  (N points, ends included). A list or range given to a one-value parameter runs the
  experiment once per value (once per combination for several), each in a subfolder of
  DIR named after its values.
--quick       the small, fast parameter set below (key=value still overrides it)
--out DIR     the output folder, created before computing (default ./NAME, ./NAME_quick
              with --quick): NAME.results.json, NAME.meta.json, plots and CSV
--replot      redraws (and reprints) from the saved results without recomputing
--force       overwrites a folder holding results of other parameters
--resume      continues in a folder: finished results of the same parameters are reused,
              otherwise the run starts with ctx.resume = true (sweeps skip finished points)]]

function Experiment:help_text(script)
  local out = {}
  local first = self.doc:match("^[^\n]*") or ""
  out[#out + 1] = self.name .. (first ~= "" and (": " .. first) or "")
  local rest = self.doc:match("^[^\n]*\n(.*)$")
  if rest and rest:match("%S") then out[#out + 1] = rest:gsub("%s+$", "") end
  out[#out + 1] = ""
  out[#out + 1] = fmt("usage: mflab %s [name=value ...] [--quick] [--out DIR] [--replot] [--force] [--resume] [--help]",
    script or (self.name .. ".lua"))
  out[#out + 1] = ""
  out[#out + 1] = "parameters:"
  local wn, wk, wd = 4, 4, 7
  local rows = {}
  for _, p in ipairs(self.params) do
    local d = cli_value(p.default)
    rows[#rows + 1] = { p.name, p.kind, d, p.doc .. (p.one_of and (" (one of " .. cli_value(p.one_of) .. ")") or "") }
    wn, wk, wd = math.max(wn, #p.name), math.max(wk, #p.kind), math.max(wd, #d)
  end
  out[#out + 1] = fmt("  %-" .. wn .. "s  %-" .. wk .. "s  %-" .. wd .. "s  %s", "name", "kind", "default", "")
  for _, r in ipairs(rows) do
    out[#out + 1] = fmt("  %-" .. wn .. "s  %-" .. wk .. "s  %-" .. wd .. "s  %s", r[1], r[2], r[3], r[4])
  end
  if #rows == 0 then out[#out + 1] = "  (none)" end
  local q = {}
  for _, p in ipairs(self.params) do
    if self.quick[p.name] ~= nil then q[#q + 1] = p.name .. "=" .. cli_value(self.quick[p.name]) end
  end
  out[#out + 1] = ""
  out[#out + 1] = "--quick sets: " .. (#q > 0 and table.concat(q, " ") or "(nothing: the same as the defaults)")
  local names = {}
  for name in pairs(self.sets) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local v = {}
    for _, p in ipairs(self.params) do
      if self.sets[name][p.name] ~= nil then v[#v + 1] = p.name .. "=" .. cli_value(self.sets[name][p.name]) end
    end
    out[#out + 1] = fmt("--%s sets: %s", name, #v > 0 and table.concat(v, " ") or "(nothing)")
  end
  out[#out + 1] = ""
  out[#out + 1] = GRAMMAR
  return table.concat(out, "\n")
end

------------------------------------------------------------------------------
-- the output folder
------------------------------------------------------------------------------

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function read_json(path)
  local s = read_file(path)
  if not s then return nil end
  return json.decode(s, path)
end

local function write_json(path, v, what, name)
  local ok, text = pcall(json.encode, v, what)
  if not ok then error(fmt("%s: cannot save the %s: %s", name, what, text), 0) end
  core.write_file(path, text .. "\n")
end

local function now() return os.date("!%Y-%m-%dT%H:%M:%SZ") end

-- Parameters that differ between two parameter tables: "lr = 0.01 there, 0.001 here".
local function differences(here, there)
  local diffs = {}
  local keys = {}
  for k in pairs(here) do keys[#keys + 1] = k end
  for k in pairs(there) do if here[k] == nil then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local a, b = json.encode(here[k] == nil and "(not a parameter)" or here[k]),
                 json.encode(there[k] == nil and "(not a parameter)" or there[k])
    if a ~= b then
      diffs[#diffs + 1] = fmt("%s = %s there, %s here", k, there[k] == nil and "(none)" or cli_value(there[k]),
        here[k] == nil and "(none)" or cli_value(here[k]))
    end
  end
  return diffs
end

-- what of p metadata lists as seeds: the parameters named seed, seeds or *_seed
local function seeds_of(self, p)
  local out = {}
  for _, q in ipairs(self.params) do
    if q.name:match("seeds?$") then out[q.name] = p[q.name] end
  end
  return out
end

local function is_numbers(v)
  if schema.isvector(v) then return true end
  if type(v) ~= "table" or #v == 0 then return false end
  for i = 1, #v do if type(v[i]) ~= "number" then return false end end
  return true
end

-- Results with a series t (numbers) get NAME.csv: t, then every other top-level array of numbers
-- of the same length, by name; numbers with 17 digits. false when there is no such t.
local function write_series(results, path, name, p)
  local t = results.t
  if not is_numbers(t) then return false end
  local keys = {}
  for k, v in pairs(results) do
    if type(k) == "string" and k ~= "t" and is_numbers(v) and #v == #t then keys[#keys + 1] = k end
  end
  table.sort(keys)
  local lines = { "t," .. table.concat(keys, ",") }
  for j = 1, #t do
    local row = { t[j] }
    for k, key in ipairs(keys) do row[k + 1] = results[key][j] end
    for k = 1, #row do row[k] = math.type(row[k]) == "integer" and fmt("%d", row[k]) or fmt("%.17g", row[k]) end
    lines[#lines + 1] = table.concat(row, ",")
  end
  -- the metadata comment last, so that numpy.genfromtxt(path, delimiter=",", names=True) reads
  -- the header (the convention of mf.write_csv)
  lines[#lines + 1] = "# mflab " .. core.version .. "; " .. name .. "; " .. json.encode(p):gsub("%s+", " ")
  core.write_file(path, table.concat(lines, "\n") .. "\n")
  return true
end

local function new_ctx(self, out, flags)
  local ctx = { out = out, quick = flags.quick, resume = flags.resume, force = flags.force, name = self.name,
                experiment = self, meta = {}, files = {} }
  -- ctx:path(file): out/file, listed in the metadata's files
  function ctx.path(_, file)
    ctx.files[#ctx.files + 1] = file
    return out .. "/" .. file
  end
  return ctx
end

-- Prepares one run into folder `out`: creates it (before anything is computed), reads what it
-- holds and decides: "replot" (saved results), "reuse" (--resume, finished, same parameters)
-- or "run"; refuses a folder of other parameters. flags: quick, force, resume, replot, given
-- (the parameters set on the command line), command.
function Experiment:prepare(out, p, flags)
  core.mkdir(out)
  local base = out .. "/" .. self.name
  local pt = { out = out, p = p, flags = flags, base = base, meta_path = base .. ".meta.json",
               results_path = base .. ".results.json", mode = "run" }
  local old = read_json(pt.meta_path)
  if flags.replot then
    if not old or not old.results or not read_file(pt.results_path) then
      error(fmt("%s: --replot: no saved results in '%s' (run once without --replot)", self.name, out), 0)
    end
    local saved, given, there = old.params or {}, {}, {}
    for k in pairs(flags.given or {}) do given[k], there[k] = p[k], saved[k] end
    local diffs = differences(given, there)
    if #diffs > 0 then
      error(fmt("%s: --replot draws the saved results, whose parameters differ: %s (run without --replot to compute)",
        self.name, table.concat(diffs, "; ")), 0)
    end
    pt.mode, pt.p, pt.quick = "replot", saved, old.quick
    return pt
  end
  if old and old.experiment == self.name then
    local diffs = differences(p, old.params or {})
    if #diffs > 0 and not flags.force and old.state ~= "error" then -- a failed run has nothing to keep
      if not flags.resume then
        error(fmt("%s: the folder '%s' holds results of other parameters: %s (--force replaces them; --out DIR chooses another folder)",
          self.name, out, table.concat(diffs, "; ")), 0)
      end
      io.stderr:write(fmt("%s: --resume in '%s', whose results had other parameters (%s): they are replaced\n",
        self.name, out, table.concat(diffs, "; ")))
    end
    if #diffs == 0 and flags.resume and old.state == "ok" and read_file(pt.results_path) then pt.mode = "reuse" end
  end
  return pt
end

-- Runs (or replots, or reuses) a prepared point; returns its results and ctx.
function Experiment:run_point(pt)
  local out, p, flags = pt.out, pt.p, pt.flags
  local ctx = new_ctx(self, out, flags)
  if pt.mode == "replot" or pt.mode == "reuse" then
    local results = read_json(pt.results_path)
    if pt.mode == "replot" then
      ctx.quick = pt.quick
      if self.plot_fn then self.plot_fn(results, copy(p), ctx) end
    else
      io.stderr:write(fmt("%s: --resume: '%s' holds finished results of these parameters; nothing to compute\n", self.name, out))
    end
    if self.report_fn then self.report_fn(results, copy(p), ctx) end
    return results, ctx
  end

  local meta = {
    experiment = self.name, params = p, quick = flags.quick or false, set = flags.set, given = flags.given or {},
    mflab_version = core.version, lua = _VERSION, host = core.hostname(), cpu = core.cpu,
    kernels = core.isa, seeds = seeds_of(self, p),
    command = flags.command, source = self.source and self.source:gsub("^@", ""), start_time = now(),
    state = "running", files = ctx.files, extra = ctx.meta,
  }
  if next(meta.seeds) == nil then meta.seeds = nil end
  write_json(pt.meta_path, meta, "metadata", self.name)
  local t0 = core.clock()
  -- whatever way this block ends, the metadata says how; an error keeps its traceback
  local guard <close> = setmetatable({}, { __close = function(_, err)
    if err == nil then return end
    local msg = tostring(err)
    meta.state = msg:find("interrupted", 1, true) and "interrupted" or "error"
    meta.error = msg:match("^[^\n]*")
    meta.end_time, meta.wall_seconds = now(), core.clock() - t0
    if next(ctx.meta) == nil then meta.extra = nil end
    pcall(write_json, pt.meta_path, meta, "metadata", self.name)
  end })

  local results = self:run(p, ctx)
  write_json(pt.results_path, results, "results", self.name)
  meta.results = self.name .. ".results.json"
  if write_series(results, pt.base .. ".csv", self.name, p) then meta.series = self.name .. ".csv" end
  meta.wall_seconds = core.clock() - t0
  if self.plot_fn then self.plot_fn(results, copy(p), ctx) end
  if self.report_fn then self.report_fn(results, copy(p), ctx) end
  meta.state, meta.end_time, meta.wall_seconds = "ok", now(), core.clock() - t0
  if next(ctx.meta) == nil then meta.extra = nil end
  write_json(pt.meta_path, meta, "metadata", self.name)
  return results, ctx
end

------------------------------------------------------------------------------
-- the command line
------------------------------------------------------------------------------

local FLAGS = { ["--quick"] = "quick", ["--replot"] = "replot", ["--force"] = "force", ["--resume"] = "resume",
                ["--help"] = "help", ["-h"] = "help" }

-- E:plan(args [, script]): what the command line asks for, with every output folder created
-- and checked; nothing is computed. Its errors are the command line's (E:main prints them
-- without a traceback and exits 2).
function Experiment:plan(args, script)
  local flags, given, sweep, order = {}, {}, {}, {}
  local i = 1
  while args[i] ~= nil do
    local a = tostring(args[i])
    local key, value = a:match("^([^=]+)=(.*)$")
    if FLAGS[a] then
      flags[FLAGS[a]] = true
    elseif a:match("^%-%-[%a][%w_]*$") and self.sets[a:sub(3)] then
      if flags.set then error(fmt("%s: --%s and --%s cannot be combined", self.name, flags.set, a:sub(3)), 0) end
      flags.set = a:sub(3)
    elseif a == "--out" or a:match("^%-%-out=") then
      local dir = a:match("^%-%-out=(.*)$")
      if not dir then
        i = i + 1
        dir = args[i]
      end
      if dir == nil or dir == "" then error(self.name .. ": --out needs a folder name", 0) end
      flags.out = dir
    elseif key and not a:match("^%-") then
      local p = self:param(key)
      local v, is_list = self:parse_value(p, value)
      if given[key] ~= nil then error(fmt("%s: parameter '%s' is given twice", self.name, key), 0) end
      given[key] = v
      if is_list then sweep[key] = v end
    else
      local hint = a:match("^%-%-([%a_][%w_]*)$")
      if hint and self.byname[hint] then
        error(fmt("%s: unknown option '%s': parameters are set as %s=VALUE", self.name, a, hint), 0)
      end
      error(fmt("%s: unknown argument '%s' (name=value for the parameters %s; --quick, --out DIR, --replot, --force, --resume, --help)",
        self.name, a, #self.params > 0 and self:names() or "(none)"), 0)
    end
    i = i + 1
  end
  if flags.help then return { help = true, script = script } end
  if flags.set and flags.quick then error(fmt("%s: --quick and --%s cannot be combined", self.name, flags.set), 0) end
  local out = flags.out or (self.name .. (flags.quick and "_quick" or "") .. (flags.set and ("_" .. flags.set) or ""))
  local words = { "mflab", script or self.name }
  for j = 1, #args do words[#words + 1] = tostring(args[j]) end
  flags.command = table.concat(words, " ")
  local fixed = {}
  for k, v in pairs(flags.set and self.sets[flags.set] or {}) do fixed[k] = v end -- a named set, under key=value
  for _, p in ipairs(self.params) do
    if sweep[p.name] then order[#order + 1] = p.name; fixed[p.name] = nil elseif given[p.name] ~= nil then fixed[p.name] = given[p.name] end
  end
  if #order == 0 then
    flags.given = given
    return { out = out, flags = flags, points = { self:prepare(out, self:resolve(fixed, flags.quick), flags) } }
  end
  -- values listed for one-value parameters: every combination, in declaration order
  core.mkdir(out)
  local combos = { {} }
  for _, name in ipairs(order) do
    local nxt = {}
    for _, pt in ipairs(combos) do
      for _, v in ipairs(sweep[name]) do
        local q = copy(pt)
        q[name] = v
        nxt[#nxt + 1] = q
      end
    end
    combos = nxt
  end
  local points = {}
  for _, pt in ipairs(combos) do
    local label, over = {}, copy(fixed)
    for _, name in ipairs(order) do
      label[#label + 1] = name .. "=" .. cli_value(pt[name])
      over[name] = pt[name]
    end
    local f = copy(flags)
    f.given = over
    points[#points + 1] = self:prepare(out .. "/" .. table.concat(label, ","), self:resolve(over, flags.quick), f)
  end
  return { out = out, flags = flags, points = points, order = order, sweep = sweep }
end

-- E:execute(plan): runs what E:plan prepared; returns the results (a list of {params =, out =,
-- results =} for listed values), or nil for --help.
function Experiment:execute(plan)
  if plan.help then
    print(self:help_text(plan.script))
    return nil
  end
  if not plan.order then return (self:run_point(plan.points[1])) end
  local rows, order, sweep, out, flags = {}, plan.order, plan.sweep, plan.out, plan.flags
  for _, pt in ipairs(plan.points) do
    rows[#rows + 1] = { params = pt.p, out = pt.out, results = (self:run_point(pt)) }
  end
  -- a table of the points: the listed parameters, then every top-level number of the results
  local outs, seen = {}, {}
  for _, row in ipairs(rows) do
    for k, v in pairs(row.results) do
      if type(k) == "string" and type(v) == "number" and not seen[k] and not sweep[k] then seen[k] = true; outs[#outs + 1] = k end
    end
  end
  table.sort(outs)
  local lines = { table.concat(order, ",") .. (#outs > 0 and "," or "") .. table.concat(outs, ",") }
  for _, row in ipairs(rows) do
    local cells = {}
    for _, name in ipairs(order) do cells[#cells + 1] = cli_value(row.params[name]) end
    for _, k in ipairs(outs) do
      local v = row.results[k]
      cells[#cells + 1] = v == nil and "nan" or (math.type(v) == "integer" and fmt("%d", v) or fmt("%.17g", v))
    end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  lines[#lines + 1] = "# mflab " .. core.version .. "; " .. self.name .. "; " .. flags.command -- last, as in mf.write_csv
  core.write_file(out .. "/" .. self.name .. ".points.csv", table.concat(lines, "\n") .. "\n")
  return rows
end


-- E:cli(args [, script]): runs as `mflab script args...` would: returns the results (a list
-- of {params =, out =, results =} for a sweep over listed values), or nil for --help.
function Experiment:cli(args, script)
  return self:execute(self:plan(args, script))
end

-- E:main(...): at the end of the experiment's file, `return E:main(...)`. When that file is
-- the script mflab runs (arg[0]), runs the command line (the global arg) and returns the
-- results; otherwise (require) returns E.
function Experiment:main(...)
  local a = rawget(_G, "arg")
  if type(a) ~= "table" or type(a[0]) ~= "string" or self.source ~= "@" .. a[0] then return self end
  local args = {}
  for k = 1, #a do args[k] = a[k] end
  -- a command-line mistake (unknown parameter, bad value, a folder of other parameters) is
  -- one line on stderr and exit status 2, as mflab's own usage errors; nothing has run
  local ok, plan = pcall(self.plan, self, args, a[0])
  if not ok then
    io.stdout:flush()
    io.stderr:write("mflab: ", tostring(plan), "\n")
    io.stderr:flush()
    os.exit(2, true)
  end
  return self:execute(plan)
end

function Experiment:__tostring()
  return fmt("experiment %s (%d parameters: %s)", self.name, #self.params, self:names())
end

M.Experiment = Experiment
return M
