-- on_nonfinite = "drop" (survivors' bits unchanged, dropped trajectories marked, statistics
-- over the survivors) and keep = "stats" (statistics folded in fixed blocks: equal to the
-- stored run's where the orders coincide, the same bits for any thread count and block size).
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local function bits_equal(a, b)
  if #a ~= #b then return false end
  for j = 1, #a do
    if not (a[j] == b[j] or (a[j] ~= a[j] and b[j] ~= b[j])) then return false end
  end
  return true
end

local L = mf.landscape.valley {}
local noise = mf.noise.hessian { sigma = 1 }
-- lr = 0.07 from (5, 0): at the edge of stability, 5 of 64 trajectories leave the reals
local base = { landscape = L, optimizer = mf.opt.sgd { lr = 0.07 }, noise = noise, x0 = { 5, 0 }, steps = 2000, every = 20, seeds = 64, seed = 0, record = { "x1", "x2", "loss" } }
local NONE = {}
local function with(t)
  local o = {}
  for k, v in pairs(base) do o[k] = v end
  for k, v in pairs(t) do o[k] = v end
  for k, v in pairs(o) do if v == NONE then o[k] = nil end end
  return o
end

---------------------------------------------------------------- drop
local d1 = mf.run(with { on_nonfinite = "drop", threads = 1, block = 64 })
local d2 = mf.run(with { on_nonfinite = "drop", threads = 2, block = 5 })
H.check(#d1.dropped >= 2 and #d1.dropped <= 20, "some trajectories dropped: " .. #d1.dropped)
H.check(#d1.t == 101 and d1.steps == 2000, "the run went on to the end")
local first = d1.dropped[1]
local ok = true
for _, n in ipairs(d1.names) do
  for s = 1, 64 do ok = ok and bits_equal(d1:column(n, s), d2:column(n, s)) end
end
H.check(ok, "drop: the same bits for 1 thread / block 64 and 2 threads / block 5")
H.check(bits_equal(d1.drop_step, d2.drop_step), "drop: the same drop steps")
-- survivors: trajectories before the first dropped one, against an error-mode run of only them
local alone = mf.run(with { seeds = first - 1 })
ok = true
for _, n in ipairs(d1.names) do
  for s = 1, first - 1 do ok = ok and bits_equal(d1:column(n, s), alone:column(n, s)) end
end
H.check(ok, "drop: surviving trajectories' bits unchanged (" .. (first - 1) .. " against their run alone)")
-- the error-mode run stops at the first drop step; its records equal the drop run's
local okr, e = pcall(mf.run, with {})
H.check(not okr and e.step == math.min(table.unpack((function()
  local t = {}
  for _, i in ipairs(d1.dropped) do t[#t + 1] = d1.drop_step[i] end
  return t
end)())), "error mode fails at the first drop step")
local _, e2 = pcall(mf.run, with { every = 2 })
local d3 = mf.run(with { every = 2, on_nonfinite = "drop" })
ok = true
for s = 1, 64 do
  local a, b = e2.result:column("x1", s), d3:column("x1", s)
  for j = 1, #a do ok = ok and a[j] == b[j] end
end
H.check(ok and #e2.result.t > 3, "error mode's records before the failure equal the drop run's")
-- marks, NaN after the drop, alive counts, statistics over the survivors
ok = true
for s = 1, 64 do
  local st, col = d1.drop_step[s], d1:column("x2", s)
  for j, t in ipairs(d1.t) do
    if st ~= 0 and t >= st then ok = ok and col[j] ~= col[j] else ok = ok and col[j] == col[j] end
  end
end
H.check(ok, "a dropped trajectory's records are NaN from its drop step, finite before")
local alive, mean_ok = d1:alive(), true
for j, t in ipairs(d1.t) do
  local n, s = 0, 0.0
  for i = 1, 64 do
    if d1.drop_step[i] == 0 or d1.drop_step[i] > t then n, s = n + 1, s + d1:column("x1", i)[j] end
  end
  if alive[j] ~= n or d1:alive(j) ~= n then ok = false end
  if d1:mean("x1")[j] ~= s / n then mean_ok = false end
end
H.check(ok, "alive(j) counts the trajectories still finite at record j")
H.check(alive[1] == 64 and alive[#alive] == 64 - #d1.dropped, "alive: 64 at the start, the survivors at the end")
H.check(mean_ok, "r:mean is over the survivors (trajectory order, bit for bit)")
-- in a batched run, beside a configuration that does not drop
local rs = mf.run(with { optimizer = NONE, configs = { { optimizer = mf.opt.sgd { lr = 0.01 } }, { optimizer = base.optimizer } }, on_nonfinite = "drop", block = 7 })
ok = #rs[2].dropped == #d1.dropped and #rs[1].dropped == 0
for s = 1, 64 do ok = ok and bits_equal(rs[2]:column("x1", s), d1:column("x1", s)) end
H.check(ok, "drop in a batched run: the same bits as alone")

---------------------------------------------------------------- stats
local function stats_equal(a, b, names)
  for _, n in ipairs(names) do
    if not (bits_equal(a:mean(n), b:mean(n)) and bits_equal(a:var(n), b:var(n)) and bits_equal(a:min(n), b:min(n))
          and bits_equal(a:max(n), b:max(n))) then return false end
    for _, q in ipairs(a.quantiles) do
      if not bits_equal(a:quantile(n, q), b:quantile(n, q)) then return false end
    end
  end
  return bits_equal(a:alive(), b:alive())
end

local sb = { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, noise = noise, x0 = { 5, 0 }, steps = 400, every = 10, seed = 2, record = { "x1", "x2", "loss" } }
local function sw(t)
  local o = {}
  for k, v in pairs(sb) do o[k] = v end
  for k, v in pairs(t) do o[k] = v end
  for k, v in pairs(o) do if v == NONE then o[k] = nil end end
  return o
end
-- one statistics block (200 <= 256 trajectories): the stored run's statistics, bit for bit
local stored = mf.run(sw { seeds = 200 })
local st = mf.run(sw { seeds = 200, keep = "stats", keep_trajectories = 3, quantiles = { 0, 0.1, 0.5, 0.9, 1 } })
H.check(st.stats and st.seeds == 200 and st.kept == 3 and not stored.stats, "a statistics-only result")
ok = true
for _, n in ipairs(sb.record) do
  ok = ok and bits_equal(st:mean(n), stored:mean(n)) and bits_equal(st:var(n), stored:var(n))
      and bits_equal(st:std(n), stored:std(n))
end
H.check(ok, "stats: mean, var, std equal the stored run's bit for bit (one block)")
ok = true
for _, n in ipairs(sb.record) do
  for s = 1, 3 do ok = ok and bits_equal(st:column(n, s), stored:column(n, s)) end
  for j = 1, #st.t do
    local v = stored:at(n, j)
    table.sort(v)
    ok = ok and st:min(n)[j] == v[1] and st:max(n)[j] == v[#v]
        and st:quantile(n, 0)[j] == v[1] and st:quantile(n, 1)[j] == v[#v]
  end
end
H.check(ok, "stats: kept trajectories, min, max (and quantiles 0 and 1) exact")
H.raises({ "result:column", "keep_trajectories" }, function() return st:column("x1", 4) end)
H.raises({ "result:quantile", "0.25", "not kept" }, function() return st:quantile("x1", 0.25) end)

-- several blocks: 1000 trajectories = 256 + 256 + 256 + 232
local stored2 = mf.run(sw { seeds = 1000 })
local s1 = mf.run(sw { seeds = 1000, keep = "stats", threads = 1 })
local s2 = mf.run(sw { seeds = 1000, keep = "stats", threads = 2, block = 64 })
local s3 = mf.run(sw { seeds = 1000, keep = "stats", threads = 2, block = 600 })
H.check(stats_equal(s1, s2, sb.record) and stats_equal(s1, s3, sb.record), "stats: the same bits for any thread count and block size")
local worst, qworst = 0, 0
for _, n in ipairs(sb.record) do
  local ms, mt, vs, vt = s1:mean(n), stored2:mean(n), s1:var(n), stored2:var(n)
  for j = 1, #s1.t do
    worst = math.max(worst, math.abs(ms[j] - mt[j]) / math.max(1e-300, math.abs(mt[j])), math.abs(vs[j] - vt[j]) / math.max(1e-300, vt[j]))
    -- quantiles: within two bins (the histogram's range is 2 w wide, w the first block's
    -- spread) and the gap to the neighbouring order statistics
    local v = stored2:at(n, j)
    table.sort(v)
    local lo, hi = v[1], v[#v]
    for _, q in ipairs { 0.05, 0.5, 0.95 } do
      local k = math.max(1, math.min(#v, math.floor(q * #v + 0.5)))
      local tol = 2 * 2 * (hi - lo) / 512 + (v[math.min(#v, k + 1)] - v[math.max(1, k - 1)])
      local err = math.abs(s1:quantile(n, q)[j] - v[k])
      if err > tol then qworst = math.max(qworst, err / math.max(tol, 1e-300)) end
    end
  end
end
H.check(worst < 1e-12, ("stats over 4 blocks: mean and var equal the stored run's to %.2g (relative)"):format(worst))
H.check(qworst == 0, "stats: quantiles within two bins of the exact order statistic (worst excess " .. qworst .. ")")

-- stats with drop: alive counts and survivors' statistics, as the stored drop run
local sd = mf.run(with { on_nonfinite = "drop", keep = "stats" })
H.check(bits_equal(sd:alive(), d1:alive()), "stats + drop: the same alive counts")
H.check(bits_equal(sd:mean("x1"), d1:mean("x1")) and bits_equal(sd:var("loss"), d1:var("loss")), "stats + drop: statistics over the survivors, as stored")
-- batched statistics-only runs
local rs2 = mf.run(sw { seeds = 300, keep = "stats", optimizer = NONE, block = 100,
  configs = { { optimizer = mf.opt.sgd { lr = 0.01 } }, { optimizer = mf.opt.sgd { lr = 0.005 }, x0 = { 4, 0 } } } })
H.check(stats_equal(rs2[1], mf.run(sw { seeds = 300, keep = "stats" }), sb.record)
  and stats_equal(rs2[2], mf.run(sw { seeds = 300, keep = "stats", optimizer = mf.opt.sgd { lr = 0.005 }, x0 = { 4, 0 } }), sb.record),
  "stats in a batched run: the same bits as alone")

-- small statistics blocks of several configurations packed into one run block (10 seeds x 3)
do
  local cf = {}
  for k = 1, 3 do cf[k] = { optimizer = mf.opt.sgd { lr = 0.01 * k } } end
  local o = sw { optimizer = NONE, configs = cf, steps = 300, seeds = 10, record = { "x1", "loss" }, keep = "stats", block = 64, keep_trajectories = 2 }
  local a = mf.run(o)
  o.block, o.threads = 1, 2
  local b = mf.run(o)
  local good = true
  for k = 1, 3 do
    local alone = mf.run(sw { optimizer = cf[k].optimizer, steps = 300, seeds = 10, record = { "x1", "loss" } })
    for _, n in ipairs { "x1", "loss" } do
      good = good and bits_equal(a[k]:mean(n), b[k]:mean(n)) and bits_equal(a[k]:mean(n), alone:mean(n))
        and bits_equal(a[k]:var(n), alone:var(n)) and bits_equal(a[k]:column(n, 2), alone:column(n, 2))
    end
  end
  H.check(good, "stats: statistics blocks of 3 configurations in one run block, as each alone")
end

-- export
local dir = os.getenv("TMPDIR") or "/tmp"
local path = dir .. "/mflab_test_stats_" .. tostring(os.time()) .. ".csv"
st:save(path)
local f = io.open(path)
local header = f:read("l") -- the header is the first line (the '# mflab' comment is the last)
local row1 = f:read("l")
f:close()
os.remove(path)
H.check(header:find("x1_mean,x1_std,x1_min,x1_max,x1_q0,x1_q0.1,x1_q0.5,x1_q0.9,x1_q1", 1, true) ~= nil, "CSV: statistics columns " .. header)
H.check(row1:match("^0,5,0,5,5,5,5,5,5,5") ~= nil, "CSV: the first record " .. row1)
local npz = dir .. "/mflab_test_stats_" .. tostring(os.time()) .. ".npz"
st:save(npz)
local g = io.open(npz, "rb")
local bytes = g:read("a")
g:close()
os.remove(npz)
os.remove((npz:gsub("%.npz$", ".json")))
H.check(bytes:find("x1_q.npy", 1, true) and bytes:find("quantiles.npy", 1, true) and bytes:find("alive.npy", 1, true) and bytes:find("x1.npy", 1, true), "npz: statistics arrays and the kept trajectories")

-- bad input
H.raises({ "mf.run", "on_nonfinite" }, mf.run, with { on_nonfinite = "skip" })
H.raises({ "mf.run", "keep_trajectories", "keep = \"stats\"" }, mf.run, with { keep_trajectories = 2 })
H.raises({ "mf.run", "keep_trajectories", "more than seeds" }, mf.run, with { keep = "stats", keep_trajectories = 65 })
H.raises({ "mf.run", "quantiles", "[0, 1]" }, mf.run, with { keep = "stats", quantiles = { 0.5, 2 } })

H.finish()
