-- The batch-normalized landscapes of the sharpness paper through the Lua API: linreg_bn
-- (S §5, Q.2) and matrix_completion_bn (S P.1). Constructor options and their errors, the data
-- fields, scale invariance, hvp against the dense Hessian, the test losses from their
-- definitions, and the same data in two processes. (Derivatives against differences, the
-- Hessian on the manifold against Lemma O.1 and the Monte Carlo test loss are in
-- tests/c/test_landscapes.c.)
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local function dot(a, b)
  local s = 0
  for i = 1, #a do s = s + a[i] * b[i] end
  return s
end

-- linreg_bn ------------------------------------------------------------------------------------
local L = mf.landscape.linreg_bn {}
H.check(L.dim == 40 and L.codim == 18 and L.name == "linreg_bn", "linreg_bn defaults: d = 40, n = 20")
H.check(#L.X == 20 and #L.X[1] == 40 and #L.y == 20 and #L.w_gt == 40, "linreg_bn data shapes")
H.close(dot(L.w_gt, L.w_gt), 1, 1e-14, "w_GT on the unit sphere")
H.close(dot(L.x0, L.x0), 1, 1e-14, "start on the unit sphere")
do -- the BN model written out in Lua: mean and std (1/n) of w^T x_i, beta = mean y, gamma = std y
  local n, d, w = #L.X, L.dim, L.x0
  local s, m1, v1, my, vy = {}, 0, 0, 0, 0
  for i = 1, n do s[i] = dot(w, L.X[i]); m1 = m1 + s[i] / n; my = my + L.y[i] / n end
  for i = 1, n do v1 = v1 + (s[i] - m1) ^ 2 / n; vy = vy + (L.y[i] - my) ^ 2 / n end
  local f = 0
  for i = 1, n do f = f + (math.sqrt(vy) * (s[i] - m1) / math.sqrt(v1) + my - L.y[i]) ^ 2 / n end
  H.close(L:value(w), f, 1e-13, "linreg_bn value from its definition")
  -- test loss: E (wt^T x + bt - w_GT^T x - b_GT)^2 with x ~ N(0, diag(k/d))
  local wt, bt = {}, my
  for k = 1, d do
    wt[k] = math.sqrt(vy) * w[k] / math.sqrt(v1)
    local mx = 0
    for i = 1, n do mx = mx + L.X[i][k] / n end
    bt = bt - wt[k] * mx
  end
  local tl = (bt - L.b_gt) ^ 2
  for k = 1, d do tl = tl + k / d * (wt[k] - L.w_gt[k]) ^ 2 end
  H.close(L:test_loss(w), tl, 1e-13, "linreg_bn test loss from its definition")
end
do -- scale invariance and the min-norm interpolant
  local w, w5 = L.x0, {}
  for k = 1, #w do w5[k] = 5 * w[k] end
  H.close(L:value(w5), L:value(w), 1e-14, "L(5w) = L(w)")
  local g, g5 = L:grad(w), L:grad(w5)
  H.close(g5[3] * 5, g[3], 1e-13, "grad(5w) = grad(w)/5")
  H.check(math.abs(dot(g, w)) <= 1e-14, "the gradient is orthogonal to w")
  H.check(L:value(L.w_minnorm) <= 1e-28, "the min-norm interpolant has zero loss")
  local fit = 0
  for i = 1, #L.y do fit = math.max(fit, math.abs(dot(L.w_minnorm, L.X[i]) + L.b_minnorm - L.y[i])) end
  H.check(fit <= 1e-13, "w* x_i + b* = y_i: " .. fit)
  -- hvp against the dense Hessian
  local Hs, v = L:hess(w), {}
  for k = 1, #w do v[k] = math.sin(k) end
  local hv, e = L:hvp(w, v), 0
  for a = 1, #w do e = math.max(e, math.abs(hv[a] - dot(Hs[a], v))) end
  H.check(e <= 1e-13, "linreg_bn hvp vs dense Hessian " .. e)
  H.close(L:trace_hessian(w), mf.analysis.trace(L, w), 1e-13, "trace")
  local trd = 0
  for a = 1, #w do trd = trd + Hs[a][a] end
  H.close(L:trace_hessian(w), trd, 1e-12, "trace vs the dense Hessian")
end
H.raises({ "mf.landscape.linreg_bn", "'n'", ">= 3" }, mf.landscape.linreg_bn, { n = 2 })
H.raises({ "mf.landscape.linreg_bn", "'dim'" }, mf.landscape.linreg_bn, { dim = 2 })
H.raises({ "mf.landscape.linreg_bn", "'d'" }, mf.landscape.linreg_bn, { d = 0 })

-- matrix_completion_bn -----------------------------------------------------------------------
local C = mf.landscape.matrix_completion_bn { d = 6, rank = 2, observed = 15, seed = 4 }
H.check(C.dim == 72 and C.codim == 14 and C.name == "matrix_completion_bn", "mc_bn dims")
H.check(#C.M == 6 and #C.observed == 15, "mc_bn data shapes")
do
  local fro = 0
  for i = 1, 6 do for j = 1, 6 do fro = fro + C.M[i][j] ^ 2 end end
  H.close(fro, 36, 1e-12, "|M|_F^2 = d^2 (second moment 1)")
  local seen, ok = {}, true
  for _, e in ipairs(C.observed) do
    local key = (e[1] - 1) * 6 + e[2]
    ok = ok and e[1] >= 1 and e[1] <= 6 and e[2] >= 1 and e[2] <= 6 and not seen[key]
    seen[key] = true
  end
  H.check(ok, "observed entries distinct and in range")
  -- value and test loss written out
  local z, d = C.x0, 6
  local function W(i, j)
    local s = 0
    for c = 1, d do s = s + z[(i - 1) * d + c] * z[d * d + (j - 1) * d + c] end
    return s
  end
  local s2, g2, N = 0, 0, #C.observed
  for _, e in ipairs(C.observed) do s2 = s2 + W(e[1], e[2]) ^ 2 / N; g2 = g2 + C.M[e[1]][e[2]] ^ 2 / N end
  local c, f, tl = math.sqrt(g2 / s2), 0, 0
  for _, e in ipairs(C.observed) do f = f + (c * W(e[1], e[2]) - C.M[e[1]][e[2]]) ^ 2 / N end
  for i = 1, d do for j = 1, d do tl = tl + (c * W(i, j) - C.M[i][j]) ^ 2 / (d * d) end end
  H.close(C:value(z), f, 1e-13, "mc_bn value from its definition")
  H.close(C:test_loss(z), tl, 1e-13, "mc_bn test loss from its definition")
  local z3 = {}
  for k = 1, #z do z3[k] = 0.25 * z[k] end
  H.close(C:value(z3), C:value(z), 1e-14, "mc_bn L(z/4) = L(z)")
  H.close(C:test_loss(z3), C:test_loss(z), 1e-14, "mc_bn test loss is scale-invariant too")
end
do -- start: N(0, init_scale^2) entries
  local D = mf.landscape.matrix_completion_bn { init_scale = 0.5 }
  local s = 0
  for k = 1, D.dim do s = s + D.x0[k] ^ 2 end
  H.check(math.abs(s / D.dim - 0.25) <= 4 * 0.25 * math.sqrt(2 / D.dim), "init_scale sets the start's variance")
  H.check(D.dim == 5000 and D.codim == 799, "mc_bn defaults: d = 50, observed = 800")
end
H.raises({ "mf.landscape.matrix_completion_bn", "'observed'" }, mf.landscape.matrix_completion_bn, { d = 3, observed = 10 })
H.raises({ "mf.landscape.matrix_completion_bn", "'rank'" }, mf.landscape.matrix_completion_bn, { d = 3, rank = 4 })
H.raises({ "mf.landscape.matrix_completion_bn", "'init_scale'" }, mf.landscape.matrix_completion_bn, { init_scale = 0 })
H.raises({ "'d'" }, mf.landscape.matrix_completion_bn, { d = 1000 })

-- the same seed gives the same data in two processes ----------------------------------------
do
  local exe = arg[-1] or "mflab"
  local code = [[local L = mf.landscape.linreg_bn{seed = 7}; local C = mf.landscape.matrix_completion_bn{d = 8, observed = 20, seed = 7}; ]]
    .. [[io.write(string.format('%a %a %a %a %d %d ', L.X[3][5], L.y[20], L.w_minnorm[40], C.M[2][7], C.observed[9][1], C.observed[9][2]))]]
  local function run()
    local p = assert(io.popen(("'%s' -e \"%s\""):format(exe, code)))
    local s = p:read("a")
    p:close()
    return s
  end
  local a, b = run(), run()
  H.check(#a > 20 and a == b, "linreg_bn and matrix_completion_bn: the same data in two processes: " .. a)
end

H.finish()
