/* Optimizer construction, parameter checks and learning-rate schedules (doc/math.md §3). */
#include "mflab/optim.h"

#include "isa_impl.h"

#include <math.h>
#include <string.h>

mf_schedule mf_schedule_constant(double lr) {
    return (mf_schedule){.kind = MF_SCHED_CONSTANT, .lr = lr, .start = 1.0};
}

static int finite_pos(double x) {
    return isfinite(x) && x > 0.0;
}

int mf_schedule_check(const mf_schedule *s, mf_err *err) {
    if (s->kind == MF_SCHED_TABLE) {
        if (!s->table || s->ntable == 0)
            return mf_err_set(err, MF_EINVAL, "option 'lr': the schedule has no values");
        for (size_t k = 0; k < s->ntable; k++)
            if (!(isfinite(s->table[k]) && s->table[k] >= 0.0))
                return mf_err_set(err, MF_EINVAL,
                                  "option 'lr': the schedule gave %g at step %zu, not a finite "
                                  "number >= 0",
                                  s->table[k], k + 1);
    } else if (!finite_pos(s->lr)) {
        return mf_err_set(err, MF_EINVAL, "option 'lr' must be a finite number > 0, got %g", s->lr);
    }
    if (s->kind == MF_SCHED_STEP && (!finite_pos(s->gamma) || s->step_size < 1))
        return mf_err_set(err, MF_EINVAL,
                          "step schedule: gamma must be > 0 and step_size >= 1 (got %g, %llu)",
                          s->gamma, (unsigned long long)s->step_size);
    if (s->kind == MF_SCHED_COSINE && (s->T < 1 || !(isfinite(s->eta_min) && s->eta_min >= 0.0)))
        return mf_err_set(err, MF_EINVAL,
                          "cosine schedule: T must be >= 1 and eta_min >= 0 (got %llu, %g)",
                          (unsigned long long)s->T, s->eta_min);
    if (s->warmup && !(s->start > 0.0 && s->start <= 1.0))
        return mf_err_set(err, MF_EINVAL, "warmup: start must be in (0, 1], got %g", s->start);
    return MF_OK;
}

double mf_schedule_at(const mf_schedule *s, uint64_t k) {
    const uint64_t e = k ? k - 1 : 0; /* torch's epoch counter */
    double lr;
    switch (s->kind) {
    case MF_SCHED_STEP:
        lr = s->lr * pow(s->gamma, (double)(e / s->step_size));
        break;
    case MF_SCHED_COSINE: /* CosineAnnealingLR's closed form */
        lr = s->eta_min + (s->lr - s->eta_min) * (1.0 + cos(M_PI * (double)e / (double)s->T)) / 2.0;
        break;
    case MF_SCHED_TABLE:
        lr = s->table[e < s->ntable ? e : s->ntable - 1];
        break;
    default:
        lr = s->lr;
    }
    if (s->warmup) { /* LinearLR */
        uint64_t w = e < s->warmup ? e : s->warmup;
        lr *= s->start + (1.0 - s->start) * (double)w / (double)s->warmup;
    }
    return lr;
}

/* Every optimizer type, with its copies per instruction-set path (isa_impl.h): mf_optim_make
 * gives an optimizer the copy of the path in use. */
#define MF_OPTIM_TYPES(X)                                                                          \
    X(mf_optim_sgd_type)                                                                           \
    X(mf_optim_momentum_type)                                                                      \
    X(mf_optim_heavy_ball_type)                                                                    \
    X(mf_optim_adam_type)                                                                          \
    X(mf_optim_adamw_type)                                                                         \
    X(mf_optim_rmsprop_type)                                                                       \
    X(mf_optim_scalar_rmsprop_type)                                                                \
    X(mf_optim_gd_wd_type)                                                                         \
    X(mf_optim_projected_gd_type)
#define DECLARE(t) MF_ISA_DECLARE(const mf_optim_type, t);
MF_OPTIM_TYPES(DECLARE)
#undef DECLARE
#if defined(MF_ISA_DISPATCH)
#define ROW(t) {&t, &t##_avx2, &t##_avx512},
#else
#define ROW(t) {&t, &t, &t},
#endif
static const mf_optim_type *const all_types[][MF_ISA_NPATHS] = {MF_OPTIM_TYPES(ROW)};
#undef ROW
#define NTYPES (sizeof all_types / sizeof all_types[0])

int mf_optim_is(const mf_optim *o, const mf_optim_type *t) {
    if (o->type == t) return 1;
    for (size_t i = 0; i < NTYPES; i++)
        if (all_types[i][0] == t)
            for (int p = 0; p < MF_ISA_NPATHS; p++)
                if (all_types[i][p] == o->type) return 1;
    return 0;
}

int mf_optim_make(mf_optim *o, const char *name, const mf_optim_params *p, const mf_schedule *lr,
                  mf_err *err) {
    const mf_optim_type *t = NULL;
    for (size_t i = 0; i < NTYPES; i++)
        if (strcmp(all_types[i][0]->name, name) == 0) t = all_types[i][mf_isa_index()];
    if (!t) return mf_err_set(err, MF_EINVAL, "unknown optimizer '%s'", name);
    int rc = mf_schedule_check(lr, err);
    if (rc) return rc;
    if (t->check && (rc = t->check(p, lr, err))) return rc; /* the type's own limits */
    o->type = t;
    o->sched = *lr;
    o->lr = lr->kind == MF_SCHED_TABLE ? lr->table[0] : lr->lr;
    o->p = *p;
    return MF_OK;
}

int mf_optim_sgd(mf_optim *o, double lr, mf_err *err) {
    mf_optim_params p = {0};
    mf_schedule s = mf_schedule_constant(lr);
    return mf_optim_make(o, "sgd", &p, &s, err);
}

int mf_optim_momentum_mu(const mf_optim *o, double *mu) {
    if (mf_optim_is(o, &mf_optim_momentum_type) || mf_optim_is(o, &mf_optim_heavy_ball_type) ||
        (mf_optim_is(o, &mf_optim_sgd_type) && o->p.dampening == 0.0 && !o->p.nesterov &&
         o->p.weight_decay == 0.0)) {
        *mu = o->p.momentum;
        return 1;
    }
    return 0;
}
