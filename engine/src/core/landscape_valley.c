/* The valley f(x, y) = h(x) y^2 (quasistatic paper, Fig. 1; doc/math.md §1), h a polynomial or a
 * host callback, and the rotated valley of quasistatic eq. (23).
 * Valley: manifold y = 0, tangent e_x, normal e_y; on M, H_f = diag(0, 2h) so A = diag(0, h). */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa_impl.h"
#include "landscape_impl.h"
#include "mflab/landscape.h"

typedef struct valley {
    size_t n;                     /* number of coefficients (arrays zero-padded to >= 3) */
    double c[MF_VALLEY_MAXCOEF];  /* h(x) = sum c[k] x^k */
    double d1[MF_VALLEY_MAXCOEF]; /* coefficients of h' */
    double d2[MF_VALLEY_MAXCOEF]; /* of h'' */
    double d3[MF_VALLEY_MAXCOEF]; /* of h''' */
    mf_hfun fn;                   /* h from the host instead (then n = 0) */
    mf_hfun3 fn3;                 /* or h from a thread-safe callback with h''' (expr_valley.c) */
    void *ud;
    void (*ud_free)(void *);
    double cs, sn; /* rotated valley: cos(theta), sin(theta) */
    double x0[2];  /* the paper's start */
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

/* h, h', h'' at x (NaN when the host callback fails). */
static void heval(const valley *v, double x, double *h) {
    if (v->fn3) {
        double o[4];
        int bad = v->fn3(v->ud, x, o);
        h[0] = bad ? NAN : o[0], h[1] = bad ? NAN : o[1], h[2] = bad ? NAN : o[2];
        return;
    }
    if (v->fn) { /* the host may call the engine again: its own scratch level */
        int bad = 1;
        if (!mf_scratch_enter()) {
            bad = v->fn(v->ud, x, h);
            mf_scratch_leave();
        }
        if (bad) h[0] = h[1] = h[2] = NAN;
        return;
    }
    h[0] = horner(v->c, v->n, x), h[1] = horner(v->d1, v->n, x), h[2] = horner(v->d2, v->n, x);
}

/* h''' at x: exact for a polynomial, a central difference of h'' for a callback. */
static double h3eval(const valley *v, double x) {
    double o[4];
    if (v->fn3) return v->fn3(v->ud, x, o) ? NAN : o[3];
    if (!v->fn) return horner(v->d3, v->n, x);
    double e = MF_FD_STEP1 * (fabs(x) > 1.0 ? fabs(x) : 1.0), hp[3], hm[3];
    heval(v, x + e, hp);
    heval(v, x - e, hm);
    return (hp[2] - hm[2]) / (2.0 * e);
}

static void valley_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const valley *v = L->params;
    const double *x = z, *y = z + ld;
    if (v->fn || v->fn3) {
        for (size_t i = 0; i < m; i++) {
            double h[3];
            heval(v, x[i], h);
            f[i] = h[0] * (y[i] * y[i]);
        }
        return;
    }
    for (size_t i = 0; i < m; i++)
        f[i] = horner(v->c, v->n, x[i]) * (y[i] * y[i]);
}

static void valley_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                        size_t ldg) {
    const valley *v = L->params;
    const double *restrict x = z, *restrict y = z + ld;
    double *restrict gx = g, *restrict gy = g + ldg;
    if (v->fn || v->fn3) {
        for (size_t i = 0; i < m; i++) {
            double h[3];
            heval(v, x[i], h);
            gx[i] = h[1] * (y[i] * y[i]);
            gy[i] = 2.0 * h[0] * y[i];
        }
        return;
    }
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
        double h[3];
        heval(v, x[i], h);
        hs[0 * ldh + i] = h[2] * (y[i] * y[i]);
        hs[1 * ldh + i] = 2.0 * h[1] * y[i];
        hs[2 * ldh + i] = 2.0 * h[1] * y[i];
        hs[3 * ldh + i] = 2.0 * h[0];
    }
}

static void valley_hvp(const mf_landscape *L, size_t m, const double *z, size_t ld, const double *w,
                       size_t ldw, double *out, size_t ldo) {
    const valley *v = L->params;
    const double *x = z, *y = z + ld;
    for (size_t i = 0; i < m; i++) {
        double h[3], wx = w[i], wy = w[ldw + i];
        heval(v, x[i], h);
        out[i] = h[2] * (y[i] * y[i]) * wx + 2.0 * h[1] * y[i] * wy;
        out[ldo + i] = 2.0 * h[1] * y[i] * wx + 2.0 * h[0] * wy;
    }
}

static void valley_trace(const mf_landscape *L, size_t m, const double *z, size_t ld, double *tr) {
    const valley *v = L->params;
    const double *x = z, *y = z + ld;
    for (size_t i = 0; i < m; i++) {
        double h[3];
        heval(v, x[i], h);
        tr[i] = h[2] * (y[i] * y[i]) + 2.0 * h[0];
    }
}

static void valley_project(const mf_landscape *L, size_t m, const double *z, size_t ld, double *pz,
                           size_t ldp) {
    for (size_t i = 0; i < m; i++) {
        pz[i] = z[i];
        pz[ldp + i] = 0.0;
    }
}

/* The normal space is e_y: only the y row of g moves. */
static void valley_normal_sub(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                              const double *xi, size_t ldxi, double *g, size_t ldg) {
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
    if (v->fn || v->fn3) {
        for (size_t i = 0; i < m; i++) {
            double h[3];
            heval(v, x[i], h);
            gy[i] -= s * sqrt(h[0]) * xi[i];
        }
        return;
    }
    if (v->n <= 3) {
        const double c0 = v->c[0], c1 = v->c[1], c2 = v->c[2];
        /* mul_tiny: x sits at 1e-300 and below at Adam's valley floor, and c2 x, x^2 then cost
         * vmulpd's subnormal penalty. (The same in valley_grad slowed SGD by 3%: not there.) */
        for (size_t i = 0; i < m; i++)
            gy[i] -= s * sqrt(mul_tiny(mul_tiny(c2, x[i]) + c1, x[i]) + c0) * xi[i];
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
    double x = z[0], y = z[1], vx = dir[0], vy = dir[1], h[3];
    heval(v, x, h);
    double hp = h[1], hpp = h[2], hppp = h3eval(v, x);
    out[0] = hppp * y * y * vx + 2.0 * hpp * y * vy;
    out[1] = out[2] = 2.0 * hpp * y * vx + 2.0 * hp * vy;
    out[3] = 2.0 * hp * vx;
}

static void valley_destroy(mf_landscape *L) {
    valley *v = L->params;
    if (v->ud_free) v->ud_free(v->ud);
}

MF_ISA_HIDDEN const mf_landscape_type MF_ISA_NAME(mf_valley_type) = {
    .name = "valley",
    .value = valley_value,
    .grad = valley_grad,
    .hess = valley_hess,
    .hvp = valley_hvp,
    .trace_hessian = valley_trace,
    .project = valley_project,
    .normal_sub = valley_normal_sub,
    .hess_sqrt_sub = valley_hess_sqrt_sub,
    .frame = valley_frame,
    .dhess = valley_dhess,
    .destroy = valley_destroy,
};

/* ---- rotated valley, quasistatic eq. (23) --------------------------------------------------
 * With n = (sin, cos) and t = (cos, -sin): v = n.z, u = t.z, f = v^2 h(u),
 * grad f = 2 v h n + v^2 h' t,
 * H_f = 2 h n n^T + 2 v h' (n t^T + t n^T) + v^2 h'' t t^T. */

static void rv_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const valley *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double x = z[i], y = z[ld + i], v = p->sn * x + p->cs * y, u = p->cs * x - p->sn * y, h[3];
        heval(p, u, h);
        f[i] = (v * v) * h[0];
    }
}

static void rv_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const valley *p = L->params;
    const double sn = p->sn, cs = p->cs;
    for (size_t i = 0; i < m; i++) {
        double x = z[i], y = z[ld + i], v = sn * x + cs * y, u = cs * x - sn * y, h[3];
        heval(p, u, h);
        double a = 2.0 * v * h[0], b = (v * v) * h[1]; /* grad = a n + b t */
        g[i] = a * sn + b * cs;
        g[ldg + i] = a * cs - b * sn;
    }
}

static void rv_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *hs,
                    size_t ldh) {
    const valley *p = L->params;
    const double n[2] = {p->sn, p->cs}, t[2] = {p->cs, -p->sn};
    for (size_t i = 0; i < m; i++) {
        double x = z[i], y = z[ld + i], v = n[0] * x + n[1] * y, u = t[0] * x + t[1] * y, h[3];
        heval(p, u, h);
        double a = 2.0 * h[0], b = 2.0 * v * h[1], c = (v * v) * h[2];
        for (int k = 0; k < 2; k++)
            for (int l = 0; l < 2; l++)
                hs[(k * 2 + l) * ldh + i] =
                    a * n[k] * n[l] + b * (n[k] * t[l] + t[k] * n[l]) + c * t[k] * t[l];
    }
}

static void rv_hvp(const mf_landscape *L, size_t m, const double *z, size_t ld, const double *w,
                   size_t ldw, double *out, size_t ldo) {
    const valley *p = L->params;
    const double n[2] = {p->sn, p->cs}, t[2] = {p->cs, -p->sn};
    for (size_t i = 0; i < m; i++) {
        double x = z[i], y = z[ld + i], v = n[0] * x + n[1] * y, u = t[0] * x + t[1] * y, h[3];
        heval(p, u, h);
        double nw = n[0] * w[i] + n[1] * w[ldw + i], tw = t[0] * w[i] + t[1] * w[ldw + i];
        double a = 2.0 * h[0], b = 2.0 * v * h[1], c = (v * v) * h[2];
        for (int k = 0; k < 2; k++)
            out[k * ldo + i] = a * n[k] * nw + b * (n[k] * tw + t[k] * nw) + c * t[k] * tw;
    }
}

static void rv_trace(const mf_landscape *L, size_t m, const double *z, size_t ld, double *tr) {
    const valley *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double x = z[i], y = z[ld + i], v = p->sn * x + p->cs * y, u = p->cs * x - p->sn * y, h[3];
        heval(p, u, h);
        tr[i] = 2.0 * h[0] + (v * v) * h[2];
    }
}

/* P z = z - (n.z) n, the nearest point of the line n.z = 0 */
static void rv_project(const mf_landscape *L, size_t m, const double *z, size_t ld, double *pz,
                       size_t ldp) {
    const valley *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double x = z[i], y = z[ld + i], v = p->sn * x + p->cs * y;
        pz[i] = x - v * p->sn;
        pz[ldp + i] = y - v * p->cs;
    }
}

static void rv_normal_sub(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                          const double *xi, size_t ldxi, double *g, size_t ldg) {
    const valley *p = L->params;
    for (size_t i = 0; i < m; i++) {
        g[i] -= s * p->sn * xi[i];
        g[ldg + i] -= s * p->cs * xi[i];
    }
}

/* on M, A = h(u) n n^T: g -= s sqrt(h(u)) n xi (u = t.z is unchanged by P) */
static void rv_hess_sqrt_sub(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                             const double *xi, size_t ldxi, double *g, size_t ldg) {
    const valley *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double u = p->cs * z[i] - p->sn * z[ld + i], h[3];
        heval(p, u, h);
        double q = s * sqrt(h[0]) * xi[i];
        g[i] -= q * p->sn;
        g[ldg + i] -= q * p->cs;
    }
}

static void rv_frame(const mf_landscape *L, const double *z, double *T, double *N) {
    const valley *p = L->params;
    T[0] = p->cs, T[1] = -p->sn;
    N[0] = p->sn, N[1] = p->cs;
}

/* dH along w (dv = n.w, du = t.w):
 * 2 h' du n n^T + 2 (dv h' + v h'' du)(n t^T + t n^T) + (2 v dv h'' + v^2 h''' du) t t^T */
static void rv_dhess(const mf_landscape *L, const double *z, const double *w, double *out) {
    const valley *p = L->params;
    const double n[2] = {p->sn, p->cs}, t[2] = {p->cs, -p->sn};
    double v = n[0] * z[0] + n[1] * z[1], u = t[0] * z[0] + t[1] * z[1], h[3];
    double dv = n[0] * w[0] + n[1] * w[1], du = t[0] * w[0] + t[1] * w[1];
    heval(p, u, h);
    double h3 = h3eval(p, u);
    double a = 2.0 * h[1] * du, b = 2.0 * (dv * h[1] + v * h[2] * du),
           c = 2.0 * v * dv * h[2] + v * v * h3 * du;
    for (int k = 0; k < 2; k++)
        for (int l = 0; l < 2; l++)
            out[k * 2 + l] = a * n[k] * n[l] + b * (n[k] * t[l] + t[k] * n[l]) + c * t[k] * t[l];
}

MF_ISA_HIDDEN const mf_landscape_type MF_ISA_NAME(mf_rotated_valley_type) = {
    .name = "rotated_valley",
    .value = rv_value,
    .grad = rv_grad,
    .hess = rv_hess,
    .hvp = rv_hvp,
    .trace_hessian = rv_trace,
    .project = rv_project,
    .normal_sub = rv_normal_sub,
    .hess_sqrt_sub = rv_hess_sqrt_sub,
    .frame = rv_frame,
    .dhess = rv_dhess,
    .destroy = valley_destroy,
};

/* ---- constructors (the baseline pass only: isa_impl.h) ----------------------------------- */
#ifndef MF_ISA_VARIANT
MF_ISA_DECLARE(const mf_landscape_type, mf_valley_type);
MF_ISA_DECLARE(const mf_landscape_type, mf_rotated_valley_type);

static void derive(const double *c, double *d, size_t n) {
    for (size_t k = 0; k < n; k++)
        d[k] = k + 1 < n ? (double)(k + 1) * c[k + 1] : 0.0;
}

/* Whether the polynomial h = sum c[k] x^k stays positive on the whole line (the valley needs
 * h > 0, as a Lua-function h is checked where it is evaluated). Its minimum is at infinity
 * unless the degree is even with a positive leading coefficient, and otherwise at a real root
 * of h': the real eigenvalues of the companion matrix of h' (LAPACK dhseqr). On 0 the
 * offending x is in *at (HUGE_VAL: h -> -infinity or h is constant <= 0). */
static int poly_positive(const double *c, size_t n, double *at) {
    while (n > 1 && c[n - 1] == 0.0)
        n--;
    *at = 0.0;
    if (n == 1) return c[0] > 0.0;
    if ((n - 1) % 2 != 0 || c[n - 1] < 0.0) {
        *at = HUGE_VAL;
        return 0;
    }
    /* h' = sum_{k>=1} k c[k] x^(k-1), degree m = n - 2 >= 1: companion matrix, upper Hessenberg */
    size_t m = n - 2;
    double H[(MF_VALLEY_MAXCOEF) * (MF_VALLEY_MAXCOEF)] = {0}, wr[MF_VALLEY_MAXCOEF],
                                   wi[MF_VALLEY_MAXCOEF], z[1];
    const double lead = (double)(n - 1) * c[n - 1];
    for (size_t j = 0; j < m; j++) /* first row: -a_{m-1-j}/a_m (column-major) */
        H[j * m] = -(double)(m - j) * c[m - j] / lead;
    for (size_t i = 1; i < m; i++)
        H[(i - 1) * m + i] = 1.0;
    if (LAPACKE_dhseqr(LAPACK_COL_MAJOR, 'E', 'N', (lapack_int)m, 1, (lapack_int)m, H,
                       (lapack_int)m, wr, wi, z, 1) != 0)
        return 1; /* cannot tell: leave it to the evaluations */
    for (size_t j = 0; j < m; j++) {
        if (fabs(wi[j]) > 1e-9 * (1.0 + fabs(wr[j]))) continue;
        if (!(horner(c, n, wr[j]) > 0.0)) {
            *at = wr[j];
            return 0;
        }
    }
    return 1;
}

static int valley_new(mf_landscape **out, const mf_landscape_type *type, const double *c,
                      size_t ncoef, mf_hfun fn, void *ud, void (*ud_free)(void *), mf_err *err) {
    *out = NULL;
    if (!fn) {
        if (ncoef < 1 || ncoef > MF_VALLEY_MAXCOEF)
            return mf_err_set(err, MF_EINVAL, "h needs 1 to %d coefficients, got %zu",
                              MF_VALLEY_MAXCOEF, ncoef);
        for (size_t k = 0; k < ncoef; k++)
            if (!isfinite(c[k]))
                return mf_err_set(err, MF_EINVAL, "coefficient %zu of h is not finite", k);
        double at, pc[MF_VALLEY_MAXCOEF] = {0}; /* zero-padded, as horner() reads */
        memcpy(pc, c, ncoef * sizeof *c);
        if (!poly_positive(pc, ncoef, &at)) {
            if (at == HUGE_VAL)
                return mf_err_set(err, MF_EINVAL,
                                  "option 'h' must stay positive (the valley needs h > 0), but "
                                  "this polynomial is <= 0 %s",
                                  ncoef == 1 ? "everywhere" : "for large |x|");
            return mf_err_set(err, MF_EINVAL,
                              "option 'h' must stay positive (the valley needs h > 0), but "
                              "h(%.17g) = %.17g",
                              at, horner(pc, ncoef, at));
        }
    }
    mf_landscape *L = calloc(1, sizeof *L);
    valley *v = calloc(1, sizeof *v);
    if (!L || !v) {
        free(L), free(v);
        if (ud_free) ud_free(ud);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    L->flags = MF_LANDSCAPE_VALLEY;
    if (fn) {
        v->fn = fn, v->ud = ud, v->ud_free = ud_free;
        L->flags |= MF_LANDSCAPE_SERIAL;
    } else {
        v->n = ncoef;
        memcpy(v->c, c, ncoef * sizeof *c);
        derive(v->c, v->d1, ncoef);
        derive(v->d1, v->d2, ncoef);
        derive(v->d2, v->d3, ncoef);
    }
    v->cs = 1.0, v->sn = 0.0;
    v->x0[0] = 5.0, v->x0[1] = 0.0; /* quasistatic Fig. 1 */
    L->type = type;
    L->dim = 2;
    L->codim = 1;
    L->params = v;
    L->x0 = v->x0;
    *out = L;
    return MF_OK;
}

int mf_landscape_valley(mf_landscape **out, const double *c, size_t ncoef, mf_err *err) {
    return valley_new(out, MF_ISA_PICK(mf_valley_type), c, ncoef, NULL, NULL, NULL, err);
}

int mf_landscape_valley_fn(mf_landscape **out, mf_hfun h, void *ud, void (*ud_free)(void *),
                           mf_err *err) {
    return valley_new(out, MF_ISA_PICK(mf_valley_type), NULL, 0, h, ud, ud_free, err);
}

int mf_landscape_rotated_valley(mf_landscape **out, double theta, const double *c, size_t ncoef,
                                mf_err *err) {
    if (!isfinite(theta)) {
        *out = NULL;
        return mf_err_set(err, MF_EINVAL, "theta must be finite");
    }
    int rc = valley_new(out, MF_ISA_PICK(mf_rotated_valley_type), c, ncoef, NULL, NULL, NULL, err);
    if (rc) return rc;
    valley *v = (*out)->params;
    v->cs = cos(theta), v->sn = sin(theta);
    v->x0[0] = 5.0 * v->cs, v->x0[1] = -5.0 * v->sn; /* u = 5 on M, as (5, 0) for theta = 0 */
    return MF_OK;
}

int mf_landscape_valley_fn3(mf_landscape **out, int rotated, double theta, mf_hfun3 h, void *ud,
                            void (*ud_free)(void *), mf_err *err) {
    static const double one = 1.0;
    int rc = rotated ? mf_landscape_rotated_valley(out, theta, &one, 1, err)
                     : mf_landscape_valley(out, &one, 1, err);
    if (rc) {
        if (ud_free) ud_free(ud);
        return rc;
    }
    valley *v = (*out)->params;
    v->n = 0; /* no coefficients */
    v->fn3 = h, v->ud = ud, v->ud_free = ud_free;
    return MF_OK;
}

size_t mf_landscape_valley_coefs(const mf_landscape *L, double *c) {
    const valley *v = L->params;
    if (c) memcpy(c, v->c, v->n * sizeof *c);
    return v->n;
}
#endif /* MF_ISA_VARIANT */
