-- mf.noise.none and mf.noise.minibatch: options, printing, and their effect on runs.
local here = arg[0]:match("(.*)/") or "."
local H = dofile(here .. "/harness.lua")

local L = mf.landscape.valley { a = 1, b = 1 }
local opt = mf.opt.sgd { lr = 0.01 }
local mb = mf.noise.minibatch { B = 4, of = mf.noise.hessian { sigma = 2 } }
H.check(mb.B == 4 and mb.sigma == 2 and mb.name == "hessian", "minibatch keeps the inner model and B")
H.check(tostring(mb):match("^minibatch{B = 4") and tostring(mb):match("of = hessian"), "tostring: " .. tostring(mb))
H.raises({ "mf.noise.minibatch", "option 'B'", ">= 1" }, mf.noise.minibatch, { B = 0.5, of = mf.noise.none {} })
H.raises({ "mf.noise.minibatch", "option 'of'", "noise model" }, mf.noise.minibatch, { B = 2, of = 1 })
H.raises({ "mf.noise.none", "unknown option" }, mf.noise.none, { sigma = 1 })

-- none is what an omitted noise means: identical bits
local base = { landscape = L, optimizer = opt, x0 = { 1, 0.5 }, steps = 200, every = 50, seeds = 3 }
local r1 = mf.run(base)
base.noise = mf.noise.none {}
local r2 = mf.run(base)
H.check(r1:column("x2", 2)[5] == r2:column("x2", 2)[5] and r1:column("x1", 3)[5] == r2:column("x1", 3)[5], "none = no noise")

-- minibatch{B = 4, sigma = 2} is hessian{sigma = 1}: the same normals scaled by the same 1
local a = mf.run { landscape = L, optimizer = opt, noise = mb, x0 = { 1, 0 }, steps = 300, every = 300, seeds = 4, seed = 7 }
local b = mf.run { landscape = L, optimizer = opt, noise = mf.noise.hessian { sigma = 1 }, x0 = { 1, 0 }, steps = 300, every = 300, seeds = 4, seed = 7 }
H.check(a:column("x2", 4)[2] == b:column("x2", 4)[2], "minibatch{B = 4} of sigma 2 is sigma 1")
-- the manifold flow sees the batch: drift / B (Q(20))
local d1 = mf.manifold.flow { landscape = L, optimizer = opt, noise = mf.noise.hessian { sigma = 2 } }:drift { 2, 0 }
local d4 = mf.manifold.flow { landscape = L, optimizer = opt, noise = mb }:drift { 2, 0 }
H.close(d4[1], d1[1] / 4, 1e-15, "flow drift divided by B")
H.raises({ "no manifold drift" }, mf.manifold.flow, { landscape = L, optimizer = opt, noise = mf.noise.none {} })
H.finish()
