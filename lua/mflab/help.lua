-- mf.help: help(x) for every public function, method, type and module of mflab.
--
-- Where the text comes from:
--   * constructors (anything declared with mflab.schema): the schema itself — its doc line,
--     each option with its kind, default and doc. Nothing to add here when a branch adds a
--     constructor; an entry below may add a formula and an example.
--   * methods and other functions: the table M.entries below, keyed "mf.module.fn" or
--     "type:method", with sig (the call), desc (one line), math (the doc/math.md formula it
--     implements, when there is one) and example (one line).
--   * types (userdata and figures): M.types; modules: M.modules.
-- M.missing() lists public functions that have neither, for the test that walks `mf`.
local schema = require "mflab.schema"

local M = {}

local fmt = string.format

-- One-line descriptions of the modules, in the order help() lists them.
M.modules = {
  { "mf.landscape", "loss landscapes whose minima form a manifold (doc/math.md §1)" },
  { "mf.opt", "optimizers (doc/math.md §3)" },
  { "mf.schedule", "learning-rate schedules for any optimizer's lr (doc/math.md §3)" },
  { "mf.noise", "gradient-noise models (doc/math.md §2)" },
  { "mf.run", "run an ensemble of trajectories; returns a result" },
  { "mf.manifold", "manifold dynamics: the slow flow along the minima (doc/math.md §4)" },
  { "mf.analysis", "Hessian spectra, traces, sharpness, closed forms (also mf.hessian; doc/math.md §4, §7)" },
  { "mf.analysis.fit", "least-squares fits with standard errors (also mf.fit; doc/math.md §7)" },
  { "mf.plot", "figures through gnuplot: lines, bands, contours, heat maps, panels" },
  { "mf.experiment", "an experiment file: parameters, command line, output folder (README: Experiments)" },
  { "mf.export", "write arrays and results: NumPy .npy/.npz, JSON (r:save for results)" },
  { "mf.write_csv", "write named columns to a CSV file" },
  { "mf.ode", "integrate your own ODE dy/dt = f(t, y) with mflab's integrators (RK4, DP45)" },
  { "mf.vec", "vectors of doubles, indexed from 1" },
  { "mf.sweep", "a grid of points x seeds: one result table, CSV/NPZ/JSON, journal and resume (README: Sweeps)" },
  { "mf.parallel", "one loop over points, spread over MPI ranks under mpirun (README: Across machines)" },
  { "mf.help", "this help" },
}

-- Other names of public objects: help and the walker use the canonical name (the value), so
-- help(mf.fit.powerlaw) and help(mf.analysis.fit.powerlaw) say the same, in every run.
M.aliases = { ["mf.hessian"] = "mf.analysis", ["mf.fit"] = "mf.analysis.fit" }

-- Types: what help(value) says for a userdata or a figure, keyed by the short type name.
M.types = {
  landscape = {
    desc = "a loss landscape f: R^d -> R whose minima form a manifold (doc/math.md §1)",
    fields = "L.dim, L.codim (dimension of the normal space), L.name",
    example = "L = mf.landscape.valley{}; print(L:value{1, 2}, L.dim)",
  },
  optimizer = {
    desc = "an optimizer: how a step moves z given the noisy gradient g (doc/math.md §3)",
    fields = "opt.name, opt.lr",
    example = "opt = mf.opt.sgd{lr = 0.01}; print(opt.lr)",
  },
  noise = {
    desc = "a gradient-noise model: the covariance D D^T at the projection Pz (doc/math.md §2)",
    fields = "nz.name, nz.sigma, nz.space (isotropic)",
    example = "nz = mf.noise.hessian{sigma = 2}",
  },
  result = {
    desc = "an ensemble's records: every observable of every trajectory at every record time "
      .. "(or, with keep = 'stats', per-record statistics)",
    fields = "r.t (record steps), #r (records), r.seeds, r.steps, r.names, r.meta, r.metadata; "
      .. "r.<name> for a one-seed result; r.stats, r.kept, r.quantiles (statistics-only runs); "
      .. "r.dropped, r.drop_step (on_nonfinite = 'drop'); r.error, r.fail_step, r.fail_trajectory "
      .. "(a configuration of a batched run that left the reals)",
    example = "r = mf.run{...}; print(r:mean('x1')[#r])",
  },
  flow = {
    desc = "the first-order manifold ODE of an optimizer with noise (doc/math.md §4)",
    fields = "",
    example = "md = mf.manifold.flow{landscape = L, optimizer = opt, noise = nz}",
  },
  vector = {
    desc = "a vector of doubles, indexed from 1; #v, v[i], v[i] = x",
    fields = "#v, v[i]",
    example = "v = mf.vec{1, 2, 3}; v[2] = 5; print(v)",
  },
  sweep = {
    desc = "the result table of mf.sweep: a row per point (S[i] or S.rows[i]) with the parameters, failed, and per output <name>_mean, _std, _stderr, _n, _nonfinite",
    fields = "#S, S[i], S.rows, S.columns, S.params, S.outputs, S.metadata, S.files; S[i].error for a failed point",
    example = "S = mf.sweep{grid = mf.sweep.product{lr = {0.01, 0.1}}, run = f}; p:heatmap(S, {x = 'lr', y = 'mu', z = 'loss_mean'})",
  },
  figure = {
    desc = "a gnuplot figure: add series, then save, show or text",
    fields = "",
    example = "p = mf.plot{title = 'x'}; p:line({1, 2, 3}, {1, 4, 9}); p:show()",
  },
}

-- Metatable names of the types (the userdata's __name) -> short type name.
M.type_of_metaname = {
  ["mflab.landscape"] = "landscape", ["mflab.optimizer"] = "optimizer",
  ["mflab.noise"] = "noise", ["mflab.result"] = "result", ["mflab.flow"] = "flow",
  ["mflab.vector"] = "vector", ["mflab.sweep"] = "sweep", ["mf.plot figure"] = "figure",
}

-- Functions and methods that are not schema constructors (and extra math/examples for
-- constructors). sig, desc, math (optional), example.
M.entries = {
  -- mf.parallel (lua/mflab/parallel.lua; README "Across machines (MPI)")
  ["mf.parallel.map"] = {
    math = "rank 0 hands out indices as ranks ask (dynamic load balancing) and gathers the values; exact serialization, so the root's array is the same bits for any number of ranks",
    example = "v = mf.parallel.map{n = 10, run = function(i) return i^2 end}; if mf.parallel.is_root() then print(v[3]) end",
  },
  ["mf.sweep"] = {
    math = "per output over the seeds' finite values, summed in seed order: mean, std with n - 1, stderr = std / sqrt(n)",
    example = "S = mf.sweep{grid = mf.sweep.product{lr = {0.01, 0.1}, mu = {0, 0.9}}, seeds = 8, out = 'runs/a', run = function(p) return {loss = f(p.lr, p.mu, p.seed)} end}" },
  ["mf.sweep.product"] = { sig = "mf.sweep.product{name = {values...}, ...}",
    desc = "every combination of the lists; the first name (alphabetical, or as listed in {{'lr', {...}}, {'mu', {...}}}) varies slowest",
    example = "g = mf.sweep.product{lr = {1e-3, 1e-2, 1e-1}, mu = {0, 0.9}}" },
  ["mf.sweep.zip"] = { sig = "mf.sweep.zip{name = {values...}, ...}",
    desc = "the i-th point takes the i-th value of every list (lists of equal length)",
    example = "g = mf.sweep.zip{lr = {0.1, 0.05}, B = {8, 4}}" },
  ["mf.sweep.load"] = { sig = "mf.sweep.load(dir)",
    desc = "the result table of a sweep saved in folder dir (sweep.csv, sweep.json), e.g. to redraw without recomputing",
    example = "S = mf.sweep.load('runs/lr_mu'); print(S)" },
  ["sweep:column"] = { sig = "S:column(name)", desc = "one column of the result table, a value per point",
    example = "p:line(S:column('lr'), S:column('loss_mean'))" },
  ["sweep:failures"] = { sig = "S:failures()", desc = "the failed points {point, params, failed, errors}, in point order",
    example = "for _, f in ipairs(S:failures()) do print(f.point, f.errors[1]) end" },
  ["mf.parallel.rank"] = { sig = "mf.parallel.rank()", desc = "this process's MPI rank: 0 on the root, and without MPI",
    example = "print(mf.parallel.rank())" },
  ["mf.parallel.size"] = { sig = "mf.parallel.size()", desc = "number of MPI ranks (1 without MPI or when not started by mpirun/srun)",
    example = "print(mf.parallel.size())" },
  ["mf.parallel.is_root"] = { sig = "mf.parallel.is_root()", desc = "true on rank 0, the rank that writes result files",
    example = "if mf.parallel.is_root() then print('writing') end" },
  ["mf.parallel.available"] = { sig = "mf.parallel.available()", desc = "true when this mflab is built with MPI (CMake option MFLAB_WITH_MPI)",
    example = "print(mf.parallel.available())" },
  ["mf.parallel.require_mpi"] = { sig = "mf.parallel.require_mpi()", desc = "raises an error naming the Debian packages and the CMake option when mflab is built without MPI",
    example = "mf.parallel.require_mpi()" },
  -- constructors: the schema gives signature and options; these add the formula and example
  ["mf.landscape.valley"] = {
    math = "f(x, y) = h(x) y^2, h(x) = a + b x^2 (or h = polynomial coefficients, an expression string in x, a Lua function); H_f = diag(0, 2h) on y = 0",
    example = "L = mf.landscape.valley{a = 1, b = 1}; L4 = mf.landscape.valley{h = '1 + x^2 + 0.1*x^4'}",
  },
  ["mf.landscape.expr"] = {
    math = "f given as a string; gradient, Hessian, H v, Tr H and dH[v] are its exact symbolic derivatives (simplified, common subexpressions shared); indexed variables (vars = {x = 40}: x[1..40]) and finite sums sum(i, lo, hi, expr), expanded when parsed (coordinates: the names in order, then the x = n entries sorted by name); L:set{name = value} changes parameters, L:params() reads them, L:expr_info() gives {nodes, compiled, compile_seconds}. Manifold: codim > 0 projects by the gradient-flow limit; project = {...} gives P z in closed form (one expression per variable); manifold = {...} constraints c(z) = 0 set codim and, without project, P z = the nearest point of {c = 0} (Gauss-Newton); a run with normal-space noise checks codim, P and the constraints at P x0 first (README: Manifolds of expression landscapes)",
    example = "L = mf.landscape.expr{vars = {'x', 'y'}, params = {t = 0.3}, f = '(x*sin(t) + y*cos(t))^2 * (1 + (x*cos(t) - y*sin(t))^2)', codim = 1}; V = mf.landscape.expr{vars = {'x', 'y'}, f = '(1 + x^2) * y^2', manifold = {'y'}, project = {'x', '0'}}; C = mf.landscape.expr{vars = {x = 100}, f = 'sum(i, 1, #x - 1, (x[i]*x[i+1] - 1)^2)'}",
  },
  ["mf.landscape.linreg_bn"] = {
    math = "L(w) = gamma^2 |Xc w/|Xc w| - yc/|yc||^2 = (1/n) sum (gamma (w^T x_i - mu_1)/sigma_1 + beta - y_i)^2 (doc/math.md §1; S §5); GD+WD tends to the min-norm interpolant (S Thm. 5.1)",
    example = "L = mf.landscape.linreg_bn{}; r = mf.run{landscape = L, optimizer = mf.opt.gd_wd{lr = 0.5, wd = 2e-4}, steps = 20000, record = {'loss', 'test_loss', 'eta_eff', 'spherical_sharpness_p', 'dist_minnorm'}}",
  },
  ["mf.landscape.matrix_completion_bn"] = {
    math = "L(U, V) = (1/N) sum_Omega ((gamma/sigma) [U V^T]_ij - M_ij)^2, sigma^2 = (1/N) sum_Omega [U V^T]^2 (doc/math.md §1; S App. P.1)",
    example = "L = mf.landscape.matrix_completion_bn{d = 50, observed = 800}; r = mf.run{landscape = L, optimizer = mf.opt.gd_wd{lr = 0.1, wd = 0.01}, steps = 10000, record = {'loss', 'test_loss', 'spherical_sharpness', 'sv1', 'sv3'}}",
  },
  ["mf.landscape.matrix_sensing"] = {
    math = "L = 1/(dP) sum_i (Tr(A_i U V) - y_i)^2, (A_i)_jk ~ N(0, 1), y_i = Tr(A_i X*); "
      .. "Tr H = 2/(dP) sum_i (|A_i^T V^T|_F^2 + |U^T A_i^T|_F^2); test loss |UV - X*|_F^2 / d",
    example = "L = mf.landscape.matrix_sensing{d = 20, r = 2, P = 200}; print(L:test_loss(L.x0))",
  },
  ["mf.opt.sgd"] = {
    math = "z <- z - lr g with torch's momentum, dampening, Nesterov and weight decay (doc/math.md §3)",
    example = "opt = mf.opt.sgd{lr = 0.001}",
  },
  ["mf.noise.hessian"] = {
    math = "D D^T = (sigma^2/2) H_f(Pz) = sigma^2 A (doc/math.md §2)",
    example = "nz = mf.noise.hessian{sigma = 2}",
  },
  ["mf.noise.isotropic"] = {
    math = "D D^T = sigma^2 P_T (space = 'normal') or sigma^2 I ('full') (doc/math.md §2)",
    example = "nz = mf.noise.isotropic{sigma = 4}",
  },
  ["mf.noise.label"] = {
    math = "y_a -> y_a + eps xi_a every step: g = grad f - 2 w eps J^T xi, D D^T = 2 w eps^2 H_f on the "
      .. "zero-loss manifold (f = w sum_a r_a^2; c = 2w = 1/P for the UV model, F eq. (1), (11))",
    example = "nz = mf.noise.label{eps = 0.1}",
  },
  ["mf.run"] = {
    sig = "mf.run{landscape, optimizer, steps, ...}  or  mf.run{landscape, configs = {{optimizer =, noise =, x0 =}, ...}, steps, ...}",
    math = "z_{k+1} = z_k - lr (grad f(z_k) - D xi_k), xi_k ~ N(0, I), t = k lr (doc/math.md §0)",
    example = "r = mf.run{landscape = L, optimizer = opt, noise = nz, x0 = {5, 0}, steps = 100000, seeds = 64}",
  },
  ["mf.manifold.flow"] = {
    math = "dz/dt = -sum_ij V_ij grad_M A_ij, A V + V A = lr D22 D22^T / 2 (Q(12)); "
      .. "Hessian noise: dz/dt = -(lr sigma^2/4) grad_M Tr A (Q(13)); "
      .. "isotropic normal: -(lr sigma^2/4) grad_M Tr log A (Q(14)); "
      .. "heavy_ball{lr, beta} with label{eps}: per iteration -eps^2 lr^2/(4 (1-beta)^2) P_L grad Tr(c H_f), "
      .. "c = 2w (F(7) with beta = 1 - C lr^gamma)",
    example = "md = mf.manifold.flow{landscape = L, optimizer = opt, noise = nz}",
  },
  ["flow:integrate"] = {
    math = "classical RK4 with dt = lr per iteration, projected back onto the manifold",
    example = "sol = md:integrate{x0 = {5, 0}, steps = 800000, every = 1000}; print(sol.x1[#sol])",
  },

  -- analysis (mf.analysis, also mf.hessian and mf.fit)
  ["mf.analysis.top"] = {
    sig = "mf.analysis.top(L, z, k [, {tol, maxiter, seed}])",
    math = "Lanczos with full reorthogonalization on Hessian-vector products; stops when |beta_m s_mi| <= tol |theta_i|",
    example = "vals, vecs, n = mf.analysis.top(L, {2, 0.5}, 1)",
  },
  ["mf.analysis.trace"] = {
    sig = "mf.analysis.trace(L, z [, {method, tol, max_samples, seed}])",
    math = "exact: sum_i H_ii; hutchinson: mean of v^T H v over Rademacher v, with its standard error",
    example = "t, se = mf.analysis.trace(L, z, {method = 'hutchinson', tol = 1e-3})",
  },
  ["mf.analysis.spherical_sharpness"] = {
    sig = "mf.analysis.spherical_sharpness(L, w)",
    desc = "lambda_1 of the Hessian at w/|w| for a scale-invariant landscape (an error otherwise)",
    math = "lambda_1(H(w/|w|)) = |w|^2 lambda_1(H(w)) (sharpness paper Q.3)",
    example = "s = mf.analysis.spherical_sharpness(L, w)",
  },
  ["mf.analysis.distance_to_manifold"] = {
    sig = "mf.analysis.distance_to_manifold(L, z)",
    desc = "the distance from z to its projection onto the manifold of minima",
    math = "|z - P(z)|",
    example = "d = mf.analysis.distance_to_manifold(L, {3, 0.1})",
  },
  ["mf.analysis.fit.exp_timescale"] = {
    sig = "mf.fit.exp_timescale(t, y)",
    desc = "fits y = a exp(-t/T) on log y; returns {T, se_T, a, se_a, rate, se_rate, rss, n}",
    math = "log y = log a - t/T, least squares; standard errors from s^2 (J^T J)^-1",
    example = "f = mf.fit.exp_timescale(r.t, r:mean('loss')); print(f.T, f.se_T)",
  },
  ["mf.analysis.fit.powerlaw"] = {
    sig = "mf.fit.powerlaw(x, y)",
    desc = "fits y = c x^exponent on log-log axes; returns {exponent, se_exponent, c, se_c, rss, n}",
    math = "log y = log c + exponent log x",
    example = "p = mf.fit.powerlaw(etas, timescales); print(p.exponent)",
  },
  ["mf.analysis.fit.vee"] = {
    sig = "mf.fit.vee(x, y)",
    desc = "fits the two-slope model and returns the optimum {x_opt, se_x_opt, a_max, a1, a2, ...}",
    math = "y = a_max + a1 (x - x*) for x <= x*, a_max + a2 (x - x*) for x >= x* (Flatter-faster eq. (14))",
    example = "v = mf.fit.vee(betas, accuracies); print(v.x_opt, v.se_x_opt)",
  },
  ["mf.analysis.hb_spectrum"] = {
    math = "kappa_pm = (1 + beta - eta lambda +- sqrt((1 + beta - eta lambda)^2 - 4 beta))/2 (Flatter-faster App. E)",
    example = "kp, km = mf.analysis.hb_spectrum{lr = 0.1, beta = 0.9, lambda = 1}; print(kp.abs)",
  },
  ["mf.analysis.ou_variance"] = {
    math = "eta^2 eps^2 Lambda (1+beta) / ((1-beta) eta lambda (2(1+beta) - eta lambda)): F(168)-(170) solved; F(171) as printed lacks (1+beta)",
    example = "v = mf.analysis.ou_variance{lr = 0.1, beta = 0.9, lambda = 2, eps = 0.3}",
  },
  ["mf.analysis.uv_timescales"] = {
    math = "tau1 = 2/(C eta^gamma); tau2^-1 = eta^(2-2gamma) eps^2 mu2/(2 n P C^2); C* = (eps^2 mu2/(P n))^(1/3) (F(9), F(10))",
    example = "t = mf.analysis.uv_timescales{lr = 1e-3, gamma = 2/3, C = 0.2, eps = 0.5, mu2 = 1, P = 5}",
  },
  ["mf.analysis.uv_mu2"] = {
    sig = "mf.analysis.uv_mu2(L) -> mu2",
    desc = "the data variance mu_2 = tr Sigma = (1/P) sum_a |x_a|^2 of a uv landscape's inputs L.X (Flatter-faster §3.4)",
    example = "print(mf.analysis.uv_mu2(mf.landscape.uv{n = 10, P = 5}))",
  },
  ["mf.analysis.uv_cstar"] = {
    sig = "mf.analysis.uv_cstar(L, eps) -> C_star, mu2, P, n",
    desc = "the optimal C* of beta = 1 - C eta^(2/3) for label noise eps on the data a uv landscape drew",
    math = "C* = (eps^2 mu_2/(P n))^(1/3) (Flatter-faster eq. (10))",
    example = "print(mf.analysis.uv_cstar(mf.landscape.uv{n = 10, P = 5}, 0.5))",
  },
  ["mf.analysis.sensing_cstar"] = {
    math = "C^3 = 2 eps^2 <a^2>/(d P), beta* = 1 - C eta^(2/3) (Flatter-faster App. D eq. (131); the paper measures C P^(1/3) ~ 0.24)",
    example = "s = mf.analysis.sensing_cstar{lr = 0.1, eps = math.sqrt(0.1), d = 100, P = 2500}; print(s.beta)",
  },
  ["mf.ode.integrate"] = {
    example = "sol = mf.ode.integrate{rhs = function(t, y) return {y[2], -y[1]} end, y0 = {1, 0}, t1 = 6.28}; print(sol.y1[#sol.t])",
  },
  ["mf.analysis.factors"] = {
    math = "s = eta^2/(B (1-mu)^2), r = eta/(B (1-mu)) (quasistatic §4)",
    example = "s, r = mf.analysis.factors{lr = 0.1, mu = 0.9, B = 1}",
  },

  ["mf.schedule.is_schedule"] = {
    sig = "mf.schedule.is_schedule(v)",
    desc = "true if v is a learning-rate schedule made by mf.schedule.*",
    example = "print(mf.schedule.is_schedule(mf.schedule.cosine{lr = 0.1, T = 1000}))",
  },

  ["mf.experiment"] = {
    example = "E = mf.experiment{name = 'demo', params = {{name = 'lr', default = 1e-3, kind = 'number', doc = 'learning rate'}}, run = function(p) return {lr = p.lr} end}; return E:main(...)",
  },

  -- functions
  ["mf.vec"] = {
    sig = "mf.vec{x1, x2, ...} | mf.vec(n)",
    desc = "a vector of doubles from a table, or n zeros. Result accessors (r:mean, r:std, r:var, r:column, r:at, r:min, r:max, r:quantile, r.t) return vectors. Arithmetic + - * / ^ % and unary minus work element-wise with numbers and vectors of equal length; v .. w joins; == compares every entry; #v, v[i] (nil past the end, so ipairs works), pairs; methods: help('vector') lists them (math functions, sum mean var std min max argmin argmax dot norm cumsum, slice, masks lt le gt ge with select, map, format, totable)",
    example = "m = r:mean('loss'); print((m - r:std('loss')):max(), m:slice(-10):mean(), m:argmin())",
  },
  ["mf.write_csv"] = {
    sig = "mf.write_csv(path, names, columns [, meta])",
    desc = "writes equal-length columns as CSV (17 significant digits), meta as a '# ' line",
    example = "mf.write_csv('xy.csv', {'x', 'y'}, {{1, 2}, {3, 4}}, 'my data')",
  },
  ["mf.help"] = {
    sig = "help([x])",
    desc = "help for a function, method, type, module or name; help() lists the modules",
    example = "help(mf.opt.sgd); help('result:mean'); help(r)",
  },
  -- export
  ["mf.export.npy"] = {
    sig = "mf.export.npy(path, array)",
    desc = "a float64 .npy file of a 1-D array (numbers) or a 2-D one (equal-length rows)",
    example = "mf.export.npy('h.npy', L:hess{1, 0})",
  },
  ["mf.export.npz"] = {
    sig = "mf.export.npz(path, {name = array, ...})",
    desc = "several named 1-D or 2-D arrays in one .npz file (numpy.load(path)[name])",
    example = "mf.export.npz('xy.npz', {t = r.t, x = r:mean('x1')})",
  },
  ["mf.export.json"] = {
    sig = "mf.export.json(value)",
    desc = "the JSON text of a Lua value (objects with sorted keys, numbers with 17 digits)",
    example = "print(mf.export.json(r.metadata))",
  },
  ["mf.export.write_json"] = {
    sig = "mf.export.write_json(path, value)",
    desc = "a value as a JSON file",
    example = "mf.export.write_json('params.json', {lr = 0.01, seeds = 256})",
  },
  ["mf.export.metadata_path"] = {
    sig = "mf.export.metadata_path(path)",
    desc = "where a data file's metadata goes: path .. '.json' (run.npy -> run.npy.json)",
    example = "print(mf.export.metadata_path('run.npz'))",
  },
  ["mf.export.result_metadata"] = {
    sig = "mf.export.result_metadata(r, file, kind)",
    desc = "the table r:save writes as JSON beside a result's data file",
    example = "print(mf.export.json(mf.export.result_metadata(r, 'run.npz', 'npz')))",
  },

  -- landscape methods
  ["landscape:value"] = {
    sig = "L:value(z)", desc = "the loss f(z) at a point (a table or a vector)",
    example = "print(L:value{2, 3})  -- valley: h(2) * 9 = 45",
  },
  ["landscape:grad"] = {
    sig = "L:grad(z)", desc = "the gradient of f at z, as a table",
    example = "print(L:grad{2, 3})",
  },
  ["landscape:hess"] = {
    sig = "L:hess(z)", desc = "the Hessian H_f at z, as a table of rows",
    math = "valley on y = 0: H_f = diag(0, 2 h(x)) (doc/math.md §1)",
    example = "print(L:hess{1, 0})",
  },
  ["landscape:project"] = {
    sig = "L:project(z)", desc = "the projection Pz onto the manifold of minima",
    example = "print(L:project{2, 3})  -- valley: {2, 0}",
  },
  ["landscape:set"] = {
    sig = "L:set{name = value, ...}", desc = "sets parameters of an expression landscape (mf.landscape.expr) between runs, without rebuilding it; all names and values are checked before any changes; returns L",
    example = "L = mf.landscape.expr{vars = {'x', 'y'}, params = {t = 0.3}, f = '(1 + t*x^2) * y^2'}; L:set{t = 0.5}",
  },
  ["landscape:params"] = {
    sig = "L:params()", desc = "the parameters of an expression landscape with their current values, {name = value, ...}",
    example = "print(L:params().t)",
  },
  ["landscape:expr_info"] = {
    sig = "L:expr_info()", desc = "an expression landscape's build: {nodes = DAG nodes (derivatives included), compiled = true when its programs run as libtcc machine code on single points, compile_seconds}",
    example = "print(L:expr_info().compiled)",
  },
  ["landscape:hvp"] = {
    sig = "L:hvp(z, v)", desc = "the Hessian-vector product H_f(z) v, as a table (analytic where the landscape has one)",
    example = "print(L:hvp({2, 3}, {1, 0}))",
  },
  ["landscape:trace_hessian"] = {
    sig = "L:trace_hessian(z)", desc = "Tr H_f(z)",
    math = "matrix factorization on M: 2(m |V|^2 + n |U|^2); UV (linear): (mu2/n)(|u|^2 + |v|^2) (doc/math.md §1)",
    example = "print(L:trace_hessian{1, 0})  -- valley: 2 h(1) = 4",
  },
  ["landscape:tangent"] = {
    sig = "L:tangent(z)", desc = "an orthonormal basis of the tangent space of the manifold at the manifold point z (a table of vectors)",
    example = "T = L:tangent{2, 0}; print(T[1])",
  },
  ["landscape:test_loss"] = {
    sig = "L:test_loss(z)", desc = "the test loss where the landscape defines one (matrix sensing, completion, linear regression)",
    math = "matrix sensing: |UV - X*|_F^2 / d (F(13))",
    example = "print(L:test_loss(L.x0))",
  },

  -- result methods
  ["result:mean"] = {
    sig = "r:mean(name)", desc = "ensemble mean of an observable at every record (a table)",
    example = "m = r:mean('x1'); print(m[#m])",
  },
  ["result:var"] = {
    sig = "r:var(name)", desc = "unbiased ensemble variance (n - 1) at every record",
    example = "print(r:var('x1')[#r])",
  },
  ["result:std"] = {
    sig = "r:std(name)", desc = "ensemble standard deviation (sqrt of r:var) at every record",
    example = "print(r:std('loss')[#r])",
  },
  ["result:min"] = {
    sig = "r:min(name)", desc = "smallest value over the live trajectories at every record (statistics-only results, keep = 'stats')",
    example = "p:band(r.t, r:min('x1'), r:max('x1'))",
  },
  ["result:max"] = {
    sig = "r:max(name)", desc = "largest value over the live trajectories at every record (statistics-only results)",
    example = "print(r:max('loss')[#r])",
  },
  ["result:quantile"] = {
    sig = "r:quantile(name, p)", desc = "quantile p (one of mf.run's option quantiles) at every record, from a histogram "
      .. "of 512 bins per record (statistics-only results; README 'Batched configurations, divergence and statistics-only runs')",
    example = "p:band(r.t, r:quantile('x1', 0.05), r:quantile('x1', 0.95))",
  },
  ["result:alive"] = {
    sig = "r:alive([j])", desc = "trajectories still finite at record j (a number), or at every record (a table); "
      .. "with on_nonfinite = 'drop' the dropped ones are in r.dropped, their steps in r.drop_step",
    example = "print(r:alive(#r), #r.dropped)",
  },
  ["result:column"] = {
    sig = "r:column(name [, seed])", desc = "one trajectory's series of an observable (seed 1-based)",
    example = "p:line(r.t, r:column('x1', 3))",
  },
  ["result:at"] = {
    sig = "r:at(name, j)", desc = "the values of every trajectory at record j",
    example = "xs = r:at('x1', #r)",
  },
  ["result:save"] = {
    sig = "r:save(path [, layout | {layout =, json =}])",
    desc = "writes by extension: .csv (layout 'summary' or 'long'), .npz (t and one array per "
      .. "name), .npy (seeds x records x names); JSON metadata beside (default for .npy/.npz)",
    example = "r:save('run.npz')  -- python: numpy.load('run.npz')['x1'].mean(axis=0)",
  },

  -- flow methods
  ["flow:drift"] = {
    sig = "md:drift(z)", desc = "the manifold drift dz/dt at the manifold point z",
    math = "dz/dt = -sum_ij V_ij grad_M A_ij (Q(12)); per iteration: md:dt() * md:drift(z)",
    example = "print(md:drift{2, 0})",
  },
  ["flow:dt"] = {
    sig = "md:dt()", desc = "the flow's time per optimizer iteration: lr (sgd, momentum, heavy_ball), lr^2 (adam), lr * wd (gd_wd)",
    math = "t = k lr (doc/math.md §0); Adam t = k lr^2 (Q(24)); sharpness flow tau = k lr wd (S(3))",
    example = "step = md:dt(); d = md:drift(z)  -- per iteration: step * d[i]",
  },

  -- vector methods
  ["vector:totable"] = {
    sig = "v:totable()", desc = "a plain Lua table with the vector's entries",
    example = "t = mf.vec{1, 2}:totable()",
  },
  ["vector:copy"] = {
    sig = "v:copy()", desc = "a new vector with the same entries",
    example = "w = v:copy(); w[1] = 0",
  },
  ["vector:slice"] = {
    sig = "v:slice(i [, j])", desc = "entries i..j inclusive as a new vector; negative indices count from the end (-1 is the last), j defaults to the end",
    example = "tail = r:mean('loss'):slice(-10)",
  },
  ["vector:abs"] = {
    sig = "v:abs()", desc = "element-wise |x| as a new vector",
    example = "print(v:abs())",
  },
  ["vector:sqrt"] = {
    sig = "v:sqrt()", desc = "element-wise square root",
    example = "print(r:var('x1'):sqrt())",
  },
  ["vector:exp"] = {
    sig = "v:exp()", desc = "element-wise e^x",
    example = "print((-r.t / 100):exp())",
  },
  ["vector:log"] = {
    sig = "v:log()", desc = "element-wise natural logarithm (NaN below 0, -inf at 0, as in C)",
    example = "print(r:mean('loss'):log())",
  },
  ["vector:log10"] = {
    sig = "v:log10()", desc = "element-wise base-10 logarithm",
    example = "print(r:mean('loss'):log10())",
  },
  ["vector:sin"] = {
    sig = "v:sin()", desc = "element-wise sine",
    example = "print(v:sin())",
  },
  ["vector:cos"] = {
    sig = "v:cos()", desc = "element-wise cosine",
    example = "print(v:cos())",
  },
  ["vector:tan"] = {
    sig = "v:tan()", desc = "element-wise tangent",
    example = "print(v:tan())",
  },
  ["vector:tanh"] = {
    sig = "v:tanh()", desc = "element-wise hyperbolic tangent",
    example = "print(v:tanh())",
  },
  ["vector:floor"] = {
    sig = "v:floor()", desc = "element-wise floor",
    example = "print(v:floor())",
  },
  ["vector:ceil"] = {
    sig = "v:ceil()", desc = "element-wise ceiling",
    example = "print(v:ceil())",
  },
  ["vector:clamp"] = {
    sig = "v:clamp(lo [, hi])", desc = "entries limited to [lo, hi] (either bound may be nil)",
    example = "print(v:clamp(0, 1))",
  },
  ["vector:map"] = {
    sig = "v:map(f)", desc = "f(x) for every entry as a new vector (one Lua call per entry: use the built-in functions and arithmetic where they do)",
    example = "print(v:map(function(x) return x > 0 and x or 0 end))",
  },
  ["vector:sum"] = {
    sig = "v:sum()", desc = "the sum of the entries (NaN if any is NaN, as NumPy's sum)",
    example = "print(v:sum())",
  },
  ["vector:mean"] = {
    sig = "v:mean()", desc = "the mean of the entries (NaN for an empty vector)",
    example = "print(r:mean('loss'):slice(-10):mean())",
  },
  ["vector:var"] = {
    sig = "v:var([ddof])", desc = "the variance, dividing by n - ddof (ddof = 0 as NumPy's var; 1 for the unbiased estimate)",
    example = "print(v:var(1))",
  },
  ["vector:std"] = {
    sig = "v:std([ddof])", desc = "the standard deviation, sqrt(v:var(ddof))",
    example = "print(v:std())",
  },
  ["vector:min"] = {
    sig = "v:min()", desc = "the least entry, NaN skipped (NumPy's nanmin); an error for an empty vector",
    example = "print(r:mean('loss'):min())",
  },
  ["vector:max"] = {
    sig = "v:max()", desc = "the greatest entry, NaN skipped (NumPy's nanmax)",
    example = "print(v:max())",
  },
  ["vector:argmin"] = {
    sig = "v:argmin()", desc = "the index (from 1) of the least entry, NaN skipped",
    example = "j = r:mean('loss'):argmin(); print(r.t[j])",
  },
  ["vector:argmax"] = {
    sig = "v:argmax()", desc = "the index (from 1) of the greatest entry, NaN skipped",
    example = "print(v:argmax())",
  },
  ["vector:dot"] = {
    sig = "v:dot(w)", desc = "the inner product of two vectors of equal length",
    example = "print(v:dot(v))",
  },
  ["vector:norm"] = {
    sig = "v:norm()", desc = "the Euclidean norm sqrt(v:dot(v))",
    example = "print(v:norm())",
  },
  ["vector:cumsum"] = {
    sig = "v:cumsum()", desc = "running sums as a new vector",
    example = "print(mf.vec{1, 2, 3}:cumsum())  -- vec{1, 3, 6}",
  },
  ["vector:lt"] = {
    sig = "v:lt(x)", desc = "a mask: 1 where v[i] < x (x a number or a vector), else 0; NaN compares false",
    example = "print(v:select(v:lt(0.5)))",
  },
  ["vector:le"] = {
    sig = "v:le(x)", desc = "a mask: 1 where v[i] <= x, else 0",
    example = "print(v:le(0):sum())  -- how many entries are <= 0",
  },
  ["vector:gt"] = {
    sig = "v:gt(x)", desc = "a mask: 1 where v[i] > x, else 0",
    example = "print(v:gt(0):sum())",
  },
  ["vector:ge"] = {
    sig = "v:ge(x)", desc = "a mask: 1 where v[i] >= x, else 0",
    example = "print(v:ge(1))",
  },
  ["vector:select"] = {
    sig = "v:select(mask)", desc = "the entries where mask (a vector of the same length) is nonzero",
    example = "late = r:mean('x1'):select(r.t:gt(500))",
  },
  ["vector:format"] = {
    sig = "v:format([fmt])", desc = "every entry through string.format (default '%.17g', exact) as '{a, b, ...}'",
    example = "print(v:format('%.3e'))",
  },

  -- plotting
  ["mf.plot"] = {
    sig = "mf.plot{title, xlabel, ylabel, logx, logy, xrange, yrange, size, layout, key, enhanced}",
    desc = "a new figure (see help('figure') and lua/mflab/plot.lua for every option)",
    example = "p = mf.plot{title = 'x along the valley', xlabel = 'step', logy = true}",
  },
  ["mf.plot.new"] = { sig = "mf.plot.new(opts)", desc = "the same as mf.plot(opts)", example = "p = mf.plot.new{}" },
  ["mf.plot.available"] = {
    sig = "mf.plot.available()", desc = "true, 'gnuplot <version>' if gnuplot runs, else false, why",
    example = "print(mf.plot.available())",
  },
  ["mf.plot.raw"] = {
    sig = "mf.plot.raw(p, cmd)", desc = "the same as p:set(cmd): a raw gnuplot command",
    example = "mf.plot.raw(p, 'set grid')",
  },
  ["figure:line"] = {
    sig = "p:line(x, y [, {title, width, color, dash}])", desc = "a line through the points (x[i], y[i])",
    example = "p:line(r.t, r:mean('x1'), {title = 'mean'})",
  },
  ["figure:points"] = {
    sig = "p:points(x, y [, {title, size, color, marker}])", desc = "a scatter plot",
    example = "p:points(r:at('x1', #r), r:at('x2', #r))",
  },
  ["figure:band"] = {
    sig = "p:band(x, lo, hi [, {title, color, alpha}]) | p:band(r, name [, {title, color, alpha, k, quantiles}])",
    desc = "a shaded band between lo and hi; from a result r: mean ± k std over r.t, or between two quantiles over the seeds",
    example = "p:band(r, 'x1'); p:band(r, 'x1', {quantiles = {0.1, 0.9}}); p:line(r.t, r:mean('x1'))",
  },
  ["figure:contour"] = {
    sig = "p:contour(f [, {xrange, yrange, n, levels, logscale, color, width}])",
    desc = "contour lines of f(x, y) on an n x n grid",
    example = "p:contour(function(x, y) return L:value{x, y} end, {xrange = {-3, 3}, yrange = {-1, 1}})",
  },
  ["figure:heatmap"] = {
    sig = "p:heatmap(f | {x =, y =, z =} | rows [, {xrange, yrange, n, x, y, z, logscale, title}])",
    desc = "a colour map of f(x, y), of a grid z[j][i] at (x[i], y[j]), or of sweep rows {x=, y=, z=}",
    example = "p:heatmap(function(x, y) return L:value{x, y} end, {xrange = {-3, 3}, yrange = {-1, 1}})",
  },
  ["figure:panel"] = {
    sig = "p:panel(i [, {title, xlabel, ylabel, logx, logy, xrange, yrange, key}])",
    desc = "selects panel i of a layout (row-major) and sets its options",
    example = "p = mf.plot{layout = {1, 2}}; p:panel(2, {title = 'right'})",
  },
  ["figure:set"] = {
    sig = "p:set(cmd)", desc = "a raw gnuplot command before the current panel's plot (escape hatch)",
    example = "p:set('set grid')",
  },
  ["figure:save"] = {
    sig = "p:save(path [, {timeout}])",
    desc = "writes .png, .svg, .pdf or .txt whole or not at all (checked, fsync'd, renamed); gnuplot is stopped after timeout s (mf.plot.timeout, 120)",
    example = "mf.plot{size = {1200, 800}}:line({1, 2}, {3, 4}):save('a.png')",
  },
  ["figure:show"] = {
    sig = "p:show()", desc = "a window when DISPLAY is set (the same one at every call, not raised), else a text plot",
    example = "for i = 1, 10 do p:line(...); p:show() end  -- one window, updated",
  },
  ["figure:text"] = {
    sig = "p:text([cols, rows])", desc = "the figure as text (gnuplot dumb terminal)",
    example = "print(p:text(80, 24))",
  },
  ["figure:close"] = {
    sig = "p:close()", desc = "ends the window's gnuplot process (the window stays until closed by hand)",
    example = "p:close()",
  },
}

------------------------------------------------------------------------------
-- finding names
------------------------------------------------------------------------------

local function is_callable(v)
  if type(v) == "function" then return true end
  local mt = getmetatable(v)
  return type(v) == "table" and type(mt) == "table" and mt.__call ~= nil
end

-- Tables under mf that are not part of the public API (their functions need no help). Names
-- starting with "_" (mf._core, mf._schema) are private too.
local PRIVATE = { ["mf.plot.Figure"] = true }

local function sorted_string_keys(t)
  local keys = {}
  for k in pairs(t) do
    if type(k) == "string" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  return keys
end

local function core() return require "mflab.core" end

-- Calls fn(name, value, is_module) for every public object reachable from mf, once each, by
-- its canonical name, in a fixed order: module functions ("mf.opt.sgd") and module tables
-- ("mf.analysis"), then methods of userdata types ("result:mean") and of figures
-- ("figure:line"). Aliases (M.aliases), names starting with "_" and metamethods are skipped.
local function walk_public(mf, fn)
  local seen = {}
  local function walk(t, prefix)
    if seen[t] then return end
    seen[t] = true
    for _, k in ipairs(sorted_string_keys(t)) do
      local v, name = t[k], prefix .. "." .. k
      if k:sub(1, 1) ~= "_" and not PRIVATE[name] and not M.aliases[name] then
        if is_callable(v) then fn(name, v, false) end
        if type(v) == "table" then
          if not is_callable(v) and not seen[v] then fn(name, v, true) end
          walk(v, name)
        end
      end
    end
  end
  walk(mf, "mf")
  local function methods(tname, tbl)
    for _, k in ipairs(sorted_string_keys(tbl)) do
      if k:sub(1, 1) ~= "_" and type(tbl[k]) == "function" then fn(tname .. ":" .. k, tbl[k], false) end
    end
  end
  local cm = core().methods
  for _, tname in ipairs(sorted_string_keys(cm)) do methods(tname, cm[tname]) end
  if mf.plot and mf.plot.Figure then methods("figure", mf.plot.Figure) end
end

-- Calls fn(name, value) for every public function (see walk_public).
function M.each_public(mf, fn)
  walk_public(mf, function(name, v, is_module) if not is_module then fn(name, v) end end)
end

local function mflab() return require "mflab" end

-- The canonical name of every public value: the first name walk_public gives it.
local function index()
  local names = {}
  walk_public(mflab(), function(name, v) if names[v] == nil then names[v] = name end end)
  return names
end

-- A name with an alias prefix ("mf.fit.powerlaw") in its canonical form.
local function canonical(name)
  for alias, target in pairs(M.aliases) do
    if name == alias or name:sub(1, #alias + 1) == alias .. "." then
      return target .. name:sub(#alias + 1)
    end
  end
  return name
end

-- The value at a dotted name under mf ("mf.analysis.fit"), or nil.
local function value_at(name)
  if name == "mf" then return mflab() end
  if name:sub(1, 3) ~= "mf." then return nil end
  local v = mflab()
  for part in name:sub(4):gmatch("[^.]+") do
    if type(v) ~= "table" then return nil end
    v = rawget(v, part)
  end
  return v
end

-- The schema that checks a function's options: declared under its canonical name or, for
-- figure methods, under plot's own names ("mf.plot:line").
local function schema_of(name)
  local s = schema.all[name]
  if s then return s end
  local meth = name:match("^figure:(.*)$")
  if meth then return schema.all["mf.plot:" .. meth] or schema.all["p:" .. meth] end
  return nil
end

-- name -> entry with whatever is known: schema, entry, or nil
local function lookup(name)
  local s, e = schema_of(name), M.entries[name]
  if s or (e and e.desc) then return { name = name, schema = s, entry = e or {} } end
  return nil
end

-- Public names (sorted) that have no help: neither a schema nor an entry with a description.
function M.missing()
  local out = {}
  M.each_public(mflab(), function(name)
    if not lookup(name) then out[#out + 1] = name end
  end)
  table.sort(out)
  return out
end

------------------------------------------------------------------------------
-- formatting
------------------------------------------------------------------------------

local function show_default(v)
  if type(v) == "string" then return fmt("%q", v) end
  if type(v) == "table" then return "{...}" end
  return tostring(v)
end

local EXAMPLE_VALUES = {
  landscape = "L", optimizer = "opt", noise = "nz", point = "{5, 0}", natural = "1000",
  count = "100", positive = "0.01", nonnegative = "1", number = "0", string = '"..."',
  boolean = "true", names = '{"x", "loss"}', coefficients = "{1, 0, 1}",
}

-- A one-line example from the schema's required options.
local function auto_example(s)
  local parts = {}
  for _, o in ipairs(s.options) do
    if o.required then parts[#parts + 1] = o.name .. " = " .. (EXAMPLE_VALUES[o.kind] or "...") end
  end
  if s.fname:find(":", 1, true) then
    return "x:" .. s.fname:match(":(.*)$") .. "{" .. table.concat(parts, ", ") .. "}"
  end
  return s.fname .. "{" .. table.concat(parts, ", ") .. "}"
end

local function wrap_lines(out, label, text)
  out[#out + 1] = fmt("  %-9s%s", label, text)
end

-- A signature's options list ("p:line(x, y [, {title, width}])") as the schema declares it,
-- so help cannot advertise an option the function rejects.
local function derived_sig(sig, s)
  if not sig then return nil end
  local names = {}
  for _, o in ipairs(s.options) do names[#names + 1] = o.name end
  return (sig:gsub("%[, {[^}]*}%]", function() return "[, {" .. table.concat(names, ", ") .. "}]" end))
end

local function format_entry(it)
  local s, e, out = it.schema, it.entry, {}
  if s then
    local req = {}
    for _, o in ipairs(s.options) do
      if o.required then req[#req + 1] = o.name end
    end
    out[#out + 1] = derived_sig(e.sig, s) or (s.fname .. "{" .. table.concat(req, ", ") .. (#req < #s.options and (#req > 0 and ", " or "") .. "..." or "") .. "}")
    if s.doc or e.desc then out[#out + 1] = "  " .. (e.desc or s.doc) end
    if #s.options > 0 then
      out[#out + 1] = "  options:"
      local w = 0
      for _, o in ipairs(s.options) do w = math.max(w, #o.name) end
      for _, o in ipairs(s.options) do
        local d = o.required and "required" or (o.default ~= nil and ("default " .. show_default(o.default)) or "optional")
        local one = o.one_of and (" one of " .. table.concat((function()
          local q = {}
          for i, v in ipairs(o.one_of) do q[i] = show_default(v) end
          return q
        end)(), ", ")) or ""
        out[#out + 1] = fmt("    %-" .. w .. "s  %s (%s)%s: %s", o.name, o.kind, d, one, o.doc or "")
      end
    end
    if e.math or (s.doc and s.doc:find("doc/math.md", 1, true) and not e.desc) then
      wrap_lines(out, "math:", e.math or s.doc)
    end
    wrap_lines(out, "example:", e.example or auto_example(s))
  else
    out[#out + 1] = e.sig or it.name
    out[#out + 1] = "  " .. e.desc
    if e.math then wrap_lines(out, "math:", e.math) end
    if e.example then wrap_lines(out, "example:", e.example) end
  end
  return table.concat(out, "\n")
end

-- Names of the public functions and submodules in a module table, with their one-line
-- descriptions.
local function format_module(name)
  local out = { name .. ": " .. (function()
    for _, m in ipairs(M.modules) do if m[1] == name then return m[2] end end
    return "module"
  end)() }
  local rows = {}
  walk_public(mflab(), function(n, _, is_module)
    if n:sub(1, #name + 1) == name .. "." and not n:find(".", #name + 2, true) then
      local desc
      if is_module then
        desc = "module"
        for _, m in ipairs(M.modules) do if m[1] == n then desc = m[2] end end
      else
        local it = lookup(n)
        desc = it and (it.entry.desc or (it.schema and it.schema.doc)) or "(no help yet)"
      end
      rows[#rows + 1] = { n, desc }
    end
  end)
  for _, r in ipairs(rows) do out[#out + 1] = fmt("  %-24s %s", r[1], r[2]) end
  out[#out + 1] = "help(" .. (rows[1] and rows[1][1] or name) .. ") for details"
  return table.concat(out, "\n")
end

local function format_type(tname)
  local t = M.types[tname]
  local out = { tname .. ": " .. t.desc }
  if t.fields ~= "" then out[#out + 1] = "  fields:  " .. t.fields end
  local rows = {}
  for name, e in pairs(M.entries) do
    if name:sub(1, #tname + 1) == tname .. ":" and e.desc then rows[#rows + 1] = { e.sig or name, e.desc } end
  end
  for name, s in pairs(schema.all) do
    if name:sub(1, #tname + 1) == tname .. ":" and not (M.entries[name] and M.entries[name].desc) then
      rows[#rows + 1] = { name, s.doc or "" }
    end
  end
  table.sort(rows, function(a, b) return a[1] < b[1] end)
  if #rows > 0 then
    out[#out + 1] = "  methods:"
    for _, r in ipairs(rows) do out[#out + 1] = fmt("    %-34s %s", r[1], r[2]) end
  end
  out[#out + 1] = "  example: " .. t.example
  return table.concat(out, "\n")
end

-- Where doc/math.md is: installed beside the library (share/doc/mflab/math.md; the build tree
-- has the same layout), else its place in the sources.
local function math_path()
  local lib = package.searchpath("mflab.help", package.path)
  local share = lib and lib:gsub("/bin/%.%./", "/"):match("^(.*)/mflab/lua/mflab/help%.lua$")
  if share then
    local path = share .. "/doc/mflab/math.md"
    local f = io.open(path)
    if f then
      f:close()
      return path
    end
  end
  return "doc/math.md"
end

local function overview()
  local out = { "mflab " .. (mflab().version or "") .. " — modules (help(mf.opt), help('mf.run'), help(value)):" }
  for _, m in ipairs(M.modules) do out[#out + 1] = fmt("  %-16s %s", m[1], m[2]) end
  out[#out + 1] = "types: " .. (function()
    local ks = {}
    for k in pairs(M.types) do ks[#ks + 1] = k end
    table.sort(ks)
    return table.concat(ks, ", ")
  end)() .. "  (help('result'), help(r))"
  out[#out + 1] = "doc/math.md has the formulas (" .. math_path() .. "); README.md the conventions."
  return table.concat(out, "\n")
end

local function type_name(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and M.type_of_metaname[mt.__name] or nil
end

-- The help for a canonical name: its entry or schema, or the module's listing.
local function text_of_name(name)
  local it = lookup(name)
  if it then return format_entry(it) end
  local v = value_at(name)
  if type(v) == "table" and not is_callable(v) and index()[v] == name then return format_module(name) end
  return nil
end

-- The help text for x (see help()); nil, message when there is none.
function M.text(x)
  local mf = mflab()
  if x == nil or x == mf then return overview() end
  if type(x) == "string" then
    local name = x:gsub("^%s+", ""):gsub("%s+$", "")
    if M.types[name] then return format_type(name) end
    for _, cand in ipairs { name, "mf." .. name } do
      local t = text_of_name(canonical(cand))
      if t then return t end
    end
    -- r:mean, L.value, p:line, ...: a method by its name after ':' or '.'
    local meth = name:match("[:.]([%a_][%w_]*)$") or name
    local hits, seen = {}, {}
    local function hit(n)
      if not seen[n] then seen[n] = true; hits[#hits + 1] = n end
    end
    for n in pairs(M.entries) do
      if lookup(n) and (n:match(":(.*)$") == meth or n:match("%.([^.]*)$") == meth) then hit(n) end
    end
    for n in pairs(schema.all) do
      if n:match("[:.]([^:.]*)$") == meth and not M.entries[n] and not n:find("^mf%.plot:") then hit(n) end
    end
    table.sort(hits)
    if #hits == 1 then return format_entry(lookup(hits[1])) end
    if #hits > 1 then
      local out = { "several matches for '" .. name .. "':" }
      for _, h in ipairs(hits) do out[#out + 1] = "  " .. format_entry(lookup(h)):gsub("\n.*", "") end
      return table.concat(out, "\n")
    end
    return nil, "help: nothing is called '" .. name .. "'; help() lists the modules"
  end
  if type(x) == "table" and getmetatable(x) and getmetatable(x).__name == "mflab.experiment" then return x:help_text() end
  local tn = type_name(x)
  if tn and not is_callable(x) then return format_type(tn) end
  local name = index()[x]
  if name then
    local t = text_of_name(name)
    if t then return t end
    return nil, "help: no help for " .. name .. " yet"
  end
  return nil, "help: no help for this " .. type(x) .. "; help() lists the modules"
end

-- Whether the function at a name path ("mf.landscape.valley", "md:integrate") takes one
-- options table, as constructors do: the REPL completes such a name to "valley{" rather than
-- "valley(". True when a schema checks the function's first argument (a schema under its
-- canonical name, and no signature with positional arguments).
function M.takes_table(path)
  if type(path) ~= "string" or not path:match("^[%a_][%w_]*[%w_.:]*$") then return false end
  local v = _G
  for part in path:gsub(":", "."):gmatch("[^.]+") do
    if type(v) ~= "table" and type(v) ~= "userdata" then return false end
    local ok, x = pcall(function() return v[part] end)
    if not ok then return false end
    v = x
  end
  if v == nil then return false end
  local name = index()[v]
  if not name then return false end
  local s, e = schema_of(name), M.entries[name]
  if not s then return false end
  return not (e and e.sig) or e.sig:match("^[%w_.:]+{") ~= nil
end

-- help(x): prints the help for x — a function, method, module table, value of an mflab type,
-- or a name such as "mf.run", "result:mean", "sgd". help() lists the modules.
function M.help(x)
  local s, msg = M.text(x)
  print(s or msg)
end

return M
