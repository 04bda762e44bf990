-- mflab under LuaJIT through its FFI: `local mf = require "mflab.ffi"` (Debian's luajit) loads
-- libmflab.so and offers landscapes, noise models, optimizers and runs under the Lua API's
-- names, calling the C engine directly. The declarations (mflab_ffi.h, beside this file) are
-- generated from the public headers at build time by scripts/ffi/gen_cdef.py, and a test checks
-- them against the headers, so this file cannot drift from the C API.
--
-- Covered: mf.landscape.valley{a, b | h = {c0, c1, ...}}, mf.opt.sgd/momentum/heavy_ball/adam/
-- adamw/rmsprop{...} with constant learning rates, mf.noise.none/hessian/isotropic/label,
-- mf.run{landscape, optimizer, noise, steps, every, seeds, seed, x0, threads, cancel} recording x1..xd
-- and loss, and results with r:mean, r:std, r:var, r:column, r.t, r.seeds. The full API (plots,
-- sweeps, flows, analysis) is the mflab executable's or stock Lua 5.4's (require "mflab").
--
-- libmflab.so is looked up as: $MFLAB_LIBRARY (a path to the file), then the installed layout
-- relative to this file (PREFIX/lib*/libmflab.so), then the system's search (LD_LIBRARY_PATH).
local ffi = require "ffi"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

local function read(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local cdef = read(here .. "/mflab_ffi.h")
if not cdef then
  error("mflab.ffi: the declarations " .. here .. "/mflab_ffi.h are missing (install mflab with cmake --install)", 2)
end
ffi.cdef(cdef)

local C
do
  local tried = {}
  local function try(name)
    if not name then return false end
    tried[#tried + 1] = name
    local ok, lib = pcall(ffi.load, name)
    if ok then C = lib end
    return ok
  end
  local env = os.getenv("MFLAB_LIBRARY")
  local prefix = here .. "/../../../.."
  local _ = (env and try(env)) or try(prefix .. "/lib/libmflab.so")
      or try(prefix .. "/lib64/libmflab.so") or try(prefix .. "/lib/x86_64-linux-gnu/libmflab.so")
      or try("mflab")
  if not C then
    error("mflab.ffi: cannot load libmflab.so (tried " .. table.concat(tried, ", ") ..
      "): set MFLAB_LIBRARY to the file's path, or add its folder to LD_LIBRARY_PATH", 2)
  end
end

local M = { C = C, ffi = ffi, landscape = {}, opt = {}, noise = {} }
M.version = ffi.string(C.mf_version())

local function fail(fname, err) error(fname .. ": " .. ffi.string(err.msg), 3) end
-- The options each function reads, as the Lua API names them: anything else is an error
-- naming the function and the option (a misspelt option must not be silently ignored).
local known = {
  ["mf.landscape.valley"] = { "a", "b", "h" },
  ["mf.opt.sgd"] = { "lr", "momentum", "dampening", "weight_decay", "nesterov" },
  ["mf.opt.momentum"] = { "lr", "mu" },
  ["mf.opt.heavy_ball"] = { "lr", "beta" },
  ["mf.opt.adam"] = { "lr", "betas", "eps", "weight_decay" },
  ["mf.opt.adamw"] = { "lr", "betas", "eps", "weight_decay" },
  ["mf.opt.rmsprop"] = { "lr", "alpha", "eps", "weight_decay", "momentum", "centered" },
  ["mf.noise.hessian"] = { "sigma" },
  ["mf.noise.isotropic"] = { "sigma", "space" },
  ["mf.noise.label"] = { "eps" },
  ["mf.run"] = { "landscape", "optimizer", "noise", "x0", "steps", "every", "seeds", "seed",
                 "threads", "cancel" },
}
local function opts(t, fname)
  if t == nil then return {} end
  if type(t) ~= "table" then error(fname .. ": expects an options table {...}", 3) end
  local names = known[fname]
  if names then
    for k in pairs(t) do
      local ok = false
      for _, n in ipairs(names) do ok = ok or k == n end
      if not ok then
        error(("%s: unknown option '%s' (options: %s)"):format(fname, tostring(k), table.concat(names, ", ")), 3)
      end
    end
  end
  return t
end

-- landscapes: a cdata pointer freed by the collector
function M.landscape.valley(o)
  o = opts(o, "mf.landscape.valley")
  local h = o.h or { o.a or 1, 0, o.b or 1 }
  local c = ffi.new("double[?]", #h, h)
  local out, err = ffi.new("mf_landscape*[1]"), ffi.new("mf_err")
  if C.mf_landscape_valley(out, c, #h, err) ~= 0 then fail("mf.landscape.valley", err) end
  return ffi.gc(out[0], C.mf_landscape_free)
end

-- optimizers: the C parameter block, defaults as in mf.opt
local optimizers = {
  sgd = function(o, p) p.momentum, p.dampening, p.weight_decay, p.nesterov = o.momentum or 0, o.dampening or 0, o.weight_decay or 0, o.nesterov and 1 or 0 end,
  momentum = function(o, p) p.momentum = o.mu end,
  heavy_ball = function(o, p) p.momentum = o.beta end,
  adam = function(o, p)
    local b = o.betas or { 0.9, 0.999 }
    p.beta1, p.beta2, p.eps, p.weight_decay = b[1], b[2], o.eps or 1e-8, o.weight_decay or 0
  end,
  adamw = function(o, p)
    local b = o.betas or { 0.9, 0.999 }
    p.beta1, p.beta2, p.eps, p.weight_decay = b[1], b[2], o.eps or 1e-8, o.weight_decay or 1e-2
  end,
  rmsprop = function(o, p)
    p.alpha, p.eps, p.weight_decay, p.momentum, p.centered = o.alpha or 0.99, o.eps or 1e-8, o.weight_decay or 0, o.momentum or 0, o.centered and 1 or 0
  end,
}
for name, fill in pairs(optimizers) do
  local fname = "mf.opt." .. name
  M.opt[name] = function(o)
    o = opts(o, fname)
    local lr = o.lr or ((name == "adam" or name == "adamw") and 1e-3 or (name == "rmsprop" and 1e-2) or nil)
    if type(lr) ~= "number" then error(fname .. ": option 'lr' must be a number (constant rates only under the FFI)", 2) end
    local p, opt, err = ffi.new("mf_optim_params"), ffi.new("mf_optim"), ffi.new("mf_err")
    fill(o, p)
    local sched = C.mf_schedule_constant(lr)
    if C.mf_optim_make(opt, name, p, sched, err) ~= 0 then fail(fname, err) end
    return opt
  end
end

-- noise models
local function noise(fname, make)
  local nz, err = ffi.new("mf_noise"), ffi.new("mf_err")
  if make(nz, err) ~= 0 then fail(fname, err) end
  return nz
end
function M.noise.none() return noise("mf.noise.none", function(nz, err) return C.mf_noise_none(nz, err) end) end
function M.noise.hessian(o)
  o = opts(o, "mf.noise.hessian")
  return noise("mf.noise.hessian", function(nz, err) return C.mf_noise_hessian(nz, o.sigma or 1, err) end)
end
function M.noise.isotropic(o)
  o = opts(o, "mf.noise.isotropic")
  local space = ({ full = C.MF_SPACE_FULL, normal = C.MF_SPACE_NORMAL, tangent = C.MF_SPACE_TANGENT })[o.space or "normal"]
  if not space then error("mf.noise.isotropic: option 'space' must be full, normal or tangent", 2) end
  return noise("mf.noise.isotropic", function(nz, err) return C.mf_noise_isotropic(nz, o.sigma or 1, space, err) end)
end
function M.noise.label(o)
  o = opts(o, "mf.noise.label")
  return noise("mf.noise.label", function(nz, err) return C.mf_noise_label(nz, o.eps, err) end)
end

-- results: x1..xd, then loss; data[(v*nrec_alloc + j)*seeds + i] (run.h)
local Result = {}
Result.__index = Result
function Result:_obs(name, fname)
  local v = self._names[name]
  if not v then error(fname .. ": '" .. tostring(name) .. "' was not recorded (recorded: " .. table.concat(self.names, ", ") .. ")", 3) end
  return v
end
local function moments(self, name, what, fname)
  local v, out = self:_obs(name, fname), {}
  local mean, var = ffi.new("double[1]"), ffi.new("double[1]")
  for j = 0, tonumber(self._r.nrec) - 1 do
    C.mf_result_moments(self._r, v, j, mean, var)
    out[j + 1] = what == 0 and mean[0] or what == 1 and var[0] or math.sqrt(var[0])
  end
  return out
end
function Result:mean(name) return moments(self, name, 0, "result:mean") end
function Result:var(name) return moments(self, name, 1, "result:var") end
function Result:std(name) return moments(self, name, 2, "result:std") end
function Result:column(name, seed)
  local v, r = self:_obs(name, "result:column"), self._r
  seed = seed or 1
  local n = tonumber(r.seeds)
  if seed < 1 or seed > n then error(("result:column: seed %d out of range 1..%d"):format(seed, n), 2) end
  local out = {}
  for j = 0, tonumber(r.nrec) - 1 do out[j + 1] = r.data[(v * r.nrec_alloc + j) * r.seeds + seed - 1] end
  return out
end

function M.run(o)
  o = opts(o, "mf.run")
  local L = o.landscape
  if not L then error("mf.run: option 'landscape' is required", 2) end
  local d = tonumber(L.dim)
  local x0 = o.x0 or (L.x0 ~= nil and (function() local t = {} for i = 0, d - 1 do t[i + 1] = L.x0[i] end return t end)())
  if not x0 or #x0 ~= d then error("mf.run: option 'x0' needs " .. d .. " numbers", 2) end
  local steps = assert(tonumber(o.steps), "mf.run: option 'steps' is required")
  local names, obs = {}, ffi.new("mf_observable[?]", d + 1)
  for k = 0, d - 1 do obs[k].kind, obs[k].index, names[k + 1] = C.MF_OBS_COORD, k, "x" .. (k + 1) end
  obs[d].kind, names[d + 1] = C.MF_OBS_LOSS, "loss"
  local cx0 = ffi.new("double[?]", d, x0)
  local cfg = ffi.new("mf_run_config", {
    landscape = L, optim = o.optimizer, noise = o.noise, x0 = cx0,
    steps = steps, every = o.every or math.max(1, math.floor(steps / 1000)),
    seeds = o.seeds or 1, seed = o.seed or 0, threads = o.threads or 0, obs = obs, nobs = d + 1 })
  -- cancel: an ffi.new("int[1]") that another thread (or a signal handler) sets to 1 to stop
  -- this run alone (mf_run_config.cancel); the run then fails with "interrupted"
  if o.cancel ~= nil then
    if not ffi.istype("int[1]", o.cancel) then error("mf.run: option 'cancel' must be an ffi int[1]", 2) end
    cfg.cancel = o.cancel
  end
  local out, err = ffi.new("mf_result*[1]"), ffi.new("mf_err")
  local rc = C.mf_run(cfg, out, err)
  if out[0] ~= nil then ffi.gc(out[0], C.mf_result_free) end
  if rc ~= 0 then fail("mf.run", err) end
  local r = out[0]
  local self = setmetatable({ _r = r, names = names, _names = {}, seeds = tonumber(r.seeds), t = {} }, Result)
  for i, n in ipairs(names) do self._names[n] = i - 1 end
  for j = 0, tonumber(r.nrec) - 1 do self.t[j + 1] = tonumber(r.t[j]) end
  return self
end

return M
