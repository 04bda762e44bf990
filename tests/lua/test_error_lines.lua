-- Errors point at the caller's line (README's promise), wherever inside the library they are
-- raised: schema checks, the engine's C functions called by the Lua layer, library helpers.
-- A scan calls every public function and Lua-written method wrongly from this script and
-- checks the reported position is this file's line; then specific engine-raised errors.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local help = require "mflab.help"

local me = debug.getinfo(1, "S").short_src

-- calls f(...) on a line of its own (not a tail call) and returns that line and the error
local function call_wrongly(f, ...)
  local line = debug.getinfo(1, "l").currentline + 1
  local ok, err = pcall(function(...) local x = f(...) return x end, ...)
  return ok, tostring(err), line
end

local function at_my_line(what, ok, err, line)
  if ok then return end -- some functions take any table (mf.export.json)
  local want = me .. ":" .. line .. ":"
  H.check(err:sub(1, #want) == want, what .. ": error reported at '" .. (err:match("^[^\n]-:%d+:") or "no position")
    .. "', want this script's line " .. line .. ": " .. err:sub(1, 160))
end

local scanned = 0
help.each_public(mf, function(name, f)
  if name:find(":", 1, true) or name == "mf.help" or name == "mf.plot" or name:match("^mf%.plot%.")
    or name == "mf.vec" then return end
  for _, args in ipairs { { { bogus_option = 1 } }, { "not a table" }, { {}, {}, {} } } do
    local ok, err, line = call_wrongly(f, table.unpack(args))
    at_my_line(name .. "(" .. type(args[1]) .. ")", ok, err, line)
    if not ok then scanned = scanned + 1 end
  end
end)
H.check(scanned >= 60, "scanned " .. scanned .. " wrong calls")

-- errors raised by the engine (C) below a Lua-written constructor or method
local L = mf.landscape.valley {}
local opt = mf.opt.sgd { lr = 0.01 }
local cases = {
  { "custom{dim = 1e6}", mf.landscape.custom, { dim = 1000000, f = function() return 0 end }, "at most 100000" },
  { "run: unknown observable", mf.run, { landscape = L, optimizer = opt, steps = 10, record = { "nope" } }, "unknown observable 'nope'" },
  { "run: x0 length", mf.run, { landscape = L, optimizer = opt, steps = 10, x0 = { 1, 2, 3 } }, "option 'x0'" },
  { "uv{n = 1.5}", mf.landscape.uv, { n = 1.5 }, "option 'n'" },
}
for _, c in ipairs(cases) do
  local ok, err, line = call_wrongly(c[2], c[3])
  H.check(not ok and err:find(c[4], 1, true), c[1] .. ": " .. err)
  at_my_line(c[1], ok, err, line)
end
local md = mf.manifold.flow { landscape = L, optimizer = opt, noise = mf.noise.hessian {} }
local ok, err, line = call_wrongly(md.integrate, md, { x0 = { 1, 0 }, steps = 1.5 })
at_my_line("flow:integrate{steps = 1.5}", ok, err, line)
local r = mf.run { landscape = L, optimizer = opt, steps = 10, quiet = true }
ok, err, line = call_wrongly(r.save, r, "x.csv", "wide")
H.check(not ok and err:find("result:save", 1, true) and err:find("'layout'", 1, true) and err:find('"wide"', 1, true)
  and not err:find("core_save", 1, true), "r:save('x.csv', 'wide') names the option: " .. err)
at_my_line("r:save(x.csv, wide)", ok, err, line)
local s = mf.schedule.step { lr = 1, step_size = 10 }
ok, err, line = call_wrongly(s.at, s, 1.5)
H.check(not ok and err:find("schedule:at", 1, true), "s:at(1.5): " .. err)
at_my_line("s:at(1.5)", ok, err, line)
-- a NaN in x0 is named as such, not as "got table: 0x..."
ok, err, line = call_wrongly(mf.run, { landscape = L, optimizer = opt, steps = 10, x0 = { 0 / 0, 0 } })
H.check(not ok and err:find("option 'x0'", 1, true) and err:find("x0[1]", 1, true) and err:find("nan", 1, true)
  and not err:find("0x", 1, true), "NaN in x0: " .. err)
at_my_line("NaN in x0", ok, err, line)

H.finish()
