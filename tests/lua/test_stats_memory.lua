-- A statistics-only run of 10^6 valley trajectories with 1000 records stays under 200 MB
-- (peak resident set, /proc/self/status VmHWM) and gives the mean of the stored run of the
-- same trajectories. (Kept whole, the 10^6 x 1000 x 2 values would need 16 GB.)
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local function peak_kb()
  for l in io.lines("/proc/self/status") do
    local kb = l:match("^VmHWM:%s*(%d+)")
    if kb then return tonumber(kb) end
  end
end

-- quick form (MFLAB_TEST_QUICK, the sanitizer run): 10^5 trajectories, and no bound on the
-- resident set, which the sanitizers' shadow memory and quarantine inflate
local QUICK = os.getenv("MFLAB_TEST_QUICK") ~= nil
local N = QUICK and 100000 or 1000000
local L = mf.landscape.valley {}
local opts = { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, noise = mf.noise.hessian { sigma = 1 }, x0 = { 5, 0 },
  steps = 999, every = 1, seeds = N, seed = 7, record = { "x1", "x2" }, keep = "stats", keep_trajectories = 4, quiet = true }
local r = mf.run(opts)
local peak = peak_kb()
H.check(#r.t == 1000 and r.seeds == N and r:alive(1000) == N, "10^6 trajectories, 1000 records")
if not QUICK then H.check(peak < 200 * 1024, ("peak resident set %.1f MB < 200 MB"):format(peak / 1024)) end

-- the same trajectories kept whole at 4 records (64 MB): the same means
opts.keep, opts.keep_trajectories, opts.every = nil, nil, 333
local s = mf.run(opts)
local worst = 0
for js, t in ipairs(s.t) do
  local jr = t + 1 -- r records every step
  for _, n in ipairs { "x1", "x2" } do
    local a, b = r:mean(n)[jr], s:mean(n)[js]
    worst = math.max(worst, math.abs(a - b) / math.max(math.abs(b), 1e-3))
    H.close(r:var(n)[jr], s:var(n)[js], 1e-11, "variance of " .. n .. " at t = " .. t)
  end
end
H.check(worst < 1e-12, ("the mean equals the stored run's to %.2g"):format(worst))
H.check(r:mean("x1")[1000] < 5 and r:mean("x1")[1000] > 4, "the ensemble moved along the valley")
H.finish()
