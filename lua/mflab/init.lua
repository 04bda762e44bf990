-- mflab: the Lua face of the engine. `local mf = require "mflab"` (inside the mflab
-- executable the global `mf` is this table). Each part lives in its own module; constructors
-- take one options table, checked against the schema declared beside them (mflab.schema
-- keeps them all, for help and docs).
-- Every public object has one canonical name; mf.hessian and mf.fit are aliases of
-- mf.analysis and mf.analysis.fit (help.lua's M.aliases).
local core = require "mflab.core"

local mf = {
  version = core.version,
  isa = core.isa, -- the kernels' instruction-set path: "avx512", "avx2", "baseline" or "native"
  cpu = core.cpu, -- the CPU's model name
  -- internals, kept out of the public namespace (help, completion): the C module and the
  -- option checker; the library's own modules require them as mflab.core, mflab.schema
  _core = core,
  _schema = require "mflab.schema",
  landscape = require "mflab.landscape",
  opt = require "mflab.opt",
  schedule = require "mflab.schedule",
  noise = require "mflab.noise",
  manifold = require "mflab.manifold",
  ode = require "mflab.ode",
  run = require("mflab.run").run,
  write_csv = require("mflab.io").write_csv,
  export = require "mflab.export",
  _repr = require("mflab.repr").repr,
  plot = require "mflab.plot",
  experiment = require("mflab.experiment").new,
  sweep = require "mflab.sweep",
  help = require("mflab.help").help,
  parallel = require "mflab.parallel",
}

mf.vec = core.vector
mf.analysis = require "mflab.analysis"
mf.hessian = mf.analysis -- the papers' word for the Hessian measurements
mf.fit = mf.analysis.fit

-- Public entry points written in Lua report errors at the caller's line and record what each
-- object was made from (mflab.schema's public/made: a result's metadata describes its
-- landscape, optimizer and noise by constructor and options).
do
  local schema = mf._schema
  local function wrap(t, prefix, record, skip, c_too)
    for k, f in pairs(t) do
      if type(f) == "function" and not (skip and skip[k]) and (c_too or debug.getinfo(f, "S").what == "Lua") then
        t[k] = schema.public(prefix .. k, f, record)
      end
    end
  end
  wrap(mf.landscape, "mf.landscape.", true)
  wrap(mf.opt, "mf.opt.", true)
  wrap(mf.noise, "mf.noise.", true)
  wrap(mf.schedule, "mf.schedule.", true, { is_schedule = true })
  wrap(mf.manifold, "mf.manifold.", true)
  wrap(mf.analysis, "mf.analysis.")
  wrap(mf.analysis.fit, "mf.analysis.fit.")
  wrap(mf.export, "mf.export.")
  wrap(mf.ode, "mf.ode.")
  mf.run = schema.public("mf.run", mf.run)
  mf.write_csv = schema.public("mf.write_csv", mf.write_csv)
  -- methods in C too: called through pcall or a local alias, their errors would name '?'
  for tname, methods in pairs(core.methods) do wrap(methods, tname .. ":", nil, nil, true) end
  mf.vec = schema.public("mf.vec", core.vector)
end

return mf
