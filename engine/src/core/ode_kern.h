/* Dormand-Prince 5(4)'s per-step vector work, one copy per instruction set (ode_kern.c; not
 * public API). Every entry evaluates, per component, exactly the expression ode.c wrote inline,
 * so every path gives the same bits; only the width of the loops differs. */
#ifndef MFLAB_ODE_KERN_H
#define MFLAB_ODE_KERN_H

#include <stddef.h>

#include "isa_impl.h"

typedef struct mf_ode_kern {
    /* out_i = y_i + c k_i */
    void (*axpy)(size_t n, const double *restrict y, double c, const double *restrict k,
                 double *restrict out);
    /* out_i = y_i + h (c_0 k_0,i + c_1 k_1,i + ... + c_(nk-1) k_(nk-1),i), the sum left to right,
     * 2 <= nk <= 6 */
    void (*combine)(size_t n, const double *restrict y, double h, size_t nk,
                    const double *restrict c, const double *const *k, double *restrict out);
    /* sum over i = 0, 1, .. (in that order) of (e_i / s_i)^2, e_i = h (c_0 k_0,i + ... +
     * c_5 k_5,i) and s_i = atol + rtol max(|y_i|, |ynew_i|); q: n doubles of scratch */
    double (*err2)(size_t n, double h, const double *restrict c, const double *const *k,
                   const double *restrict y, const double *restrict ynew, double atol, double rtol,
                   double *restrict q);
} mf_ode_kern;

MF_ISA_DECLARE(const mf_ode_kern, mf_ode_kern_dp45);
MF_ISA_HIDDEN extern const mf_ode_kern MF_ISA_NAME(mf_ode_kern_dp45);

#endif
