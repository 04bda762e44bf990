/* Adam's block step (engine/src/core/optim_adam.c) divides partly without the divider (a Newton
 * reciprocal and Markstein's correction, on AVX-512 builds) and multiplies by fma(a, b, -0): it
 * must still give torch's operations bit for bit. Checked against the plain formula, bit for
 * bit (signs of zeros included), on random lanes: numerators m from subnormal to 2^300,
 * denominators sqrt(v) + eps from 2^-1000 to 2^500 with random significands, g from 0 and
 * subnormals up, eps with all-ones significands, quotients that overflow; a block width that is
 * not a multiple of 8, so that both kinds of vector and the masked tail are covered.
 * MFLAB_ADAM_DIV_N=<lanes> runs a longer check (the default, 2e6 lanes, takes ~0.05 s). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/optim.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t next(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* a double with a random sign, random significand and a biased exponent in [lo, hi] (0: a
 * subnormal or zero) */
static double rnd(int lo, int hi, int sign) {
    uint64_t b = next();
    uint64_t e = (uint64_t)(lo + (int)(next() % (uint64_t)(hi - lo + 1)));
    uint64_t bits =
        (sign ? b & (UINT64_C(1) << 63) : 0) | (e << 52) | (b & ((UINT64_C(1) << 52) - 1));
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static int same(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Steps n lanes (d = 1) of Adam(lr = 1, betas, eps) at step k from (z, g, m, v) and compares
 * z, m and v with the plain formula; returns the number of lanes that differ. */
static size_t check_block(size_t n, double b1, double b2, double eps, uint64_t k, double *z,
                          const double *g, double *st, size_t lane0) {
    mf_optim o;
    mf_optim_params p = {.beta1 = b1, .beta2 = b2, .eps = eps};
    mf_schedule s = mf_schedule_constant(1.0);
    if (mf_optim_make(&o, "adam", &p, &s, NULL) != MF_OK) return n;
    double *want = malloc(3 * n * sizeof *want);
    if (!want) return n;
    const double bc1 = 1.0 - pow(b1, (double)k), bc2 = 1.0 - pow(b2, (double)k);
    const double step = 1.0 / bc1, ibc2s = 1.0 / sqrt(bc2);
    for (size_t i = 0; i < n; i++) {
        double mi = st[i] * b1 + (1.0 - b1) * g[i];
        double vi = st[n + i] * b2 + (1.0 - b2) * (g[i] * g[i]);
        want[i] = z[i] + -step * (mi / (sqrt(vi) * ibc2s + eps));
        want[n + i] = mi, want[2 * n + i] = vi;
    }
    o.type->step(&o, 1, n, z, n, g, n, st, n, k, lane0);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        int ok =
            same(z[i], want[i]) && same(st[i], want[n + i]) && same(st[n + i], want[2 * n + i]);
        if (!ok && bad++ < 5)
            fprintf(stderr, "lane %zu: m %a v %a eps %a: z %a, want %a\n", i, want[n + i],
                    want[2 * n + i], eps, z[i], want[i]);
    }
    free(want);
    return bad;
}

int main(void) {
    const char *env = getenv("MFLAB_ADAM_DIV_N");
    const size_t total = env ? (size_t)strtod(env, NULL) : 2000000;
    const size_t n = 4099; /* 512 vectors and a tail of 3 */
    double *z = malloc(n * sizeof *z), *g = malloc(n * sizeof *g), *st = malloc(2 * n * sizeof *st);
    CHECK(z && g && st, "memory");
    if (!z || !g || !st) return check_summary();
    size_t bad = 0, lanes = 0;
    /* betas 1/2: m_new = m/2 + g/2 and v_new = v/2 + g^2/2 take any value independently;
     * k = 200: bias corrections exactly 1, so z_new = -0 - m_new / d shows the quotient
     * itself, the sign of a zero included */
    for (size_t done = 0; done < total; done += n) {
        for (size_t i = 0; i < n; i++) {
            z[i] = -0.0;
            g[i] = i % 5 == 0 ? 0.0 : rnd(0, 60, 1);             /* 0, subnormals, up to 2^-963 */
            st[i] = i % 3 == 0 ? rnd(0, 1, 1) : rnd(0, 1323, 1); /* m: many subnormals */
            st[n + i] = i % 7 == 0 ? 0.0 : rnd(23, 2023, 0);     /* v: sqrt from 2^-1000 to 2^500 */
        }
        bad += check_block(n, 0.5, 0.5, 0x1p-1000, 200, z, g, st, done % 97);
        lanes += n;
    }
    CHECK(bad == 0, "random quotients: %zu of %zu lanes differ from m / d", bad, lanes);
    /* d = eps with all-ones and random significands (v = 0), random m */
    bad = 0;
    for (int e = -1000; e <= 10; e += 7) {
        for (int t = 0; t < 2; t++) {
            double eps = ldexp(t ? 2.0 - 0x1p-52 : 1.0 + (double)(next() >> 12) * 0x1p-52, e);
            for (size_t i = 0; i < n; i++) {
                z[i] = -0.0, g[i] = 0.0, st[n + i] = 0.0;
                st[i] = rnd(0, 2046, 1);
            }
            bad += check_block(n, 0.5, 0.5, eps, 200, z, g, st, (size_t)t * 5);
        }
    }
    CHECK(bad == 0, "d = eps: %zu lanes differ from m / d", bad);
    /* early steps (bias corrections below 1, ibc2s multiplies) with torch's default betas */
    bad = 0;
    for (uint64_t k = 1; k <= 50; k++) {
        for (size_t i = 0; i < n; i++) {
            z[i] = rnd(1000, 1046, 1), g[i] = rnd(900, 1100, 1);
            st[i] = rnd(900, 1100, 1), st[n + i] = rnd(800, 1200, 0);
        }
        bad += check_block(n, 0.9, 0.999, 1e-8, k, z, g, st, (size_t)k);
    }
    CHECK(bad == 0, "early steps: %zu lanes differ", bad);
    /* layout: the same points stepped as one block and as blocks of 5, 13, 8, 250, ... lanes
     * (each told its first point's index) give the same bits, whatever the paths round to */
    {
        mf_optim o;
        mf_optim_params p = {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
        mf_schedule s = mf_schedule_constant(1e-3);
        CHECK(mf_optim_make(&o, "adam", &p, &s, NULL) == MF_OK, "adam");
        double *z2 = malloc(n * sizeof *z2), *st2 = malloc(2 * n * sizeof *st2);
        CHECK(z2 && st2, "memory");
        for (size_t i = 0; z2 && st2 && i < n; i++) {
            z[i] = z2[i] = rnd(1000, 1046, 1), g[i] = rnd(900, 1100, 1);
            st[i] = st2[i] = rnd(900, 1100, 1), st[n + i] = st2[n + i] = rnd(800, 1200, 0);
        }
        const size_t sizes[] = {5, 13, 8, 250, 1, 24, 3};
        size_t differ = 0;
        for (uint64_t k = 1; z2 && st2 && k <= 3; k++) {
            o.type->step(&o, 1, n, z, n, g, n, st, n, k, 0);
            for (size_t lo = 0, j = 0; lo < n; j++) {
                const size_t m = sizes[j % 7] < n - lo ? sizes[j % 7] : n - lo;
                o.type->step(&o, 1, m, z2 + lo, m, g + lo, m, st2 + lo, n, k, lo);
                lo += m;
            }
        }
        for (size_t i = 0; z2 && st2 && i < n; i++)
            differ += !same(z[i], z2[i]) || !same(st[i], st2[i]) || !same(st[n + i], st2[n + i]);
        CHECK(differ == 0, "layout: %zu of %zu points differ between one block and many", differ,
              n);
        free(z2), free(st2);
    }
    free(z), free(g), free(st);
    return check_summary();
}
