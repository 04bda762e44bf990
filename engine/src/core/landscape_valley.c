/* The valley f(x, y) = h(x) y^2 (quasistatic paper, Fig. 1; MATH.md §1), h a polynomial.
 * Manifold y = 0, tangent e_x, normal e_y; on M, H_f = diag(0, 2h) so A = diag(0, h). */
#include "mflab/landscape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct valley {
    size_t n;                      /* number of coefficients (arrays zero-padded to >= 3) */
    double c[MF_VALLEY_MAXCOEF];   /* h(x) = sum c[k] x^k */
    double d1[MF_VALLEY_MAXCOEF];  /* coefficients of h' */
    double d2[MF_VALLEY_MAXCOEF];  /* of h'' */
    double d3[MF_VALLEY_MAXCOEF];  /* of h''' */
} valley;

/* h and its derivatives share this evaluation; the quadratic case (every valley of the
 * papers) is written out so the block loops vectorize. */
static inline double horner(const double *c, size_t n, double x) {
    if (n <= 3) return (c[2] * x + c[1]) * x + c[0]; /* c is zero-padded */
    double s = 0.0;
    for (size_t k = n; k-- > 0;)
        s = s * x + c[k];
    return s;
}

static void valley_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const valley *v = L->params;
    const double *x = z, *y = z + ld;
    for (size_t i = 0; i < m; i++)
        f[i] = horner(v->c, v->n, x[i]) * (y[i] * y[i]);
}

static void valley_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                        size_t ldg) {
    const valley *v = L->params;
    const double *restrict x = z, *restrict y = z + ld;
    double *restrict gx = g, *restrict gy = g + ldg;
    if (v->n <= 3) { /* the same arithmetic as horner(), in a loop the compiler vectorizes */
        const double c0 = v->c[0], c1 = v->c[1], c2 = v->c[2], e0 = v->d1[0], e1 = v->d1[1];
        for (size_t i = 0; i < m; i++) {
            double h = (c2 * x[i] + c1) * x[i] + c0, hp = (0.0 * x[i] + e1) * x[i] + e0;
            gx[i] = hp * (y[i] * y[i]);
            gy[i] = 2.0 * h * y[i];
        }
        return;
    }
    for (size_t i = 0; i < m; i++) {
        double h = horner(v->c, v->n, x[i]), hp = horner(v->d1, v->n, x[i]);
        gx[i] = hp * (y[i] * y[i]);
        gy[i] = 2.0 * h * y[i];
    }
}

static void valley_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *hs,
                        size_t ldh) {
    const valley *v = L->params;
    const double *x = z, *y = z + ld;
    for (size_t i = 0; i < m; i++) {
        double h = horner(v->c, v->n, x[i]), hp = horner(v->d1, v->n, x[i]),
               hpp = horner(v->d2, v->n, x[i]);
        hs[0 * ldh + i] = hpp * (y[i] * y[i]);
        hs[1 * ldh + i] = 2.0 * hp * y[i];
        hs[2 * ldh + i] = 2.0 * hp * y[i];
        hs[3 * ldh + i] = 2.0 * h;
    }
}

static void valley_project(const mf_landscape *L, size_t m, const double *z, size_t ld,
                           double *pz, size_t ldp) {
    for (size_t i = 0; i < m; i++) {
        pz[i] = z[i];
        pz[ldp + i] = 0.0;
    }
}

/* The normal space is e_y: only the y row of g moves. */
static void valley_normal_sub(const mf_landscape *L, size_t m, const double *z, size_t ld,
                              double s, const double *xi, size_t ldxi, double *g, size_t ldg) {
    double *restrict gy = g + ldg;
    for (size_t i = 0; i < m; i++)
        gy[i] -= s * xi[i];
}

/* sqrt(A(Pz)) on the normal space is sqrt(h(x)). */
static void valley_hess_sqrt_sub(const mf_landscape *L, size_t m, const double *z, size_t ld,
                                 double s, const double *xi, size_t ldxi, double *g, size_t ldg) {
    const valley *v = L->params;
    const double *restrict x = z;
    double *restrict gy = g + ldg;
    if (v->n <= 3) {
        const double c0 = v->c[0], c1 = v->c[1], c2 = v->c[2];
        for (size_t i = 0; i < m; i++)
            gy[i] -= s * sqrt((c2 * x[i] + c1) * x[i] + c0) * xi[i];
        return;
    }
    for (size_t i = 0; i < m; i++)
        gy[i] -= s * sqrt(horner(v->c, v->n, x[i])) * xi[i];
}

static void valley_frame(const mf_landscape *L, const double *z, double *T, double *N) {
    T[0] = 1.0, T[1] = 0.0;
    N[0] = 0.0, N[1] = 1.0;
}

static void valley_dhess(const mf_landscape *L, const double *z, const double *dir, double *out) {
    const valley *v = L->params;
    double x = z[0], y = z[1], vx = dir[0], vy = dir[1];
    double hp = horner(v->d1, v->n, x), hpp = horner(v->d2, v->n, x),
           hppp = horner(v->d3, v->n, x);
    out[0] = hppp * y * y * vx + 2.0 * hpp * y * vy;
    out[1] = out[2] = 2.0 * hpp * y * vx + 2.0 * hp * vy;
    out[3] = 2.0 * hp * vx;
}

static const mf_landscape_type valley_type = {
    .name = "valley",
    .value = valley_value,
    .grad = valley_grad,
    .hess = valley_hess,
    .project = valley_project,
    .normal_sub = valley_normal_sub,
    .hess_sqrt_sub = valley_hess_sqrt_sub,
    .frame = valley_frame,
    .dhess = valley_dhess,
    .destroy = NULL,
};

static void derive(const double *c, double *d, size_t n) {
    for (size_t k = 0; k < n; k++)
        d[k] = k + 1 < n ? (double)(k + 1) * c[k + 1] : 0.0;
}

int mf_landscape_valley(mf_landscape **out, const double *c, size_t ncoef, mf_err *err) {
    *out = NULL;
    if (ncoef < 1 || ncoef > MF_VALLEY_MAXCOEF)
        return mf_err_set(err, MF_EINVAL, "h needs 1 to %d coefficients, got %zu",
                          MF_VALLEY_MAXCOEF, ncoef);
    for (size_t k = 0; k < ncoef; k++)
        if (!isfinite(c[k]))
            return mf_err_set(err, MF_EINVAL, "coefficient %zu of h is not finite", k);
    mf_landscape *L = calloc(1, sizeof *L);
    valley *v = calloc(1, sizeof *v);
    if (!L || !v) {
        free(L), free(v);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    v->n = ncoef;
    memcpy(v->c, c, ncoef * sizeof *c);
    derive(v->c, v->d1, ncoef);
    derive(v->d1, v->d2, ncoef);
    derive(v->d2, v->d3, ncoef);
    L->type = &valley_type;
    L->dim = 2;
    L->codim = 1;
    L->params = v;
    *out = L;
    return MF_OK;
}

size_t mf_landscape_valley_coefs(const mf_landscape *L, double *c) {
    const valley *v = L->params;
    if (c) memcpy(c, v->c, v->n * sizeof *c);
    return v->n;
}
