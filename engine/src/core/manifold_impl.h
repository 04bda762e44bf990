/* Private pieces of the manifold flow shared between its source files (not public API). */
#ifndef MFLAB_MANIFOLD_IMPL_H
#define MFLAB_MANIFOLD_IMPL_H

#include <stddef.h>

#include "mflab/error.h"
#include "mflab/landscape.h"
#include "mflab/manifold.h"

/* The built-in flows (one source file each), in the order mf_flow_new asks them. */
extern const mf_flow_type mf_flow_sharpness_type, mf_flow_adam_rv_type, mf_flow_momentum_type,
    mf_flow_sgd_type;

/* Label noise in the flow (manifold_label.c). At a manifold point z with orthonormal tangent
 * and normal bases T (d x k) and N (d x c), column-major: the normal block of the label-noise
 * covariance, Q = s2 (J N)^T (J N) (c x c, row-major), J = the residual Jacobian at z and
 * s2 = (2 w eps)^2 / B. Fails if the covariance has a tangent part (J T != 0), which the flow
 * does not model (F eq. (6)'s diffusion and Sigma_LL, Sigma_TL terms): on a zero-loss manifold
 * every residual vanishes along M, so J T = 0. work: mf_flow_label_worksize doubles. */
size_t mf_flow_label_worksize(const mf_landscape *L, size_t c);
int mf_flow_label_cov(const mf_landscape *L, const double *z, const double *T, size_t k,
                      const double *N, size_t c, double s2, double *Q, double *work, mf_err *err);

/* The force F = sum_ij V_ij grad_M A_ij of the SGD and momentum flows (manifold_force.c), with
 * V from the Lyapunov equation A_N V + V A_N + kappa (V A_N^2 + A_N^2 V - 2 A_N V A_N) =
 * vscale Q and Q the normal noise covariance: q2 A_N (Hessian noise), q2 I (isotropic noise
 * in the normal or full space) or from the residual Jacobian (label noise). */
typedef struct mf_flow_force {
    const mf_landscape *L;
    size_t d, c, k;
    double lr;
    int q_hessian;     /* Q proportional to A_N (Hessian noise) or to I (isotropic) */
    int q_label;       /* Q from the residual Jacobian (label noise, manifold_label.c) */
    double q2;         /* Q = q2 A_N or q2 I: sigma^2 / B; label noise: (2 w eps)^2 / B */
    double tangent_sd; /* D11 = tangent_sd I on the tangent space; 0: no tangent noise */
    double kappa, vscale;
    /* workspace, allocated once */
    double *H, *dH, *T, *N, *AN, *Q, *V, *tmp, *lyw, *gam, *ev, *g, *lab;
    /* the point T and N were last computed at (frame_ok): an SDE step asks for the drift and
     * the tangent noise at the same point, and needs the frame once */
    double *zframe;
    int frame_ok;
} mf_flow_force;

/* Whether the noise model has a Lyapunov force: 1, or -1 with the reason in why. */
int mf_flow_force_claims(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, mf_err *why);
/* Allocates f (NULL on failure) for the noise model; kappa and vscale as above. */
int mf_flow_force_new(mf_flow_force **f, const mf_landscape *L, const mf_optim *o,
                      const mf_noise *nz, double kappa, double vscale, mf_err *err);
void mf_flow_force_free(mf_flow_force *f);
int mf_flow_force_eval(mf_flow_force *f, const double *z, double *F, mf_err *err);
/* The tangent noise sqrt(lr) D11 dW: out = sqrt(lr) tangent_sd T dw. */
int mf_flow_force_noise(mf_flow_force *f, const double *z, const double *dw, double *out,
                        mf_err *err);

#endif
