/* The UV model (flatter-faster Def. 3.6 and eq. 11; doc/math.md §1): f(x) = n^(-1/2) U phi(V x),
 * U in R^(m x n), V in R^(n x d), phi in {identity, tanh, relu} elementwise, loss
 * L = 1/(2P) sum_a |y_a - f(x_a)|^2 with y_a = 0 (F A.1); z = (U row-major, V row-major).
 * Residuals r_aj = f_j(x_a) - y_aj with weight 1/(2P), so label noise perturbs each target.
 * With s = n^(-1/2), h_a = V x_a:
 *   dr_aj/dU_jk = s phi(h_ak),  dr_aj/dV_kl = s U_jk phi'(h_ak) x_al,
 *   H = (1/P) sum_aj (J_aj J_aj^T + r_aj hess r_aj), where hess r_aj has the entries
 *   (U_jk, V_kl): s phi'(h_ak) x_al and (V_kl, V_kl'): s U_jk phi''(h_ak) x_al x_al'. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa_impl.h"
#include "landscape_impl.h"
#include "mflab/landscape.h"
#include "mflab/rng.h"

typedef struct uv {
    size_t n, P, d, m, D;
    int act;
    double *X;  /* P x d row-major */
    double *x0; /* u, v ~ N(0, 1) */
} uv;

static void act(int kind, double h, double *p) { /* phi, phi', phi'' */
    if (kind == MF_ACT_TANH) {
        double t = tanh(h);
        p[0] = t, p[1] = 1.0 - t * t, p[2] = -2.0 * t * (1.0 - t * t);
    } else if (kind == MF_ACT_RELU) {
        p[0] = h > 0.0 ? h : 0.0, p[1] = h > 0.0 ? 1.0 : 0.0, p[2] = 0.0;
    } else {
        p[0] = h, p[1] = 1.0, p[2] = 0.0;
    }
}

/* residuals r (P m) and, if J is not NULL, their Jacobian (P m x D); if H is not NULL also
 * the Hessian of the loss (D x D). work: n * 3 doubles. */
static void uv_point(const uv *q, const double *z, double *r, double *J, double *H, double *w) {
    const size_t n = q->n, d = q->d, m = q->m, D = q->D, mn = m * n;
    const double s = 1.0 / sqrt((double)n), *U = z, *V = z + mn;
    double *ph = w; /* phi, phi', phi'' of unit k at ph[3k..3k+2] */
    if (H) memset(H, 0, sizeof(double) * D * D);
    for (size_t a = 0; a < q->P; a++) {
        const double *x = q->X + a * d;
        for (size_t k = 0; k < n; k++) {
            double h = 0.0;
            for (size_t l = 0; l < d; l++)
                h += V[k * d + l] * x[l];
            act(q->act, h, ph + 3 * k);
        }
        for (size_t j = 0; j < m; j++) {
            double f = 0.0;
            for (size_t k = 0; k < n; k++)
                f += U[j * n + k] * ph[3 * k];
            double rj = s * f;
            r[a * m + j] = rj;
            if (!J) continue;
            double *Jr = J + (a * m + j) * D;
            memset(Jr, 0, sizeof(double) * D);
            for (size_t k = 0; k < n; k++) {
                Jr[j * n + k] = s * ph[3 * k];
                for (size_t l = 0; l < d; l++)
                    Jr[mn + k * d + l] = s * U[j * n + k] * ph[3 * k + 1] * x[l];
            }
            if (!H) continue;
            const double c = 1.0 / (double)q->P;
            for (size_t p1 = 0; p1 < D; p1++) /* Gauss-Newton part */
                if (Jr[p1] != 0.0)
                    for (size_t p2 = 0; p2 < D; p2++)
                        H[p1 * D + p2] += c * Jr[p1] * Jr[p2];
            for (size_t k = 0; k < n; k++) /* r times the Hessian of r */
                for (size_t l = 0; l < d; l++) {
                    size_t iu = j * n + k, iv = mn + k * d + l;
                    double e = c * rj * s * ph[3 * k + 1] * x[l];
                    H[iu * D + iv] += e, H[iv * D + iu] += e;
                    for (size_t l2 = 0; l2 < d; l2++)
                        H[iv * D + mn + k * d + l2] +=
                            c * rj * s * U[j * n + k] * ph[3 * k + 2] * x[l] * x[l2];
                }
        }
    }
}

static double *uv_work(const uv *q, int need_h) {
    size_t D = q->D, R = q->P * q->m;
    return mf_scratch(SCR_MODEL,
                      sizeof(double) * (2 * D + R + R * D + (need_h ? D * D : 0) + 3 * q->n + 1));
}

static void uv_value(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *f) {
    const uv *q = L->params;
    double *w = uv_work(q, 0);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            f[i] = NAN;
            continue;
        }
        double *x = w, *r = x + q->D, *ws = r + q->P * q->m;
        lane_get(z, ld, q->D, i, x);
        uv_point(q, x, r, NULL, NULL, ws);
        double s = 0.0;
        for (size_t a = 0; a < q->P * q->m; a++)
            s += r[a] * r[a];
        f[i] = s / (2.0 * (double)q->P);
    }
}

static void uv_grad(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const uv *q = L->params;
    const size_t D = q->D, R = q->P * q->m;
    double *w = uv_work(q, 0);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D; k++)
                g[k * ldg + i] = NAN;
            continue;
        }
        double *x = w, *o = x + D, *r = o + D, *J = r + R, *ws = J + R * D;
        lane_get(z, ld, D, i, x);
        uv_point(q, x, r, J, NULL, ws);
        for (size_t p = 0; p < D; p++) { /* (1/P) J^T r */
            double s = 0.0;
            for (size_t a = 0; a < R; a++)
                s += J[a * D + p] * r[a];
            o[p] = s / (double)q->P;
        }
        lane_put(g, ldg, D, i, o);
    }
}

static void uv_hess(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *h,
                    size_t ldh) {
    const uv *q = L->params;
    const size_t D = q->D, R = q->P * q->m;
    double *w = uv_work(q, 1);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D * D; k++)
                h[k * ldh + i] = NAN;
            continue;
        }
        double *x = w, *r = x + 2 * D, *J = r + R, *H = J + R * D, *ws = H + D * D;
        lane_get(z, ld, D, i, x);
        uv_point(q, x, r, J, H, ws);
        lane_put(h, ldh, D * D, i, H);
    }
}

static void uv_residuals(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *r,
                         size_t ldr) {
    const uv *q = L->params;
    double *w = uv_work(q, 0);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t a = 0; a < q->P * q->m; a++)
                r[a * ldr + i] = NAN;
            continue;
        }
        double *x = w, *rr = x + q->D, *ws = rr + q->P * q->m;
        lane_get(z, ld, q->D, i, x);
        uv_point(q, x, rr, NULL, NULL, ws);
        lane_put(r, ldr, q->P * q->m, i, rr);
    }
}

static void uv_residual_jacobian(const mf_landscape *L, const double *z, double *J) {
    const uv *q = L->params;
    double *w = mf_scratch(SCR_FD, sizeof(double) * (q->P * q->m + 3 * q->n));
    if (!w) {
        for (size_t a = 0; a < q->P * q->m * q->D; a++)
            J[a] = NAN;
        return;
    }
    uv_point(q, z, w, J, NULL, w + q->P * q->m);
}

/* Projection for tanh and relu: Gauss-Newton with minimum-norm steps z <- z - J^+ r on the
 * residuals, J^+ = J^T (J J^T)^+ with eigenvalues of J J^T below 1e-14 of the largest dropped.
 * The gradient flow is of no use here: with one-dimensional inputs the columns tanh(v_k x_a)
 * are nearly dependent, so the normal Hessian spans six decades (0.63 down to 3e-7 at n = 10,
 * P = 5, seed 0) and the flow would need ~1e7 gradients. The Gauss-Newton limit lies on the
 * zero-loss set and agrees with the gradient-flow limit Phi to first order in the distance
 * (both leave along the normal space), which is what the noise models and flows evaluate at Pz.
 * A point that already meets the tolerance is returned unchanged, so P is idempotent bit for
 * bit. At a relu kink (v_k x_a = 0) phi' is taken as 0, the one-sided derivative from the off
 * side; a step that switches units on or off changes the active set, and the iteration goes on
 * from the new one. Steps are halved while they do not reduce |r|; NaN after 200 iterations. */
#define UV_GN_MAXIT 200
static int uv_converged(const double *r, size_t R, const double *x, size_t D) {
    double rr = 0.0, xx = 0.0;
    for (size_t a = 0; a < R; a++)
        rr += r[a] * r[a];
    for (size_t k = 0; k < D; k++)
        xx += x[k] * x[k];
    return sqrt(rr) <= 1e-14 * (1.0 + sqrt(xx));
}

static void uv_project_gn(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *pz,
                          size_t ldp) {
    const uv *q = L->params;
    const size_t D = q->D, R = q->P * q->m;
    double *w = mf_scratch(
        SCR_PROJECT, sizeof(double) * (3 * D + 2 * R + R * D + 2 * R * R + 4 * R + 3 * q->n + 1));
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D; k++)
                pz[k * ldp + i] = NAN;
            continue;
        }
        double *x = w, *xt = x + D, *dx = xt + D, *r = dx + D, *rt = r + R, *J = rt + R;
        double *G = J + R * D, *E = G + R * R, *lam = E + R * R, *c = lam + R, *lw = c + R;
        double *ws = lw + 2 * R;
        lane_get(z, ld, D, i, x);
        uv_point(q, x, r, J, NULL, ws);
        int ok = uv_converged(r, R, x, D);
        for (int it = 0; !ok && it < UV_GN_MAXIT; it++) {
            for (size_t a = 0; a < R; a++) /* G = J J^T */
                for (size_t b = 0; b <= a; b++) {
                    double s = 0.0;
                    for (size_t k = 0; k < D; k++)
                        s += J[a * D + k] * J[b * D + k];
                    G[a * R + b] = G[b * R + a] = s;
                }
            memcpy(E, G, sizeof(double) * R * R);
            if (LAPACKE_dsyev_work(
                    LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)R, E, (lapack_int)R, lam, lw,
                    (lapack_int)(2 * R + 1 > 3 * R - 1 ? 2 * R + 1 : 3 * R - 1)) != 0)
                break;
            const double cut = 1e-14 * fabs(lam[R - 1]);
            for (size_t e = 0; e < R; e++) { /* c = (J J^T)^+ r in the eigenbasis */
                double s = 0.0;
                for (size_t a = 0; a < R; a++)
                    s += E[a * R + e] * r[a];
                c[e] = lam[e] > cut ? s / lam[e] : 0.0;
            }
            for (size_t k = 0; k < D; k++) { /* dx = J^T E c */
                double s = 0.0;
                for (size_t a = 0; a < R; a++) {
                    double t = 0.0;
                    for (size_t e = 0; e < R; e++)
                        t += E[a * R + e] * c[e];
                    s += J[a * D + k] * t;
                }
                dx[k] = s;
            }
            double r0 = 0.0;
            for (size_t a = 0; a < R; a++)
                r0 += r[a] * r[a];
            double step = 1.0;
            int moved = 0;
            for (int h = 0; h < 40; h++, step *= 0.5) {
                for (size_t k = 0; k < D; k++)
                    xt[k] = x[k] - step * dx[k];
                uv_point(q, xt, rt, NULL, NULL, ws);
                double r1 = 0.0;
                for (size_t a = 0; a < R; a++)
                    r1 += rt[a] * rt[a];
                if (r1 < r0) {
                    moved = 1;
                    break;
                }
            }
            if (!moved) break;
            memcpy(x, xt, sizeof(double) * D);
            uv_point(q, x, r, J, NULL, ws);
            ok = uv_converged(r, R, x, D);
        }
        if (!ok)
            for (size_t k = 0; k < D; k++)
                x[k] = NAN;
        lane_put(pz, ldp, D, i, x);
    }
}

static void uv_project(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *pz,
                       size_t ldp) {
    const uv *q = L->params;
    if (q->act == MF_ACT_LINEAR || q->P * q->m > 2000)
        mf_landscape_generic_project(L, mm, z, ld, pz, ldp);
    else
        uv_project_gn(L, mm, z, ld, pz, ldp);
}

static void uv_destroy(mf_landscape *L) {
    uv *q = L->params;
    free(q->X), free(q->x0);
}

/* L.X (mf_landscape_type.field) */
static int uv_field(const mf_landscape *L, const char *k, mf_field *o) {
    if (strcmp(k, "X") != 0) return 0;
    size_t P, d;
    o->x = mf_landscape_uv_data(L, &P, &d);
    o->kind = MF_FIELD_MATRIX, o->rows = P, o->cols = d;
    return 1;
}

MF_ISA_HIDDEN const mf_landscape_type MF_ISA_NAME(mf_uv_uv_type) = {
    .name = "uv",
    .value = uv_value,
    .grad = uv_grad,
    .hess = uv_hess,
    .hvp = mf_landscape_generic_hvp,
    .trace_hessian = mf_landscape_generic_trace_hessian,
    .project = uv_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = mf_landscape_generic_dhess,
    .residuals = uv_residuals,
    .residual_jt_sub = mf_landscape_generic_residual_jt_sub,
    .residual_jacobian = uv_residual_jacobian,
    .field = uv_field,
    .fields = "X",
    .destroy = uv_destroy,
};

/* ---- constructors (the baseline pass only: isa_impl.h) ------------------------------------ */
#ifndef MF_ISA_VARIANT
MF_ISA_DECLARE(const mf_landscape_type, mf_uv_uv_type);

/* The codimension of the largest component of the zero-loss set {U phi(V X) = 0}, which is a
 * union of strata, X = (x_1 .. x_P) of rank r = min(d, P):
 *   linear: phi(V X) = V X; where V X has rank k the rows of U must be orthogonal to its k
 *     columns (m k conditions) and V restricted to range X has rank k ((n - k)(r - k)
 *     conditions), so the codimension is min over k <= min(n, r) of m k + (n - k)(r - k);
 *   tanh, relu: with j hidden units switched off (v_j orthogonal to range X, j r conditions)
 *     the other n - j columns of phi(V X)^T are generically independent, and U must be
 *     orthogonal to min(n - j, P) of them: min over j <= n of j r + m min(n - j, P).
 * (relu also has units that are off on an open set of V, where every v_j x_a <= 0; the
 * count ignores them, as the generic flows do.) For example tanh, m = 2, d = 3, n = 4, P = 5:
 * 8 (U orthogonal to the 4 columns), not P m = 10. */
static size_t uv_codim(size_t n, size_t P, int activation, size_t d, size_t m) {
    const size_t r = d < P ? d : P;
    size_t best = (size_t)-1;
    if (activation == MF_ACT_LINEAR) {
        for (size_t k = 0; k <= (n < r ? n : r); k++) {
            const size_t c = m * k + (n - k) * (r - k);
            if (c < best) best = c;
        }
    } else {
        for (size_t j = 0; j <= n; j++) {
            const size_t c = j * r + m * (n - j < P ? n - j : P);
            if (c < best) best = c;
        }
    }
    return best;
}

/* The rank of the residual Jacobian at z (eigenvalues of J J^T above 1e-10 of the largest):
 * at a point of the zero-loss set it is the codimension of the stratum the point lies on.
 * Returns 0 when the work space cannot be had or LAPACK fails. */
static size_t uv_jacobian_rank(const uv *q, const double *z) {
    const size_t D = q->D, R = q->P * q->m;
    double *w = malloc(sizeof(double) * (R + R * D + 2 * R * R + 3 * q->n + 1));
    if (!w) return 0;
    double *r = w, *J = r + R, *G = J + R * D, *lam = G + R * R, *ws = lam + R;
    uv_point(q, z, r, J, NULL, ws);
    for (size_t a = 0; a < R; a++)
        for (size_t b = 0; b <= a; b++) {
            double s = 0.0;
            for (size_t k = 0; k < D; k++)
                s += J[a * D + k] * J[b * D + k];
            G[a * R + b] = G[b * R + a] = s;
        }
    size_t rank = 0;
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (lapack_int)R, G, (lapack_int)R, lam) == 0)
        for (size_t a = 0; a < R; a++)
            rank += lam[a] > 1e-10 * lam[R - 1];
    free(w);
    return rank;
}

int mf_landscape_uv(mf_landscape **out, size_t n, size_t P, int activation, size_t d, size_t m,
                    unsigned long long seed, mf_err *err) {
    *out = NULL;
    /* each size is bounded first, so that the products below cannot wrap */
    if (n < 1 || P < 1 || d < 1 || m < 1 || n > 20000 || d > 20000 || m > 20000 || P > 100000 ||
        (m + d) * n > 20000 || P * m > 100000 || P * d > 10000000)
        return mf_err_set(err, MF_EINVAL,
                          "need n, P, d, m >= 1, (m + d) n <= 20000, P m <= 100000 and P d <= 10^7 "
                          "(got n = %zu, P = %zu, d = %zu, m = %zu)",
                          n, P, d, m);
    if (activation != MF_ACT_LINEAR && activation != MF_ACT_TANH && activation != MF_ACT_RELU)
        return mf_err_set(err, MF_EINVAL, "unknown activation %d", activation);
    mf_landscape *L = calloc(1, sizeof *L);
    uv *q = calloc(1, sizeof *q);
    size_t D = (m + d) * n;
    double *X = malloc(sizeof(double) * P * d), *x0 = malloc(sizeof(double) * D);
    if (!L || !q || !X || !x0) {
        free(L), free(q), free(X), free(x0);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    mf_rng r; /* F A.1: x_a ~ N(0, 1) fixed once, stream (seed, 0); u, v ~ N(0, 1), stream 1 */
    mf_rng_seed(&r, seed, 0);
    for (size_t k = 0; k < P * d; k++)
        X[k] = mf_rng_normal(&r);
    mf_rng_seed(&r, seed, 1);
    for (size_t k = 0; k < D; k++)
        x0[k] = mf_rng_normal(&r);
    q->n = n, q->P = P, q->d = d, q->m = m, q->D = D, q->act = activation, q->X = X, q->x0 = x0;
    L->type = MF_ISA_PICK(mf_uv_uv_type);
    L->dim = D;
    L->codim = uv_codim(n, P, activation, d, m);
    L->params = q;
    L->nres = P * m;
    L->res_weight = 1.0 / (2.0 * (double)P);
    L->x0 = x0;
    /* For tanh and relu the stratum count above can miss dependencies of the features: with
     * one-dimensional inputs relu(v x_a) is x_a relu(v) or |x_a| relu(-v), so phi(V X) has rank
     * at most 2 and the zero-loss set has codimension 2m, not m min(n, P). Where the
     * projection is Gauss-Newton, the codimension is the Jacobian's rank at the projection of
     * the start, the stratum a run from there meets. */
    if (activation != MF_ACT_LINEAR && P * m <= 2000) {
        double *pz = malloc(sizeof(double) * D);
        if (pz) {
            uv_project_gn(L, 1, x0, 1, pz, 1);
            if (isfinite(pz[0])) {
                size_t rank = uv_jacobian_rank(q, pz);
                if (rank > 0) L->codim = rank;
            }
            free(pz);
        }
    }
    *out = L;
    return MF_OK;
}

const double *mf_landscape_uv_data(const mf_landscape *L, size_t *P, size_t *d) {
    const uv *q = L->params;
    if (P) *P = q->P;
    if (d) *d = q->d;
    return q->X;
}
#endif /* MF_ISA_VARIANT */
