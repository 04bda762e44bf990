-- Quasistatic Fig. 3 right (examples/quasistatic/fig3_right.lua, quick mode): Adam on the rotated
-- valley reaches |Pz| = 1 from 5 in fewer iterations at theta = 0 than at theta = pi/4 by the
-- factor the figure prints (~16): the simulated factor is above 10 and within 15% of the flows'
-- factor; each run's crossing is within 12% of its flow's (the t = 0 run is ~8% slower, the part
-- of Adam's second moment the flow leaves out; the script's head says why); at pi/8 within 6%
-- (the Schur-complement coefficient; plain M11 would be ~10% fast); SGD sits between; the quick
-- mode writes a PNG and a CSV.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local example = here .. "/../../examples/quasistatic/fig3_right.lua"

local dir = H.tmpdir()
local res = H.run_example(example, "--quick", "--out", dir)

H.check(res.factor_run and res.factor_run > 10, ("theta = 0 is > 10x faster than pi/4: %s"):format(res.factor_run))
H.check(res.factor_run and math.abs(res.factor_run / res.factor_flow - 1) <= 0.15,
  ("the factor %s within 15%% of the flows' %s"):format(res.factor_run, res.factor_flow))
for key, tol in pairs { adam0 = 0.12, adam8 = 0.06, adam4 = 0.06, sgd = 0.08 } do
  local c = res[key]
  H.check(c.k_run and math.abs(c.k_run / c.k_flow - 1) <= tol,
    ("%s: run reaches |Pz| = 1 at %s, flow at %s (tolerance %g)"):format(key, c.k_run, c.k_flow, tol))
end
H.check(res.adam0.k_run < res.sgd.k_run and res.sgd.k_run < res.adam8.k_run and res.adam8.k_run < res.adam4.k_run,
  "order: Adam theta = 0, SGD, Adam pi/8, Adam pi/4")
local w, h = H.png_size(dir .. "/fig3_right.png")
H.check(w == 900 and h == 600, "a 900x600 PNG")
local csv = H.read(dir .. "/fig3_right.csv") or ""
H.check(select(2, csv:gsub("\n", "")) == 2 + 201, "CSV: a metadata line, a header and 201 rows")
H.check(csv:match("^t,adam0_dist_mean,adam0_dist_std,adam0_dist_flow,") ~= nil, "CSV header")
os.execute("rm -rf '" .. dir .. "'")
H.finish()
