-- valley{h = "..."} and rotated_valley{h = "..."} (issue 17): h an expression in x, its
-- derivatives symbolic, inside the built-in valley. Where the expression does the polynomial's
-- operations (h = 1 + x^2: x*x + 1, h' = 2*x, h'' = 2) the landscape and its runs are the same
-- bits as valley{h = {1, 0, 1}}; a quartic h agrees to 1e-14 (value, gradient, Hessian) and its
-- runs to 1e-12 over 1000 steps; the manifold flows' drift (h''' symbolic) agrees with the
-- polynomial's exact h'''; errors name the option and the column.
local H = dofile((arg[0]:match("(.*)/") or ".") .. "/../lua/harness.lua")
math.randomseed(7)

local function rel(a, b) return math.abs(a - b) / math.max(1, math.abs(b)) end

-- compares value, gradient, Hessian, hvp, trace and P at n random points: the worst difference
-- relative to the size of the quantity (the largest entry of a vector or matrix, at least 1),
-- and whether every number is the same bits
local function compare(A, B, n, span)
  local worst, same = 0, true
  local function cmp(a, b, scale)
    worst = math.max(worst, math.abs(a - b) / math.max(1, scale or math.abs(b)))
    same = same and a == b
  end
  local function size(t)
    local m = 0
    for _, x in ipairs(t) do m = math.max(m, type(x) == "table" and size(x) or math.abs(x)) end
    return m
  end
  for _ = 1, n do
    local z = { math.random() * 2 * span - span, math.random() * 4 - 2 }
    local v = { math.random() - 0.5, math.random() - 0.5 }
    cmp(A:value(z), B:value(z))
    cmp(A:trace_hessian(z), B:trace_hessian(z))
    local ga, gb, ha, hb = A:grad(z), B:grad(z), A:hess(z), B:hess(z)
    local pa, pb, va, vb = A:project(z), B:project(z), A:hvp(z, v), B:hvp(z, v)
    for k = 1, 2 do
      cmp(ga[k], gb[k], size(gb))
      cmp(pa[k], pb[k], size(pb))
      cmp(va[k], vb[k], size(vb))
      for l = 1, 2 do cmp(ha[k][l], hb[k][l], size(hb)) end
    end
  end
  return worst, same
end

local function run(L, noise, steps, extra)
  local o = { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, noise = noise, steps = steps,
              every = steps, seeds = 32, record = { "x1", "x2", "loss" } }
  for k, v in pairs(extra or {}) do o[k] = v end
  return mf.run(o)
end
local function runs_agree(A, B, noise, steps, tol, extra)
  local a, b = run(A, noise, steps), run(B, noise, steps, extra)
  local w = 0
  for _, name in ipairs { "x1", "x2", "loss" } do
    local same = true
    for t = 1, #a:mean(name) do -- every trajectory at every record
      local ta, tb = a:at(name, t), b:at(name, t)
      for s = 1, #ta do
        w = math.max(w, rel(ta[s], tb[s]))
        same = same and ta[s] == tb[s]
      end
    end
    if tol == 0 then H.check(same, name .. ": every trajectory the same bits") end
  end
  return w
end

-- ---- h = 1 + x^2: the polynomial valley's operations ------------------------------------------
local V = mf.landscape.valley { h = { 1, 0, 1 } }
local E = mf.landscape.valley { h = "1 + x^2" }
H.check(E.name == "valley" and E.dim == 2 and E.codim == 1 and E.x0[1] == 5, "name, dim, codim, x0 of the valley")
H.check(not E.serial, "an expression h runs multi-threaded")
H.check(tostring(E):find("h an expression", 1, true), "tostring: " .. tostring(E))
local w, same = compare(E, V, 200, 6)
H.check(same, ("valley h = \"1 + x^2\" vs {1, 0, 1}: value, gradient, Hessian, hvp, trace, P the same bits (worst %.1e)"):format(w))
for _, nz in ipairs { mf.noise.hessian { sigma = 1 }, mf.noise.isotropic { sigma = 1 } } do
  runs_agree(E, V, nz, 1000, 0, { threads = 2, block = 8 })
end

-- ---- a quartic h: other operations, 1e-14 -----------------------------------------------------
local V4 = mf.landscape.valley { h = { 1, 0, 1, 0, 0.1 } }
local E4 = mf.landscape.valley { h = "1 + x^2 + 0.1*x^4" }
w = compare(E4, V4, 200, 6)
print(("quartic valley, expression vs polynomial: worst relative difference %.2e"):format(w))
H.check(w <= 1e-14, ("valley h = \"1 + x^2 + 0.1*x^4\" vs {1, 0, 1, 0, 0.1}: worst %.2e"):format(w))
-- written as the polynomial's Horner scheme, h itself is the same bits
local EH = mf.landscape.valley { h = "(((0.1*x)*x + 1)*x)*x + 1" }
local hsame = true
for _ = 1, 100 do
  local z = { math.random() * 12 - 6, 1 }
  hsame = hsame and EH:value(z) == V4:value(z)
end
H.check(hsame, "h in Horner form: the polynomial's value bits")
w = runs_agree(E4, V4, mf.noise.hessian { sigma = 1 }, 1000, 1e-12)
print(("quartic valley, Hessian noise, 1000 steps, 32 trajectories: worst relative difference %.2e"):format(w))
H.check(w <= 1e-12, ("quartic h, Hessian noise, 1000 steps: every trajectory within %.2e"):format(w))

-- ---- the manifold flows' drift uses h''' (symbolic here, exact for the polynomial) -----------
local nz = mf.noise.hessian { sigma = 1.5 }
local fe = mf.manifold.flow { landscape = E4, optimizer = mf.opt.sgd { lr = 0.01 }, noise = nz }
local fv = mf.manifold.flow { landscape = V4, optimizer = mf.opt.sgd { lr = 0.01 }, noise = nz }
for _, x in ipairs { 0.5, 1.7, 3 } do
  local de, dv = fe:drift { x, 0 }, fv:drift { x, 0 }
  H.close(de[1], dv[1], 1e-13, "SGD flow drift on the quartic valley at x = " .. x)
end

-- ---- the rotated valley ----------------------------------------------------------------------
local th = 0.3
local RV = mf.landscape.rotated_valley { theta = th }
local RE = mf.landscape.rotated_valley { theta = th, h = "1 + x^2" }
H.check(RE.name == "rotated_valley" and math.abs(RE.x0[1] - 5 * math.cos(th)) < 1e-15, "rotated: name and start")
w, same = compare(RE, RV, 200, 6)
H.check(same, ("rotated valley h = \"1 + x^2\" vs the default: the same bits (worst %.1e)"):format(w))
runs_agree(RE, RV, mf.noise.hessian { sigma = 1 }, 1000, 0)
local RV4 = mf.landscape.rotated_valley { theta = th, h = { 1, 0, 1, 0, 0.1 } }
local RE4 = mf.landscape.rotated_valley { theta = th, h = "1 + x^2 + 0.1*x^4" }
w = compare(RE4, RV4, 200, 6)
print(("rotated quartic valley, expression vs polynomial: worst relative difference %.2e"):format(w))
H.check(w <= 1e-14, ("rotated quartic: worst %.2e"):format(w))
-- Adam's flow is derived for the rotated valley: it accepts the expression one
local adam = mf.opt.adam { lr = 0.001 }
local ae = mf.manifold.flow { landscape = RE4, optimizer = adam, noise = nz }
local av = mf.manifold.flow { landscape = RV4, optimizer = adam, noise = nz }
local pe, pv = RE4:project { 2, 0 }, RV4:project { 2, 0 }
local de, dv = ae:drift(pe), av:drift(pv)
for k = 1, #dv do H.close(de[k], dv[k], 1e-12, "Adam flow drift on the rotated quartic, component " .. k) end

-- ---- errors and run-time domain ------------------------------------------------------------
H.raises({ "mf.landscape.valley: option 'h' must stay positive", "h(-1) = 0" }, mf.landscape.valley, { h = "x^2 - 1" })
H.raises({ "mf.landscape.rotated_valley: option 'h' must stay positive" }, mf.landscape.rotated_valley, { h = "x" })
H.raises({ "mf.landscape.valley: option 'h': unknown identifier 'y' at column 5", "variables: x; parameters: none" },
  mf.landscape.valley, { h = "1 + y" })
H.raises({ "mf.landscape.rotated_valley: option 'h'", "unexpected 'x' at column 7" }, mf.landscape.rotated_valley, { h = "1 + x x" })
H.raises({ "mf.landscape.valley: option 'h'", "an expression string" }, mf.landscape.valley, { h = true })
H.raises({ "give either option 'h' or options 'a'/'b'" }, mf.landscape.valley, { h = "1 + x^2", a = 2 })
-- h = 2 + sqrt(x) is defined for x >= 0 only: a run that starts at x < 0 ends in the run loop's
-- non-finite error
local SQ = mf.landscape.valley { h = "2 + sqrt(x)" }
H.raises({ "non-finite value at step 1", "in trajectory 1" }, mf.run,
  { landscape = SQ, optimizer = mf.opt.sgd { lr = 0.01 }, x0 = { -1, 0.5 }, steps = 10, seeds = 1, record = { "x1" } })

H.finish()
