/* RNG: per-trajectory streams are the same whatever the block layout; the ziggurat's
 * normals have the right moments (bounds of 4 standard errors). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/rng.h"

static void test_lanes_equal_scalar_streams(void) {
    const size_t sizes[] = {1, 7, 64, 256, 1000};
    const uint64_t seed = 12345, first = 100;
    const int draws = 2000;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        mf_rng_soa b;
        CHECK(mf_rng_soa_init(&b, n, seed, first, NULL) == MF_OK, "soa init");
        double *out = malloc(n * sizeof *out);
        mf_rng *ref = malloc(n * sizeof *ref);
        for (size_t i = 0; i < n; i++)
            mf_rng_seed(&ref[i], seed, first + i);
        size_t mismatches = 0;
        for (int k = 0; k < draws; k++) {
            mf_rng_soa_normals(&b, out);
            for (size_t i = 0; i < n; i++) {
                double x = mf_rng_normal(&ref[i]);
                if (memcmp(&x, &out[i], sizeof x) != 0) mismatches++;
            }
        }
        CHECK(mismatches == 0, "block of %zu lanes: %zu draws differ from the scalar streams", n,
              mismatches);
        free(out), free(ref);
        mf_rng_soa_free(&b);
    }
}

static void test_streams_differ(void) {
    mf_rng a, b, c;
    mf_rng_seed(&a, 1, 0), mf_rng_seed(&b, 1, 1), mf_rng_seed(&c, 2, 0);
    int same_ab = 0, same_ac = 0;
    double sxy = 0.0;
    const int n = 100000;
    for (int k = 0; k < n; k++) {
        double x = mf_rng_normal(&a), y = mf_rng_normal(&b), z = mf_rng_normal(&c);
        same_ab += x == y, same_ac += x == z;
        sxy += x * y;
    }
    CHECK(same_ab == 0 && same_ac == 0, "neighbouring streams repeat values (%d, %d)", same_ab,
          same_ac);
    /* correlation of two streams: standard error 1/sqrt(n) */
    CHECK(fabs(sxy / n) < 4.0 / sqrt(n), "streams (1,0) and (1,1) correlate: %g", sxy / n);
}

static void test_normal_moments(void) {
    mf_rng_soa b;
    const size_t lanes = 256;
    const int rounds = 16000; /* 4.1e6 draws */
    CHECK(mf_rng_soa_init(&b, lanes, 7, 0, NULL) == MF_OK, "soa init");
    double *out = malloc(lanes * sizeof *out);
    double s1 = 0, s2 = 0, s4 = 0;
    long tail = 0, inner = 0;
    const double R = 3.6541528853610088; /* the ziggurat's tail boundary: exercises the tail path */
    for (int k = 0; k < rounds; k++) {
        mf_rng_soa_normals(&b, out);
        for (size_t i = 0; i < lanes; i++) {
            double x = out[i], x2 = x * x;
            s1 += x, s2 += x2, s4 += x2 * x2;
            tail += fabs(x) > R;
            inner += fabs(x) < 1.0;
        }
    }
    double n = (double)lanes * rounds;
    double mean = s1 / n, m2 = s2 / n, m4 = s4 / n;
    /* standard errors: mean 1/sqrt(n); E x^2: sqrt(2/n); E x^4: sqrt((105 - 9)/n) */
    CHECK(fabs(mean) < 4.0 / sqrt(n), "mean %g", mean);
    CHECK(fabs(m2 - 1.0) < 4.0 * sqrt(2.0 / n), "variance %g", m2);
    CHECK(fabs(m4 - 3.0) < 4.0 * sqrt(96.0 / n), "fourth moment (kurtosis) %g", m4);
    double p_tail = erfc(R / sqrt(2.0)), p_inner = erf(1.0 / sqrt(2.0));
    CHECK(fabs(tail - n * p_tail) < 4.0 * sqrt(n * p_tail * (1 - p_tail)),
          "P(|x| > R): %ld draws, expected %g", tail, n * p_tail);
    CHECK(fabs(inner - n * p_inner) < 4.0 * sqrt(n * p_inner * (1 - p_inner)),
          "P(|x| < 1): %ld draws, expected %g", inner, n * p_inner);
    free(out);
    mf_rng_soa_free(&b);
}

static void test_uniform(void) {
    mf_rng r;
    mf_rng_seed(&r, 3, 9);
    const int n = 1000000;
    double s = 0, lo = 1, hi = 0;
    for (int k = 0; k < n; k++) {
        double u = mf_rng_uniform(&r);
        s += u;
        lo = u < lo ? u : lo, hi = u > hi ? u : hi;
    }
    CHECK(lo >= 0.0 && hi < 1.0, "uniform outside [0,1): %g %g", lo, hi);
    CHECK(fabs(s / n - 0.5) < 4.0 * sqrt(1.0 / 12.0 / n), "uniform mean %g", s / n);
}

int main(void) {
    test_lanes_equal_scalar_streams();
    test_streams_differ();
    test_normal_moments();
    test_uniform();
    return check_summary();
}
