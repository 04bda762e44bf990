/* Quasistatic manifold dynamics of Adam on the rotated valley (see manifold.h). */
#include <math.h>

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
