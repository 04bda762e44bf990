/* Every landscape of the engine against the same checks: gradients and Hessians against
 * central differences, hvp and trace against the dense Hessian, block evaluation equal to
 * point evaluation bit for bit, projections onto the manifold (loss <= 1e-12, idempotent),
 * orthonormal frames whose tangent space the Hessian annihilates, the noise hooks' covariance
 * (N N^T and A = H_f/2 at Pz), and the Hessian derivative against differences of Hessians. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/landscape.h"
#include "mflab/rng.h"

typedef void (*sampler)(mf_rng *r, size_t d, double *z);

static void sample_normal(mf_rng *r, size_t d, double *z) {
    for (size_t k = 0; k < d; k++)
        z[k] = mf_rng_normal(r);
}

static double maxabs(size_t n, const double *x) {
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        s = fmax(s, fabs(x[k]));
    return s;
}

/* worst |a - b| / max(1, max|b|) over n entries */
static double rel(size_t n, const double *a, const double *b) {
    double e = 0.0, s = fmax(1.0, maxabs(n, b));
    for (size_t k = 0; k < n; k++)
        e = fmax(e, fabs(a[k] - b[k]));
    return e / s;
}

/* dhtol, dhstep: tolerance and reference step for the Hessian derivative (a landscape whose
 * Hessian is itself a difference, accurate to ~1e-8, needs a coarser reference step) */
static void check_derivatives(mf_landscape *L, const char *name, sampler smp, int trials,
                              double tol, double dhtol, double dhstep) {
    const size_t d = L->dim;
    double *z = malloc(sizeof(double) * (8 * d + 4 * d * d)), *g = z + d, *fd = g + d, *zp = fd + d,
           *zm = zp + d, *gp = zm + d, *gm = gp + d, *v = gm + d, *H = v + d, *Hp = H + d * d,
           *Hm = Hp + d * d, *dH = Hm + d * d, *fdH = malloc(sizeof(double) * d * d),
           *hv = malloc(sizeof(double) * 2 * d);
    mf_rng r;
    mf_rng_seed(&r, 17, 0);
    double wg = 0, wh = 0, whv = 0, wtr = 0, wdh = 0;
    for (int t = 0; t < trials; t++) {
        smp(&r, d, z);
        mf_landscape_grad(L, z, g);
        mf_landscape_hess(L, z, H);
        for (size_t k = 0; k < d; k++) {
            double e = 1e-5 * fmax(1.0, fabs(z[k]));
            memcpy(zp, z, sizeof(double) * d), memcpy(zm, z, sizeof(double) * d);
            zp[k] += e, zm[k] -= e;
            fd[k] = (mf_landscape_value(L, zp) - mf_landscape_value(L, zm)) / (2 * e);
            mf_landscape_grad(L, zp, gp);
            mf_landscape_grad(L, zm, gm);
            for (size_t l = 0; l < d; l++)
                fdH[l * d + k] = (gp[l] - gm[l]) / (2 * e);
        }
        wg = fmax(wg, rel(d, g, fd));
        wh = fmax(wh, rel(d * d, H, fdH));
        sample_normal(&r, d, v);
        mf_landscape_hvp(L, z, v, hv);
        for (size_t k = 0; k < d; k++) {
            double s = 0;
            for (size_t l = 0; l < d; l++)
                s += H[k * d + l] * v[l];
            hv[d + k] = s;
        }
        whv = fmax(whv, rel(d, hv, hv + d));
        double tr = 0;
        for (size_t k = 0; k < d; k++)
            tr += H[k * d + k];
        double t1 = mf_landscape_trace_hessian(L, z);
        wtr = fmax(wtr, fabs(t1 - tr) / fmax(1.0, fabs(tr)));
        double e = dhstep;
        for (size_t k = 0; k < d; k++)
            zp[k] = z[k] + e * v[k], zm[k] = z[k] - e * v[k];
        mf_landscape_hess(L, zp, Hp);
        mf_landscape_hess(L, zm, Hm);
        L->type->dhess(L, z, v, dH);
        for (size_t k = 0; k < d * d; k++)
            Hp[k] = (Hp[k] - Hm[k]) / (2 * e);
        wdh = fmax(wdh, rel(d * d, dH, Hp));
    }
    CHECK(wg <= tol, "%s: gradient vs differences, worst relative error %g", name, wg);
    CHECK(wh <= tol, "%s: Hessian vs differences, worst %g", name, wh);
    CHECK(whv <= 1e-12, "%s: hvp vs the dense Hessian, worst %g", name, whv);
    CHECK(wtr <= 1e-12, "%s: trace vs the dense Hessian, worst %g", name, wtr);
    CHECK(wdh <= dhtol, "%s: Hessian derivative vs differences, worst %g", name, wdh);
    free(z), free(fdH), free(hv);
}

/* block (m = 5 lanes, ld = 7) equals point by point, bit for bit */
static void check_block(mf_landscape *L, const char *name, sampler smp, int with_project) {
    enum { M = 5, LD = 7 };
    const size_t d = L->dim;
    double *z = calloc(d * LD, sizeof *z), *v = calloc(d * LD, sizeof *v),
           *g = calloc(d * LD, sizeof *g), *h = calloc(d * d * LD, sizeof *h),
           *hv = calloc(d * LD, sizeof *hv), *pz = calloc(d * LD, sizeof *pz), f[M], tr[M];
    double *x = malloc(sizeof(double) * (5 * d + d * d)), *u = x + d, *gx = u + d, *hx = gx + d,
           *hvx = hx + d * d, *px = hvx + d;
    mf_rng r;
    mf_rng_seed(&r, 3, 1);
    for (size_t i = 0; i < M; i++) {
        smp(&r, d, x);
        sample_normal(&r, d, u);
        for (size_t k = 0; k < d; k++)
            z[k * LD + i] = x[k], v[k * LD + i] = u[k];
    }
    L->type->value(L, M, z, LD, f);
    L->type->grad(L, M, z, LD, g, LD);
    L->type->hess(L, M, z, LD, h, LD);
    L->type->hvp(L, M, z, LD, v, LD, hv, LD);
    L->type->trace_hessian(L, M, z, LD, tr);
    if (with_project) L->type->project(L, M, z, LD, pz, LD);
    int differ = 0;
    for (size_t i = 0; i < M; i++) {
        for (size_t k = 0; k < d; k++)
            x[k] = z[k * LD + i], u[k] = v[k * LD + i];
        double fx = mf_landscape_value(L, x), tx = mf_landscape_trace_hessian(L, x);
        mf_landscape_grad(L, x, gx);
        mf_landscape_hess(L, x, hx);
        mf_landscape_hvp(L, x, u, hvx);
        if (with_project) mf_landscape_project(L, x, px, NULL);
        differ += memcmp(&fx, &f[i], sizeof fx) != 0;
        differ += memcmp(&tx, &tr[i], sizeof tx) != 0;
        for (size_t k = 0; k < d; k++) {
            differ += memcmp(&gx[k], &g[k * LD + i], sizeof(double)) != 0;
            differ += memcmp(&hvx[k], &hv[k * LD + i], sizeof(double)) != 0;
            if (with_project) differ += memcmp(&px[k], &pz[k * LD + i], sizeof(double)) != 0;
        }
        for (size_t k = 0; k < d * d; k++)
            differ += memcmp(&hx[k], &h[k * LD + i], sizeof(double)) != 0;
    }
    CHECK(differ == 0, "%s: %d block entries differ from point evaluation", name, differ);
    free(z), free(v), free(g), free(h), free(hv), free(pz), free(x);
}

/* projection, frame and noise hooks at points near the manifold */
static void check_manifold(mf_landscape *L, const char *name, sampler smp, int trials) {
    const size_t d = L->dim, c = L->codim, k = d - c;
    double *z = malloc(sizeof(double) * (6 * d + 6 * d * d)), *pz = z + d, *ppz = pz + d,
           *g = ppz + d, *xi = g + d, *T = xi + d, *N = T + d * d, *H = N + d * d, *D = H + d * d,
           *HT = D + d * d;
    mf_rng r;
    mf_rng_seed(&r, 23, 0);
    double wloss = 0, widem = 0, worth = 0, wHT = 0, wnn = 0, wa = 0;
    for (int t = 0; t < trials; t++) {
        smp(&r, d, z);
        mf_err err;
        int rc = mf_landscape_project(L, z, pz, &err);
        CHECK(rc == MF_OK, "%s: project: %s", name, rc ? err.msg : "");
        if (rc) continue;
        wloss = fmax(wloss, fabs(mf_landscape_value(L, pz)));
        mf_landscape_project(L, pz, ppz, NULL);
        widem = fmax(widem, rel(d, ppz, pz));
        CHECK(mf_landscape_frame(L, pz, T, N, &err) == MF_OK, "%s: frame", name);
        /* [T N] orthonormal */
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                const double *qa = a < k ? T + a * d : N + (a - k) * d,
                             *qb = b < k ? T + b * d : N + (b - k) * d;
                double s = 0;
                for (size_t e = 0; e < d; e++)
                    s += qa[e] * qb[e];
                worth = fmax(worth, fabs(s - (a == b)));
            }
        /* H_f(Pz) T = 0: T spans the flat directions */
        mf_landscape_hess(L, pz, H);
        double hs = fmax(1.0, maxabs(d * d, H));
        for (size_t j = 0; j < k; j++)
            for (size_t a = 0; a < d; a++) {
                double s = 0;
                for (size_t b = 0; b < d; b++)
                    s += H[a * d + b] * T[j * d + b];
                HT[j * d + a] = s;
                wHT = fmax(wHT, fabs(s) / hs);
            }
        /* noise hooks: column j of D is -(g after subtracting from 0 with xi = e_j); for a
         * point off M too (z), since the hooks evaluate at Pz */
        for (int hook = 0; hook < 2; hook++) {
            for (size_t j = 0; j < c; j++) {
                memset(g, 0, sizeof(double) * d);
                memset(xi, 0, sizeof(double) * d);
                xi[j] = 1.0;
                if (hook == 0)
                    L->type->normal_sub(L, 1, z, 1, 1.0, xi, 1, g, 1);
                else
                    L->type->hess_sqrt_sub(L, 1, z, 1, 1.0, xi, 1, g, 1);
                for (size_t a = 0; a < d; a++)
                    D[a * c + j] = -g[a];
            }
            for (size_t a = 0; a < d; a++)
                for (size_t b = 0; b < d; b++) {
                    double s = 0, want = 0;
                    for (size_t j = 0; j < c; j++)
                        s += D[a * c + j] * D[b * c + j];
                    if (hook == 0)
                        for (size_t j = 0; j < c; j++)
                            want += N[j * d + a] * N[j * d + b];
                    else
                        want = 0.5 * H[a * d + b];
                    if (hook == 0)
                        wnn = fmax(wnn, fabs(s - want));
                    else
                        wa = fmax(wa, fabs(s - want) / hs);
                }
        }
    }
    CHECK(wloss <= 1e-12, "%s: loss at the projection %g", name, wloss);
    CHECK(widem <= 1e-10, "%s: projection not idempotent, %g", name, widem);
    CHECK(worth <= 1e-12, "%s: frame not orthonormal, %g", name, worth);
    CHECK(wHT <= 1e-7, "%s: H_f T != 0 on M, %g", name, wHT);
    /* matrix factorization's hooks evaluate at Pz computed to ~1e-8 (landscape_mf.c's
     * mf_mf_noise: measured here 5e-10 to 8e-10), the others at the projection itself */
    const double ntol = strcmp(L->type->name, "matrix_factorization") == 0 ? 1e-8 : 0.0;
    CHECK(wnn <= fmax(1e-12, ntol), "%s: normal noise D D^T != N N^T, %g", name, wnn);
    CHECK(wa <= fmax(1e-10, ntol), "%s: Hessian noise D D^T != A(Pz), %g", name, wa);
    free(z);
}

static void check_all(mf_landscape *L, const char *name, sampler smp, double tol) {
    int coarse = L->type->dhess == mf_landscape_generic_dhess_coarse;
    check_derivatives(L, name, smp, 20, tol, coarse ? 1e-4 : tol, coarse ? 1e-3 : 1e-5);
    check_block(L, name, smp, L->codim > 0);
    if (L->codim) check_manifold(L, name, smp, 10);
}

/* ---- host-callback landscapes for the generic paths ------------------------------------ */

/* f = (1 + x^2)(y1^2 + 2 y2^2 + y1 y2): manifold y = 0 of codimension 2 */
static int cv_value(void *ud, const double *z, double *f) {
    double y1 = z[1], y2 = z[2];
    *f = (1 + z[0] * z[0]) * (y1 * y1 + 2 * y2 * y2 + y1 * y2);
    return 0;
}
static int cv_grad(void *ud, const double *z, double *g) {
    double x = z[0], y1 = z[1], y2 = z[2], h = 1 + x * x, q = y1 * y1 + 2 * y2 * y2 + y1 * y2;
    g[0] = 2 * x * q, g[1] = h * (2 * y1 + y2), g[2] = h * (4 * y2 + y1);
    return 0;
}
static int cv_hess(void *ud, const double *z, double *H) {
    double x = z[0], y1 = z[1], y2 = z[2], h = 1 + x * x, q = y1 * y1 + 2 * y2 * y2 + y1 * y2;
    double Hl[9] = {2 * q,
                    2 * x * (2 * y1 + y2),
                    2 * x * (4 * y2 + y1),
                    2 * x * (2 * y1 + y2),
                    2 * h,
                    h,
                    2 * x * (4 * y2 + y1),
                    h,
                    4 * h};
    memcpy(H, Hl, sizeof Hl);
    return 0;
}

static void sample_small(mf_rng *r, size_t d, double *z) {
    for (size_t k = 0; k < d; k++)
        z[k] = (k == 0 ? 1.5 : 0.3) * mf_rng_normal(r);
}

/* A(x) = [[1 + x1^2, x1 x2], [x1 x2, 2 + x2^2]] for the quadratic manifold, k = 2, d = 4 */
static int qA(void *ud, const double *x, double *A) {
    A[0] = 1 + x[0] * x[0], A[1] = A[2] = x[0] * x[1], A[3] = 2 + x[1] * x[1];
    return 0;
}

static void sample_sphere(mf_rng *r, size_t d, double *z) {
    do
        sample_normal(r, d, z);
    while (fabs(z[0]) + fabs(z[1]) < 0.3); /* away from the singular axis */
}

static void test_generic_paths(void) {
    mf_landscape *L;
    mf_err err;
    mf_custom_fns full = {cv_value, cv_grad, cv_hess, NULL, NULL, 0};
    CHECK(mf_landscape_custom(&L, 3, 2, &full, &err) == MF_OK, "custom: %s", err.msg);
    check_all(L, "custom (analytic)", sample_small, 1e-6);
    mf_landscape_free(L);
    mf_custom_fns fonly = {cv_value, NULL, NULL, NULL, NULL, 0};
    CHECK(mf_landscape_custom(&L, 3, 2, &fonly, &err) == MF_OK, "custom: %s", err.msg);
    check_all(L, "custom (f only)", sample_small, 1e-6);
    mf_landscape_free(L);
    CHECK(mf_landscape_quadratic_manifold(&L, 2, 4, qA, NULL, NULL, 0, &err) == MF_OK, "qm: %s",
          err.msg);
    check_all(L, "quadratic_manifold", sample_small, 1e-6);
    mf_landscape_free(L);
}

/* the generic noise hooks agree with the valley's closed forms on M */
static int hv_value(void *ud, const double *z, double *f) {
    *f = (1 + z[0] * z[0]) * z[1] * z[1];
    return 0;
}
static void test_generic_matches_valley(void) {
    mf_landscape *V, *C;
    const double c[3] = {1, 0, 1};
    mf_custom_fns fns = {hv_value, NULL, NULL, NULL, NULL, 0};
    mf_landscape_valley(&V, c, 3, NULL);
    mf_landscape_custom(&C, 2, 1, &fns, NULL);
    enum { M = 6 };
    double z[2 * M], xi[M], g1[2 * M] = {0}, g2[2 * M] = {0}, g3[2 * M] = {0}, g4[2 * M] = {0};
    mf_rng r;
    mf_rng_seed(&r, 9, 0);
    for (int i = 0; i < M; i++)
        z[i] = 3 * mf_rng_normal(&r), z[M + i] = 0.0, xi[i] = mf_rng_normal(&r);
    V->type->hess_sqrt_sub(V, M, z, M, 0.7, xi, M, g1, M);
    C->type->hess_sqrt_sub(C, M, z, M, 0.7, xi, M, g2, M);
    V->type->normal_sub(V, M, z, M, 0.7, xi, M, g3, M);
    C->type->normal_sub(C, M, z, M, 0.7, xi, M, g4, M);
    CHECK(rel(2 * M, g2, g1) <= 1e-9, "generic Hessian noise vs valley: %g", rel(2 * M, g2, g1));
    CHECK(rel(2 * M, g4, g3) <= 1e-12, "generic normal noise vs valley: %g", rel(2 * M, g4, g3));
    mf_landscape_free(V), mf_landscape_free(C);
}

static void test_rotated_valley(void) {
    mf_landscape *L;
    const double c[3] = {1, 0, 1}, quartic[5] = {1, 0.3, 0.5, 0.1, 0.2};
    for (int which = 0; which < 2; which++) {
        CHECK(mf_landscape_rotated_valley(&L, 0.6, which ? quartic : c, which ? 5 : 3, NULL) ==
                  MF_OK,
              "rotated valley");
        check_all(L, which ? "rotated_valley (quartic h)" : "rotated_valley", sample_normal, 1e-6);
        /* eq. (23) at a point, by hand */
        double z[2] = {0.4, -1.1}, s = sin(0.6), co = cos(0.6);
        double v = 0.4 * s - 1.1 * co, u = 0.4 * co + 1.1 * s;
        double h =
            which ? 1 + 0.3 * u + 0.5 * u * u + 0.1 * u * u * u + 0.2 * u * u * u * u : 1 + u * u;
        CHECK_CLOSE(mf_landscape_value(L, z), v * v * h, 1e-15, "rotated valley value");
        mf_landscape_free(L);
    }
    /* theta = 0 is the valley */
    mf_landscape *V;
    mf_landscape_rotated_valley(&L, 0.0, c, 3, NULL);
    mf_landscape_valley(&V, c, 3, NULL);
    double z[2] = {1.3, 0.7}, g1[2], g2[2];
    mf_landscape_grad(L, z, g1);
    mf_landscape_grad(V, z, g2);
    CHECK(g1[0] == g2[0] && g1[1] == g2[1], "rotated valley at theta = 0 is the valley");
    CHECK(L->x0[0] == 5.0 && L->x0[1] == 0.0, "rotated valley start");
    mf_landscape_free(L), mf_landscape_free(V);
}

static void test_sphere3d(void) {
    mf_landscape *L;
    CHECK(mf_landscape_sphere3d(&L, 1, 42, NULL) == MF_OK, "sphere3d");
    check_all(L, "sphere3d", sample_sphere, 1e-6);
    double U[9];
    mf_landscape_sphere3d_u(L, U);
    /* U orthogonal */
    double worst = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double s = 0;
            for (int k = 0; k < 3; k++)
                s += U[3 * k + a] * U[3 * k + b];
            worst = fmax(worst, fabs(s - (a == b)));
        }
    CHECK(worst < 1e-14, "sphere3d: U orthogonal, %g", worst);
    /* scale invariance L(cw) = L(w), and the Hessian on M: 3/(x^2+y^2)[[1,-1,0],[-1,1,0],0] in u */
    mf_rng r;
    mf_rng_seed(&r, 4, 0);
    double wi = 0, wh = 0;
    for (int t = 0; t < 20; t++) {
        double w[3], cw[3], pw[3], H[9], u[3];
        sample_sphere(&r, 3, w);
        double cc = 0.1 + 5 * mf_rng_uniform(&r);
        for (int k = 0; k < 3; k++)
            cw[k] = cc * w[k];
        wi = fmax(wi, fabs(mf_landscape_value(L, cw) - mf_landscape_value(L, w)));
        mf_landscape_project(L, w, pw, NULL);
        mf_landscape_hess(L, pw, H);
        for (int k = 0; k < 3; k++)
            u[k] = U[3 * k] * pw[0] + U[3 * k + 1] * pw[1] + U[3 * k + 2] * pw[2];
        double s = 3.0 / (u[0] * u[0] + u[1] * u[1]);
        const double pat[9] = {1, -1, 0, -1, 1, 0, 0, 0, 0};
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                double hu = 0; /* (U H_w U^T)_ab */
                for (int k = 0; k < 3; k++)
                    for (int l = 0; l < 3; l++)
                        hu += U[3 * a + k] * H[3 * k + l] * U[3 * b + l];
                wh = fmax(wh, fabs(hu - s * pat[3 * a + b]) / s);
            }
        /* the projection keeps the norm (the gradient flow of a scale-invariant loss) */
        CHECK_CLOSE(sqrt(pw[0] * pw[0] + pw[1] * pw[1] + pw[2] * pw[2]),
                    sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), 1e-14, "sphere3d |Pw| = |w|");
    }
    CHECK(wi <= 1e-14, "sphere3d: L(cw) != L(w), %g", wi);
    CHECK(wh <= 1e-12, "sphere3d: Hessian on M != 3/(x^2+y^2)[[1,-1],[-1,1]], %g", wh);
    /* flattest point (1/sqrt 2, 1/sqrt 2, 0) in u: sharpness 6/(1 - z^2) = 6 */
    double u0[3] = {sqrt(0.5), sqrt(0.5), 0}, w0[3], H[9];
    for (int c = 0; c < 3; c++)
        w0[c] = U[c] * u0[0] + U[3 + c] * u0[1] + U[6 + c] * u0[2];
    mf_landscape_hess(L, w0, H);
    CHECK_CLOSE(H[0] + H[4] + H[8], 6.0, 1e-13, "sphere3d sharpness at the flattest point");
    /* same seed, same U; another seed, another U */
    mf_landscape *L2, *L3;
    mf_landscape_sphere3d(&L2, 1, 42, NULL);
    mf_landscape_sphere3d(&L3, 1, 43, NULL);
    double U2[9], U3[9];
    mf_landscape_sphere3d_u(L2, U2);
    mf_landscape_sphere3d_u(L3, U3);
    CHECK(memcmp(U, U2, sizeof U) == 0 && memcmp(U, U3, sizeof U) != 0, "sphere3d seeds");
    mf_landscape_free(L), mf_landscape_free(L2), mf_landscape_free(L3);
}

/* residuals: f = w sum r^2, J against differences of r, residual_jt_sub = J^T xi */
static void check_residuals(mf_landscape *L, const char *name, sampler smp) {
    const size_t d = L->dim, n = L->nres;
    double *z = malloc(sizeof(double) * (3 * d + 4 * n + 2 * n * d)), *zp = z + d, *g = zp + d,
           *r = g + d, *rp = r + n, *rm = rp + n, *xi = rm + n, *J = xi + n, *fdJ = J + n * d;
    mf_rng rg;
    mf_rng_seed(&rg, 31, 0);
    smp(&rg, d, z);
    L->type->residuals(L, 1, z, 1, r, 1);
    double s = 0;
    for (size_t a = 0; a < n; a++)
        s += r[a] * r[a];
    CHECK_CLOSE(L->res_weight * s, mf_landscape_value(L, z), 1e-13, "f = w sum r^2");
    L->type->residual_jacobian(L, z, J);
    for (size_t k = 0; k < d; k++) {
        double e = 1e-6 * fmax(1.0, fabs(z[k]));
        memcpy(zp, z, sizeof(double) * d);
        zp[k] = z[k] + e;
        L->type->residuals(L, 1, zp, 1, rp, 1);
        zp[k] = z[k] - e;
        L->type->residuals(L, 1, zp, 1, rm, 1);
        for (size_t a = 0; a < n; a++)
            fdJ[a * d + k] = (rp[a] - rm[a]) / (2 * e);
    }
    CHECK(rel(n * d, J, fdJ) <= 1e-7, "%s: residual Jacobian vs differences %g", name,
          rel(n * d, J, fdJ));
    sample_normal(&rg, n, xi);
    memset(g, 0, sizeof(double) * d);
    L->type->residual_jt_sub(L, 1, z, 1, 0.5, xi, 1, g, 1);
    double worst = 0;
    for (size_t k = 0; k < d; k++) {
        double t = 0;
        for (size_t a = 0; a < n; a++)
            t += J[a * d + k] * xi[a];
        worst = fmax(worst, fabs(-g[k] - 0.5 * t));
    }
    CHECK(worst <= 1e-12, "%s: residual_jt_sub != J^T xi, %g", name, worst);
    free(z);
}

static void test_matrix_factorization(void) {
    mf_landscape *L;
    mf_err err;
    CHECK(mf_landscape_matrix_factorization(&L, 3, 4, 2, NULL, 5, &err) == MF_OK, "mf: %s",
          err.msg);
    CHECK(L->dim == 14 && L->codim == (3 + 4) * 2 - 4, "mf dims %zu %zu", L->dim, L->codim);
    check_all(L, "matrix_factorization 3x4 p=2", sample_normal, 1e-6);
    check_residuals(L, "matrix_factorization", sample_normal);
    /* on M: Tr H = 2 (m |V|^2 + n |U|^2) (doc/math.md §1), against the dense Hessian */
    mf_rng r;
    mf_rng_seed(&r, 8, 0);
    double z[14], p[14], H[196];
    sample_normal(&r, 14, z);
    CHECK(mf_landscape_project(L, z, p, &err) == MF_OK, "mf project: %s", err.msg);
    mf_landscape_hess(L, p, H);
    double tr = 0, su = 0, sv = 0;
    for (int k = 0; k < 14; k++)
        tr += H[k * 14 + k];
    for (int k = 0; k < 6; k++)
        su += p[k] * p[k];
    for (int k = 6; k < 14; k++)
        sv += p[k] * p[k];
    CHECK_CLOSE(tr, 2 * (3 * sv + 4 * su), 1e-12, "mf trace on the manifold");
    mf_landscape_free(L);
    /* m = n = p: full-rank M, codim m n, start U0 = M, V0 = I; a user M */
    CHECK(mf_landscape_matrix_factorization(&L, 3, 3, 3, NULL, 1, NULL) == MF_OK, "mf 3x3");
    CHECK(L->codim == 9 && L->x0 && L->x0[9] == 1.0 && L->x0[10] == 0.0, "mf square start");
    const double *M = mf_landscape_matrix_factorization_target(L, NULL, NULL, NULL);
    CHECK(memcmp(L->x0, M, 9 * sizeof(double)) == 0, "U0 = M");
    check_all(L, "matrix_factorization 3x3", sample_normal, 1e-6);
    mf_landscape *L2;
    CHECK(mf_landscape_matrix_factorization(&L2, 3, 3, 3, M, 0, NULL) == MF_OK, "user M");
    CHECK(memcmp(mf_landscape_matrix_factorization_target(L2, NULL, NULL, NULL), M,
                 9 * sizeof(double)) == 0,
          "user M kept");
    mf_landscape_free(L), mf_landscape_free(L2);
    double bad[4] = {1, NAN, 0, 1};
    CHECK(mf_landscape_matrix_factorization(&L, 2, 2, 2, bad, 0, &err) == MF_EINVAL &&
              strstr(err.msg, "M[1][2]"),
          "NaN in M: %s", err.msg);
}

static void sample_small_all(mf_rng *r, size_t d, double *z) {
    for (size_t k = 0; k < d; k++)
        z[k] = 0.7 * mf_rng_normal(r);
}

static void test_uv(void) {
    mf_landscape *L;
    mf_err err;
    const char *names[] = {"uv linear", "uv tanh", "uv relu"};
    for (int a = MF_ACT_LINEAR; a <= MF_ACT_RELU; a++) {
        CHECK(mf_landscape_uv(&L, 3, 4, a, 2, 2, 7, &err) == MF_OK, "uv: %s", err.msg);
        check_derivatives(L, names[a], sample_small_all, 20, 1e-6, 1e-6, 1e-5);
        check_block(L, names[a], sample_small_all, a == MF_ACT_LINEAR); /* nonlinear: slow flows */
        check_residuals(L, names[a], sample_small_all);
        mf_landscape_free(L);
    }
    /* the vector UV model (d = m = 1), linear: on M, Tr H = (mu2/n)(|u|^2 + |v|^2) (F(123)) */
    CHECK(mf_landscape_uv(&L, 4, 5, MF_ACT_LINEAR, 1, 1, 2, &err) == MF_OK, "uv vector");
    CHECK(L->codim == 1 && L->x0 != NULL, "vector UV: codim 1, start");
    check_manifold(L, "vector uv linear", sample_small_all, 5);
    size_t P;
    const double *X = mf_landscape_uv_data(L, &P, NULL);
    double mu2 = 0;
    for (size_t a = 0; a < P; a++)
        mu2 += X[a] * X[a] / (double)P;
    double z[8], p[8];
    mf_rng r;
    mf_rng_seed(&r, 1, 0);
    sample_normal(&r, 8, z);
    CHECK(mf_landscape_project(L, z, p, &err) == MF_OK, "uv project");
    double nn = 0;
    for (int k = 0; k < 8; k++)
        nn += p[k] * p[k];
    CHECK_CLOSE(mf_landscape_trace_hessian(L, p), mu2 / 4 * nn, 1e-10, "vector UV trace on M");
    mf_landscape_free(L);
    /* tanh: the generic projection reaches the zero-loss set */
    CHECK(mf_landscape_uv(&L, 3, 2, MF_ACT_TANH, 1, 1, 4, &err) == MF_OK, "uv tanh small");
    CHECK(L->codim == 2, "uv tanh codim %zu", L->codim);
    CHECK(mf_landscape_project(L, L->x0, p, &err) == MF_OK && mf_landscape_value(L, p) <= 1e-12,
          "uv tanh projection of the start");
    mf_landscape_free(L);
    CHECK(mf_landscape_uv(&L, 3, 2, 7, 1, 1, 4, &err) == MF_EINVAL, "bad activation");
}

/* matrix sensing (F A.2): derivatives, block = point (also across chunks of 8 lanes), the
 * closed-form trace against sum_i |A_i^T V^T|^2 + |U^T A_i^T|^2 on the manifold, labels,
 * test loss, residuals, both storage precisions */
static void ms_direct_trace(const mf_landscape *L, const double *z, double *out) {
    size_t d, P;
    mf_landscape_matrix_sensing_target(L, &d, NULL, &P, NULL);
    const size_t n = d * d;
    double *A = malloc(sizeof(double) * n), s = 0;
    for (size_t i = 0; i < P; i++) {
        mf_landscape_matrix_sensing_measurement(L, i, A);
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                double t1 = 0,
                       t2 = 0; /* (A^T V^T)_ab = sum_k A_ka V_bk, (U^T A^T)_ab = sum_k U_ka A_bk */
                for (size_t k = 0; k < d; k++)
                    t1 += A[k * d + a] * z[n + b * d + k], t2 += z[k * d + a] * A[b * d + k];
                s += t1 * t1 + t2 * t2;
            }
    }
    *out = 2.0 * s / (double)(d * P);
    free(A);
}

static void test_matrix_sensing(void) {
    for (int single = 0; single <= 1; single++) {
        const char *name = single ? "matrix_sensing single" : "matrix_sensing double";
        mf_landscape *L;
        mf_err err;
        CHECK(mf_landscape_matrix_sensing(&L, 6, 2, 40, single, 3, &err) == MF_OK, "ms: %s",
              err.msg);
        CHECK(L->dim == 72 && L->codim == 36 && L->nres == 40, "%s dims", name);
        check_derivatives(L, name, sample_normal, 20, 1e-6, 1e-6, 1e-5);
        check_block(L, name, sample_normal, 0);
        check_residuals(L, name, sample_normal);
        /* the manifold checks need P < d^2: for P >= d^2 the zero-loss set {U V = X*} with
         * rank X* < d has singular points where the flow ends (rank U = rank V = 4 here) */
        mf_landscape *Lm;
        CHECK(mf_landscape_matrix_sensing(&Lm, 4, 1, 10, single, 3, &err) == MF_OK, "ms small");
        CHECK(Lm->codim == 10, "%s: codim P", name);
        check_block(Lm, name, sample_normal, 1);
        check_manifold(Lm, name, sample_normal, 4);
        mf_landscape_free(Lm);
        size_t d, r, P;
        int sg;
        const double *Xs = mf_landscape_matrix_sensing_target(L, &d, &r, &P, &sg);
        const double *y = mf_landscape_matrix_sensing_labels(L);
        CHECK(d == 6 && r == 2 && P == 40 && sg == single, "%s shape", name);
        /* labels y_i = Tr(A_i X*); the stored A_i are floats in single precision */
        double A[36], wy = 0;
        int notfloat = 0;
        for (size_t i = 0; i < P; i++) {
            mf_landscape_matrix_sensing_measurement(L, i, A);
            double t = 0;
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 6; b++)
                    t += A[a * 6 + b] * Xs[b * 6 + a];
            wy = fmax(wy, fabs(t - y[i]) / fmax(1, fabs(t)));
            for (int k = 0; k < 36; k++)
                notfloat += (double)(float)A[k] != A[k];
        }
        CHECK(wy <= 1e-13, "%s: y = Tr(A X*), worst %g", name, wy);
        CHECK(single ? notfloat == 0 : notfloat > 0, "%s: storage precision", name);
        /* X* has rank r: the (r+1)-th singular value vanishes (Gram eigenvalues) */
        double G[36], lam[6];
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++) {
                double s = 0;
                for (int k = 0; k < 6; k++)
                    s += Xs[a * 6 + k] * Xs[b * 6 + k];
                G[a * 6 + b] = s;
            }
        LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', 6, G, 6, lam);
        CHECK(lam[3] <= 1e-12 * lam[5] && lam[4] > 1e-3 * lam[5], "%s: rank X* = 2 (%g %g %g)",
              name, lam[3], lam[4], lam[5]);
        /* U = X*, V = I: zero loss and zero test loss; the start U = V = I */
        double z[72] = {0}, t;
        memcpy(z, Xs, sizeof(double) * 36);
        for (int k = 0; k < 6; k++)
            z[36 + 7 * k] = 1.0;
        CHECK(mf_landscape_value(L, z) <= 1e-28, "%s: loss at X* %g", name,
              mf_landscape_value(L, z));
        CHECK(mf_landscape_test_loss(L, z, &t, &err) == MF_OK && t <= 1e-28, "%s: test loss at X*",
              name);
        double want = 0;
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++)
                want += ((a == b) - Xs[a * 6 + b]) * ((a == b) - Xs[a * 6 + b]) / 6;
        mf_landscape_test_loss(L, L->x0, &t, &err);
        CHECK_CLOSE(t, want, 1e-14, "test loss at the start |I - X*|^2 / d");
        CHECK(L->x0[0] == 1 && L->x0[1] == 0 && L->x0[36] == 1 && L->x0[43] == 1,
              "start U = V = I");
        /* closed-form trace on the manifold (doc/math.md §1) against the direct sum */
        mf_rng rg;
        mf_rng_seed(&rg, 5, 0);
        double p[72], tw;
        sample_normal(&rg, 72, z);
        CHECK(mf_landscape_project(L, z, p, &err) == MF_OK, "%s project: %s", name, err.msg);
        CHECK(mf_landscape_value(L, p) <= 1e-12, "%s: on the manifold", name);
        ms_direct_trace(L, p, &tw);
        CHECK_CLOSE(mf_landscape_trace_hessian(L, p), tw, 1e-12, "ms trace on the manifold");
        mf_landscape_free(L);
    }
    /* blocks across chunk boundaries (8 lanes per pass; 4 for hvp): 19 lanes, ld 21 */
    {
        enum { M = 19, LD = 21 };
        mf_landscape *L;
        CHECK(mf_landscape_matrix_sensing(&L, 5, 1, 17, 0, 9, NULL) == MF_OK, "ms 5x5");
        CHECK(L->codim == 17, "ms codim P < d^2");
        const size_t D = L->dim;
        double *z = malloc(sizeof(double) * D * LD * 5), *v = z + D * LD, *g = v + D * LD,
               *hv = g + D * LD, *r = hv + D * LD, f[M], tl[M], x[50], u[50], gx[50], hx[50],
               rx[17];
        mf_rng rg;
        mf_rng_seed(&rg, 4, 4);
        for (size_t k = 0; k < D * LD * 2; k++)
            z[k] = mf_rng_normal(&rg);
        L->type->value(L, M, z, LD, f);
        L->type->grad(L, M, z, LD, g, LD);
        L->type->hvp(L, M, z, LD, v, LD, hv, LD);
        L->type->test_loss(L, M, z, LD, tl);
        L->type->residuals(L, M, z, LD, r, LD);
        int differ = 0;
        for (size_t i = 0; i < M; i++) {
            for (size_t k = 0; k < D; k++)
                x[k] = z[k * LD + i], u[k] = v[k * LD + i];
            double fx = mf_landscape_value(L, x), tx;
            mf_landscape_test_loss(L, x, &tx, NULL);
            mf_landscape_grad(L, x, gx);
            mf_landscape_hvp(L, x, u, hx);
            L->type->residuals(L, 1, x, 1, rx, 1);
            differ += memcmp(&fx, &f[i], sizeof fx) != 0;
            differ += memcmp(&tx, &tl[i], sizeof tx) != 0;
            for (size_t k = 0; k < D; k++)
                differ += (memcmp(&gx[k], &g[k * LD + i], sizeof(double)) != 0) +
                          (memcmp(&hx[k], &hv[k * LD + i], sizeof(double)) != 0);
            for (size_t k = 0; k < 17; k++)
                differ += memcmp(&rx[k], &r[k * LD + i], sizeof(double)) != 0;
        }
        CHECK(differ == 0, "ms: %d entries of a 19-lane block differ from points", differ);
        /* residual_jt_sub over a block equals the point version */
        double *xi = malloc(sizeof(double) * 17 * LD), gp[50];
        for (size_t k = 0; k < 17 * LD; k++)
            xi[k] = mf_rng_normal(&rg);
        memset(g, 0, sizeof(double) * D * LD);
        L->type->residual_jt_sub(L, M, z, LD, 0.3, xi, LD, g, LD);
        differ = 0;
        for (size_t i = 0; i < M; i++) {
            double xv[17];
            for (size_t k = 0; k < D; k++)
                x[k] = z[k * LD + i];
            for (size_t k = 0; k < 17; k++)
                xv[k] = xi[k * LD + i];
            memset(gp, 0, sizeof gp);
            L->type->residual_jt_sub(L, 1, x, 1, 0.3, xv, 1, gp, 1);
            for (size_t k = 0; k < D; k++)
                differ += memcmp(&gp[k], &g[k * LD + i], sizeof(double)) != 0;
        }
        CHECK(differ == 0, "ms: residual_jt_sub block differs in %d entries", differ);
        free(xi), free(z);
        mf_landscape_free(L);
    }
    /* the same seed gives the same data; another seed other data */
    mf_landscape *L1, *L2, *L3;
    mf_landscape_matrix_sensing(&L1, 4, 2, 10, 0, 7, NULL);
    mf_landscape_matrix_sensing(&L2, 4, 2, 12, 0, 7, NULL);
    mf_landscape_matrix_sensing(&L3, 4, 2, 10, 0, 8, NULL);
    const double *X1 = mf_landscape_matrix_sensing_target(L1, NULL, NULL, NULL, NULL);
    CHECK(memcmp(X1, mf_landscape_matrix_sensing_target(L2, NULL, NULL, NULL, NULL),
                 16 * sizeof(double)) == 0 &&
              memcmp(mf_landscape_matrix_sensing_labels(L1), mf_landscape_matrix_sensing_labels(L2),
                     10 * sizeof(double)) == 0,
          "ms: a larger P appends measurements");
    CHECK(memcmp(X1, mf_landscape_matrix_sensing_target(L3, NULL, NULL, NULL, NULL),
                 16 * sizeof(double)) != 0,
          "ms: another seed");
    mf_landscape_free(L1), mf_landscape_free(L2), mf_landscape_free(L3);
    /* bad input names the option */
    mf_landscape *L = (mf_landscape *)1;
    mf_err err;
    CHECK(mf_landscape_matrix_sensing(&L, 4, 5, 10, 0, 0, &err) == MF_EINVAL && L == NULL &&
              strstr(err.msg, "'r'"),
          "r > d: %s", err.msg);
    CHECK(mf_landscape_matrix_sensing(&L, 4, 0, 10, 0, 0, &err) == MF_EINVAL, "r = 0");
    CHECK(mf_landscape_matrix_sensing(&L, 0, 1, 10, 0, 0, &err) == MF_EINVAL &&
              strstr(err.msg, "'d'"),
          "d = 0: %s", err.msg);
    CHECK(mf_landscape_matrix_sensing(&L, 4, 1, 0, 0, 0, &err) == MF_EINVAL &&
              strstr(err.msg, "'P'"),
          "P = 0: %s", err.msg);
}

static void test_bad_input(void) {
    mf_landscape *L = (mf_landscape *)1;
    mf_err err;
    mf_custom_fns none = {0};
    CHECK(mf_landscape_custom(&L, 2, 0, &none, &err) == MF_EINVAL && L == NULL, "custom without f");
    mf_custom_fns fns = {hv_value, NULL, NULL, NULL, NULL, 0};
    CHECK(mf_landscape_custom(&L, 2, 3, &fns, &err) == MF_EINVAL, "codim > dim");
    CHECK(mf_landscape_quadratic_manifold(&L, 3, 3, qA, NULL, NULL, 0, &err) == MF_EINVAL,
          "k = d accepted");
    CHECK(mf_landscape_rotated_valley(&L, NAN, (double[]){1}, 1, &err) == MF_EINVAL, "theta NaN");
    /* no manifold: project and frame report it */
    mf_landscape_custom(&L, 2, 0, &fns, NULL);
    double z[2] = {1, 1}, p[2], T[4], N[4];
    CHECK(mf_landscape_project(L, z, p, &err) == MF_EUNSUPPORTED, "project without a manifold");
    CHECK(mf_landscape_frame(L, z, T, N, &err) == MF_EUNSUPPORTED, "frame without a manifold");
    mf_landscape_free(L);
}

/* L(c w) = L(w), grad(c w) = grad(w)/c, H(c w) = H(w)/c^2 at random points */
static void check_scale_invariance(mf_landscape *L, const char *name) {
    const size_t d = L->dim;
    double *z = malloc(sizeof(double) * (4 * d + 2 * d * d)), *cz = z + d, *g = cz + d, *cg = g + d,
           *H = cg + d, *cH = H + d * d;
    mf_rng r;
    mf_rng_seed(&r, 41, 0);
    double wv = 0, wg = 0, wh = 0;
    for (int t = 0; t < 5; t++) {
        sample_normal(&r, d, z);
        const double c = t % 2 ? 0.3 : 7.0;
        for (size_t k = 0; k < d; k++)
            cz[k] = c * z[k];
        double f = mf_landscape_value(L, z);
        wv = fmax(wv, fabs(mf_landscape_value(L, cz) - f) / fmax(1e-300, fabs(f)));
        mf_landscape_grad(L, z, g), mf_landscape_grad(L, cz, cg);
        mf_landscape_hess(L, z, H), mf_landscape_hess(L, cz, cH);
        for (size_t k = 0; k < d; k++)
            cg[k] *= c;
        for (size_t k = 0; k < d * d; k++)
            cH[k] *= c * c;
        wg = fmax(wg, rel(d, cg, g)), wh = fmax(wh, rel(d * d, cH, H));
    }
    CHECK(wv <= 1e-13 && wg <= 1e-12 && wh <= 1e-11,
          "%s: scale invariance, worst value %g, gradient %g, Hessian %g", name, wv, wg, wh);
    free(z);
}

/* one landscape observable at one point */
static double obs1(const mf_landscape *L, const char *name, const double *z) {
    size_t idx;
    double v = NAN, *out[1] = {&v};
    if (!L->type->obs_parse || !L->type->obs_parse(L, name, &idx)) return NAN;
    L->type->obs_eval(L, 1, &idx, 1, z, 1, out);
    return v;
}

static void test_linreg_bn(void) {
    mf_landscape *L, *L2, *L3;
    mf_err err;
    const size_t d = 7, n = 5;
    CHECK(mf_landscape_linreg_bn(&L, d, n, 3, &err) == MF_OK, "linreg_bn: %s", err.msg);
    CHECK(L->dim == d && L->codim == n - 2 && (L->flags & MF_LANDSCAPE_SCALE_INVARIANT),
          "linreg_bn dims %zu codim %zu", L->dim, L->codim);
    check_all(L, "linreg_bn", sample_normal, 1e-6);
    check_scale_invariance(L, "linreg_bn");
    /* the recipe: the same seed, the same data; w_GT on the sphere; y = w_GT^T x + b_GT */
    CHECK(mf_landscape_linreg_bn(&L2, d, n, 3, NULL) == MF_OK, "linreg_bn again");
    CHECK(mf_landscape_linreg_bn(&L3, d, n, 4, NULL) == MF_OK, "linreg_bn seed 4");
    size_t nn, dd;
    const double *y, *wgt, *wmn, *y2;
    double bgt, bmn;
    const double *X = mf_landscape_linreg_bn_data(L, &nn, &dd, &y, &wgt, &bgt, &wmn, &bmn);
    const double *X2 = mf_landscape_linreg_bn_data(L2, NULL, NULL, &y2, NULL, NULL, NULL, NULL);
    const double *X3 = mf_landscape_linreg_bn_data(L3, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    CHECK(nn == n && dd == d, "linreg_bn data shape");
    CHECK(memcmp(X, X2, sizeof(double) * n * d) == 0 && memcmp(y, y2, sizeof(double) * n) == 0 &&
              memcmp(X, X3, sizeof(double) * n * d) != 0,
          "linreg_bn: same seed, same data; another seed, other data");
    double nw = 0, wy = 0;
    for (size_t k = 0; k < d; k++)
        nw += wgt[k] * wgt[k];
    for (size_t i = 0; i < n; i++) {
        double s = bgt;
        for (size_t k = 0; k < d; k++)
            s += wgt[k] * X[i * d + k];
        wy = fmax(wy, fabs(s - y[i]));
    }
    CHECK(fabs(nw - 1) <= 1e-14 && wy <= 1e-14, "linreg_bn: |w_GT| = 1 (%g), y = X w_GT + b_GT",
          nw);
    /* BN statistics (1/n), written out here independently of the landscape */
    double mux[7] = {0}, muy = 0, vy = 0, Xc[35];
    for (size_t i = 0; i < n; i++) {
        muy += y[i] / n;
        for (size_t k = 0; k < d; k++)
            mux[k] += X[i * d + k] / n;
    }
    for (size_t i = 0; i < n; i++) {
        vy += (y[i] - muy) * (y[i] - muy) / n;
        for (size_t k = 0; k < d; k++)
            Xc[i * d + k] = X[i * d + k] - mux[k];
    }
    const double gam = sqrt(vy);
    mf_rng r;
    mf_rng_seed(&r, 5, 0);
    double w[7], wt[7], bt;
    sample_normal(&r, d, w);
    { /* value: (1/n) sum (gamma (w^T x_i - mu_1)/sigma_1 + beta - y_i)^2 */
        double s[5], m1 = 0, v1 = 0, f = 0;
        for (size_t i = 0; i < n; i++) {
            s[i] = 0;
            for (size_t k = 0; k < d; k++)
                s[i] += w[k] * X[i * d + k];
            m1 += s[i] / n;
        }
        for (size_t i = 0; i < n; i++)
            v1 += (s[i] - m1) * (s[i] - m1) / n;
        for (size_t i = 0; i < n; i++) {
            double e = gam * (s[i] - m1) / sqrt(v1) + muy - y[i];
            f += e * e / n;
        }
        CHECK_CLOSE(mf_landscape_value(L, w), f, 1e-13, "linreg_bn value from its definition");
        /* the model as a linear function (S eq. 4): wt = gamma w/sigma_1, bt = beta - wt mu_x */
        bt = muy;
        for (size_t k = 0; k < d; k++)
            wt[k] = gam * w[k] / sqrt(v1), bt -= wt[k] * mux[k];
    }
    { /* population test loss against a Monte Carlo estimate over fresh data, 4 s.e. */
        const int S = 200000;
        double sum = 0, sum2 = 0, x[7];
        mf_rng_seed(&r, 99, 0);
        for (int t = 0; t < S; t++) {
            double e = bt - bgt;
            for (size_t k = 0; k < d; k++) {
                x[k] = sqrt((double)(k + 1) / d) * mf_rng_normal(&r);
                e += (wt[k] - wgt[k]) * x[k];
            }
            sum += e * e, sum2 += e * e * e * e;
        }
        double mean = sum / S, se = sqrt((sum2 / S - mean * mean) / S), tl;
        CHECK(mf_landscape_test_loss(L, w, &tl, &err) == MF_OK, "linreg_bn test loss");
        CHECK(fabs(tl - mean) <= 4 * se, "linreg_bn test loss %.6g vs Monte Carlo %.6g +- %.2g", tl,
              mean, se);
        double dm = 0;
        for (size_t k = 0; k < d; k++)
            dm += (wt[k] - wmn[k]) * (wt[k] - wmn[k]);
        dm = sqrt(dm + (bt - bmn) * (bt - bmn));
        CHECK_CLOSE(obs1(L, "dist_minnorm", w), dm, 1e-13, "dist_minnorm from its definition");
    }
    { /* problem (M): X w* + b* = y, and w* orthogonal to the null space of Xc (minimal norm):
         Gram-Schmidt on the rows of Xc, then w* minus its projection on them is 0 */
        double Q[35], res = 0, wp[7], fit = 0;
        size_t q = 0;
        for (size_t i = 0; i < n; i++) {
            double v[7];
            memcpy(v, Xc + i * d, sizeof v);
            for (int pass = 0; pass < 2; pass++)
                for (size_t j = 0; j < q; j++) {
                    double c = 0;
                    for (size_t k = 0; k < d; k++)
                        c += Q[j * d + k] * v[k];
                    for (size_t k = 0; k < d; k++)
                        v[k] -= c * Q[j * d + k];
                }
            double nv = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2] + v[3] * v[3] + v[4] * v[4] +
                             v[5] * v[5] + v[6] * v[6]);
            if (nv < 1e-10) continue;
            for (size_t k = 0; k < d; k++)
                Q[q * d + k] = v[k] / nv;
            q++;
        }
        memcpy(wp, wmn, sizeof wp);
        for (size_t j = 0; j < q; j++) {
            double c = 0;
            for (size_t k = 0; k < d; k++)
                c += Q[j * d + k] * wmn[k];
            for (size_t k = 0; k < d; k++)
                wp[k] -= c * Q[j * d + k];
        }
        for (size_t k = 0; k < d; k++)
            res = fmax(res, fabs(wp[k]));
        for (size_t i = 0; i < n; i++) {
            double s = bmn;
            for (size_t k = 0; k < d; k++)
                s += wmn[k] * X[i * d + k];
            fit = fmax(fit, fabs(s - y[i]));
        }
        CHECK(q == n - 1 && res <= 1e-13 && fit <= 1e-13,
              "min-norm interpolant: rank %zu, null-space part %g, fit %g", q, res, fit);
        double w3[7];
        for (size_t k = 0; k < d; k++)
            w3[k] = 3 * wmn[k];
        CHECK(mf_landscape_value(L, w3) <= 1e-28 && obs1(L, "dist_minnorm", w3) <= 1e-13,
              "the min-norm interpolant (scaled) is a minimum at distance 0");
    }
    { /* on M and the unit sphere, H = 2 |wt|^2 (Sigma_x - z z^T) (S Lemma O.1),
         z = (1/n) sum q_i xc_i, q_i = (y_i - mu_y)/sigma_y, wt = sigma_y w/|w|_Sigma */
        double p[7], H[49], zz[7] = {0}, wn = 0, worst = 0;
        CHECK(mf_landscape_project(L, w, p, &err) == MF_OK, "linreg_bn project");
        double np = 0; /* the lemma is on the unit sphere */
        for (size_t k = 0; k < d; k++)
            np += p[k] * p[k];
        for (size_t k = 0; k < d; k++)
            p[k] /= sqrt(np);
        mf_landscape_hess(L, p, H);
        double s2 = 0;
        for (size_t i = 0; i < n; i++) {
            double t = 0;
            for (size_t k = 0; k < d; k++)
                t += Xc[i * d + k] * p[k], zz[k] += (y[i] - muy) / gam * Xc[i * d + k] / n;
            s2 += t * t / n;
        }
        for (size_t k = 0; k < d; k++)
            wn += vy * p[k] * p[k] / s2;
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                double S = 0;
                for (size_t i = 0; i < n; i++)
                    S += Xc[i * d + a] * Xc[i * d + b] / n;
                worst = fmax(worst, fabs(H[a * d + b] - 2 * wn * (S - zz[a] * zz[b])));
            }
        CHECK(worst <= 1e-10, "linreg_bn Hessian on M vs Lemma O.1: %g", worst);
    }
    mf_landscape_free(L), mf_landscape_free(L2), mf_landscape_free(L3);
    CHECK(mf_landscape_linreg_bn(&L, 3, 2, 0, &err) == MF_EINVAL && L == NULL, "n = 2 refused");
}

static void test_matrix_completion_bn(void) {
    mf_landscape *L, *L2;
    mf_err err;
    const size_t d = 5, N = 12;
    CHECK(mf_landscape_matrix_completion_bn(&L, d, 2, N, 0.5, 2, &err) == MF_OK, "mc_bn: %s",
          err.msg);
    CHECK(L->dim == 2 * d * d && L->codim == N - 1, "mc_bn dims %zu %zu", L->dim, L->codim);
    check_all(L, "matrix_completion_bn", sample_normal, 1e-6);
    check_scale_invariance(L, "matrix_completion_bn");
    size_t dd, NN;
    const size_t *ri, *ci, *ri2, *ci2;
    const double *M = mf_landscape_matrix_completion_bn_data(L, &dd, &NN, &ri, &ci);
    CHECK(mf_landscape_matrix_completion_bn(&L2, d, 2, N, 0.5, 2, NULL) == MF_OK, "mc_bn again");
    const double *M2 = mf_landscape_matrix_completion_bn_data(L2, NULL, NULL, &ri2, &ci2);
    CHECK(memcmp(M, M2, sizeof(double) * d * d) == 0 && memcmp(ri, ri2, sizeof(size_t) * N) == 0 &&
              memcmp(ci, ci2, sizeof(size_t) * N) == 0 &&
              memcmp(L->x0, L2->x0, sizeof(double) * L->dim) == 0,
          "mc_bn: the same seed, the same data and start");
    mf_landscape_free(L2);
    /* the recipe: |M|_F = d (second moment 1), rank 2 (3 x 3 minors vanish), N distinct
     * entries in row-major order */
    double fro = 0, det = 0;
    for (size_t k = 0; k < d * d; k++)
        fro += M[k] * M[k];
    for (size_t a = 0; a + 2 < d; a++) {
        const double *r0 = M + a * d, *r1 = r0 + d, *r2 = r1 + d;
        det = fmax(det, fabs(r0[0] * (r1[1] * r2[2] - r1[2] * r2[1]) -
                             r0[1] * (r1[0] * r2[2] - r1[2] * r2[0]) +
                             r0[2] * (r1[0] * r2[1] - r1[1] * r2[0])));
    }
    int ordered = dd == d && NN == N;
    for (size_t k = 0; k < N; k++)
        ordered &=
            ri[k] < d && ci[k] < d && (k == 0 || ri[k] * d + ci[k] > ri[k - 1] * d + ci[k - 1]);
    CHECK(fabs(fro - (double)(d * d)) <= 1e-12 && det <= 1e-12 && ordered,
          "mc_bn recipe: |M|_F^2 = %g, minor %g, entries distinct and ordered %d", fro, det,
          ordered);
    /* value and test loss from the definitions (S P.1), at a random point */
    mf_rng r;
    mf_rng_seed(&r, 6, 0);
    double z[50], W[25], s2 = 0, g2 = 0, f = 0, tl = 0, t;
    sample_normal(&r, L->dim, z);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            W[i * d + j] = 0;
            for (size_t c = 0; c < d; c++)
                W[i * d + j] += z[i * d + c] * z[d * d + j * d + c];
        }
    for (size_t k = 0; k < N; k++)
        s2 += W[ri[k] * d + ci[k]] * W[ri[k] * d + ci[k]] / N,
            g2 += M[ri[k] * d + ci[k]] * M[ri[k] * d + ci[k]] / N;
    const double c = sqrt(g2 / s2);
    for (size_t k = 0; k < N; k++) {
        double e = c * W[ri[k] * d + ci[k]] - M[ri[k] * d + ci[k]];
        f += e * e / N;
    }
    for (size_t k = 0; k < d * d; k++)
        tl += (c * W[k] - M[k]) * (c * W[k] - M[k]) / (d * d);
    CHECK_CLOSE(mf_landscape_value(L, z), f, 1e-13, "mc_bn value from its definition");
    CHECK(mf_landscape_test_loss(L, z, &t, NULL) == MF_OK, "mc_bn test loss");
    CHECK_CLOSE(t, tl, 1e-13, "mc_bn test loss from its definition");
    /* singular values of the recovered matrix c W: sum sv^2 = |c W|_F^2; rank one -> sv2 = 0 */
    double ssv = 0, fw = 0;
    char name[8];
    for (size_t k = 1; k <= d; k++) {
        snprintf(name, sizeof name, "sv%zu", k);
        double sv = obs1(L, name, z);
        ssv += sv * sv;
    }
    for (size_t k = 0; k < d * d; k++)
        fw += c * c * W[k] * W[k];
    CHECK_CLOSE(ssv, fw, 1e-12, "sum of squared singular values");
    CHECK(isnan(obs1(L, "sv6", z)) && isnan(obs1(L, "sv0", z)), "sv beyond d unknown");
    for (size_t i = 0; i < d; i++)
        for (size_t cc = 1; cc < d; cc++)
            z[i * d + cc] = 0.0; /* U has one column: U V^T has rank one */
    CHECK(obs1(L, "sv2", z) <= 1e-7 * obs1(L, "sv1", z), "rank one: sv2 %g", obs1(L, "sv2", z));
    mf_landscape_free(L);
    CHECK(mf_landscape_matrix_completion_bn(&L, 5, 2, 26, 0.1, 0, &err) == MF_EINVAL,
          "observed > d^2 refused");
    CHECK(mf_landscape_matrix_completion_bn(&L, 5, 6, 10, 0.1, 0, &err) == MF_EINVAL,
          "rank > d refused");
}

int main(void) {
    test_generic_paths();
    test_generic_matches_valley();
    test_rotated_valley();
    test_sphere3d();
    test_matrix_factorization();
    test_uv();
    test_matrix_sensing();
    test_linreg_bn();
    test_matrix_completion_bn();
    test_bad_input();
    return check_summary();
}
