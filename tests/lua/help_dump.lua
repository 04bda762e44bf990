-- Prints help for the whole public API: every public name, as a value and as a string, every
-- alias, every module, every type, figure methods through a figure's value. Run by
-- help_determinism.sh in fresh processes, whose outputs must be identical (Lua randomizes
-- table order per process, so an answer that depends on pairs() order shows up here).
local help = require "mflab.help"
local out = {}
local function add(what, x)
  local s, msg = help.text(x)
  out[#out + 1] = "== " .. what .. "\n" .. (s or ("NONE: " .. msg))
end
add("help()", nil)
help.each_public(mf, function(name, v)
  add(name .. " (value)", v)
  add(name .. " (name)", name)
end)
for _, m in ipairs(help.modules) do
  add(m[1] .. " (name)", m[1])
  local v = mf
  for part in m[1]:gmatch("[^.]+") do if part ~= "mf" then v = v[part] end end
  add(m[1] .. " (value)", v)
end
local aliases = {}
for a in pairs(help.aliases) do aliases[#aliases + 1] = a end
table.sort(aliases)
for _, a in ipairs(aliases) do
  add(a .. " (name)", a)
  local v = mf[a:match("^mf%.(.*)$")]
  add(a .. " (value)", v)
  for _, k in ipairs((function()
    local ks = {}
    for k in pairs(v) do ks[#ks + 1] = k end
    table.sort(ks)
    return ks
  end)()) do
    add(a .. "." .. k .. " (value)", v[k])
    add(a .. "." .. k .. " (name)", a .. "." .. k)
  end
end
local p = mf.plot {}
for _, m in ipairs { "line", "points", "band", "contour", "heatmap", "panel", "set", "save", "show", "text", "close" } do
  add("p." .. m, p[m])
end
local L = mf.landscape.valley {}
for _, x in ipairs { "landscape", "optimizer", "noise", "result", "flow", "vector", "figure", "mean", "L:hess", "sgd", "opt.sgd" } do
  add(x, x)
end
add("L", L)
add("L.hess", L.hess)
io.write(table.concat(out, "\n"), "\n")
