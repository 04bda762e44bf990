-- Regression tests of issue 15's memory-safety classes: each case crashed, corrupted memory
-- or returned a wrong number before its fix (under ASan most were reports). They must now
-- give the right number or a Lua error naming the function.
local H = dofile(arg[0]:match("^(.*)/[^/]*$") .. "/harness.lua")

local L = mf.landscape.valley{ h = { 1, 0, 1 } }
local sgd = mf.opt.sgd{ lr = 0.01 }

-- 1. luaL_Buffer misuse: the error listing hundreds of recorded names, and tostring(r).
do
  local names = { "loss" }
  for i = 1, 400 do names[#names + 1] = "x" .. (i % 2 + 1) end
  local r = mf.run{ landscape = L, optimizer = sgd, x0 = { 1, 1 }, steps = 10, record = names }
  local _, err = H.raises({ "result:mean: 'los' was not recorded (recorded: loss, x2, x1, x2" },
                          r.mean, r, "los")
  local listed = tostring(err):match("%(recorded: (.*)%)")
  H.check(listed == table.concat(names, ", "), "the error lists every recorded name, in order")
  local s = tostring(r)
  H.check(s:find("recorded loss, x2, x1", 1, true) ~= nil, "tostring: the names")
  H.check(s:find("\n  mflab", 1, true) ~= nil, "tostring keeps its description line: " .. s:sub(-120))
  H.check(select(2, s:gsub(", x", "")) == 400, "tostring lists all 401 names")
end

-- 2. r.names is a copy: editing it (or the record option table) changes nothing.
do
  local rec = { "x1", "x2", "loss" }
  local r = mf.run{ landscape = L, optimizer = sgd, x0 = { 1, 1 }, steps = 10, record = rec }
  local x1, loss = r:mean("x1")[2], r:mean("loss")[2]
  table.insert(r.names, 1, "t")
  r.names[2] = 42
  rec[1], rec[2] = "loss", nil
  H.check(r:mean("x1")[2] == x1 and r:mean("loss")[2] == loss, "r.names edits do not reach r")
  H.close(x1, 1 - 0.01 * 2 * 1 * 1, 1e-15, "x1 after one step: x - lr h'(x) y^2")
  H.check(#r.names == 3 and r.names[1] == "x1", "r.names is still x1, x2, loss")
  H.check(r.names ~= r.names, "each r.names is a fresh table")
end

-- 3. Sizes that overflowed, and __len metamethods returning -1 or 2^61.
do
  local function len(n) return setmetatable({}, { __len = function() return n end }) end
  H.raises({ "mf.vec: length 2305843009213693952 out of range" }, mf.vec, 1 << 61)
  H.raises({ "mf.vec: the length must be an integer >= 0, got -1" }, mf.vec, -1)
  H.raises({ "mf.vec: the table has length -1" }, mf.vec, len(-1))
  H.raises({ "mf.vec: the table has length 2305843009213693952" }, mf.vec, len(1 << 61))
  H.raises({ "landscape:value: z has -1 entries" }, L.value, L, len(-1))
  H.raises({ "landscape:grad: z has 2305843009213693952 entries" }, L.grad, L, len(1 << 61))
  -- options are plain data: the schema refuses a proxy before any __len is trusted
  H.raises({ "mf.run: option 'x0' must be a plain table of numbers (no metatable) or a vector" }, mf.run,
           { landscape = L, optimizer = sgd, x0 = len(-1), steps = 1 })
  H.raises({ "mf.landscape.uv:", "m = 4611686018427387904" }, mf.landscape.uv,
           { m = 1 << 62, n = 2, P = 2, d = 2 })
  H.raises({ "mf.landscape.matrix_factorization:", "m = 4611686018427387904" },
           mf.landscape.matrix_factorization, { m = 1 << 62, n = 5, p = 4 })
  H.raises({ "mf.landscape.matrix_factorization:" }, mf.landscape.matrix_factorization,
           { m = 50000, n = 50000, p = 1 })
  local fl = mf.manifold.flow{ landscape = L, optimizer = mf.opt.sgd{ lr = 0.1 },
                               noise = mf.noise.hessian{ sigma = 0.1 } }
  H.raises({ "flow:integrate: this integration would need", "GB" }, fl.integrate, fl,
           { x0 = { 1, 0 }, steps = 10, seeds = 1 << 62, method = "em" })
  local calls = 0
  H.raises({ "mf.run: tabulating the function-valued lr would need" }, mf.run,
           { landscape = L, optimizer = mf.opt.sgd{ lr = function() calls = calls + 1; return 0.1 end },
             x0 = { 1, 1 }, steps = 1 << 61 })
  H.check(calls == 1, "the lr function is not called 2^61 times (only its step-1 check ran)")
  H.raises({ "mf.run: recording would need", "GB (limit", "fewer seeds" }, mf.run,
           { landscape = L, optimizer = sgd, x0 = { 1, 1 }, steps = 1 << 40, seeds = 1 << 40 })
end

-- 4. Reentrant callbacks: B's f evaluates A's gradient (finite differences of A's f, in the
-- engine's scratch) while B's own finite differences are in flight.
do
  local A = mf.landscape.custom{ dim = 2, f = function(z) return z[1] ^ 2 + 3 * z[2] ^ 2 end }
  local B = mf.landscape.custom{ dim = 2, f = function(z)
    local g = A:grad(z)
    return z[1] ^ 2 + z[2] ^ 2 + 0 * g[1] + 0 * A:hess(z)[1][1]
  end }
  local g = B:grad{ 1, 2 }
  -- central differences with step 6.06e-6 max(1, |z|): error O(step^2 f''') = 0 plus rounding
  H.close(g[1], 2, 1e-9, "B:grad[1] = 2 z1 while A is evaluated inside")
  H.close(g[2], 4, 1e-9, "B:grad[2] = 2 z2 while A is evaluated inside")
  local h = B:hess{ 1, 2 }
  H.close(h[1][1], 2, 1e-5, "B:hess[1][1] = 2")
  H.close(h[2][2], 2, 1e-5, "B:hess[2][2] = 2")
  H.check(math.abs(h[1][2]) < 1e-5, "B:hess[1][2] = 0")
  -- a landscape calling itself, deeper than the engine's nesting limit: an error, no crash
  local C
  C = mf.landscape.custom{ dim = 1, f = function(z) return C:value(z) end }
  local ok, err = pcall(C.value, C, { 1 })
  H.check(not ok and tostring(err):find("mf.landscape.custom: option 'f'", 1, true) ~= nil,
          "unbounded recursion is an error naming the option: " .. tostring(err):sub(1, 200))
end

-- 5. Lua errors inside engine callbacks (a __len or __index of the table a callback returns)
-- are caught in the callback; the landscape keeps working afterwards.
do
  local bad = "len"
  local C = mf.landscape.custom{ dim = 2, f = function(z) return z[1] ^ 2 + z[2] ^ 2 end,
    grad = function(z)
      if bad == "len" then return setmetatable({}, { __len = function() error("boom len") end }) end
      if bad == "index" then
        return setmetatable({}, { __len = function() return 2 end,
                                  __index = function() error("boom index") end })
      end
      return { 2 * z[1], 2 * z[2] }
    end }
  H.raises({ "mf.landscape.custom: option 'grad' returned a value whose reading raised an error",
             "boom len" }, C.grad, C, { 1, 2 })
  bad = "index"
  H.raises({ "option 'grad' returned a value whose reading raised an error", "boom index" },
           C.grad, C, { 1, 2 })
  H.raises({ "option 'grad'", "boom index" }, mf.run,
           { landscape = C, optimizer = sgd, x0 = { 1, 2 }, steps = 3 })
  bad = nil
  local g = C:grad{ 1, 2 }
  H.check(g[1] == 2 and g[2] == 4, "the landscape works after the failures")
  local r = mf.run{ landscape = C, optimizer = sgd, x0 = { 1, 2 }, steps = 1, record = { "x1" } }
  H.close(r:mean("x1")[2], 1 - 0.01 * 2, 1e-15, "and runs")
  local V = mf.landscape.valley{ h = function(x)
    return setmetatable({}, { __add = function() error("x") end }), 0, 0
  end }
  H.raises({ "mf.landscape.valley: option 'h' must return three numbers" }, V.value, V, { 1, 1 })
end

-- a polynomial h must stay positive, as a Lua-function h is checked where evaluated: constant,
-- odd degree or negative leading coefficient, and a dip below 0 between (the minimum of
-- 1 - 3x^2 + x^4 is -1.25 at x^2 = 3/2) are refused; 1 - 1.9x^2 + x^4 (minimum 0.0975) is not
do
  H.raises({ "mf.landscape.valley: option 'h' must stay positive", "h(0) = -1" }, mf.landscape.valley, { h = { -1 } })
  H.raises({ "option 'h' must stay positive", "for large |x|" }, mf.landscape.valley, { h = { 1, 1 } })
  H.raises({ "option 'h' must stay positive", "for large |x|" }, mf.landscape.valley, { h = { 1, 0, -1 } })
  local _, e = H.raises({ "option 'h' must stay positive", "= -1.25" }, mf.landscape.valley, { h = { 1, 0, -3, 0, 1 } })
  H.check(tostring(e):find("h(-1.22474487139", 1, true) or tostring(e):find("h(1.22474487139", 1, true), "the dip located: " .. tostring(e))
  H.check(pcall(mf.landscape.valley, { h = { 1, 0, -1.9, 0, 1 } }), "1 - 1.9x^2 + x^4 > 0 accepted")
  H.raises({ "mf.landscape.rotated_valley: option 'h' must stay positive" }, mf.landscape.rotated_valley, { theta = 1, h = { -1 } })
end

-- Hessian noise and normal-space isotropic noise need a normal space: on a landscape of codim 0
-- a clear error instead of "non-finite value at step 1"
do
  local C = mf.landscape.custom { dim = 2, codim = 0, f = function(z) return z[1] ^ 2 + z[2] ^ 2 end }
  local o = { landscape = C, optimizer = mf.opt.sgd { lr = 0.1 }, x0 = { 1, 1 }, steps = 3, quiet = true }
  o.noise = mf.noise.hessian { sigma = 1 }
  H.raises({ "mf.run: Hessian noise", "codim 0", "space = 'full'" }, mf.run, o)
  o.noise = mf.noise.isotropic { sigma = 1 }
  H.raises({ "mf.run: isotropic noise in the normal space", "codim 0" }, mf.run, o)
  o.noise = mf.noise.isotropic { sigma = 1, space = "full" }
  H.check(pcall(mf.run, o), "full-space isotropic noise runs on codim 0")
end

H.finish()
