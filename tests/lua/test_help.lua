-- help(): every public function of mf (module functions, and methods reachable through the
-- userdata metatables via mf._core.methods, and figure methods) has help; the texts carry the
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
mf._core.methods.result.newmethod = function() end
local m2 = help.missing()
H.check(table.concat(m2, ",") == "mf.opt.newthing,result:newmethod", "missing() names new functions: " .. table.concat(m2, ","))
mf.opt.newthing, mf._core.methods.result.newmethod = nil, nil

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


-- one canonical name per object; internals out of the public namespace --------------------
H.check(mf.core == nil and mf.schema == nil and mf._core == require "mflab.core", "mf.core, mf.schema are internals (mf._core)")
has_all(help.text(), { "mf.schedule", "mf.analysis ", "mf.analysis.fit", "also mf.fit", "also mf.hessian", "doc/math.md" }, "help() lists every module")
H.check(not help.text():find("MATH.md", 1, true), "help() cites doc/math.md, not MATH.md")
has_all(help.text("mf.analysis"), { "mf.analysis.top", "mf.analysis.fit " }, "help('mf.analysis')")
H.check(help.text("mf.analysis") == help.text(mf.analysis) and help.text(mf.hessian) == help.text(mf.analysis)
  and help.text("mf.hessian") == help.text(mf.analysis), "mf.analysis and its alias mf.hessian, by value and by name")
H.check(help.text(mf.fit.powerlaw) == help.text("mf.analysis.fit.powerlaw") and help.text("mf.fit.powerlaw") == help.text(mf.fit.powerlaw),
  "mf.fit.powerlaw is mf.analysis.fit.powerlaw")
has_all(help.text(mf.fit), { "mf.analysis.fit.powerlaw", "mf.analysis.fit.vee" }, "help(mf.fit)")
local fig = mf.plot {}
H.check(help.text(fig.line) == help.text("figure:line") and help.text(fig.line):find("p:line(x, y", 1, true),
  "help(p.line) on a figure's method")
-- a signature advertises only options the method accepts
for name, e in pairs(help.entries) do
  local meth = name:match("^figure:(.*)$")
  local opts = e.sig and e.sig:match("%[, {([^}]*)}%]")
  if meth and opts then
    for o in opts:gmatch("[%a_][%w_]*") do
      local rejected
      for k = 1, 4 do -- the options table at each argument position in turn
        local p, args = mf.plot {}, {}
        args[k] = { [o] = {} }
        local ok, err = pcall(p[meth], p, table.unpack(args, 1, 4))
        if not ok and tostring(err):find("unknown option '" .. o .. "'", 1, true) then rejected = err end
      end
      H.check(not rejected, name .. " advertises option '" .. o .. "' that it rejects: " .. tostring(rejected))
    end
  end
end
-- every "doc/math.md §N" cited by the library and the README names a section of doc/math.md
local src = here .. "/../.."
local f = assert(io.open(src .. "/doc/math.md"))
local math_md = f:read("a")
f:close()
local sections = {}
for n in math_md:gmatch("\n## (%d+)%.") do sections[tonumber(n)] = true end
H.check(sections[0] and sections[4] and sections[6], "doc/math.md has sections 0..6")
H.check(math_md:find("(1 + β)", 1, true) and math_md:find("F(171)", 1, true), "doc/math.md records the (1 + beta) correction of F(171)")
local cited = 0
for _, file in ipairs { "README.md", "lua/mflab/help.lua", "lua/mflab/landscape.lua", "lua/mflab/opt.lua",
  "lua/mflab/noise.lua", "lua/mflab/manifold.lua", "lua/mflab/analysis.lua" } do
  local g = assert(io.open(src .. "/" .. file))
  local text = g:read("a")
  g:close()
  H.check(not text:find("MATH.md", 1, true), file .. " still cites MATH.md")
  for n in text:gmatch("doc/math%.md §(%d+)") do
    cited = cited + 1
    H.check(sections[tonumber(n)], file .. " cites doc/math.md §" .. n .. ", which does not exist")
  end
end
H.check(cited >= 10, "the library cites doc/math.md sections (" .. cited .. ")")

-- help() prints
local printed = {}
local saved = print
print = function(...) printed[#printed + 1] = table.concat({ ... }, "\t") end
help.help(mf.opt.sgd)
print = saved
H.check(printed[1] == help.text(mf.opt.sgd), "help(x) prints help.text(x)")

H.finish()
