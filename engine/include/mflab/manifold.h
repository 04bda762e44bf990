/* Manifold dynamics (doc/math.md §4): the effective dynamics on the manifold of minima that an
 * optimizer with gradient noise follows, and integrators for it on the step grid of mf_run.
 *
 * At a manifold point z with tangent basis T (k columns) and normal basis N (c columns),
 * A = H_f/2, A_N = N^T A N and the normal noise covariance Q = D22 D22^T:
 *   SGD (quasistatic eq. 12):      A_N V + V A_N = lr Q / 2,                dz/dt = -F
 *   momentum mu (eqs. 17, 18, 39): A_N V + V A_N + lr/(1-mu)^2 (V A_N^2 + A_N^2 V - 2 A_N V A_N)
 *                                   = lr Q / (2(1-mu)),
 *                                   first order dz/dt = -F/(1-mu),
 *                                   second order dz = m/lr dt, dm = -((1-mu)/lr m + F) dt
 * with the force F = sum_j t_j <V, N^T (d_{t_j} A) N> = sum_ij V_ij grad_M A_ij and t = k lr.
 * Hessian noise: Q = sigma^2 A_N / B, so V = (lr sigma^2/(4B)) I (eq. 13); isotropic normal
 * noise: Q = sigma^2 I / B, V = (lr sigma^2/(4B)) A_N^{-1} (eq. 14). Isotropic noise in the
 * full space adds the tangent term sqrt(lr) D11 dW, D11 = sigma/sqrt(B) I: the flow is then an
 * SDE (Euler-Maruyama, one path per seed). Label noise (landscapes with residuals):
 * Q = (2 w eps)^2/B (J N)^T (J N) from the residual Jacobian; with heavy_ball{lr, beta} the
 * momentum equation above is flatter-faster's L~_H (beta = 1 - C lr^gamma), and on a zero-loss
 * manifold the drift per iteration is F eq. (7), -eps^2 lr^2/(4 (1-beta)^2) P_L grad Tr(c H_f),
 * c = 2w/B (manifold_label.c). Adam on the rotated valley: see mf_adam_rv below,
 * with t = k lr^2. sgd (torch) with momentum > 0, momentum{mu} and heavy_ball{beta} (beta = mu,
 * m = lr pi) all use the momentum form; a plain sgd uses SGD's. */
#ifndef MFLAB_MANIFOLD_H
#define MFLAB_MANIFOLD_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"
#include "mflab/landscape.h"
#include "mflab/noise.h"
#include "mflab/optim.h"
#include "mflab/run.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mf_flow mf_flow;

/* ---- the family of flows ----------------------------------------------------------------
 * Each flow is a const mf_flow_type (GSL's gsl_odeiv2_step_type style): which (landscape,
 * optimizer, noise, order) it supports, its first-order drift, its second-order right-hand
 * side, its tangent (SDE) noise and its discrete step where it has them. mf_flow_new asks the
 * registered types in turn (types added by mf_flow_register first, then the built-in table in
 * manifold_flow.c: sharpness, adam_rv, momentum, sgd) and builds the first that claims the
 * combination; the integrators (mf_flow_integrate) are the same for every flow. A flow's
 * state is its own: every entry gets the pointer its init returned. */
typedef struct mf_flow_def {
    void *state; /* the flow's state, released by type->free */
    double dt;   /* time per iteration: lr (SGD, momentum), lr^2 (Adam), lr wd (GD+WD) */
    int sde;     /* 1: tangent noise (type->noise), integrated by Euler-Maruyama only */
} mf_flow_def;

typedef struct mf_flow_type {
    const char *name;
    const char *supports; /* one phrase for the list of supported combinations */
    /* 1: this flow is the one for the combination; 0: not this flow's optimizer (the next type
     * is asked); -1: this flow's optimizer, but the combination is not supported: the reason
     * in *why (reported with the list of supported combinations if no other type claims it). */
    int (*claims)(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                  mf_err *why);
    /* Builds the state for a claimed combination; errors are the user's (bad parameters). */
    int (*init)(const mf_landscape *L, const mf_optim *o, const mf_noise *nz, int order,
                mf_flow_def *def, mf_err *err);
    void (*free)(void *state);
    /* The first-order drift dz/dt at the manifold point z (d entries). */
    int (*drift)(void *state, const double *z, double *dz, mf_err *err);
    /* Order 2, y = (z, m): dz/dt and dm/dt; NULL: a first-order flow only. */
    int (*rhs2)(void *state, const double *z, const double *m, double *dz, double *dm, mf_err *err);
    /* SDE flows: out (d entries, added to z for order 1, to m for order 2) = G(z) dw for the
     * d - codim increments dw ~ N(0, dt) along the tangent basis; NULL: an ODE. */
    int (*noise)(void *state, const double *z, const double *dw, double *out, mf_err *err);
    /* Method 'momentum' (order 2): one iteration on (z, m) in place before the projection;
     * NULL: the method is not offered. */
    int (*step)(void *state, double *z, double *m, mf_err *err);
    /* Optional: a constraint applied after the landscape's projection (z in place). */
    void (*constrain)(void *state, double *z);
    /* Optional: refuses a start the flow is not defined for. */
    int (*check_start)(void *state, const double *x0, mf_err *err);
    /* Optional: nonzero with a one-line note (what is violated and the remedy) when the
     * manifold point z is outside the assumptions the flow is derived under. */
    int (*assumptions)(void *state, const double *z, mf_err *note);
} mf_flow_type;

/* Adds a flow type, asked before the built-in ones (the later registered first). The table
 * is global and not locked: register at start-up, before flows are built on other threads.
 * MF_EINVAL if the type lacks claims, init, free or drift; MF_ENOMEM past 64 types. */
int mf_flow_register(const mf_flow_type *type, mf_err *err);
/* Nonzero, with the note, when the manifold point z is outside the flow's assumptions (Adam:
 * eps >> sqrt(3) |h'| E[y^2]); mflab prints it as a warning when an integration starts. With
 * method 'dp45' a flow whose stable step is far below the record spacing (stiff: Hairer's test
 * for 15 steps, and over MF_ODE_STIFF_STEPS steps still to go) stops with MF_EUNSUPPORTED, the
 * records so far and a message naming the remedy (the flow's note, if it has one). */
int mf_flow_assumptions(mf_flow *fl, const double *z, mf_err *note);
/* The type that mf_flow_new chose. */
const mf_flow_type *mf_flow_get_type(const mf_flow *fl);

/* order 1: the first-order flow; order 2: the second-order (momentum) system, for momentum
 * optimizers and Adam. An unsupported optimizer/noise pair is MF_EUNSUPPORTED with a message
 * that lists the supported pairs. */
int mf_flow_new(mf_flow **out, const mf_landscape *L, const mf_optim *o, const mf_noise *nz,
                int order, mf_err *err);
void mf_flow_free(mf_flow *fl);

/* The first-order drift dz/dt at the manifold point z (length d), in the flow's time. */
int mf_flow_drift(mf_flow *fl, const double *z, double *dz, mf_err *err);
/* Time per iteration: lr (SGD, momentum) or lr^2 (Adam). */
double mf_flow_dt(const mf_flow *fl);
/* 1 when the flow has tangent noise (an SDE). */
int mf_flow_is_sde(const mf_flow *fl);

enum mf_flow_method {
    MF_FLOW_RK4,     /* classical RK4, one step per h iterations */
    MF_FLOW_DP45,    /* Dormand-Prince 5(4), adaptive, landing on every record time */
    MF_FLOW_EM,      /* Euler-Maruyama, one step per h iterations, one path per seed */
    MF_FLOW_MOMENTUM /* order 2: the momentum-like discretization of eq. (17):
                        m <- mu m - lr F(z), z <- P(z + m), one step per iteration */
};

typedef struct mf_flow_config {
    const double *x0; /* start; projected onto the manifold first */
    uint64_t steps, every;
    enum mf_flow_method method;
    double rtol, atol; /* MF_FLOW_DP45 */
    size_t seeds;      /* MF_FLOW_EM: paths (stream (seed, i) each) */
    uint64_t seed;
    uint64_t h; /* MF_FLOW_RK4, MF_FLOW_EM: iterations per step (0 or 1: one); a step never
                   crosses a record time, so the last one before a record may be shorter */
    const int *cancel; /* optional: nonzero *cancel stops this integration (mf_run_config) */
} mf_flow_config;

/* Progress reports for mf_flow_integrate, as for mf_run (run.h): progress(ctx, done, total)
 * in iterations, from the calling thread, at most every MF_PROGRESS_PERIOD seconds and once
 * at the end. NULL turns them off. */
void mf_flow_set_progress(mf_flow *fl, void (*progress)(void *ctx, uint64_t done, uint64_t total),
                          void *ctx);

/* Integrates on the iteration grid of mf_run (records at 0, every, 2 every, ..., and the
 * last step), projecting back onto the manifold after every step; records the coordinates
 * x1..xd (and, for order 2, the momentum m1..md). On MF_ENONFINITE/MF_EINTR the records made
 * so far are returned too. */
int mf_flow_integrate(mf_flow *fl, const mf_flow_config *cfg, mf_result **out, mf_err *err);

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
 *     second order: dx' = -Ms m dt, dm = c1 (h'(x') E[y'^2] - m) dt   (eqs. 46, 52)
 *     first order:  dx'/dt = -Ms h'(x') E[y'^2]                     (eqs. 50, 55 keep eps0)
 * with Ms = M11 - M12^2/M22 = p1 p2/M22, M12 = (p1 - p2) sin cos: a stationary y' needs the mean
 * normal momentum E[m_y'] = -(M12/M22) m, which moves x' too. M12 = 0 at t = 0 and pi/4, where
 * Ms = M11 and the paper's forms hold; beyond the paper, at t = pi/8 it is 8-10% below M11. */
typedef struct mf_adam_rv {
    double theta, sigma0, eps0, c1;
} mf_adam_rv;

/* From the optimizer's and the noise's parameters. */
void mf_adam_rv_init(mf_adam_rv *a, double theta, double lr, double beta1, double eps,
                     double sigma);
/* Stationary E[y'^2] of the fast subsystem at a manifold point where h = h(x'). */
int mf_adam_rv_fast_variance(const mf_adam_rv *a, double h, double *var, mf_err *err);
/* The first-order drift dx'/dt (time k lr^2) and the factor Ms of the second-order form. */
int mf_adam_rv_drift(const mf_adam_rv *a, double h, double hp, double *dxdt, double *m11,
                     mf_err *err);

#ifdef __cplusplus
}
#endif

#endif
