/* Stationary covariances of the fast normal-space dynamics (doc/math.md §4).
 *
 * Solves, for symmetric positive definite A and symmetric Q (c x c, row-major),
 *     A V + V A + kappa (V A^2 + A^2 V - 2 A V A) = scale Q
 * through A's eigendecomposition A = U diag(a) U^T: with Q' = U^T Q U,
 *     V = U W U^T,  W_ij = scale Q'_ij / (a_i + a_j + kappa (a_i - a_j)^2).
 * kappa = 0, scale = lr/2:                  SGD's Lyapunov equation (quasistatic eq. (12));
 * kappa = lr/(1-mu)^2, scale = lr/(2(1-mu)): SGD with momentum (quasistatic eq. (39)). */
#ifndef MFLAB_LYAPUNOV_H
#define MFLAB_LYAPUNOV_H

#include <stddef.h>

#include "mflab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Doubles of workspace mf_lyapunov_solve needs for dimension c. */
size_t mf_lyapunov_worksize(size_t c);

/* V (c x c) from A and Q; work has mf_lyapunov_worksize(c) doubles. A must be positive
 * definite (an error otherwise: the fast dynamics has no stationary state). */
int mf_lyapunov_solve(size_t c, const double *A, const double *Q, double kappa, double scale,
                      double *V, double *work, mf_err *err);

/* The continuous Lyapunov equation of a linear SDE ds = F s dt + G dB (n x n, row-major):
 *     F S + S F^T + Q = 0,  Q = G G^T,
 * whose solution S is the stationary covariance when F is stable. Solved by vectorization,
 * (I (x) F + F (x) I) vec S = -vec Q, with LAPACK (small n only: n <= 16). work: n^4 + n^2
 * doubles and n^2 integers' room (pass mf_lyapunov_continuous_worksize(n) doubles). */
size_t mf_lyapunov_continuous_worksize(size_t n);
int mf_lyapunov_continuous(size_t n, const double *F, const double *Q, double *S, double *work,
                           mf_err *err);

#ifdef __cplusplus
}
#endif

#endif
