/* Matrix factorization (quasistatic §3; doc/math.md §1): f(U, V) = |U V^T - M|_F^2,
 * U in R^(m x p), V in R^(n x p); z = (U row-major, V row-major). With R = U V^T - M:
 *   grad = 2 (R V, R^T U);  H (dU, dV) = 2 (dR V + R dV, dR^T U + R^T dU), dR = dU V^T + U dV^T;
 *   Tr H = 2 (m |V|_F^2 + n |U|_F^2) everywhere (the R-terms have no diagonal).
 * Residuals r = vec(R) with weight 1, so label noise perturbs the entries of M. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa_impl.h"
#include "landscape_impl.h"
#include "mflab/landscape.h"
#include "mflab/ode.h"
#include "mflab/rng.h"

typedef struct mfact {
    size_t m, n, p;
    double *M;  /* m x n row-major */
    double *x0; /* U0 = M, V0 = I when m = n = p (quasistatic Fig. 2), else NULL */
} mfact;

/* ---- rows of up to 8 doubles: the small kernels' vectors -----------------------------------
 * The kernels below (the gradient flow's right-hand side, the residual, the J and J^T products,
 * the tail's rotations, Gauss-Newton's step) work at m, n, p <= 8 (quasistatic Fig. 2: 5; the
 * paired Jacobi further down has its own two-lane form) on rows of 8 lanes, vectorized over the
 * OUTPUT index: every entry is still the scalar loop's sum, its terms added in the same order,
 * each product rounded before its addition (ISO C: no FMA contraction, CMakeLists.txt), so every
 * path (isa_impl.h) gives the scalar code's bits, and sizes above 8 take the scalar loops. A path
 * holds the 8 lanes in MF_NV native vectors of MF_VW doubles (one AVX-512 register, two AVX2 ones,
 * four SSE2 ones): GCC keeps 64-byte generic vectors in memory where they are not a register type
 * (landscape_ms.c). Lanes past a row's length are zero on load and never stored. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi" /* static helpers: no ABI boundary */
#endif
#if defined(__AVX512F__)
#include <immintrin.h>
#define MF_VW 8
#elif defined(__AVX2__)
#include <immintrin.h>
#define MF_VW 4
#else
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#define MF_VW 2
#endif
#define MF_NV     (8 / MF_VW)
#define MF_ROWMAX 8
#define MF_INLINE static inline __attribute__((always_inline))
typedef double mfv __attribute__((vector_size(8 * MF_VW)));
typedef struct mf_row {
    mfv v[MF_NV];
} mf_row;

/* x in every lane, as an initializer (a lane-by-lane loop became 8 masked broadcasts) */
MF_INLINE mfv vbcast(double x) {
#if MF_VW == 8
    return (mfv){x, x, x, x, x, x, x, x};
#elif MF_VW == 4
    return (mfv){x, x, x, x};
#else
    return (mfv){x, x};
#endif
}
MF_INLINE mf_row row_zero(void) {
    mf_row r;
    for (int h = 0; h < MF_NV; h++)
        r.v[h] = vbcast(0.0);
    return r;
}
/* x[0 .. len - 1], zero-padded to 8 lanes (len <= 8) */
MF_INLINE mf_row row_load(const double *x, size_t len) {
    mf_row r;
#if defined(__AVX512F__)
    r.v[0] = (mfv)_mm512_maskz_loadu_pd((__mmask8)((1u << len) - 1u), x);
#elif defined(__AVX2__)
    const long long n = (long long)len;
    r.v[0] = (mfv)_mm256_maskload_pd(
        x, _mm256_set_epi64x(3 < n ? -1 : 0, 2 < n ? -1 : 0, 1 < n ? -1 : 0, 0 < n ? -1 : 0));
    r.v[1] = (mfv)_mm256_maskload_pd(
        x + 4, _mm256_set_epi64x(7 < n ? -1 : 0, 6 < n ? -1 : 0, 5 < n ? -1 : 0, 4 < n ? -1 : 0));
#elif defined(__SSE2__)
    for (size_t h = 0; h < 4; h++)
        r.v[h] = 2 * h + 1 < len ? (mfv)_mm_loadu_pd(x + 2 * h)
                 : 2 * h < len   ? (mfv)_mm_load_sd(x + 2 * h)
                                 : (mfv)_mm_setzero_pd();
#else
    double t[8] = {0};
    for (size_t l = 0; l < len; l++)
        t[l] = x[l];
    for (int h = 0; h < MF_NV; h++)
        memcpy(&r.v[h], t + h * MF_VW, sizeof r.v[h]);
#endif
    return r;
}
/* x[0 .. len - 1] = the row's first len lanes */
MF_INLINE void row_store(double *x, size_t len, mf_row r) {
#if defined(__AVX512F__)
    _mm512_mask_storeu_pd(x, (__mmask8)((1u << len) - 1u), (__m512d)r.v[0]);
#elif defined(__AVX2__)
    for (size_t h = 0; h < 2; h++) { /* whole, half and single-lane stores (no masked stores) */
        const size_t l = len > 4 * h ? len - 4 * h : 0;
        const __m256d v = (__m256d)r.v[h];
        if (l >= 4)
            _mm256_storeu_pd(x + 4 * h, v);
        else if (l >= 2) {
            _mm_storeu_pd(x + 4 * h, _mm256_castpd256_pd128(v));
            if (l == 3) _mm_store_sd(x + 4 * h + 2, _mm256_extractf128_pd(v, 1));
        } else if (l == 1)
            _mm_store_sd(x + 4 * h, _mm256_castpd256_pd128(v));
    }
#elif defined(__SSE2__)
    for (size_t h = 0; h < 4; h++)
        if (2 * h + 1 < len)
            _mm_storeu_pd(x + 2 * h, (__m128d)r.v[h]);
        else if (2 * h < len)
            _mm_store_sd(x + 2 * h, (__m128d)r.v[h]);
#else
    double t[8];
    for (int h = 0; h < MF_NV; h++)
        memcpy(t + h * MF_VW, &r.v[h], sizeof r.v[h]);
    for (size_t l = 0; l < len; l++)
        x[l] = t[l];
#endif
}
/* all 8 lanes to x (8 doubles) */
MF_INLINE void row_put(double *x, mf_row r) {
    for (int h = 0; h < MF_NV; h++)
        memcpy(x + h * MF_VW, &r.v[h], sizeof r.v[h]);
}
/* out[k] lane b = in[b] lane k (b < nin; lanes b >= nin zero), k < 8: data movement only */
MF_INLINE void rows_transpose(const mf_row *in, size_t nin, mf_row *out) {
#if defined(__AVX512F__)
    __m512d r[8], t[8], u[8];
    for (size_t b = 0; b < 8; b++)
        r[b] = b < nin ? (__m512d)in[b].v[0] : _mm512_setzero_pd();
    for (int i = 0; i < 8; i += 2) /* t[i] = (r_i0 r_(i+1)0 r_i2 ..), t[i+1] the odd lanes */
        t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]), t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
    const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (int i = 0; i < 8; i += 4) { /* rows i .. i + 3 of columns (0, 4), (1, 5), (2, 6), (3, 7) */
        u[i] = _mm512_permutex2var_pd(t[i], lo, t[i + 2]);
        u[i + 1] = _mm512_permutex2var_pd(t[i + 1], lo, t[i + 3]);
        u[i + 2] = _mm512_permutex2var_pd(t[i], hi, t[i + 2]);
        u[i + 3] = _mm512_permutex2var_pd(t[i + 1], hi, t[i + 3]);
    }
    for (int k = 0; k < 4; k++) {
        out[k].v[0] = (mfv)_mm512_shuffle_f64x2(u[k], u[k + 4], 0x44);
        out[k + 4].v[0] = (mfv)_mm512_shuffle_f64x2(u[k], u[k + 4], 0xEE);
    }
#elif defined(__AVX2__)
    /* four 4 x 4 blocks: block (B, H) of the input, rows 4B.., lanes 4H.., is block (H, B) of
     * the output, each transposed by unpacks and lane swaps */
    for (int B = 0; B < 2; B++)
        for (int H = 0; H < 2; H++) {
            __m256d x[4], t[4];
            for (int i = 0; i < 4; i++)
                x[i] =
                    (size_t)(4 * B + i) < nin ? (__m256d)in[4 * B + i].v[H] : _mm256_setzero_pd();
            t[0] = _mm256_unpacklo_pd(x[0], x[1]), t[1] = _mm256_unpackhi_pd(x[0], x[1]);
            t[2] = _mm256_unpacklo_pd(x[2], x[3]), t[3] = _mm256_unpackhi_pd(x[2], x[3]);
            out[4 * H].v[B] = (mfv)_mm256_permute2f128_pd(t[0], t[2], 0x20);
            out[4 * H + 1].v[B] = (mfv)_mm256_permute2f128_pd(t[1], t[3], 0x20);
            out[4 * H + 2].v[B] = (mfv)_mm256_permute2f128_pd(t[0], t[2], 0x31);
            out[4 * H + 3].v[B] = (mfv)_mm256_permute2f128_pd(t[1], t[3], 0x31);
        }
#elif defined(__SSE2__)
    /* sixteen 2 x 2 blocks */
    for (int B = 0; B < 4; B++)
        for (int H = 0; H < 4; H++) {
            const __m128d x0 = (size_t)(2 * B) < nin ? (__m128d)in[2 * B].v[H] : _mm_setzero_pd();
            const __m128d x1 =
                (size_t)(2 * B + 1) < nin ? (__m128d)in[2 * B + 1].v[H] : _mm_setzero_pd();
            out[2 * H].v[B] = (mfv)_mm_unpacklo_pd(x0, x1);
            out[2 * H + 1].v[B] = (mfv)_mm_unpackhi_pd(x0, x1);
        }
#else
    double a[64], t[64];
    for (size_t b = 0; b < 8; b++)
        if (b < nin)
            row_put(a + 8 * b, in[b]);
        else
            for (int k = 0; k < 8; k++)
                a[8 * b + k] = 0.0;
    for (int k = 0; k < 8; k++)
        for (int b = 0; b < 8; b++)
            t[8 * k + b] = a[8 * b + k];
    for (int k = 0; k < 8; k++)
        for (int h = 0; h < MF_NV; h++)
            memcpy(&out[k].v[h], t + 8 * k + h * MF_VW, sizeof out[k].v[h]);
#endif
}
/* a + s b lane by lane: the product rounded, then the sum (as the scalar s += x * y) */
MF_INLINE mf_row row_madd(mf_row a, double s, mf_row b) {
    const mfv sv = vbcast(s);
    for (int h = 0; h < MF_NV; h++)
        a.v[h] = a.v[h] + sv * b.v[h];
    return a;
}
MF_INLINE mf_row row_scale(double s, mf_row a) {
    const mfv sv = vbcast(s);
    for (int h = 0; h < MF_NV; h++)
        a.v[h] = sv * a.v[h];
    return a;
}
MF_INLINE mf_row row_add(mf_row a, mf_row b) {
    for (int h = 0; h < MF_NV; h++)
        a.v[h] = a.v[h] + b.v[h];
    return a;
}
MF_INLINE mf_row row_sub(mf_row a, mf_row b) {
    for (int h = 0; h < MF_NV; h++)
        a.v[h] = a.v[h] - b.v[h];
    return a;
}

/* work for one point: U, V, R, dU, dV, dR, out */
static double *mf_work(const mfact *q) {
    size_t m = q->m, n = q->n, p = q->p;
    return mf_scratch(SCR_MODEL,
                      sizeof(double) * (2 * (m * p + n * p + m * n) + m * p + n * p + 1));
}

/* the sizes the row kernels take: all <= 8; m = n = p = 5 (quasistatic Fig. 2) instantiated with
 * constant bounds, so that its loops unroll */
#define MF_ROWS_OK(m, n, p)  ((m) <= MF_ROWMAX && (n) <= MF_ROWMAX && (p) <= MF_ROWMAX)
#define MF_ROWS_555(m, n, p) ((m) == 5 && (n) == 5 && (p) == 5)

/* J v = dU V^T + U dV^T on rows (mf_tail_J, mf_point_hvp): Y's rows over b,
 * sum_k (dU_ak V_bk + U_ak dV_bk), k ascending */
MF_INLINE void rows_J(size_t m, size_t n, size_t p, const double *U, const double *V,
                      const double *dU, const double *dV, double *Y) {
    mf_row Vr[MF_ROWMAX], dVr[MF_ROWMAX], Vt[MF_ROWMAX], dVt[MF_ROWMAX];
    for (size_t b = 0; b < n; b++)
        Vr[b] = row_load(V + b * p, p), dVr[b] = row_load(dV + b * p, p);
    rows_transpose(Vr, n, Vt);
    rows_transpose(dVr, n, dVt);
    for (size_t a = 0; a < m; a++) {
        mf_row s = row_zero();
        for (size_t k = 0; k < p; k++)
            s = row_add(s,
                        row_add(row_scale(dU[a * p + k], Vt[k]), row_scale(U[a * p + k], dVt[k])));
        row_store(Y + a * n, n, s);
    }
}

/* resid on rows: R's rows over b, sum_k U_ak V_bk (k ascending) - M_ab */
MF_INLINE void rows_resid(size_t m, size_t n, size_t p, const double *U, const double *V,
                          const double *M, double *R) {
    mf_row Vr[MF_ROWMAX], Vt[MF_ROWMAX];
    for (size_t b = 0; b < n; b++)
        Vr[b] = row_load(V + b * p, p);
    rows_transpose(Vr, n, Vt);
    for (size_t a = 0; a < m; a++) {
        mf_row s = row_zero();
        for (size_t k = 0; k < p; k++)
            s = row_madd(s, U[a * p + k], Vt[k]);
        row_store(R + a * n, n, row_sub(s, row_load(M + a * n, n)));
    }
}

/* mf_tail_rot and Gauss-Newton's rotations on rows (T may be Y): tmp's rows over j, sum_r P_ir Y_rj
 * (r ascending; P_ri back), then T's, sum_c tmp_ic Q_jc (c ascending; Q_cj back) */
MF_INLINE void rows_rot(size_t m, size_t n, const double *P, const double *Q, const double *Y,
                        double *T, int back) {
    mf_row Yr[MF_ROWMAX], Qr[MF_ROWMAX], tmp[MF_ROWMAX];
    double tv[MF_ROWMAX * MF_ROWMAX];
    for (size_t r = 0; r < m; r++)
        Yr[r] = row_load(Y + r * n, n);
    for (size_t c = 0; c < n; c++) /* row c of Q's array: Q_cj */
        Qr[c] = row_load(Q + c * n, n);
    if (!back) { /* Q_jc: the array's columns */
        mf_row t[MF_ROWMAX];
        rows_transpose(Qr, n, t);
        for (size_t c = 0; c < n; c++)
            Qr[c] = t[c];
    }
    for (size_t i = 0; i < m; i++) {
        mf_row s = row_zero();
        for (size_t r = 0; r < m; r++)
            s = row_madd(s, back ? P[r * m + i] : P[i * m + r], Yr[r]);
        tmp[i] = s;
    }
    for (size_t i = 0; i < m; i++)
        row_put(tv + i * MF_ROWMAX, tmp[i]);
    for (size_t i = 0; i < m; i++) {
        mf_row s = row_zero();
        for (size_t c = 0; c < n; c++)
            s = row_madd(s, tv[i * MF_ROWMAX + c], Qr[c]);
        row_store(T + i * n, n, s);
    }
}

/* R = U V^T - M */
static void resid(const mfact *q, const double *U, const double *V, double *R) {
    size_t m = q->m, n = q->n, p = q->p;
    if (MF_ROWS_555(m, n, p)) {
        rows_resid(5, 5, 5, U, V, q->M, R);
        return;
    }
    if (MF_ROWS_OK(m, n, p)) {
        rows_resid(m, n, p, U, V, q->M, R);
        return;
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += U[a * p + k] * V[b * p + k];
            R[a * n + b] = s - q->M[a * n + b];
        }
}

/* the same two on rows at n, p <= 8 (out's rows over k: out + c (sum_b A_ab B_bk), b ascending;
 * acc = 0: the sum itself, as Gauss-Newton's step stores it) */
MF_INLINE void rows_mulRV(size_t m, size_t n, size_t p, double c, const double *A, const double *B,
                          double *out, int acc) {
    mf_row Br[MF_ROWMAX];
    for (size_t b = 0; b < n; b++)
        Br[b] = row_load(B + b * p, p);
    for (size_t a = 0; a < m; a++) {
        mf_row s = row_zero();
        for (size_t b = 0; b < n; b++)
            s = row_madd(s, A[a * n + b], Br[b]);
        row_store(out + a * p, p, acc ? row_add(row_load(out + a * p, p), row_scale(c, s)) : s);
    }
}
MF_INLINE void rows_mulRtU(size_t m, size_t n, size_t p, double c, const double *A, const double *C,
                           double *out, int acc) {
    mf_row Cr[MF_ROWMAX];
    for (size_t a = 0; a < m; a++)
        Cr[a] = row_load(C + a * p, p);
    for (size_t b = 0; b < n; b++) {
        mf_row s = row_zero();
        for (size_t a = 0; a < m; a++)
            s = row_madd(s, A[a * n + b], Cr[a]);
        row_store(out + b * p, p, acc ? row_add(row_load(out + b * p, p), row_scale(c, s)) : s);
    }
}

/* gU += c A B (A m x n, B n x p), gV += c A^T C (C m x p) */
static void mulRV(const mfact *q, double c, const double *A, const double *B, double *out) {
    size_t m = q->m, n = q->n, p = q->p;
    if (MF_ROWS_555(m, n, p)) {
        rows_mulRV(5, 5, 5, c, A, B, out, 1);
        return;
    }
    if (MF_ROWS_OK(m, n, p)) {
        rows_mulRV(m, n, p, c, A, B, out, 1);
        return;
    }
    for (size_t a = 0; a < m; a++)
        for (size_t k = 0; k < p; k++) {
            double s = 0.0;
            for (size_t b = 0; b < n; b++)
                s += A[a * n + b] * B[b * p + k];
            out[a * p + k] += c * s;
        }
}
static void mulRtU(const mfact *q, double c, const double *A, const double *C, double *out) {
    size_t m = q->m, n = q->n, p = q->p;
    if (MF_ROWS_555(m, n, p)) {
        rows_mulRtU(5, 5, 5, c, A, C, out, 1);
        return;
    }
    if (MF_ROWS_OK(m, n, p)) {
        rows_mulRtU(m, n, p, c, A, C, out, 1);
        return;
    }
    for (size_t b = 0; b < n; b++)
        for (size_t k = 0; k < p; k++) {
            double s = 0.0;
            for (size_t a = 0; a < m; a++)
                s += A[a * n + b] * C[a * p + k];
            out[b * p + k] += c * s;
        }
}

static void mf_value(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *f) {
    const mfact *q = L->params;
    size_t D = L->dim, nu = q->m * q->p;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            f[i] = NAN;
            continue;
        }
        double *x = w, *R = w + D;
        lane_get(z, ld, D, i, x);
        resid(q, x, x + nu, R);
        double s = 0.0;
        for (size_t k = 0; k < q->m * q->n; k++)
            s += R[k] * R[k];
        f[i] = s;
    }
}

/* -grad f (grad = 0) or grad f (grad = 1, as 0 + 2 s: mf_grad's memset and += below) on rows, at
 * m, n, p <= 8 (the gradient flow's kernel, below) */
static void mf_gf_rhs_rows(const mfact *q, const double *y, double *dy, int grad);

static void mf_grad(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const mfact *q = L->params;
    size_t D = L->dim, nu = q->m * q->p;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D; k++)
                g[k * ldg + i] = NAN;
            continue;
        }
        double *x = w, *R = w + D, *out = R + q->m * q->n;
        lane_get(z, ld, D, i, x);
        if (MF_ROWS_OK(q->m, q->n, q->p)) {
            mf_gf_rhs_rows(q, x, out, 1);
            lane_put(g, ldg, D, i, out);
            continue;
        }
        resid(q, x, x + nu, R);
        memset(out, 0, sizeof(double) * D);
        mulRV(q, 2.0, R, x + nu, out);
        mulRtU(q, 2.0, R, x, out + nu);
        lane_put(g, ldg, D, i, out);
    }
}

/* H v at one point, x = (U, V), v = (dU, dV); w has room for R, dR */
/* mf_point_hvp's four products on rows, out's rows kept in registers between them: dU's row a is
 * (0 + 2 (dR V)_a) + 2 (R dV)_a, dV's row b (0 + 2 (dR^T U)_b) + 2 (R^T dU)_b, each sum in the
 * order mulRV and mulRtU take */
MF_INLINE void rows_hvp_out(size_t m, size_t n, size_t p, const double *x, const double *v,
                            const double *R, const double *dR, double *out) {
    mf_row Ur[MF_ROWMAX], Vr[MF_ROWMAX], dUr[MF_ROWMAX], dVr[MF_ROWMAX];
    for (size_t a = 0; a < m; a++)
        Ur[a] = row_load(x + a * p, p), dUr[a] = row_load(v + a * p, p);
    for (size_t b = 0; b < n; b++)
        Vr[b] = row_load(x + (m + b) * p, p), dVr[b] = row_load(v + (m + b) * p, p);
    for (size_t a = 0; a < m; a++) {
        mf_row s = row_zero(), t = row_zero();
        for (size_t b = 0; b < n; b++)
            s = row_madd(s, dR[a * n + b], Vr[b]);
        for (size_t b = 0; b < n; b++)
            t = row_madd(t, R[a * n + b], dVr[b]);
        row_store(out + a * p, p,
                  row_add(row_add(row_zero(), row_scale(2.0, s)), row_scale(2.0, t)));
    }
    for (size_t b = 0; b < n; b++) {
        mf_row s = row_zero(), t = row_zero();
        for (size_t a = 0; a < m; a++)
            s = row_madd(s, dR[a * n + b], Ur[a]);
        for (size_t a = 0; a < m; a++)
            t = row_madd(t, R[a * n + b], dUr[a]);
        row_store(out + (m + b) * p, p,
                  row_add(row_add(row_zero(), row_scale(2.0, s)), row_scale(2.0, t)));
    }
}

static void mf_point_hvp(const mfact *q, const double *x, const double *v, double *out, double *R,
                         double *dR, int have_R) {
    size_t m = q->m, n = q->n, p = q->p, nu = m * p;
    const double *U = x, *V = x + nu, *dU = v, *dV = v + nu;
    if (!have_R) resid(q, U, V, R); /* the dense Hessian's columns share it */
    if (MF_ROWS_555(m, n, p)) {
        rows_J(5, 5, 5, U, V, dU, dV, dR);
        rows_hvp_out(5, 5, 5, x, v, R, dR, out);
        return;
    }
    if (MF_ROWS_OK(m, n, p)) {
        rows_J(m, n, p, U, V, dU, dV, dR);
        rows_hvp_out(m, n, p, x, v, R, dR, out);
        return;
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += dU[a * p + k] * V[b * p + k] + U[a * p + k] * dV[b * p + k];
            dR[a * n + b] = s;
        }
    memset(out, 0, sizeof(double) * (nu + n * p));
    mulRV(q, 2.0, dR, V, out);
    mulRV(q, 2.0, R, dV, out);
    mulRtU(q, 2.0, dR, U, out + nu);
    mulRtU(q, 2.0, R, dU, out + nu);
}

static void mf_hvp(const mf_landscape *L, size_t mm, const double *z, size_t ld, const double *v,
                   size_t ldv, double *out, size_t ldo) {
    const mfact *q = L->params;
    size_t D = L->dim;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D; k++)
                out[k * ldo + i] = NAN;
            continue;
        }
        double *x = w, *u = x + D, *R = u + D, *dR = R + q->m * q->n, *o = dR + q->m * q->n;
        lane_get(z, ld, D, i, x);
        lane_get(v, ldv, D, i, u);
        mf_point_hvp(q, x, u, o, R, dR, 0);
        lane_put(out, ldo, D, i, o);
    }
}

/* dense: column l is H e_l */
static void mf_hess(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *h,
                    size_t ldh) {
    const mfact *q = L->params;
    size_t D = L->dim;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D * D; k++)
                h[k * ldh + i] = NAN;
            continue;
        }
        double *x = w, *u = x + D, *R = u + D, *dR = R + q->m * q->n, *o = dR + q->m * q->n;
        lane_get(z, ld, D, i, x);
        for (size_t l = 0; l < D; l++) {
            memset(u, 0, sizeof(double) * D);
            u[l] = 1.0;
            mf_point_hvp(q, x, u, o, R, dR, l > 0);
            for (size_t k = 0; k < D; k++)
                h[(k * D + l) * ldh + i] = o[k];
        }
    }
}

static void mf_trace(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *tr) {
    const mfact *q = L->params;
    size_t nu = q->m * q->p, nv = q->n * q->p;
    for (size_t i = 0; i < mm; i++) { /* 2 (m |V|^2 + n |U|^2) */
        double su = 0.0, sv = 0.0;
        for (size_t k = 0; k < nu; k++)
            su += z[k * ld + i] * z[k * ld + i];
        for (size_t k = 0; k < nv; k++)
            sv += z[(nu + k) * ld + i] * z[(nu + k) * ld + i];
        tr[i] = 2.0 * ((double)q->m * sv + (double)q->n * su);
    }
}

static void mf_residuals(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *r,
                         size_t ldr) {
    const mfact *q = L->params;
    size_t D = L->dim, nu = q->m * q->p;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        double *x = w, *R = w + D;
        if (!w) {
            for (size_t k = 0; k < q->m * q->n; k++)
                r[k * ldr + i] = NAN;
            continue;
        }
        lane_get(z, ld, D, i, x);
        resid(q, x, x + nu, R);
        lane_put(r, ldr, q->m * q->n, i, R);
    }
}

/* J^T xi = (Xi V, Xi^T U) with Xi = reshape(xi) (m x n) */
static void mf_residual_jt_sub(const mf_landscape *L, size_t mm, const double *z, size_t ld,
                               double s, const double *xi, size_t ldxi, double *g, size_t ldg) {
    const mfact *q = L->params;
    size_t D = L->dim, nu = q->m * q->p;
    double *w = mf_work(q);
    for (size_t i = 0; i < mm; i++) {
        if (!w) {
            for (size_t k = 0; k < D; k++)
                g[k * ldg + i] = NAN;
            continue;
        }
        double *x = w, *X = w + D, *out = X + q->m * q->n;
        lane_get(z, ld, D, i, x);
        lane_get(xi, ldxi, q->m * q->n, i, X);
        memset(out, 0, sizeof(double) * D);
        mulRV(q, 1.0, X, x + nu, out);
        mulRtU(q, 1.0, X, x, out + nu);
        for (size_t k = 0; k < D; k++)
            g[k * ldg + i] -= s * out[k];
    }
}

static void mf_residual_jacobian(const mf_landscape *L, const double *z, double *J) {
    const mfact *q = L->params;
    size_t m = q->m, n = q->n, p = q->p, D = L->dim, nu = m * p;
    memset(J, 0, sizeof(double) * m * n * D);
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++)
            for (size_t k = 0; k < p; k++) {
                J[(a * n + b) * D + a * p + k] = z[nu + b * p + k]; /* dR_ab/dU_ak = V_bk */
                J[(a * n + b) * D + nu + b * p + k] = z[a * p + k]; /* dR_ab/dV_bk = U_ak */
            }
}

/* ---- the gradient-flow limit Phi ------------------------------------------------------------
 * Phi(z) = lim z(t), dz/dt = -grad f, as the generic projection defines it, in three stages:
 * 1. Dormand-Prince 5(4) (ode.c, rtol 1e-10, atol 1e-2 rtol max(1, |z|)) on the flow with a direct
 *    gradient kernel, until |grad f| <= MF_MF_TAIL_SWITCH max(1, |z|) (1e-3), where the fast
 *    normal modes have decayed and DP45's step would from then on be held by stability;
 * 1b. the exponential tail (mf_tail_limit below) down to |grad f| <= finish max(1, |z|)
 *    (1e-7: the finish's O(dist^2) error is then ~1e-13; mf_mf_tol below); where it declines (z not
 * yet close to M), DP45 goes on to 10 times smaller gradients, to 1e-7 at the end;
 * 2. Gauss-Newton onto {U V^T = M} with the minimum-norm step dz = -J^+ R. Near M the flow
 *    relaxes along the normal space range(J^T) = range(H_f) and its tangential drift is of
 *    second order in the distance, so the minimum-norm step lands on Phi(z) up to O(dist^2)
 *    (dist <= |grad f| / lambda_min). J J^T X = U U^T X + X V V^T is a Sylvester
 *    operator: with U U^T = P diag(a) P^T and V V^T = Q diag(b) Q^T (two small eigenproblems)
 *    X = P [(P^T R Q)_ij / (a_i + b_j)] Q^T, and dU = -X V, dV = -X^T U.
 * The generic projection's last stage, gradient descent at step 0.9/lambda_max, needs
 * ~lambda_max/lambda_min steps per e-fold; Gauss-Newton converges quadratically in 2-3 steps.
 * The flow conserves U^T U - V^T V (p(p+1)/2 numbers), but not the p(p-1)/2 directions of the
 * rotation (U, V) -> (U Q, V Q) within M, so the invariant alone does not fix Phi(z) for p > 1:
 * the path has to be integrated. If Gauss-Newton does not converge (rank-deficient factors) the
 * generic projection is used. */
/* Two accuracies (mf_mf_tol): the projection itself (mf_project: L:project, the recorded Pz, the
 * manifold flows) is the flow's limit to ~1e-11; the noise hooks evaluate H_f at Pz computed
 * to ~1e-8 (rtol 1e-8, Gauss-Newton from 1e-6: within 3e-10 of the limit on the examples'
 * iterates 0.24 from M, 1e-8 relative on far points), which changes the noise by a relative
 * ~1e-9, a million times below any run's statistical resolution, for 0.6 times the work. */
typedef struct mf_mf_tol {
    double rtol;   /* DP45's rtol; 1e-9 is off by up to 5e-10 on far points (test_mf_project.c) */
    double finish; /* DP45 and the tail stop at |grad f| <= finish max(1, |z|): Gauss-Newton on */
} mf_mf_tol;
static const mf_mf_tol mf_mf_exact = {1e-10, 1e-7}, mf_mf_noise = {1e-8, 1e-6};
/* The exponential tail (below) takes over from DP45 at |grad f| <= MF_MF_TAIL_SWITCH max(1, |z|)
 * if z is within MF_MF_TAIL_DIST max(1, |z|) of M there, and stops at the tolerance's finish,
 * where Gauss-Newton finishes. Measured on the examples' iterates and on the test's points (errors
 * against the flow to rtol 1e-13): handing over at 1e-2 or 3e-3 leaves 1e-10 to 5e-10, so does
 * a first step of 0.2 / lambda_min (MF_MF_TAIL_THETA) or stopping at 1e-6. */
#define MF_MF_TAIL_SWITCH 1e-3
#define MF_MF_TAIL_DIST   1e-3
#define MF_MF_TAIL_THETA  0.05
#define MF_MF_TAIL_HMAX   3.0 /* the largest step, h lambda_min */
#define MF_MF_TAIL_STEPS  400
/* step control: the step's error is taken as K (h lambda_min)^4 |tangent increment| (K
 * calibrated on the runs above) and held near TOL times the stopping gradient */
#define MF_MF_TAIL_K   1e-2
#define MF_MF_TAIL_TOL 1e-7

typedef struct mf_gf {
    const mfact *q;
    double *R;
} mf_gf;

/* the right-hand side below at m, n, p <= 8 on rows: R's rows over b (R_ab = sum_k U_ak V_bk,
 * k ascending, then - M_ab), dU's and dV's rows over k (sum_b R_ab V_bk and sum_a R_ab U_ak, b and
 * a ascending, then times -2): the scalar loops' sums in their order */
MF_INLINE void gf_rows(const mfact *q, const double *y, double *dy, size_t m, size_t n, size_t p,
                       int grad) {
    const double *U = y, *V = y + m * p;
    double R[MF_ROWMAX * MF_ROWMAX];
    mf_row Vr[MF_ROWMAX], Ur[MF_ROWMAX], Vt[MF_ROWMAX];
    for (size_t b = 0; b < n; b++)
        Vr[b] = row_load(V + b * p, p);
    for (size_t a = 0; a < m; a++)
        Ur[a] = row_load(U + a * p, p);
    rows_transpose(Vr, n, Vt); /* Vt[k]: column k of V */
    for (size_t a = 0; a < m; a++) {
        mf_row s = row_zero();
        for (size_t k = 0; k < p; k++)
            s = row_madd(s, U[a * p + k], Vt[k]);
        row_put(R + a * MF_ROWMAX, row_sub(s, row_load(q->M + a * n, n)));
    }
    for (size_t a = 0; a < m; a++) {
        mf_row s = row_zero();
        for (size_t b = 0; b < n; b++)
            s = row_madd(s, R[a * MF_ROWMAX + b], Vr[b]);
        row_store(dy + a * p, p,
                  grad ? row_add(row_zero(), row_scale(2.0, s)) : row_scale(-2.0, s));
    }
    for (size_t b = 0; b < n; b++) {
        mf_row s = row_zero();
        for (size_t a = 0; a < m; a++)
            s = row_madd(s, R[a * MF_ROWMAX + b], Ur[a]);
        row_store(dy + (m + b) * p, p,
                  grad ? row_add(row_zero(), row_scale(2.0, s)) : row_scale(-2.0, s));
    }
}
static void mf_gf_rhs_rows(const mfact *q, const double *y, double *dy, int grad) {
    if (q->m == 5 && q->n == 5 && q->p == 5)
        gf_rows(q, y, dy, 5, 5, 5, grad);
    else
        gf_rows(q, y, dy, q->m, q->n, q->p, grad);
}

/* dz/dt = -grad f = -2 (R V, R^T U) */
static int mf_gf_rhs(void *ctx, double t, const double *y, double *dy, mf_err *err) {
    (void)t, (void)err;
    const mf_gf *g = ctx;
    const mfact *q = g->q;
    const size_t m = q->m, n = q->n, p = q->p;
    if (m <= MF_ROWMAX && n <= MF_ROWMAX && p <= MF_ROWMAX) {
        mf_gf_rhs_rows(q, y, dy, 0);
        return MF_OK;
    }
    const double *U = y, *V = y + m * p;
    double *R = g->R, *dU = dy, *dV = dy + m * p;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += U[a * p + k] * V[b * p + k];
            R[a * n + b] = s - q->M[a * n + b];
        }
    for (size_t a = 0; a < m; a++)
        for (size_t k = 0; k < p; k++) {
            double s = 0.0;
            for (size_t b = 0; b < n; b++)
                s += R[a * n + b] * V[b * p + k];
            dU[a * p + k] = -2.0 * s;
        }
    for (size_t b = 0; b < n; b++)
        for (size_t k = 0; k < p; k++) {
            double s = 0.0;
            for (size_t a = 0; a < m; a++)
                s += R[a * n + b] * U[a * p + k];
            dV[b * p + k] = -2.0 * s;
        }
    return MF_OK;
}

typedef struct mf_gf_stop {
    mf_gf g;
    size_t d;
    double gswitch;
} mf_gf_stop;

static int mf_gf_done(void *ctx, double t, const double *y, const double *dydt) {
    (void)t, (void)y;
    const mf_gf_stop *s = ctx;
    double g2 = 0.0;
    for (size_t a = 0; a < s->d; a++)
        g2 += dydt[a] * dydt[a];
    return sqrt(g2) <= s->gswitch;
}

/* C = A B^T (A r x k, B c x k, row-major) */
static void mul_abt(size_t r, size_t c, size_t k, const double *A, const double *B, double *C) {
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++) {
            double s = 0.0;
            for (size_t l = 0; l < k; l++)
                s += A[i * k + l] * B[j * k + l];
            C[i * c + j] = s;
        }
}

/* Eigen-decomposition of a small symmetric k x k matrix A in place, as LAPACKE_dsyev(COL_MAJOR,
 * 'V') returns it: ascending eigenvalues in w, eigenvector i in A[i k .. i k + k - 1]. For k <= 16
 * by cyclic Jacobi (Golub & Van Loan, Matrix Computations, 4th ed., Alg. 8.5.3): LAPACK's call
 * costs 3-4 us at k = 5, ten times the arithmetic, and a run step makes ~12 of them. The basis
 * serves Gauss-Newton's step and the tail's modes, which do not depend on it beyond
 * rounding, and the noise hooks' pairs, whose signs they fix and whose degenerate cases they
 * leave to the generic hooks. 0 on success. */
/* Cyclic Jacobi as a sequence of steps (the convergence test at a sweep's start, or one
 * rotation), so that mf_small_eig2 can interleave two problems: a rotation's parameters are a
 * chain of divisions and square roots (~100 cycles) that the next rotation waits for, and two
 * independent chains side by side take the time of one. Each problem's arithmetic is exactly the
 * one-problem loop's. V is kept transposed (Vt[i k + r]: component r of vector i), so that its
 * update, like S's row update, runs over contiguous rows. */
typedef struct mf_jacobi {
    size_t k, a, b;
    int sweep, tested, done;
    double nrm;
    double S[256], Vt[256];
} mf_jacobi;

/* -1: not finite */
static int jac_init(mf_jacobi *J, size_t k, const double *A) {
    J->k = k, J->a = 0, J->b = 1, J->sweep = 0, J->tested = 0, J->done = 0;
    memcpy(J->S, A, sizeof(double) * k * k);
    for (size_t i = 0; i < k * k; i++)
        J->Vt[i] = 0.0;
    for (size_t i = 0; i < k; i++)
        J->Vt[i * k + i] = 1.0;
    double nrm = 0.0;
    for (size_t i = 0; i < k * k; i++)
        nrm += J->S[i] * J->S[i];
    J->nrm = nrm;
    return isfinite(nrm) ? 0 : -1;
}

MF_INLINE void jac_step(mf_jacobi *J) {
    if (J->done) return;
    const size_t k = J->k, a = J->a, b = J->b;
    double *S = J->S, *Vt = J->Vt;
    if (!J->tested) { /* a sweep starts: at most 30 */
        double off = 0.0;
        for (size_t i = 0; i < k; i++)
            for (size_t j = i + 1; j < k; j++)
                off += 2.0 * S[i * k + j] * S[i * k + j];
        J->tested = 1;
        if (J->sweep == 30 || off <= 1e-32 * J->nrm) J->done = 1;
        return;
    }
    const double apq = S[a * k + b];
    if (apq != 0.0) {
        /* the rotation that zeroes S_ab (Alg. 8.5.1, sym.schur2) */
        const double tau = (S[b * k + b] - S[a * k + a]) / (2.0 * apq);
        const double t = (tau >= 0.0 ? 1.0 : -1.0) / (fabs(tau) + sqrt(1.0 + tau * tau));
        const double c = 1.0 / sqrt(1.0 + t * t), sn = t * c;
        for (size_t r = 0; r < k; r++) { /* S <- S J (columns a, b) */
            const double x = S[r * k + a], y = S[r * k + b];
            S[r * k + a] = c * x - sn * y, S[r * k + b] = sn * x + c * y;
        }
        for (size_t r = 0; r < k; r++) { /* S <- J^T S (rows a, b) */
            const double x = S[a * k + r], y = S[b * k + r];
            S[a * k + r] = c * x - sn * y, S[b * k + r] = sn * x + c * y;
        }
        for (size_t r = 0; r < k; r++) { /* V <- V J (rows a, b of Vt) */
            const double x = Vt[a * k + r], y = Vt[b * k + r];
            Vt[a * k + r] = c * x - sn * y, Vt[b * k + r] = sn * x + c * y;
        }
    }
    if (++J->b == k && ++J->a == k - 1) /* the sweep's last pair: the next one starts */
        J->a = 0, J->sweep++, J->tested = 0;
    if (J->b == k) J->b = J->a + 1;
}

/* the eigenpairs, ascending, into w and A (vector i in A[i k ..]) */
static void jac_finish(const mf_jacobi *J, double *A, double *w) {
    const size_t k = J->k;
    const double *S = J->S;
    size_t order[16];
    for (size_t i = 0; i < k; i++)
        order[i] = i;
    for (size_t i = 1; i < k; i++) /* ascending, by insertion */
        for (size_t j = i; j > 0 && S[order[j] * k + order[j]] < S[order[j - 1] * k + order[j - 1]];
             j--) {
            const size_t tmp = order[j];
            order[j] = order[j - 1], order[j - 1] = tmp;
        }
    for (size_t i = 0; i < k; i++) {
        w[i] = S[order[i] * k + order[i]];
        memcpy(A + i * k, J->Vt + order[i] * k, sizeof(double) * k);
    }
}

static int mf_small_eig(size_t k, double *A, double *w) {
    if (k > 16)
        return LAPACKE_dsyev(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)k, A, (lapack_int)k, w);
    mf_jacobi J;
    if (jac_init(&J, k, A)) return -1;
    if (k < 2) J.done = 1; /* no pairs (the test would find off = 0) */
    while (!J.done)
        jac_step(&J);
    jac_finish(&J, A, w);
    return 0;
}

/* Two Jacobi problems of one size in the two lanes of a vector (U U^T and V V^T at m = n): one
 * instruction stream, one chain of divisions and square roots for both. A lane that has
 * converged, or whose S_ab is 0, keeps its values (a select, not an identity rotation, which
 * could turn -0 into +0); each lane's arithmetic is exactly mf_small_eig's. */
typedef double mf_v2 __attribute__((vector_size(16)));
typedef long long mf_m2 __attribute__((vector_size(16)));
MF_INLINE mf_v2 v2_sel(mf_m2 m, mf_v2 a, mf_v2 b) { /* m ? a : b, lane by lane */
    return (mf_v2)((m & (mf_m2)a) | (~m & (mf_m2)b));
}
MF_INLINE mf_v2 v2_sqrt(mf_v2 x) {
#if defined(__SSE2__)
    return (mf_v2)_mm_sqrt_pd((__m128d)x);
#else
    return (mf_v2){sqrt(x[0]), sqrt(x[1])};
#endif
}
MF_INLINE mf_v2 v2_fabs(mf_v2 x) {
    return (mf_v2)((mf_m2)x & (mf_m2){0x7fffffffffffffffLL, 0x7fffffffffffffffLL});
}

static void jac_pair_finish(size_t k, const mf_v2 *S, const mf_v2 *Vt, int l, double *A,
                            double *w) {
    size_t order[16];
    for (size_t i = 0; i < k; i++)
        order[i] = i;
    for (size_t i = 1; i < k; i++) /* ascending, by insertion (as jac_finish) */
        for (size_t j = i;
             j > 0 && S[order[j] * k + order[j]][l] < S[order[j - 1] * k + order[j - 1]][l]; j--) {
            const size_t tmp = order[j];
            order[j] = order[j - 1], order[j - 1] = tmp;
        }
    for (size_t i = 0; i < k; i++) {
        w[i] = S[order[i] * k + order[i]][l];
        for (size_t r = 0; r < k; r++)
            A[i * k + r] = Vt[order[i] * k + r][l];
    }
}

static int jac_pair(size_t k, double *A1, double *w1, double *A2, double *w2) {
    mf_v2 S[256], Vt[256];
    for (size_t i = 0; i < k * k; i++)
        S[i] = (mf_v2){A1[i], A2[i]}, Vt[i] = (mf_v2){0.0, 0.0};
    for (size_t i = 0; i < k; i++)
        Vt[i * k + i] = (mf_v2){1.0, 1.0};
    mf_v2 nrm = {0.0, 0.0};
    for (size_t i = 0; i < k * k; i++)
        nrm += S[i] * S[i];
    if (!isfinite(nrm[0]) || !isfinite(nrm[1])) return -1;
    mf_m2 live = {-1, -1};
    for (int sweep = 0; sweep < 30; sweep++) {
        mf_v2 off = {0.0, 0.0};
        for (size_t a = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++)
                off += 2.0 * S[a * k + b] * S[a * k + b];
        live &= ~(off <= 1e-32 * nrm); /* a lane stops at its first converged test */
        if (!live[0] && !live[1]) break;
        for (size_t a = 0; a < k; a++)
            for (size_t b = a + 1; b < k; b++) {
                const mf_v2 apq = S[a * k + b];
                const mf_m2 act = live & (apq != 0.0);
                if (!act[0] && !act[1]) continue;
                /* the rotation that zeroes S_ab (Alg. 8.5.1, sym.schur2) */
                const mf_v2 tau = (S[b * k + b] - S[a * k + a]) / (2.0 * apq);
                const mf_v2 sg = v2_sel(tau >= 0.0, (mf_v2){1.0, 1.0}, (mf_v2){-1.0, -1.0});
                const mf_v2 t = sg / (v2_fabs(tau) + v2_sqrt(1.0 + tau * tau));
                const mf_v2 c = 1.0 / v2_sqrt(1.0 + t * t), sn = t * c;
                for (size_t r = 0; r < k; r++) { /* S <- S J (columns a, b) */
                    const mf_v2 x = S[r * k + a], y = S[r * k + b];
                    S[r * k + a] = v2_sel(act, c * x - sn * y, x);
                    S[r * k + b] = v2_sel(act, sn * x + c * y, y);
                }
                for (size_t r = 0; r < k; r++) { /* S <- J^T S (rows a, b) */
                    const mf_v2 x = S[a * k + r], y = S[b * k + r];
                    S[a * k + r] = v2_sel(act, c * x - sn * y, x);
                    S[b * k + r] = v2_sel(act, sn * x + c * y, y);
                }
                for (size_t r = 0; r < k; r++) { /* V <- V J (rows a, b of Vt) */
                    const mf_v2 x = Vt[a * k + r], y = Vt[b * k + r];
                    Vt[a * k + r] = v2_sel(act, c * x - sn * y, x);
                    Vt[b * k + r] = v2_sel(act, sn * x + c * y, y);
                }
            }
    }
    jac_pair_finish(k, S, Vt, 0, A1, w1);
    jac_pair_finish(k, S, Vt, 1, A2, w2);
    return 0;
}

/* mf_small_eig(k1, A1, w1) || mf_small_eig(k2, A2, w2), the two side by side; on failure A2 may
 * have been overwritten too */
static int mf_small_eig2(size_t k1, double *A1, double *w1, size_t k2, double *A2, double *w2) {
    if (k1 > 16 || k2 > 16 || k1 < 2 || k2 < 2)
        return mf_small_eig(k1, A1, w1) || mf_small_eig(k2, A2, w2);
    if (k1 == k2) return jac_pair(k1, A1, w1, A2, w2);
    mf_jacobi J1, J2;
    if (jac_init(&J1, k1, A1) || jac_init(&J2, k2, A2)) return -1;
    while (!J1.done || !J2.done) {
        jac_step(&J1);
        jac_step(&J2);
    }
    jac_finish(&J1, A1, w1);
    jac_finish(&J2, A2, w2);
    return 0;
}

/* Gauss-Newton onto U V^T = M in place; 0 when |R|_F reached rounding level. w: room for
 * 4 m n + 3 (m + n)^2 + (m + n) p doubles. */
static int mf_gauss_newton(const mfact *q, double *x, double *w) {
    const size_t m = q->m, n = q->n, p = q->p;
    double *U = x, *V = x + m * p;
    double *R = w, *T = R + m * n, *X = T + m * n, *Y = X + m * n, *A = Y + m * n, *B = A + m * m;
    double *a = B + n * n, *b = a + m, *dx = b + n;
    double mn = 0.0;
    for (size_t i = 0; i < m * n; i++)
        mn += q->M[i] * q->M[i];
    const double rtarget = 64 * 2.220446049250313e-16 * fmax(sqrt(mn), 1e-300);
    double rprev = INFINITY;
    for (int it = 0; it < 8; it++) {
        mul_abt(m, n, p, U, V, R);
        double r2 = 0.0;
        for (size_t i = 0; i < m * n; i++)
            R[i] -= q->M[i], r2 += R[i] * R[i];
        double rn = sqrt(r2);
        if (!isfinite(rn) || rn >= rprev) return rn <= rtarget ? 0 : -1;
        if (rn <= rtarget) return 0;
        rprev = rn;
        mul_abt(m, m, p, U, U, A); /* U U^T = P diag(a) P^T (P in A's rows after dsyev) */
        mul_abt(n, n, p, V, V, B);
        if (mf_small_eig2(m, A, a, n, B, b)) return -1;
        /* column-major eigenvectors: A[i*m + r] is component r of vector i (P_ri) */
        double amax = fmax(fabs(a[m - 1]), fabs(b[n - 1]));
        double *dU = dx, *dV = dx + m * p; /* dU = X V, dV = X^T U, both at the old point */
        if (MF_ROWS_OK(m, n, p)) {         /* the loops below, on rows */
            if (m == 5 && n == 5)
                rows_rot(5, 5, A, B, R, T, 0); /* T = P^T R Q */
            else
                rows_rot(m, n, A, B, R, T, 0);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    double den = a[i] + b[j];
                    Y[i * n + j] = den > 1e-13 * amax ? T[i * n + j] / den : 0.0;
                }
            if (MF_ROWS_555(m, n, p)) {
                rows_rot(5, 5, A, B, Y, X, 1); /* X = P Y Q^T */
                rows_mulRV(5, 5, 5, 1.0, X, V, dU, 0);
                rows_mulRtU(5, 5, 5, 1.0, X, U, dV, 0);
            } else {
                rows_rot(m, n, A, B, Y, X, 1);
                rows_mulRV(m, n, p, 1.0, X, V, dU, 0);
                rows_mulRtU(m, n, p, 1.0, X, U, dV, 0);
            }
            for (size_t i = 0; i < (m + n) * p; i++)
                x[i] -= dx[i];
            continue;
        }
        for (size_t i = 0; i < m; i++) /* T = P^T R (m x n) */
            for (size_t j = 0; j < n; j++) {
                double s = 0.0;
                for (size_t r = 0; r < m; r++)
                    s += A[i * m + r] * R[r * n + j];
                T[i * n + j] = s;
            }
        for (size_t i = 0; i < m; i++) /* Y = (T Q) ./ (a_i + b_j) */
            for (size_t j = 0; j < n; j++) {
                double s = 0.0;
                for (size_t c = 0; c < n; c++)
                    s += T[i * n + c] * B[j * n + c];
                double den = a[i] + b[j];
                Y[i * n + j] = den > 1e-13 * amax ? s / den : 0.0;
            }
        for (size_t r = 0; r < m; r++) /* T = P Y */
            for (size_t j = 0; j < n; j++) {
                double s = 0.0;
                for (size_t i = 0; i < m; i++)
                    s += A[i * m + r] * Y[i * n + j];
                T[r * n + j] = s;
            }
        for (size_t r = 0; r < m; r++) /* X = T Q^T */
            for (size_t c = 0; c < n; c++) {
                double s = 0.0;
                for (size_t j = 0; j < n; j++)
                    s += T[r * n + j] * B[j * n + c];
                X[r * n + c] = s;
            }
        for (size_t r = 0; r < m; r++)
            for (size_t k = 0; k < p; k++) {
                double s = 0.0;
                for (size_t c = 0; c < n; c++)
                    s += X[r * n + c] * V[c * p + k];
                dU[r * p + k] = s;
            }
        for (size_t c = 0; c < n; c++)
            for (size_t k = 0; k < p; k++) {
                double s = 0.0;
                for (size_t r = 0; r < m; r++)
                    s += X[r * n + c] * U[r * p + k];
                dV[c * p + k] = s;
            }
        for (size_t i = 0; i < (m + n) * p; i++)
            x[i] -= dx[i];
    }
    return -1;
}

/* ---- the tail: an exponential integrator with the linear part H_f at a point of M ----------
 * Once the fast normal modes have decayed, DP45's step is held by stability (h lambda_max <=
 * 3.3) while the slowest mode still needs ~10 e-folds: ~300 of its ~520 steps. There the flow
 * is nearly linear about zeta_h = GN(z_h) (a point of M at distance O(dist)), and H_f(zeta_h)
 * has its normal eigenpairs in closed form (as the noise hooks below): with
 * U U^T = P diag(a) P^T, V V^T = Q diag(b) Q^T at zeta_h, the normal eigenvectors are
 * w_ij = J^T (p_i q_j^T) / s_ij, s_ij = sqrt(a_i + b_j), eigenvalues lambda_ij = 2 s_ij^2, and the
 * tangent space is null(J). In the coordinates u = z - zeta_h = sum_ij c_ij w_ij + t (t in null J)
 *     dc/dt = -lambda c + N_c(u),   dt/dt = N_t(u),   N = -grad f(zeta_h + u) + H_f u = O(|u|^2),
 * and ETDRK4 (Cox & Matthews, J. Comput. Phys. 176 (2002) 430, eq. (26)-(29)) treats the linear
 * part exactly, so its step is held by the variation of the small N alone (rates ~2 lambda_min),
 * not by lambda_max. The tangent coordinates get classical RK4 on the tangent drift N_t, whose
 * integral is the O(dist^2) difference between the flow limit and GN(z_h). */
typedef struct mf_tail {
    const mfact *q;
    double *zh;      /* zeta_h (D) */
    double *P, *Q;   /* eigenvectors of U U^T, V V^T at zeta_h, column-major */
    double *s, *lam; /* s_ij and lambda_ij (m x n); s = 0: not a normal mode */
    double *E, *E2, *Qc, *Qb, *P1, *P2, *f1, *f2, *f3; /* ETDRK4 coefficients per mode */
    double *Y, *T;                                     /* m x n scratch */
    double *v;                                         /* D scratch */
} mf_tail;

static size_t mf_tail_worksize(const mfact *q) { /* mf_tail's arrays, then the stages */
    const size_t m = q->m, n = q->n, D = (m + n) * q->p;
    return 2 * D + m * m + n * n + 13 * m * n + m + n + 7 * D + 9 * m * n;
}

/* phi_1, phi_2, phi_3 at z <= 0, phi_k(z) = sum_j z^j / (j + k)!: phi_3 by its series (Horner)
 * where the closed form loses digits to cancellation, then phi_k = 1/k! + z phi_(k+1) */
static void mf_phi123(double z, double *p1, double *p2, double *p3) {
    if (fabs(z) < 0.5) { /* 14 terms: the next is below 0.5^14 / 17! = 2e-19 */
        double f = 1.0;
        for (int i = 2; i <= 16; i++)
            f *= (double)i;
        f = 1.0 / f; /* 1/16! */
        double s = f;
        for (int i = 15; i >= 3; i--) { /* s = sum_{k >= i} z^(k - i) / k! */
            f *= (double)(i + 1);
            s = s * z + f;
        }
        *p3 = s, *p2 = 0.5 + z * s, *p1 = 1.0 + z * (*p2);
        return;
    }
    const double e = exp(z);
    *p1 = (e - 1.0) / z;
    *p2 = (e - 1.0 - z) / (z * z);
    *p3 = (e - 1.0 - z - 0.5 * z * z) / (z * z * z);
}

/* Y = J v = dU V^T + U dV^T at zeta_h (m x n) */
static void mf_tail_J(const mf_tail *tl, const double *v, double *Y) {
    const size_t m = tl->q->m, n = tl->q->n, p = tl->q->p;
    const double *U = tl->zh, *V = tl->zh + m * p, *dU = v, *dV = v + m * p;
    if (MF_ROWS_555(m, n, p)) {
        rows_J(5, 5, 5, U, V, dU, dV, Y);
        return;
    }
    if (MF_ROWS_OK(m, n, p)) {
        rows_J(m, n, p, U, V, dU, dV, Y);
        return;
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < n; b++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += dU[a * p + k] * V[b * p + k] + U[a * p + k] * dV[b * p + k];
            Y[a * n + b] = s;
        }
}

/* out += c J^T X = c (X V, X^T U) at zeta_h */
static void mf_tail_Jt(const mf_tail *tl, double c, const double *X, double *out) {
    const size_t m = tl->q->m, p = tl->q->p;
    mulRV(tl->q, c, X, tl->zh + m * p, out);
    mulRtU(tl->q, c, X, tl->zh, out + m * p);
}

/* T = P^T Y Q (transpose = 0) or P Y Q^T (transpose = 1); P, Q column-major eigenvectors */
static void mf_tail_rot(const mf_tail *tl, const double *Y, double *T, double *tmp, int back) {
    const size_t m = tl->q->m, n = tl->q->n;
    const double *P = tl->P, *Q = tl->Q;
    if (m == 5 && n == 5) {
        rows_rot(5, 5, P, Q, Y, T, back);
        return;
    }
    if (m <= MF_ROWMAX && n <= MF_ROWMAX) {
        rows_rot(m, n, P, Q, Y, T, back);
        return;
    }
    for (size_t i = 0; i < m; i++) /* tmp = P^T Y or P Y */
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t r = 0; r < m; r++)
                s += (back ? P[r * m + i] : P[i * m + r]) * Y[r * n + j];
            tmp[i * n + j] = s;
        }
    for (size_t i = 0; i < m; i++) /* T = tmp Q or tmp Q^T */
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t c = 0; c < n; c++)
                s += tmp[i * n + c] * (back ? Q[c * n + j] : Q[j * n + c]);
            T[i * n + j] = s;
        }
}

/* c = W^T v: the normal coordinates c_ij = (P^T (J v) Q)_ij / s_ij of v (D) */
static void mf_tail_Wt(const mf_tail *tl, const double *v, double *c) {
    const size_t mn = tl->q->m * tl->q->n;
    mf_tail_J(tl, v, tl->Y);
    mf_tail_rot(tl, tl->Y, c, tl->T, 0);
    for (size_t k = 0; k < mn; k++)
        c[k] = tl->s[k] > 0.0 ? c[k] / tl->s[k] : 0.0;
}

/* v += W c = sum c_ij w_ij = J^T (P [c_ij / s_ij] Q^T) */
static void mf_tail_Wadd(const mf_tail *tl, const double *c, double *v) {
    const size_t mn = tl->q->m * tl->q->n;
    for (size_t k = 0; k < mn; k++)
        tl->Y[k] = tl->s[k] > 0.0 ? c[k] / tl->s[k] : 0.0;
    mf_tail_rot(tl, tl->Y, tl->Y, tl->T, 1);
    mf_tail_Jt(tl, 1.0, tl->Y, v);
}

/* at the stage point y (c = W^T y): G = -grad f(zeta_h + y), gh = W^T G, and the remainder's
 * normal coordinates Nc = gh + lambda c (its tangent part is G's) */
static void mf_tail_stage(const mf_tail *tl, const double *y, const double *c, double *G,
                          double *gh, double *Nc) {
    const size_t mn = tl->q->m * tl->q->n, D = (tl->q->m + tl->q->n) * tl->q->p;
    mf_gf g = {.q = tl->q, .R = tl->T};
    for (size_t k = 0; k < D; k++)
        tl->v[k] = tl->zh[k] + y[k];
    mf_gf_rhs(&g, 0.0, tl->v, G, NULL);
    mf_tail_Wt(tl, G, gh);
    for (size_t k = 0; k < mn; k++)
        Nc[k] = gh[k] + tl->lam[k] * c[k];
}

/* Integrates the flow from x (already near M: the fast modes have decayed) to its limit and
 * lands on M by Gauss-Newton; x in place. 0 on success, -1: not done, x is unchanged; -2: the
 * final Gauss-Newton failed */
static int mf_tail_limit(const mfact *q, double *x, double gtol, double dmax, double *w,
                         double *gnw) {
    const size_t m = q->m, n = q->n, p = q->p, D = (m + n) * p, mn = m * n;
    mf_tail tl = {.q = q};
    double *o = w;
    tl.zh = o, o += D, tl.P = o, o += m * m, tl.Q = o, o += n * n, tl.s = o, o += mn;
    tl.lam = o, o += mn, tl.E = o, o += mn, tl.E2 = o, o += mn, tl.Qc = o, o += mn;
    tl.Qb = o, o += mn, tl.P1 = o, o += mn, tl.P2 = o, o += mn, tl.f1 = o, o += mn, tl.f2 = o,
    o += mn, tl.f3 = o, o += mn, tl.Y = o, o += mn;
    tl.T = o, o += mn, tl.v = o, o += D;
    double *a = o, *b = a + m; /* o + m + n: the end of mf_tail_worksize */
    memcpy(tl.zh, x, sizeof(double) * D);
    if (mf_gauss_newton(q, tl.zh, gnw)) return -1;
    double d2 = 0.0; /* the distance to M: the tail needs the flow near-linear */
    for (size_t k = 0; k < D; k++)
        d2 += (x[k] - tl.zh[k]) * (x[k] - tl.zh[k]);
    if (!(sqrt(d2) <= dmax)) return -1;
    const double *U = tl.zh, *V = tl.zh + m * p;
    mul_abt(m, m, p, U, U, tl.P);
    mul_abt(n, n, p, V, V, tl.Q);
    if (mf_small_eig2(m, tl.P, a, n, tl.Q, b)) return -1;
    const double amax = fmax(fabs(a[m - 1]), fabs(b[n - 1]));
    double lmin = INFINITY;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            const double s2 = a[i] + b[j];
            const int normal = s2 > 1e-13 * amax; /* as mf_gauss_newton's cut */
            tl.s[i * n + j] = normal ? sqrt(s2) : 0.0;
            tl.lam[i * n + j] = normal ? 2.0 * s2 : 0.0;
            if (normal) lmin = fmin(lmin, 2.0 * s2);
        }
    if (!(lmin > 1e-6 * 2.0 * amax)) return -1; /* too stiff a normal mode: leave it to DP45 */
    double h = MF_MF_TAIL_THETA / lmin, hc = 0.0;
    /* The state is y = z - zeta_h (D) with its normal coordinates c = W^T y. Each stage point
     * is the tangent scheme's (RK4's) combination y + sum_k alpha_k G_k in full space, moved
     * along the normal modes to the ETDRK4 coordinates: + W (c_stage - (c + sum alpha_k gh_k)),
     * so a stage costs a gradient and two transforms (W^T G and W of the correction). */
    double *y = o + m + n, *ya = y + D, *yb = ya + D, *G0 = yb + D, *Ga = G0 + D, *Gb = Ga + D,
           *Gc = Gb + D, *c = Gc + D, *ca = c + mn, *cb = ca + mn, *g0 = cb + mn, *ga = g0 + mn,
           *gb = ga + mn, *gc = gb + mn, *N0 = gc + mn, *Na = N0 + mn, *Nb = Na + mn, *Nc = Nb + mn,
           *dc = Nc + mn;
    for (size_t k = 0; k < D; k++)
        y[k] = x[k] - tl.zh[k];
    mf_tail_Wt(&tl, y, c);
    for (int step = 0; step < MF_MF_TAIL_STEPS; step++) {
        double gn = 0.0;
        for (size_t k = 0; k < mn; k++)
            gn += tl.lam[k] * tl.lam[k] * c[k] * c[k];
        if (sqrt(gn) <= gtol) { /* |grad| ~ |H c| <= gtol: Gauss-Newton finishes it */
            for (size_t k = 0; k < D; k++)
                x[k] = tl.zh[k] + y[k];
            return mf_gauss_newton(q, x, gnw) ? -2 : 0;
        }
        if (h != hc) {
            hc = h;
            for (size_t k = 0; k < mn; k++) { /* Krogstad's coefficients; lambda = 0: RK4 */
                const double z = -h * tl.lam[k];
                double p1, p2, p3, q1, q2, q3;
                mf_phi123(z, &p1, &p2, &p3);
                mf_phi123(0.5 * z, &q1, &q2, &q3);
                tl.E[k] = exp(z), tl.E2[k] = exp(0.5 * z), tl.Qc[k] = 0.5 * h * q1;
                tl.Qb[k] = h * q2, tl.P1[k] = h * p1, tl.P2[k] = 2.0 * h * p2;
                tl.f1[k] = h * (p1 - 3.0 * p2 + 4.0 * p3);
                tl.f2[k] = h * (p2 - 2.0 * p3);
                tl.f3[k] = h * (-p2 + 4.0 * p3);
            }
        }
        const double th = 0.5 * h, t1 = h / 6.0, t2 = h / 3.0; /* RK4's weights (lambda = 0) */
        mf_tail_stage(&tl, y, c, G0, g0, N0);
        /* a = E2 u + (h/2) phi1(z/2) N(u) */
        for (size_t k = 0; k < mn; k++)
            ca[k] = tl.E2[k] * c[k] + tl.Qc[k] * N0[k], dc[k] = ca[k] - (c[k] + th * g0[k]);
        for (size_t k = 0; k < D; k++)
            ya[k] = y[k] + th * G0[k];
        mf_tail_Wadd(&tl, dc, ya);
        mf_tail_stage(&tl, ya, ca, Ga, ga, Na);
        /* b = a + h phi2(z/2) (N(a) - N(u)) */
        for (size_t k = 0; k < mn; k++)
            cb[k] = ca[k] + tl.Qb[k] * (Na[k] - N0[k]), dc[k] = cb[k] - (c[k] + th * ga[k]);
        for (size_t k = 0; k < D; k++)
            yb[k] = y[k] + th * Ga[k];
        mf_tail_Wadd(&tl, dc, yb);
        mf_tail_stage(&tl, yb, cb, Gb, gb, Nb);
        /* c = E u + h phi1 N(u) + 2 h phi2 (N(b) - N(u)) (into ya, ca) */
        for (size_t k = 0; k < mn; k++)
            ca[k] = tl.E[k] * c[k] + tl.P1[k] * N0[k] + tl.P2[k] * (Nb[k] - N0[k]),
            dc[k] = ca[k] - (c[k] + h * gb[k]);
        for (size_t k = 0; k < D; k++)
            ya[k] = y[k] + h * Gb[k];
        mf_tail_Wadd(&tl, dc, ya);
        mf_tail_stage(&tl, ya, ca, Gc, gc, Nc);
        /* u+ = E u + h (phi1 - 3 phi2 + 4 phi3) N(u) + h (2 phi2 - 4 phi3) (N(a) + N(b))
         *      + h (4 phi3 - phi2) N(c) */
        double inc2 = 0.0, ninc2 = 0.0; /* |increment|^2 in full space and along the normals */
        for (size_t k = 0; k < mn; k++) {
            const double cn = tl.E[k] * c[k] + tl.f1[k] * N0[k] + 2.0 * tl.f2[k] * (Na[k] + Nb[k]) +
                              tl.f3[k] * Nc[k];
            const double lin = t1 * (g0[k] + gc[k]) + t2 * (ga[k] + gb[k]);
            dc[k] = cn - (c[k] + lin), c[k] = cn, ninc2 += lin * lin;
        }
        for (size_t k = 0; k < D; k++) {
            const double d = t1 * (G0[k] + Gc[k]) + t2 * (Ga[k] + Gb[k]);
            y[k] += d, inc2 += d * d;
        }
        mf_tail_Wadd(&tl, dc, y);
        /* the step's error is ~ K (h lambda_min)^4 |tangent increment| */
        const double dt = sqrt(fmax(inc2 - ninc2, 0.0));
        const double est = MF_MF_TAIL_K * pow(h * lmin, 4) * dt, tol = MF_MF_TAIL_TOL * gtol;
        double f = est > 0.0 ? pow(tol / est, 0.2) : 2.0;
        f = fmin(2.0, fmax(0.5, 0.9 * f));
        h = fmin(h * f, MF_MF_TAIL_HMAX / lmin);
    }
    return -1;
}

/* Phi(x) in place to the accuracy tol; 0 on success */
static int mf_flow_limit(const mfact *q, double *x, double *w, const mf_mf_tol *tol) {
    const size_t m = q->m, n = q->n, p = q->p, D = (m + n) * p;
    const size_t ow = mf_ode_worksize(D), tw = mf_tail_worksize(q);
    double *R = w, *ode = R + m * n, *gw = ode + (ow > tw ? ow : tw); /* ode: also the tail's */
    mf_gf_stop st = {.g = {.q = q, .R = R}, .d = D};
    double *g = gw; /* the first gradient, for the scales */
    mf_gf_rhs(&st.g, 0.0, x, g, NULL);
    double nz = 0.0, gn = 0.0;
    for (size_t a = 0; a < D; a++)
        nz += x[a] * x[a], gn += g[a] * g[a];
    nz = sqrt(nz), gn = sqrt(gn);
    const double sc = nz > 1.0 ? nz : 1.0;
    if (!isfinite(gn)) return -1;
    if (gn <= MF_PROJECT_GTOL * sc) return 0; /* on M already: Phi(x) = x exactly */
    double h = 1e-3 * sc / gn;
    /* DP45 until the gradient is small, then the exponential tail if the flow is near-linear
     * there (it declines when it is not: a slow normal mode leaves z far from M at a small
     * gradient); else on with DP45 to a 10 times smaller gradient, and so on down to
     * tol->finish, where Gauss-Newton finishes */
    for (double sw = MF_MF_TAIL_SWITCH;; sw *= 0.1) {
        const int last = sw <= tol->finish * 1.5;
        st.gswitch = (last ? tol->finish : sw) * sc;
        if (mf_ode_dopri5_until(D, mf_gf_rhs, NULL, mf_gf_done, &st, 0.0, INFINITY, x, tol->rtol,
                                1e-2 * tol->rtol * sc, &h, ode, NULL, NULL))
            return -1;
        if (last) return mf_gauss_newton(q, x, gw);
        const int tail = mf_tail_limit(q, x, tol->finish * sc, MF_MF_TAIL_DIST * sc, ode, gw);
        if (tail != -1) return tail ? -1 : 0;
    }
}

/* Pz of each lane to the accuracy tol (the generic projection where the flow's fails) */
static void mf_project_tol(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *pz,
                           size_t ldp, const mf_mf_tol *tol) {
    const mfact *q = L->params;
    const size_t m = q->m, n = q->n, D = L->dim;
    const size_t ow = mf_ode_worksize(D), tw = mf_tail_worksize(q);
    const size_t need = D + m * n + (ow > tw ? ow : tw) + 4 * m * n + 3 * (m + n) * (m + n) + D;
    for (size_t i = 0; i < mm; i++) {
        double *x = mf_scratch(SCR_MFPROJ, sizeof(double) * need);
        int ok = x != NULL;
        if (ok) {
            lane_get(z, ld, D, i, x);
            ok = mf_flow_limit(q, x, x + D, tol) == 0;
        }
        if (ok)
            lane_put(pz, ldp, D, i, x);
        else /* the general path (it fills NaN if that fails too) */
            mf_landscape_generic_project(L, 1, z + i, ld, pz + i, ldp);
    }
}

static void mf_project(const mf_landscape *L, size_t mm, const double *z, size_t ld, double *pz,
                       size_t ldp) {
    mf_project_tol(L, mm, z, ld, pz, ldp, &mf_mf_exact);
}

/* ---- noise at Pz: the normal eigenpairs of H_f in closed form ------------------------------
 * On M (R = 0) H_f = 2 J^T J, and J J^T X = U U^T X + X V V^T. With U U^T = P diag(a) P^T and
 * V V^T = Q diag(b) Q^T, J J^T has the eigenvectors X_ij = p_i q_j^T with eigenvalues a_i + b_j,
 * so H_f's normal eigenpairs are lambda_ij = 2 (a_i + b_j) and
 *     w_ij = J^T X_ij / sqrt(a_i + b_j) = (p_i (V^T q_j)^T, q_j (U^T p_i)^T) / sqrt(a_i + b_j):
 * two small eigenproblems instead of the d x d Hessian and its eigendecomposition (dsyevr),
 * the same pairs in the same order (ascending) and sign (largest entry positive) as
 * mf_sym_eig_top. Where two of the codim largest eigenvalues lie within 1e-8 of the largest of
 * each other (U U^T and V V^T share eigenvalues, as at U = M, V = I) an eigenvector is not
 * determined by the matrix, and the generic hooks choose it, as they always have. */
typedef struct mf_pair {
    double lam;
    size_t i, j;
} mf_pair;

static int pair_cmp(const void *x, const void *y) {
    const mf_pair *a = x, *b = y;
    return a->lam < b->lam ? -1 : a->lam > b->lam ? 1 : (a->i < b->i ? -1 : a->i > b->i);
}

/* Work of the closed form at one point x of M: A, B (m x m, n x n) end as the eigenvectors of
 * U U^T and V V^T (column-major), a, b their eigenvalues, VQ (n x p) and UP (m x p) the
 * products (V^T q_j)_k and (U^T p_i)_k, pr the m n pairs. */
typedef struct mf_normal {
    double *A, *B, *a, *b, *VQ, *UP;
    mf_pair *pr;
} mf_normal;

/* The codim largest normal eigenpairs (ascending), or NULL where they are not separated by
 * 1e-8 of the largest from each other and from the tangent space's zeros (the generic hooks
 * decide there). */
static const mf_pair *mf_normal_pairs(const mfact *q, size_t c, const double *x,
                                      const mf_normal *nw) {
    const size_t m = q->m, n = q->n, p = q->p;
    const double *U = x, *V = x + m * p;
    double *A = nw->A, *B = nw->B, *a = nw->a, *b = nw->b, *VQ = nw->VQ, *UP = nw->UP;
    mf_pair *pr = nw->pr;
    mul_abt(m, m, p, U, U, A);
    mul_abt(n, n, p, V, V, B);
    if (mf_small_eig2(m, A, a, n, B, b)) return NULL;
    size_t np = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            pr[np++] = (mf_pair){2.0 * (a[i] + b[j]), i, j};
    qsort(pr, np, sizeof *pr, pair_cmp);
    const mf_pair *top = pr + (np - c);
    const double lmax = top[c - 1].lam;
    if (!(top[0].lam > 1e-8 * lmax) || (np > c && !(top[0].lam - pr[np - c - 1].lam > 1e-8 * lmax)))
        return NULL; /* the normal space is not separated from the tangent one */
    for (size_t k = 0; k + 1 < c; k++)
        if (!(top[k + 1].lam - top[k].lam > 1e-8 * lmax)) return NULL;
    /* VQ[j*p + k] = (V^T q_j)_k, UP[i*p + k] = (U^T p_i)_k; q_j is column j of B (col-major) */
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < p; k++) {
            double t = 0.0;
            for (size_t r = 0; r < n; r++)
                t += V[r * p + k] * B[j * n + r];
            VQ[j * p + k] = t;
        }
    for (size_t i = 0; i < m; i++)
        for (size_t k = 0; k < p; k++) {
            double t = 0.0;
            for (size_t r = 0; r < m; r++)
                t += U[r * p + k] * A[i * m + r];
            UP[i * p + k] = t;
        }
    return top;
}

/* The unit eigenvector w_ij = J^T (p_i q_j^T) / sqrt(a_i + b_j) of the pair pk into vec (d),
 * its entry of largest magnitude made positive */
static void mf_normal_vector(const mfact *q, const mf_normal *nw, const mf_pair *pk, double *vec) {
    const size_t m = q->m, n = q->n, p = q->p, nu = m * p, D = (m + n) * p;
    const size_t i = pk->i, j = pk->j;
    const double f = 1.0 / sqrt(0.5 * pk->lam);
    for (size_t r = 0; r < m; r++) /* dU = p_i (V^T q_j)^T */
        for (size_t l = 0; l < p; l++)
            vec[r * p + l] = f * nw->A[i * m + r] * nw->VQ[j * p + l];
    for (size_t r = 0; r < n; r++) /* dV = q_j (U^T p_i)^T */
        for (size_t l = 0; l < p; l++)
            vec[nu + r * p + l] = f * nw->B[j * n + r] * nw->UP[i * p + l];
    double big = 0.0;
    size_t at = 0;
    for (size_t e = 0; e < D; e++)
        if (fabs(vec[e]) > big) big = fabs(vec[e]), at = e;
    if (vec[at] < 0.0) /* -x exactly: the same bits as the sign applied where it is used */
        for (size_t e = 0; e < D; e++)
            vec[e] = -vec[e];
}

/* g -= s sum_k q_k xi_k w_k at Pz of one lane; 0 on success, -1: use the generic hook */
static int mf_noise_lane(const mf_landscape *L, const double *px, double s, const double *xi,
                         size_t ldxi, double *g, size_t ldg, int hessian, double *w) {
    const mfact *q = L->params;
    const size_t m = q->m, n = q->n, p = q->p, D = L->dim, c = L->codim;
    mf_normal nw = {.A = w};
    nw.B = nw.A + m * m, nw.a = nw.B + n * n, nw.b = nw.a + m, nw.VQ = nw.b + n;
    nw.UP = nw.VQ + n * p;
    double *vec = nw.UP + m * p;
    nw.pr = (mf_pair *)(vec + D);
    const mf_pair *top = mf_normal_pairs(q, c, px, &nw);
    if (!top) return -1;
    for (size_t k = 0; k < c; k++) {
        const double lam = top[k].lam;
        mf_normal_vector(q, &nw, top + k, vec);
        const double coef = s * (hessian ? sqrt(fmax(lam, 0.0) / 2.0) : 1.0) * xi[k * ldxi];
        for (size_t e = 0; e < D; e++)
            g[e * ldg] -= coef * vec[e];
    }
    return 0;
}

static void mf_noise_sub(const mf_landscape *L, size_t mm, const double *z, size_t ld, double s,
                         const double *xi, size_t ldxi, double *g, size_t ldg, int hessian) {
    const mfact *q = L->params;
    const size_t m = q->m, n = q->n, p = q->p, D = L->dim;
    const size_t need =
        sizeof(double) * (2 * D + m * m + n * n + m + n + (m + n) * p) + sizeof(mf_pair) * m * n;
    for (size_t i = 0; i < mm; i++) {
        double *w = mf_scratch(SCR_MFNOISE, need);
        int ok = w != NULL;
        if (ok) {
            mf_project_tol(L, 1, z + i, ld, w, 1, &mf_mf_noise); /* Pz, to ~1e-8 (mf_mf_tol) */
            ok = isfinite(w[0]) &&
                 mf_noise_lane(L, w, s, xi + i, ldxi, g + i, ldg, hessian, w + D) == 0;
        }
        if (!ok && hessian)
            mf_landscape_generic_hess_sqrt_sub(L, 1, z + i, ld, s, xi + i, ldxi, g + i, ldg);
        else if (!ok)
            mf_landscape_generic_normal_sub(L, 1, z + i, ld, s, xi + i, ldxi, g + i, ldg);
    }
}

static void mf_hess_sqrt_sub(const mf_landscape *L, size_t mm, const double *z, size_t ld, double s,
                             const double *xi, size_t ldxi, double *g, size_t ldg) {
    mf_noise_sub(L, mm, z, ld, s, xi, ldxi, g, ldg, 1);
}

static void mf_normal_sub(const mf_landscape *L, size_t mm, const double *z, size_t ld, double s,
                          const double *xi, size_t ldxi, double *g, size_t ldg) {
    mf_noise_sub(L, mm, z, ld, s, xi, ldxi, g, ldg, 0);
}

/* ---- frame and Hessian derivative in closed form --------------------------------------------
 * Tangent space. At a point of M with rank M = p (U, V of full column rank p), J (dU, dV) =
 * dU V^T + U dV^T vanishes exactly on {b(G) = (U G, -V G^T): G in R^(p x p)}, p^2 = d - codim
 * dimensions. The basis is Loewdin's orthonormalization of the b(E_kl) (column k p + l):
 * T = B (B^T B)^(-1/2). B^T B is the Sylvester operator K(G) = U^T U G + G V^T V, so with
 * U^T U = P diag(alpha) P^T and V^T V = Q diag(beta) Q^T (two small eigenproblems)
 *     K^(-1/2)(G) = P [(P^T G Q)_ab / sqrt(alpha_a + beta_b)] Q^T,
 * a smooth matrix function of K even where alpha or beta repeat: the basis is a continuous,
 * deterministic function of z. (The generic frame's tangent basis is whatever dsyevr returns
 * for the Hessian's p^2-fold zero eigenvalue, which any change of z at the 1e-12 level can
 * rotate, and the SGD flow's tangent noise T dW moves with it.) No sign convention is applied
 * to T: flipping a column would break the continuity.
 * Normal space: the eigenpairs of H_f = 2 J^T J as mf_noise_lane computes them (ascending,
 * largest entry positive, as mf_sym_eig_top); where they are not separated by 1e-8 of the
 * largest (U U^T and V V^T share eigenvalues, as at U = M, V = I, or one of them has a
 * repeated eigenvalue 0: m - p >= 2 or n - p >= 2) N is the generic frame's.
 * Other shapes (rank M < p, ill-conditioned factors) use the generic frame throughout. */
#define MF_FRAME_COND 1e-12 /* smallest eigenvalue of U^T U (V^T V) relative to its largest */

/* the closed-form normal eigenvectors into N (column-major d x c); 0, or -1 when not separated */
static int mf_frame_normal(const mf_landscape *L, const double *x, double *N, double *w) {
    const mfact *q = L->params;
    const size_t m = q->m, n = q->n, p = q->p, D = L->dim, c = L->codim;
    mf_normal nw = {.A = w};
    nw.B = nw.A + m * m, nw.a = nw.B + n * n, nw.b = nw.a + m, nw.VQ = nw.b + n;
    nw.UP = nw.VQ + n * p, nw.pr = (mf_pair *)(nw.UP + m * p);
    const mf_pair *top = mf_normal_pairs(q, c, x, &nw);
    if (!top) return -1;
    for (size_t k = 0; k < c; k++)
        mf_normal_vector(q, &nw, top + k, N + k * D);
    return 0;
}

/* the Loewdin tangent basis into T (column-major d x p^2); 0, or -1 (ill-conditioned) */
static int mf_frame_tangent(const mf_landscape *L, const double *x, double *T, double *w) {
    const mfact *q = L->params;
    const size_t m = q->m, n = q->n, p = q->p, D = L->dim, nu = m * p;
    const double *U = x, *V = x + nu;
    double *P = w, *Q = P + p * p, *al = Q + p * p, *be = al + p, *C = be + p, *Y = C + p * p;
    double *PY = Y + p * p, *G = PY + p * p;
    for (size_t i = 0; i < p; i++) /* U^T U, V^T V (symmetric: row- or column-major alike) */
        for (size_t j = 0; j < p; j++) {
            double su = 0.0, sv = 0.0;
            for (size_t r = 0; r < m; r++)
                su += U[r * p + i] * U[r * p + j];
            for (size_t r = 0; r < n; r++)
                sv += V[r * p + i] * V[r * p + j];
            P[i * p + j] = su, Q[i * p + j] = sv;
        }
    if (mf_small_eig(p, P, al) || mf_small_eig(p, Q, be)) return -1;
    if (!(al[0] > MF_FRAME_COND * al[p - 1]) || !(be[0] > MF_FRAME_COND * be[p - 1])) return -1;
    for (size_t a = 0; a < p; a++) /* P[a p + r]: component r of eigenvector a */
        for (size_t b = 0; b < p; b++)
            C[a * p + b] = 1.0 / sqrt(al[a] + be[b]);
    for (size_t k = 0; k < p; k++)
        for (size_t l = 0; l < p; l++) {
            /* G = K^(-1/2)(E_kl) = P Y Q^T with Y_ab = P_ka Q_lb / sqrt(alpha_a + beta_b) */
            for (size_t a = 0; a < p; a++)
                for (size_t b = 0; b < p; b++)
                    Y[a * p + b] = P[a * p + k] * Q[b * p + l] * C[a * p + b];
            for (size_t r = 0; r < p; r++) /* PY = P Y */
                for (size_t b = 0; b < p; b++) {
                    double s = 0.0;
                    for (size_t a = 0; a < p; a++)
                        s += P[a * p + r] * Y[a * p + b];
                    PY[r * p + b] = s;
                }
            for (size_t r = 0; r < p; r++) /* G = PY Q^T */
                for (size_t s2 = 0; s2 < p; s2++) {
                    double s = 0.0;
                    for (size_t b = 0; b < p; b++)
                        s += PY[r * p + b] * Q[b * p + s2];
                    G[r * p + s2] = s;
                }
            double *t = T + (k * p + l) * D;
            for (size_t r = 0; r < m; r++) /* U G */
                for (size_t s2 = 0; s2 < p; s2++) {
                    double s = 0.0;
                    for (size_t e = 0; e < p; e++)
                        s += U[r * p + e] * G[e * p + s2];
                    t[r * p + s2] = s;
                }
            for (size_t r = 0; r < n; r++) /* -V G^T */
                for (size_t s2 = 0; s2 < p; s2++) {
                    double s = 0.0;
                    for (size_t e = 0; e < p; e++)
                        s += V[r * p + e] * G[s2 * p + e];
                    t[nu + r * p + s2] = -s;
                }
        }
    return 0;
}

static void mf_frame(const mf_landscape *L, const double *z, double *T, double *N) {
    const mfact *q = L->params;
    const size_t m = q->m, n = q->n, p = q->p;
    if (L->codim != (m + n) * p - p * p) { /* rank M < p: a larger tangent space */
        mf_landscape_generic_frame(L, z, T, N);
        return;
    }
    const size_t need = sizeof(double) * (m * m + n * n + m + n + (m + n) * p + 6 * p * p + 2 * p) +
                        sizeof(mf_pair) * m * n;
    double *w = mf_scratch(SCR_MFFRAME, need);
    if (!w) {
        mf_landscape_generic_frame(L, z, T, N);
        return;
    }
    /* normal eigenvalues not separated: the generic N (and T, which ours then replaces) */
    if (mf_frame_normal(L, z, N, w)) mf_landscape_generic_frame(L, z, T, N);
    if (mf_frame_tangent(L, z, T, w)) mf_landscape_generic_frame(L, z, T, N);
}

/* out = d/de H_f(z + e v) at e = 0, exactly (H_f is quadratic in z). From
 *   D^3 f[v, a, b] = 2 (<D^2 R[v, a], D R[b]> + <D R[a], D^2 R[v, b]> + <D R[v], D^2 R[a, b]>),
 *   D R[a] = aU V^T + U aV^T, D^2 R[a, b] = aU bV^T + bU aV^T (R = U V^T - M), v = (eU, eV),
 * the blocks (U_ik, U_jl), (V_ik, V_jl) and (U_ik, V_jl) are
 *   2 d_ij (eV^T V + V^T eV)_kl,  2 d_ij (eU^T U + U^T eU)_kl,
 *   2 (eV_jk U_il + V_jk eU_il + d_kl (eU V^T + U eV^T)_ij):
 * O(d^2) work instead of two dense Hessians (2 d Hessian-vector products). */
static void mf_dhess(const mf_landscape *L, const double *z, const double *v, double *out) {
    const mfact *q = L->params;
    const size_t m = q->m, n = q->n, p = q->p, D = L->dim, nu = m * p;
    const double *U = z, *V = z + nu, *eU = v, *eV = v + nu;
    double *w = mf_scratch(SCR_MFFRAME, sizeof(double) * (2 * p * p + m * n));
    if (!w) {
        for (size_t k = 0; k < D * D; k++)
            out[k] = NAN;
        return;
    }
    double *SU = w, *SV = SU + p * p, *eR = SV + p * p;
    for (size_t k = 0; k < p; k++) /* SU = U^T eU, SV = V^T eV */
        for (size_t l = 0; l < p; l++) {
            double su = 0.0, sv = 0.0;
            for (size_t r = 0; r < m; r++)
                su += U[r * p + k] * eU[r * p + l];
            for (size_t r = 0; r < n; r++)
                sv += V[r * p + k] * eV[r * p + l];
            SU[k * p + l] = su, SV[k * p + l] = sv;
        }
    for (size_t i = 0; i < m; i++) /* eR = eU V^T + U eV^T */
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += eU[i * p + k] * V[j * p + k] + U[i * p + k] * eV[j * p + k];
            eR[i * n + j] = s;
        }
    memset(out, 0, sizeof(double) * D * D);
    for (size_t i = 0; i < m; i++) /* UU: diagonal blocks */
        for (size_t k = 0; k < p; k++)
            for (size_t l = 0; l < p; l++)
                out[(i * p + k) * D + i * p + l] = 2.0 * (SV[k * p + l] + SV[l * p + k]);
    for (size_t i = 0; i < n; i++) /* VV */
        for (size_t k = 0; k < p; k++)
            for (size_t l = 0; l < p; l++)
                out[(nu + i * p + k) * D + nu + i * p + l] = 2.0 * (SU[k * p + l] + SU[l * p + k]);
    for (size_t i = 0; i < m; i++) /* UV and its transpose VU */
        for (size_t k = 0; k < p; k++) {
            const size_t row = i * p + k;
            for (size_t j = 0; j < n; j++)
                for (size_t l = 0; l < p; l++) {
                    double s = eV[j * p + k] * U[i * p + l] + V[j * p + k] * eU[i * p + l];
                    if (k == l) s += eR[i * n + j];
                    const size_t col = nu + j * p + l;
                    out[row * D + col] = out[col * D + row] = 2.0 * s;
                }
        }
}

/* out = grad_e <W, d_e H_f(z)> from the blocks of mf_dhess above: with SV = V^T eV, the (U, U)
 * blocks give sum_kl (A + A^T)_kl SV_kl, A_kl = sum_i W_(ik),(il), so out_V += 2 V (A + A^T);
 * likewise out_U += 2 U (B + B^T) from the (V, V) blocks; the (U_ik, V_jl) entries and their
 * transposes, C = W_UV + W_VU^T, give out_V,jk += 2 sum_il C_ik,jl U_il, out_U,il += 2 sum_jk
 * C_ik,jl V_jk and, through eR = eU V^T + U eV^T with Z_ij = sum_k C_ik,jk, out_U += 2 Z V and
 * out_V += 2 Z^T U. O(m n p^2) work: one pass over W instead of a d x d dhess per direction. */
static void mf_dhess_contract(const mf_landscape *L, const double *z, const double *W,
                              double *out) {
    const mfact *q = L->params;
    const size_t m = q->m, n = q->n, p = q->p, D = L->dim, nu = m * p;
    const double *U = z, *V = z + nu;
    double *w = mf_scratch(SCR_MFFRAME, sizeof(double) * (2 * p * p + m * n));
    if (!w) {
        for (size_t k = 0; k < D; k++)
            out[k] = NAN;
        return;
    }
    double *A = w, *B = A + p * p, *Z = B + p * p, *oU = out, *oV = out + nu;
    for (size_t k = 0; k < p; k++) /* A + A^T, B + B^T */
        for (size_t l = 0; l < p; l++) {
            double sa = 0.0, sb = 0.0;
            for (size_t i = 0; i < m; i++)
                sa += W[(i * p + k) * D + i * p + l] + W[(i * p + l) * D + i * p + k];
            for (size_t i = 0; i < n; i++)
                sb += W[(nu + i * p + k) * D + nu + i * p + l] +
                      W[(nu + i * p + l) * D + nu + i * p + k];
            A[k * p + l] = sa, B[k * p + l] = sb;
        }
    for (size_t r = 0; r < m; r++) /* out_U = 2 U (B + B^T) */
        for (size_t l = 0; l < p; l++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += U[r * p + k] * B[k * p + l];
            oU[r * p + l] = 2.0 * s;
        }
    for (size_t r = 0; r < n; r++) /* out_V = 2 V (A + A^T) */
        for (size_t l = 0; l < p; l++) {
            double s = 0.0;
            for (size_t k = 0; k < p; k++)
                s += V[r * p + k] * A[k * p + l];
            oV[r * p + l] = 2.0 * s;
        }
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++)
            Z[i * n + j] = 0.0;
    for (size_t i = 0; i < m; i++) /* the (U, V) blocks */
        for (size_t k = 0; k < p; k++) {
            const double *wr = W + (i * p + k) * D + nu; /* row U_ik, columns V */
            for (size_t j = 0; j < n; j++)
                for (size_t l = 0; l < p; l++) {
                    const double c = wr[j * p + l] + W[(nu + j * p + l) * D + i * p + k];
                    oV[j * p + k] += 2.0 * c * U[i * p + l];
                    oU[i * p + l] += 2.0 * c * V[j * p + k];
                    if (k == l) Z[i * n + j] += c;
                }
        }
    for (size_t i = 0; i < m; i++) /* out_U += 2 Z V */
        for (size_t l = 0; l < p; l++) {
            double s = 0.0;
            for (size_t j = 0; j < n; j++)
                s += Z[i * n + j] * V[j * p + l];
            oU[i * p + l] += 2.0 * s;
        }
    for (size_t j = 0; j < n; j++) /* out_V += 2 Z^T U */
        for (size_t l = 0; l < p; l++) {
            double s = 0.0;
            for (size_t i = 0; i < m; i++)
                s += Z[i * n + j] * U[i * p + l];
            oV[j * p + l] += 2.0 * s;
        }
}

static void mf_destroy(mf_landscape *L) {
    mfact *q = L->params;
    free(q->M), free(q->x0);
}

/* L.M (mf_landscape_type.field) */
static int mf_field_of(const mf_landscape *L, const char *k, mf_field *o) {
    if (strcmp(k, "M") != 0) return 0;
    size_t m, n, p;
    o->x = mf_landscape_matrix_factorization_target(L, &m, &n, &p);
    o->kind = MF_FIELD_MATRIX, o->rows = m, o->cols = n;
    return 1;
}

MF_ISA_HIDDEN const mf_landscape_type MF_ISA_NAME(mf_mfact_mf_type) = {
    .name = "matrix_factorization",
    .value = mf_value,
    .grad = mf_grad,
    .hess = mf_hess,
    .hvp = mf_hvp,
    .trace_hessian = mf_trace,
    .project = mf_project,
    .normal_sub = mf_normal_sub,
    .hess_sqrt_sub = mf_hess_sqrt_sub,
    .frame = mf_frame,
    .dhess = mf_dhess,
    .residuals = mf_residuals,
    .residual_jt_sub = mf_residual_jt_sub,
    .residual_jacobian = mf_residual_jacobian,
    .field = mf_field_of,
    .fields = "M",
    .destroy = mf_destroy,
    .dhess_contract = mf_dhess_contract,
};

/* ---- constructors (the baseline pass only: isa_impl.h) ------------------------------------ */
#ifndef MF_ISA_VARIANT
MF_ISA_DECLARE(const mf_landscape_type, mf_mfact_mf_type);

/* numerical rank of M (m x n) by its singular values, relative tolerance 1e-10 */
static size_t rank_of(const double *M, size_t m, size_t n) {
    size_t k = m < n ? m : n;
    double *G = malloc(sizeof(double) * k * k), *lam = malloc(sizeof(double) * k),
           *vec = malloc(sizeof(double) * k * k);
    size_t r = 0;
    if (G && lam && vec) { /* eigenvalues of the smaller Gram matrix */
        for (size_t a = 0; a < k; a++)
            for (size_t b = 0; b < k; b++) {
                double s = 0.0;
                if (m <= n)
                    for (size_t c = 0; c < n; c++)
                        s += M[a * n + c] * M[b * n + c];
                else
                    for (size_t c = 0; c < m; c++)
                        s += M[c * n + a] * M[c * n + b];
                G[a * k + b] = s;
            }
        if (mf_sym_eig_top(k, k, G, lam, vec) == 0)
            for (size_t a = 0; a < k; a++)
                r += lam[a] > 1e-12 * lam[k - 1]; /* singular values above 1e-6 of the largest */
    }
    free(G), free(lam), free(vec);
    return r;
}

int mf_landscape_matrix_factorization(mf_landscape **out, size_t m, size_t n, size_t p,
                                      const double *M, unsigned long long seed, mf_err *err) {
    *out = NULL;
    /* each size is bounded first, so that (m + n) p and m n cannot wrap */
    if (m < 1 || n < 1 || p < 1 || m > 100000 || n > 100000 || p > 100000 || (m + n) * p > 100000 ||
        m * n > 10000000)
        return mf_err_set(err, MF_EINVAL,
                          "need m, n, p >= 1, (m + n) p <= 100000 and m n <= 10^7 (got m = %zu, "
                          "n = %zu, p = %zu)",
                          m, n, p);
    mf_landscape *L = calloc(1, sizeof *L);
    mfact *q = calloc(1, sizeof *q);
    double *Mc = malloc(sizeof(double) * m * n);
    if (!L || !q || !Mc) {
        free(L), free(q), free(Mc);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    if (M) {
        for (size_t k = 0; k < m * n; k++)
            if (!isfinite(M[k])) {
                free(L), free(q), free(Mc);
                return mf_err_set(err, MF_EINVAL, "M[%zu][%zu] is not finite", k / n + 1,
                                  k % n + 1);
            }
        memcpy(Mc, M, sizeof(double) * m * n);
    } else { /* M = A B^T, A (m x p), B (n x p) standard normal, row-major, stream (seed, 0) */
        mf_rng r;
        mf_rng_seed(&r, seed, 0);
        double *A = malloc(sizeof(double) * (m + n) * p);
        if (!A) {
            free(L), free(q), free(Mc);
            return mf_err_set(err, MF_ENOMEM, "out of memory");
        }
        for (size_t k = 0; k < (m + n) * p; k++)
            A[k] = mf_rng_normal(&r);
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < n; b++) {
                double s = 0.0;
                for (size_t k = 0; k < p; k++)
                    s += A[a * p + k] * A[(m + b) * p + k];
                Mc[a * n + b] = s;
            }
        free(A);
    }
    q->m = m, q->n = n, q->p = p, q->M = Mc;
    size_t r = rank_of(Mc, m, n);
    L->type = MF_ISA_PICK(mf_mfact_mf_type);
    L->dim = (m + n) * p;
    /* the fibre {U V^T = M} at full-rank factors: codimension (m + n) r - r^2 */
    L->codim = r <= p ? (m + n) * r - r * r : 0;
    L->params = q;
    L->nres = m * n;
    L->res_weight = 1.0;
    if (m == n && n == p && (q->x0 = calloc(L->dim, sizeof(double)))) {
        memcpy(q->x0, Mc, sizeof(double) * m * n); /* U0 = M, V0 = I (quasistatic Fig. 2) */
        for (size_t k = 0; k < n; k++)
            q->x0[m * p + k * p + k] = 1.0;
        L->x0 = q->x0;
    }
    *out = L;
    return MF_OK;
}

const double *mf_landscape_matrix_factorization_target(const mf_landscape *L, size_t *m, size_t *n,
                                                       size_t *p) {
    const mfact *q = L->params;
    if (m) *m = q->m;
    if (n) *n = q->n;
    if (p) *p = q->p;
    return q->M;
}
#endif /* MF_ISA_VARIANT */
