-- Prints, with %.17g, the matrix-factorization projection (the gradient-flow limit: DP45, the
-- exponential tail, Gauss-Newton, the small Jacobi eigenproblems; engine/src/core/landscape_mf.c)
-- of fixed points of several sizes (and the gradient, a Hessian-vector product and, up to
-- dimension 20, the Hessian at one point of each), and every recorded coordinate of a short SGD
-- run with Hessian noise on quasistatic Fig. 2's landscape (each step projects for its noise).
-- test_mf_project_bits.sh runs it on every instruction-set path and compares the output byte
-- for byte with mf_project_bits.expected, which this script generated
-- (`mflab tests/cli/mf_project_bits.lua > tests/cli/mf_project_bits.expected`): the kernels
-- may be made faster, but not change a bit. Regenerate the file only on purpose (a change of
-- the projection's algorithm), and say so in the commit.
-- The points are dyadic rationals from an integer generator, so no libm call makes the input.
local mf = require "mflab"
local fmt = string.format

local state = 12345
local function uniform() -- in [-1, 1), a multiple of 2^-20
  state = (state * 1103515245 + 12345) % 2147483648
  return ((state >> 11) - 524288) / 524288
end

local function show(tag, z)
  local out = {}
  for k = 1, #z do out[k] = fmt("%.17g", z[k]) end
  print(tag, table.concat(out, " "))
end

-- sizes: quasistatic Fig. 2's 5 x 5 x 5, rectangular ones, p > n, and one past 8 (the general
-- loops of any fast path for small sizes)
local cases = {
  { m = 5, n = 5, p = 5, seed = 4, points = 14 },
  { m = 3, n = 4, p = 2, seed = 1, points = 3 },
  { m = 4, n = 2, p = 3, seed = 2, points = 3 },
  { m = 2, n = 3, p = 4, seed = 3, points = 2 },
  { m = 7, n = 6, p = 8, seed = 5, points = 2 },
  { m = 9, n = 10, p = 9, seed = 6, points = 2 },
  { m = 1, n = 12, p = 1, seed = 7, points = 2 },
}
for _, c in ipairs(cases) do
  local L = mf.landscape.matrix_factorization { m = c.m, n = c.n, p = c.p, seed = c.seed }
  -- a balanced start on the fibre when there is none: U = V = small dyadic entries
  local base = L.x0
  for j = 1, c.points do
    local z, scale = {}, ({ 0.5, 0.125, 0.03125 })[(j - 1) % 3 + 1]
    for k = 1, L.dim do z[k] = (base and base[k] or 0.75 * uniform()) + scale * uniform() end
    show(fmt("project m=%d n=%d p=%d #%d", c.m, c.n, c.p, j), L:project(z))
    if j == 1 then -- the gradient's and the Hessian-vector product's kernels, at the same sizes
      local v = {}
      for k = 1, L.dim do v[k] = uniform() end
      show(fmt("grad m=%d n=%d p=%d", c.m, c.n, c.p), L:grad(z))
      show(fmt("hvp m=%d n=%d p=%d", c.m, c.n, c.p), L:hvp(z, v))
      if L.dim <= 20 then -- the dense Hessian, column by column (its entries row-major)
        local H, flat = L:hess(z), {}
        for r = 1, L.dim do for k = 1, L.dim do flat[#flat + 1] = H[r][k] end end
        show(fmt("hess m=%d n=%d p=%d", c.m, c.n, c.p), flat)
      end
    end
  end
end

-- a run as fig2_middle.lua's (SGD, Hessian noise sigma = 3), short
local L = mf.landscape.matrix_factorization { m = 5, n = 5, p = 5, seed = 4 }
for _, opt in ipairs { mf.opt.sgd { lr = 1e-3 }, mf.opt.momentum { lr = 5e-4, mu = 0.5 } } do
  local r = mf.run { landscape = L, optimizer = opt, noise = mf.noise.hessian { sigma = 3 }, x0 = L.x0,
                     steps = 60, every = 20, seeds = 1, seed = 2023, record = { "x", "p" }, block = 1,
                     quiet = true }
  for j = 1, #r.t do
    local z = {}
    for k = 1, L.dim do z[k] = r:column("x" .. k, 1)[j] end
    for k = 1, L.dim do z[L.dim + k] = r:column("p" .. k, 1)[j] end
    show(fmt("run %s t=%g", opt.name, r.t[j]), z)
  end
end
