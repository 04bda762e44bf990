/* Random numbers: one stream per trajectory.
 *
 * A stream is xoshiro256++ whose state is derived from (seed, stream index) by splitmix64,
 * so trajectory i of a run draws the same numbers whatever the thread count, the block size
 * or which other trajectories run beside it. Normals come from a 256-layer ziggurat
 * (Marsaglia & Tsang 2000) that consumes one 64-bit word per attempt: the low 8 bits pick
 * the layer, the high 53 bits the abscissa.
 *
 * mf_rng_soa keeps the states of a block of streams as structure of arrays so that one
 * normal for every lane is drawn in a vectorizable loop; lane i of a block produces exactly
 * the sequence mf_rng_normal() produces for the same stream. */
#ifndef MFLAB_RNG_H
#define MFLAB_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mf_rng {
    uint64_t s[4];
} mf_rng;

void mf_rng_seed(mf_rng *r, uint64_t seed, uint64_t stream);
uint64_t mf_rng_u64(mf_rng *r);
double mf_rng_uniform(mf_rng *r); /* in [0, 1), 53 random bits */
double mf_rng_normal(mf_rng *r);  /* standard normal, ziggurat */

typedef struct mf_rng_soa {
    size_t n;       /* lanes */
    uint64_t *s;    /* s[k*n + i]: word k of lane i's state */
    uint64_t *w;    /* scratch: last word drawn per lane */
    uint64_t *flag; /* scratch: lane's fast test failed (64-bit so the loop vectorizes) */
} mf_rng_soa;

/* Lanes 0..n-1 get streams first_stream..first_stream+n-1 of seed. */
int mf_rng_soa_init(mf_rng_soa *b, size_t n, uint64_t seed, uint64_t first_stream, mf_err *err);
void mf_rng_soa_free(mf_rng_soa *b);
/* out[i] = next normal of lane i, for i in [0, n). */
void mf_rng_soa_normals(mf_rng_soa *b, double *out);
void mf_rng_soa_get(const mf_rng_soa *b, size_t lane, mf_rng *r);
void mf_rng_soa_set(mf_rng_soa *b, size_t lane, const mf_rng *r);

#ifdef __cplusplus
}
#endif

#endif
