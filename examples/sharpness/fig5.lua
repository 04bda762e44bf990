-- Sharpness paper (Lyu, Li & Arora), Fig. 5: the reduced system (17) of the edge-of-stability
-- oscillation, d log|h|/dtau = -u, d(-u)/dtau = -(2 K^2 h^2 - C_b), with K = 2, C_b = 1.
-- With x = log|h| and v = -u it is a unit-mass particle in the potential
--   U(x) = K^2 e^{2x} - C_b x,   E = v^2/2 + U(x) conserved,
-- so every orbit is closed. The script integrates the system with mflab's adaptive
-- Dormand-Prince 5(4) through mf.ode.integrate (the way to integrate any ODE of your own with
-- mflab's integrators), from the bottom of the well x* = log(C_b/(2K^2))/2 with velocities
-- v0 = 0.5 .. 3, and checks the physics: energy conserved along each orbit, and the period of
-- each orbit against the quadrature T(E) = 2 * integral dx / sqrt(2 (E - U(x))) between the
-- turning points.
--
-- Usage: mflab fig5.lua [--quick] [--out DIR]
-- Writes DIR/fig5.png (a: the potential with the orbits' energy levels; b: the phase portrait,
-- log|h| against -u) and DIR/fig5.csv (the orbits), prints the largest relative energy drift
-- and the periods, and returns them as a table (used by the test suite).
local mf = mf or require "mflab"

local opts = mf.example.options(arg, "fig5.lua")

local K, Cb = 2, 1
local function U(x) return K * K * math.exp(2 * x) - Cb * x end
local function energy(x, v) return 0.5 * v * v + U(x) end
local xstar = 0.5 * math.log(Cb / (2 * K * K))
local v0s = opts.quick and { 0.5, 1.5, 3 } or { 0.5, 1, 1.5, 2, 2.5, 3 }

-- turning points of E = U(x): bisection on either side of x*
local function turning(E)
  local function root(a, b)
    for _ = 1, 200 do
      local m = 0.5 * (a + b)
      if (U(m) - E > 0) == (U(a) - E > 0) then a = m else b = m end
    end
    return 0.5 * (a + b)
  end
  local lo = xstar - 1
  while U(lo) < E do lo = xstar - 2 * (xstar - lo) end
  local hi = xstar + 1
  while U(hi) < E do hi = xstar + 2 * (hi - xstar) end
  return root(lo, xstar), root(xstar, hi)
end

-- T(E) by Gauss-Chebyshev-like substitution x = (a+b)/2 + (b-a)/2 sin(phi), which removes the
-- inverse-square-root singularities at the turning points; midpoint rule in phi.
local function period_quadrature(E)
  local a, b = turning(E)
  local n, s = 20000, 0
  for i = 1, n do
    local phi = -math.pi / 2 + (i - 0.5) * math.pi / n
    local x = 0.5 * (a + b) + 0.5 * (b - a) * math.sin(phi)
    local w = 0.5 * (b - a) * math.cos(phi)
    local d = 2 * (E - U(x))
    if d > 0 then s = s + w / math.sqrt(d) end
  end
  return 2 * s * math.pi / n
end

local function rhs(_, y) -- y = {x, v}
  return { y[2], -(2 * K * K * math.exp(2 * y[1]) - Cb) }
end

local orbits, worst = {}, 0
for _, v0 in ipairs(v0s) do
  local E0 = energy(xstar, v0)
  local T = period_quadrature(E0)
  local sol = mf.ode.integrate { rhs = rhs, y0 = { xstar, v0 }, t1 = 1.25 * T, every = T / 400,
                                 rtol = 1e-11, atol = 1e-13, names = { "x", "v" } }
  local drift = 0
  for j = 1, #sol.t do
    drift = math.max(drift, math.abs(energy(sol.x[j], sol.v[j]) - E0) / math.abs(E0))
  end
  worst = math.max(worst, drift)
  -- measured period: the first upward crossing of x = x* after the start, by linear
  -- interpolation between records
  local Tm
  for j = 2, #sol.t do
    if sol.t[j] > 0.5 * T and sol.x[j - 1] < xstar and sol.x[j] >= xstar then
      local f = (xstar - sol.x[j - 1]) / (sol.x[j] - sol.x[j - 1])
      Tm = sol.t[j - 1] + f * (sol.t[j] - sol.t[j - 1])
      break
    end
  end
  orbits[#orbits + 1] = { v0 = v0, E = E0, T = T, T_measured = Tm, drift = drift, sol = sol }
end

-- CSV: each orbit's (tau, log|h|, -u), stacked
local names, cols = { "orbit", "tau", "log_abs_h", "minus_u" }, { {}, {}, {}, {} }
for k, o in ipairs(orbits) do
  for j = 1, #o.sol.t do
    local r = #cols[1] + 1
    cols[1][r], cols[2][r], cols[3][r], cols[4][r] = k, o.sol.t[j], o.sol.x[j], o.sol.v[j]
  end
end
local csv = opts.out .. "/fig5.csv"
mf.write_csv(csv, names, cols, ("mflab %s; sharpness Fig. 5; K=%g C_b=%g"):format(mf.version, K, Cb))

local p = mf.plot { layout = { 1, 2 }, size = { 1300, 560 },
                    title = ("Reduced edge-of-stability system (17), K = %g, C_b = %g"):format(K, Cb) }
local xs, us = {}, {}
local xlo, xhi = turning(orbits[#orbits].E)
for i = 0, 400 do
  xs[i + 1] = xlo - 0.1 + (xhi - xlo + 0.2) * i / 400
  us[i + 1] = U(xs[i + 1])
end
p:panel(1, { title = "(a) potential U(x) = K^2 e^{2x} - C_b x and the orbits' energies",
             xlabel = "x = log|h|", ylabel = "U(x)", key = "bottom left" })
p:line(xs, us, { title = "U(x)", width = 2 })
for _, o in ipairs(orbits) do
  local a, b = turning(o.E)
  p:line({ a, b }, { o.E, o.E }, { title = ("E = %.3f"):format(o.E), dash = "dash" })
end
p:panel(2, { title = "(b) phase portrait: closed orbits", xlabel = "log|h|", ylabel = "-u", key = "outside right" })
for _, o in ipairs(orbits) do
  p:line(o.sol.x, o.sol.v, { title = ("v0 = %g"):format(o.v0) })
end
local png = opts.out .. "/fig5.png"
p:save(png)

local parts = {}
for _, o in ipairs(orbits) do
  parts[#parts + 1] = ("v0=%g: T %.6f (quadrature %.6f)"):format(o.v0, o.T_measured or 0 / 0, o.T)
end
print(("fig5: energy conserved to %.1e (largest relative drift over %d orbits, dp45 rtol 1e-11); periods: %s")
  :format(worst, #orbits, table.concat(parts, ", ")))

return { png = png, csv = csv, drift = worst, orbits = orbits, xstar = xstar }
