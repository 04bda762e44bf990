/* Quasistatic manifold dynamics of Adam on the rotated valley (see manifold.h). */
#include <math.h>
#include <stdlib.h>

#include "manifold_impl.h"
#include "mflab/lyapunov.h"
#include "mflab/manifold.h"

void mf_adam_rv_init(mf_adam_rv *a, double theta, double lr, double beta1, double eps,
                     double sigma) {
    a->theta = theta;
    a->sigma0 = sigma * lr;            /* sigma_0 = sigma eta */
    a->eps0 = eps * lr;                /* eps_0 = eps eta */
    a->c1 = (1.0 - beta1) / (lr * lr); /* c_1 = (1 - beta_1)/eta^2 */
}

/* The preconditioner along the manifold (M11) and the normal (M22) at h. */
static void precond(const mf_adam_rv *a, double h, double *m11, double *m22) {
    double s = sin(a->theta), c = cos(a->theta);
    double p1 = 1.0 / (a->sigma0 * sqrt(h * s * s) + a->eps0); /* x: u = h sin^2 */
    double p2 = 1.0 / (a->sigma0 * sqrt(h * c * c) + a->eps0); /* y: v = h cos^2 */
    *m11 = p1 * c * c + p2 * s * s;
    *m22 = p1 * s * s + p2 * c * c;
}

int mf_adam_rv_fast_variance(const mf_adam_rv *a, double h, double *var, mf_err *err) {
    if (!(h > 0)) return mf_err_set(err, MF_EINVAL, "h must be > 0 on the manifold, got %g", h);
    double m11, m22;
    precond(a, h, &m11, &m22);
    /* state (y', m_y'): F = [[0, -M22], [2 c1 h, -c1]], G G^T = diag(0, sigma0^2 c1^2 h) */
    double F[4] = {0.0, -m22, 2.0 * a->c1 * h, -a->c1};
    double Q[4] = {0.0, 0.0, 0.0, a->sigma0 * a->sigma0 * a->c1 * a->c1 * h};
    double S[4], work[32];
    int rc = mf_lyapunov_continuous(2, F, Q, S, work, err);
    if (rc) return rc;
    *var = S[0];
    return MF_OK;
}

/* The tangent coefficient is the Schur complement M11 - M12^2/M22, not M11: the full system has
 * dx' = -(M11 m_x' + M12 m_y') dt and dy' = -(M12 m_x' + M22 m_y') dt, and y' can only stay
 * stationary if the mean normal momentum cancels the tangent one, E[m_y'] = -(M12/M22) m_x'; that
 * mean feeds back into x'. M12 = (p1 - p2) sin cos vanishes at theta = 0 and pi/4, the two
 * angles of the paper's App. B. At theta = pi/8 leaving it out overstates the speed by ~10%,
 * which the simulated ensemble shows (examples/quasistatic/fig3_right.lua). */
int mf_adam_rv_drift(const mf_adam_rv *a, double h, double hp, double *dxdt, double *m11,
                     mf_err *err) {
    double var, mtt, m22;
    int rc = mf_adam_rv_fast_variance(a, h, &var, err);
    if (rc) return rc;
    precond(a, h, &mtt, &m22);
    double s = sin(a->theta), c = cos(a->theta);
    double p1 = 1.0 / (a->sigma0 * sqrt(h * s * s) + a->eps0);
    double p2 = 1.0 / (a->sigma0 * sqrt(h * c * c) + a->eps0);
    *m11 = p1 * p2 / m22; /* = M11 - M12^2/M22, since M11 M22 - M12^2 = p1 p2 */
    *dxdt = -(*m11) * hp * var;
    return MF_OK;
}

/* ---- the flow type: Adam with Hessian noise on the valley and the rotated valley ---------- */

typedef struct adam_flow {
    const mf_landscape *L;
    mf_adam_rv adam;
    double lr, h, hp; /* h, h' at the last point adam_force saw */
    size_t d;
    double *T, *N, *H, *dH, *F;
} adam_flow;

static int adam_claims(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                       mf_err *why) {
    (void)order;
    if (!mf_optim_is(o, &mf_optim_adam_type)) return 0;
    if (!nz || nz->type == &mf_noise_none_type)
        return mf_err_set(why, MF_EUNSUPPORTED, "without noise there is no manifold drift"), -1;
    if (o->sched.kind != MF_SCHED_CONSTANT || o->sched.warmup)
        return mf_err_set(why, MF_EUNSUPPORTED,
                          "the manifold flow needs a constant learning rate (got a schedule)"),
               -1;
    if (nz->type != &mf_noise_hessian_type)
        return mf_err_set(why, MF_EUNSUPPORTED, "adam needs hessian noise"), -1;
    if (!(L->flags & MF_LANDSCAPE_VALLEY))
        return mf_err_set(why, MF_EUNSUPPORTED,
                          "adam's flow is derived for the rotated valley (landscape '%s')",
                          L->type->name),
               -1;
    if (o->p.weight_decay != 0)
        return mf_err_set(why, MF_EUNSUPPORTED, "adam with weight decay has no flow here"), -1;
    return 1;
}

static void adam_free(void *state) {
    adam_flow *a = state;
    if (!a) return;
    free(a->T), free(a->N), free(a->H), free(a->dH), free(a->F);
    free(a);
}

static int adam_init(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                     mf_flow_def *def, mf_err *err) {
    (void)order;
    adam_flow *a = calloc(1, sizeof *a);
    if (!a) return mf_err_set(err, MF_ENOMEM, "out of memory");
    size_t d = L->dim, c = L->codim;
    a->L = L, a->d = d, a->lr = o->lr;
    a->T = malloc(sizeof(double) * d * (d - c));
    a->N = malloc(sizeof(double) * d * c);
    a->H = malloc(sizeof(double) * d * d);
    a->dH = malloc(sizeof(double) * d * d);
    a->F = malloc(sizeof(double) * d);
    if (!a->T || !a->N || !a->H || !a->dH || !a->F) {
        adam_free(a);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    /* theta is read off the frame at each point; sigma enters as sigma/sqrt(B) */
    mf_adam_rv_init(&a->adam, 0.0, o->lr, o->p.beta1, o->p.eps, mf_noise_scale(nz));
    def->state = a;
    def->dt = o->lr * o->lr; /* quasistatic eq. (24): t = k lr^2 */
    def->sde = 0;
    return MF_OK;
}

/* h, h' and the angle read off the landscape at z; F = h' E[y'^2] e_t */
static int adam_force(adam_flow *fl, const double *z, double *F, double *m11, mf_err *err) {
    const size_t d = fl->d;
    int rc = mf_landscape_frame(fl->L, z, fl->T, fl->N, err);
    if (rc) return rc;
    const double *et = fl->T, *en = fl->N;
    mf_landscape_hess(fl->L, z, fl->H);
    fl->L->type->dhess(fl->L, z, et, fl->dH);
    double h = 0.0, hp = 0.0; /* on M, H_f = 2 h e_n e_n^T */
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++)
            h += 0.5 * en[a] * fl->H[a * d + b] * en[b],
                hp += 0.5 * en[a] * fl->dH[a * d + b] * en[b];
    fl->adam.theta = atan2(-et[1], et[0]); /* e_t = (cos t, -sin t) */
    fl->h = h, fl->hp = hp;
    double dxdt;
    if ((rc = mf_adam_rv_drift(&fl->adam, h, hp, &dxdt, m11, err))) return rc;
    /* dx'/dt = -M11 h' E[y'^2], so the force along e_t is h' E[y'^2] = -dx'/dt / M11 */
    double fx = -dxdt / *m11;
    for (size_t r = 0; r < d; r++)
        F[r] = fx * et[r];
    return MF_OK;
}

static int adam_drift(void *state, const double *z, double *dz, mf_err *err) {
    adam_flow *a = state;
    double m11;
    int rc = adam_force(a, z, a->F, &m11, err);
    if (rc) return rc;
    for (size_t r = 0; r < a->d; r++)
        dz[r] = -m11 * a->F[r];
    return MF_OK;
}

/* eqs. (46), (52): dz = -M11 m, dm = c1 (F - m) */
static int adam_rhs2(void *state, const double *z, const double *m, double *dz, double *dm,
                     mf_err *err) {
    adam_flow *a = state;
    double m11;
    int rc = adam_force(a, z, a->F, &m11, err);
    if (rc) return rc;
    for (size_t r = 0; r < a->d; r++) {
        dz[r] = -m11 * m[r];
        dm[r] = a->adam.c1 * (a->F[r] - m[r]);
    }
    return MF_OK;
}

/* The flow, like the paper's SDE, keeps only the noise's share of Adam's second moment along
 * the manifold, sigma^2 h sin^2(theta), and leaves out the mean gradient's, h' y'^2 cos(theta)
 * with E[(y'^2)^2] = 3 E[y'^2]^2: right while sqrt(3) |h'| E[y'^2] |cos theta| is small against
 * sigma sqrt(h) |sin theta| + eps. With torch's eps = 1e-8 at theta = 0 it is not (Adam then
 * moves sign-like, ~lr/sqrt(3) per step), and the flow's speed 1/eps0 makes it stiff too. */
static int adam_assumptions(void *state, const double *z, mf_err *note) {
    adam_flow *a = state;
    double m11, var;
    if (adam_force(a, z, a->F, &m11, NULL) || mf_adam_rv_fast_variance(&a->adam, a->h, &var, NULL))
        return 0;
    const double sigma = a->adam.sigma0 / a->lr, eps = a->adam.eps0 / a->lr;
    const double left = sqrt(3.0) * fabs(a->hp) * var * fabs(cos(a->adam.theta));
    const double kept = sigma * sqrt(a->h) * fabs(sin(a->adam.theta)) + eps;
    if (!(left > kept)) return 0;
    mf_err_set(note, MF_EUNSUPPORTED,
               "adam's flow needs eps + sigma sqrt(h)|sin t| (%.2g) >> sqrt(3)|h'|E[y^2]|cos t| "
               "(%.2g): raise eps",
               kept, left);
    return 1;
}

const mf_flow_type mf_flow_adam_rv_type = {
    .name = "adam_rv",
    .supports = "adam with hessian noise on a valley",
    .claims = adam_claims,
    .init = adam_init,
    .free = adam_free,
    .drift = adam_drift,
    .rhs2 = adam_rhs2,
    .assumptions = adam_assumptions,
};
