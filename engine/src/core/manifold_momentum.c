/* The momentum flow (quasistatic eqs. (17), (18), (39), doc/math.md §4) for momentum{mu},
 * heavy_ball{beta} (beta = mu, m = lr pi) and sgd{momentum} (torch, dampening 0): V from
 *   A_N V + V A_N + lr/(1-mu)^2 (V A_N^2 + A_N^2 V - 2 A_N V A_N) = lr Q / (2(1-mu)),
 * first order dz/dt = -F/(1-mu); second order dz = m/lr dt, dm = -((1-mu)/lr m + F) dt; the
 * method 'momentum' is the discretization m <- mu m - lr F(z), z <- P(z + m). With label noise
 * this is flatter-faster's L~_H (manifold_label.c). */
#include <stdlib.h>

#include "manifold_impl.h"

typedef struct momentum_flow {
    mf_flow_force *f;
    double mu, lr;
    double *F; /* the force, for the method 'momentum' */
} momentum_flow;

static int momentum_claims(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                           mf_err *why) {
    if (!(mf_optim_is(o, &mf_optim_momentum_type) || mf_optim_is(o, &mf_optim_heavy_ball_type) ||
          (mf_optim_is(o, &mf_optim_sgd_type) && o->p.momentum > 0)))
        return 0;
    double mu;
    if (!mf_optim_momentum_mu(o, &mu))
        return mf_err_set(why, MF_EUNSUPPORTED,
                          "sgd with weight decay, Nesterov or dampening has no manifold flow here"),
               -1;
    int rc = mf_flow_force_claims(L, o, nz, why);
    if (rc != 1) return rc;
    if (!(mu >= 0 && mu < 1))
        return mf_err_set(why, MF_EUNSUPPORTED, "optimizer '%s': momentum outside [0, 1)", o->type->name),
               -1;
    if (order == 1 && nz->type == &mf_noise_isotropic_type && nz->space == MF_SPACE_FULL)
        return mf_err_set(why, MF_EUNSUPPORTED,
                          "tangent noise with momentum needs the second-order flow (order = 2)"),
               -1;
    return 1;
}

static void momentum_free(void *state) {
    momentum_flow *m = state;
    if (!m) return;
    mf_flow_force_free(m->f);
    free(m->F);
    free(m);
}

static int momentum_init(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                         mf_flow_def *def, mf_err *err) {
    (void)order;
    double mu = 0.0;
    mf_optim_momentum_mu(o, &mu);
    momentum_flow *m = calloc(1, sizeof *m);
    if (!m) return mf_err_set(err, MF_ENOMEM, "out of memory");
    m->mu = mu, m->lr = o->lr;
    int rc = mf_flow_force_new(&m->f, L, o, nz, o->lr / ((1 - mu) * (1 - mu)), /* eq. (39) */
                               o->lr / (2 * (1 - mu)), err);
    if (rc || !(m->F = malloc(sizeof(double) * L->dim))) {
        momentum_free(m);
        return rc ? rc : mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    def->state = m;
    def->dt = o->lr;
    def->sde = m->f->tangent_sd > 0;
    return MF_OK;
}

static int momentum_drift(void *state, const double *z, double *dz, mf_err *err) {
    momentum_flow *m = state;
    int rc = mf_flow_force_eval(m->f, z, dz, err);
    if (rc) return rc;
    double f = 1.0 / (1.0 - m->mu); /* eq. (18) */
    for (size_t r = 0; r < m->f->d; r++)
        dz[r] = -f * dz[r];
    return MF_OK;
}

/* eq. (17): dz = m/lr dt, dm = -((1-mu)/lr m + F) dt */
static int momentum_rhs2(void *state, const double *z, const double *mom, double *dz, double *dm,
                         mf_err *err) {
    momentum_flow *m = state;
    int rc = mf_flow_force_eval(m->f, z, dm, err);
    if (rc) return rc;
    for (size_t r = 0; r < m->f->d; r++) {
        dz[r] = mom[r] / m->lr;
        dm[r] = -((1.0 - m->mu) / m->lr * mom[r] + dm[r]);
    }
    return MF_OK;
}

static int momentum_noise(void *state, const double *z, const double *dw, double *out,
                          mf_err *err) {
    return mf_flow_force_noise(((momentum_flow *)state)->f, z, dw, out, err);
}

/* the momentum-like discretization of eq. (17) */
static int momentum_step(void *state, double *z, double *mom, mf_err *err) {
    momentum_flow *m = state;
    double *F = m->F;
    int rc = mf_flow_force_eval(m->f, z, F, err);
    if (rc) return rc;
    for (size_t r = 0; r < m->f->d; r++) {
        mom[r] = m->mu * mom[r] - m->lr * F[r];
        z[r] += mom[r];
    }
    return MF_OK;
}

const mf_flow_type mf_flow_momentum_type = {
    .name = "momentum",
    .supports = "momentum, heavy_ball, sgd{momentum} likewise",
    .claims = momentum_claims,
    .init = momentum_init,
    .free = momentum_free,
    .drift = momentum_drift,
    .rhs2 = momentum_rhs2,
    .noise = momentum_noise,
    .step = momentum_step,
};
