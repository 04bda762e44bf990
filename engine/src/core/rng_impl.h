/* The ziggurat's fast path for a structure of streams, one copy per instruction set
 * (rng_kern.c; not public API). */
#ifndef MFLAB_RNG_IMPL_H
#define MFLAB_RNG_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "isa_impl.h"

/* One xoshiro256++ step of every lane (state rows s0..s3) and the fast-path normal
 * out[i] = U x[layer]; w[i] keeps the word, flag[i] = 1 where the fast test failed; returns
 * nonzero if any lane failed. x and k are the ziggurat's layer widths and fast-path bounds. */
typedef uint64_t mf_rng_fast_fn(size_t n, uint64_t *restrict s0, uint64_t *restrict s1,
                                uint64_t *restrict s2, uint64_t *restrict s3, uint64_t *restrict w,
                                uint64_t *restrict flag, double *restrict out,
                                const double *restrict x, const double *restrict k);
MF_ISA_DECLARE(mf_rng_fast_fn, mf_rng_soa_fast);
MF_ISA_HIDDEN mf_rng_fast_fn MF_ISA_NAME(mf_rng_soa_fast);

#endif
