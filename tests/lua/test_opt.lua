-- mf.opt and mf.schedule: options and defaults as torch.optim's, errors naming the option,
-- schedules (built-in and Lua functions) reaching the run, optimizer introspection.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

-- defaults as torch.optim's
local a = mf.opt.adam {}
H.check(a.lr == 1e-3 and a.betas[1] == 0.9 and a.betas[2] == 0.999 and a.eps == 1e-8 and a.weight_decay == 0, "Adam defaults")
H.check(mf.opt.adamw {}.weight_decay == 1e-2, "AdamW weight_decay default 1e-2")
local r = mf.opt.rmsprop {}
H.check(r.lr == 1e-2 and r.alpha == 0.99 and r.momentum == 0 and r.centered == false, "RMSprop defaults")
H.check(tostring(a) == "adam{lr = 0.001, betas = {0.9, 0.999}, eps = 1e-08, weight_decay = 0}", "tostring: " .. tostring(a))
H.check(table.concat(a.state_names, ",") == "m,v" and a.name == "adam", "state names")

-- bad input names the option
H.raises({ "mf.opt.sgd", "option 'lr'" }, mf.opt.sgd, { lr = 0 })
H.raises({ "mf.opt.adam", "option 'lr'" }, mf.opt.adam, { lr = -1 })
H.raises({ "mf.opt.momentum", "option 'mu'", "[0, 1)" }, mf.opt.momentum, { lr = 0.1, mu = 1 })
H.raises({ "mf.opt.heavy_ball", "option 'beta'" }, mf.opt.heavy_ball, { lr = 0.1, beta = -0.5 })
H.raises({ "mf.opt.adam", "option 'betas'" }, mf.opt.adam, { betas = { 0.9, 1 } })
H.raises({ "mf.opt.adamw", "option 'betas'" }, mf.opt.adamw, { betas = { -0.1, 0.9 } })
H.raises({ "mf.opt.adam", "option 'eps'" }, mf.opt.adam, { eps = 0 })
H.raises({ "mf.opt.rmsprop", "option 'eps'" }, mf.opt.rmsprop, { eps = -1 })
H.raises({ "mf.opt.scalar_rmsprop", "option 'beta'" }, mf.opt.scalar_rmsprop, { lr = 1, beta = 1, v0 = 1 })
H.raises({ "mf.opt.sgd", "option 'nesterov'" }, mf.opt.sgd, { lr = 0.1, nesterov = true })
H.raises({ "mf.opt.gd_wd", "lr * wd" }, mf.opt.gd_wd, { lr = 0.5, wd = 3 })
H.raises({ "mf.opt.sgd", "unknown option 'mu'" }, mf.opt.sgd, { lr = 0.1, mu = 0.5 })
H.raises({ "mf.opt.sgd", "option 'lr'", "returned string" }, mf.opt.sgd, { lr = function() return "fast" end })
local _, e = pcall(function() mf.opt.adam { eps = 0 } end)
H.check(tostring(e):match("test_opt%.lua:%d+:"), "error position is the caller's: " .. tostring(e))

-- schedules
local cs = mf.schedule.cosine { lr = 0.1, T = 10 }
H.close(cs:at(1), 0.1, 1e-15, "cosine at step 1")
H.close(cs:at(6), 0.05, 1e-15, "cosine at T/2")
H.close(cs:at(11), 0, 1e-15, "cosine at T + 1")
local st = mf.schedule.step { lr = 1, step_size = 5, gamma = 0.5 }
H.check(st:at(5) == 1 and st:at(6) == 0.5 and st:at(11) == 0.25, "step schedule")
local wu = mf.schedule.warmup { steps = 4, lr = 0.2 }
H.close(wu:at(1), 0.05, 1e-15, "warm-up starts at lr/steps")
H.close(wu:at(5), 0.2, 1e-15, "warm-up ends at lr")
local wf = mf.schedule.warmup { steps = 2, lr = function(k) return 1 / k end }
H.close(wf:at(2), 0.75 / 2, 1e-15, "warm-up of a function schedule")
H.raises({ "mf.schedule.step", "option 'step_size'" }, mf.schedule.step, { lr = 1, step_size = 0 })
H.raises({ "mf.schedule.warmup", "option 'start'" }, mf.schedule.warmup, { steps = 3, lr = 1, start = 2 })

-- schedules reach the run: on f = y^2 (h = 1) plain SGD multiplies y by (1 - 2 lr_k) each step
local L = mf.landscape.valley { h = { 1 } }
local function final_y(lr, steps)
  local res = mf.run { landscape = L, optimizer = mf.opt.sgd { lr = lr }, x0 = { 0, 1 }, steps = steps, record = { "x2" } }
  return res.x2[#res.t]
end
local function expect(f, steps)
  local y = 1
  for k = 1, steps do y = y * (1 - 2 * f(k)) end
  return y
end
H.close(final_y(function(k) return 0.01 * k end, 20), expect(function(k) return 0.01 * k end, 20), 1e-14, "function schedule")
H.close(final_y(cs, 20), expect(function(k) return cs:at(k) end, 20), 1e-14, "cosine schedule in a run")
H.close(final_y(wu, 9), expect(function(k) return wu:at(k) end, 9), 1e-14, "warm-up schedule in a run")
H.raises({ "mf.run", "option 'lr'", "returned nil at step 4" }, final_y, function(k) if k < 4 then return 0.1 end end, 10)
H.raises({ "mf.run", "option 'lr'", "step 3" }, final_y, function(k) return k == 3 and -1 or 0.1 end, 10)
H.finish()
