-- Quasistatic Fig. 2 middle (examples/quasistatic/fig2_middle.lua), quick mode (400 steps, one
-- run): the matrix-factorization start is the paper's U0 = M, V0 = I; for SGD and SGDm the
-- projected iterate stays within 25% of its displacement of the first-order manifold dynamics
-- (measured 16% and 8% here; the bias lr A / (1 - lr A) of discrete SGD in the stiffest
-- direction is 14% at the start), the two have moved comparably (pace within [0.9, 1.25]);
-- the PNG and CSV are written. The full run (~1-2 min) is not part of the suite.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local example = here .. "/../../examples/quasistatic/fig2_middle.lua"

local function run_example(...) return H.run_example(example, ...) end

-- the landscape's start is U0 = M, V0 = I (row-major U then V)
local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = 4 }
local ok = true
for i = 1, 5 do
  for j = 1, 5 do
    if L.x0[(i - 1) * 5 + j] ~= L.M[i][j] or L.x0[25 + (i - 1) * 5 + j] ~= (i == j and 1 or 0) then ok = false end
  end
end
H.check(ok, "matrix_factorization's x0 is U = M, V = I")

local dir = H.tmpdir()
local t0 = os.clock()
local res = run_example("--quick", "--out", dir)
local secs = os.clock() - t0
H.check(res.steps == 400 and res.seeds == 1, "quick mode is small")
for k, x in ipairs(res.x0) do
  if x ~= L.x0[k] then ok = false end
end
H.check(ok, "the example starts from L.x0")
for _, c in ipairs(res.cases) do
  H.check(c.flow_disp > 0.1, ("%s: the flow moved (%.3f)"):format(c.key, c.flow_disp))
  H.check(c.ratio < 0.25, ("%s: |Pz - zeta| is %.1f%% of the displacement (bound 25%%)"):format(c.key, 100 * c.ratio))
  H.check(c.pace > 0.9 and c.pace < 1.25, ("%s: true/flow displacement %.3f"):format(c.key, c.pace))
  H.check(c.gap_raw > c.gap, ("%s: the iterate is farther from the flow than its projection"):format(c.key))
end
local w, h = H.png_size(dir .. "/fig2_middle.png")
H.check(w == 1200 and h == 500, "a 1200x500 PNG")
local csv = H.read(dir .. "/fig2_middle.csv") or ""
H.check(csv:match("^t,sgd_disp,sgd_disp_proj,sgd_gap,sgd_gap_proj,sgd_flow_disp,sgdm_disp"), "CSV header")
print(("fig2_middle quick: %.1f s CPU"):format(secs))
os.execute("rm -rf '" .. dir .. "'")
H.finish()
