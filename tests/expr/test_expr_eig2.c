/* The generic noise hooks' 2 x 2 eigenpairs in closed form (mf_sym2_eig_top, landscape.c)
 * against LAPACK's dsyevr through mf_sym_eig_top: eigenvalues to 1e-14 of the largest, unit
 * eigenvectors (sign convention: largest-magnitude entry positive) to 1e-12 where the gap is
 * at least 1e-3 of the scale, up to sign where the two entries' magnitudes tie to rounding
 * (a = e: then the sign is rounding's choice, in LAPACK too); diagonal matrices exactly.
 * Fixed seed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/src/core/landscape_impl.h"
#include "check.h"
#include "mflab/rng.h"

static double worst_val, worst_vec;

static void compare(const double *H) {
    for (size_t c = 1; c <= 2; c++) {
        double A[4], lv[2], vv[4], l2[2], v2[4];
        memcpy(A, H, sizeof A);
        CHECK(mf_sym_eig_top(2, c, A, lv, vv) == 0, "dsyevr failed");
        mf_sym2_eig_top(c, H, l2, v2);
        const double sc = fmax(fabs(H[0]) + fabs(H[1]), fabs(H[2]) + fabs(H[3]));
        double B[4], al[2], av[4]; /* the gap between the two eigenvalues, from dsyevr */
        memcpy(B, H, sizeof B);
        mf_sym_eig_top(2, 2, B, al, av);
        const double gap = al[1] - al[0];
        for (size_t j = 0; j < c; j++) {
            double dv = fabs(lv[j] - l2[j]) / fmax(sc, 1e-300);
            worst_val = fmax(worst_val, dv);
            CHECK(dv <= 1e-14, "eigenvalue %zu of (%g %g; %g %g): %.17g vs dsyevr %.17g", j, H[0],
                  H[1], H[2], H[3], l2[j], lv[j]);
            if (gap >= 1e-3 * sc) {
                double e = fmax(fabs(vv[2 * j] - v2[2 * j]), fabs(vv[2 * j + 1] - v2[2 * j + 1]));
                if (fabs(fabs(v2[2 * j]) - fabs(v2[2 * j + 1])) <= 1e-15) /* a tie: either sign */
                    e = fmin(
                        e, fmax(fabs(vv[2 * j] + v2[2 * j]), fabs(vv[2 * j + 1] + v2[2 * j + 1])));
                worst_vec = fmax(worst_vec, e);
                CHECK(e <= 1e-12,
                      "eigenvector %zu of (%g %g; %g %g): (%.17g, %.17g) vs (%.17g, %.17g)", j,
                      H[0], H[1], H[2], H[3], v2[2 * j], v2[2 * j + 1], vv[2 * j], vv[2 * j + 1]);
            }
            CHECK(fabs(hypot(v2[2 * j], v2[2 * j + 1]) - 1.0) <= 1e-15, "unit vector");
        }
    }
}

int main(void) {
    mf_rng r;
    mf_rng_seed(&r, 17, 0);
    for (int t = 0; t < 20000; t++) {
        double s = exp(6.0 * mf_rng_normal(&r)), a = s * mf_rng_normal(&r),
               e = s * mf_rng_normal(&r), b = s * mf_rng_normal(&r) * (t % 4 == 0 ? 1e-6 : 1.0);
        if (t % 5 == 1) e = fabs(a) * 1e-9; /* a flat direction, as at a manifold point */
        if (t % 7 == 2) e = a;              /* equal diagonal */
        double H[4] = {a, b, b, e};
        compare(H);
    }
    const double special[][4] = {{0, 0, 0, 4},  {4, 0, 0, 0}, {3, 0, 0, 3}, {0, 0, 0, 0},
                                 {-1, 0, 0, 2}, {1, 1, 1, 1}, {0, 1, 1, 0}, {2, -1, -1, 2}};
    for (size_t k = 0; k < sizeof special / sizeof *special; k++)
        compare(special[k]);
    /* diagonal: exact, and the same bits as dsyevr */
    double D[4] = {0.0, 0.0, 0.0, 7.25}, A[4], lv[1], vv[2], l2[1], v2[2];
    memcpy(A, D, sizeof A);
    mf_sym_eig_top(2, 1, A, lv, vv);
    mf_sym2_eig_top(1, D, l2, v2);
    CHECK(l2[0] == 7.25 && v2[0] == 0.0 && v2[1] == 1.0 && lv[0] == l2[0] && vv[1] == v2[1],
          "diagonal: exact");
    printf("2x2 eigenpairs vs dsyevr: values %.2e of the scale, vectors %.2e\n", worst_val,
           worst_vec);
    return check_summary();
}
