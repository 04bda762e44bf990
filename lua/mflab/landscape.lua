-- mf.landscape: loss landscapes (doc/math.md §1). Each constructor checks its options against
-- its schema and builds the engine's landscape.
--
-- Every landscape has L.dim, L.codim (dimension of the normal space of its manifold of
-- minima, 0 if none is known), L.name, L.x0 (the paper's starting point, or nil), and the
-- methods L:value(z), L:grad(z), L:hess(z) (a table of rows; dimension <= 2000), L:hvp(z, v),
-- L:trace_hessian(z), L:project(z), L:tangent(z) (returns T, N: orthonormal bases of the
-- tangent and normal spaces at the projection of z, as tables of basis vectors) and, where
-- defined, L:test_loss(z). z is a table of numbers or a vector.
--
-- Landscapes given by Lua functions (valley{h = function}, quadratic_manifold, custom) are
-- evaluated on the calling thread: mf.run steps them with one thread whatever `threads` says
-- (Lua is single-threaded), and they are much slower than the built-in ones.
local core = require "mflab.core"
local schema = require "mflab.schema"
local check = schema.check -- errors point at the user's call of the constructor

local M = {}

local function finite(v) return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge end

schema.kinds.coefficients_or_function = function(v, name)
  if type(v) == "function" or type(v) == "string" then return true end
  local ok, _, detail = schema.kinds.coefficients(v, name)
  if ok then return true end
  return false, "polynomial coefficients {c0, c1, ...}, an expression string in x, or a function", detail
end
schema.kinds.coefficients_or_string = function(v, name)
  if type(v) == "string" then return true end
  local ok, _, detail = schema.kinds.coefficients(v, name)
  if ok then return true end
  return false, "polynomial coefficients {c0, c1, ...} or an expression string in x", detail
end

local valley_schema = schema.new("mf.landscape.valley", {
  { name = "a", kind = "positive", default = 1, doc = "h(x) = a + b x^2: the curvature scale at x = 0" },
  { name = "b", kind = "nonnegative", default = 1, doc = "h(x) = a + b x^2: how fast the valley sharpens" },
  { name = "h", kind = "coefficients_or_function", doc = "h as polynomial coefficients {c0, c1, ...}, h(x) = c0 + c1 x + c2 x^2 + ... (replaces a and b), an expression in x such as \"1 + x^2 + 0.1*x^4\" (mf.landscape.expr's language; h', h'', h''' symbolic, native speed), or a function x -> h(x), h'(x), h''(x) (slow; runs single-threaded); h must stay positive" },
}, "f(x, y) = h(x) y^2, manifold of minima y = 0 (doc/math.md §1; quasistatic paper Fig. 1); start (5, 0)")

function M.valley(opts)
  local o = check(valley_schema, opts)
  if o.h and (opts.a ~= nil or opts.b ~= nil) then
    error("mf.landscape.valley: give either option 'h' or options 'a'/'b', not both", 2)
  end
  if type(o.h) == "function" then return core.valley_fn(o.h) end
  if type(o.h) == "string" then
    local ok, L = pcall(core.valley_expr, o.h, false)
    if not ok then error(L, 2) end
    return L
  end
  return core.valley(o.h or { o.a, 0, o.b })
end

local rotated_schema = schema.new("mf.landscape.rotated_valley", {
  { name = "theta", kind = "number", default = 0, doc = "rotation angle (radians); theta = 0 is the valley" },
  { name = "h", kind = "coefficients_or_string", default = { 1, 0, 1 }, doc = "h as polynomial coefficients {c0, c1, ...} (default 1 + u^2), or an expression in x such as \"1 + x^2 + 0.1*x^4\" (h evaluated at x = u; derivatives symbolic)" },
}, "f = (x sin(theta) + y cos(theta))^2 h(x cos(theta) - y sin(theta)) (quasistatic eq. 23); manifold the line x sin + y cos = 0; start: u = 5 on the manifold")

function M.rotated_valley(opts)
  local o = check(rotated_schema, opts)
  if type(o.h) == "string" then
    local ok, L = pcall(core.valley_expr, o.h, true, o.theta)
    if not ok then error(L, 2) end
    return L
  end
  return core.rotated_valley(o.theta, o.h)
end

local qm_schema = schema.new("mf.landscape.quadratic_manifold", {
  { name = "k", kind = "count", required = true, doc = "dimension of the manifold (x in R^k)" },
  { name = "d", kind = "count", required = true, doc = "dimension of the space (y in R^(d-k))" },
  { name = "A", kind = "function", required = true, doc = "x (a table of k numbers) -> the (d-k) x (d-k) matrix A(x) as a table of rows, symmetric positive definite; derivatives by finite differences" },
}, "f(x, y) = y^T A(x) y (quasistatic eq. 5), manifold y = 0; runs single-threaded")

function M.quadratic_manifold(opts)
  local o = check(qm_schema, opts)
  if o.k >= o.d then
    error(("mf.landscape.quadratic_manifold: option 'k' must be < d = %d, got %d"):format(o.d, o.k), 2)
  end
  return core.quadratic_manifold(o.k, o.d, o.A)
end

local sphere_schema = schema.new("mf.landscape.sphere3d", {
  { name = "seed", kind = "natural", default = 0, doc = "seed of the random orthogonal matrix U" },
  { name = "rotate", kind = "boolean", default = true, doc = "false: U = I (L = F itself)" },
}, "L(w) = F(Uw), F(x, y, z) = 2 - (x + y)/sqrt(x^2 - xy + y^2), U random orthogonal (L.U); scale-invariant; minima x = y > 0 in Uw; start U^T (0.3, 1.3, 1.2) (normalization-sharpness App. F)")

function M.sphere3d(opts)
  local o = check(sphere_schema, opts)
  return core.sphere3d(o.seed, o.rotate)
end

local custom_schema = schema.new("mf.landscape.custom", {
  { name = "dim", kind = "count", required = true, doc = "dimension d" },
  { name = "f", kind = "function", required = true, doc = "z (a table of d numbers) -> f(z)" },
  { name = "grad", kind = "function", doc = "z -> gradient (a table of d numbers); default: central differences of f, step cbrt(eps) max(1, |z_k|)" },
  { name = "hess", kind = "function", doc = "z -> Hessian (a table of d rows); default: central differences of grad (or second differences of f, step eps^(1/4) max(1, |z_k|))" },
  { name = "codim", kind = "natural", default = 0, doc = "codimension of the manifold of minima (0: none known); > 0 enables project (gradient flow), tangent and the noise models" },
  { name = "project", kind = "function", doc = "z -> P z (a table of d numbers), the projection onto the manifold of minima in closed form instead of the gradient-flow limit (needs codim > 0; checked at the first projection of a run with normal-space noise)" },
}, "a landscape from Lua functions, for prototyping; runs single-threaded")

function M.custom(opts)
  local o = check(custom_schema, opts)
  if o.codim > o.dim then
    error(("mf.landscape.custom: option 'codim' must be <= dim = %d, got %d"):format(o.dim, o.codim), 2)
  end
  return core.custom(o.dim, o.codim, o.f, o.grad, o.hess, o.project)
end

-- vars of an expression: {"a", "b", x = 40, "w[3]"}: names and indexed variables
schema.kinds.expr_vars = function(v)
  if type(v) ~= "table" or getmetatable(v) ~= nil then return false, "a table of names and name = count entries" end
  for k, e in pairs(v) do
    if math.type(k) == "integer" then
      if type(e) ~= "string" then return false, "a table of names (strings) and name = count entries" end
    elseif type(k) ~= "string" or math.type(e) ~= "integer" or e < 1 then
      return false, "a table of names and name = count entries (count a positive integer)"
    end
  end
  return true
end

-- The coordinate names core.expr gets: the names in order, an indexed variable x of n as
-- x[1] .. x[n]; then the name = n entries sorted by name (a Lua table keeps no order).
local function expr_coords(vars)
  local out, seen = {}, {}
  local function add(name, n)
    if not name:match("^[%a_][%w_]*$") then
      error(("mf.landscape.expr: option 'vars': '%s' is not a name (letters, digits, _)"):format(name), 4)
    end
    if seen[name] then error(("mf.landscape.expr: option 'vars': '%s' given twice"):format(name), 4) end
    seen[name] = true
    if not n then out[#out + 1] = name return end
    if n < 1 then
      error(("mf.landscape.expr: option 'vars': indexed variable '%s' needs a count >= 1, got %d"):format(name, n), 4)
    end
    if #out + n > 1000 then
      error(("mf.landscape.expr: option 'vars': at most 1000 coordinates in all (%s = %d)"):format(name, n), 4)
    end
    for i = 1, n do out[#out + 1] = ("%s[%d]"):format(name, i) end
  end
  for _, e in ipairs(vars) do
    local base, n = e:match("^([%a_][%w_]*)%[(%d+)%]$")
    if base then add(base, tonumber(n)) else add(e) end
  end
  local keys = {}
  for k in pairs(vars) do if type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do add(k, vars[k]) end
  return out
end

local expr_schema = schema.new("mf.landscape.expr", {
  { name = "f", kind = "string", required = true, doc = "the loss as an expression: numbers, the variables and parameters, + - * / ^, parentheses, sin cos tan exp log log1p sqrt tanh sigmoid abs (one argument), min max (two), pi; indexed variables x[i] and finite sums sum(i, lo, hi, expression) (indices and bounds: integers, sum indices, #x = the number of x[...], + - * %); e.g. \"(1 + x^2) * y^2\", \"sum(i, 1, #x - 1, (x[i]*x[i+1] - 1)^2)\"" },
  { name = "vars", kind = "expr_vars", required = true, doc = "the variables: names {\"x\", \"y\"} in coordinate order; an indexed variable x[1..40] as x = 40 (or \"x[40]\" among the names, at its place); coordinates: the names in order (an indexed one as x[1], ..., x[n]), then the x = n ones sorted by name" },
  { name = "params", kind = "table", doc = "parameters and their values, e.g. {theta = 0.3}" },
  { name = "codim", kind = "natural", default = 0, doc = "codimension of the manifold of minima (0: none known); > 0 enables project (gradient flow), tangent, the noise models and the manifold flows" },
  { name = "x0", kind = "point", doc = "starting point (one number per variable)" },
  { name = "manifold", kind = "table", doc = "constraints whose zero set is the manifold of minima, one expression per normal direction, e.g. {\"y\"}: sets codim to their number; without project, P z is the nearest point of {c = 0} (Gauss-Newton; the built-in valleys' orthogonal projection, not the gradient-flow limit); checked (c = 0 and grad c normal to M at P x0) at the first projection of a run with normal-space noise" },
  { name = "project", kind = "table", doc = "the projection onto the manifold of minima in closed form, one expression per variable, e.g. {\"x\", \"0\"}: replaces the gradient-flow limit (needs codim > 0; checked at the first projection of a run with normal-space noise)" },
  { name = "compile", kind = "boolean", default = true, doc = "run single points as machine code compiled with libtcc where mflab has it (the same bits as the interpreter; L:expr_info().compiled says); false: always the interpreter" },
}, "a landscape from an expression string: symbolic gradient, Hessian and third derivatives, evaluated natively over blocks of points (README: Expression landscapes)")

function M.expr(opts)
  local o = check(expr_schema, opts)
  local pn, pv = {}, {}
  for k, v in pairs(o.params or {}) do
    if math.type(k) == "integer" and type(v) == "string" then
      error(("mf.landscape.expr: option 'params': parameter '%s' has no value (write params = {%s = <number>})"):format(v, v), 2)
    end
    if type(k) ~= "string" then error("mf.landscape.expr: option 'params' must map names to numbers", 2) end
    pn[#pn + 1] = k
  end
  table.sort(pn)
  for i, k in ipairs(pn) do
    local v = o.params[k]
    if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
      error(("mf.landscape.expr: option 'params': parameter '%s' needs a finite number, got %s"):format(k, schema.show(v)), 2)
    end
    pv[i] = v
  end
  local coords = expr_coords(o.vars)
  if #coords == 0 then error("mf.landscape.expr: option 'vars' needs at least one name", 2) end
  if o.manifold and #o.manifold > #coords then
    error(("mf.landscape.expr: option 'manifold' needs 1 to %d constraints (one per normal direction), got %d"):format(#coords, #o.manifold), 2)
  end
  if o.manifold and o.codim == 0 then o.codim = #o.manifold end
  if o.codim > #coords then
    error(("mf.landscape.expr: option 'codim' must be <= the number of variables %d, got %d"):format(#coords, o.codim), 2)
  end
  local x0
  if o.x0 then
    if #o.x0 ~= #coords then
      error(("mf.landscape.expr: option 'x0' needs %d numbers, one per coordinate, got %d"):format(#coords, #o.x0), 2)
    end
    x0 = {}
    for i = 1, #o.x0 do x0[i] = o.x0[i] end
  end
  local ok, L = pcall(core.expr, o.f, coords, pn, pv, o.codim, x0)
  if not ok then error(L, 2) end
  if o.manifold then
    ok, L = pcall(core.expr_manifold, L, o.manifold)
    if not ok then error(L, 2) end
  end
  if o.project then
    ok, L = pcall(core.expr_project, L, o.project)
    if not ok then error(L, 2) end
  end
  if not o.compile then core.expr_interpret(L) end
  return L
end

schema.kinds.matrix = function(v)
  if type(v) ~= "table" or #v == 0 or type(v[1]) ~= "table" then return false, "a table of rows of numbers" end
  for r = 1, #v do
    if type(v[r]) ~= "table" or #v[r] ~= #v[1] then return false, "a table of rows of equal length" end
    for c = 1, #v[r] do
      if not finite(v[r][c]) then return false, "a table of rows of finite numbers" end
    end
  end
  return true
end

local mf_schema = schema.new("mf.landscape.matrix_factorization", {
  { name = "M", kind = "matrix", doc = "the target matrix (m rows of n numbers); or give m, n and seed" },
  { name = "m", kind = "count", doc = "rows of M (with the seeded recipe; default 5)" },
  { name = "n", kind = "count", doc = "columns of M (with the seeded recipe; default 5)" },
  { name = "p", kind = "count", default = 5, doc = "inner dimension: U is m x p, V is n x p" },
  { name = "seed", kind = "natural", default = 0, doc = "recipe M = A B^T, A (m x p), B (n x p) standard normal from stream (seed, 0)" },
}, "f(U, V) = |U V^T - M|_F^2 (quasistatic §3); z = (U, V) flattened row-major; manifold U V^T = M; start U0 = M, V0 = I when m = n = p")

function M.matrix_factorization(opts)
  local o = check(mf_schema, opts)
  if o.M then
    if opts.m and opts.m ~= #o.M or opts.n and opts.n ~= #o.M[1] then
      error(("mf.landscape.matrix_factorization: options 'm'/'n' (%s x %s) do not match option 'M' (%d x %d)")
        :format(tostring(opts.m), tostring(opts.n), #o.M, #o.M[1]), 2)
    end
    return core.matrix_factorization(#o.M, #o.M[1], o.p, o.M, o.seed)
  end
  return core.matrix_factorization(o.m or 5, o.n or 5, o.p, nil, o.seed)
end

local uv_schema = schema.new("mf.landscape.uv", {
  { name = "n", kind = "count", default = 10, doc = "hidden width" },
  { name = "P", kind = "count", default = 5, doc = "number of examples x_a ~ N(0, I), fixed by the seed (F A.1)" },
  { name = "act", kind = "string", default = "linear", one_of = { "linear", "tanh", "relu" }, doc = "activation phi" },
  { name = "d", kind = "count", default = 1, doc = "input dimension (d = m = 1: the vector UV model)" },
  { name = "m", kind = "count", default = 1, doc = "output dimension" },
  { name = "seed", kind = "natural", default = 0, doc = "data from stream (seed, 0), start U, V ~ N(0, 1) from stream (seed, 1)" },
}, "f(x) = n^(-1/2) U phi(V x), L = 1/(2P) sum_a |f(x_a)|^2 (targets 0; flatter-faster Def. 3.6, eq. 11); z = (U m x n, V n x d) row-major; L.X the data; per-example residuals for label noise")

function M.uv(opts)
  local o = check(uv_schema, opts)
  return core.uv(o.n, o.P, o.act, o.d, o.m, o.seed)
end

local linreg_schema = schema.new("mf.landscape.linreg_bn", {
  { name = "d", kind = "count", default = 40, doc = "input dimension (the parameter w is in R^d)" },
  { name = "n", kind = "count", default = 20, doc = "number of examples (at least 3)" },
  { name = "seed", kind = "natural", default = 0, doc = "data from stream (seed, 0): w_GT uniform on the sphere, b_GT ~ N(0, 0.01), x ~ N(0, diag(1/d, 2/d, ..., 1)); start uniform on the unit sphere from stream (seed, 1)" },
}, "linear regression with batch normalization (normalization-sharpness §5, App. Q.2): Phi(x) = gamma (w^T x - mu_1)/sigma_1 + beta with the data's mean and std (1/n) of w^T x_i, beta = mean y, gamma = std y; L(w) = (1/n) sum (Phi(x_i) - y_i)^2, scale-invariant; L.X, L.y, L.w_gt, L.b_gt, L.w_minnorm, L.b_minnorm (problem (M)); test loss: the population error E (Phi(x) - y)^2; records 'dist_minnorm'")

function M.linreg_bn(opts)
  local o = check(linreg_schema, opts)
  if o.n < 3 then error(("mf.landscape.linreg_bn: option 'n' must be >= 3, got %d"):format(o.n), 2) end
  return core.linreg_bn(o.d, o.n, o.seed)
end

local mc_schema = schema.new("mf.landscape.matrix_completion_bn", {
  { name = "d", kind = "count", default = 50, doc = "M is d x d; the model's U, V are d x d (2 d^2 parameters)" },
  { name = "rank", kind = "count", default = 2, doc = "rank of the ground truth M = d M~/|M~|_F, M~ = U* V*^T, U*, V* (d x rank) uniform in [-1, 1]" },
  { name = "observed", kind = "count", default = 800, doc = "N: entries of M observed, drawn uniformly without replacement" },
  { name = "init_scale", kind = "positive", default = 0.1, doc = "start: U, V entries N(0, init_scale^2) from stream (seed, 1) (the paper gives none; with lr 0.1, wd 0.01 the default enters the edge of stability after about 1500 steps)" },
  { name = "seed", kind = "natural", default = 0, doc = "data from stream (seed, 0), start from stream (seed, 1)" },
}, "matrix completion with batch normalization (normalization-sharpness App. P.1): L(U, V) = (1/N) sum_Omega ((gamma/sigma) [U V^T]_ij - M_ij)^2, sigma^2 = (1/N) sum_Omega [U V^T]^2, gamma^2 = (1/N) sum_Omega M^2; z = (U, V) row-major; scale-invariant; L.M, L.observed ({i, j} pairs); test loss over all d^2 entries with the same gamma/sigma; records 'sv<k>', the singular values of the recovered matrix")

function M.matrix_completion_bn(opts)
  local o = check(mc_schema, opts)
  if o.d < 2 or o.d > 300 then error(("mf.landscape.matrix_completion_bn: option 'd' must be in 2..300, got %d"):format(o.d), 2) end
  if o.rank > o.d then error(("mf.landscape.matrix_completion_bn: option 'rank' must be <= d = %d, got %d"):format(o.d, o.rank), 2) end
  if o.observed < 2 or o.observed > o.d * o.d then
    error(("mf.landscape.matrix_completion_bn: option 'observed' must be in 2..d^2 = %d, got %d"):format(o.d * o.d, o.observed), 2)
  end
  return core.matrix_completion_bn(o.d, o.rank, o.observed, o.init_scale, o.seed)
end

local ms_schema = schema.new("mf.landscape.matrix_sensing", {
  { name = "d", kind = "count", default = 100, doc = "U, V and X* are d x d" },
  { name = "r", kind = "count", default = 5, doc = "rank of the target X* (1 <= r <= d)" },
  { name = "P", kind = "count", default = 2500, doc = "number of measurements y_i = Tr(A_i X*)" },
  { name = "seed", kind = "natural", default = 0, doc = "stream (seed, 0) draws X0 (d x d), then A_1..A_P, row-major standard normals; X* = rank-r truncation of X0 by SVD" },
  { name = "precision", kind = "string", default = "double", one_of = { "double", "single" }, doc = "storage of the P x d^2 measurements ('single' halves the memory; products and sums stay in double)" },
}, "L = 1/(dP) sum_i (Tr(A_i U V) - y_i)^2 (flatter-faster A.2, eq. 12); z = (U, V) row-major; start U = V = I; L.Xstar, L.y; test_loss |UV - X*|_F^2 / d (eq. 13); per-example residuals for label noise")

function M.matrix_sensing(opts)
  local o = check(ms_schema, opts)
  if o.r > o.d then
    error(("mf.landscape.matrix_sensing: option 'r' must be <= d = %d, got %d"):format(o.d, o.r), 2)
  end
  return core.matrix_sensing(o.d, o.r, o.P, o.seed, o.precision == "single")
end

M._finite = finite
return M
