/* RMSprop as torch.optim implements it, and the sharpness paper's scalar RMSprop (doc/math.md §3). */
#include <math.h>

#include "mflab/optim.h"
#include "isa_impl.h"
#include "optim_check.h"

/* torch.optim.RMSprop: g <- g + wd z; v <- alpha v + (1-alpha) g^2; centered: a <- alpha a +
 * (1-alpha) g, avg = sqrt(v - a^2) + eps, else avg = sqrt(v) + eps; momentum: b <- mu b + g/avg,
 * z <- z - lr b; else z <- z - lr g/avg. State arrays: v, b, a. */
static void rmsprop_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld,
                         const double *g, size_t ldg, double *state, size_t lds, uint64_t k,
                         size_t lane0) {
    (void)lane0; /* same arithmetic in every lane */
    const double lr = mf_schedule_at(&o->sched, k), al = o->p.alpha, c = 1.0 - o->p.alpha;
    const double eps = o->p.eps, wd = o->p.weight_decay, mu = o->p.momentum;
    const int centered = o->p.centered;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld, *restrict vr = state + r * ld,
                         *restrict br = state + lds + r * ld,
                         *restrict ar = state + 2 * lds + r * ld;
        const double *restrict gr = g + r * ldg;
        for (size_t i = 0; i < m; i++) {
            double gi = wd != 0.0 ? gr[i] + wd * zr[i] : gr[i];
            vr[i] = vr[i] * al + c * (gi * gi);
            double avg;
            if (centered) {
                ar[i] = ar[i] * al + c * gi;
                avg = sqrt(vr[i] - ar[i] * ar[i]) + eps;
            } else {
                avg = sqrt(vr[i]) + eps;
            }
            if (mu > 0.0) {
                br[i] = br[i] * mu + gi / avg;
                zr[i] += -lr * br[i];
            } else {
                zr[i] += -lr * (gi / avg);
            }
        }
    }
}

/* lr / avg averaged over the coordinates (lr before the first step). */
static void rmsprop_lr_eff(const mf_optim *o, size_t d, size_t m, const double *z, size_t ld,
                           const double *state, size_t lds, uint64_t k, double *out) {
    const double lr = mf_schedule_at(&o->sched, k ? k : 1);
    for (size_t i = 0; i < m; i++)
        out[i] = k == 0 ? lr : 0.0;
    if (k == 0) return;
    for (size_t r = 0; r < d; r++) {
        const double *vr = state + r * ld, *ar = state + 2 * lds + r * ld;
        for (size_t i = 0; i < m; i++) {
            double v = o->p.centered ? vr[i] - ar[i] * ar[i] : vr[i];
            out[i] += lr / (sqrt(v) + o->p.eps) / (double)d;
        }
    }
}

static int rmsprop_check(const mf_optim_params *p, const mf_schedule *lr, mf_err *err) {
    (void)lr;
    if (!optim_unit(p->alpha)) return OPTIM_BAD(err, "alpha", "in [0, 1)", p->alpha);
    if (!optim_finite_pos(p->eps)) return OPTIM_BAD(err, "eps", "a finite number > 0", p->eps);
    if (!optim_unit(p->momentum)) return OPTIM_BAD(err, "momentum", "in [0, 1)", p->momentum);
    if (!optim_wd_ok(p->weight_decay))
        return OPTIM_BAD(err, "weight_decay", "a finite number >= 0", p->weight_decay);
    return MF_OK;
}

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_rmsprop_type) = {.name = "rmsprop",
                                             .check = rmsprop_check,
                                             .nstate = 3,
                                             .state_names = {"v", "buf", "gavg"},
                                             .momentum_state = 1,
                                             .step = rmsprop_step,
                                             .lr_eff = rmsprop_lr_eff};

/* Sharpness paper Def. B.1: z <- z - lr g / sqrt(v_t); v_{t+1} = beta v_t + (1-beta)|g|^2,
 * v_1 = v0. One v per trajectory, in row 0 of the state array. */
static void srms_init(const mf_optim *o, size_t d, size_t m, double *state, size_t lds) {
    for (size_t i = 0; i < m; i++)
        state[i] = o->p.v0;
}

static void srms_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                      size_t ldg, double *state, size_t lds, uint64_t k, size_t lane0) {
    (void)lane0; /* same arithmetic in every lane */
    const double lr = mf_schedule_at(&o->sched, k), beta = o->p.beta2;
    double *restrict v = state, *restrict n2 = state + lds; /* array 1: scratch for |g|^2 */
    for (size_t i = 0; i < m; i++)
        n2[i] = 0.0;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld;
        const double *restrict gr = g + r * ldg;
        for (size_t i = 0; i < m; i++) {
            n2[i] += gr[i] * gr[i];
            zr[i] -= lr / sqrt(v[i]) * gr[i];
        }
    }
    for (size_t i = 0; i < m; i++)
        v[i] = beta * v[i] + (1.0 - beta) * n2[i];
}

static void srms_lr_eff(const mf_optim *o, size_t d, size_t m, const double *z, size_t ld,
                        const double *state, size_t lds, uint64_t k, double *out) {
    const double lr = mf_schedule_at(&o->sched, k ? k : 1);
    for (size_t i = 0; i < m; i++)
        out[i] = lr / sqrt(state[i]);
}

static int scalar_rmsprop_check(const mf_optim_params *p, const mf_schedule *lr, mf_err *err) {
    (void)lr;
    if (!optim_unit(p->beta2)) return OPTIM_BAD(err, "beta", "in [0, 1)", p->beta2);
    if (!optim_finite_pos(p->v0)) return OPTIM_BAD(err, "v0", "a finite number > 0", p->v0);
    return MF_OK;
}

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_scalar_rmsprop_type) = {.name = "scalar_rmsprop",
                                                    .check = scalar_rmsprop_check,
                                                    .nstate = 2, /* v, and scratch */
                                                    .state_names = {"v"},
                                                    .scalar_state = 1,
                                                    .momentum_state = -1,
                                                    .init = srms_init,
                                                    .step = srms_step,
                                                    .lr_eff = srms_lr_eff};
