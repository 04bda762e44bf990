/* Loss landscapes: a vtable of block evaluations plus a parameter block.
 *
 * Batch first: a block of m points is stored as structure of arrays, coordinate k of point i
 * at z[k*ld + i] (ld >= m), so one loop over i steps a whole ensemble. Hessians of a block are
 * stored the same way, entry (k, l) of point i at h[(k*d + l)*ldh + i].
 *
 * Manifold geometry (doc/math.md §0): P projects onto the manifold of minima M; at a point of M,
 * T (d x k) and N (d x c) are orthonormal bases of the tangent and normal spaces, stored
 * column-major (column j of T at T[j*d]); A = H_f/2.
 *
 * Every entry of the vtable except the optional ones marked below is non-NULL. A landscape
 * without a fast or closed form of an entry points it at the generic implementation
 * mf_landscape_generic_* below, so callers (runs, noise models, the manifold flow) never
 * test for NULL. The generic entries evaluate one lane at a time through the point
 * functions, so block and point results agree bit for bit; they keep their work arrays in
 * per-thread scratch that grows on first use (no allocation in a steady step loop) and
 * report failure by writing NaN (a run then stops with its non-finite error). */
#ifndef MFLAB_LANDSCAPE_H
#define MFLAB_LANDSCAPE_H

#include <stddef.h>

#include "mflab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mf_landscape mf_landscape;

/* A landscape's own data by name (L.M, L.X, ... in Lua), as mf_landscape_type.field gives it:
 * a matrix (rows x cols, row-major), a vector (rows entries), a number, a text, or index pairs
 * (rows pairs i[k], j[k], 0-based). Pointers are the landscape's own, valid while it lives;
 * small values computed on demand live in buf. */
enum mf_field_kind {
    MF_FIELD_MATRIX,
    MF_FIELD_VECTOR,
    MF_FIELD_NUMBER,
    MF_FIELD_TEXT,
    MF_FIELD_INDEX_PAIRS
};
typedef struct mf_field {
    enum mf_field_kind kind;
    const double *x;
    size_t rows, cols;
    double number;
    const char *text;
    const size_t *i, *j;
    double buf[9];
} mf_field;

typedef struct mf_landscape_type {
    const char *name;
    void (*value)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f);
    void (*grad)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                 size_t ldg);
    void (*hess)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                 size_t ldh);
    /* out_i = H_f(z_i) v_i (v and out d rows of a block). */
    void (*hvp)(const mf_landscape *L, size_t m, const double *z, size_t ld, const double *v,
                size_t ldv, double *out, size_t ldo);
    /* tr_i = Tr H_f(z_i). */
    void (*trace_hessian)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *tr);
    /* pz_i = P z_i; pz may be z (in place). Closed form where one exists, otherwise the
     * gradient-flow limit Phi (mf_landscape_generic_project). Needs codim > 0. */
    void (*project)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *pz,
                    size_t ldp);
    /* Noise hooks: they subtract a noise term from the gradient block g (d rows), so a step
     * needs no separate pass to combine them. xi has c = codim rows of standard normals.
     * normal_sub:    g -= s N(Pz) xi                  (isotropic noise in the normal space)
     * hess_sqrt_sub: g -= s N sqrt(N^T A(Pz) N) xi    (Hessian-aligned noise) */
    void (*normal_sub)(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                       const double *xi, size_t ldxi, double *g, size_t ldg);
    void (*hess_sqrt_sub)(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                          const double *xi, size_t ldxi, double *g, size_t ldg);
    /* At one point z of M: tangent and normal bases (d x (d - codim) and d x codim). */
    void (*frame)(const mf_landscape *L, const double *z, double *T, double *N);
    /* At one point z: out (d x d, row-major) = directional derivative of H_f along v. */
    void (*dhess)(const mf_landscape *L, const double *z, const double *v, double *out);

    /* Optional (NULL when not defined for the landscape). */
    /* Held-out error (matrix sensing, completion, linear regression): out_i at z_i. */
    void (*test_loss)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *out);
    /* Per-example residuals, for label noise (doc/math.md §2 label{eps}). A landscape with them
     * has the form f(z) = w sum_a r_a(z)^2, a = 1..nres, w = L->res_weight, where
     * r_a = prediction_a(z) - y_a. Perturbing every label y_a -> y_a + eps xi_a changes the
     * gradient by -2 w eps J^T xi, J = dr/dz (nres x d), so a label-noise model calls
     * residual_jt_sub(L, m, z, ld, 2 w eps, xi, ldxi, g, ldg) with nres rows of normals.
     *   residuals:        r (nres rows of a block)
     *   residual_jt_sub:  g -= s J(z)^T xi for a block
     *   residual_jacobian: at one point, J (nres x d, row-major) */
    void (*residuals)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *r,
                      size_t ldr);
    void (*residual_jt_sub)(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                            const double *xi, size_t ldxi, double *g, size_t ldg);
    void (*residual_jacobian)(const mf_landscape *L, const double *z, double *J);
    /* Landscape-specific observables the recorder can store (mf_observable_parse asks the
     * landscape for names it does not know): obs_parse returns 1 and an index for a name it
     * knows; obs_eval fills out[j][i] (m entries each) with observable idx[j] at point z_i, all
     * requested indices in one call so that they can share work; obs_help lists the names for
     * error messages. */
    int (*obs_parse)(const mf_landscape *L, const char *name, size_t *index);
    void (*obs_eval)(const mf_landscape *L, size_t nidx, const size_t *idx, size_t m,
                     const double *z, size_t ld, double *const *out);
    const char *obs_help;
    /* Optional: the landscape's own data by name (fields lists the names, comma-separated, for
     * help): fills *out and returns 1 for a name it knows, 0 otherwise. */
    int (*field)(const mf_landscape *L, const char *name, mf_field *out);
    const char *fields;
    /* Optional: constraints c(z) = 0 the user says M satisfies (mf.landscape.expr's option
     * manifold): at one point, c (returned count n <= dim entries) and, when J is not NULL,
     * their Jacobian (n x d, row-major). mf_landscape_check_manifold checks them. */
    size_t (*constraints)(const mf_landscape *L, const double *z, double *c, double *J);

    void (*destroy)(mf_landscape *L);

    /* Optional (after destroy, so that types written before it need no change): at one point
     * z, out (d entries) = the gradient of <W, H_f(z)> for a d x d matrix W (row-major),
     * out_e = sum_ab W_ab d_e H_ab = D^3 f[e, W] (the dhess of every direction contracted with
     * W in one pass). The manifold flows' force uses it instead of one dhess per tangent
     * direction when the landscape has it. */
    void (*dhess_contract)(const mf_landscape *L, const double *z, const double *W, double *out);
} mf_landscape_type;

/* Landscape flags. */
enum {
    /* Evaluations call back into a single-threaded host (a Lua function): runs step such a
     * landscape on the calling thread only. */
    MF_LANDSCAPE_SERIAL = 1,
    /* L(c z) = L(z) for every c > 0 (the sharpness paper's setting): spherical sharpness
     * |z|^2 lambda_1(H_f(z)) = lambda_1(H_f(z/|z|)) is defined (S Q.3). */
    MF_LANDSCAPE_SCALE_INVARIANT = 2,
    /* f = h(x') y'^2 in coordinates (x', y') rotated by a fixed angle from (x, y) (valley,
     * rotated_valley): the setting of Adam's quasistatic flow (manifold.h, mf_adam_rv). */
    MF_LANDSCAPE_VALLEY = 4,
    /* The manifold is the user's claim (codim of an expression or callback landscape, a
     * projection given as expressions): mf_landscape_check_manifold verifies it. */
    MF_LANDSCAPE_CHECK_MANIFOLD = 8
};

struct mf_landscape {
    const mf_landscape_type *type;
    size_t dim;   /* d */
    size_t codim; /* c: dimension of the normal space of M (0 if no manifold is known) */
    void *params;
    unsigned flags;    /* MF_LANDSCAPE_* */
    size_t nres;       /* number of per-example residuals (0: none) */
    double res_weight; /* w in f = w sum_a r_a^2 */
    const double *x0;  /* the paper's starting point (dim entries) or NULL; owned by params */
};

/* One point at a time (z and g of length d, h d x d row-major): thin wrappers over the
 * block evaluations with m = 1, so point and block results agree bit for bit. */
double mf_landscape_value(const mf_landscape *L, const double *z);
void mf_landscape_grad(const mf_landscape *L, const double *z, double *g);
void mf_landscape_hess(const mf_landscape *L, const double *z, double *h);
void mf_landscape_hvp(const mf_landscape *L, const double *z, const double *v, double *out);
double mf_landscape_trace_hessian(const mf_landscape *L, const double *z);
/* Fails when the landscape knows no manifold or the gradient flow did not converge. */
int mf_landscape_project(const mf_landscape *L, const double *z, double *pz, mf_err *err);
/* For a landscape flagged MF_LANDSCAPE_CHECK_MANIFOLD (MF_OK for the others): whether P z is a
 * minimum whose normal space has dimension codim: P z finite, P(P z) = P z (to 1e-8 max(1, |Pz|)),
 * |grad f(Pz)| <= 1e-6 lambda_max max(1, |Pz|), and exactly codim eigenvalues of H_f(Pz) above
 * 1e-6 lambda_max, none below -1e-6 lambda_max. The error says which and what codim the Hessian
 * suggests. With constraints (mf_landscape_type.constraints): also |c_j(Pz)| <= 1e-8 (1 +
 * |grad c_j| |Pz|) and each grad c_j(Pz) in the Hessian's normal space (to 1e-6 relative).
 * Runs call it on x0 before the first step when the noise lives in the normal space. Above
 * dimension MF_CHECK_MANIFOLD_MAXDIM the Hessian (a dense d x d matrix, by finite differences of
 * Lua callbacks for custom landscapes: minutes at d = 2000) is skipped: codim is not checked and
 * lambda_max comes from 30 power iterations of Hessian-vector products. */
#define MF_CHECK_MANIFOLD_MAXDIM 300
int mf_landscape_check_manifold(const mf_landscape *L, const double *z, mf_err *err);
/* T and N at the manifold point z (call project first); fails if codim is 0. */
int mf_landscape_frame(const mf_landscape *L, const double *z, double *T, double *N, mf_err *err);
int mf_landscape_test_loss(const mf_landscape *L, const double *z, double *out, mf_err *err);

void mf_landscape_free(mf_landscape *L);
/* The landscape's field `name` (mf_landscape_type.field); 0 if it has none of that name. */
int mf_landscape_field(const mf_landscape *L, const char *name, mf_field *out);

/* ---- generic implementations (vtable entries for landscapes without a closed form) ----
 *
 * hvp: H v from the dense Hessian.
 * hvp_fd: central difference of gradients, (g(z + e v) - g(z - e v)) / (2e) with
 *   e = MF_FD_STEP1 max(1, |z|) / |v|  (error O(e^2) from the third derivative, O(eps/e)
 *   from rounding; the cube root of the machine epsilon balances the two).
 * trace_hessian: the diagonal of the dense Hessian.
 * project: the gradient-flow limit Phi(z) = lim z(t), dz/dt = -grad f, by an adaptive
 *   Dormand-Prince 5(4) integrator (tolerance 1e-10 relative and 1e-11 max(1, |z|) absolute)
 *   until |grad f| <= 1e-8 max(1, |z|),
 *   then gradient descent (step 0.9/lambda_max, lambda_max by power iteration on hvp) until
 *   |grad f| <= MF_PROJECT_GTOL max(1, |z|); NaN if not reached within MF_PROJECT_MAXEVAL
 *   gradients, or if either stage stalls: |grad f| not halved and z not moved by 1e-8 |z|
 *   within MF_PROJECT_STALL gradients (the first stage then hands over to the second; the
 *   second gives up: from a diverged point, |z| ~ 1e30, rounding is all that is left).
 *   (Near M an explicit adaptive method stalls at its stability limit; gradient descent is
 *   the flow's Euler scheme, whose drift along M there is of second order.)
 * frame: eigendecomposition of H_f(z) (LAPACKE dsyevr); the eigenvectors of the codim
 *   largest eigenvalues span the normal space, the others the tangent space. Each vector's
 *   entry of largest magnitude is made positive, so the bases are deterministic.
 * normal_sub, hess_sqrt_sub: at Pz, N and the eigenvalues lambda of H_f on the normal space
 *   as in frame; N^T A N = diag(lambda/2), so g -= s N xi and g -= s N sqrt(lambda/2) xi.
 * dhess: central difference of Hessians along v with the step of hvp_fd.
 * dhess_coarse: the same with step MF_FD_STEP_DH max(1, |z|)/|v|, for landscapes whose
 *   Hessian is itself a difference (accurate to ~1e-8): the error is then ~1e-5 relative. */
#define MF_FD_STEP1        6.0554544523933395e-06 /* cbrt(DBL_EPSILON) */
#define MF_FD_STEP_DH      2e-3
#define MF_PROJECT_GTOL    1e-12
#define MF_PROJECT_MAXEVAL 2000000
#define MF_PROJECT_STALL   16384
void mf_landscape_generic_hvp(const mf_landscape *L, size_t m, const double *z, size_t ld,
                              const double *v, size_t ldv, double *out, size_t ldo);
void mf_landscape_generic_hvp_fd(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                 const double *v, size_t ldv, double *out, size_t ldo);
void mf_landscape_generic_trace_hessian(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                        double *tr);
void mf_landscape_generic_project(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                  double *pz, size_t ldp);
void mf_landscape_generic_frame(const mf_landscape *L, const double *z, double *T, double *N);
void mf_landscape_generic_normal_sub(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                     double s, const double *xi, size_t ldxi, double *g,
                                     size_t ldg);
void mf_landscape_generic_hess_sqrt_sub(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                        double s, const double *xi, size_t ldxi, double *g,
                                        size_t ldg);
/* Dense paths (a d x d matrix and an O(d^3) factorization: L:hess, L:tangent, the generic
 * normal-space noise at every trajectory-step) refuse dimensions above this. */
#define MF_DENSE_MAXDIM 2000
/* MF_OK, or MF_EINVAL with a message pointing to a matrix-free noise when noise on L's normal
 * space (hessian: its Hessian square root; else isotropic) would take the generic dense path
 * at a dimension above MF_DENSE_MAXDIM. `what` names the noise ("Hessian noise"). */
int mf_landscape_check_dense_noise(const mf_landscape *L, int hessian, const char *what,
                                   mf_err *err);
void mf_landscape_generic_dhess(const mf_landscape *L, const double *z, const double *v,
                                double *out);
void mf_landscape_generic_dhess_coarse(const mf_landscape *L, const double *z, const double *v,
                                       double *out);
/* residual_jt_sub from residual_jacobian, one lane at a time. */
void mf_landscape_generic_residual_jt_sub(const mf_landscape *L, size_t m, const double *z,
                                          size_t ld, double s, const double *xi, size_t ldxi,
                                          double *g, size_t ldg);

/* ---- constructors ---------------------------------------------------------------------- */

/* f(x, y) = h(x) y^2 with h a polynomial, h(x) = sum_k c[k] x^k (doc/math.md §1 valley).
 * The caller guarantees h > 0 on the region of interest; the constructor checks only
 * what it can (ncoef in 1..MF_VALLEY_MAXCOEF, finite coefficients). Start (5, 0) (Q Fig. 1). */
#define MF_VALLEY_MAXCOEF 16
int mf_landscape_valley(mf_landscape **out, const double *c, size_t ncoef, mf_err *err);
/* The coefficients of h (for printing and introspection); 0 for a callback h. */
size_t mf_landscape_valley_coefs(const mf_landscape *L, double *c);

/* A scalar function given by the host: out[0..2] = h(x), h'(x), h''(x); returns 0 or
 * nonzero on failure (the host keeps its own message; the landscape then yields NaN). */
typedef int (*mf_hfun)(void *ud, double x, double out[3]);
/* The valley with h from a callback; h''' by a central difference of h'' (step
 * MF_FD_STEP1 max(1, |x|)). The landscape is MF_LANDSCAPE_SERIAL; ud_free(ud) on free. */
int mf_landscape_valley_fn(mf_landscape **out, mf_hfun h, void *ud, void (*ud_free)(void *),
                           mf_err *err);

/* h and its first three derivatives at x into out[0..3], from any thread (an expression h,
 * expr.h); 0 or nonzero when h is not defined or not positive there (the landscape then
 * yields NaN). The valley (rotated = 0) or rotated valley with such an h: h''' exact, runs
 * multi-threaded; ud_free(ud) on free (also when this fails). */
typedef int (*mf_hfun3)(void *ud, double x, double out[4]);
int mf_landscape_valley_fn3(mf_landscape **out, int rotated, double theta, mf_hfun3 h, void *ud,
                            void (*ud_free)(void *), mf_err *err);

/* Quasistatic eq. (23): f = (x sin(theta) + y cos(theta))^2 h(x cos(theta) - y sin(theta)),
 * h polynomial (default 1 + u^2); manifold the line x sin + y cos = 0, manifold coordinate
 * u = x cos - y sin; P the orthogonal projection onto that line. Start: u = 5 on M. */
int mf_landscape_rotated_valley(mf_landscape **out, double theta, const double *c, size_t ncoef,
                                mf_err *err);

/* Host callbacks for landscapes defined point by point (0 or nonzero on failure). */
typedef int (*mf_pointfun)(void *ud, const double *z, double *out);

/* Quasistatic eq. (5): f(x, y) = y^T A(x) y, x in R^k, y in R^(d-k), manifold y = 0.
 * A(ud, x, out) fills the (d-k) x (d-k) symmetric matrix A(x), row-major. Derivatives of A in
 * x by central differences: first with step MF_FD_STEP1 max(1, |x_j|), second with step
 * MF_FD_STEP2 max(1, |x_j|) (the fourth root of the machine epsilon). SERIAL if serial. */
#define MF_FD_STEP2 1.220703125e-04 /* DBL_EPSILON^(1/4) */
int mf_landscape_quadratic_manifold(mf_landscape **out, size_t k, size_t d, mf_pointfun A, void *ud,
                                    void (*ud_free)(void *), int serial, mf_err *err);

/* Normalization-sharpness App. F: L(w) = F(Uw), F(x, y, z) = 2 - (x + y)/sqrt(x^2 - xy + y^2),
 * U a Haar-random orthogonal 3 x 3 matrix drawn from (seed, stream 0) with mflab's RNG
 * (Gaussian matrix, Householder QR, signs fixed by diag(R) > 0); identity when use_u is 0.
 * Minima: x = y > 0 (z free) in u = Uw. F depends only on the angle of (x, y), so the
 * gradient flow keeps z and r = sqrt(x^2 + y^2) and P is the closed form
 * Phi(u) = (r/sqrt 2, r/sqrt 2, z), defined off the ray x = y < 0. Start w0 = (0.3, 1.3, 1.2)
 * (S Fig. 3c, taken in u coordinates). */
int mf_landscape_sphere3d(mf_landscape **out, int use_u, unsigned long long seed, mf_err *err);
/* U (row-major 3 x 3) of a sphere3d landscape. */
void mf_landscape_sphere3d_u(const mf_landscape *L, double *U);

/* A landscape from host callbacks: value (required; out[0] = f), grad (out = d entries) and
 * hess (out = d x d row-major) optional. A missing gradient is the central difference of f
 * with step MF_FD_STEP1 max(1, |z_k|); a missing Hessian is the central difference of the
 * gradient with the same step (symmetrized), or without a gradient the second difference of
 * f with step MF_FD_STEP2 max(1, |z_k|). Without a Hessian, dhess is dhess_coarse. codim > 0
 * declares a manifold of minima of that codimension (projection by gradient flow, frames by
 * eigendecomposition). */
typedef struct mf_custom_fns {
    mf_pointfun value, grad, hess;
    void *ud;
    void (*ud_free)(void *);
    int serial;
} mf_custom_fns;
int mf_landscape_custom(mf_landscape **out, size_t dim, size_t codim, const mf_custom_fns *fns,
                        mf_err *err);
/* P z in closed form from the host (out = d entries, called with the landscape's ud) instead
 * of the gradient-flow limit; needs codim > 0. */
int mf_landscape_custom_set_project(mf_landscape *L, mf_pointfun project, mf_err *err);

/* Quasistatic §3: f(U, V) = |U V^T - M|_F^2, U m x p, V n x p, z = (U, V) row-major. M given
 * (m x n row-major) or, when M is NULL, M = A B^T with A (m x p) and B (n x p) standard normal,
 * drawn row-major (A then B) from stream (seed, 0). codim = (m + n) r - r^2, r = rank M (0 if
 * r > p: no zero-loss manifold). Start U0 = M, V0 = I when m = n = p (Q Fig. 2). Residuals:
 * vec(U V^T - M), weight 1. Projection, noise hooks, frame (a tangent basis continuous in z),
 * dhess and dhess_contract have closed or structured forms (landscape_mf.c), with the generic
 * ones where those do not apply (rank M < p, degenerate normal eigenvalues). */
int mf_landscape_matrix_factorization(mf_landscape **out, size_t m, size_t n, size_t p,
                                      const double *M, unsigned long long seed, mf_err *err);
/* M (m x n row-major) and the shape. */
const double *mf_landscape_matrix_factorization_target(const mf_landscape *L, size_t *m, size_t *n,
                                                       size_t *p);

/* The UV model (flatter-faster Def. 3.6, eq. 11): f(x) = n^(-1/2) U phi(V x), U m x n, V n x d,
 * L = 1/(2P) sum_a |f(x_a)|^2 (targets y_a = 0, F A.1); z = (U, V) row-major. Data x_a ~ N(0, I)
 * (P x d row-major) from stream (seed, 0); start U, V ~ N(0, 1) from stream (seed, 1).
 * Residuals f_j(x_a) (a-major), weight 1/(2P). codim: m min(d, P) for the linear model, else
 * min(P m, dim) (generic points of the zero-loss set). Activation MF_ACT_*. */
enum { MF_ACT_LINEAR, MF_ACT_TANH, MF_ACT_RELU };
int mf_landscape_uv(mf_landscape **out, size_t n, size_t P, int activation, size_t d, size_t m,
                    unsigned long long seed, mf_err *err);
const double *mf_landscape_uv_data(const mf_landscape *L, size_t *P, size_t *d);

/* Matrix sensing (flatter-faster A.2, eq. 12): L = 1/(dP) sum_i (Tr(A_i U V) - y_i)^2,
 * U, V in R^(d x d), z = (U, V) row-major (dim 2 d^2). Data from stream (seed, 0): X0 (d x d)
 * then A_1..A_P (each d x d), all row-major standard normals; X* = the rank-r truncation of X0
 * (LAPACK dgesvd), y_i = Tr(A_i X*) from the stored A_i. The measurements are stored once,
 * as doubles or (single != 0) rounded to float; products and sums are always in double. Start
 * U = V = I. codim min(P, d^2); residuals r_i = Tr(A_i U V) - y_i with weight 1/(dP);
 * test_loss |U V - X*|_F^2 / d (F eq. 13); trace_hessian in closed form (F eq. 127).
 * Projection, frames and noise hooks are the generic ones. */
int mf_landscape_matrix_sensing(mf_landscape **out, size_t d, size_t r, size_t P, int single,
                                unsigned long long seed, mf_err *err);
/* X* (d x d row-major) and the shape */
const double *mf_landscape_matrix_sensing_target(const mf_landscape *L, size_t *d, size_t *r,
                                                 size_t *P, int *single);
/* the P labels y_i */
const double *mf_landscape_matrix_sensing_labels(const mf_landscape *L);
/* A_i (i = 0..P-1) as stored, converted to double (d x d row-major) */
void mf_landscape_matrix_sensing_measurement(const mf_landscape *L, size_t i, double *Ai);
/* Linear regression with batch normalization (normalization-sharpness §5, App. Q.2; doc/math.md
 * §1): Phi(x) = gamma (w^T x - mu_1)/sigma_1 + beta, mu_1 and sigma_1 the mean and standard
 * deviation (1/n) of w^T x_i over the data, beta = mean y, gamma = std y (1/n);
 * L(w) = (1/n) sum (Phi(x_i) - y_i)^2. Data from stream (seed, 0): w_GT uniform on the unit
 * sphere, b_GT ~ N(0, 0.01), x_i ~ N(0, diag(1/d, 2/d, ..., 1)) row by row, y = w_GT^T x + b_GT.
 * Scale-invariant; codim rank(Xc) - 1 (n - 2 for n <= d + 1). Test loss: the population error
 * E (Phi(x) - y)^2 over fresh data of the recipe, in closed form. Start: uniform on the unit
 * sphere from stream (seed, 1). Recorder observable "dist_minnorm": the distance of the
 * model's coefficients (gamma w/|w|_Sigma, beta - ...) to the min-norm interpolant, problem (M)
 * of S Thm. 5.1. */
int mf_landscape_linreg_bn(mf_landscape **out, size_t d, size_t n, unsigned long long seed,
                           mf_err *err);
/* X (n x d row-major) and, where the pointers are not NULL, n, d, y, w_GT, b_GT and the
 * min-norm interpolant (w*, b*). */
const double *mf_landscape_linreg_bn_data(const mf_landscape *L, size_t *n, size_t *d,
                                          const double **y, const double **w_gt, double *b_gt,
                                          const double **w_mn, double *b_mn);

/* Matrix completion with BN (normalization-sharpness App. P.1; doc/math.md §1): z = (U, V), both
 * d x d row-major, L = (1/N) sum_Omega ((gamma/sigma) [U V^T]_ij - M_ij)^2 with
 * sigma^2 = (1/N) sum_Omega [U V^T]^2 and gamma^2 = (1/N) sum_Omega M^2. Data from stream
 * (seed, 0): U*, V* (d x rank) uniform in [-1, 1], M = d M~/|M~|_F with M~ = U* V*^T, and N =
 * observed distinct entries drawn uniformly (Omega in row-major order). Scale-invariant;
 * codim N - 1. Test loss: (1/d^2) sum over all entries with the same gamma/sigma. Start: U, V
 * entries N(0, init_scale^2) from stream (seed, 1). Recorder observables "sv<k>": the singular
 * values of the recovered matrix (gamma/sigma) U V^T. */
int mf_landscape_matrix_completion_bn(mf_landscape **out, size_t d, size_t rank, size_t observed,
                                      double init_scale, unsigned long long seed, mf_err *err);
/* M (d x d row-major) and, where the pointers are not NULL, d, N and the observed rows and
 * columns (0-based, N each). */
const double *mf_landscape_matrix_completion_bn_data(const mf_landscape *L, size_t *d,
                                                     size_t *observed, const size_t **rows,
                                                     const size_t **cols);

#ifdef __cplusplus
}
#endif

#endif
