/* Private pieces of the manifold flow shared between its source files (not public API). */
#ifndef MFLAB_MANIFOLD_IMPL_H
#define MFLAB_MANIFOLD_IMPL_H

#include <stddef.h>

#include "mflab/error.h"
#include "mflab/landscape.h"

/* Label noise in the flow (manifold_label.c). At a manifold point z with orthonormal tangent
 * and normal bases T (d x k) and N (d x c), column-major: the normal block of the label-noise
 * covariance, Q = s2 (J N)^T (J N) (c x c, row-major), J = the residual Jacobian at z and
 * s2 = (2 w eps)^2 / B. Fails if the covariance has a tangent part (J T != 0), which the flow
 * does not model (F eq. (6)'s diffusion and Sigma_LL, Sigma_TL terms): on a zero-loss manifold
 * every residual vanishes along M, so J T = 0. work: mf_flow_label_worksize doubles. */
size_t mf_flow_label_worksize(const mf_landscape *L, size_t c);
int mf_flow_label_cov(const mf_landscape *L, const double *z, const double *T, size_t k,
                      const double *N, size_t c, double s2, double *Q, double *work, mf_err *err);

#endif
