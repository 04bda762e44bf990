-- Every manifold flow through every integrator (rk4, rk4 with h, dp45, the momentum method,
-- Euler-Maruyama for the SDE flows) gives the numbers it gave before the flows became a family of
-- vtables (issue 14): the reference values were printed with 17 digits by the code before the
-- refactor (commit 7065182) and agree to 1e-10 relative here (the projections of the uv and matrix
-- factorization landscapes have since changed by ~1e-11, hence the floor).
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")
local got = {}
local function dump(tag, r)
  local x1 = r:column("x1", r.seeds)
  got[tag] = { x1[#x1] }
  if r.names[#r.names] == "m" .. (#r.names // 2) and #r.names > 2 and r.names[#r.names // 2 + 1] == "m1" then
    local m1 = r:column("m1", r.seeds)
    got[tag][2] = m1[#m1]
  end
end
local V = mf.landscape.valley { a = 1, b = 1 }
local RV = mf.landscape.rotated_valley { theta = math.pi / 8 }
local hz = mf.noise.hessian { sigma = 1.5 }
local iz = mf.noise.isotropic { sigma = 1.5 }
local fz = mf.noise.isotropic { sigma = 0.5, space = "full" }
local sgd = mf.opt.sgd { lr = 0.01 }
local mo = mf.opt.momentum { lr = 0.01, mu = 0.9 }
for _, c in ipairs {
  { "sgd-h", V, sgd, hz, 1 }, { "sgd-i", V, sgd, iz, 1 }, { "sgd-mb", V, sgd, mf.noise.minibatch { B = 4, of = hz }, 1 },
  { "mom1", V, mo, hz, 1 }, { "mom2", V, mo, hz, 2 }, { "hb1", V, mf.opt.heavy_ball { lr = 0.01, beta = 0.5 }, iz, 1 },
  { "sgdm", V, mf.opt.sgd { lr = 0.01, momentum = 0.5 }, hz, 1 }, { "rv-sgd", RV, sgd, hz, 1 },
} do
  local fl = mf.manifold.flow { landscape = c[2], optimizer = c[3], noise = c[4], order = c[5] }
  for _, m in ipairs { "rk4", "dp45" } do dump(c[1] .. "-" .. m, fl:integrate { x0 = { 3, 0.1 }, steps = 20000, every = 5000, method = m }) end
  dump(c[1] .. "-rk4h", fl:integrate { x0 = { 3, 0.1 }, steps = 20000, every = 5000, method = "rk4", h = 7 })
  if c[5] == 2 then dump(c[1] .. "-momentum", fl:integrate { x0 = { 3, 0 }, steps = 20000, every = 5000, method = "momentum" }) end
  got[c[1] .. "-drift"] = fl:drift { 1.3, 0 }
end
for _, o in ipairs { 1, 2 } do
  local fl = mf.manifold.flow { landscape = V, optimizer = sgd, noise = fz, order = 1 }
  if o == 2 then fl = mf.manifold.flow { landscape = V, optimizer = mo, noise = fz, order = 2 } end
  dump("sde" .. o, fl:integrate { x0 = { 1, 0 }, steps = 2000, every = 500, seeds = 3, seed = 5 })
  dump("sde" .. o .. "h", fl:integrate { x0 = { 1, 0 }, steps = 2000, every = 500, seeds = 3, seed = 5, h = 3 })
end
local ad = mf.opt.adam { lr = 0.01, betas = { 0.9, 0.999 }, eps = 1e-3 }
for _, o in ipairs { 1, 2 } do
  local fl = mf.manifold.flow { landscape = RV, optimizer = ad, noise = mf.noise.hessian { sigma = 1 }, order = o }
  for _, m in ipairs { "rk4", "dp45" } do dump("adam" .. o .. "-" .. m, fl:integrate { x0 = { 2, 0 }, steps = 2000, every = 500, method = m }) end
end
local uv = mf.landscape.uv { n = 10, P = 5 }
local fl = mf.manifold.flow { landscape = uv, optimizer = mf.opt.heavy_ball { lr = 0.05, beta = 0.9 }, noise = mf.noise.label { eps = 0.5 } }
dump("uv-label-rk4", fl:integrate { x0 = uv.x0, steps = 300, every = 100, method = "rk4" })
dump("uv-label-dp", fl:integrate { x0 = uv.x0, steps = 300, every = 100, method = "dp45" })
local S = mf.landscape.sphere3d {}
local gw = mf.manifold.flow { landscape = S, optimizer = mf.opt.gd_wd { lr = 0.1, wd = 0.05 }, noise = mf.noise.none {} }
dump("sharp-dp", gw:integrate { x0 = S:project { 0.3, 1.3, 1.2 }, steps = 400, every = 100, method = "dp45" })
dump("sharp-rk4", gw:integrate { x0 = S:project { 0.3, 1.3, 1.2 }, steps = 400, every = 100, method = "rk4" })
local M = mf.landscape.matrix_factorization { m = 3, n = 3, p = 3, seed = 4 }
local fm = mf.manifold.flow { landscape = M, optimizer = sgd, noise = mf.noise.hessian { sigma = 1 } }
dump("mf-dp", fm:integrate { x0 = M.x0, steps = 300, every = 100, method = "dp45" })

local ref = {
  ["sgd-h-rk4"] = { 0.3161976736855917 },
  ["sgd-h-dp45"] = { 0.3161976738934687 },
  ["sgd-h-rk4h"] = { 0.31619767368559476 },
  ["sgd-h-drift"] = { -0.014624999999999999, 0 },
  ["sgd-i-rk4"] = { 2.2523863127858808 },
  ["sgd-i-dp45"] = { 2.2523863127842136 },
  ["sgd-i-rk4h"] = { 2.252386312785909 },
  ["sgd-i-drift"] = { -0.005436802973977695, 0 },
  ["sgd-mb-rk4"] = { 1.709348474192763 },
  ["sgd-mb-dp45"] = { 1.7093484744091119 },
  ["sgd-mb-rk4h"] = { 1.7093484741927754 },
  ["sgd-mb-drift"] = { -0.0036562499999999998, 0 },
  ["mom1-rk4"] = { 5.765843358272992e-98 },
  ["mom1-dp45"] = { 1.3002474866416955e-13 },
  ["mom1-rk4h"] = { 5.766287034865307e-98 },
  ["mom1-drift"] = { -1.4625000000000004, 0 },
  ["mom2-rk4"] = { 2.1566981582542088e-112, -2.786239982087612e-114 },
  ["mom2-dp45"] = { 1.7786830337796486e-13, -1.548894838096782e-14 },
  ["mom2-rk4h"] = { 2.157032839430664e-112, -2.786672356952645e-114 },
  ["mom2-momentum"] = { 1.9457027086503486e-111, -2.5081088575321884e-113 },
  ["mom2-drift"] = { -1.4625000000000004, 0 },
  ["hb1-rk4"] = { 0.033308507316239494 },
  ["hb1-dp45"] = { 0.033308507436742595 },
  ["hb1-rk4h"] = { 0.033308507316311034 },
  ["hb1-drift"] = { -0.02174721189591078, 0 },
  ["sgdm-rk4"] = { 0.0003702294122600399 },
  ["sgdm-dp45"] = { 0.0003702294135564224 },
  ["sgdm-rk4h"] = { 0.0003702294122627775 },
  ["sgdm-drift"] = { -0.058499999999999996, 0 },
  ["rv-sgd-rk4"] = { 0.2661651711510702 },
  ["rv-sgd-dp45"] = { 0.26616517127333944 },
  ["rv-sgd-rk4h"] = { 0.2661651711510715 },
  ["rv-sgd-drift"] = { -0.012483218337426629, 0.0051707183374266295 },
  ["sde1"] = { 0.9045672479671887 },
  ["sde1h"] = { 0.8369254429258225 },
  ["sde2"] = { -0.04330718288136194, 0.01481744777486442 },
  ["sde2h"] = { -0.14691773904147662, 0.01387902116233945 },
  ["adam1-rk4"] = { 1.595979397113034 },
  ["adam1-dp45"] = { 1.595979397113036 },
  ["adam2-rk4"] = { 1.5965358226846746, 0.00522038358553523 },
  ["adam2-dp45"] = { 1.5965358226842379, 0.005220383582934635 },
  ["uv-label-rk4"] = { 0.5742578772058728 },
  ["uv-label-dp"] = { 0.5742578772208151 },
  ["sharp-dp"] = { -0.39499728944467016 },
  ["sharp-rk4"] = { -0.3949972894234285 },
  ["mf-dp"] = { 0.9154172724201487 },
}
local n = 0
for tag, want in pairs(ref) do
  local have = got[tag]
  H.check(have ~= nil, tag .. " was computed")
  if have then
    for i, w in ipairs(want) do
      local h = have[i] or (0 / 0)
      local tol = 1e-10 * math.abs(w) + ((tag:find("dp45") or tag:find("%-dp")) and 1e-11 or 1e-13)
      if tag:find("^uv") or tag:find("^mf") then tol = tol + 1e-9 end
      H.check(math.abs(h - w) <= tol, ("%s[%d]: %.17g, before the refactor %.17g"):format(tag, i, h, w))
      n = n + 1
    end
  end
end
H.check(n >= 50, "all combinations compared: " .. n)
H.finish()
