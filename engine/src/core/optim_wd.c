/* Gradient descent with weight decay and projected gradient descent on the sphere, the
 * sharpness paper's optimizers for scale-invariant losses (doc/math.md §3). */
#include <math.h>

#include "mflab/optim.h"
#include "isa_impl.h"
#include "optim_check.h"

/* Sharpness eq. (1): w <- (1 - lr wd) w - lr g. */
static void gd_wd_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                       size_t ldg, double *state, size_t lds, uint64_t k, size_t lane0) {
    (void)lane0; /* same arithmetic in every lane */
    const double lr = mf_schedule_at(&o->sched, k), shrink = 1.0 - lr * o->p.weight_decay;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld;
        const double *restrict gr = g + r * ldg;
        for (size_t i = 0; i < m; i++)
            zr[i] = shrink * zr[i] - lr * gr[i];
    }
}

/* Effective LR of the direction (sharpness §3): lr / ((1 - lr wd) |w|^2). */
static void gd_wd_lr_eff(const mf_optim *o, size_t d, size_t m, const double *z, size_t ld,
                         const double *state, size_t lds, uint64_t k, double *out) {
    const double lr = mf_schedule_at(&o->sched, k ? k : 1), shrink = 1.0 - lr * o->p.weight_decay;
    for (size_t i = 0; i < m; i++)
        out[i] = 0.0;
    for (size_t r = 0; r < d; r++)
        for (size_t i = 0; i < m; i++)
            out[i] += z[r * ld + i] * z[r * ld + i];
    for (size_t i = 0; i < m; i++)
        out[i] = lr / (shrink * out[i]);
}

static int gd_wd_check(const mf_optim_params *p, const mf_schedule *lr, mf_err *err) {
    if (!optim_wd_ok(p->weight_decay))
        return OPTIM_BAD(err, "wd", "a finite number >= 0", p->weight_decay);
    if (lr->kind != MF_SCHED_CONSTANT || lr->warmup)
        return mf_err_set(err, MF_EINVAL, "option 'lr': gd_wd takes a constant learning rate");
    if (!(lr->lr * p->weight_decay < 1.0))
        return mf_err_set(err, MF_EINVAL, "options 'lr' and 'wd': lr * wd must be < 1, got %g",
                          lr->lr * p->weight_decay);
    return MF_OK;
}

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_gd_wd_type) = {.name = "gd_wd",
                                           .momentum_state = -1,
                                           .step = gd_wd_step,
                                           .lr_eff = gd_wd_lr_eff,
                                           .check = gd_wd_check};

/* theta <- Pi(theta - lr g), Pi(w) = w/|w| (doc/math.md §3). The scratch row of the state array
 * holds the norms. */
static void pgd_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                     size_t ldg, double *state, size_t lds, uint64_t k, size_t lane0) {
    (void)lane0; /* same arithmetic in every lane */
    const double lr = mf_schedule_at(&o->sched, k);
    double *restrict n2 = state;
    for (size_t i = 0; i < m; i++)
        n2[i] = 0.0;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld;
        const double *restrict gr = g + r * ldg;
        for (size_t i = 0; i < m; i++) {
            zr[i] -= lr * gr[i];
            n2[i] += zr[i] * zr[i];
        }
    }
    for (size_t i = 0; i < m; i++)
        n2[i] = 1.0 / sqrt(n2[i]);
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld;
        for (size_t i = 0; i < m; i++)
            zr[i] *= n2[i];
    }
}

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_projected_gd_type) = {
    .name = "projected_gd", .nstate = 1, .momentum_state = -1, .step = pgd_step};
