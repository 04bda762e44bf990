/* The scale-invariant 3-D example of the normalization-sharpness paper, App. F (doc/math.md §1):
 * L(w) = F(Uw), F(x, y, z) = 2 - (x + y)/sqrt(x^2 - xy + y^2), U orthogonal.
 * With s = x + y, q = x^2 - xy + y^2, a = q^(-1/2): F = 2 - s a,
 *   grad F = -(a grad s + s grad a),  grad a = -(1/2) q^(-3/2) grad q,
 *   hess F = -(grad s grad a^T + grad a grad s^T + s hess a),
 *   hess a = (3/4) q^(-5/2) grad q grad q^T - (1/2) q^(-3/2) hess q,
 * grad q = (2x - y, 2y - x), hess q = [[2, -1], [-1, 2]]; F does not depend on z. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa_impl.h"
#include "landscape_impl.h"
#include "mflab/landscape.h"
#include "mflab/rng.h"

typedef struct sphere3d {
    double U[9];  /* row-major */
    double n[3];  /* U^T (1, -1, 0)/sqrt 2: the normal of M in w coordinates */
    double x0[3]; /* U^T (0.3, 1.3, 1.2) */
} sphere3d;

static void mulU(const double *U, const double *w, double *u) {
    for (int r = 0; r < 3; r++)
        u[r] = U[3 * r] * w[0] + U[3 * r + 1] * w[1] + U[3 * r + 2] * w[2];
}
static void mulUt(const double *U, const double *u, double *w) {
    for (int c = 0; c < 3; c++)
        w[c] = U[c] * u[0] + U[3 + c] * u[1] + U[6 + c] * u[2];
}

/* F, its gradient (2 entries) and Hessian (2 x 2) in u = (x, y) */
static double Fderiv(double x, double y, double *g, double *H) {
    double s = x + y, q = x * x - x * y + y * y, a = 1.0 / sqrt(q);
    double gq[2] = {2.0 * x - y, 2.0 * y - x}, hq[4] = {2, -1, -1, 2};
    double a3 = a * a * a, a5 = a3 * a * a;
    double ga[2] = {-0.5 * a3 * gq[0], -0.5 * a3 * gq[1]};
    if (g) g[0] = -(a + s * ga[0]), g[1] = -(a + s * ga[1]);
    if (H)
        for (int k = 0; k < 2; k++)
            for (int l = 0; l < 2; l++) {
                double ha = 0.75 * a5 * gq[k] * gq[l] - 0.5 * a3 * hq[2 * k + l];
                H[2 * k + l] = -(ga[l] + ga[k] + s * ha);
            }
    return 2.0 - s * a;
}

static void s3_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const sphere3d *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double w[3] = {z[i], z[ld + i], z[2 * ld + i]}, u[3];
        mulU(p->U, w, u);
        f[i] = Fderiv(u[0], u[1], NULL, NULL);
    }
}

static void s3_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const sphere3d *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double w[3] = {z[i], z[ld + i], z[2 * ld + i]}, u[3], gu[3] = {0, 0, 0}, gw[3];
        mulU(p->U, w, u);
        Fderiv(u[0], u[1], gu, NULL);
        mulUt(p->U, gu, gw);
        for (int k = 0; k < 3; k++)
            g[k * ldg + i] = gw[k];
    }
}

/* H_w = U^T H_u U at one point */
static void s3_point_hess(const sphere3d *p, const double *w, double *Hw) {
    double u[3], h2[4], Hu[9] = {0};
    mulU(p->U, w, u);
    Fderiv(u[0], u[1], NULL, h2);
    Hu[0] = h2[0], Hu[1] = h2[1], Hu[3] = h2[2], Hu[4] = h2[3];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double s = 0.0;
            for (int k = 0; k < 3; k++)
                for (int l = 0; l < 3; l++)
                    s += p->U[3 * k + a] * Hu[3 * k + l] * p->U[3 * l + b];
            Hw[3 * a + b] = s;
        }
}

static void s3_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                    size_t ldh) {
    const sphere3d *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double w[3] = {z[i], z[ld + i], z[2 * ld + i]}, H[9];
        s3_point_hess(p, w, H);
        for (int k = 0; k < 9; k++)
            h[k * ldh + i] = H[k];
    }
}

static void s3_hvp(const mf_landscape *L, size_t m, const double *z, size_t ld, const double *v,
                   size_t ldv, double *out, size_t ldo) {
    const sphere3d *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double w[3] = {z[i], z[ld + i], z[2 * ld + i]}, H[9];
        s3_point_hess(p, w, H);
        for (int k = 0; k < 3; k++)
            out[k * ldo + i] =
                H[3 * k] * v[i] + H[3 * k + 1] * v[ldv + i] + H[3 * k + 2] * v[2 * ldv + i];
    }
}

static void s3_trace(const mf_landscape *L, size_t m, const double *z, size_t ld, double *tr) {
    const sphere3d *p = L->params;
    for (size_t i = 0; i < m; i++) { /* Tr H_w = Tr H_u (U orthogonal) */
        double w[3] = {z[i], z[ld + i], z[2 * ld + i]}, u[3], h2[4];
        mulU(p->U, w, u);
        Fderiv(u[0], u[1], NULL, h2);
        tr[i] = h2[0] + h2[3];
    }
}

/* Phi(u) = (r/sqrt 2, r/sqrt 2, z), r = |(x, y)|: the gradient flow only turns (x, y). It is
 * undefined at r = 0 and on the ray x = y < 0 (the maximum of F), where it gives NaN. */
static void s3_project(const mf_landscape *L, size_t m, const double *z, size_t ld, double *pz,
                       size_t ldp) {
    const sphere3d *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double w[3] = {z[i], z[ld + i], z[2 * ld + i]}, u[3];
        mulU(p->U, w, u);
        double r = sqrt(u[0] * u[0] + u[1] * u[1]);
        if (r == 0.0 || (u[0] == u[1] && u[0] < 0.0)) r = NAN;
        u[0] = u[1] = r / sqrt(2.0);
        mulUt(p->U, u, w);
        for (int k = 0; k < 3; k++)
            pz[k * ldp + i] = w[k];
    }
}

static void s3_normal_sub(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                          const double *xi, size_t ldxi, double *g, size_t ldg) {
    const sphere3d *p = L->params;
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < m; i++)
            g[k * ldg + i] -= s * p->n[k] * xi[i];
}

/* On M, H = 3/r^2 [[1, -1, 0], [-1, 1, 0], [0, 0, 0]] (doc/math.md §1), so n^T A n = 3/r^2 with r
 * the radius of (x, y), which Phi keeps. */
static void s3_hess_sqrt_sub(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                             const double *xi, size_t ldxi, double *g, size_t ldg) {
    const sphere3d *p = L->params;
    for (size_t i = 0; i < m; i++) {
        double w[3] = {z[i], z[ld + i], z[2 * ld + i]}, u[3];
        mulU(p->U, w, u);
        double q = s * sqrt(3.0 / (u[0] * u[0] + u[1] * u[1])) * xi[i];
        for (int k = 0; k < 3; k++)
            g[k * ldg + i] -= q * p->n[k];
    }
}

static void s3_frame(const mf_landscape *L, const double *z, double *T, double *N) {
    const sphere3d *p = L->params;
    const double r2 = sqrt(0.5), t1[3] = {r2, r2, 0}, t2[3] = {0, 0, 1};
    mulUt(p->U, t1, T);
    mulUt(p->U, t2, T + 3);
    memcpy(N, p->n, sizeof p->n);
}

/* L.U (mf_landscape_type.field) */
static int sphere3d_field(const mf_landscape *L, const char *k, mf_field *o) {
    if (strcmp(k, "U") != 0) return 0;
    *o = (mf_field){.kind = MF_FIELD_MATRIX, .rows = 3, .cols = 3};
    mf_landscape_sphere3d_u(L, o->buf);
    o->x = o->buf;
    return 1;
}

MF_ISA_HIDDEN const mf_landscape_type MF_ISA_NAME(mf_s3_sphere3d_type) = {
    .name = "sphere3d",
    .value = s3_value,
    .grad = s3_grad,
    .hess = s3_hess,
    .hvp = s3_hvp,
    .trace_hessian = s3_trace,
    .project = s3_project,
    .normal_sub = s3_normal_sub,
    .hess_sqrt_sub = s3_hess_sqrt_sub,
    .frame = s3_frame,
    .dhess = mf_landscape_generic_dhess,
    .field = sphere3d_field,
    .fields = "U",
};

/* ---- constructors (the baseline pass only: isa_impl.h) ------------------------------------ */
#ifndef MF_ISA_VARIANT
MF_ISA_DECLARE(const mf_landscape_type, mf_s3_sphere3d_type);

int mf_landscape_sphere3d(mf_landscape **out, int use_u, unsigned long long seed, mf_err *err) {
    *out = NULL;
    mf_landscape *L = calloc(1, sizeof *L);
    sphere3d *p = calloc(1, sizeof *p);
    if (!L || !p) {
        free(L), free(p);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    double Q[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    if (use_u) {
        /* Haar: Gram-Schmidt on the columns of a Gaussian matrix (the Q of a QR with
         * positive diag(R)); entries drawn row by row from stream (seed, 0) */
        mf_rng r;
        mf_rng_seed(&r, seed, 0);
        double G[9];
        for (int k = 0; k < 9; k++)
            G[k] = mf_rng_normal(&r);
        for (int c = 0; c < 3; c++) {
            double v[3] = {G[c], G[3 + c], G[6 + c]};
            for (int b = 0; b < c; b++) {
                double dot = v[0] * Q[b] + v[1] * Q[3 + b] + v[2] * Q[6 + b];
                for (int k = 0; k < 3; k++)
                    v[k] -= dot * Q[3 * k + b];
            }
            double nv = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
            for (int k = 0; k < 3; k++)
                Q[3 * k + c] = v[k] / nv;
        }
    }
    memcpy(p->U, Q, sizeof Q);
    const double nu[3] = {sqrt(0.5), -sqrt(0.5), 0.0}, u0[3] = {0.3, 1.3, 1.2};
    mulUt(p->U, nu, p->n);
    mulUt(p->U, u0, p->x0); /* S Fig. 3c: w0 = (0.3, 1.3, 1.2) in the domain of F */
    L->type = MF_ISA_PICK(mf_s3_sphere3d_type);
    L->dim = 3, L->codim = 1, L->params = p, L->x0 = p->x0;
    L->flags = MF_LANDSCAPE_SCALE_INVARIANT;
    *out = L;
    return MF_OK;
}

void mf_landscape_sphere3d_u(const mf_landscape *L, double *U) {
    memcpy(U, ((const sphere3d *)L->params)->U, 9 * sizeof(double));
}
#endif /* MF_ISA_VARIANT */
