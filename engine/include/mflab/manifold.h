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

/* Supported pairs so far: optimizers sgd (plain or with momentum, no dampening, Nesterov or
 * weight decay), momentum and heavy_ball, with a constant learning rate, with noise hessian or
 * isotropic{space="normal"} (either wrapped in minibatch), on a landscape with a projection, a
 * frame and Hessian derivatives. With momentum mu (Q's convention; heavy ball's beta) the
 * first-order drift is SGD's times 1/(1 - mu)^2 (Q(19), MATH.md §4). */
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
/* on: mf_flow_integrate uses the momentum-like discretization of Q(17) instead of RK4:
 * m <- mu m - lr G(z), z <- P(z + m), G = -(1 - mu) dz/dt, one step per iteration. */
void mf_flow_set_discrete(mf_flow *fl, int on);

/* Adam on the rotated valley f = (x sin t + y cos t)^2 h(x cos t - y sin t) with Hessian
 * noise (quasistatic §5 and App. B), for any angle t. Time is t = k lr^2 (quasistatic eq. 24);
 * sigma0 = sigma lr, eps0 = eps lr, c1 = (1 - beta1)/lr^2, and gamma_1 = gamma_2 = 1.
 * In the quasistatic limit Adam's second moments are u = h sin^2 t, v = h cos^2 t (eq. 47 and
 * its pi/4 analogue), the preconditioner P^-1 = diag(p1, p2), p = 1/(sigma0 sqrt(u|v) + eps0),
 * seen along the manifold and the normal as M11 = p1 cos^2 + p2 sin^2, M22 = p1 sin^2 + p2 cos^2.
 * The fast subsystem (y', m_y') is the linear SDE
 *     dy' = -M22 m_y' dtau,  dm_y' = c1 (2 h y' - m_y') dtau + sigma0 c1 sqrt(h) dB,
 * whose stationary E[y'^2] is found by solving its continuous Lyapunov equation numerically
 * (at t = 0 and pi/4 it equals eq. (45)). The manifold coordinate then follows
 *     second order: dx' = -M11 m dt, dm = c1 (h'(x') E[y'^2] - m) dt   (eqs. 46, 52)
 *     first order:  dx'/dt = -M11 h'(x') E[y'^2]                     (eqs. 50, 55 keep eps0). */
typedef struct mf_adam_rv {
    double theta, sigma0, eps0, c1;
} mf_adam_rv;

/* From the optimizer's and the noise's parameters. */
void mf_adam_rv_init(mf_adam_rv *a, double theta, double lr, double beta1, double eps,
                     double sigma);
/* Stationary E[y'^2] of the fast subsystem at a manifold point where h = h(x'). */
int mf_adam_rv_fast_variance(const mf_adam_rv *a, double h, double *var, mf_err *err);
/* The first-order drift dx'/dt (time k lr^2) and the factor M11 of the second-order form. */
int mf_adam_rv_drift(const mf_adam_rv *a, double h, double hp, double *dxdt, double *m11,
                     mf_err *err);

#endif
