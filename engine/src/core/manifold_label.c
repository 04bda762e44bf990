/* Label noise in the manifold flow (doc/math.md §4 "Label-noise heavy ball, scaling limit";
 * flatter-faster eqs. (6), (7), App. C).
 *
 * Label noise adds -2 w eps J^T xi to the gradient (noise_label.c), so its covariance is
 * Sigma = s2 J^T J with s2 = (2 w eps)^2 / B. The flow needs its normal block
 * Q = N^T Sigma N; the momentum flow then solves
 *     A_N V + V A_N + lr/(1-beta)^2 (V A_N^2 + A_N^2 V - 2 A_N V A_N) = lr Q / (2(1-beta))
 * (quasistatic eq. (39)). This is flatter-faster's operator: with H = 2A and
 * C^-2 eta^(1-2 gamma) = lr/(1-beta)^2 (beta = 1 - C eta^gamma),
 *     L~_H S = {H, S} + C^-2 eta^(1-2 gamma) [[S, H], H] / 2 = 2 (A S + S A + kappa [[S, A], A]),
 * [[S, A], A] = S A^2 + A^2 S - 2 A S A, so V = lr/(1-beta) L~_H^{-1} Q, and the per-step drift
 * -lr/(1-beta) sum_ij V_ij grad_M A_ij is the last term of F eq. (6) times eps^2,
 *     -eta^2/(2(1-beta)^2) P_L grad <H, L~_H^{-1} Q>   (the eps^2 of F sits in Q).
 * On a zero-loss manifold H_f = 2 w J^T J, so Q = 2 w eps^2 N^T H_f N / B and L~_H^{-1} H = P_T/2
 * (F eq. (120)): the drift per step is F eq. (7),
 *     dY/dk = -eps^2 lr^2 / (4 (1-beta)^2) P_L grad Tr(c H_f),   c = 2 w / B,
 * i.e. -eps^2 eta^(2-2 gamma) / (4 C^2) P_L grad Tr(c H_f). Q is computed from J rather than
 * assumed proportional to A_N, so the general case of eq. (6) (the [[S, H], H] term) is
 * solved as it stands. */
#include <math.h>
#include <string.h>

#include "manifold_impl.h"

size_t mf_flow_label_worksize(const mf_landscape *L, size_t c) {
    return L->nres * L->dim + L->nres * c + L->nres;
}

int mf_flow_label_cov(const mf_landscape *L, const double *z, const double *T, size_t k,
                      const double *N, size_t c, double s2, double *Q, double *work, mf_err *err) {
    const size_t d = L->dim, n = L->nres;
    double *J = work, *JN = J + n * d, *jt = JN + n * c;
    L->type->residual_jacobian(L, z, J); /* n x d, row-major */
    for (size_t a = 0; a < n; a++)
        for (size_t j = 0; j < c; j++) {
            double s = 0.0;
            for (size_t r = 0; r < d; r++)
                s += J[a * d + r] * N[j * d + r];
            JN[a * c + j] = s;
        }
    double nn = 0.0, tt = 0.0; /* |J N|_F^2 and |J T|_F^2 */
    for (size_t a = 0; a < n * c; a++)
        nn += JN[a] * JN[a];
    for (size_t j = 0; j < k; j++) {
        for (size_t a = 0; a < n; a++) {
            double s = 0.0;
            for (size_t r = 0; r < d; r++)
                s += J[a * d + r] * T[j * d + r];
            jt[a] = s;
        }
        for (size_t a = 0; a < n; a++)
            tt += jt[a] * jt[a];
    }
    if (!isfinite(nn) || !isfinite(tt))
        return mf_err_set(err, MF_ENONFINITE, "the residual Jacobian is not finite at this point");
    if (tt > 1e-12 * nn)
        return mf_err_set(err, MF_EUNSUPPORTED,
                          "label noise on landscape '%s' has a tangent part at this manifold point "
                          "(|J T|^2/|J N|^2 = %g): the flow models label noise on zero-loss "
                          "manifolds only, where the residuals vanish along the manifold",
                          L->type->name, tt / (nn > 0 ? nn : 1.0));
    for (size_t i = 0; i < c; i++)
        for (size_t j = i; j < c; j++) {
            double s = 0.0;
            for (size_t a = 0; a < n; a++)
                s += JN[a * c + i] * JN[a * c + j];
            Q[i * c + j] = Q[j * c + i] = s2 * s;
        }
    return MF_OK;
}
