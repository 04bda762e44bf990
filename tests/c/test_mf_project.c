/* Matrix factorization's projection (landscape_mf.c): the gradient-flow limit by Dormand-Prince
 * and a Gauss-Newton finish equals the generic gradient-flow limit (landscape.c) and a tight
 * reference integration to 1e-10, lands on U V^T = M, keeps the flow's invariant U^T U - V^T V,
 * is idempotent, and leaves a point of M unchanged bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/landscape.h"
#include "mflab/ode.h"
#include "mflab/rng.h"

static const mf_landscape *gL;
static int gf(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    (void)ctx, (void)t, (void)err;
    mf_landscape_grad(gL, y, dy);
    for (size_t a = 0; a < gL->dim; a++)
        dy[a] = -dy[a];
    return MF_OK;
}

static double dist(size_t d, const double *a, const double *b) {
    double s = 0.0;
    for (size_t k = 0; k < d; k++)
        s += (a[k] - b[k]) * (a[k] - b[k]);
    return sqrt(s);
}

/* U^T U - V^T V (p x p) */
static void invariant(size_t m, size_t n, size_t p, const double *z, double *C) {
    for (size_t i = 0; i < p; i++)
        for (size_t j = 0; j < p; j++) {
            double s = 0.0;
            for (size_t a = 0; a < m; a++)
                s += z[a * p + i] * z[a * p + j];
            for (size_t b = 0; b < n; b++)
                s -= z[m * p + b * p + i] * z[m * p + b * p + j];
            C[i * p + j] = s;
        }
}

static void run(size_t m, size_t n, size_t p, unsigned long long seed) {
    mf_landscape *L;
    mf_err err;
    CHECK(mf_landscape_matrix_factorization(&L, m, n, p, NULL, seed, &err) == MF_OK, "mf: %s",
          err.msg);
    gL = L;
    const size_t d = L->dim;
    double *z = malloc(sizeof(double) * d * 8), *pz = z + d, *pg = pz + d, *pp = pg + d,
           *ref = pp + d, *C0 = ref + 2 * d, *C1 = C0 + d;
    double *work = malloc(sizeof(double) * mf_ode_worksize(d));
    mf_rng r;
    mf_rng_seed(&r, seed, 7);
    /* a point of M: U = M's left factor (L's recipe A), V from B, scaled to balance */
    double z0[200];
    for (size_t k = 0; k < d; k++)
        z0[k] = mf_rng_normal(&r);
    mf_landscape_generic_project(L, 1, z0, 1, z0, 1);
    double worst = 0.0, worst_ref = 0.0, worst_r = 0.0, worst_c = 0.0, worst_idem = 0.0;
    for (int trial = 0; trial < 6; trial++) {
        double scale = 0.02 * pow(2.5, trial); /* 0.02 .. 2 from M */
        for (size_t k = 0; k < d; k++)
            z[k] = z0[k] + scale * mf_rng_normal(&r);
        CHECK(mf_landscape_project(L, z, pz, &err) == MF_OK, "project: %s", err.msg);
        mf_landscape_generic_project(L, 1, z, 1, pg, 1);
        /* reference: the flow itself to rtol 1e-13 over a long time */
        memcpy(ref, z, sizeof(double) * d);
        double h = 0.0;
        CHECK(mf_ode_dopri5(d, gf, NULL, NULL, 0.0, 4000.0, ref, 1e-13, 1e-15, &h, work, NULL,
                            &err) == MF_OK,
              "reference: %s", err.msg);
        worst = fmax(worst, dist(d, pz, pg));
        worst_ref = fmax(worst_ref, dist(d, pz, ref));
        const double *M = mf_landscape_matrix_factorization_target(L, NULL, NULL, NULL);
        double rn = 0.0;
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < n; b++) {
                double s = -M[a * n + b];
                for (size_t k = 0; k < p; k++)
                    s += pz[a * p + k] * pz[m * p + b * p + k];
                rn += s * s;
            }
        worst_r = fmax(worst_r, sqrt(rn));
        invariant(m, n, p, z, C0);
        invariant(m, n, p, pz, C1);
        worst_c = fmax(worst_c, dist(p * p, C0, C1));
        CHECK(mf_landscape_project(L, pz, pp, &err) == MF_OK, "project twice: %s", err.msg);
        worst_idem = fmax(worst_idem, dist(d, pz, pp));
    }
    printf("mf %zux%zux%zu: |P - generic| %.3g, |P - reference| %.3g, |U V^T - M| %.3g, "
           "invariant %.3g, |P P - P| %.3g\n",
           m, n, p, worst, worst_ref, worst_r, worst_c, worst_idem);
    /* both integrate to rtol 1e-10; the generic one's global error is ~1e-10 itself */
    CHECK(worst <= 1e-9, "equals the generic gradient-flow limit: %g", worst);
    CHECK(worst_ref <= 1e-10, "equals the gradient-flow limit (rtol 1e-13): %g", worst_ref);
    CHECK(worst_r <= 1e-12, "on U V^T = M: %g", worst_r);
    CHECK(worst_c <= 1e-9, "keeps U^T U - V^T V: %g", worst_c);
    CHECK(worst_idem <= 1e-13, "idempotent: %g", worst_idem);
    /* the noise hooks' closed-form normal eigenpairs against the generic ones (dsyevr of the
     * Hessian), same draws: Hessian and normal-space noise, at the point pz of M (where both
     * use pz itself); then the hooks at z, which evaluate at Pz computed to ~1e-8
     * (landscape_mf.c's mf_mf_noise), against the same at the exact Pz */
    {
        double xi[200], g1[200], g2[200], g3[200], dn = 0.0, dl = 0.0, gn = 0.0;
        for (size_t k = 0; k < L->codim; k++)
            xi[k] = mf_rng_normal(&r);
        for (int h = 0; h < 2; h++) {
            memset(g1, 0, sizeof(double) * d), memset(g2, 0, sizeof(double) * d);
            memset(g3, 0, sizeof(double) * d);
            if (h) {
                L->type->hess_sqrt_sub(L, 1, pz, 1, 0.7, xi, 1, g1, 1);
                mf_landscape_generic_hess_sqrt_sub(L, 1, pz, 1, 0.7, xi, 1, g2, 1);
                L->type->hess_sqrt_sub(L, 1, z, 1, 0.7, xi, 1, g3, 1);
            } else {
                L->type->normal_sub(L, 1, pz, 1, 0.7, xi, 1, g1, 1);
                mf_landscape_generic_normal_sub(L, 1, pz, 1, 0.7, xi, 1, g2, 1);
                L->type->normal_sub(L, 1, z, 1, 0.7, xi, 1, g3, 1);
            }
            dn = fmax(dn, dist(d, g1, g2));
            dl = fmax(dl, dist(d, g1, g3));
            double n2 = 0.0;
            for (size_t k = 0; k < d; k++)
                n2 += g2[k] * g2[k];
            gn = fmax(gn, sqrt(n2));
        }
        printf("  noise hooks: |closed form - generic| %.3g, |at z - at exact Pz| %.3g, of %.3g\n",
               dn, dl, gn);
        CHECK(dn <= 1e-9 * gn, "closed-form noise equals the generic: %g of %g", dn, gn);
        CHECK(dl <= 1e-8 * gn, "noise at Pz to 1e-8: %g of %g", dl, gn);
    }
    /* a point of M is its own projection, bit for bit */
    CHECK(mf_landscape_project(L, pz, pp, &err) == MF_OK && memcmp(pz, pp, sizeof(double) * d) == 0,
          "a point of M is fixed");
    free(z), free(work);
    mf_landscape_free(L);
}

/* The examples' iterates: ~0.24 from M around the start U = M, V = I, where V V^T = I makes the
 * normal eigenvalues 2 (a_i + 1) five-fold degenerate. There DP45 hands over to the exponential
 * tail at |grad| <= 1e-3 max(1, |z|) (z is then ~5e-3 from M), so these points test the tail. */
static void run_start(void) {
    mf_landscape *L;
    mf_err err;
    CHECK(mf_landscape_matrix_factorization(&L, 5, 5, 5, NULL, 4, &err) == MF_OK, "mf: %s",
          err.msg);
    gL = L;
    const size_t d = L->dim;
    double z[50], pz[50], pp[50], ref[50], C0[25], C1[25];
    double *work = malloc(sizeof(double) * mf_ode_worksize(d));
    mf_rng r;
    mf_rng_seed(&r, 4, 9);
    double worst_ref = 0.0, worst_idem = 0.0, worst_c = 0.0;
    for (int trial = 0; trial < 9; trial++) {
        const double scale = (trial % 3 == 0 ? 0.1 : trial % 3 == 1 ? 0.24 : 0.5) / sqrt((double)d);
        for (size_t k = 0; k < d; k++)
            z[k] = L->x0[k] + scale * mf_rng_normal(&r);
        CHECK(mf_landscape_project(L, z, pz, &err) == MF_OK, "project: %s", err.msg);
        memcpy(ref, z, sizeof z);
        double h = 0.0;
        CHECK(mf_ode_dopri5(d, gf, NULL, NULL, 0.0, 400.0, ref, 1e-13, 1e-15, &h, work, NULL,
                            &err) == MF_OK,
              "reference: %s", err.msg);
        worst_ref = fmax(worst_ref, dist(d, pz, ref));
        CHECK(mf_landscape_project(L, pz, pp, &err) == MF_OK, "project twice: %s", err.msg);
        worst_idem = fmax(worst_idem, dist(d, pz, pp));
        invariant(5, 5, 5, z, C0);
        invariant(5, 5, 5, pz, C1);
        worst_c = fmax(worst_c, dist(25, C0, C1));
    }
    printf("mf 5x5x5 near U = M, V = I: |P - reference| %.3g, |P P - P| %.3g, invariant %.3g\n",
           worst_ref, worst_idem, worst_c);
    CHECK(worst_ref <= 1e-10, "equals the gradient-flow limit (rtol 1e-13): %g", worst_ref);
    CHECK(worst_idem <= 1e-13, "idempotent: %g", worst_idem);
    CHECK(worst_c <= 1e-9, "keeps U^T U - V^T V: %g", worst_c);
    free(work);
    mf_landscape_free(L);
}

int main(void) {
    run_start();
    run(5, 5, 5, 4); /* quasistatic Fig. 2's size */
    run(4, 3, 2, 1); /* rectangular, p < min(m, n) */
    run(3, 4, 3, 2);
    return check_summary();
}
