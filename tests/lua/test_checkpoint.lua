-- Checkpoint and resume of a single mf.run: a run killed with SIGKILL part way and resumed from
-- its checkpoint ends with the same bits as an uninterrupted run (trajectories kept, with
-- dropped trajectories, and statistics only).
local here = arg[0]:match("(.*)/") or "."
local mode = arg[1]

local function options(kind, steps)
  local L = mf.landscape.valley {}
  local o = { landscape = L, optimizer = mf.opt.adam { lr = 0.05 }, noise = mf.noise.hessian { sigma = 1 }, x0 = { 5, 0 },
    steps = steps, every = 1000, seeds = 96, seed = 3, record = { "x1", "x2", "loss" }, quiet = true, threads = 2, block = 16 }
  if kind == "drop" then
    o.optimizer, o.on_nonfinite = mf.opt.sgd { lr = 0.07 }, "drop"
  elseif kind == "stats" then
    o.keep, o.keep_trajectories, o.block = "stats", 2, nil
    o.seeds = 700
  end
  return o
end

if mode == "child" then -- mflab test_checkpoint.lua child KIND STEPS PATH: runs with checkpoints
  local o = options(arg[2], tonumber(arg[3]))
  o.checkpoint = { path = arg[4], every = 0.05 }
  mf.run(o)
  return
end

local H = dofile(here .. "/harness.lua")
local exe = arg[-1]
local dir = os.getenv("TMPDIR") or "/tmp"

local function same(a, b)
  for _, n in ipairs(a.names) do
    for s = 1, a.kept do
      local x, y = a:column(n, s), b:column(n, s)
      for j = 1, #x do if not (x[j] == y[j] or (x[j] ~= x[j] and y[j] ~= y[j])) then return false end end
    end
    local ma, mb = a:mean(n), b:mean(n)
    for j = 1, #ma do if not (ma[j] == mb[j] or (ma[j] ~= ma[j] and mb[j] ~= mb[j])) then return false end end
    if a.stats then
      for _, f in ipairs { "var", "min", "max" } do
        local x, y = a[f](a, n), b[f](b, n)
        for j = 1, #x do if x[j] ~= y[j] then return false end end
      end
      for _, q in ipairs(a.quantiles) do
        local x, y = a:quantile(n, q), b:quantile(n, q)
        for j = 1, #x do if x[j] ~= y[j] then return false end end
      end
    end
  end
  return #a.t == #b.t and table.concat(a:alive(), ",") == table.concat(b:alive(), ",")
end

local function size(path)
  local f = io.open(path, "rb")
  if not f then return 0 end
  local n = f:seek("end")
  f:close()
  return n
end

for _, kind in ipairs { "adam", "drop", "stats" } do
  local steps = 400000
  local path = ("%s/mflab_test_ck_%s_%d.bin"):format(dir, kind, os.time())
  os.remove(path)
  -- the child runs with checkpoints every 0.05 s; once one exists (and a little later), SIGKILL
  local p = io.popen(("%q %q child %s %d %q >/dev/null 2>&1 & echo $!"):format(exe, arg[0], kind, steps, path))
  local pid = tonumber(p:read("l"))
  p:close()
  local waited = 0
  while size(path) == 0 and waited < 600 do
    os.execute("sleep 0.05")
    waited = waited + 1
  end
  os.execute("sleep 0.3")
  local alive = os.execute(("kill -0 %d 2>/dev/null"):format(pid))
  os.execute(("kill -9 %d 2>/dev/null"):format(pid))
  H.check(size(path) > 0, kind .. ": a checkpoint was written")
  H.check(alive, kind .. ": the run was killed part way (it was still running)")
  local o = options(kind, steps)
  local whole = mf.run(o)
  o.resume = path
  local resumed = mf.run(o)
  H.check(same(whole, resumed), kind .. ": resumed after SIGKILL, the same bits as an uninterrupted run")
  -- a checkpoint of another run is refused
  local o2 = options(kind, steps)
  o2.seed, o2.resume = 4, path
  H.raises({ "mf.run", "different run" }, mf.run, o2)
  os.remove(path)
end

local o = options("adam", 10)
o.checkpoint = { path = "/nonexistent-dir/x.ck", every = 1 }
H.raises({ "mf.run", "option 'checkpoint'", "/nonexistent-dir/x.ck" }, mf.run, o)
o.checkpoint = { every = 1 }
H.raises({ "mf.run", "checkpoint", "path" }, mf.run, o)
o.checkpoint, o.resume = nil, "/nonexistent-dir/x.ck"
H.raises({ "mf.run", "cannot read checkpoint" }, mf.run, o)
H.finish()
