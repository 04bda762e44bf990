/* Matrix factorization (quasistatic §3; MATH.md §1): f(U, V) = |U V^T - M|_F^2,
 * U in R^(m x p), V in R^(n x p); z = (U row-major, V row-major). With R = U V^T - M:
 *   grad = 2 (R V, R^T U);  H (dU, dV) = 2 (dR V + R dV, dR^T U + R^T dU), dR = dU V^T + U dV^T;
 *   Tr H = 2 (m |V|_F^2 + n |U|_F^2) everywhere (the R-terms have no diagonal).
 * Residuals r = vec(R) with weight 1, so label noise perturbs the entries of M. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "landscape_impl.h"
#include "mflab/landscape.h"
#include "mflab/rng.h"

typedef struct mfact {
    size_t m, n, p;
    double *M;  /* m x n row-major */
    double *x0; /* U0 = M, V0 = I when m = n = p (quasistatic Fig. 2), else NULL */
} mfact;

/* work for one point: U, V, R, dU, dV, dR, out */
static double *mf_work(const mfact *q) {
    size_t m = q->m, n = q->n, p = q->p;
    return mf_scratch(SCR_MODEL,
                      sizeof(double) * (2 * (m * p + n * p + m * n) + m * p + n * p + 1));
}

/* R = U V^T - M (or dU V^T + U dV^T when M is NULL and dU, dV are given) */
static void resid(const mfact *q, const double *U, const double *V, double *R) {
    size_t m = q->m, n = q->n, p = q->p;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += U[a * p + k] * V[b * p + k];
            R[a * n + b] = s - q->M[a * n + b];
        }
}

/* gU += c A B (A m x n, B n x p), gV += c A^T C (C m x p) */
static void mulRV(const mfact *q, double c, const double *A, const double *B, double *out) {
    size_t m = q->m, n = q->n, p = q->p;
    for (size_t a = 0; a < m; a++)
        for (size_t k = 0; k < p; k++) {
            double s = 0.0;
            for (size_t b = 0; b < n; b++)
                s += A[a * n + b] * B[b * p + k];
            out[a * p + k] += c * s;
        }
}
static void mulRtU(const mfact *q, double c, const double *A, const double *C, double *out) {
    size_t m = q->m, n = q->n, p = q->p;
    for (size_t b = 0; b < n; b++)
        for (size_t k = 0; k < p; k++) {
            double s = 0.0;
            for (size_t a = 0; a < m; a++)
                s += A[a * n + b] * C[a * p + k];
            out[b * p + k] += c * s;
        }
}

static void mf_value(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *f) {
    const mfact *q = L->params;
    size_t D = L->dim, nu = q->m * q->p;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            f[i] = NAN;
            continue;
        }
        double *x = w, *R = w + D;
        lane_get(z, ld, D, i, x);
        resid(q, x, x + nu, R);
        double s = 0.0;
        for (size_t k = 0; k < q->m * q->n; k++)
            s += R[k] * R[k];
        f[i] = s;
    }
}

static void mf_grad(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const mfact *q = L->params;
    size_t D = L->dim, nu = q->m * q->p;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D; k++)
                g[k * ldg + i] = NAN;
            continue;
        }
        double *x = w, *R = w + D, *out = R + q->m * q->n;
        lane_get(z, ld, D, i, x);
        resid(q, x, x + nu, R);
        memset(out, 0, sizeof(double) * D);
        mulRV(q, 2.0, R, x + nu, out);
        mulRtU(q, 2.0, R, x, out + nu);
        lane_put(g, ldg, D, i, out);
    }
}

/* H v at one point, x = (U, V), v = (dU, dV); w has room for R, dR */
static void mf_point_hvp(const mfact *q, const double *x, const double *v, double *out, double *R,
                         double *dR) {
    size_t m = q->m, n = q->n, p = q->p, nu = m * p;
    const double *U = x, *V = x + nu, *dU = v, *dV = v + nu;
    resid(q, U, V, R);
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += dU[a * p + k] * V[b * p + k] + U[a * p + k] * dV[b * p + k];
            dR[a * n + b] = s;
        }
    memset(out, 0, sizeof(double) * (nu + n * p));
    mulRV(q, 2.0, dR, V, out);
    mulRV(q, 2.0, R, dV, out);
    mulRtU(q, 2.0, dR, U, out + nu);
    mulRtU(q, 2.0, R, dU, out + nu);
}

static void mf_hvp(const mf_landscape *L, size_t mm, const double *z, size_t ld, const double *v,
                   size_t ldv, double *out, size_t ldo) {
    const mfact *q = L->params;
    size_t D = L->dim;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D; k++)
                out[k * ldo + i] = NAN;
            continue;
        }
        double *x = w, *u = x + D, *R = u + D, *dR = R + q->m * q->n, *o = dR + q->m * q->n;
        lane_get(z, ld, D, i, x);
        lane_get(v, ldv, D, i, u);
        mf_point_hvp(q, x, u, o, R, dR);
        lane_put(out, ldo, D, i, o);
    }
}

/* dense: column l is H e_l */
static void mf_hess(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *h,
                    size_t ldh) {
    const mfact *q = L->params;
    size_t D = L->dim;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D * D; k++)
                h[k * ldh + i] = NAN;
            continue;
        }
        double *x = w, *u = x + D, *R = u + D, *dR = R + q->m * q->n, *o = dR + q->m * q->n;
        lane_get(z, ld, D, i, x);
        for (size_t l = 0; l < D; l++) {
            memset(u, 0, sizeof(double) * D);
            u[l] = 1.0;
            mf_point_hvp(q, x, u, o, R, dR);
            for (size_t k = 0; k < D; k++)
                h[(k * D + l) * ldh + i] = o[k];
        }
    }
}

static void mf_trace(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *tr) {
    const mfact *q = L->params;
    size_t nu = q->m * q->p, nv = q->n * q->p;
    for (size_t i = 0; i < mm; i++) { /* 2 (m |V|^2 + n |U|^2) */
        double su = 0.0, sv = 0.0;
        for (size_t k = 0; k < nu; k++)
            su += z[k * ld + i] * z[k * ld + i];
        for (size_t k = 0; k < nv; k++)
            sv += z[(nu + k) * ld + i] * z[(nu + k) * ld + i];
        tr[i] = 2.0 * ((double)q->m * sv + (double)q->n * su);
    }
}

static void mf_residuals(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *r,
                         size_t ldr) {
    const mfact *q = L->params;
    size_t D = L->dim, nu = q->m * q->p;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        double *x = w, *R = w + D;
        if (!w) {
            for (size_t k = 0; k < q->m * q->n; k++)
                r[k * ldr + i] = NAN;
            continue;
        }
        lane_get(z, ld, D, i, x);
        resid(q, x, x + nu, R);
        lane_put(r, ldr, q->m * q->n, i, R);
    }
}

/* J^T xi = (Xi V, Xi^T U) with Xi = reshape(xi) (m x n) */
static void mf_residual_jt_sub(const mf_landscape *L, size_t mm, const double *z, size_t ld,
                               double s, const double *xi, size_t ldxi, double *g, size_t ldg) {
    const mfact *q = L->params;
    size_t D = L->dim, nu = q->m * q->p;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D; k++)
                g[k * ldg + i] = NAN;
            continue;
        }
        double *x = w, *X = w + D, *out = X + q->m * q->n;
        lane_get(z, ld, D, i, x);
        lane_get(xi, ldxi, q->m * q->n, i, X);
        memset(out, 0, sizeof(double) * D);
        mulRV(q, 1.0, X, x + nu, out);
        mulRtU(q, 1.0, X, x, out + nu);
        for (size_t k = 0; k < D; k++)
            g[k * ldg + i] -= s * out[k];
    }
}

static void mf_residual_jacobian(const mf_landscape *L, const double *z, double *J) {
    const mfact *q = L->params;
    size_t m = q->m, n = q->n, p = q->p, D = L->dim, nu = m * p;
    memset(J, 0, sizeof(double) * m * n * D);
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++)
            for (size_t k = 0; k < p; k++) {
                J[(a * n + b) * D + a * p + k] = z[nu + b * p + k]; /* dR_ab/dU_ak = V_bk */
                J[(a * n + b) * D + nu + b * p + k] = z[a * p + k]; /* dR_ab/dV_bk = U_ak */
            }
}

static void mf_destroy(mf_landscape *L) {
    mfact *q = L->params;
    free(q->M), free(q->x0);
}

static const mf_landscape_type mf_type = {
    .name = "matrix_factorization",
    .value = mf_value,
    .grad = mf_grad,
    .hess = mf_hess,
    .hvp = mf_hvp,
    .trace_hessian = mf_trace,
    .project = mf_landscape_generic_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = mf_landscape_generic_dhess,
    .residuals = mf_residuals,
    .residual_jt_sub = mf_residual_jt_sub,
    .residual_jacobian = mf_residual_jacobian,
    .destroy = mf_destroy,
};

/* numerical rank of M (m x n) by its singular values, relative tolerance 1e-10 */
static size_t rank_of(const double *M, size_t m, size_t n) {
    size_t k = m < n ? m : n;
    double *G = malloc(sizeof(double) * k * k), *lam = malloc(sizeof(double) * k),
           *vec = malloc(sizeof(double) * k * k);
    size_t r = 0;
    if (G && lam && vec) { /* eigenvalues of the smaller Gram matrix */
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b < k; b++) {
                double s = 0.0;
                if (m <= n)
                    for (size_t c = 0; c < n; c++)
                        s += M[a * n + c] * M[b * n + c];
                else
                    for (size_t c = 0; c < m; c++)
                        s += M[c * n + a] * M[c * n + b];
                G[a * k + b] = s;
            }
        if (mf_sym_eig_top(k, k, G, lam, vec) == 0)
            for (size_t a = 0; a < k; a++)
                r += lam[a] > 1e-12 * lam[k - 1]; /* singular values above 1e-6 of the largest */
    }
    free(G), free(lam), free(vec);
    return r;
}

int mf_landscape_matrix_factorization(mf_landscape **out, size_t m, size_t n, size_t p,
                                      const double *M, unsigned long long seed, mf_err *err) {
    *out = NULL;
    /* each size is bounded first, so that (m + n) p and m n cannot wrap */
    if (m < 1 || n < 1 || p < 1 || m > 100000 || n > 100000 || p > 100000 || (m + n) * p > 100000 ||
        m * n > 10000000)
        return mf_err_set(err, MF_EINVAL,
                          "need m, n, p >= 1, (m + n) p <= 100000 and m n <= 10^7 (got m = %zu, "
                          "n = %zu, p = %zu)",
                          m, n, p);
    mf_landscape *L = calloc(1, sizeof *L);
    mfact *q = calloc(1, sizeof *q);
    double *Mc = malloc(sizeof(double) * m * n);
    if (!L || !q || !Mc) {
        free(L), free(q), free(Mc);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    if (M) {
        for (size_t k = 0; k < m * n; k++)
            if (!isfinite(M[k])) {
                free(L), free(q), free(Mc);
                return mf_err_set(err, MF_EINVAL, "M[%zu][%zu] is not finite", k / n + 1,
                                  k % n + 1);
            }
        memcpy(Mc, M, sizeof(double) * m * n);
    } else { /* M = A B^T, A (m x p), B (n x p) standard normal, row-major, stream (seed, 0) */
        mf_rng r;
        mf_rng_seed(&r, seed, 0);
        double *A = malloc(sizeof(double) * (m + n) * p);
        if (!A) {
            free(L), free(q), free(Mc);
            return mf_err_set(err, MF_ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < (m + n) * p; k++)
            A[k] = mf_rng_normal(&r);
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < n; b++) {
                double s = 0.0;
                for (size_t k = 0; k < p; k++)
                    s += A[a * p + k] * A[(m + b) * p + k];
                Mc[a * n + b] = s;
            }
        free(A);
    }
    q->m = m, q->n = n, q->p = p, q->M = Mc;
    size_t r = rank_of(Mc, m, n);
    L->type = &mf_type;
    L->dim = (m + n) * p;
    /* the fibre {U V^T = M} at full-rank factors: codimension (m + n) r - r^2 */
    L->codim = r <= p ? (m + n) * r - r * r : 0;
    L->params = q;
    L->nres = m * n;
    L->res_weight = 1.0;
    if (m == n && n == p && (q->x0 = calloc(L->dim, sizeof(double)))) {
        memcpy(q->x0, Mc, sizeof(double) * m * n); /* U0 = M, V0 = I (quasistatic Fig. 2) */
        for (size_t k = 0; k < n; k++)
            q->x0[m * p + k * p + k] = 1.0;
        L->x0 = q->x0;
    }
    *out = L;
    return MF_OK;
}

const double *mf_landscape_matrix_factorization_target(const mf_landscape *L, size_t *m, size_t *n,
                                                       size_t *p) {
    const mfact *q = L->params;
    if (m) *m = q->m;
    if (n) *n = q->n;
    if (p) *p = q->p;
    return q->M;
}
