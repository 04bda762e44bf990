/* Manifold dynamics (MATH.md §4): the effective drift along the manifold of minima that an
 * optimizer with gradient noise follows, and integrators for it on the step grid of mf_run.
 *
 * SGD (quasistatic eq. 12, no tangent noise): dz/dt = -sum_ij V_ij grad_M A_ij, t = k lr,
 * with V solving A V + V A = lr D22 D22^T / 2 on the normal space. Closed forms:
 * Hessian noise V = (lr sigma^2/4) P_T (eq. 13); isotropic normal noise
 * V = (lr sigma^2/4) A_N^{-1} (eq. 14). */
#ifndef MFLAB_MANIFOLD_H
#define MFLAB_MANIFOLD_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"
#include "mflab/landscape.h"
#include "mflab/noise.h"
#include "mflab/optim.h"
#include "mflab/run.h"

typedef struct mf_flow mf_flow;

/* Supported pairs so far: optimizer sgd with noise hessian or isotropic{space="normal"}, on a
 * landscape with a projection, a frame and Hessian derivatives. */
int mf_flow_new(mf_flow **out, const mf_landscape *L, const mf_optim *o, const mf_noise *nz,
                mf_err *err);
void mf_flow_free(mf_flow *fl);

/* dz/dt at the manifold point z (length d). */
int mf_flow_drift(mf_flow *fl, const double *z, double *dz, mf_err *err);

/* Integrates from P(x0) with classical RK4, one RK4 step of dt = lr per iteration, projecting
 * back onto the manifold after every step; records coordinates every `every` iterations on
 * the same grid as mf_run (0, every, 2 every, ..., and the last step). */
/* Progress reports for mf_flow_integrate, as for mf_run (run.h): progress(ctx, done, total)
 * in iterations, from the calling thread, at most every MF_PROGRESS_PERIOD seconds and once
 * at the end. NULL turns them off. */
void mf_flow_set_progress(mf_flow *fl, void (*progress)(void *ctx, uint64_t done, uint64_t total),
                          void *ctx);

int mf_flow_integrate(mf_flow *fl, const double *x0, uint64_t steps, uint64_t every,
                      mf_result **out, mf_err *err);

#endif
