-- One list of observables (issue 14): the recorder's table (core: mf_observable_list) is what
-- mf.run accepts, what its error message and option doc list, and what README's table shows.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local H = dofile(here .. "/harness.lua")
local core = mf._core

local list = core.observables()
H.check(#list >= 17, "the recorder lists its observables: " .. #list)
local readme = H.read(here .. "/../../README.md")
local table_start = readme:find("Recorded observables", 1, true)
local table_text = readme:sub(table_start, readme:find("\n\n", readme:find("| name | value |", table_start, true), true))
local L = mf.landscape.valley {}
local opt = mf.opt.heavy_ball { lr = 0.01, beta = 0.5 }
local _, err = pcall(mf.run, { landscape = L, optimizer = opt, steps = 1, record = { "nonsense" } })
local doc
local rec = mf._schema.all["mf.run"].byname.record
doc = rec and rec.doc
H.check(doc ~= nil, "mf.run's schema has the record option")
for _, o in ipairs(list) do
  local name = o.name
  local concrete = name:gsub("<k>", "1"):gsub("<state>", "pi")
  -- the recorder parses it (valley with heavy ball: pi1 is its state)
  local ok, e = pcall(mf.run, { landscape = L, optimizer = opt, steps = 2, every = 1, x0 = { 1, 0.1 }, record = { concrete } })
  H.check(ok or not tostring(e):find("unknown observable", 1, true), name .. ": mf.run accepts '" .. concrete .. "' (" .. tostring(e) .. ")")
  -- README's table names it
  local shown = name == "x<k>" and "`x1`" or name == "p<k>" and "`p1`" or ("`" .. name .. "`")
  H.check(table_text:find(shown, 1, true) ~= nil, name .. ": README's table of observables shows " .. shown)
  -- the option doc (help) and the error message list it
  local key = name == "x<k>" and "'x1'" or name == "p<k>" and "'p1'" or name == "<state><k>" and "optimizer state" or ("'" .. name .. "'")
  H.check(doc and doc:find(key, 1, true) ~= nil, name .. ": mf.run's record doc lists " .. key)
  if name ~= "<state><k>" then
    local inmsg = name == "x<k>" and "x1..x2" or name == "p<k>" and "p1..p2" or name
    H.check(tostring(err):find(inmsg, 1, true) ~= nil, name .. ": the unknown-observable error lists " .. inmsg)
  end
end
H.check(tostring(err):find("optimizer's state: pi1..pi2", 1, true) ~= nil, "the error lists the optimizer's state: " .. tostring(err))
H.finish()
