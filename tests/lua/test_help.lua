-- help(): every public function of mf (module functions, and methods reachable through the
-- userdata metatables via mf.core.methods, and figure methods) has help; the texts carry the
-- signature, the options with defaults, the formula and an example.
--
-- When this test fails because a branch added functions, it prints exactly the names that
-- lack help: add an entry to M.entries in lua/mflab/help.lua (or declare a schema).
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local help = require "mflab.help"
local schema = require "mflab.schema"

H.check(type(help.help) == "function" and mf.help == help.help, "mf.help is mflab.help.help")
H.check(help == package.loaded["mflab.help"] and rawget(_G, "help") == mf.help,
  "the mflab executable defines the global help")

-- the walker: every public name has help ------------------------------------------------
local names = {}
help.each_public(mf, function(n) names[#names + 1] = n end)
local has = {}
for _, n in ipairs(names) do has[n] = true end
for _, want in ipairs { "mf.run", "mf.opt.sgd", "mf.landscape.valley", "mf.vec", "mf.plot",
  "result:mean", "result:save", "landscape:hess", "flow:integrate", "vector:totable", "figure:line" } do
  H.check(has[want], "the walker reaches " .. want)
end
for _, n in ipairs(names) do
  H.check(not n:match("^mf%.core") and not n:match("[.:]_") and not n:match("^mf%.schema%.kinds"),
    "private name walked: " .. n)
end
local missing = help.missing()
if #missing > 0 then
  io.stderr:write("help missing for " .. #missing .. " public name(s) — add entries to M.entries in lua/mflab/help.lua:\n")
  for _, n in ipairs(missing) do io.stderr:write("  " .. n .. "\n") end
end
H.check(#missing == 0, #missing .. " public name(s) without help: " .. table.concat(missing, ", "))

-- a walker that reached a new, undocumented function reports it by name
mf.opt.newthing = function() end
mf.core.methods.result.newmethod = function() end
local m2 = help.missing()
H.check(table.concat(m2, ",") == "mf.opt.newthing,result:newmethod", "missing() names new functions: " .. table.concat(m2, ","))
mf.opt.newthing, mf.core.methods.result.newmethod = nil, nil

-- every entry with a description has a signature and an example; no stale entries
local stale = {}
for name, e in pairs(help.entries) do
  if e.desc then H.check(e.sig and e.example, "entry " .. name .. " has sig and example") end
  H.check(e.example, "entry " .. name .. " has an example")
  if not has[name] then stale[#stale + 1] = name end
end
table.sort(stale)
H.check(#stale == 0, "help entries for names that do not exist: " .. table.concat(stale, ", "))
-- every schema option is documented
for fname, s in pairs(schema.all) do
  H.check(s.doc, "schema " .. fname .. " has a doc line")
  for _, o in ipairs(s.options) do H.check(o.doc, fname .. " option " .. o.name .. " has a doc") end
end

-- the texts ------------------------------------------------------------------------------
local function has_all(text, wants, what)
  text = text or ""
  for _, w in ipairs(wants) do
    if not H.check(text:find(w, 1, true), what .. ": help text lacks '" .. w .. "':\n" .. text) then return end
  end
end
has_all(help.text(), { "mf.landscape", "mf.opt", "mf.noise", "mf.run", "mf.manifold", "mf.plot", "types:" }, "help()")
H.check(help.text(mf) == help.text(), "help(mf) is the overview")
-- constructor: signature, each option with kind and default, formula, example
has_all(help.text(mf.run), { "mf.run{landscape, optimizer, steps, ...}", "seeds              count (default 1)",
  "seed               natural (default 0)", "x0                 point (optional)", "math:", "example: r = mf.run{" }, "help(mf.run)")
has_all(help.text(mf.noise.isotropic), { "space", '(default "normal") one of "normal", "full"',
  "sigma^2 P_T", "example:" }, "help(mf.noise.isotropic)")
has_all(help.text(mf.opt.sgd), { "mf.opt.sgd{lr, ...}", "lr (required)", "momentum", "z <- z - lr g" }, "help(mf.opt.sgd)")
-- method, through the value and through names
local L = mf.landscape.valley {}
has_all(help.text(L.hess), { "L:hess(z)", "H_f = diag(0, 2 h(x))", "example:" }, "help(L.hess)")
H.check(help.text("landscape:hess") == help.text(L.hess), "help('landscape:hess') is help(L.hess)")
H.check(help.text("L:hess") == help.text(L.hess), "help('L:hess') finds the method by its name")
local r = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, x0 = { 1, 1 }, steps = 10 }
H.check(help.text(r.mean) == help.text("result:mean"), "help(r.mean)")
has_all(help.text("mean"), { "r:mean(name)" }, "help('mean')")
-- types, from a value or a name
has_all(help.text(r), { "result:", "fields:", "r:mean(name)", "r:save(", "example:" }, "help(r)")
has_all(help.text(L), { "landscape:", "L.dim", "L:value(z)" }, "help(L)")
has_all(help.text(mf.plot {}), { "figure:", "p:line(x, y" }, "help(p)")
has_all(help.text(mf.opt.sgd { lr = 1 }), { "optimizer:" }, "help(opt)")
-- modules list their functions
has_all(help.text(mf.noise), { "mf.noise.hessian", "mf.noise.isotropic", "Hessian-aligned" }, "help(mf.noise)")
has_all(help.text("mf.opt"), { "mf.opt.sgd" }, "help('mf.opt')")
has_all(help.text("opt.sgd"), { "mf.opt.sgd{lr, ...}" }, "help('opt.sgd') without the mf. prefix")
-- not found
local s, msg = help.text("no_such_thing")
H.check(s == nil and msg:find("nothing is called 'no_such_thing'", 1, true), "unknown name: " .. tostring(msg))
s, msg = help.text(function() end)
H.check(s == nil and msg:find("no help for this function", 1, true), "anonymous function: " .. tostring(msg))

-- help() prints
local printed = {}
local saved = print
print = function(...) printed[#printed + 1] = table.concat({ ... }, "\t") end
help.help(mf.opt.sgd)
print = saved
H.check(printed[1] == help.text(mf.opt.sgd), "help(x) prints help.text(x)")

H.finish()
