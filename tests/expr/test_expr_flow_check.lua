-- A manifold flow checks a user's codim at P x0 before integrating, as mf.run does for
-- normal-space noise (mf_landscape_check_manifold): f = (1 + x^2) y^2 in (x, y, w) ignores w,
-- so its minima have codim 1, not 2.
local H = dofile((arg[0]:match("(.*)/") or ".") .. "/../lua/harness.lua")

local function flow(codim)
  local L = mf.landscape.expr { vars = { "x", "y", "w" }, f = "(1 + x^2) * y^2", codim = codim }
  return mf.manifold.flow { landscape = L, optimizer = mf.opt.sgd { lr = 0.01 },
                            noise = mf.noise.hessian { sigma = 1 } }
end

local ok, e = pcall(function() return flow(2):integrate { x0 = { 1, 0.1, 0 }, steps = 10 } end)
H.check(not ok, "codim 2 on a codim-1 loss is refused by integrate")
H.check(tostring(e):find("codim 2 is inconsistent with the minima", 1, true) ~= nil,
        "the message says why: " .. tostring(e))
H.check(tostring(e):find("so M has codim 1 there", 1, true) ~= nil, "and what the Hessian says")

-- the right codim integrates; the SGD flow with Hessian noise drifts x towards 0 (the flatter
-- side of the valley, h = 1 + x^2): x(100) < x(0)
local ok2, r = pcall(function() return flow(1):integrate { x0 = { 1, 0.1, 0 }, steps = 100 } end)
H.check(ok2, "codim 1 integrates: " .. tostring(r))
if ok2 then
  local x = r.x1
  H.check(x[#x] < 1 and x[#x] > 0, ("x moved towards 0: %g"):format(x[#x]))
end
H.finish()
