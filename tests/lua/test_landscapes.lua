-- The landscape library through the Lua API: constructors and their option errors, the
-- methods every landscape has (hvp against the dense Hessian, projections on the manifold,
-- tangent frames), Lua-function landscapes (derivatives, errors naming the option and the
-- landscape, single-threaded runs), defaults for x0, and the same data in two processes.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local function dot(a, b)
  local s = 0
  for i = 1, #a do s = s + a[i] * b[i] end
  return s
end

-- worst |a - b| / max(1, max |b|)
local function relerr(a, b)
  local e, s = 0, 1
  for i = 1, #b do s = math.max(s, math.abs(b[i])) end
  for i = 1, #b do e = math.max(e, math.abs(a[i] - b[i])) end
  return e / s
end

-- gradient and Hessian against central differences, hvp against the dense Hessian,
-- projection on the manifold and idempotent, T and N orthonormal with H T = 0 on M
local function check_landscape(L, name, z, opts)
  opts = opts or {}
  local d = L.dim
  local g, Hs = L:grad(z), L:hess(z)
  local fd, fdH = {}, {}
  for k = 1, d do
    local e = 1e-5 * math.max(1, math.abs(z[k]))
    local zp, zm = { table.unpack(z) }, { table.unpack(z) }
    zp[k], zm[k] = z[k] + e, z[k] - e
    fd[k] = (L:value(zp) - L:value(zm)) / (2 * e)
    local gp, gm = L:grad(zp), L:grad(zm)
    for l = 1, d do
      fdH[(l - 1) * d + k] = (gp[l] - gm[l]) / (2 * e)
    end
  end
  local flat = {}
  for a = 1, d do for b = 1, d do flat[(a - 1) * d + b] = Hs[a][b] end end
  H.check(relerr(g, fd) <= 1e-6, name .. ": gradient vs differences " .. relerr(g, fd))
  H.check(relerr(flat, fdH) <= 1e-6, name .. ": Hessian vs differences " .. relerr(flat, fdH))
  local v = {}
  for k = 1, d do v[k] = math.sin(3 * k + 1) end
  local hv, want = L:hvp(z, v), {}
  for a = 1, d do want[a] = dot(Hs[a], v) end
  H.check(relerr(hv, want) <= 1e-12, name .. ": hvp vs the dense Hessian " .. relerr(hv, want))
  local tr = 0
  for a = 1, d do tr = tr + Hs[a][a] end
  H.close(L:trace_hessian(z), tr, 1e-12, name .. ": trace")
  if L.codim > 0 then
    local p = L:project(z)
    H.check(math.abs(L:value(p)) <= 1e-12, name .. ": loss at the projection " .. L:value(p))
    H.check(relerr(L:project(p), p) <= 1e-10, name .. ": projection idempotent")
    local T, N = L:tangent(z)
    H.check(#T == d - L.codim and #N == L.codim, name .. ": frame sizes")
    local basis = {}
    for _, t in ipairs(T) do basis[#basis + 1] = t end
    for _, n in ipairs(N) do basis[#basis + 1] = n end
    local worst = 0
    for a = 1, d do
      for b = 1, d do worst = math.max(worst, math.abs(dot(basis[a], basis[b]) - (a == b and 1 or 0))) end
    end
    H.check(worst <= 1e-12, name .. ": frame orthonormal " .. worst)
    local Hp, wHT = L:hess(p), 0
    for _, t in ipairs(T) do
      for a = 1, d do wHT = math.max(wHT, math.abs(dot(Hp[a], t))) end
    end
    H.check(wHT <= (opts.htol or 1e-10), name .. ": H T = 0 on the manifold " .. wHT)
  end
end

-- constructors ----------------------------------------------------------------------------
local V = mf.landscape.valley {}
H.check(V.x0[1] == 5 and V.x0[2] == 0, "valley starts at (5, 0)")
check_landscape(V, "valley", { 1.3, -0.4 })

local Vf = mf.landscape.valley { h = function(x) return 1 + x * x, 2 * x, 2 end }
H.check(Vf.serial and not V.serial, "a Lua h makes the landscape serial")
H.check(tostring(Vf):match("Lua function"), "prints: " .. tostring(Vf))
check_landscape(Vf, "valley{h = function}", { 1.3, -0.4 })
for _, z in ipairs { { 1.3, -0.4 }, { -2, 0.7 } } do
  H.check(Vf:value(z) == V:value(z), "Lua h: same value as the polynomial")
  local a, b = Vf:grad(z), V:grad(z)
  H.check(a[1] == b[1] and a[2] == b[2], "Lua h: same gradient as the polynomial")
end

local R = mf.landscape.rotated_valley { theta = 0.7 }
check_landscape(R, "rotated_valley", { 0.9, 1.6 })
do -- eq. (23) and the manifold coordinate
  local s, c, x, y = math.sin(0.7), math.cos(0.7), 0.9, 1.6
  H.close(R:value { x, y }, (x * s + y * c) ^ 2 * (1 + (x * c - y * s) ^ 2), 1e-14, "eq. (23)")
  local p = R:project { x, y }
  H.near(p[1] * s + p[2] * c, 0, 1e-15, "projection on the line x sin + y cos = 0")
  H.close(p[1] * c - p[2] * s, x * c - y * s, 1e-14, "projection keeps u = x cos - y sin")
  H.close(R.x0[1] * c - R.x0[2] * s, 5, 1e-14, "start u = 5")
end

local Q = mf.landscape.quadratic_manifold {
  k = 2, d = 4,
  A = function(x) return { { 1 + x[1] ^ 2, x[1] * x[2] }, { x[1] * x[2], 2 + x[2] ^ 2 } } end,
}
H.check(Q.codim == 2 and Q.x0 == nil, "quadratic manifold codim and no default start")
check_landscape(Q, "quadratic_manifold", { 0.5, -1.2, 0.3, 0.2 })
do -- f = y^T A(x) y, the y-gradient 2 A y exactly, the x-gradient y^T dA y
  local x1, x2, y1, y2 = 0.5, -1.2, 0.3, 0.2
  local f = (1 + x1 ^ 2) * y1 ^ 2 + 2 * x1 * x2 * y1 * y2 + (2 + x2 ^ 2) * y2 ^ 2
  H.close(Q:value { x1, x2, y1, y2 }, f, 1e-15, "quadratic manifold value")
  local g = Q:grad { x1, x2, y1, y2 }
  H.close(g[1], 2 * x1 * y1 ^ 2 + 2 * x2 * y1 * y2, 1e-9, "d/dx1")
  H.close(g[3], 2 * ((1 + x1 ^ 2) * y1 + x1 * x2 * y2), 1e-15, "d/dy1")
end

local S = mf.landscape.sphere3d { seed = 7 }
check_landscape(S, "sphere3d", { 0.4, -0.3, 1.1 })
do
  local w = { 0.4, -0.3, 1.1 }
  for _, c in ipairs { 0.01, 0.5, 3, 1000 } do
    H.close(S:value { c * w[1], c * w[2], c * w[3] }, S:value(w), 1e-14, "sphere3d L(cw) = L(w), c = " .. c)
  end
  local U = S.U
  local u0 = {} -- the start is (0.3, 1.3, 1.2) in the domain of F
  for r = 1, 3 do u0[r] = dot(U[r], S.x0) end
  H.close(u0[1], 0.3, 1e-14, "sphere3d start x")
  H.close(u0[2], 1.3, 1e-14, "sphere3d start y")
  H.close(u0[3], 1.2, 1e-14, "sphere3d start z")
  local I = mf.landscape.sphere3d { rotate = false }
  H.close(I:value { 1, 0, 5 }, 2 - 1, 1e-15, "F(1, 0, z) = 1")
  H.close(I:value { 1, 1, -3 }, 0, 1e-15, "F = 0 on x = y > 0")
end

local function cf(z) return (1 + z[1] ^ 2) * (z[2] ^ 2 + 2 * z[3] ^ 2) end
local function cg(z) return { 2 * z[1] * (z[2] ^ 2 + 2 * z[3] ^ 2), 2 * (1 + z[1] ^ 2) * z[2], 4 * (1 + z[1] ^ 2) * z[3] } end
local C1 = mf.landscape.custom { dim = 3, codim = 2, f = cf, grad = cg }
local C0 = mf.landscape.custom { dim = 3, codim = 2, f = cf }
check_landscape(C1, "custom{f, grad}", { 0.8, 0.3, -0.2 })
check_landscape(C0, "custom{f}", { 0.8, 0.3, -0.2 }, { htol = 1e-6 })
do
  local a, b = C0:grad { 0.8, 0.3, -0.2 }, cg { 0.8, 0.3, -0.2 }
  H.check(relerr(a, b) <= 1e-9, "custom gradient by differences " .. relerr(a, b))
  H.raises({ "landscape:project", "knows no manifold" }, function()
    return mf.landscape.custom { dim = 1, f = function(z) return z[1] ^ 2 end }:project { 1 }
  end)
end

do -- matrix factorization: the recipe, a user M, the trace on the manifold (doc/math.md §1)
  local F = mf.landscape.matrix_factorization { m = 3, n = 4, p = 2, seed = 3 }
  H.check(F.dim == 14 and F.codim == 10 and F.x0 == nil, "mf 3x4, p = 2: dim, codim, no start")
  local z = {}
  for k = 1, 14 do z[k] = math.cos(k) end
  check_landscape(F, "matrix_factorization", z)
  local p = F:project(z)
  local su, sv = 0, 0
  for k = 1, 6 do su = su + p[k] ^ 2 end
  for k = 7, 14 do sv = sv + p[k] ^ 2 end
  H.close(F:trace_hessian(p), 2 * (3 * sv + 4 * su), 1e-12, "mf: Tr H = 2(m|V|^2 + n|U|^2) on M")
  local S = mf.landscape.matrix_factorization {}
  H.check(S.dim == 50 and S.codim == 25 and S.x0[1] == S.M[1][1] and S.x0[26] == 1 and S.x0[27] == 0,
    "mf default 5x5, p = 5, start U0 = M, V0 = I")
  local G = mf.landscape.matrix_factorization { M = { { 1, 2 }, { 3, 4 } }, p = 2 }
  H.close(G:value { 1, 0, 0, 1, 1, 3, 2, 4 }, 0, 0, "user M: U = I, V = M^T is a minimum")
  H.raises({ "mf.landscape.matrix_factorization", "option 'M'" }, mf.landscape.matrix_factorization, { M = { { 1, 2 }, { 3 } } })
  H.raises({ "mf.landscape.matrix_factorization", "options 'm'/'n'" }, mf.landscape.matrix_factorization, { M = { { 1, 2 } }, m = 2 })
end

do -- the UV model: the vector model's trace on the manifold (F(123)), data from the seed
  local U = mf.landscape.uv { n = 4, P = 5, seed = 2 }
  H.check(U.dim == 8 and U.codim == 1 and U.nres == 5 and #U.x0 == 8, "vector UV shape")
  check_landscape(U, "uv linear", U.x0)
  local mu2 = 0
  for a = 1, 5 do mu2 = mu2 + U.X[a][1] ^ 2 / 5 end
  local p = U:project(U.x0)
  H.close(U:trace_hessian(p), mu2 / 4 * dot(p, p), 1e-10, "vector UV: Tr H = (mu2/n)(|u|^2 + |v|^2) on M")
  local T = mf.landscape.uv { n = 3, P = 4, act = "tanh", d = 2, m = 2, seed = 1 }
  local z = {}
  for k = 1, T.dim do z[k] = 0.5 * math.sin(k) end
  H.close(T:value(z), (function()
    local s = 0 -- 1/(2P) sum_a |n^(-1/2) U tanh(V x_a)|^2, by hand
    for a = 1, 4 do
      local x, h = T.X[a], {}
      for k = 1, 3 do h[k] = math.tanh(z[6 + (k - 1) * 2 + 1] * x[1] + z[6 + (k - 1) * 2 + 2] * x[2]) end
      for j = 1, 2 do
        local f = 0
        for k = 1, 3 do f = f + z[(j - 1) * 3 + k] * h[k] end
        s = s + (f / math.sqrt(3)) ^ 2
      end
    end
    return s / 8
  end)(), 1e-14, "uv tanh value by hand")
  H.raises({ "mf.landscape.uv", "option 'act'", "\"relu\"" }, mf.landscape.uv, { act = "sigmoid" })
end

do -- matrix sensing (flatter-faster A.2)
  local S = mf.landscape.matrix_sensing { d = 6, r = 2, P = 20, seed = 3 }
  H.check(S.dim == 72 and S.codim == 20 and S.nres == 20 and S.precision == "double", "matrix sensing sizes")
  H.check(S.x0[1] == 1 and S.x0[2] == 0 and S.x0[37] == 1 and S.x0[44] == 1, "start U = V = I")
  local z = {}
  for k = 1, S.dim do z[k] = 0.6 * math.sin(1.7 * k) end
  check_landscape(S, "matrix_sensing", z)
  -- the loss by hand: 1/(dP) sum_i (Tr(A_i U V) - y_i)^2 is zero at U = X*, V = I, and the test
  -- loss |U V - X*|^2 / d at the start is |I - X*|^2 / d
  local zs = {}
  for a = 1, 6 do for b = 1, 6 do zs[(a - 1) * 6 + b], zs[36 + (a - 1) * 6 + b] = S.Xstar[a][b], a == b and 1 or 0 end end
  H.check(S:value(zs) <= 1e-28 and S:test_loss(zs) <= 1e-28, "zero loss at U = X*, V = I")
  local tl = 0
  for a = 1, 6 do for b = 1, 6 do tl = tl + ((a == b and 1 or 0) - S.Xstar[a][b]) ^ 2 / 6 end end
  H.close(S:test_loss(S.x0), tl, 1e-14, "test loss at the start")
  -- single precision storage: the same landscape up to rounding of the measurements
  local S1 = mf.landscape.matrix_sensing { d = 6, r = 2, P = 20, seed = 3, precision = "single" }
  H.check(S1.precision == "single", "single precision")
  H.close(S1:value(z), S:value(z), 1e-5, "single vs double storage")
  H.check(S1:value(z) ~= S:value(z), "single storage rounds the measurements")
  -- mf.run from the paper's start: the loss falls
  local r = mf.run { landscape = S, optimizer = mf.opt.sgd { lr = 0.02 }, steps = 200, every = 200, seeds = 3, record = { "loss" } }
  H.check(r:mean("loss")[2] < 0.5 * r:mean("loss")[1], "mf.run on matrix sensing lowers the loss")
  -- the same trajectories whatever the threads and the block (sweeps of up to 8 lanes)
  local function go(th, bl)
    return mf.run { landscape = S, optimizer = mf.opt.sgd { lr = 0.05 }, noise = mf.noise.isotropic { sigma = 0.01, space = "full" },
      steps = 60, every = 30, seeds = 13, threads = th, block = bl, record = { "x1", "loss" } }
  end
  local ra, rb, rc, same = go(1, 13), go(2, 3), go(2, 8), true
  for sd = 1, 13 do
    local ca, cb, cc = ra:column("x1", sd), rb:column("x1", sd), rc:column("x1", sd)
    for k = 1, #ca do same = same and ca[k] == cb[k] and ca[k] == cc[k] end
  end
  H.check(same, "matrix sensing runs: identical bits for threads 1/2 and blocks 13/3/8")
  -- bad input names the landscape and the option
  H.raises({ "mf.landscape.matrix_sensing", "option 'precision'", "\"single\"" }, mf.landscape.matrix_sensing, { d = 4, P = 4, r = 1, precision = "half" })
  H.raises({ "mf.landscape.matrix_sensing", "option 'r'" }, mf.landscape.matrix_sensing, { d = 4, r = 5, P = 4 })
  H.raises({ "mf.landscape.matrix_sensing", "option 'd'" }, mf.landscape.matrix_sensing, { d = 0, r = 1, P = 4 })
  H.raises({ "mf.landscape.matrix_sensing", "option 'P'" }, mf.landscape.matrix_sensing, { d = 4, r = 1, P = 2.5 })
  H.raises({ "mf.landscape.matrix_sensing", "option 'n'" }, mf.landscape.matrix_sensing, { d = 4, r = 1, P = 4, n = 3 })
  H.raises({ "landscape:grad", "z has 3 entries", "72" }, function() return S:grad { 1, 2, 3 } end)
  H.raises({ "mf.run", "option 'x0'", "72" }, mf.run, { landscape = S, optimizer = mf.opt.sgd { lr = 0.01 }, x0 = { 1, 2 }, steps = 1 })
end

-- bad input: each error names the landscape and the option --------------------------------
H.raises({ "mf.landscape.valley", "option 'h'", "h > 0" }, function()
  return mf.landscape.valley { h = function(x) return x, 1, 0 end }:value { -1, 1 }
end)
H.raises({ "mf.landscape.valley", "option 'h'", "three numbers" }, function()
  return mf.landscape.valley { h = function(x) return 1 + x * x end }:value { 1, 1 }
end)
H.raises({ "mf.landscape.valley", "option 'h'", "raised an error", "boom" }, function()
  return mf.landscape.valley { h = function(x) error("boom") end }:grad { 1, 1 }
end)
H.raises({ "mf.landscape.custom", "option 'f'", "must return a number" }, function()
  return mf.landscape.custom { dim = 2, f = function() return {} end }:value { 1, 1 }
end)
H.raises({ "mf.landscape.custom", "option 'grad'", "3 numbers" }, function()
  return mf.landscape.custom { dim = 3, f = cf, grad = function() return { 1, 2 } end }:grad { 1, 1, 1 }
end)
H.raises({ "mf.landscape.custom", "option 'hess'", "entry 2 is string" }, function()
  return mf.landscape.custom { dim = 2, f = cf, hess = function() return { { 1, "a" }, { 0, 1 } } end }:hess { 1, 1 }
end)
H.raises({ "mf.landscape.quadratic_manifold", "option 'A'", "2 rows" }, function()
  return mf.landscape.quadratic_manifold { k = 1, d = 3, A = function() return { { 1 } } end }:value { 1, 1, 1 }
end)
H.raises({ "mf.landscape.quadratic_manifold", "option 'k'", "< d" }, mf.landscape.quadratic_manifold,
  { k = 3, d = 3, A = function() end })
H.raises({ "mf.landscape.custom", "option 'codim'" }, mf.landscape.custom, { dim = 2, codim = 3, f = cf })
H.raises({ "mf.landscape.custom", "option 'f' is required" }, mf.landscape.custom, { dim = 2 })
H.raises({ "mf.landscape.rotated_valley", "option 'theta'" }, mf.landscape.rotated_valley, { theta = "x" })
H.raises({ "mf.landscape.sphere3d", "unknown option 'sed'" }, mf.landscape.sphere3d, { sed = 1 })
H.raises({ "mf.run", "option 'x0'", "landscape 'valley' has dimension 2" }, mf.run,
  { landscape = V, optimizer = mf.opt.sgd { lr = 0.1 }, x0 = { 1, 2, 3 }, steps = 1 })
H.raises({ "mf.run", "option 'x0' is required", "'custom'" }, mf.run,
  { landscape = C1, optimizer = mf.opt.sgd { lr = 0.1 }, steps = 1 })
-- the engine's error during a run is the landscape's own
H.raises({ "mf.landscape.valley", "option 'h'", "h > 0" }, mf.run,
  { landscape = mf.landscape.valley { h = function(x) return 1 - x * x, -2 * x, -2 end },
    optimizer = mf.opt.sgd { lr = 0.01 }, noise = mf.noise.hessian {}, steps = 10 })

-- runs --------------------------------------------------------------------------------------
local opt, nz = mf.opt.sgd { lr = 0.01 }, mf.noise.hessian { sigma = 1 }
do -- x0 defaults to the paper's start
  local r = mf.run { landscape = V, optimizer = opt, steps = 3 }
  H.check(r:column("x1")[1] == 5 and r:column("x2")[1] == 0, "mf.run starts the valley at (5, 0)")
end
do -- a Lua h runs on one thread and gives the polynomial's numbers (same arithmetic)
  local a = mf.run { landscape = Vf, optimizer = opt, noise = nz, steps = 200, seeds = 20, threads = 2, block = 8 }
  local b = mf.run { landscape = V, optimizer = opt, noise = nz, steps = 200, seeds = 20, threads = 2, block = 8 }
  local same = true
  for i, x in ipairs(a:at("x1", #a.t)) do same = same and x == b:at("x1", #b.t)[i] end
  H.check(same, "valley{h = function} steps exactly as the polynomial valley")
end
do -- generic Hessian and normal noise on a custom valley match the valley's closed forms
  local CV = mf.landscape.custom { dim = 2, codim = 1, f = function(z) return (1 + z[1] ^ 2) * z[2] ^ 2 end,
    grad = function(z) return { 2 * z[1] * z[2] ^ 2, 2 * (1 + z[1] ^ 2) * z[2] } end,
    hess = function(z) return { { 2 * z[2] ^ 2, 4 * z[1] * z[2] }, { 4 * z[1] * z[2], 2 * (1 + z[1] ^ 2) } } end }
  for _, noise in ipairs { mf.noise.hessian { sigma = 2 }, mf.noise.isotropic { sigma = 2 } } do
    local args = { optimizer = mf.opt.sgd { lr = 1e-3 }, noise = noise, x0 = { 2, 0 }, steps = 300, seeds = 8, seed = 5 }
    args.landscape = CV
    local a = mf.run(args)
    args.landscape = V
    local b = mf.run(args)
    -- the same streams; the generic path evaluates the noise at the gradient-flow limit,
    -- the valley at (x, 0): the trajectories differ by O(y^2) per step only
    local worst = 0
    for i, x in ipairs(a:at("x1", #a.t)) do worst = math.max(worst, math.abs(x - b:at("x1", #b.t)[i])) end
    local worsty = 0
    for i, y in ipairs(a:at("x2", #a.t)) do worsty = math.max(worsty, math.abs(y - b:at("x2", #b.t)[i])) end
    H.check(worst <= 1e-4 and worsty <= 1e-4, ("generic %s noise follows the valley's: |dx| %g, |dy| %g"):format(noise.name, worst, worsty))
  end
end
do -- the rotated valley's noise, run and manifold flow work; theta = 0 is the valley
  local R0 = mf.landscape.rotated_valley { theta = 0 }
  local a = mf.run { landscape = R0, optimizer = opt, noise = nz, steps = 100, seeds = 4 }
  local b = mf.run { landscape = V, optimizer = opt, noise = nz, steps = 100, seeds = 4 }
  H.check(a:at("x1", #a.t)[3] == b:at("x1", #b.t)[3], "rotated valley at theta = 0 runs as the valley")
  local fl = mf.manifold.flow { landscape = R, optimizer = opt, noise = nz }
  local dz = fl:drift(R:project { 3, 0 })
  -- Hessian noise: dz/dt = -(lr sigma^2/4) h'(u) t, h = 1 + u^2 (doc/math.md §4)
  local p = R:project { 3, 0 }
  local u = p[1] * math.cos(0.7) - p[2] * math.sin(0.7)
  H.close(dz[1], -(0.01 / 4) * 2 * u * math.cos(0.7), 1e-9, "rotated valley manifold drift x")
  H.close(dz[2], (0.01 / 4) * 2 * u * math.sin(0.7), 1e-9, "rotated valley manifold drift y")
end
do -- the manifold flow on a custom landscape (generic frame, dhess) matches the valley
  local CV = mf.landscape.custom { dim = 2, codim = 1, f = function(z) return (1 + z[1] ^ 2) * z[2] ^ 2 end,
    hess = function(z) return { { 2 * z[2] ^ 2, 4 * z[1] * z[2] }, { 4 * z[1] * z[2], 2 * (1 + z[1] ^ 2) } } end }
  local a = mf.manifold.flow { landscape = CV, optimizer = opt, noise = nz }:drift { 1.5, 0 }
  local b = mf.manifold.flow { landscape = V, optimizer = opt, noise = nz }:drift { 1.5, 0 }
  H.close(a[1], b[1], 1e-7, "generic manifold drift")
end

-- the same seed gives the same data in two processes ----------------------------------------
do
  local exe = arg[-1] or "mflab"
  local code = [[local U = mf.landscape.sphere3d{seed = 11}.U; for r = 1, 3 do for c = 1, 3 do io.write(string.format('%a ', U[r][c])) end end]]
  local function run()
    local p = assert(io.popen(("'%s' -e \"%s\""):format(exe, code)))
    local s = p:read("a")
    p:close()
    return s
  end
  local a, b = run(), run()
  H.check(#a > 20 and a == b, "sphere3d{seed = 11}: the same U in two processes: " .. a)
  code = [[local S = mf.landscape.matrix_sensing{d = 5, r = 2, P = 30, seed = 4}; for _, x in ipairs(S.y) do io.write(string.format('%a ', x)) end; for r = 1, 5 do for c = 1, 5 do io.write(string.format('%a ', S.Xstar[r][c])) end end; io.write(string.format('%a', S:value(S.x0)))]]
  a, b = run(), run()
  H.check(#a > 200 and a == b, "matrix_sensing{seed = 4}: the same X*, y and loss in two processes")
end

H.finish()

do -- the UV model's codim is the rank of the Hessian at points of the zero-loss set
  for _, c in ipairs { { n = 4, P = 5, act = "tanh", d = 3, m = 2, want = 8 },
                       { n = 3, P = 4, act = "tanh", d = 2, m = 2, want = 6 },
                       { n = 5, P = 3, act = "tanh", d = 2, m = 1, want = 3 },
                       { n = 4, P = 5, act = "linear", d = 1, m = 1, want = 1 },
                       { n = 3, P = 6, act = "linear", d = 4, m = 2, want = 6 } } do
    local U = mf.landscape.uv { n = c.n, P = c.P, act = c.act, d = c.d, m = c.m, seed = 1 }
    local name = ("uv %s n=%d P=%d d=%d m=%d"):format(c.act, c.n, c.P, c.d, c.m)
    local p = U:project(U.x0)
    local vals = mf.analysis.top(U, p, U.dim)
    local rank = 0
    for _, v in ipairs(vals) do
      if v > 1e-7 * vals[1] then rank = rank + 1 end
    end
    H.check(U.codim == c.want and rank == c.want,
            ("%s: codim %d, Hessian rank %d at the projection, want %d"):format(name, U.codim, rank, c.want))
  end
end
