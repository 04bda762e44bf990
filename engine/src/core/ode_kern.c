/* Dormand-Prince 5(4)'s per-step vector work (ode_kern.h), compiled once per instruction set
 * (isa_impl.h): the stage combinations and the error norm were ~16% of the matrix-factorization
 * projection (2-wide SSE2 loops over its 50 components, 7 per step). Each loop is instantiated
 * for a constant number of terms (always_inline), so it is one vectorized pass. */
#include <math.h>

#include "ode_kern.h"

#define OK_INLINE static inline __attribute__((always_inline))

static void ok_axpy(size_t n, const double *restrict y, double c, const double *restrict k,
                    double *restrict out) {
    for (size_t i = 0; i < n; i++)
        out[i] = y[i] + c * k[i];
}

/* h (c_0 k_0,i + ... + c_(nk-1) k_(nk-1),i), as the inline expression (a + b + ..) groups */
OK_INLINE double ok_sum(size_t i, double h, size_t nk, const double *restrict c,
                        const double *restrict const *restrict k) {
    double s = c[0] * k[0][i];
    for (size_t j = 1; j < nk; j++)
        s = s + c[j] * k[j][i];
    return h * s;
}

OK_INLINE void ok_combine_n(size_t n, const double *restrict y, double h, size_t nk,
                            const double *restrict c, const double *const *k,
                            double *restrict out) {
    const double *restrict kk[6];
    for (size_t j = 0; j < nk; j++)
        kk[j] = k[j];
    for (size_t i = 0; i < n; i++)
        out[i] = y[i] + ok_sum(i, h, nk, c, kk);
}

static void ok_combine(size_t n, const double *restrict y, double h, size_t nk,
                       const double *restrict c, const double *const *k, double *restrict out) {
    switch (nk) {
    case 2:
        ok_combine_n(n, y, h, 2, c, k, out);
        break;
    case 3:
        ok_combine_n(n, y, h, 3, c, k, out);
        break;
    case 4:
        ok_combine_n(n, y, h, 4, c, k, out);
        break;
    case 5:
        ok_combine_n(n, y, h, 5, c, k, out);
        break;
    default:
        ok_combine_n(n, y, h, 6, c, k, out);
        break;
    }
}

/* fmax(a, b) for a, b >= 0 or NaN (the other one where one is NaN), inline: the library call
 * kept the error norm's sum in memory across it. At a tie of +0 and -0 fmax may return either;
 * here both are fabs values, never -0. */
OK_INLINE double max_nan(double a, double b) {
    return b > a || a != a ? b : a;
}

/* the scaled squares in a loop that vectorizes, then only their sum as a chain */
static double ok_err2(size_t n, double h, const double *restrict c, const double *const *k,
                      const double *restrict y, const double *restrict ynew, double atol,
                      double rtol, double *restrict q) {
    const double *restrict kk[6];
    for (size_t j = 0; j < 6; j++)
        kk[j] = k[j];
    for (size_t i = 0; i < n; i++) {
        const double ei = ok_sum(i, h, 6, c, kk);
        const double sc = atol + rtol * max_nan(fabs(y[i]), fabs(ynew[i]));
        q[i] = (ei / sc) * (ei / sc);
    }
    double e = 0.0;
    for (size_t i = 0; i < n; i++)
        e += q[i];
    return e;
}

MF_ISA_HIDDEN const mf_ode_kern MF_ISA_NAME(mf_ode_kern_dp45) = {
    .axpy = ok_axpy,
    .combine = ok_combine,
    .err2 = ok_err2,
};
