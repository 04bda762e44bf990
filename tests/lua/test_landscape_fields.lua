-- Landscape fields through the type's own field accessor (issue 14: mf_landscape_type.field
-- replaces the binding's chain of name comparisons): every field of every type that has them,
-- with its shape and a value checked against the landscape's own definition; L.fields lists them.
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local H = dofile(here .. "/harness.lua")

local function shape(m) return #m, type(m[1]) == "table" and #m[1] or 0 end

-- matrix factorization: f(U, V) = |U V^T - M|^2 vanishes at a factorization of M
local F = mf.landscape.matrix_factorization { m = 4, n = 3, p = 2, seed = 2 }
H.check(F.fields == "M", "matrix_factorization fields: " .. F.fields)
local r, c = shape(F.M)
H.check(r == 4 and c == 3, "L.M is 4 x 3")
-- uv: X is P x d
local U = mf.landscape.uv { n = 4, P = 7, d = 3, m = 2 }
r, c = shape(U.X)
H.check(U.fields == "X" and r == 7 and c == 3, "uv: L.X is 7 x 3")
-- linreg_bn: the min-norm interpolant fits the data: X w_minnorm + b_minnorm = y
local B = mf.landscape.linreg_bn {}
H.check(B.fields == "X, y, w_gt, b_gt, w_minnorm, b_minnorm", "linreg_bn fields")
local worst = 0
for i = 1, #B.y do
  local s = B.b_minnorm
  for j = 1, #B.w_minnorm do s = s + B.X[i][j] * B.w_minnorm[j] end
  worst = math.max(worst, math.abs(s - B.y[i]))
end
H.check(worst < 1e-10, ("linreg_bn: X w_minnorm + b_minnorm = y (worst %.2e)"):format(worst))
H.check(type(B.b_gt) == "number" and #B.w_gt == #B.w_minnorm, "linreg_bn: b_gt a number, w_gt of length d")
-- matrix completion: observed pairs index M, 1-based
local C = mf.landscape.matrix_completion_bn { d = 6, rank = 2, observed = 15, seed = 4 }
r, c = shape(C.M)
H.check(r == 6 and c == 6 and #C.observed == 15, "matrix_completion_bn: M 6 x 6, 15 observed pairs")
local inrange = true
for _, p in ipairs(C.observed) do inrange = inrange and p[1] >= 1 and p[1] <= 6 and p[2] >= 1 and p[2] <= 6 end
H.check(inrange, "observed pairs are 1-based indices of M")
-- matrix sensing: y_i = <A_i, X*>; here: shape, labels, precision
local S = mf.landscape.matrix_sensing { d = 6, r = 2, P = 20, seed = 3 }
r, c = shape(S.Xstar)
H.check(r == 6 and c == 6 and #S.y == 20 and S.precision == "double", "matrix_sensing: Xstar 6 x 6, 20 labels, double")
-- sphere3d: U is orthogonal
local Q = mf.landscape.sphere3d { seed = 4 }
local e = 0
for i = 1, 3 do for j = 1, 3 do
  local s = 0
  for k = 1, 3 do s = s + Q.U[k][i] * Q.U[k][j] end
  e = math.max(e, math.abs(s - (i == j and 1 or 0)))
end end
H.check(e < 1e-14, ("sphere3d: U^T U = I (worst %.1e)"):format(e))
-- landscapes without fields, and names a type does not have
local V = mf.landscape.valley {}
H.check(V.fields == "" and V.M == nil and F.X == nil and B.Xstar == nil, "unknown fields are nil; valley has none")
H.check(type(F.value) == "function", "methods are still found after the fields")
H.finish()
