-- mf.sweep: grids, seed statistics (closed forms), failures recorded per point, result files
-- (CSV parsed back, NPZ columns, JSON metadata), the journal (resume after a torn line gives
-- the same bytes), refusing a folder of another sweep, batched and one-by-one run templates
-- giving the same bits, the experiment form, progress, heat maps of the rows, bad input.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local function count(t) local n = 0 for _ in pairs(t) do n = n + 1 end return n end

-- grids ---------------------------------------------------------------------------------
do
  local g = mf.sweep.product { lr = { 0.1, 0.2, 0.3 }, mu = { 0, 0.9 } }
  H.check(#g.points == 6 and g.names[1] == "lr" and g.names[2] == "mu", "product: 6 points, names sorted")
  H.check(g.points[1].lr == 0.1 and g.points[1].mu == 0 and g.points[2].mu == 0.9 and g.points[3].lr == 0.2,
    "product: the first name varies slowest")
  g = mf.sweep.product { { "mu", { 0, 0.9 } }, { "lr", { 1, 2, 3 } } }
  H.check(g.names[1] == "mu" and g.points[2].lr == 2 and g.points[4].mu == 0.9, "product: order as listed")
  g = mf.sweep.zip { lr = { 1, 2, 3 }, mu = { 4, 5, 6 } }
  H.check(#g.points == 3 and g.points[3].lr == 3 and g.points[3].mu == 6, "zip: i-th values together")
  g = mf.sweep.product { lr = 0.5, opt = { "sgd", "adam" } }
  H.check(#g.points == 2 and g.points[2].opt == "adam" and g.points[2].lr == 0.5, "product: a scalar is a list of one")
  H.raises({ "mf.sweep.zip", "unequal length", "'lr' has 3", "'mu' has 2" },
    function() mf.sweep.zip { lr = { 1, 2, 3 }, mu = { 4, 5 } } end)
  H.raises({ "mf.sweep.product", "the list of 'mu' is empty" }, function() mf.sweep.product { lr = { 1 }, mu = {} } end)
  H.raises({ "mf.sweep.product", "the grid is empty" }, function() mf.sweep.product {} end)
  H.raises({ "mf.sweep", "the grid is empty" }, function() mf.sweep { grid = {}, run = function() return {} end } end)
  H.raises({ "mf.sweep", "grid point 2 has no value for 'mu'" },
    function() mf.sweep { grid = { { lr = 1, mu = 2 }, { lr = 2 } }, run = function() return {} end } end)
  H.raises({ "mf.sweep.product", "value 2 of 'opt' (\"a,b\") cannot go into a CSV cell" }, function() mf.sweep.product { opt = { "a", "a,b" } } end)
  H.raises({ "mf.sweep.product", "must be a number, string or boolean" }, function() mf.sweep.product { lr = { {} } } end)
end

-- seed statistics: closed forms ----------------------------------------------------------
do
  -- x = a + seed over seeds 0..3: mean a + 1.5, std sqrt(5/3) (n - 1), stderr std / 2
  local S = mf.sweep { grid = mf.sweep.zip { a = { 1, 10 } }, seeds = 4, quiet = true,
    run = function(p) return { x = p.a + p.seed, y = 2 } end }
  H.check(#S == 2 and S[1].point == 1 and S[2].a == 10, "a row per point")
  H.check(S[1].x_mean == 2.5 and S[2].x_mean == 11.5, "mean over seeds")
  H.close(S[1].x_std, math.sqrt(5 / 3), 1e-15, "std (n - 1)")
  H.close(S[1].x_stderr, math.sqrt(5 / 3) / 2, 1e-15, "stderr = std / sqrt(n)")
  H.check(S[1].x_n == 4 and S[1].x_nonfinite == 0 and S[1].failed == 0, "n and counts")
  H.check(S[1].y_std == 0 and S[1].y_mean == 2, "a constant output: std 0")
  local cols = table.concat(S.columns, ",")
  H.check(cols == "point,a,failed,x_mean,x_std,x_stderr,x_n,x_nonfinite,y_mean,y_std,y_stderr,y_n,y_nonfinite",
    "columns: " .. cols)
  H.check(table.concat(S:column("x_mean"), ",") == "2.5,11.5", "S:column")
  H.raises({ "sweep:column", "no column 'z'", "columns: point, a" }, function() S:column("z") end)
  local text = tostring(S)
  H.check(text:find("2 points x 4 seeds, 0 failed", 1, true) and text:find("x_mean", 1, true)
    and text:find("11.5", 1, true), "printable:\n" .. text)
  -- one run per point without seeds: std undefined (NaN), n = 1
  S = mf.sweep { grid = { { a = 3 } }, quiet = true, run = function(p) return { x = p.a } end }
  H.check(S[1].x_mean == 3 and S[1].x_n == 1 and S[1].x_std ~= S[1].x_std, "one run: n 1, std NaN")
  H.check(S.metadata.seeds == nil and S.metadata.seeds_desc == "1 run", "no seeds in the metadata")
  -- explicit seed list
  S = mf.sweep { grid = { { a = 0 } }, seeds = { 7, 9 }, quiet = true, run = function(p) return { s = p.seed } end }
  H.check(S[1].s_mean == 8 and S.metadata.seeds[2] == 9, "a list of seeds")
end

-- string and boolean parameters: CSV cells, NPZ codes into the metadata's levels
do
  local d = H.tmpdir()
  local S = mf.sweep { grid = mf.sweep.product { opt = { "sgd", "adam" }, wd = { true, false } }, quiet = true, out = d,
    run = function(p) return { x = #p.opt + (p.wd and 10 or 0) } end }
  local csv = H.read(d .. "/sweep.csv")
  H.check(csv:find("\n1,sgd,1,0,13,", 1, true) and csv:find("\n4,adam,0,0,4,", 1, true), "CSV: strings as they are, booleans 1/0:\n" .. csv)
  H.check(S.metadata.levels.opt[1] == "adam" and S.metadata.levels.opt[2] == "sgd", "NPZ codes: levels in the metadata")
end

-- failures: recorded for the point, the others finish ------------------------------------
do
  local calls = 0
  local S = mf.sweep { grid = mf.sweep.product { lr = { 1, 2, 3 } }, seeds = 3, quiet = true,
    run = function(p)
      calls = calls + 1
      if p.lr == 2 then error("diverged at lr 2") end
      if p.lr == 3 and p.seed == 1 then return { loss = 0 / 0 } end
      if p.lr == 3 and p.seed == 2 then error("one bad seed") end
      return { loss = p.lr }
    end }
  H.check(calls == 9, "every point and seed ran: " .. calls)
  H.check(S[1].loss_mean == 1 and S[1].failed == 0, "point 1 fine")
  H.check(S[2].failed == 3 and S[2].loss_n == 0 and S[2].loss_nonfinite == 3 and S[2].loss_mean ~= S[2].loss_mean,
    "failed point: NaN mean, n 0, all seeds counted")
  H.check(S[2].error:find("diverged at lr 2", 1, true) and S[2].error:find("seed 0:", 1, true), "its error: " .. tostring(S[2].error))
  H.check(S[3].loss_mean == 3 and S[3].loss_n == 1 and S[3].loss_nonfinite == 2 and S[3].failed == 1,
    "NaN and failed seeds are left out of the statistics and counted")
  local f = S:failures()
  H.check(#f == 2 and f[1].point == 2 and f[1].params.lr == 2 and #f[1].errors == 3 and f[2].point == 3,
    "failures listed in point order")
  -- non-number outputs of a run function are a failure of that point, named
  S = mf.sweep { grid = { { a = 1 }, { a = 2 } }, quiet = true,
    run = function(p) return p.a == 1 and { loss = "abc" } or { loss = 1 } end }
  H.check(S[1].failed == 1 and S[1].error:find("output 'loss' is a string (\"abc\"), expected a number", 1, true),
    "non-number output: " .. tostring(S[1].error))
  H.check(S[2].loss_mean == 1, "the other point is fine")
  S = mf.sweep { grid = { { a = 1 } }, quiet = true, run = function() return 42 end }
  H.check(S[1].error:find("returned number, expected a table", 1, true), "run must return a table")
end

-- options and forms ------------------------------------------------------------------------
do
  local run = function() return { x = 1 } end
  H.raises({ "mf.sweep", "unknown option 'seedz'" }, function() mf.sweep { grid = { { a = 1 } }, run = run, seedz = 2 } end)
  H.raises({ "mf.sweep", "exactly one of 'experiment'" }, function() mf.sweep { grid = { { a = 1 } } } end)
  H.raises({ "mf.sweep", "option 'steps' belongs to a run template" },
    function() mf.sweep { grid = { { a = 1 } }, run = run, steps = 10 } end)
  H.raises({ "mf.sweep", "option 'seeds' must be" }, function() mf.sweep { grid = { { a = 1 } }, run = run, seeds = 0 } end)
  H.raises({ "mf.sweep", "the grid sets 'seed'" },
    function() mf.sweep { grid = { { seed = 1 } }, run = run, seeds = 2 } end)
  H.raises({ "mf.sweep", "option 'landscape' is required for a run template" },
    function() mf.sweep { grid = { { a = 1 } }, optimizer = function() end, steps = 1 } end)
end

-- the experiment form (a stand-in with the contract's E:run and E.params) ---------------
local E = {
  name = "quad", params = { { name = "lr", default = 0.1, kind = "number", doc = "learning rate" },
    { name = "steps", default = 10, kind = "number", doc = "steps" },
    { name = "seed", default = 0, kind = "number", doc = "seed" } },
}
function E:defaults() return { lr = 0.1, steps = 10, seed = 0 } end
function E:run(o)
  local p = self:defaults()
  for k, v in pairs(o) do
    if p[k] == nil then error("quad: unknown parameter '" .. k .. "'") end
    p[k] = v
  end
  -- gradient descent on x^2/2 from x = 1 + seed: x_T = (1 + seed)(1 - lr)^steps
  local x = 1 + p.seed
  for _ = 1, p.steps do x = x - p.lr * x end
  return { x = x, label = "a string result is not an output", path = { 1, 2 } }
end
do
  local S = mf.sweep { experiment = E, grid = mf.sweep.product { lr = { 0.1, 0.5 }, steps = { 1, 3 } }, seeds = 2, quiet = true }
  H.check(#S == 4 and table.concat(S.outputs, ",") == "x", "experiment: top-level numbers are the outputs")
  -- seeds 0 and 1: x_T = (1 + s)(1 - lr)^steps, mean 1.5 (1 - lr)^steps
  H.close(S[4].x_mean, 1.5 * 0.5 ^ 3, 1e-15, "experiment: closed form")
  H.check(S.metadata.runner == "experiment quad" and S.metadata.defaults.steps == 10, "experiment in the metadata")
  H.raises({ "mf.sweep", "unknown parameter 'lrr' in the grid", "declares: lr, steps, seed" },
    function() mf.sweep { experiment = E, grid = { { lrr = 1 } } } end)
  H.raises({ "mf.sweep", "seed parameter 'rng'", "does not declare" },
    function() mf.sweep { experiment = E, grid = { { lr = 1 } }, seeds = 2, seed_param = "rng" } end)
end

-- files: CSV, NPZ, JSON, journal ----------------------------------------------------------
local dir = H.tmpdir()
local function path(d, f) return d .. "/" .. f end

local calls = 0
local function grid_run(p)
  calls = calls + 1
  if p.lr == 0.4 and p.mu == 0.5 then error("boom") end
  return { loss = p.lr / (1 - p.mu) + 1e-3 * p.seed, acc = p.seed * p.lr }
end
local function sweep_in(d, extra)
  local o = { grid = mf.sweep.product { lr = { 0.1, 0.2, 0.4 }, mu = { 0, 0.5 } }, seeds = 3, run = grid_run,
    out = d, quiet = true }
  for k, v in pairs(extra or {}) do o[k] = v end
  return mf.sweep(o)
end

do
  local d = path(dir, "a/b") -- created with its parents
  local S = sweep_in(d)
  local csv = H.read(path(d, "sweep.csv"))
  local lines = {}
  for l in csv:gmatch("[^\n]+") do lines[#lines + 1] = l end
  H.check(#lines == 7 and lines[1]:match("^point,lr,mu,failed,acc_mean"), "CSV: header and a line per point")
  H.check(lines[2]:match("^1,0.1,0,0,") and lines[7]:match("^6,0.4,0.5,3,nan,nan,nan,0,3"), "CSV rows: " .. lines[7])
  -- every number in the CSV reads back to the row's double
  local ok = true
  for i = 2, #lines do
    local k = 0
    for cellv in (lines[i] .. ","):gmatch("([^,]*),") do
      k = k + 1
      local v = S[i - 1][S.columns[k]]
      local back = cellv == "nan" and 0 / 0 or tonumber(cellv)
      if not (back == v or (back ~= back and v ~= v)) then ok = false end
    end
  end
  H.check(ok, "CSV cells read back to the same doubles")
  local npz = H.read(path(d, "sweep.npz"))
  H.check(npz:sub(1, 4) == "PK\3\4" and npz:find("loss_mean.npy", 1, true) and npz:find("lr.npy", 1, true),
    "NPZ: a zip with one array per column")
  -- the loss_mean array holds the same doubles, little-endian float64 after the .npy header
  local member = npz:find("loss_mean.npy", 1, true)
  local hstart = member + #"loss_mean.npy"
  local hlen = string.unpack("<I2", npz, hstart + 8)
  local data = hstart + 10 + hlen
  local vals = {}
  for i = 1, 6 do vals[i] = string.unpack("<d", npz, data + 8 * (i - 1)) end
  H.check(vals[1] == S[1].loss_mean and vals[5] == S[5].loss_mean and vals[6] ~= vals[6], "NPZ data equals the rows")
  local js = H.read(path(d, "sweep.json"))
  H.check(js:find('"made_by": "mf.sweep"', 1, true) and js:find('"host":', 1, true) and js:find('"wall_seconds":', 1, true)
    and js:find('"point": 6', 1, true) and js:find("boom", 1, true), "JSON: metadata with the failures")
  local j = H.read(path(d, "sweep.journal"))
  local np = 0
  for _ in j:gmatch("\nP ") do np = np + 1 end
  H.check(j:match("^H mflab%-sweep%-journal 1 ") and np == 6, "journal: a header and a line per point")
  local entries = {}
  for f in io.popen("ls -A '" .. d .. "'"):lines() do entries[#entries + 1] = f end
  table.sort(entries)
  H.check(table.concat(entries, " ") == "sweep.csv sweep.journal sweep.json sweep.npz", "no temporary files left: " .. table.concat(entries, " "))

  -- mf.sweep.load: the same rows from the files
  local back = mf.sweep.load(d)
  local same = #back == #S and table.concat(back.columns, ",") == table.concat(S.columns, ",")
  for i = 1, #S do
    for _, c in ipairs(S.columns) do
      local a, b = back[i][c], S[i][c]
      if not (a == b or (a ~= a and b ~= b)) then same = false end
    end
  end
  H.check(same and back[6].error:find("boom", 1, true) and back.metadata.made_by == "mf.sweep"
    and table.concat(back.params, ",") == "lr,mu", "mf.sweep.load reads back the same rows, errors and metadata")
  H.raises({ "mf.sweep.load", "cannot read" }, function() mf.sweep.load(path(dir, "nowhere")) end)
  -- an experiment's ctx gives out, resume and force
  calls = 0
  sweep_in(nil, { out = nil, ctx = { out = d, resume = true } })
  H.check(calls == 0, "ctx.out and ctx.resume reach the sweep: nothing recomputed")

  -- resume after a kill: a journal cut at an arbitrary byte inside a line
  local full_csv, full_npz = H.read(path(d, "sweep.csv")), H.read(path(d, "sweep.npz"))
  local d2 = path(dir, "resumed")
  sweep_in(d2)
  local jt = H.read(path(d2, "sweep.journal"))
  local cut = 0
  for _ = 1, 3 do cut = jt:find("\nP ", cut + 1, true) end -- header, points 1 and 2, then part of 3
  local f = assert(io.open(path(d2, "sweep.journal"), "wb"))
  f:write(jt:sub(1, cut + 25))
  f:close()
  os.remove(path(d2, "sweep.csv"))
  calls = 0
  local S2 = sweep_in(d2, { resume = true })
  H.check(calls == 4 * 3, "resume ran only the 4 unfinished points (x 3 seeds): " .. calls)
  H.check(H.read(path(d2, "sweep.csv")) == full_csv and H.read(path(d2, "sweep.npz")) == full_npz,
    "resumed files are byte-identical to the uninterrupted sweep's")
  H.check(S2.metadata.points_from_journal == 2 and S2.metadata.points_computed == 4, "metadata counts journaled points")
  local jt2 = H.read(path(d2, "sweep.journal"))
  local n2 = 0
  for _ in jt2:gmatch("\nP ") do n2 = n2 + 1 end
  H.check(n2 == 6 and jt2:sub(-2) == ".\n", "journal repaired: 6 whole lines")
  -- same sweep without resume: starts over
  calls = 0
  sweep_in(d2)
  H.check(calls == 18 and H.read(path(d2, "sweep.csv")) == full_csv, "same sweep again: recomputed, same bytes")

  -- a folder holding another sweep is refused, naming what differs
  local other = { grid = mf.sweep.product { lr = { 0.1, 0.2 }, mu = { 0, 0.5 } } }
  H.raises({ "mf.sweep", "holds a sweep of different parameters", "lr (saved 0.1, 0.2, 0.4; now 0.1, 0.2)", "resume = true", "force = true" },
    function() sweep_in(d2, other) end)
  H.raises({ "mf.sweep", "seeds (saved 0,1,2; now 0,1)" }, function() sweep_in(d2, { seeds = 2 }) end)
  H.raises({ "cannot resume", "seeds (saved 0,1,2; now 0,1)", "force = true" },
    function() sweep_in(d2, { seeds = 2, resume = true }) end)
  -- resume with a smaller grid reuses its points; force starts over
  calls = 0
  local S3 = sweep_in(d2, { grid = mf.sweep.product { lr = { 0.1, 0.2 }, mu = { 0, 0.5 } }, resume = true })
  H.check(calls == 0 and #S3 == 4 and S3[4].loss_mean == S2[4].loss_mean, "resume on a sub-grid: nothing recomputed")
  calls = 0
  sweep_in(d2, { seeds = 2, force = true })
  H.check(calls == 12, "force: a new sweep in the folder")
end

-- run template: batched and one by one give the same bytes ---------------------------------
do
  local L = mf.landscape.valley {}
  local function template(out, batch)
    return mf.sweep { grid = mf.sweep.product { lr = { 0.01, 0.05, 2.5 }, mu = { 0, 0.5 } },
      landscape = L, optimizer = function(p) return mf.opt.sgd { lr = p.lr, momentum = p.mu } end,
      noise = function(p) return mf.noise.isotropic { sigma = 0.1 + p.mu } end,
      x0 = function(p) return { 1 + p.lr, 0.5 } end,
      steps = 150, every = 50, seeds = 6, seed = 3, batch = batch, out = out, quiet = true,
      outputs = function(r, p) return { loss = r:at("loss", #r), x = r:mean("x1")[#r], lr = p.lr } end,
      record = { "x1", "loss" } }
  end
  local sw = require "mflab.sweep"
  local nb = sw._batched_runs
  local A = template(path(dir, "tA"), true)
  if mf._schema.all["mf.run"].byname.configs then
    H.check(sw._batched_runs == nb + 1, "the six points went into one mf.run{configs = ...}")
  else
    print("SKIP: mf.run has no configs in this build: the batched form ran one configuration at a time")
  end
  local B = template(path(dir, "tB"), false)
  local C = template(path(dir, "tC"), 4)
  H.check(A.metadata.tasks == 1 and B.metadata.tasks == 6 and C.metadata.tasks == 2, "tasks: one batch, six runs, 4 + 2")
  for _, f in ipairs { "sweep.csv", "sweep.npz" } do
    H.check(H.read(path(dir, "tA/" .. f)) == H.read(path(dir, "tB/" .. f)) and H.read(path(dir, "tA/" .. f)) == H.read(path(dir, "tC/" .. f)),
      "template: batched and one-by-one " .. f .. " are byte-identical")
  end
  -- the numbers are mf.run's: point 2 equals a run of its own
  local r = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = 0.01, momentum = 0.5 }, noise = mf.noise.isotropic { sigma = 0.6 },
    x0 = { 1.01, 0.5 }, steps = 150, every = 50, seeds = 6, seed = 3, record = { "x1", "loss" }, quiet = true }
  local fin = r:at("loss", #r)
  local s = 0
  for i = 1, 6 do s = s + fin[i] end
  H.check(A[2].loss_mean == s / 6 and A[2].loss_n == 6 and A[2].x_mean == r:mean("x1")[#r] and A[2].x_n == 1,
    "template: outputs from the point's own mf.run")
  H.check(A:failures()[1].errors[1] == B:failures()[1].errors[1] and A:failures()[1].errors[1]:match("^mf%.run: non%-finite"),
    "the same failure message batched and alone: " .. A:failures()[1].errors[1])
  -- on_nonfinite = "drop": diverged trajectories are NaN at the end, counted per point
  local function dropped(batch)
    return mf.sweep { grid = mf.sweep.product { lr = { 0.05, 0.4, 0.6 } }, landscape = L, steps = 400, seeds = 16,
      optimizer = function(p) return mf.opt.sgd { lr = p.lr } end, noise = function() return mf.noise.isotropic { sigma = 3 } end,
      x0 = { 1, 0.5 }, on_nonfinite = "drop", batch = batch, quiet = true }
  end
  local okd, Da = pcall(dropped, true)
  if okd then
    local Db = dropped(false)
    local same = true
    for i = 1, 3 do
      for _, c in ipairs(Da.columns) do
        local a, b = Da[i][c], Db[i][c]
        if not (a == b or (a ~= a and b ~= b)) then same = false end
      end
    end
    H.check(same, "drop: batched and alone give the same rows")
    H.check(Da[1].loss_nonfinite == 0 and Da[3].loss_nonfinite > 0 and Da[3].loss_n + Da[3].loss_nonfinite == 16,
      "drop: diverged trajectories counted as non-finite: " .. Da[1].loss_nonfinite .. " " .. Da[3].loss_nonfinite .. " " .. Da[2].loss_nonfinite)
  else
    print("SKIP: on_nonfinite = 'drop' not in this build: " .. tostring(Da))
  end
  H.check(A[5].failed == 1 and A[5].error:find("non-finite", 1, true) and A[1].failed == 0,
    "a diverging configuration fails its point only, also inside a batch")
  -- default outputs: each recorded name's final value per trajectory
  local D = mf.sweep { grid = { { lr = 0.01 } }, landscape = L, steps = 20, seeds = 4, quiet = true,
    optimizer = function(p) return mf.opt.sgd { lr = p.lr } end }
  H.check(table.concat(D.outputs, ",") == "loss" and D[1].loss_n == 4, "template default outputs: final loss per trajectory")
  H.raises({ "mf.sweep", "option 'seed_param' is for the experiment and run forms" }, function()
    mf.sweep { grid = { { lr = 0.01 } }, landscape = L, steps = 20, seed_param = "s", optimizer = function(p) return mf.opt.sgd { lr = p.lr } end }
  end)
  local E2 = mf.sweep { grid = { { lr = 0.01 } }, landscape = L, steps = 20, quiet = true,
    optimizer = function(p) return "sgd" end }
  H.check(E2[1].failed == 1 and E2[1].error:find("optimizer(p) returned string", 1, true), "template: optimizer(p) must return an optimizer")
  local E3 = mf.sweep { grid = { { lr = 0.01 } }, landscape = L, steps = 20, quiet = true,
    optimizer = function(p) return mf.opt.sgd { lr = p.lr } end, outputs = function() return { loss = "x" } end }
  H.check(E3[1].error:find("output 'loss' is a string", 1, true), "template: non-number outputs named: " .. tostring(E3[1].error))
end

-- progress ----------------------------------------------------------------------------------
do
  local seen = {}
  mf.sweep { grid = mf.sweep.zip { a = { 1, 2, 3 } }, quiet = true, run = function() return { x = 1 } end,
    progress = function(done, total, s) seen[#seen + 1] = done .. "/" .. total end }
  H.check(table.concat(seen, " ") == "1/3 2/3 3/3", "progress(done, total, seconds) per point: " .. table.concat(seen, " "))
  local t = require("mflab.sweep")._progress_text(9, 36, 3, 9)
  H.check(t:find("9/36 points", 1, true) and t:find("3.00 points/s", 1, true) and t:find("0:09 left", 1, true) and t:find(" 25%", 1, true),
    "progress text: " .. t)
end

-- heat map of the rows: failed points blank ----------------------------------------------
do
  local S = mf.sweep { grid = mf.sweep.product { lr = { 1, 2, 3 }, mu = { 0, 1 } }, quiet = true,
    run = function(p) if p.lr == 2 and p.mu == 1 then error("x") end return { T = p.lr + 10 * p.mu } end }
  local p = mf.plot {}
  H.check(p:heatmap(S, { x = "lr", y = "mu", z = "T_mean" }) == p, "p:heatmap takes the result table")
  local txt = p:text(40, 12)
  H.check(type(txt) == "string" and #txt > 0, "heat map drawn")
  H.check(S[4].T_mean ~= S[4].T_mean and S[4].failed == 1, "failed cell is NaN: blank in the heat map")
end

-- help -------------------------------------------------------------------------------------
do
  local t = require("mflab.help").text("mf.sweep")
  H.check(t and t:find("grid", 1, true) and t:find("resume", 1, true), "help('mf.sweep')")
end

H.finish()
