/* Adam and AdamW as torch.optim implements them (doc/math.md §3). */
#include <math.h>

#include "mflab/optim.h"
#include "isa_impl.h"
#include "optim_check.h"

#if defined(__AVX512F__) && defined(__AVX512DQ__)
#include <immintrin.h>
#endif

/* The bias correction 1 - beta^k as torch computes it (1 - beta ** step). Once
 * k (1 - beta) > 38, beta^k <= exp(-k (1 - beta)) < e^-38 < 2^-54, so 1 - beta^k rounds to 1
 * exactly: pow (two calls per block and step, ~3% of a valley step) is skipped from then on
 * (k > 380 for beta = 0.9, k > 38000 for 0.999) without changing a bit. */
static double bias_correction(double beta, uint64_t k) {
    if ((double)k * (1.0 - beta) > 38.0) return 1.0;
    return 1.0 - pow(beta, (double)k);
}

typedef struct adam_coef {
    double b1, b2, c1, c2, step, ibc2s, eps;
} adam_coef;

/* One row of the Adam step without weight decay in g (the hot path):
 * m <- b1 m + c1 g, v <- b2 v + c2 g^2, z <- z + (-step) (m / (sqrt(v) ibc2s + eps)). */
static void adam_row_plain(size_t n, double *restrict z, const double *restrict g,
                           double *restrict mr, double *restrict vr, const adam_coef *c) {
    const double b1 = c->b1, b2 = c->b2, c1 = c->c1, c2 = c->c2, step = c->step;
    const double ibc2s = c->ibc2s, eps = c->eps;
    for (size_t i = 0; i < n; i++) { /* m and v stay in registers: no reload after the store */
        double gi = g[i];
        double mi = mr[i] * b1 + c1 * gi, vi = vr[i] * b2 + c2 * (gi * gi);
        mr[i] = mi, vr[i] = vi;
        z[i] += -step * (mi / (sqrt(vi) * ibc2s + eps));
    }
}

#if defined(__AVX512F__) && defined(__AVX512DQ__)
/* The same row, the same bits, faster (AVX-512). The plain loop is bound by the divider, which
 * does both the sqrt and the division: ~16 + 9 cycles per 8 lanes on Zen 4. Here two vectors in
 * three divide on the FMA pipes instead, beside the sqrt, which balances the two units (all
 * three on the FMA pipes makes those the bottleneck): y ~ 1/d from vrcp14pd (relative error
 * < 2^-14), two Newton steps y <- y + y (1 - d y) (2^-56 before rounding), q = m y, then
 * Markstein's correction q + (m - d q) y (P. Markstein, IBM J. Res. Dev. 34 (1990); Muller et
 * al., Handbook of Floating-Point Arithmetic, §4.7). Markstein's theorem makes that the
 * correctly rounded m / d when y is within half an ulp of 1/d; two Newton steps give y within
 * 5/8 ulp, so correct rounding is not proven for every input, only checked: bit for bit against
 * the division on 1e9 random lanes and the classes in tests/c/test_adam_div.c, with no
 * difference. Reproducibility does not rest on it: which path a lane takes is fixed by the
 * trajectory's index (adam_row), never by the block layout. Lanes outside that range -- |m| <
 * 2^-969 (the remainder m - d q would underflow), q zero, subnormal or not finite (d = inf,
 * overflow, NaN) -- take the division itself, in the (few) vectors that have one. eps >= 2^-1000
 * keeps 1/d finite (d <= 2^540: v <= DBL_MAX, ibc2s < 2^27). Products that may be subnormal (m, g
 * and the step at a valley floor) are taken as fma(a, b, -0), equal to a * b bit for bit (x + -0 =
 * x, -0 + -0 = -0), without the penalty of a vmulpd with a subnormal result (2-3x on Zen 4). */
typedef struct adam_vc {
    __m512d b1, b2, c1, c2, mstep, ibc2s, eps, one, nz;
    __m512i abs, mlo;
    int scale;
} adam_vc;

/* m and v of lanes [i, i + 8) (mask k) updated and stored; returns m, sets *d to the
 * denominator sqrt(v) ibc2s + eps */
static inline __m512d adam_mvd(const adam_vc *c, size_t i, __mmask8 k, const double *restrict g,
                               double *restrict mr, double *restrict vr, __m512d *d) {
    __m512d gi = _mm512_maskz_loadu_pd(k, g + i);
    __m512d mi = _mm512_add_pd(_mm512_fmadd_pd(_mm512_maskz_loadu_pd(k, mr + i), c->b1, c->nz),
                               _mm512_fmadd_pd(c->c1, gi, c->nz));
    __m512d vi = _mm512_add_pd(_mm512_fmadd_pd(_mm512_maskz_loadu_pd(k, vr + i), c->b2, c->nz),
                               _mm512_fmadd_pd(c->c2, _mm512_fmadd_pd(gi, gi, c->nz), c->nz));
    _mm512_mask_storeu_pd(mr + i, k, mi);
    _mm512_mask_storeu_pd(vr + i, k, vi);
    __m512d di = _mm512_sqrt_pd(vi);
    if (c->scale) di = _mm512_mul_pd(di, c->ibc2s); /* x * 1 = x: skipped once bc2 is 1 */
    *d = _mm512_add_pd(di, c->eps);
    return mi;
}

/* z <- z + (-step) q */
static inline void adam_z(const adam_vc *c, size_t i, __mmask8 k, double *restrict z, __m512d q) {
    __m512d zi = _mm512_maskz_loadu_pd(k, z + i);
    _mm512_mask_storeu_pd(z + i, k, _mm512_add_pd(zi, _mm512_fmadd_pd(c->mstep, q, c->nz)));
}

/* lanes [i, i + 8) with q = m / d on the divider */
static inline void adam_vec_div(const adam_vc *c, size_t i, __mmask8 k, double *restrict z,
                                const double *restrict g, double *restrict mr,
                                double *restrict vr) {
    __m512d d, mi = adam_mvd(c, i, k, g, mr, vr, &d);
    adam_z(c, i, k, z, _mm512_div_pd(mi, d));
}

/* lanes [i, i + 8) (mask k) with q = m / d on the FMA pipes */
static inline void adam_vec_fma(const adam_vc *c, size_t i, __mmask8 k, double *restrict z,
                                const double *restrict g, double *restrict mr,
                                double *restrict vr) {
    __m512d d, mi = adam_mvd(c, i, k, g, mr, vr, &d);
    __m512d y = _mm512_rcp14_pd(d);
    y = _mm512_fmadd_pd(y, _mm512_fnmadd_pd(d, y, c->one), y);
    y = _mm512_fmadd_pd(y, _mm512_fnmadd_pd(d, y, c->one), y);
    __m512d q = _mm512_fmadd_pd(mi, y, c->nz);
    q = _mm512_fmadd_pd(_mm512_fnmadd_pd(q, d, mi), y, q);
    const __m512i ma = _mm512_and_si512(_mm512_castpd_si512(mi), c->abs); /* |m| as bits */
    const __mmask8 slow = (_mm512_cmplt_epu64_mask(ma, c->mlo) |
                           _mm512_fpclass_pd_mask(q, 0xBF)) & /* NaN, +-0, +-inf, subnormal */
                          k;
    if (slow) q = _mm512_mask_div_pd(q, slow, mi, d);
    adam_z(c, i, k, z, q);
}

/* len lanes from i (one global vector or part of one), on the divider or the FMA pipes */
static inline void adam_vec(const adam_vc *c, size_t i, size_t len, int divider, double *restrict z,
                            const double *restrict g, double *restrict mr, double *restrict vr) {
    const __mmask8 k = len == 8 ? 0xFF : (__mmask8)((1u << len) - 1u);
    if (divider)
        adam_vec_div(c, i, k, z, g, mr, vr);
    else
        adam_vec_fma(c, i, k, z, g, mr, vr);
}

static void adam_row(size_t n, size_t lane0, double *restrict z, const double *restrict g,
                     double *restrict mr, double *restrict vr, const adam_coef *cf) {
    if (!(cf->eps >= 0x1p-1000)) {
        adam_row_plain(n, z, g, mr, vr, cf);
        return;
    }
    const adam_vc c = {.b1 = _mm512_set1_pd(cf->b1),
                       .b2 = _mm512_set1_pd(cf->b2),
                       .c1 = _mm512_set1_pd(cf->c1),
                       .c2 = _mm512_set1_pd(cf->c2),
                       .mstep = _mm512_set1_pd(-cf->step),
                       .ibc2s = _mm512_set1_pd(cf->ibc2s),
                       .eps = _mm512_set1_pd(cf->eps),
                       .one = _mm512_set1_pd(1.0),
                       .nz = _mm512_set1_pd(-0.0),
                       .abs = _mm512_set1_epi64(INT64_MAX),
                       .mlo = _mm512_castpd_si512(_mm512_set1_pd(0x1p-969)),
                       .scale = cf->ibc2s != 1.0};
    /* Vectors follow the run's global grid of 8 points (lane i is point lane0 + i), and the
     * vector with global index j divides on the divider when j = 0 (mod 3), on the FMA pipes
     * otherwise: a trajectory takes the same path whatever the block layout, so the same seed
     * gives the same bits by construction, not only because both paths round alike. */
    size_t i = 0;
    while (i < n && (lane0 + i) % 24 != 0) { /* up to the next multiple of 24 */
        const size_t p = lane0 + i, len = 8 - p % 8 < n - i ? 8 - p % 8 : n - i;
        adam_vec(&c, i, len, p / 8 % 3 == 0, z, g, mr, vr);
        i += len;
    }
    for (; i + 24 <= n; i += 24) { /* global vectors 3j, 3j + 1, 3j + 2 */
        adam_vec_div(&c, i, 0xFF, z, g, mr, vr);
        adam_vec_fma(&c, i + 8, 0xFF, z, g, mr, vr);
        adam_vec_fma(&c, i + 16, 0xFF, z, g, mr, vr);
    }
    for (; i < n; i += 8) /* the tail, from a multiple of 24 */
        adam_vec(&c, i, n - i < 8 ? n - i : 8, (lane0 + i) / 8 % 3 == 0, z, g, mr, vr);
}
#else
static void adam_row(size_t n, size_t lane0, double *restrict z, const double *restrict g,
                     double *restrict mr, double *restrict vr, const adam_coef *c) {
    (void)lane0; /* one path for every lane */
    adam_row_plain(n, z, g, mr, vr, c);
}
#endif

/* m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2, z <- z - (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps)
 * with bc_i = 1 - b_i^k; Adam adds wd z to g first, AdamW multiplies z by 1 - lr wd first.
 * The operations are torch's, in torch's order, so trajectories agree to rounding. */
static void adam_common(const mf_optim *o, int decoupled, size_t d, size_t m, double *z, size_t ld,
                        const double *g, size_t ldg, double *state, size_t lds, uint64_t k,
                        size_t lane0) {
    const double lr = mf_schedule_at(&o->sched, k), b1 = o->p.beta1, b2 = o->p.beta2;
    const double eps = o->p.eps, wd = o->p.weight_decay;
    const double c1 = 1.0 - b1, c2 = 1.0 - b2;
    const double bc1 = bias_correction(b1, k), bc2 = bias_correction(b2, k);
    /* torch divides sqrt(v) by sqrt(bc2); multiplying by the reciprocal saves a division per
     * coordinate and changes the result by at most an ulp */
    const double step = lr / bc1, ibc2s = 1.0 / sqrt(bc2);
    const double shrink = 1.0 - lr * wd, gwd = decoupled ? 0.0 : wd;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld, *restrict mr = state + r * ld,
                         *restrict vr = state + lds + r * ld;
        const double *restrict gr = g + r * ldg;
        if (decoupled && wd != 0.0)
            for (size_t i = 0; i < m; i++)
                zr[i] *= shrink;
        if (gwd != 0.0) {
            for (size_t i = 0; i < m; i++) {
                double gi = gr[i] + gwd * zr[i];
                mr[i] = mr[i] * b1 + c1 * gi;
                vr[i] = vr[i] * b2 + c2 * (gi * gi);
                zr[i] += -step * (mr[i] / (sqrt(vr[i]) * ibc2s + eps));
            }
            continue;
        }
        adam_row(m, lane0, zr, gr, mr, vr, &(adam_coef){b1, b2, c1, c2, step, ibc2s, eps});
    }
}

static void adam_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                      size_t ldg, double *state, size_t lds, uint64_t k, size_t lane0) {
    adam_common(o, 0, d, m, z, ld, g, ldg, state, lds, k, lane0);
}

static void adamw_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                       size_t ldg, double *state, size_t lds, uint64_t k, size_t lane0) {
    adam_common(o, 1, d, m, z, ld, g, ldg, state, lds, k, lane0);
}

/* The step size per unit of m each coordinate got at step k, averaged over the coordinates:
 * (lr/bc1) / (sqrt(v)/sqrt(bc2) + eps); lr itself before the first step (v is not defined). */
static void adam_lr_eff(const mf_optim *o, size_t d, size_t m, const double *z, size_t ld,
                        const double *state, size_t lds, uint64_t k, double *out) {
    const double lr = mf_schedule_at(&o->sched, k ? k : 1);
    if (k == 0) {
        for (size_t i = 0; i < m; i++)
            out[i] = lr;
        return;
    }
    const double bc1 = bias_correction(o->p.beta1, k), bc2 = bias_correction(o->p.beta2, k);
    for (size_t i = 0; i < m; i++)
        out[i] = 0.0;
    for (size_t r = 0; r < d; r++) {
        const double *vr = state + lds + r * ld;
        for (size_t i = 0; i < m; i++)
            out[i] += lr / bc1 / (sqrt(vr[i]) / sqrt(bc2) + o->p.eps) / (double)d;
    }
}

/* adam and adamw */
static int adam_check(const mf_optim_params *p, const mf_schedule *lr, mf_err *err) {
    (void)lr;
    if (!optim_unit(p->beta1) || !optim_unit(p->beta2))
        return mf_err_set(err, MF_EINVAL,
                          "option 'betas' must be two numbers in [0, 1), got {%g, %g}", p->beta1,
                          p->beta2);
    if (!optim_finite_pos(p->eps)) return OPTIM_BAD(err, "eps", "a finite number > 0", p->eps);
    if (!optim_wd_ok(p->weight_decay))
        return OPTIM_BAD(err, "weight_decay", "a finite number >= 0", p->weight_decay);
    return MF_OK;
}

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_adam_type) = {.name = "adam",
                                          .check = adam_check,
                                          .nstate = 2,
                                          .state_names = {"m", "v"},
                                          .momentum_state = 0,
                                          .step = adam_step,
                                          .lr_eff = adam_lr_eff};

MF_ISA_VARIANT_HIDDEN const mf_optim_type MF_ISA_NAME(mf_optim_adamw_type) = {.name = "adamw",
                                           .check = adam_check,
                                           .nstate = 2,
                                           .state_names = {"m", "v"},
                                           .momentum_state = 0,
                                           .step = adamw_step,
                                           .lr_eff = adam_lr_eff};
