/* The SGD flow (quasistatic eq. (12), doc/math.md §4): A_N V + V A_N = lr Q / 2, dz/dt = -F, with
 * t = k lr; isotropic noise in the full space adds the tangent term sqrt(lr) D11 dW (an SDE). */
#include "manifold_impl.h"

static int sgd_claims(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                      mf_err *why) {
    if (!mf_optim_is(o, &mf_optim_sgd_type) || o->p.momentum > 0) return 0; /* momentum: its flow */
    if (o->p.weight_decay != 0 || o->p.nesterov)
        return mf_err_set(why, MF_EUNSUPPORTED,
                          "sgd with weight decay or Nesterov has no manifold flow here"),
               -1;
    int rc = mf_flow_force_claims(L, o, nz, why);
    if (rc != 1) return rc;
    if (order == 2)
        return mf_err_set(why, MF_EUNSUPPORTED, "plain sgd has only a first-order flow"), -1;
    return 1;
}

static int sgd_init(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                    mf_flow_def *def, mf_err *err) {
    (void)order;
    mf_flow_force *f;
    int rc = mf_flow_force_new(&f, L, o, nz, 0.0, o->lr / 2, err); /* eq. (12) */
    if (rc) return rc;
    def->state = f;
    def->dt = o->lr;
    def->sde = f->tangent_sd > 0;
    return MF_OK;
}

static void sgd_free(void *state) {
    mf_flow_force_free(state);
}

static int sgd_drift(void *state, const double *z, double *dz, mf_err *err) {
    mf_flow_force *f = state;
    int rc = mf_flow_force_eval(f, z, dz, err);
    if (rc) return rc;
    for (size_t r = 0; r < f->d; r++)
        dz[r] = -1.0 * dz[r];
    return MF_OK;
}

static int sgd_noise(void *state, const double *z, const double *dw, double *out, mf_err *err) {
    return mf_flow_force_noise(state, z, dw, out, err);
}

const mf_flow_type mf_flow_sgd_type = {
    .name = "sgd",
    .supports = "sgd with hessian, isotropic or label noise (or minibatch)",
    .claims = sgd_claims,
    .init = sgd_init,
    .free = sgd_free,
    .drift = sgd_drift,
    .noise = sgd_noise,
};
