-- Status: registered with ctest (tests/fuzz/tests.cmake). Its findings so far, all fixed at
-- their root: a NULL call (flow method 'em' on a deterministic flow), hangs (both JSON encoders
-- trusted __len/__pairs; schema list checks and ipairs over a proxy), loops deaf to Ctrl-C (run
-- blocks of 10^9 zero-step trajectories, the projection's polish loop, matrix sensing's
-- construction), and error messages that named '?' or 'newindex' instead of the function.
-- A fuzzer of mflab's public Lua API (issue 15). Run by mflab:
--   mflab tests/fuzz/fuzz_api.lua [calls] [seed]      (or MFLAB_FUZZ_CALLS, MFLAB_FUZZ_SEED)
-- It calls the whole API -- constructors, methods of landscapes, optimizers, flows, results
-- and vectors, mf.run, flows, analysis, exports, schedules, plots to files and to the dumb
-- terminal -- with arguments drawn from a deterministic generator: valid small options with
-- one or two entries replaced by adversarial values (wrong types, nil, NaN, +-Inf, huge and
-- negative sizes, strings, metamethod proxies whose __len returns -1 or 2^61 or raises,
-- nested garbage, functions returning garbage), or entirely random argument lists.
--
-- What must hold: the process never crashes (the sanitizer build makes every memory error
-- and undefined behaviour fatal); every call returns or raises a Lua error whose message
-- names the function called (or is the fuzzer's own error, raised inside one of its
-- metamethods or callbacks, passed through); no call outlives its time budget (a watchdog
-- interrupts it as Ctrl-C would; an interrupted call counts as a hang). The run ends with a
-- summary and raises if anything went wrong.
local N = math.tointeger(tonumber(arg[1] or os.getenv("MFLAB_FUZZ_CALLS") or "")) or 100000
local SEED = math.tointeger(tonumber(arg[2] or os.getenv("MFLAB_FUZZ_SEED") or "")) or 15
local BUDGET = tonumber(os.getenv("MFLAB_FUZZ_BUDGET") or "") or 5 -- seconds per call
local GRACE = tonumber(os.getenv("MFLAB_FUZZ_GRACE") or "") or 2 -- to stop once interrupted (every long loop polls the interrupt)
local TRACE = os.getenv("MFLAB_FUZZ_TRACE") -- print each call's target before making it
local SECONDS = tonumber(os.getenv("MFLAB_FUZZ_SECONDS") or "") -- stop earlier than N calls
-- files go to a tmpfs where there is one: every save is fsync'd (milliseconds on a disk)
local shm = io.open("/dev/shm/.mflab-fuzz-probe", "w")
if shm then shm:close() os.remove("/dev/shm/.mflab-fuzz-probe") end
local OUT = os.getenv("MFLAB_FUZZ_DIR") or ((shm and "/dev/shm" or os.getenv("TMPDIR") or "/tmp") .. "/mflab-fuzz-" .. SEED)
os.execute("mkdir -p '" .. OUT .. "'")
math.randomseed(SEED)
local R = math.random
local core = mf._core

local function pick(t) return t[R(#t)] end
local function chance(p) return R() < p end

-- ---- adversarial values ------------------------------------------------------------------
local MARK = "fuzz-own-error" -- errors the fuzzer raises itself (passed through by mflab)
local show
local function own() error(MARK, 0) end
local function len_proxy(n) return setmetatable({}, { __len = function() return n end }) end
local proxies = {
  function() return len_proxy(-1) end,
  function() return len_proxy(1 << 61) end,
  function() return len_proxy(math.mininteger) end,
  function() return len_proxy(2.5) end,
  function() return len_proxy("3") end,
  function() return setmetatable({}, { __len = own }) end,
  function() return setmetatable({ 1, 2 }, { __index = own, __len = function() return 3 end }) end,
  function() return setmetatable({}, { __index = function(_, k) return k end }) end,
  function() return setmetatable({}, { __tostring = own, __name = "fuzz" }) end,
  function() return setmetatable({}, { __pairs = own }) end,
  function() return setmetatable({}, { __eq = own, __lt = own, __le = own, __concat = own }) end,
}
local scalars = {
  0, 1, 2, 3, -1, -2, 0.5, 1.5, -0.0, 1e-300, 1e308, -1e308, 0 / 0, math.huge, -math.huge,
  1 << 31, 1 << 53, 1 << 61, 1 << 62, -(1 << 62), math.maxinteger, math.mininteger, 2.0 ^ 63,
  1e6, 1e9, true, false, "", "x", "1", "nan", "loss", "x1", string.rep("a", 300), "%s%n%d",
}
local any -- forward
local function garbage_table(depth)
  local t = {}
  for i = 1, R(0, 4) do t[i] = any(depth + 1) end
  if chance(0.3) then t[pick{ "kind", "lr", "x", "n", "name", 1.5, true }] = any(depth + 1) end
  if chance(0.1) then t.self = t end -- cyclic
  return t
end
local function numbers(n, bad)
  local t = {}
  for i = 1, n do t[i] = (bad and chance(0.2)) and any(3) or (R() * 4 - 2) end
  return t
end
local function garbage_function(depth)
  local k = R(6)
  if k == 1 then return own end
  if k == 2 then return function() return any(depth + 1) end end
  if k == 3 then return function(...) return ... end end
  if k == 4 then return function(z) return numbers(type(z) == "table" and #z or 2, true) end end
  if k == 5 then return function() return 1.0, 0.0, 0.0 end end
  return function() return pick(proxies)() end
end

local pool = { landscape = {}, optimizer = {}, noise = {}, result = {}, flow = {}, vector = {},
               figure = {}, schedule = {} }
local function from_pool(kind)
  local p = pool[kind]
  return #p > 0 and p[R(#p)] or nil
end
local function to_pool(kind, v)
  local p = pool[kind]
  if #p < 12 then p[#p + 1] = v else p[R(#p)] = v end
end

function any(depth)
  depth = depth or 0
  local k = R(depth > 2 and 3 or 9)
  if k <= 2 then return pick(scalars) end
  if k == 3 then return nil end
  if k == 4 then return garbage_table(depth) end
  if k == 5 then return pick(proxies)() end
  if k == 6 then return garbage_function(depth) end
  if k == 7 then return numbers(R(0, 4), chance(0.3)) end
  if k == 8 then return mf.vec(R(0, 3)) end
  local kinds = { "landscape", "optimizer", "noise", "result", "flow", "vector", "figure", "schedule" }
  return from_pool(pick(kinds))
end

-- ---- valid small values and the targets --------------------------------------------------
local function small_point(L) return numbers(L and L.dim or 2) end

local targets = {}
-- name: what the error message must mention (any of names); fn(): the call, returning the
-- function and its arguments (so argument generation errors are not blamed on mflab)
-- slow: the target drives engine computations whose cost grows with its arguments (a run of
-- 10^9 trajectories, a projection from a diverged point): stopped by the watchdog it is fine,
-- if it stops promptly; any other target stopped by the watchdog hangs.
local SLOW = { ["mf.run"] = true, ["flow:integrate"] = true, ["mf.manifold.flow"] = true }
local function T(names, weight, gen)
  local n = names[1]
  -- exports: a pooled vector of 10^6 entries is 24 MB of JSON (1.7 s under ASan)
  local slow = SLOW[n] or n:find("^landscape") or n:find("^mf%.landscape%.") or n:find("^mf%.analysis%.") or n:find("^figure:")
    or n:find("^mf%.export%.")
  targets[#targets + 1] = { names = names, weight = weight, gen = gen, slow = slow and true or false }
end

-- options: a valid small table with mutations
local function mutate(o, keep)
  local keys = {}
  for k in pairs(o) do if not (keep and keep[k]) then keys[#keys + 1] = k end end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local m = R(0, 2)
  for _ = 1, m do
    local r = R(4)
    if r == 1 and #keys > 0 then o[pick(keys)] = nil
    elseif r == 2 then o[pick{ "bogus", "n", "dim", "steps", "seeds", "lr", "x0", "record" }] = any(1)
    elseif #keys > 0 then o[pick(keys)] = any(1) end
  end
  return o
end
local function opts(o, keep) if chance(0.03) then return any(0) end return mutate(o, keep) end
-- sizes a landscape constructor keeps: without them its defaults are the papers' (dimension
-- 5000 to 20000, seconds per construction and per dense call)
local SIZES = { m = true, n = true, p = true, d = true, P = true, r = true, rank = true, observed = true }

local coef_f = function(x) return 1 + x * x, 2 * x, 2 end
local landscape_ctors = {
  { "mf.landscape.valley", function() return mf.landscape.valley, { h = pick{ { 1, 0, 1 }, { 2 }, { 1, 1 }, coef_f, { -1 } }, a = 1, b = 1 } end },
  { "mf.landscape.rotated_valley", function() return mf.landscape.rotated_valley, { theta = R() * 3, h = { 1, 0, 1 } } end },
  { "mf.landscape.quadratic_manifold", function()
      return mf.landscape.quadratic_manifold, { k = 1, d = 2, A = pick{ function() return { { 1 } } end, garbage_function(1) } } end },
  { "mf.landscape.sphere3d", function() return mf.landscape.sphere3d, { seed = R(0, 5), rotate = chance(0.5) } end },
  { "mf.landscape.custom", function()
      -- garbage f or grad with a manifold of minima only rarely: each projection then runs the
      -- gradient flow to its budget of 2e6 gradients (seconds under the sanitizers)
      local d, good = R(1, 3), chance(0.5)
      return mf.landscape.custom, { dim = d, codim = (good or chance(0.05)) and R(0, d) or 0,
        f = good and function(z) local s = 0 for i = 1, #z do s = s + z[i] ^ 2 end return s end or garbage_function(1),
        grad = chance(0.5) and (good and function(z) local g = {} for i = 1, #z do g[i] = 2 * z[i] end return g end or garbage_function(1)) or nil,
        hess = chance(0.3) and garbage_function(1) or nil } end },
  { "mf.landscape.matrix_factorization", function() return mf.landscape.matrix_factorization, { m = R(1, 3), n = R(1, 3), p = R(1, 3), seed = R(0, 3) } end },
  { "mf.landscape.uv", function() return mf.landscape.uv, { n = R(1, 3), P = R(1, 3), d = R(1, 2), m = R(1, 2), act = pick{ "linear", "tanh", "relu" } } end },
  { "mf.landscape.linreg_bn", function() return mf.landscape.linreg_bn, { d = R(1, 4), n = R(3, 5), seed = R(0, 3) } end },
  { "mf.landscape.matrix_completion_bn", function() return mf.landscape.matrix_completion_bn, { d = R(2, 4), rank = 1, observed = R(2, 6) } end },
  { "mf.landscape.matrix_sensing", function() return mf.landscape.matrix_sensing, { d = R(1, 4), r = 1, P = R(1, 8), precision = pick{ "double", "single" } } end },
}
for _, c in ipairs(landscape_ctors) do
  T({ c[1] }, 3, function() local f, o = c[2](); return f, { opts(o, SIZES) }, "landscape" end)
end

local opt_names = { "sgd", "momentum", "heavy_ball", "adam", "adamw", "rmsprop", "scalar_rmsprop", "gd_wd", "projected_gd" }
local function lr_value()
  return pick{ 0.01, 0.1, function(k) return 0.01 end, mf.schedule.constant{ lr = 0.05 },
               mf.schedule.cosine{ lr = 0.1, T = 5 }, garbage_function(1), -1, 0 / 0, "x" }
end
for _, name in ipairs(opt_names) do
  T({ "mf.opt." .. name }, 2, function()
    local o = { lr = lr_value() }
    if chance(0.5) then o[pick{ "momentum", "beta", "mu", "betas", "eps", "weight_decay", "wd", "alpha", "centered", "nesterov" }] = pick{ 0.9, 0.5, { 0.9, 0.99 }, 1e-8, true, any(1) } end
    return mf.opt[name], { opts(o) }, "optimizer"
  end)
end
T({ "mf.noise.hessian" }, 1, function() return mf.noise.hessian, { opts{ sigma = R() } }, "noise" end)
T({ "mf.noise.isotropic" }, 1, function() return mf.noise.isotropic, { opts{ sigma = R(), space = pick{ "normal", "full" } } }, "noise" end)
T({ "mf.noise.none" }, 1, function() return mf.noise.none, { opts{} }, "noise" end)
T({ "mf.noise.label" }, 1, function() return mf.noise.label, { opts{ eps = R() } }, "noise" end)
T({ "mf.noise.minibatch" }, 1, function() return mf.noise.minibatch, { opts{ B = R(1, 4), of = from_pool("noise") } }, "noise" end)
for _, s in ipairs{ { "constant", { lr = 0.1 } }, { "step", { lr = 0.1, step_size = 2 } }, { "cosine", { lr = 0.1, T = 3 } }, { "warmup", { steps = 2, lr = 0.1 } } } do
  T({ "mf.schedule." .. s[1] }, 1, function() local o = {} for k, v in pairs(s[2]) do o[k] = v end return mf.schedule[s[1]], { opts(o) }, "schedule" end)
end

local record_names = { "x", "loss", "x1", "x2", "p1", "trH", "dist", "wnorm", "mnorm", "lr", "lr_eff", "test_loss",
                       "lambda1", "spherical_sharpness", "h1", "m1", "v", "dist_minnorm", "sv1", "bogus" }
local function run_opts(L)
  local o = { landscape = L, optimizer = from_pool("optimizer"), x0 = L and small_point(L) or numbers(2),
              steps = R(0, 12), seeds = R(1, 6), seed = R(0, 9), quiet = true }
  if chance(0.4) then o.noise = from_pool("noise") end
  if chance(0.5) then o.every = R(1, 5) end
  if chance(0.3) then o.threads = R(1, 2) end
  if chance(0.2) then o.block = R(1, 9) end
  if chance(0.7) then
    local r = {}
    for i = 1, R(1, 4) do
      r[i] = pick(record_names)
      -- observables that project onto the manifold run a gradient flow per point (up to 2e6
      -- gradients from a diverging point): rare, so that the calls stay within their budget
      if (r[i] == "dist" or r[i] == "p1" or r[i] == "dist_minnorm") and not chance(0.1) then r[i] = "loss" end
    end
    o.record = r
  end
  if chance(0.05) then o.progress = garbage_function(1) end
  -- large sizes only where the run must refuse before running (never 2^61 steps that run)
  if chance(0.02) then o.seeds, o.steps, o.every = pick{ 1 << 40, 1 << 62, -1 }, R(0, 5), 1 end
  return o
end
T({ "mf.run" }, 12, function() return mf.run, { opts(run_opts(from_pool("landscape"))) }, "result" end)
T({ "mf.manifold.flow" }, 4, function()
  return mf.manifold.flow, { opts{ landscape = from_pool("landscape"), optimizer = from_pool("optimizer"),
                                   noise = from_pool("noise") or mf.noise.none{}, order = pick{ 1, 2, 3 } } }, "flow"
end)
T({ "flow:integrate", "mf.manifold", "flow" }, 6, function()
  local fl = from_pool("flow")
  local o = { x0 = numbers(R(1, 3)), steps = R(0, 10), method = chance(0.5) and pick{ "rk4", "dp45", "em", "momentum", "bogus" } or nil,
              seeds = R(1, 4), every = R(1, 4), h = R(1, 3), quiet = true }
  if chance(0.02) then o.seeds, o.method, o.every = 1 << 62, "em", 1 end
  return fl and fl.integrate, { fl, opts(o) }, "result"
end)
T({ "flow:drift", "drift" }, 3, function() local fl = from_pool("flow") return fl and fl.drift, { fl, chance(0.8) and numbers(R(1, 3)) or any(0) } end)
T({ "flow:dt", "dt" }, 1, function() local fl = from_pool("flow") return fl and fl.dt, { fl } end)

local land_methods = { "value", "grad", "hess", "hvp", "project", "tangent", "trace_hessian", "test_loss" }
for _, m in ipairs(land_methods) do
  T({ "landscape:" .. m, "'" .. m .. "'", m }, 3, function()
    local L = from_pool("landscape")
    if not L then return nil end
    local a = { L, chance(0.8) and small_point(L) or any(0) }
    if m == "hvp" then a[3] = chance(0.8) and small_point(L) or any(0) end
    if chance(0.05) then a[1] = any(0) end
    return L[m], a
  end)
end
T({ "landscape", "index" }, 2, function()
  local L = from_pool("landscape")
  return L and function(l, k) return l[k] end, { L, pick{ "dim", "codim", "name", "x0", "nres", "serial", "M", "X", "y", "w_gt", "b_gt",
    "w_minnorm", "b_minnorm", "observed", "Xstar", "precision", "U", "bogus", 1, 2.5, true } }
end)
T({ "tostring" }, 1, function() return tostring, { any(0) } end)

local res_methods = { "mean", "var", "std", "column", "at" }
for _, m in ipairs(res_methods) do
  T({ "result:" .. m, "'" .. m .. "'", m }, 3, function()
    local r = from_pool("result")
    if not r then return nil end
    local nm = chance(0.8) and (r.names[R(math.max(1, #r.names))] or "loss") or any(0)
    return r[m], { r, nm, chance(0.7) and R(-1, 4) or any(0) }
  end)
end
T({ "result", "index" }, 2, function()
  local r = from_pool("result")
  return r and function(x, k) return x[k] end, { r, pick{ "t", "seeds", "steps", "nrec", "names", "meta", "metadata", "x1", "loss", "bogus", 1, true } }
end)
T({ "result:save", "save" }, 1, function()
  local r = from_pool("result")
  local ext = pick{ ".csv", ".npy", ".npz", ".json", "", ".txt" }
  return r and r.save, { r, chance(0.9) and (OUT .. "/r" .. R(1, 5) .. ext) or any(0), chance(0.3) and pick{ "summary", "long", "wide", any(0) } or nil }
end)

T({ "mf.vec" }, 4, function() return mf.vec, { chance(0.5) and R(0, 5) or any(0) }, "vector" end)
T({ "vector" }, 4, function()
  local v = from_pool("vector")
  if not v then return nil end
  local op = R(6)
  if op == 1 then return function(x, i) return x[i] end, { v, pick{ 0, 1, 2, 3, -1, 1 << 62, 0.5, "totable", "x", true } } end
  if op == 2 then return function(x, i, y) x[i] = y end, { v, pick{ 0, 1, 2, -1, 1 << 62, 1.5, "n" }, any(0) } end
  if op == 3 then return function(x) return #x end, { v } end
  if op == 4 then return v.totable, { chance(0.9) and v or any(0) } end
  return tostring, { v }
end)

local analysis = {
  { "mf.analysis.trace", function(L) return { L, small_point(L), chance(0.5) and { probes = R(1, 4), seed = R(0, 3) } or nil } end },
  { "mf.analysis.top", function(L) return { L, small_point(L), R(0, 3), chance(0.5) and { tol = 1e-6 } or nil } end },
  { "mf.analysis.spherical_sharpness", function(L) return { L, small_point(L) } end },
  { "mf.analysis.distance_to_manifold", function(L) return { L, small_point(L) } end },
}
for _, a in ipairs(analysis) do
  local fname = a[1]:match("[^.]+$")
  T({ a[1] }, 2, function()
    local L = from_pool("landscape")
    if not L then return nil end
    local args = a[2](L)
    if chance(0.2) then args[R(#args)] = any(0) end
    return mf.analysis[fname], args
  end)
end
for _, f in ipairs{ "exp_timescale", "powerlaw", "vee" } do
  T({ "mf.analysis.fit." .. f, "mf.fit." .. f }, 2, function()
    local n = R(0, 6)
    local x, y = {}, {}
    for i = 1, n do x[i] = i; y[i] = chance(0.9) and math.exp(-i) or any(2) end
    return mf.analysis.fit[f], { chance(0.8) and x or any(0), chance(0.8) and y or any(0) }
  end)
end
for _, f in ipairs{ { "hb_spectrum", { lr = 0.1, beta = 0.5, lambda = 1 } }, { "ou_variance", { lr = 0.1, beta = 0.5, lambda = 1, eps = 0.1 } },
                    { "uv_timescales", { lr = 0.1, gamma = 1, C = 1, eps = 0.1, mu2 = 1, P = 4 } }, { "factors", { lr = 0.1, mu = 0.5 } } } do
  T({ "mf.analysis." .. f[1] }, 1, function() local o = {} for k, v in pairs(f[2]) do o[k] = v end return mf.analysis[f[1]], { opts(o) } end)
end

T({ "mf.export.json" }, 1, function() return mf.export.json, { any(0) } end)
T({ "mf.export.write_json" }, 1, function() return mf.export.write_json, { OUT .. "/j.json", any(0) } end)
T({ "mf.export.npy" }, 1, function() return mf.export.npy, { OUT .. "/a.npy", chance(0.5) and numbers(R(0, 5), chance(0.3)) or any(0) } end)
T({ "mf.export.npz" }, 1, function() return mf.export.npz, { OUT .. "/a.npz", chance(0.5) and { a = numbers(3), b = { numbers(2), numbers(2) } } or any(0) } end)
T({ "mf.write_csv" }, 1, function()
  return mf.write_csv, { OUT .. "/c.csv", chance(0.7) and { "a", "b,c" } or any(0), chance(0.7) and { numbers(3), numbers(3, true) } or any(0), chance(0.5) and "meta" or any(0) }
end)

-- plots: rendering runs gnuplot, so these are rare (each costs tens of milliseconds)
local has_gnuplot = mf.plot.available()
T({ "mf.plot.new", "mf.plot" }, 1, function() return mf.plot.new, { chance(0.9) and mutate{ title = "t", xlabel = "x", logy = chance(0.5) } or any(0) }, "figure" end)
T({ "figure:line", "figure:points", "figure:band", "line", "points", "band", "mf.plot" }, 2, function()
  local p = from_pool("figure")
  if not p then return nil end
  local m = pick{ "line", "points", "band" }
  local n = R(0, 5)
  local x = numbers(n, chance(0.2))
  local args = { p, chance(0.9) and x or any(0), chance(0.9) and numbers(n, chance(0.2)) or any(0) }
  if m == "band" then args[4] = numbers(n) end
  args[#args + 1] = chance(0.5) and mutate{ title = "s", color = pick{ "red", 3, "#112233" } } or nil
  return p[m], args
end)
T({ "figure:heatmap", "heatmap", "mf.plot" }, 1, function()
  local p = from_pool("figure")
  return p and p.heatmap, { p, chance(0.8) and { x = { 1, 2 }, y = { 1, 2 }, z = { { 1, 2 }, { 3, 0 / 0 } } } or any(0), chance(0.5) and mutate{ logz = false } or nil }
end)
T({ "figure:contour", "contour", "mf.plot" }, 1, function()
  local p = from_pool("figure")
  return p and p.contour, { p, chance(0.8) and function(x, y) return x * y end or any(0), chance(0.8) and { x = { -1, 1 }, y = { -1, 1 }, n = R(2, 6) } or any(0) }
end)
T({ "figure:set", "figure:panel", "figure:text", "set", "panel", "text", "mf.plot" }, 1, function()
  local p = from_pool("figure")
  if not p then return nil end
  local m = pick{ "set", "panel", "text" }
  if m == "text" and not has_gnuplot then return nil end
  if m == "text" and not chance(0.05) then return nil end
  if m == "set" then return p.set, { p, chance(0.5) and "grid" or any(0) } end
  if m == "panel" then return p.panel, { p, pick{ 1, 2, 0, -1, 1 << 62, any(0) }, chance(0.5) and { title = "x" } or nil } end
  return p.text, { p, chance(0.8) and { cols = R(20, 80), rows = R(10, 30) } or any(0) }
end)
T({ "figure:save", "save", "mf.plot" }, 1, function()
  if not has_gnuplot or not chance(0.03) then return nil end
  local p = from_pool("figure")
  return p and p.save, { p, chance(0.9) and (OUT .. "/p" .. R(1, 3) .. pick{ ".png", ".svg", ".pdf", ".txt", "" }) or any(0) }
end)

-- ---- the loop ---------------------------------------------------------------------------
local total_weight = 0
for _, t in ipairs(targets) do total_weight = total_weight + t.weight end
local function choose()
  local w = R() * total_weight
  for _, t in ipairs(targets) do
    w = w - t.weight
    if w <= 0 then return t end
  end
  return targets[#targets]
end

local function message(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if type(e) == "table" and mt and mt.__name == "mflab.error" then return tostring(e) end
  if type(e) == "table" and type(e.message) == "string" then return e.message end
  return nil
end

local stats = { calls = 0, ok = 0, errors = 0, bad = 0, hangs = 0, stopped = 0, slowest = 0, slowest_name = "" }
local stopped_seen = {}
local bad_seen, bad_list = {}, {}
local function bad(kind, t, msg, args)
  stats.bad = stats.bad + 1
  local key = kind .. " " .. t.names[1] .. ": " .. (msg or "?"):gsub("0x%x+", "0x"):gsub("%d+", "N"):sub(1, 160)
  if not bad_seen[key] then
    bad_seen[key] = true
    bad_list[#bad_list + 1] = key .. "\n      first with " .. show(args):sub(1, 700)
  end
end

-- a one-line description of an argument list (for MFLAB_FUZZ_TRACE)
function show(v, depth)
  depth = depth or 0
  local ty = type(v)
  if ty == "string" then return ("%q"):format(#v > 40 and v:sub(1, 40) .. "..." or v) end
  if ty ~= "table" then
    if ty == "userdata" then
      local ok, d = pcall(tostring, v)
      return "<" .. (ok and type(d) == "string" and d:gsub("%s+", " "):sub(1, 120) or "userdata") .. ">"
    end
    return tostring(v)
  end
  if getmetatable(v) then return "<proxy>" end
  if depth > 2 then return "{...}" end
  local n = rawlen(v)
  if n > 4 and type(rawget(v, 1)) == "number" then return ("{%d numbers, first %s}"):format(n, tostring(rawget(v, 1))) end
  local parts = {}
  for k, x in next, v do
    if #parts > 12 then parts[#parts + 1] = "..." break end
    parts[#parts + 1] = (type(k) == "string" and k .. "=" or "[" .. tostring(k) .. "]=") .. show(x, depth + 1)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

local function guarded(f, args)
  core.watchdog(BUDGET)
  local ok, res = pcall(f, table.unpack(args, 1, 6))
  core.watchdog(0)
  return ok, res
end

local clock = os.clock
local ncalls = {}
local cost = {} -- CPU seconds per target (MFLAB_FUZZ_COST=1 prints the top ten)
local t_start = os.time()
local wall_start = core.clock()
for _ = 1, N do
  if SECONDS and core.clock() - wall_start > SECONDS then break end
  local t = choose()
  local okg, f, args, kind = pcall(t.gen)
  if okg and type(f) == "function" then
    stats.calls = stats.calls + 1
    if TRACE then io.stderr:write(stats.calls, " ", t.names[1], " ", show(args), "\n") io.stderr:flush() end
    local t0, w0 = clock(), core.clock()
    -- the watchdog's hook may fire just after the call returned, before it is disarmed: the
    -- outer pcall catches that too (it counts as a hang)
    local okw, ok, res = pcall(guarded, f, args)
    core.watchdog(0)
    if not okw then ok, res = false, ok end
    local dt, wall = clock() - t0, core.clock() - w0
    cost[t.names[1]] = (cost[t.names[1]] or 0) + wall
    ncalls[t.names[1]] = (ncalls[t.names[1]] or 0) + 1
    if dt > stats.slowest then stats.slowest, stats.slowest_name = dt, t.names[1] end
    if ok then
      stats.ok = stats.ok + 1
      if kind and res ~= nil then
        local mt = getmetatable(res)
        local want = ({ landscape = "mflab.landscape", optimizer = "mflab.optimizer", result = "mflab.result",
                        flow = "mflab.flow", vector = "mflab.vector", noise = "mflab.noise" })[kind]
        -- big landscapes (a constructor's defaults after a mutation removed a size) are made
        -- but not reused: dense paths on them take seconds per call
        local small = want ~= "mflab.landscape" or res.dim <= 64
        if small and ((want and type(mt) == "table" and mt.__name == want) or (not want and type(res) == "table")) then
          to_pool(kind, res)
        end
      end
    else
      stats.errors = stats.errors + 1
      local msg = message(res)
      if wall > BUDGET + GRACE then -- the interrupt did not stop it
        stats.hangs = stats.hangs + 1
        bad("deaf", t, ("%.1f s after a budget of %g s: %s"):format(wall, BUDGET, msg or "?"), args)
      elseif msg and msg:find("watchdog", 1, true) or (msg and msg:find("interrupted", 1, true)) then
        if t.slow then
          stats.stopped = stats.stopped + 1
          local key = t.names[1]
          if not stopped_seen[key] then stopped_seen[key] = "stopped " .. key .. " (slow, not a fault), first with " .. show(args):sub(1, 300) end
        else
          stats.hangs = stats.hangs + 1
          bad("hang", t, msg, args)
        end
      elseif not msg then
        bad("non-string error", t, type(res), args)
      elseif not msg:find(MARK, 1, true) then
        local named = false
        for _, n in ipairs(t.names) do if msg:find(n, 1, true) then named = true break end end
        if not named then bad("message", t, msg, args) end
      end
      -- an error object that carries a partial result: exercise it too
      if type(res) == "table" and getmetatable(res) and getmetatable(res).__name == "mflab.error" and res.result then
        to_pool("result", res.result)
      end
    end
  end
  if stats.calls % 5000 == 0 then collectgarbage("step", 200) end
end
for _, p in ipairs(pool.figure) do pcall(p.close, p) end
pool = nil
collectgarbage()

print(("fuzz: seed %d, %d calls (%d returned, %d raised), %d bad, %d hangs, %d slow calls stopped, slowest call %.3f s CPU (%s), %d s"):format(
  SEED, stats.calls, stats.ok, stats.errors, stats.bad, stats.hangs, stats.stopped, stats.slowest, stats.slowest_name, os.time() - t_start))
for _, line in pairs(stopped_seen) do print("  " .. line) end
if os.getenv("MFLAB_FUZZ_COST") then
  local names = {}
  for k in pairs(cost) do names[#names + 1] = k end
  table.sort(names, function(a, b) return cost[a] > cost[b] end)
  for i = 1, math.min(10, #names) do print(("  cost %-36s %.2f s over %d calls"):format(names[i], cost[names[i]], ncalls[names[i]])) end
end
for i, k in ipairs(bad_list) do
  if i > (tonumber(os.getenv("MFLAB_FUZZ_SHOW")) or 60) then print(("... and %d more kinds"):format(#bad_list - 60)) break end
  print("  " .. k)
end
os.execute("rm -rf '" .. OUT .. "'")
if stats.bad > 0 then error(("fuzz: %d bad outcomes of %d kinds"):format(stats.bad, #bad_list), 0) end
