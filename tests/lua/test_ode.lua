-- mf.ode.integrate: a user's own ODE with mflab's integrators, against closed forms; the
-- sharpness paper's Fig. 5 system conserves its energy along closed orbits.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

-- harmonic oscillator: y = (cos t, -sin t)
local function osc(_, y) return { y[2], -y[1] } end
local sol = mf.ode.integrate { rhs = osc, y0 = { 1, 0 }, t1 = 10, every = 0.5 }
H.check(#sol.t == 21 and sol.t[21] == 10, "records at t0, t0 + every, ..., t1")
local e = 0
for j = 1, #sol.t do e = math.max(e, math.abs(sol.y1[j] - math.cos(sol.t[j])), math.abs(sol.y2[j] + math.sin(sol.t[j]))) end
H.check(e < 1e-8, ("dp45 (rtol 1e-10) error %.2e < 1e-8 over 10 time units"):format(e))
H.check(sol.y[21][1] == sol.y1[21], "sol.y holds the states")
-- rk4 is fourth order: halving h divides the error by ~16
local function rk4err(h)
  local s = mf.ode.integrate { rhs = osc, y0 = { 1, 0 }, t1 = 2, every = 2, method = "rk4", h = h }
  return math.abs(s.y1[2] - math.cos(2))
end
local ratio = rk4err(0.1) / rk4err(0.05)
H.check(ratio > 14 and ratio < 18, ("rk4 error ratio on halving h: %.2f (16 for fourth order)"):format(ratio))
-- exponential growth with names
local g = mf.ode.integrate { rhs = function(t, y) return { t * y[1] } end, y0 = { 1 }, t0 = 0, t1 = 2, names = { "u" } }
H.close(g.u[#g.t], math.exp(2), 1e-8, "dy/dt = t y: y(2) = e^2")
-- errors name the function and the option
H.raises({ "mf.ode.integrate", "option 'rhs' raised an error", "boom" }, mf.ode.integrate,
  { rhs = function() error("boom") end, y0 = { 1 }, t1 = 1 })
H.raises({ "mf.ode.integrate", "option 'rhs' must return a table of 2 numbers" }, mf.ode.integrate,
  { rhs = function() return { 1 } end, y0 = { 1, 2 }, t1 = 1 })
H.raises({ "mf.ode.integrate", "option 't1' must be > t0" }, mf.ode.integrate, { rhs = osc, y0 = { 1, 0 }, t1 = -1 })
H.raises({ "mf.ode.integrate", "option 'y0'" }, mf.ode.integrate, { rhs = osc, y0 = { 1, 0 / 0 }, t1 = 1 })
H.raises({ "mf.ode.integrate", "option 'names' has 1 names for 2 components" }, mf.ode.integrate,
  { rhs = osc, y0 = { 1, 0 }, t1 = 1, names = { "a" } })
H.raises({ "mf.ode.integrate" }, mf.ode.integrate, { rhs = function(t) return { 1 / (1 - t) } end, y0 = { 1 }, t1 = 2 })

-- Fig. 5 (quick): energy conserved, periods equal to the quadrature
local out = H.tmpdir()
local r = H.run_example("examples/sharpness/fig5.lua", "--quick", "--out", out)
H.check(r.drift < 1e-9, ("fig5: relative energy drift %.2e < 1e-9"):format(r.drift))
for _, o in ipairs(r.orbits) do
  H.close(o.T_measured, o.T, 1e-6, ("fig5: period of the orbit with v0 = %g"):format(o.v0))
  -- closed: after one quadrature period the state is back at the start
  local K, Cb = 2, 1
  local back = mf.ode.integrate { rhs = function(_, y) return { y[2], -(2 * K * K * math.exp(2 * y[1]) - Cb) } end,
    y0 = { r.xstar, o.v0 }, t1 = o.T, every = o.T, rtol = 1e-12, atol = 1e-14 }
  H.check(math.abs(back.y1[2] - r.xstar) < 1e-7 and math.abs(back.y2[2] - o.v0) < 1e-7,
    ("fig5: orbit v0 = %g closes after T(E): (%.3g, %.3g) from the start"):format(o.v0,
      back.y1[2] - r.xstar, back.y2[2] - o.v0))
end
H.check(H.png_size(r.png) ~= nil, "fig5.png written")
H.finish()
