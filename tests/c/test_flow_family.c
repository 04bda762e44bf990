/* The manifold flows as a family (manifold.h): a flow defined here, outside the engine,
 * registers with mf_flow_register and is then built by mf_flow_new and integrated by every
 * integrator with no edit of the engine's dispatch; the built-in flows are still chosen for
 * their combinations, and a combination nobody claims lists what is supported. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/manifold.h"

/* A test flow for RMSprop without noise on the valley (which no built-in flow claims):
 * dx/dt = -x along the manifold y = 0, so x(t) = x0 exp(-t) with t = k lr; order 2 is the
 * critically damped dx = m dt, dm = (-x - 2 m) dt, x(t) = x0 (1 + t) exp(-t) from m = 0. */
static int inits;

static int decay_claims(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                        mf_err *why) {
    (void)order, (void)nz;
    if (!mf_optim_is(o, &mf_optim_rmsprop_type)) return 0;
    if (!(L->flags & MF_LANDSCAPE_VALLEY))
        return mf_err_set(why, MF_EUNSUPPORTED, "the decay flow is for the valley"), -1;
    return 1;
}
static int decay_init(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                      mf_flow_def *def, mf_err *err) {
    (void)L, (void)nz, (void)order, (void)err;
    def->state = malloc(1);
    def->dt = o->lr;
    inits++;
    return MF_OK;
}
static void decay_free(void *state) {
    free(state);
}
static int decay_drift(void *state, const double *z, double *dz, mf_err *err) {
    (void)state, (void)err;
    dz[0] = -z[0], dz[1] = 0.0;
    return MF_OK;
}
static int decay_rhs2(void *state, const double *z, const double *m, double *dz, double *dm,
                      mf_err *err) {
    (void)state, (void)err;
    dz[0] = m[0], dz[1] = m[1];
    dm[0] = -z[0] - 2.0 * m[0], dm[1] = 0.0;
    return MF_OK;
}
static const mf_flow_type decay_type = {
    .name = "decay",
    .supports = "rmsprop on the valley (test flow)",
    .claims = decay_claims,
    .init = decay_init,
    .free = decay_free,
    .drift = decay_drift,
    .rhs2 = decay_rhs2,
};

int main(void) {
    mf_err err;
    mf_landscape *V;
    const double c[] = {1.0, 0.0, 1.0};
    CHECK(mf_landscape_valley(&V, c, 3, &err) == MF_OK, "valley: %s", err.msg);
    mf_optim rms, sgd;
    mf_optim_params p = {.alpha = 0.99, .eps = 1e-8};
    mf_schedule lr = mf_schedule_constant(0.01);
    CHECK(mf_optim_make(&rms, "rmsprop", &p, &lr, &err) == MF_OK, "rmsprop: %s", err.msg);
    mf_optim_sgd(&sgd, 0.01, NULL);
    mf_noise hz;
    mf_noise_hessian(&hz, 1.0, NULL);
    mf_flow *fl = NULL;

    /* before registration nobody claims rmsprop: the error lists the built-in flows */
    CHECK(mf_flow_new(&fl, V, &rms, NULL, 1, &err) == MF_EUNSUPPORTED &&
              strstr(err.msg, "supported:") && strstr(err.msg, "adam with hessian noise") &&
              !strstr(err.msg, "test flow"),
          "rmsprop refused before registration: %s", err.msg);
    CHECK(mf_flow_register(&(mf_flow_type){.name = "broken"}, &err) == MF_EINVAL,
          "a type without entries is refused");
    CHECK(mf_flow_register(&decay_type, &err) == MF_OK, "register: %s", err.msg);

    /* the built-in flows still take their combinations */
    CHECK(mf_flow_new(&fl, V, &sgd, &hz, 1, &err) == MF_OK &&
              strcmp(mf_flow_get_type(fl)->name, "sgd") == 0,
          "sgd with hessian noise is the sgd flow: %s", err.msg);
    mf_flow_free(fl);
    CHECK(mf_flow_new(&fl, V, &sgd, NULL, 1, &err) == MF_EUNSUPPORTED &&
              strstr(err.msg, "without noise there is no manifold drift") &&
              strstr(err.msg, "rmsprop on the valley (test flow)"),
          "sgd without noise: the reason and the list with the new flow: %s", err.msg);

    /* the test flow, first and second order, through every deterministic integrator */
    const double lrv = 0.01, x0[2] = {2.0, 0.0};
    const uint64_t steps = 300; /* t = 3 */
    const double t1 = steps * lrv;
    for (int order = 1; order <= 2; order++) {
        CHECK(mf_flow_new(&fl, V, &rms, NULL, order, &err) == MF_OK, "decay flow: %s", err.msg);
        if (!fl) continue;
        CHECK(strcmp(mf_flow_get_type(fl)->name, "decay") == 0 && mf_flow_dt(fl) == lrv,
              "the registered type was chosen, dt = lr");
        double want = order == 1 ? x0[0] * exp(-t1) : x0[0] * (1 + t1) * exp(-t1);
        const enum mf_flow_method methods[] = {MF_FLOW_RK4, MF_FLOW_DP45};
        for (int mi = 0; mi < 2; mi++) {
            mf_flow_config cfg = {.x0 = x0,
                                  .steps = steps,
                                  .every = 100,
                                  .method = methods[mi],
                                  .rtol = 1e-10,
                                  .atol = 1e-12};
            mf_result *r = NULL;
            CHECK(mf_flow_integrate(fl, &cfg, &r, &err) == MF_OK && r && r->nrec == 4,
                  "integrate order %d method %d: %s", order, mi, err.msg);
            if (r) {
                /* RK4 with h = lr: error ~ t h^4 / 120 ~ 2.5e-10; DP45 to rtol 1e-10 */
                CHECK_CLOSE(mf_result_at(r, 0, 3, 0), want, 1e-8, "x(3)");
                CHECK(mf_result_at(r, 1, 3, 0) == 0.0, "y stays 0");
                mf_result_free(r);
            }
        }
        mf_flow_config mom = {.x0 = x0, .steps = 10, .every = 5, .method = MF_FLOW_MOMENTUM};
        mf_result *r = NULL;
        CHECK(mf_flow_integrate(fl, &mom, &r, &err) == MF_EINVAL,
              "method 'momentum' needs a step entry");
        mf_result_free(r);
        mf_flow_free(fl);
    }
    CHECK(inits == 2, "init called once per flow (%d)", inits);
    mf_landscape_free(V);
    return check_summary();
}
