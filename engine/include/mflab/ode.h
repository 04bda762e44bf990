/* Integrators for the manifold dynamics (doc/math.md §4): classical RK4, adaptive Dormand-Prince
 * 5(4) with rtol/atol, and Euler-Maruyama for the SDE forms. Each may be followed by a
 * projection back onto the manifold, which the caller passes as a callback. */
#ifndef MFLAB_ODE_H
#define MFLAB_ODE_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"
#include "mflab/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dy/dt = f(t, y) */
typedef int (*mf_ode_rhs)(void *ctx, double t, const double *y, double *dydt, mf_err *err);
/* y <- P(y) (may be NULL) */
typedef void (*mf_ode_proj)(void *ctx, double *y);

/* Doubles of workspace the integrators need for dimension n. */
size_t mf_ode_worksize(size_t n);

/* One classical RK4 step of size h from (t, y), in place; stage points are projected too, so
 * a drift defined only on the manifold is evaluated there. */
int mf_ode_rk4_step(size_t n, mf_ode_rhs f, mf_ode_proj proj, void *ctx, double t, double h,
                    double *y, double *work, mf_err *err);

typedef struct mf_ode_stats {
    size_t accepted, rejected, evals;
    int stiff; /* 1 while the step is held by stability (Hairer's test, see below): a caller
                  integrating over many spans judges the total from it and *h */
} mf_ode_stats;

/* mf_ode_dopri5 stops as stiff (MF_EUNSUPPORTED) when its step is held by the stability limit
 * (Hairer's test: h lambda > 3.25 for 15 accepted steps) and reaching t1 would take more than
 * this many further steps. */
#define MF_ODE_STIFF_STEPS 1e6

/* Integrates from t0 to t1 with Dormand-Prince 5(4), landing exactly on t1. With a projection,
 * stage points and the new solution are projected (a drift defined on the manifold only is
 * never evaluated off it), and the error estimate compares projected solutions. *h is the first
 * trial step (0: chosen automatically) and returns the last accepted step size, so successive
 * calls over a grid continue smoothly. Error per step: the RMS over components of
 * err_i / (atol + rtol max(|y_i|, |y_new_i|)) must be <= 1. */
int mf_ode_dopri5(size_t n, mf_ode_rhs f, mf_ode_proj proj, void *ctx, double t0, double t1,
                  double *y, double rtol, double atol, double *h, double *work, mf_ode_stats *stats,
                  mf_err *err);

/* A stop predicate: nonzero ends mf_ode_dopri5_until at the accepted point (t, y), whose
 * derivative dydt is already evaluated (the FSAL stage). */
typedef int (*mf_ode_stop)(void *ctx, double t, const double *y, const double *dydt);

/* mf_ode_dopri5 that also stops at the first accepted point (or the start) where stop (may be
 * NULL) returns nonzero; t1 may be INFINITY (then only stop ends it). The landscapes' gradient-
 * flow projections integrate with it until the gradient is small. */
int mf_ode_dopri5_until(size_t n, mf_ode_rhs f, mf_ode_proj proj, mf_ode_stop stop, void *ctx,
                        double t0, double t1, double *y, double rtol, double atol, double *h,
                        double *work, mf_ode_stats *stats, mf_err *err);

/* g(t, y) dW: out = G(y) dw for a vector of independent N(0, dt) increments dw (ndw of them). */
typedef int (*mf_sde_noise)(void *ctx, double t, const double *y, const double *dw, double *out,
                            mf_err *err);

/* One Euler-Maruyama step y <- P(y + f(t, y) h + G(y) dW), dW ~ N(0, h I_ndw) drawn from r. */
int mf_sde_em_step(size_t n, size_t ndw, mf_ode_rhs f, mf_sde_noise g, mf_ode_proj proj, void *ctx,
                   double t, double h, double *y, mf_rng *r, double *work, mf_err *err);

#ifdef __cplusplus
}
#endif

#endif
