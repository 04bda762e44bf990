#include "mflab/rng.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "rng_impl.h"

/* splitmix64 (Steele, Lea & Flood 2014): turns (seed, stream) into well-mixed state words. */
static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void mf_rng_seed(mf_rng *r, uint64_t seed, uint64_t stream) {
    uint64_t a = seed, b = stream ^ 0x6a09e667f3bcc909ULL;
    uint64_t x = splitmix64(&a) ^ splitmix64(&b);
    for (int k = 0; k < 4; k++)
        r->s[k] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256++ (Blackman & Vigna 2019). */
uint64_t mf_rng_u64(mf_rng *r) {
    uint64_t *s = r->s;
    uint64_t out = rotl(s[0] + s[3], 23) + s[0];
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double mf_rng_uniform(mf_rng *r) {
    return (double)(mf_rng_u64(r) >> 11) * 0x1p-53;
}

/* ---- ziggurat ---------------------------------------------------------------------------
 * Layer i (0..255) is a box of width X[i] between heights f(X[i]) and f(X[i+1]),
 * f(x) = exp(-x^2/2), all of area V; layer 0 is the base box of width V/f(R) that also stands
 * for the tail beyond R = X[1]. Points with |x| < X[i+1] lie under the curve (fast path). */
#define ZIG_N 256
static const double zig_r = 3.6541528853610088;
static const double zig_v = 0.00492867323399;
static double zig_x[ZIG_N + 1]; /* layer widths */
static double zig_k[ZIG_N];     /* X[i+1]/X[i]: the fast-path bound on |U| */
static double zig_f[ZIG_N + 1]; /* f(X[i]) */
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_init(void) {
    double f = exp(-0.5 * zig_r * zig_r);
    zig_x[0] = zig_v / f;
    zig_x[1] = zig_r;
    for (int i = 2; i < ZIG_N; i++) {
        zig_x[i] = sqrt(-2.0 * log(zig_v / zig_x[i - 1] + f));
        f = exp(-0.5 * zig_x[i] * zig_x[i]);
    }
    zig_x[ZIG_N] = 0.0;
    for (int i = 0; i < ZIG_N; i++)
        zig_k[i] = zig_x[i + 1] / zig_x[i];
    for (int i = 0; i <= ZIG_N; i++)
        zig_f[i] = exp(-0.5 * zig_x[i] * zig_x[i]);
}

static inline uint64_t zig_layer(uint64_t w) {
    return w & 0xff;
}
/* U in [-1, 1) from the high 53 bits. */
static inline double zig_u(uint64_t w) {
    return (double)(int64_t)(w >> 11) * 0x1p-52 - 1.0;
}

/* The rare path of one attempt whose fast test failed; returns 1 and sets *out if the
 * attempt is accepted, 0 if it is rejected (the caller then makes a fresh attempt). */
static int zig_slow(mf_rng *r, uint64_t i, double u, double *out) {
    if (i == 0) { /* tail beyond R (Marsaglia 1964) */
        double a, b;
        do {
            a = -log((double)((mf_rng_u64(r) >> 11) + 1) * 0x1p-53) / zig_r;
            b = -log((double)((mf_rng_u64(r) >> 11) + 1) * 0x1p-53);
        } while (b + b < a * a);
        *out = u < 0 ? -(zig_r + a) : zig_r + a;
        return 1;
    }
    double x = u * zig_x[i];
    double y = zig_f[i] + mf_rng_uniform(r) * (zig_f[i + 1] - zig_f[i]);
    if (y < exp(-0.5 * x * x)) {
        *out = x;
        return 1;
    }
    return 0;
}

double mf_rng_normal(mf_rng *r) {
    pthread_once(&zig_once, zig_init);
    for (;;) {
        uint64_t w = mf_rng_u64(r);
        uint64_t i = zig_layer(w);
        double u = zig_u(w), x;
        if (fabs(u) < zig_k[i]) return u * zig_x[i];
        if (zig_slow(r, i, u, &x)) return x;
    }
}

/* ---- structure-of-arrays streams --------------------------------------------------------- */

int mf_rng_soa_init(mf_rng_soa *b, size_t n, uint64_t seed, uint64_t first_stream, mf_err *err) {
    pthread_once(&zig_once, zig_init);
    b->n = n;
    b->s = malloc(sizeof(uint64_t) * 4 * (n ? n : 1));
    b->w = malloc(sizeof(uint64_t) * (n ? n : 1));
    b->flag = malloc(sizeof(uint64_t) * (n ? n : 1));
    if (!b->s || !b->w || !b->flag) {
        mf_rng_soa_free(b);
        return mf_err_set(err, MF_ENOMEM, "out of memory for %zu random streams", n);
    }
    for (size_t i = 0; i < n; i++) {
        mf_rng r;
        mf_rng_seed(&r, seed, first_stream + i);
        mf_rng_soa_set(b, i, &r);
    }
    return MF_OK;
}

void mf_rng_soa_free(mf_rng_soa *b) {
    free(b->s);
    free(b->w);
    free(b->flag);
    b->s = b->w = NULL;
    b->flag = NULL;
    b->n = 0;
}

void mf_rng_soa_get(const mf_rng_soa *b, size_t lane, mf_rng *r) {
    for (int k = 0; k < 4; k++)
        r->s[k] = b->s[(size_t)k * b->n + lane];
}

void mf_rng_soa_set(mf_rng_soa *b, size_t lane, const mf_rng *r) {
    for (int k = 0; k < 4; k++)
        b->s[(size_t)k * b->n + lane] = r->s[k];
}

void mf_rng_soa_normals(mf_rng_soa *b, double *restrict out) {
    const size_t n = b->n;
    uint64_t *w = b->w, *flag = b->flag;
    mf_rng_fast_fn *fast = MF_ISA_PICK(mf_rng_soa_fast); /* rng_kern.c, per instruction set */
    uint64_t rejected =
        fast(n, b->s, b->s + n, b->s + 2 * n, b->s + 3 * n, w, flag, out, zig_x, zig_k);
    if (!rejected) return;
    /* About 1% of lanes: finish them one by one, continuing their own streams. */
    for (size_t i = 0; i < n; i++) {
        if (!flag[i]) continue;
        uint64_t word = w[i];
        uint64_t l = zig_layer(word);
        mf_rng r;
        mf_rng_soa_get(b, i, &r);
        double x;
        if (!zig_slow(&r, l, zig_u(word), &x)) x = mf_rng_normal(&r);
        out[i] = x;
        mf_rng_soa_set(b, i, &r);
    }
}
