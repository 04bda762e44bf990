-- Counts written as floats (1e6, 1e3, 1e4), as Python and Julia users write them, are accepted
-- wherever a count is taken, in the Lua layer (schema kinds natural/count) and in the C binding
-- (mfl_checkcount); a count with a fraction (1.5) is an error naming the function and option.
local H = dofile(arg[0]:match("(.*/)") .. "harness.lua")

local L = mf.landscape.valley{}
local opt = mf.opt.sgd{lr = 1e-3}

-- mf.run: 1e3 steps, 1e1 seeds, every 1e2 gives the same bits as the integers
local a = mf.run{landscape = L, optimizer = opt, noise = mf.noise.hessian{}, steps = 1e3, seeds = 1e1, every = 1e2, seed = 0.0}
local b = mf.run{landscape = L, optimizer = opt, noise = mf.noise.hessian{}, steps = 1000, seeds = 10, every = 100, seed = 0}
H.check(#a == 11 and a.seeds == 10, "mf.run with float counts: 11 records of 10 seeds")
H.check(math.type(a.steps) == "integer" and a.steps == 1000, "r.steps is the integer 1000")
local same = true
for j = 1, #a do if a:mean("x1")[j] ~= b:mean("x1")[j] then same = false end end
H.check(same, "float counts give the same bits as integer counts")

H.raises({ "mf.run", "option 'steps'", "integer", "1.5" }, mf.run, { landscape = L, optimizer = opt, steps = 1.5 })
H.raises({ "mf.run", "option 'seeds'", "integer", "2.5" }, mf.run, { landscape = L, optimizer = opt, steps = 10, seeds = 2.5 })
H.raises({ "mf.run", "option 'every'" }, mf.run, { landscape = L, optimizer = opt, steps = 10, every = 0.5 })
H.raises({ "mf.run", "option 'steps'" }, mf.run, { landscape = L, optimizer = opt, steps = 0 / 0 })
H.raises({ "mf.run", "option 'steps'" }, mf.run, { landscape = L, optimizer = opt, steps = 1e300 })

-- the C layer itself (no schema in front): the same helper
local core = mf._core
H.raises({ "mf.run", "option 'steps'", "1.5" }, core.run, { landscape = L, optimizer = opt, x0 = { 5, 0 }, record = { "x1" }, steps = 1.5 })
H.raises({ "mf.run", "option 'seeds'", "1.5" }, core.run, { landscape = L, optimizer = opt, x0 = { 5, 0 }, record = { "x1" }, steps = 1, seeds = 1.5 })
H.check(#core.run{ landscape = L, optimizer = opt, x0 = { 5, 0 }, record = { "x1" }, steps = 1e2, every = 1e1, seeds = 2.0 } == 11, "core.run accepts 1e2")
H.raises({ "mf.landscape.uv", "option 'n'", "1.5" }, core.uv, 1.5, 5, "linear", 1, 1, 0)
H.raises({ "mf.analysis.top", "argument 'k'", "1.5" }, core.hessian_top, L, { 1, 0 }, 1.5, 1e-10, 0, 0)

-- the flow
local md = mf.manifold.flow{landscape = L, optimizer = opt, noise = mf.noise.hessian{}}
local sol = md:integrate{x0 = { 5, 0 }, steps = 1e3, every = 1e2, h = 1e0}
H.check(#sol == 11, "flow:integrate with float counts")
H.raises({ "flow:integrate", "option 'steps'", "1.5" }, md.integrate, md, { x0 = { 5, 0 }, steps = 1.5 })

-- landscapes, schedules, analysis, vectors
H.check(mf.landscape.uv{n = 1e1, P = 5.0}.dim == 20, "uv{n = 1e1}")
H.check(mf.landscape.matrix_factorization{m = 3.0, n = 3.0, p = 2.0}.dim == 12, "matrix_factorization with float sizes")
H.raises({ "mf.landscape.uv", "option 'n'", "1.5" }, mf.landscape.uv, { n = 1.5 })
local s = mf.schedule.step{lr = 1, step_size = 1e1, gamma = 0.5}
H.check(s:at(11.0) == 0.5 and s:at(1e1) == 1, "schedule step_size = 1e1 and s:at(11.0)")
H.raises({ "schedule:at", "integer", "1.5" }, s.at, s, 1.5)
local vals = mf.analysis.top(L, { 1, 0 }, 1.0)
H.close(vals[1], 2 * (1 + 1), 1e-9, "top with k = 1.0: 2h(1) = 4")
H.raises({ "mf.analysis.top", "'k'", "1.5" }, mf.analysis.top, L, { 1, 0 }, 1.5)
H.check(#mf.vec(1e3) == 1000, "mf.vec(1e3)")
H.raises({ "mf.vec", "integer", "2.5" }, mf.vec, 2.5)
local v = mf.vec{ 1, 2, 3 }
H.check(v[2.0] == 2, "v[2.0]")
H.check(#a:column("x1", 2.0) == 11 and #a:at("x1", 1e1) == 10, "r:column(name, 2.0), r:at(name, 1e1)")
H.raises({ "result:at", "integer", "1.5" }, a.at, a, "x1", 1.5)

H.finish()
