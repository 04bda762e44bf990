/* The valley landscape: derivatives against central finite differences, block evaluation
 * equal to point evaluation bit for bit, manifold geometry. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/landscape.h"
#include "mflab/rng.h"

static const double coefs_quadratic[] = {1.0, 0.0, 1.0};
static const double coefs_general[] = {2.0, 0.5, 3.0};
static const double coefs_quartic[] = {1.0, 0.3, 0.5, 0.1, 0.2}; /* the generic Horner path */

/* relative error of a finite-difference check, scaled by the size of the quantities */
static double relerr(double a, double b, double scale) {
    return fabs(a - b) / (scale > 1 ? scale : 1);
}

static void check_derivatives(const double *c, size_t n, const char *name) {
    mf_landscape *L;
    mf_err err;
    CHECK(mf_landscape_valley(&L, c, n, &err) == MF_OK, "valley %s: %s", name, err.msg);
    mf_rng r;
    mf_rng_seed(&r, 11, 0);
    double worst_g = 0, worst_h = 0, worst_dh = 0;
    for (int trial = 0; trial < 50; trial++) {
        double z[2] = {4 * mf_rng_uniform(&r) - 2, 4 * mf_rng_uniform(&r) - 2};
        double g[2], H[4], gp[2], gm[2], Hp[4], Hm[4], dH[4];
        mf_landscape_grad(L, z, g);
        mf_landscape_hess(L, z, H);
        double scale_g = fabs(g[0]) + fabs(g[1]), scale_h = 0;
        for (int k = 0; k < 4; k++)
            scale_h += fabs(H[k]);
        for (int k = 0; k < 2; k++) {
            double e = 1e-5 * (1 + fabs(z[k]));
            double zp[2] = {z[0], z[1]}, zm[2] = {z[0], z[1]};
            zp[k] += e, zm[k] -= e;
            double fd = (mf_landscape_value(L, zp) - mf_landscape_value(L, zm)) / (2 * e);
            double r1 = relerr(g[k], fd, scale_g);
            worst_g = r1 > worst_g ? r1 : worst_g;
            mf_landscape_grad(L, zp, gp);
            mf_landscape_grad(L, zm, gm);
            for (int l = 0; l < 2; l++) {
                double r2 = relerr(H[l * 2 + k], (gp[l] - gm[l]) / (2 * e), scale_h);
                worst_h = r2 > worst_h ? r2 : worst_h;
            }
        }
        /* directional derivative of the Hessian along a random v */
        double v[2] = {mf_rng_normal(&r), mf_rng_normal(&r)}, e = 1e-5;
        double zp[2] = {z[0] + e * v[0], z[1] + e * v[1]},
               zm[2] = {z[0] - e * v[0], z[1] - e * v[1]};
        mf_landscape_hess(L, zp, Hp);
        mf_landscape_hess(L, zm, Hm);
        L->type->dhess(L, z, v, dH);
        double scale_dh = 0;
        for (int k = 0; k < 4; k++)
            scale_dh += fabs(dH[k]);
        for (int k = 0; k < 4; k++) {
            double r3 = relerr(dH[k], (Hp[k] - Hm[k]) / (2 * e), scale_dh);
            worst_dh = r3 > worst_dh ? r3 : worst_dh;
        }
    }
    CHECK(worst_g <= 1e-6, "valley %s: gradient vs finite differences, worst relative error %g",
          name, worst_g);
    CHECK(worst_h <= 1e-6, "valley %s: Hessian vs finite differences, worst relative error %g",
          name, worst_h);
    CHECK(worst_dh <= 1e-6, "valley %s: Hessian derivative vs finite differences, worst %g", name,
          worst_dh);
    mf_landscape_free(L);
}

static void check_block_equals_point(const double *c, size_t n, const char *name) {
    mf_landscape *L;
    CHECK(mf_landscape_valley(&L, c, n, NULL) == MF_OK, "valley");
    enum { M = 37, LD = 40 };
    double z[2 * LD], f[M], g[2 * LD], h[4 * LD];
    mf_rng r;
    mf_rng_seed(&r, 5, 0);
    for (int i = 0; i < M; i++)
        z[i] = 3 * mf_rng_normal(&r), z[LD + i] = mf_rng_normal(&r);
    L->type->value(L, M, z, LD, f);
    L->type->grad(L, M, z, LD, g, LD);
    L->type->hess(L, M, z, LD, h, LD);
    int differ = 0;
    for (int i = 0; i < M; i++) {
        double p[2] = {z[i], z[LD + i]}, gp[2], hp[4];
        double fp = mf_landscape_value(L, p);
        mf_landscape_grad(L, p, gp);
        mf_landscape_hess(L, p, hp);
        differ += memcmp(&fp, &f[i], sizeof fp) != 0;
        for (int k = 0; k < 2; k++)
            differ += memcmp(&gp[k], &g[k * LD + i], sizeof(double)) != 0;
        for (int k = 0; k < 4; k++)
            differ += memcmp(&hp[k], &h[k * LD + i], sizeof(double)) != 0;
    }
    CHECK(differ == 0, "valley %s: %d block entries differ from point evaluation", name, differ);
    mf_landscape_free(L);
}

static void check_geometry(void) {
    mf_landscape *L;
    CHECK(mf_landscape_valley(&L, coefs_general, 3, NULL) == MF_OK, "valley");
    double z[2] = {1.5, -0.7}, p[2], T[2], N[2], H[4];
    CHECK(mf_landscape_project(L, z, p, NULL) == MF_OK, "project");
    CHECK(p[0] == 1.5 && p[1] == 0.0, "projection of (1.5, -0.7) is (%g, %g)", p[0], p[1]);
    CHECK(mf_landscape_value(L, p) == 0.0, "loss on the manifold");
    L->type->frame(L, p, T, N);
    CHECK(T[0] * N[0] + T[1] * N[1] == 0.0 && T[0] * T[0] + T[1] * T[1] == 1.0,
          "frame orthonormal");
    mf_landscape_hess(L, p, H);
    /* on M, H_f = diag(0, 2 h(x)) (doc/math.md §1) */
    double h = 2.0 + 0.5 * 1.5 + 3.0 * 1.5 * 1.5;
    CHECK(H[0] == 0 && H[1] == 0 && H[2] == 0 && fabs(H[3] - 2 * h) < 1e-14,
          "Hessian on M: [%g %g; %g %g], expected diag(0, %g)", H[0], H[1], H[2], H[3], 2 * h);
    mf_landscape_free(L);
}

static void check_bad_input(void) {
    mf_landscape *L = (mf_landscape *)1;
    mf_err err;
    double c[2] = {1.0, NAN};
    CHECK(mf_landscape_valley(&L, c, 2, &err) == MF_EINVAL && L == NULL,
          "NaN coefficient accepted");
    CHECK(strstr(err.msg, "coefficient 1") != NULL, "message: %s", err.msg);
    CHECK(mf_landscape_valley(&L, c, 0, &err) == MF_EINVAL, "no coefficients accepted");
}

int main(void) {
    check_derivatives(coefs_quadratic, 3, "1 + x^2");
    check_derivatives(coefs_general, 3, "2 + 0.5x + 3x^2");
    check_derivatives(coefs_quartic, 5, "quartic");
    check_block_equals_point(coefs_quadratic, 3, "1 + x^2");
    check_block_equals_point(coefs_quartic, 5, "quartic");
    check_geometry();
    check_bad_input();
    return check_summary();
}
