-- Recorder observables of mf.run, each against its definition computed from the recorded
-- coordinates: loss, trH, dist, p<k>, wnorm, mnorm, lr, lr_eff and optimizer state.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local L = mf.landscape.valley { a = 1, b = 1 }
local function rec(opt, names, noise, steps, every)
  return mf.run { landscape = L, optimizer = opt, noise = noise, x0 = { 1.2, 0.4 }, steps = steps or 60,
                  every = every or 1, seeds = 3, seed = 4, record = names }
end

-- geometry: H = [[2y^2, 4xy], [4xy, 2(1 + x^2)]], P(x, y) = (x, 0)
local r = rec(mf.opt.heavy_ball { lr = 0.02, beta = 0.7 },
  { "x", "p", "loss", "trH", "dist", "wnorm", "mnorm", "pi1", "pi2", "lr", "lr_eff" }, mf.noise.hessian { sigma = 1 })
for _, s in ipairs { 1, 3 } do
  local x, y = r:column("x1", s), r:column("x2", s)
  local pi1, pi2 = r:column("pi1", s), r:column("pi2", s)
  for _, j in ipairs { 1, 2, 30, 61 } do
    H.close(r:column("loss", s)[j], (1 + x[j] ^ 2) * y[j] ^ 2, 1e-15, "loss")
    H.close(r:column("trH", s)[j], 2 * y[j] ^ 2 + 2 * (1 + x[j] ^ 2), 1e-15, "trH")
    H.close(r:column("dist", s)[j], math.abs(y[j]), 1e-15, "dist")
    H.check(r:column("p1", s)[j] == x[j] and r:column("p2", s)[j] == 0, "projection")
    H.close(r:column("wnorm", s)[j], math.sqrt(x[j] ^ 2 + y[j] ^ 2), 1e-15, "wnorm")
    H.close(r:column("mnorm", s)[j], math.sqrt(pi1[j] ^ 2 + pi2[j] ^ 2), 1e-15, "mnorm")
    H.check(r:column("lr", s)[j] == 0.02 and r:column("lr_eff", s)[j] == 0.02, "lr, lr_eff of heavy ball")
    if j > 1 then -- w_k = w_{k-1} + lr pi_k
      H.close(pi1[j], (x[j] - x[j - 1]) / 0.02, 1e-9, "pi1 is the step / lr")
      H.close(pi2[j], (y[j] - y[j - 1]) / 0.02, 1e-9, "pi2 is the step / lr")
    end
  end
  H.check(pi1[1] == 0 and pi2[1] == 0, "momentum starts at 0")
end

-- Adam's moments follow their recursions on the exact gradient; lr_eff from v
local b1, b2, eps = 0.8, 0.95, 1e-8
local ra = rec(mf.opt.adam { lr = mf.schedule.step { lr = 0.01, step_size = 20, gamma = 0.5 }, betas = { b1, b2 }, eps = eps },
  { "x1", "x2", "m1", "m2", "v1", "v2", "mnorm", "lr", "lr_eff" })
local x, y = ra:column("x1", 2), ra:column("x2", 2)
local m1, v2 = ra:column("m1", 2), ra:column("v2", 2)
for _, j in ipairs { 2, 10, 40, 61 } do
  local g = L:grad { x[j - 1], y[j - 1] }
  H.close(m1[j], b1 * m1[j - 1] + (1 - b1) * g[1], 1e-14, "Adam m1 recursion")
  H.close(v2[j], b2 * v2[j - 1] + (1 - b2) * g[2] ^ 2, 1e-14, "Adam v2 recursion")
  local k = ra.t[j]
  local lr = 0.01 * 0.5 ^ ((k - 1) // 20)
  H.close(ra:column("lr", 2)[j], lr, 1e-15, "scheduled lr of the latest step")
  local bc1, bc2 = 1 - b1 ^ k, 1 - b2 ^ k
  local e = 0
  for _, v in ipairs { ra:column("v1", 2)[j], v2[j] } do e = e + lr / bc1 / (math.sqrt(v) / math.sqrt(bc2) + eps) / 2 end
  H.close(ra:column("lr_eff", 2)[j], e, 1e-12, "Adam lr_eff")
  H.close(ra:column("mnorm", 2)[j], math.sqrt(m1[j] ^ 2 + ra:column("m2", 2)[j] ^ 2), 1e-15, "Adam mnorm = |m|")
end
H.check(ra:column("lr_eff", 2)[1] == 0.01, "lr_eff at t = 0 is lr")

-- GD with weight decay: the effective LR of the direction, lr / ((1 - lr wd) |w|^2)
local rw = rec(mf.opt.gd_wd { lr = 0.05, wd = 0.1 }, { "x1", "x2", "lr_eff" }, nil, 20, 5)
for j = 1, #rw.t do
  local w2 = rw:column("x1", 1)[j] ^ 2 + rw:column("x2", 1)[j] ^ 2
  H.close(rw:column("lr_eff", 1)[j], 0.05 / ((1 - 0.005) * w2), 1e-14, "gd_wd lr_eff")
end
-- scalar RMSprop: v starts at v0, lr_eff = lr / sqrt(v)
local rs = rec(mf.opt.scalar_rmsprop { lr = 0.01, beta = 0.9, v0 = 4 }, { "v", "lr_eff" }, nil, 10, 1)
H.check(rs:column("v", 1)[1] == 4 and rs:column("lr_eff", 1)[1] == 0.01 / 2, "scalar RMSprop: v_1 = v0")
H.close(rs:column("lr_eff", 1)[11], 0.01 / math.sqrt(rs:column("v", 1)[11]), 1e-15, "scalar RMSprop lr_eff")

-- bad names
H.raises({ "unknown observable 'v1'", "the optimizer's state: v" }, rec, mf.opt.scalar_rmsprop { lr = 1, v0 = 1 }, { "v1" })
H.raises({ "unknown observable 'm1'", "state: buf1..buf2" }, rec, mf.opt.sgd { lr = 0.1 }, { "m1" })
H.raises({ "no momentum to record" }, rec, mf.opt.gd_wd { lr = 0.1, wd = 0 }, { "mnorm" })
H.finish()
