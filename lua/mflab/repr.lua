-- mf._repr: how the REPL prints values.

local M = {}

local function number(v)
  return math.type(v) == "integer" and tostring(v) or (v == math.floor(v) and math.abs(v) < 1e15 and ("%.1f"):format(v) or ("%.10g"):format(v))
end

local function udname(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__name or nil
end

-- A table of at least two equal-length rows of numbers (a matrix, such as L:hess(z)).
local function matrix_shape(v)
  local n = #v
  if n < 2 or n > 50 or type(v[1]) ~= "table" then return nil end
  local m = #v[1]
  if m == 0 or m > 20 then return nil end
  for i = 1, n do
    local row = v[i]
    if type(row) ~= "table" or getmetatable(row) ~= nil or #row ~= m then return nil end
    for j = 1, m do if type(row[j]) ~= "number" then return nil end end
  end
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then return nil end
  end
  return n, m
end

-- Rows of a matrix, columns aligned: {{1.0, 0.0},\n {0.0, 4.0}}
local function matrix(v, n, m)
  local cells, width = {}, {}
  for i = 1, n do
    cells[i] = {}
    for j = 1, m do
      local s = number(v[i][j])
      cells[i][j] = s
      width[j] = math.max(width[j] or 0, #s)
    end
  end
  local lines = {}
  for i = 1, n do
    local parts = {}
    for j = 1, m do parts[j] = (" "):rep(width[j] - #cells[i][j]) .. cells[i][j] end
    lines[i] = (i == 1 and "{{" or " {") .. table.concat(parts, ", ") .. (i == n and "}}" or "},")
  end
  return table.concat(lines, "\n")
end

-- A run result on one screen: what ran, and where the ensemble ended.
local function result(r)
  local md = r.metadata or {}
  local t = r.t
  local out = { ("mf result: %d seed%s x %d records (t = %s..%s), %d steps done"):format(r.seeds,
    r.seeds == 1 and "" or "s", #r, t[1] and ("%.10g"):format(t[1]) or "-", t[#t] and ("%.10g"):format(t[#t]) or "-", r.steps) }
  local function row(k, v) if v ~= nil then out[#out + 1] = ("  %-10s %s"):format(k, v) end end
  -- structured descriptions ({constructor, options, text}) print as their text
  local function text(v) return type(v) == "table" and (v.text or v.constructor) or v end
  row("landscape", text(md.landscape))
  row("optimizer", text(md.optimizer))
  row("noise", text(md.noise))
  row("flow", md.flow)
  if md.steps then
    local x0 = md.x0 and ("{" .. table.concat(md.x0, ", ") .. "}") or "?"
    row("steps", ("%d, recorded every %d, from x0 = %s"):format(md.steps, md.every or 1, x0))
  end
  if md.seed then row("seeds", ("%d, seed = %d (trajectory i uses stream (%d, i))"):format(r.seeds, md.seed, md.seed)) end
  row("recorded", table.concat(r.names, ", "))
  if #r > 0 then
    local last = {}
    for _, n in ipairs(r.names) do
      local m = r:mean(n)[#r]
      last[#last + 1] = r.seeds > 1 and ("%s = %.6g ± %.3g"):format(n, m, r:std(n)[#r]) or ("%s = %.6g"):format(n, m)
      if #last == 6 then break end
    end
    row(("at t=%.10g"):format(t[#t]), table.concat(last, ", ") .. (#r.names > 6 and ", ..." or ""))
  end
  out[#out + 1] = "  r:mean(name), r:std(name), r:column(name, seed), r:save('run.npz'); help(r)"
  return table.concat(out, "\n")
end

-- mf._repr(v): how the REPL prints a value. Plain tables print on one line, arrays as
-- {1, 2, 3} (long ones cut after 10 entries with the count), records with sorted keys, nested
-- tables one level deep, matrices (tables of equal-length rows of numbers) as aligned rows;
-- numbers with up to 10 significant digits; run results as a summary; the rest as tostring.
local function repr(v, depth)
  local t = type(v)
  if t == "string" then return depth > 0 and ("%q"):format(v) or v end
  if t == "number" then return number(v) end
  if t == "userdata" and udname(v) == "mflab.result" then
    local ok, s = pcall(result, v)
    if ok then return s end
  end
  if t ~= "table" or getmetatable(v) ~= nil then return tostring(v) end
  if depth == 0 then
    local n, m = matrix_shape(v)
    if n then return matrix(v, n, m) end
  end
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
