/* The ziggurat's fast path over a structure of streams (rng.c), compiled once per instruction
 * set (isa_impl.h): integer xoshiro256++ and exact products, so every path gives the same bits. */
#include <math.h>
#include <string.h>

#include "rng_impl.h"

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

/* (double)(word >> 11), exactly (53 bits), without a 64-bit integer conversion, which AVX2 lacks
 * (with it the loop would not vectorize there): the top 52 bits through the 2^52 exponent
 * trick, then twice that plus the 53rd bit, every step exact. */
static inline double top53(uint64_t word) {
    const uint64_t hi = (word >> 12) | 0x4330000000000000ULL; /* 2^52 + (word >> 12) */
    double h;
    memcpy(&h, &hi, sizeof h);
    return 2.0 * (h - 0x1p52) + (double)(uint32_t)(word >> 11 & 1);
}

/* One branch-free loop the compiler vectorizes (the restrict parameters, rather than restrict
 * locals, are what lets gcc prove the arrays disjoint). Layer = low 8 bits of the word, U in
 * [-1, 1) from its high 53 bits, as rng.c's zig_layer and zig_u. */
uint64_t MF_ISA_NAME(mf_rng_soa_fast)(size_t n, uint64_t *restrict s0, uint64_t *restrict s1,
                                      uint64_t *restrict s2, uint64_t *restrict s3,
                                      uint64_t *restrict w, uint64_t *restrict flag,
                                      double *restrict out, const double *restrict x,
                                      const double *restrict k) {
    uint64_t rejected = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = s0[i], c = s1[i], e = s2[i], g = s3[i];
        uint64_t word = rotl(a + g, 23) + a; /* xoshiro256++, as mf_rng_u64 */
        uint64_t t = c << 17;
        e ^= a;
        g ^= c;
        c ^= e;
        a ^= g;
        e ^= t;
        g = rotl(g, 45);
        s0[i] = a, s1[i] = c, s2[i] = e, s3[i] = g;
        uint64_t l = word & 0xff;
        double u = top53(word) * 0x1p-52 - 1.0;
        out[i] = u * x[l];
        uint64_t bad = !(fabs(u) < k[l]);
        w[i] = word;
        flag[i] = bad;
        rejected |= bad;
    }
    return rejected;
}
