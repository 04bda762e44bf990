/* SGD and momentum: torch's SGD, the quasistatic paper's momentum and the Flatter-faster
 * paper's heavy ball (doc/math.md §3). */
#include <math.h>

#include "mflab/optim.h"
#include "isa_impl.h"
#include "optim_check.h"

static int sgd_check(const mf_optim_params *p, const mf_schedule *lr, mf_err *err) {
    (void)lr;
    if (!optim_unit(p->momentum)) return OPTIM_BAD(err, "momentum", "in [0, 1)", p->momentum);
    if (!(isfinite(p->dampening) && p->dampening >= 0.0 && p->dampening <= 1.0))
        return OPTIM_BAD(err, "dampening", "in [0, 1]", p->dampening);
    if (!optim_wd_ok(p->weight_decay))
        return OPTIM_BAD(err, "weight_decay", "a finite number >= 0", p->weight_decay);
    if (p->nesterov && (p->momentum <= 0.0 || p->dampening != 0.0))
        return mf_err_set(err, MF_EINVAL,
                          "option 'nesterov' needs momentum > 0 and dampening = 0 (as torch)");
    return MF_OK;
}

static int momentum_check(const mf_optim_params *p, const mf_schedule *lr, mf_err *err) {
    (void)lr;
    return optim_unit(p->momentum) ? MF_OK : OPTIM_BAD(err, "mu", "in [0, 1)", p->momentum);
}

static int heavy_ball_check(const mf_optim_params *p, const mf_schedule *lr, mf_err *err) {
    (void)lr;
    return optim_unit(p->momentum) ? MF_OK : OPTIM_BAD(err, "beta", "in [0, 1)", p->momentum);
}

/* torch.optim.SGD (doc/math.md §3): g <- g + wd z; b <- g at step 1, else b <- mu b + (1 - tau) g;
 * g <- g + mu b (Nesterov) or g <- b; z <- z - lr g. Written as torch's kernels round. */
static void sgd_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                     size_t ldg, double *state, size_t lds, uint64_t k, size_t lane0) {
    (void)lane0; /* same arithmetic in every lane */
    const double lr = mf_schedule_at(&o->sched, k), mu = o->p.momentum, wd = o->p.weight_decay;
    const double damp = 1.0 - o->p.dampening;
    if (mu == 0.0 && wd == 0.0) { /* the hot path of plain SGD */
        for (size_t r = 0; r < d; r++) {
            double *restrict zr = z + r * ld;
            const double *restrict gr = g + r * ldg;
            for (size_t i = 0; i < m; i++)
                zr[i] -= lr * gr[i];
        }
        return;
    }
    const int nesterov = o->p.nesterov;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld, *restrict br = state + r * ld;
        const double *restrict gr = g + r * ldg;
        for (size_t i = 0; i < m; i++) {
            double dp = gr[i] + wd * zr[i];
            if (mu != 0.0) {
                br[i] = k == 1 ? dp : mu * br[i] + damp * dp;
                dp = nesterov ? dp + mu * br[i] : br[i];
            }
            zr[i] -= lr * dp;
        }
    }
}

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_sgd_type) = {.name = "sgd",
                                         .nstate = 1,
                                         .state_names = {"buf"},
                                         .momentum_state = 0,
                                         .step = sgd_step,
                                         .check = sgd_check};

/* Quasistatic eq. (15): m <- mu m - lr g; z <- z + m. */
static void momentum_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld,
                          const double *g, size_t ldg, double *state, size_t lds, uint64_t k,
                          size_t lane0) {
    (void)lane0; /* same arithmetic in every lane */
    const double lr = mf_schedule_at(&o->sched, k), mu = o->p.momentum;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld, *restrict mr = state + r * ld;
        const double *restrict gr = g + r * ldg;
        for (size_t i = 0; i < m; i++) {
            mr[i] = mu * mr[i] - lr * gr[i];
            zr[i] += mr[i];
        }
    }
}

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_momentum_type) = {.name = "momentum",
                                              .check = momentum_check,
                                              .nstate = 1,
                                              .state_names = {"m"},
                                              .momentum_state = 0,
                                              .step = momentum_step};

/* Flatter-faster eq. (1): pi <- beta pi - g (g = grad L - eps sigma xi); w <- w + lr pi. */
static void heavy_ball_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld,
                            const double *g, size_t ldg, double *state, size_t lds, uint64_t k,
                            size_t lane0) {
    (void)lane0; /* same arithmetic in every lane */
    const double lr = mf_schedule_at(&o->sched, k), beta = o->p.momentum;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld, *restrict pr = state + r * ld;
        const double *restrict gr = g + r * ldg;
        for (size_t i = 0; i < m; i++) {
            pr[i] = beta * pr[i] - gr[i];
            zr[i] += lr * pr[i];
        }
    }
}

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_heavy_ball_type) = {.name = "heavy_ball",
                                                .check = heavy_ball_check,
                                                .nstate = 1,
                                                .state_names = {"pi"},
                                                .momentum_state = 0,
                                                .step = heavy_ball_step};
