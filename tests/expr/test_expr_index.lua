-- Indexed variables and finite sums in mf.landscape.expr (issue 17): coordinate order of
-- vars = {"a", x = n}, sums against the written-out expression (the same bits) and against
-- closed forms, symbolic derivatives of random expressions with indexed variables and
-- (nested) sums against central differences, compiled against interpreted (the same bits),
-- and the error messages (out-of-range indices name the column).
local H = dofile((arg[0]:match("(.*)/") or ".") .. "/../lua/harness.lua")

-- ---- coordinates: the names in order, then the x = n entries sorted by name ----------------
local C = mf.landscape.expr { vars = { "b", "a", x = 3, w = 2 }, f = "b + 2*a + 3*w[1] + 4*w[2] + 5*x[1] + 6*x[2] + 7*x[3]" }
H.check(C.dim == 7, "dimension 2 + 2 + 3")
local g = C:grad { 0, 0, 0, 0, 0, 0, 0 }
H.check(table.concat(g, ",") == "1.0,2.0,3.0,4.0,5.0,6.0,7.0", "order b, a, w[1], w[2], x[1..3]: " .. table.concat(g, ","))
local C2 = mf.landscape.expr { vars = { "x[2]", "a", "w[2]" }, f = "x[1] + 2*x[2] + 3*a + 4*w[1] + 5*w[2]" }
H.check(table.concat(C2:grad { 0, 0, 0, 0, 0 }, ",") == "1.0,2.0,3.0,4.0,5.0", "\"x[n]\" among the names keeps its place")

-- ---- a sum is the written-out expression: the same graph, the same bits ---------------------
math.randomseed(42)
local n = 6
local S = mf.landscape.expr { vars = { x = n }, f = "sum(i, 1, #x - 1, (x[i]*x[i+1] - 1)^2)" }
local terms = {}
for i = 1, n - 1 do terms[#terms + 1] = ("(x[%d]*x[%d] - 1)^2"):format(i, i + 1) end
local W = mf.landscape.expr { vars = { x = n }, f = table.concat(terms, " + ") }
H.check(S:expr_info().nodes == W:expr_info().nodes, "sum and written-out: one graph size")
local same, worst = true, 0
for _ = 1, 20 do
  local z = {}
  for k = 1, n do z[k] = math.random() * 4 - 2 end
  local gs, gw, hs, hw = S:grad(z), W:grad(z), S:hess(z), W:hess(z)
  same = same and S:value(z) == W:value(z)
  for k = 1, n do
    same = same and gs[k] == gw[k]
    for l = 1, n do same = same and hs[k][l] == hw[k][l] end
    -- closed form: d/dx_k sum (x_i x_{i+1} - 1)^2
    local gk = 0
    if k > 1 then gk = gk + 2 * (z[k - 1] * z[k] - 1) * z[k - 1] end
    if k < n then gk = gk + 2 * (z[k] * z[k + 1] - 1) * z[k + 1] end
    worst = math.max(worst, math.abs(gs[k] - gk) / math.max(1, math.abs(gk)))
    -- Hessian: diagonal 2 x_{k-1}^2 + 2 x_{k+1}^2, off-diagonal 2 (2 x_k x_{k+1} - 1)
    local hkk = (k > 1 and 2 * z[k - 1] ^ 2 or 0) + (k < n and 2 * z[k + 1] ^ 2 or 0)
    worst = math.max(worst, math.abs(hs[k][k] - hkk) / math.max(1, hkk))
    if k < n then
      local hkl = 2 * (2 * z[k] * z[k + 1] - 1)
      worst = math.max(worst, math.abs(hs[k][k + 1] - hkl) / math.max(1, math.abs(hkl)))
    end
    for l = k + 2, n do same = same and hs[k][l] == 0 end
  end
end
H.check(same, "sum(i, 1, #x - 1, ...) and the written-out sum: the same bits (value, gradient, Hessian)")
H.check(worst < 1e-14, ("chain model: gradient and Hessian vs closed form, worst %.2e"):format(worst))

-- index arithmetic, an index as a number, nested and empty sums, #x
local T = mf.landscape.expr { vars = { "a", x = 5 },
  f = "sum(i, 1, 5, i * x[i]) + sum(i, 1, 2, sum(j, i, 2, x[i]*x[j])) + sum(i, 3, 2, x[i + 40]) + x[(7*2) % 5 + 1] + #x * a + x[-(-2)]" }
local tz = { 0.5, 1, 2, 3, 4, 5 }
-- 1 + 4 + 9 + 16 + 25 = 55; x1 x1 + x1 x2 + x2 x2 = 1 + 2 + 4 = 7; empty 0; x[5] = 5; 5 * 0.5; x[2] = 2
H.check(T:value(tz) == 55 + 7 + 0 + 5 + 2.5 + 2, "index arithmetic, nested and empty sums, #x: " .. T:value(tz))

-- ---- random expressions with indexed variables and sums: derivatives vs differences ---------
-- x[1..6], a scalar y, a parameter p; sums over i = 1..5 (x[i], x[i+1], x[7-i], x[(2i)%6+1],
-- i as a number) with sums over j = 1..i inside (x[j], x[i-j+1])
math.randomseed(20261205)
local function pick(t) return t[math.random(#t)] end
local function leaf(ctx)
  local r = math.random()
  if ctx.j and r < 0.35 then return pick { "x[j]", "x[i-j+1]", "(0.3*j)", "x[(i*j)%6+1]" } end
  if ctx.i and r < 0.7 then return pick { "x[i]", "x[i+1]", "x[7-i]", "x[(2*i)%6+1]", "(0.2*i)" } end
  if r < 0.85 then return pick { "y", "p", "x[" .. math.random(6) .. "]" } end
  return pick { "0.5", "1.5", "2" }
end
local function gen(depth, ctx)
  if depth == 0 or math.random() < 0.2 then return leaf(ctx) end
  local k = math.random(16)
  local A = gen(depth - 1, ctx)
  if k == 1 then return "(" .. A .. " + " .. gen(depth - 1, ctx) .. ")"
  elseif k == 2 then return "(" .. A .. " - " .. gen(depth - 1, ctx) .. ")"
  elseif k == 3 or k == 4 then return "(" .. A .. " * " .. gen(depth - 1, ctx) .. ")"
  elseif k == 5 then return "(" .. A .. " / (1.5 + " .. gen(depth - 1, ctx) .. "^2))"
  elseif k == 6 then return "(" .. A .. ")^" .. pick { "2", "3" }
  elseif k == 7 then return "sin(" .. A .. ")"
  elseif k == 8 then return "tanh(" .. A .. ")"
  elseif k == 9 then return "log(1 + (" .. A .. ")^2)"
  elseif k == 10 then return "exp(0.3 * tanh(" .. A .. "))"
  elseif k == 11 then return "sqrt(2 + (" .. A .. ")^2)"
  elseif ctx.j then return "cos(" .. A .. ")"
  elseif ctx.i then return "sum(j, 1, i, " .. gen(depth - 1, { i = true, j = true }) .. ")"
  else return "sum(i, 1, 5, " .. gen(depth - 1, { i = true }) .. ")" end
end

local NEXPR, worst_g, worst_h, nsums, bits = 50, 0, 0, 0, true
local d = 7
for e = 1, NEXPR do
  local src
  repeat src = gen(4, {}) until src:find("sum", 1, true) -- every one has a sum
  nsums = nsums + select(2, src:gsub("sum%(", ""))
  local L = mf.landscape.expr { vars = { "y", x = 6 }, params = { p = 0.7 }, f = src }
  local I = mf.landscape.expr { vars = { "y", x = 6 }, params = { p = 0.7 }, f = src, compile = false }
  for _ = 1, 3 do
    local z = {}
    for k = 1, d do z[k] = math.random() * 2 - 1 end
    local f0, g0, H0 = L:value(z), L:grad(z), L:hess(z)
    -- compiled (single points) and interpreted: the same bits
    local fi, gi, Hi = I:value(z), I:grad(z), I:hess(z)
    bits = bits and f0 == fi
    for k = 1, d do
      bits = bits and g0[k] == gi[k]
      for l = 1, d do bits = bits and H0[k][l] == Hi[k][l] end
    end
    for k = 1, d do
      local h = 1e-5
      local zp, zm = { table.unpack(z) }, { table.unpack(z) }
      zp[k], zm[k] = z[k] + h, z[k] - h
      local fd = (L:value(zp) - L:value(zm)) / (2 * h)
      worst_g = math.max(worst_g, math.abs(fd - g0[k]) / math.max(1, math.abs(f0), math.abs(g0[k])))
      local gp, gm = L:grad(zp), L:grad(zm)
      for l = 1, d do
        local fdh = (gp[l] - gm[l]) / (2 * h)
        worst_h = math.max(worst_h, math.abs(fdh - H0[k][l]) / math.max(1, math.abs(H0[k][l]), math.abs(g0[l])))
        H.check(H0[k][l] == H0[l][k], "Hessian symmetric")
      end
    end
  end
end
H.check(worst_g < 1e-7, ("%d random indexed expressions (%d sums): gradient vs central differences, worst %.2e"):format(NEXPR, nsums, worst_g))
H.check(worst_h < 1e-7, ("%d random indexed expressions: Hessian vs central differences, worst %.2e"):format(NEXPR, worst_h))
H.check(bits, "random indexed expressions: compiled and interpreted give the same bits (value, gradient, Hessian)")
print(("random indexed expressions: %d sums, gradient %.2e, Hessian %.2e worst relative error vs differences"):format(nsums, worst_g, worst_h))

-- a 100-coordinate model: builds (parse, gradient, Hessian, compile) and runs
local t0 = os.clock()
local B = mf.landscape.expr { vars = { x = 100 }, f = "sum(i, 1, #x - 1, (x[i]*x[i+1] - 1)^2) + 0.01*sum(i, 1, #x, x[i]^2)" }
local info = B:expr_info()
print(("100 coordinates: %d nodes, built in %.3f s cpu, compiling %.3f s, compiled %s"):format(info.nodes, os.clock() - t0, info.compile_seconds, tostring(info.compiled)))
local x0 = {}
for k = 1, 100 do x0[k] = 1.1 end
local r = mf.run { landscape = B, optimizer = mf.opt.sgd { lr = 0.01 }, x0 = x0, steps = 200, every = 200, seeds = 2, record = { "loss" } }
H.check(r:mean("loss")[2] < r:mean("loss")[1], "a run on the 100-coordinate model lowers the loss")

-- a sum of 100 000 terms is a chain 100 000 nodes deep: derivatives without recursion on the C
-- stack, and a program too large to compile (its stack frame) runs interpreted
local D = mf.landscape.expr { vars = { x = 5 }, f = "sum(i, 1, 100000, x[i % 5 + 1] * i)" }
H.check(D:value { 1, 1, 1, 1, 1 } == 100000 * 100001 / 2, "sum of 100 000 terms: value")
-- d/dx[1] = sum of the i with i % 5 = 0: 5 (1 + ... + 20000)
H.check(D:grad { 1, 1, 1, 1, 1 }[1] == 5 * 20000 * 20001 / 2, "sum of 100 000 terms: gradient")
H.check(D:expr_info().compiled == false, "a program of > 32768 instructions is not compiled")

-- indexed variables in manifold and project expressions: the valley as x[1], x[2] runs the
-- built-in valley's bits with Hessian noise
local IV = mf.landscape.expr { vars = { x = 2 }, f = "(1 + x[1]^2) * x[2]^2", manifold = { "x[2]" }, project = { "x[1]", "0" } }
local function hrun(L)
  return mf.run { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 }, noise = mf.noise.hessian { sigma = 1 },
                  x0 = { 2, 0.5 }, steps = 500, every = 500, seeds = 16, record = { "x1", "x2" } }
end
local ra, rb = hrun(IV), hrun(mf.landscape.valley {})
H.check(ra:mean("x1")[2] == rb:mean("x1")[2] and ra:mean("x2")[2] == rb:mean("x2")[2],
  "indexed valley with manifold/project: Hessian-noise ensemble the same bits as the built-in")

-- ---- errors --------------------------------------------------------------------------------
local function make(f, vars)
  return mf.landscape.expr { vars = vars or { "a", x = 5 }, params = { t = 1 }, f = f }
end
H.raises({ "option 'f'", "index 6 of 'x' out of range 1..5 at column 3" }, make, "x[6]")
H.raises({ "index 6 of 'x' out of range 1..5 at column 16", "(i = 5)" }, make, "sum(i, 1, 5, x[i+1])")
H.raises({ "index 0 of 'x' out of range 1..5 at column 29", "(i = 1, j = 1)" }, make, "sum(i, 1, 2, sum(j, 1, 2, x[i - j]))")
H.raises({ "indexed variable 'x' needs an index", "x[1..5]", "column 5" }, make, "a + x")
H.raises({ "'/' in an index", "column 4" }, make, "x[4/2]")
H.raises({ "found a real number", "column 3" }, make, "x[1.5]")
H.raises({ "parameter 't' in an index or sum bound", "column 11" }, make, "sum(i, 1, t, x[i])")
H.raises({ "variable 'a' in an index or sum bound", "column 3" }, make, "x[a]")
H.raises({ "'k' is not a sum index", "column 3" }, make, "x[k]")
H.raises({ "indexed variable 'x' in an index or sum bound", "column 3" }, make, "x[x[1]]")
H.raises({ "variable 'a' has no index", "column 1" }, make, "a[1]")
H.raises({ "unknown identifier 'q' at column 1", "variables: a, x[1..5]", "parameters: t" }, make, "q[1]")
H.raises({ "unknown identifier 'w' at column 14", "sum indices: i" }, make, "sum(i, 1, 2, w)")
H.raises({ "sum: index 'x' is already an indexed variable", "column 5" }, make, "sum(x, 1, 2, 1)")
H.raises({ "sum: index 'a' is already a variable" }, make, "sum(a, 1, 2, 1)")
H.raises({ "sum: index 'i' is already an enclosing sum's index", "column 18" }, make, "sum(i, 1, 2, sum(i, 1, 2, x[i]))")
H.raises({ "sum: the first argument must be the index's name", "column 5" }, make, "sum(1, 1, 2, x[1])")
H.raises({ "expected ',' but found ')'", "column 12" }, make, "sum(i, 1, 2)")
H.raises({ "'%' needs a positive divisor", "column 4" }, make, "x[3%0]")
H.raises({ "'#q': 'q' is not an indexed variable", "column 2" }, make, "#q")
H.raises({ "sums expand to more than 1000000 terms" }, make, "sum(i, 1, 2000, sum(j, 1, 1000, a))")
H.raises({ "option 'vars'", "'x y' is not a name" }, mf.landscape.expr, { vars = { "x y" }, f = "1" })
H.raises({ "option 'vars'", "'x' given twice" }, mf.landscape.expr, { vars = { "x", x = 2 }, f = "1" })
H.raises({ "option 'vars'", "count a positive integer" }, mf.landscape.expr, { vars = { x = 0 }, f = "1" })
H.raises({ "option 'vars'", "indexed variable 'x' needs a count >= 1, got 0" }, mf.landscape.expr, { vars = { "x[0]" }, f = "1" })
H.raises({ "option 'vars'", "at most 1000 coordinates" }, mf.landscape.expr, { vars = { x = 1001 }, f = "1" })
H.raises({ "option 'x0' needs 5 numbers" }, mf.landscape.expr, { vars = { x = 5 }, f = "x[1]", x0 = { 1, 2 } })
-- the issue's bad-input items: unknown identifiers list variables and parameters, wrong arity,
-- a parameter missing a value
H.raises({ "unknown identifier 'z' at column 7", "variables: a, x[1..5]", "parameters: t" }, make, "a + t*z")
H.raises({ "function 'max' takes 2 arguments, got 1", "column 1" }, make, "max(x[1])")
H.raises({ "function 'exp' takes 1 argument, got 0", "column 3" }, make, "1+exp()")
H.raises({ "option 'params'", "parameter 't' has no value", "params = {t = <number>}" }, mf.landscape.expr,
  { vars = { "x" }, params = { "t" }, f = "t*x" })

H.finish()
