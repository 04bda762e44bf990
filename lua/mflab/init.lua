-- mflab: the Lua face of the engine. `local mf = require "mflab"` (inside the mflab
-- executable the global `mf` is this table). Each part lives in its own module; constructors
-- take one options table, checked against the schema declared beside them (mflab.schema
-- keeps them all, for help and docs).
-- Every public object has one canonical name; mf.hessian and mf.fit are aliases of
-- mf.analysis and mf.analysis.fit (help.lua's M.aliases).
local core = require "mflab.core"

local mf = {
  version = core.version,
  -- internals, kept out of the public namespace (help, completion): the C module and the
  -- option checker; the library's own modules require them as mflab.core, mflab.schema
  _core = core,
  _schema = require "mflab.schema",
  landscape = require "mflab.landscape",
  opt = require "mflab.opt",
  schedule = require "mflab.schedule",
  noise = require "mflab.noise",
  manifold = require "mflab.manifold",
  run = require("mflab.run").run,
  write_csv = require("mflab.io").write_csv,
  export = require "mflab.export",
  _repr = require("mflab.repr").repr,
  plot = require "mflab.plot",
  example = require "mflab.example",
  help = require("mflab.help").help,
}

mf.vec = core.vector
mf.analysis = require "mflab.analysis"
mf.hessian = mf.analysis -- the papers' word for the Hessian measurements
mf.fit = mf.analysis.fit

return mf
