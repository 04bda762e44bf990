/* Private helpers shared by the landscape implementations (not part of the public API). */
#ifndef MFLAB_LANDSCAPE_IMPL_H
#define MFLAB_LANDSCAPE_IMPL_H

#include <math.h>
#include <stddef.h>

#include "mflab/landscape.h"

/* a * b bit for bit (x + -0 = x for every x, -0 + -0 = -0), as a fused multiply-add: on Zen 4 a
 * vmulpd whose result is subnormal or underflows to 0 is 2-3x slower, an FMA is not (trajectories
 * that settle at a valley floor x = 0 make many such products). Only with a hardware FMA;
 * elsewhere fma() would be a library call. */
static inline double mul_tiny(double a, double b) {
#ifdef FP_FAST_FMA
    return fma(a, b, -0.0);
#else
    return a * b;
#endif
}

/* Per-thread scratch: slot s holds at least `bytes` bytes until the thread ends; it grows on
 * demand (so steady step loops do not allocate). NULL when out of memory. Each generic
 * routine uses its own slot so that they can call each other. */
enum {
    SCR_PROJECT, /* generic_project */
    SCR_POLISH,  /* generic_project, last stage */
    SCR_NOISE,   /* generic noise hooks (they call project) */
    SCR_EIG,     /* eigen-decompositions: matrix, vectors, values, LAPACK work */
    SCR_EIGI,    /* LAPACK integer work */
    SCR_LANE,    /* one lane copied out of a block */
    SCR_HVP,     /* dense Hessian for hvp / trace / dhess */
    SCR_FD,      /* finite differences inside a landscape: Hessian level */
    SCR_FD2,     /* finite differences inside a landscape: gradient level */
    SCR_MODEL,   /* a landscape's own per-call work (matrix models) */
    SCR_MFPROJ,  /* matrix factorization's projection (landscape_mf.c) */
    SCR_MFNOISE, /* matrix factorization's noise hooks (landscape_mf.c) */
    SCR_MFFRAME, /* matrix factorization's frame and dhess (never nested) */
    SCR_NSLOTS
};
void *mf_scratch(int slot, size_t bytes);
/* Host callbacks may re-enter the engine: every call of one is bracketed by
 * mf_scratch_enter (nonzero when nested more than MF_SCRATCH_MAXDEPTH levels: do not call)
 * and mf_scratch_leave, so the nested engine calls get scratch of their own. mf_host_call
 * does this around a point callback. */
#define MF_SCRATCH_MAXDEPTH 64
int mf_scratch_enter(void);
void mf_scratch_leave(void);
int mf_host_call(mf_pointfun f, void *ud, const double *z, double *out);

/* Copies lane i of a block (d rows, leading dimension ld) into x / back. */
static inline void lane_get(const double *z, size_t ld, size_t d, size_t i, double *x) {
    for (size_t k = 0; k < d; k++)
        x[k] = z[k * ld + i];
}
static inline void lane_put(double *z, size_t ld, size_t d, size_t i, const double *x) {
    for (size_t k = 0; k < d; k++)
        z[k * ld + i] = x[k];
}

/* For landscapes that evaluate one point at a time: lane i of out (nout rows, leading dimension
 * ldo) = fn(ctx, lane i of z) for every lane of the block; NaN lanes if scratch memory fails. */
typedef void (*mf_point_map)(const void *ctx, const double *x, double *out);
void mf_lanes_map(const void *ctx, mf_point_map fn, size_t m, const double *z, size_t ld, size_t d,
                  double *out, size_t ldo, size_t nout);

/* The c largest eigenpairs of the symmetric d x d matrix H (destroyed; c = d: all of them):
 * vals ascending, vecs column-major d x c, each with its largest-magnitude entry positive.
 * Returns 0, a LAPACK info, or -1 when out of memory. */
int mf_sym_eig_top(size_t d, size_t c, double *H, double *vals, double *vecs);

/* The same for a 2 x 2 matrix H (row-major, not destroyed; c = 1 or 2) in closed form, as the
 * generic noise hooks use it (landscape.c): agrees with mf_sym_eig_top to rounding. */
void mf_sym2_eig_top(size_t c, const double *H, double *vals, double *vecs);

double mf_norm2(size_t n, const double *x);

#endif
