/* Matrix sensing (flatter-faster A.2, eq. 12; doc/math.md §1):
 *   L(U, V) = 1/(dP) sum_i (Tr(A_i U V) - y_i)^2,  U, V in R^(d x d),  z = (U, V) row-major.
 * With c = 1/(dP), X = U V, residuals r_i = Tr(A_i X) - y_i and S = sum_i r_i A_i:
 *   grad_U = 2c S^T V^T,  grad_V = 2c U^T S^T;
 *   along (dU, dV): dr_i = Tr(A_i (dU V + U dV)), dS = sum_i dr_i A_i,
 *   H (dU, dV) = 2c (dS^T V^T + S^T dV^T,  dU^T S^T + U^T dS^T);
 *   Tr H = 2c sum_i (|A_i^T V^T|_F^2 + |U^T A_i^T|_F^2) = 2c (<V^T V, G1> + <U U^T, G2>),
 *   G1 = sum_i A_i A_i^T, G2 = sum_i A_i^T A_i (F eq. 127; the residual term drops out because
 *   r_i is bilinear in (U, V), so the formula holds everywhere, not only on the manifold).
 *
 * The measurements are one P x d^2 matrix, row i = A_i row-major, stored once (double, or float
 * when asked: only the storage is single, every product is formed and summed in double). Since
 * Tr(A_i X) = <vec A_i, vec X^T>, the predictions are one matrix-vector pass
 * (pass 1: R = A W, W = vec((U V)^T)) and S is a second (pass 2: S = A^T R); a block of K
 * points does each pass once for all K, reading the measurements once per step.
 *
 * The passes are the engine's own loops rather than BLAS GEMV/GEMM: OpenBLAS 0.3.21 gives
 * GEMV and GEMM results that differ in the last bits (and GEMM with one column takes another
 * kernel on small problems), which would break block = point evaluation; and its GEMV reaches
 * 1.6x the memory-bandwidth bound here, GEMM packs the 200 MB matrix on every call. Both loops
 * below sum in an order fixed by the code, independent of K and of the lane's position, and
 * stream the matrix once per pass. The d x d products go to OpenBLAS (cblas_dgemm, the same
 * call for every lane). */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "isa_impl.h"
#include "landscape_impl.h"
#include "mflab/interrupt.h"
#include "mflab/landscape.h"
#include "mflab/rng.h"

#define MS_CHUNK 8 /* columns per sweep over the measurements (lanes of value/grad) */

typedef struct ms {
    size_t d, r, P, n; /* n = d^2 */
    int single;
    double *Ad;      /* P x n row-major (double storage) or NULL */
    float *Af;       /* P x n row-major (single storage) or NULL */
    double *y;       /* P labels y_i = Tr(A_i X*) */
    double *Xs;      /* X*, d x d row-major */
    double *G1, *G2; /* sum A_i A_i^T, sum A_i^T A_i */
    double *x0;      /* U = V = I */
    double c;        /* 1/(dP) */
} ms;

/* ---- the sweep over the measurements --------------------------------------------------------
 *
 * One sweep reads the rows of A in groups of MS_UG: first the dot products of the group's rows
 * with the K columns W_j (pass 1: R_j = A W_j - y), then, while those rows are still in cache,
 * their contribution to S_j = A^T R_j (pass 2). Both passes thus cost one read of A from memory.
 * Summation orders are fixed by the code and depend neither on K, nor on the lane's position,
 * nor on how rows are grouped:
 *   pass 1: lane l of an 8-wide accumulator sums a_k w_k for k = l (mod 8) in increasing k (the
 *     last partial vector padded with zeros), then ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 +
 *     l7));
 *   pass 2: S_j[k] = (((0 + r_0 a_0k) + r_1 a_1k) + r_2 a_2k) + ..., rows in increasing order.
 * Every multiply-add is an explicit fused multiply-add (vfma, fma: one rounding, the same in
 * vector and scalar form; the build itself never contracts, ISO C mode), so a block equals
 * point evaluation bit for bit and the block kernels run at FMA throughput.
 *
 * Register blocking: pass 1 keeps MS_RB x MS_JC accumulators (each row vector loaded once for
 * MS_JC columns, each W vector once for MS_RB rows); pass 2 keeps the group's MS_UG row vectors
 * in registers and adds them to all K columns of S in one sweep over S. Each kernel is written
 * once, with the block shape and the storage (double, or float widened exactly on load) as
 * arguments, and instantiated with constant arguments (always_inline), so the accumulators
 * live in registers and the storage test disappears from the loops. */
/* The helpers below are static (never called across an ABI boundary), so GCC's note that
 * passing 64-byte vectors without AVX-512 changes the ABI does not apply. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#elif defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
/* The arithmetic has 8 lanes on every path (the sums above); a path holds those 8 lanes in
 * MS_NV native vectors of MS_VW doubles: one on AVX-512, two on AVX2, four with SSE2. GCC keeps
 * 64-byte generic vectors in memory where they are not a register type, so the kernels work on
 * native vectors and write the 8 lanes out as MS_NV of them. */
#if defined(__AVX512F__)
#define MS_VW 8
#elif defined(__AVX2__)
#define MS_VW 4
#else
#define MS_VW 2
#endif
#define MS_NV (8 / MS_VW)
typedef double vd __attribute__((vector_size(8 * MS_VW)));
typedef float vf __attribute__((vector_size(4 * MS_VW)));
#define MS_INLINE static inline __attribute__((always_inline))

/* the measurements: exactly one of d (double storage) and f (single storage) is set */
typedef struct ms_rows {
    const double *d;
    const float *f;
} ms_rows;

MS_INLINE vd vload(const double *p) {
    vd x;
    memcpy(&x, p, sizeof x);
    return x;
}
MS_INLINE void vstore(double *p, vd x) {
    memcpy(p, &x, sizeof x);
}
/* MS_VW measurement entries from offset k, as doubles (single: widened, exact) */
MS_INLINE vd row_load(ms_rows a, int single, size_t k) {
    if (!single) return vload(a.d + k);
    vf x;
    memcpy(&x, a.f + k, sizeof x);
    return __builtin_convertvector(x, vd);
}
/* the last m < 8 entries from offset k, zero-padded to 8, as MS_NV vectors */
MS_INLINE void row_load_part(ms_rows a, int single, size_t k, size_t m, vd *x) {
    double t[8] = {0};
    for (size_t l = 0; l < m; l++)
        t[l] = single ? (double)a.f[k + l] : a.d[k + l];
    for (int h = 0; h < MS_NV; h++)
        x[h] = vload(t + h * MS_VW);
}
MS_INLINE double row_entry(ms_rows a, int single, size_t k) {
    return single ? (double)a.f[k] : a.d[k];
}
/* x in every lane (not 0 + x, which the compiler must evaluate: it turns -0 into +0) */
MS_INLINE vd bcast(double x) {
    vd v;
    for (int l = 0; l < MS_VW; l++)
        v[l] = x;
    return v;
}
#if defined(__AVX512F__)
#include <immintrin.h>
/* a b + c, rounded once */
MS_INLINE vd vfma(vd a, vd b, vd c) {
    return (vd)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
}
#elif defined(__FMA__)
#include <immintrin.h>
MS_INLINE vd vfma(vd a, vd b, vd c) {
    return (vd)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
}
#else
MS_INLINE vd vfma(vd a, vd b, vd c) { /* no FMA unit: the C library's fma, exact and slow */
    vd r;
    for (int l = 0; l < MS_VW; l++)
        r[l] = fma(a[l], b[l], c[l]);
    return r;
}
#endif
/* ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)) over the 8 lanes held in MS_NV vectors */
MS_INLINE double lanes_sum(const vd *acc) {
    double a[8];
    for (int h = 0; h < MS_NV; h++)
        vstore(a + h * MS_VW, acc[h]);
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* Keeps a loaded vector in a register: without it GCC folds the load into every multiply,
 * which makes the kernels load-bound (AVX-512 only; elsewhere the compiler decides). */
#if defined(__GNUC__) && defined(__AVX512F__)
#define MS_KEEP(v) __asm__("" : "+v"(v))
#else
#define MS_KEEP(v) ((void)(v))
#endif

/* Hides a pointer's value from the optimizer for one loop iteration: the r_j broadcasts are
 * then read from memory inside the loop as embedded broadcasts (8-byte loads) instead of being
 * hoisted as 64 full vectors, spilled and reloaded (64-byte loads, which made pass 2 bound by
 * the load ports). */
#if defined(__GNUC__)
#define MS_OPAQUE(p) __asm__("" : "+r"(p))
#else
#define MS_OPAQUE(p) ((void)(p))
#endif

/* Register blocking per instruction-set pass (isa_impl.h); only how many rows and columns are
 * in flight changes between paths, which changes no sum's order. AVX-512 has 32 registers of 8
 * doubles: 4 x 4 accumulators + 4 rows. AVX2 has 16 of 4 doubles: 2 x 2 accumulators of 8 lanes
 * (8 registers) + 2 rows (4) + a column vector; pass 2 keeps 8 rows' vectors. The AVX-512
 * shapes compiled for AVX2, in 64-byte generic vectors, spilled: 43 ms per gradient against
 * 11 ms now (d = 100, P = 2500, one core of a Zen 5 forced onto the AVX2 path). */
#if defined(__AVX512F__)
#define MS_RB 4 /* rows per pass-1 kernel */
#define MS_JC 4 /* columns per pass-1 kernel: MS_RB x MS_JC accumulators in registers */
#define MS_UG 8 /* rows per group; pass 2 adds the group's rows to S in one sweep over S */
#elif defined(__AVX2__)
#define MS_RB 2
#define MS_JC 2
#define MS_UG 8
#else
#define MS_RB 1
#define MS_JC 2
#define MS_UG 2
#endif

/* pass 1: out[b * MS_JC + j] = <a_b, W_j> for rows b < rb (row b at offset o + b n), j < jc */
MS_INLINE void dots_kernel(ms_rows a, int single, size_t o, size_t n, const double *restrict W,
                           size_t rb, size_t jc, double *restrict out) {
    vd acc[MS_RB][MS_JC][MS_NV];
    for (size_t b = 0; b < rb; b++)
        for (size_t j = 0; j < jc; j++)
            for (int h = 0; h < MS_NV; h++)
                acc[b][j][h] = (vd){0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        vd x[MS_RB][MS_NV];
        for (size_t b = 0; b < rb; b++)
            for (int h = 0; h < MS_NV; h++) {
                x[b][h] = row_load(a, single, o + b * n + k + (size_t)h * MS_VW);
                MS_KEEP(x[b][h]);
            }
        for (size_t j = 0; j < jc; j++)
            for (int h = 0; h < MS_NV; h++) {
                vd w = vload(W + j * n + k + (size_t)h * MS_VW);
                MS_KEEP(w);
                for (size_t b = 0; b < rb; b++)
                    acc[b][j][h] = vfma(x[b][h], w, acc[b][j][h]);
            }
    }
    if (k < n) {
        double tw[8] = {0};
        for (size_t b = 0; b < rb; b++) {
            vd x[MS_NV];
            row_load_part(a, single, o + b * n + k, n - k, x);
            for (size_t j = 0; j < jc; j++) {
                memcpy(tw, W + j * n + k, sizeof(double) * (n - k));
                for (int h = 0; h < MS_NV; h++)
                    acc[b][j][h] = vfma(x[h], vload(tw + h * MS_VW), acc[b][j][h]);
            }
        }
    }
    for (size_t b = 0; b < rb; b++)
        for (size_t j = 0; j < jc; j++)
            out[b * MS_JC + j] = lanes_sum(acc[b][j]);
}

MS_INLINE void dots_shaped(ms_rows a, int single, size_t o, size_t rb, size_t n, const double *W,
                           size_t jc, double *out) {
    /* jc < MS_JC only for the last columns of a block (cases up to MS_JC - 1 exist) */
    if (rb == MS_RB) {
        switch (jc) {
        case 1:
            dots_kernel(a, single, o, n, W, MS_RB, 1, out);
            return;
#if MS_JC > 2
        case 2:
            dots_kernel(a, single, o, n, W, MS_RB, 2, out);
            return;
#endif
#if MS_JC > 3
        case 3:
            dots_kernel(a, single, o, n, W, MS_RB, 3, out);
            return;
#endif
        default:
            dots_kernel(a, single, o, n, W, MS_RB, MS_JC, out);
            return;
        }
    }
    for (size_t b = 0; b < rb; b++, o += n, out += MS_JC)
        switch (jc) {
        case 1:
            dots_kernel(a, single, o, n, W, 1, 1, out);
            break;
#if MS_JC > 2
        case 2:
            dots_kernel(a, single, o, n, W, 1, 2, out);
            break;
#endif
#if MS_JC > 3
        case 3:
            dots_kernel(a, single, o, n, W, 1, 3, out);
            break;
#endif
        default:
            dots_kernel(a, single, o, n, W, 1, MS_JC, out);
            break;
        }
}

/* rows o/n .. o/n + rb - 1 (rb <= MS_RB) against columns W_0..W_{jc-1} (jc <= MS_JC) */
static void dots(ms_rows a, size_t o, size_t rb, size_t n, const double *W, size_t jc,
                 double *out) {
    if (a.f)
        dots_shaped(a, 1, o, rb, n, W, jc, out);
    else
        dots_shaped(a, 0, o, rb, n, W, jc, out);
}

/* pass 2: S_j += sum_b r[j MS_UG + b] a_b for rows b < rb (row b at offset o + b n), columns
 * j < K, rows in increasing order: s = ((s + r_0 a_0) + r_1 a_1) + ... */
MS_INLINE void update_kernel(ms_rows a, int single, size_t o, size_t n, size_t rb,
                             const double *restrict r, size_t K, double *restrict S) {
    size_t k = 0;
    for (; k + MS_VW <= n; k += MS_VW) {
        vd x[MS_UG];
        for (size_t b = 0; b < rb; b++) {
            x[b] = row_load(a, single, o + b * n + k);
            MS_KEEP(x[b]);
        }
        const double *rk = r;
        MS_OPAQUE(rk);
        for (size_t j = 0; j < K; j++) {
            double *s = S + j * n + k;
            vd t = vload(s);
            for (size_t b = 0; b < rb; b++)
                t = vfma(x[b], bcast(rk[j * MS_UG + b]), t);
            vstore(s, t);
        }
    }
    for (; k < n; k++)
        for (size_t j = 0; j < K; j++) {
            double t = S[j * n + k];
            for (size_t b = 0; b < rb; b++)
                t = fma(r[j * MS_UG + b], row_entry(a, single, o + b * n + k), t);
            S[j * n + k] = t;
        }
}

MS_INLINE void update_shaped(ms_rows a, int single, size_t o, size_t n, size_t rb, const double *r,
                             size_t K, double *S) {
    switch (K) {
    case 1:
        update_kernel(a, single, o, n, rb, r, 1, S);
        break;
    case 2:
        update_kernel(a, single, o, n, rb, r, 2, S);
        break;
    case 3:
        update_kernel(a, single, o, n, rb, r, 3, S);
        break;
    case 4:
        update_kernel(a, single, o, n, rb, r, 4, S);
        break;
    case 5:
        update_kernel(a, single, o, n, rb, r, 5, S);
        break;
    case 6:
        update_kernel(a, single, o, n, rb, r, 6, S);
        break;
    case 7:
        update_kernel(a, single, o, n, rb, r, 7, S);
        break;
    default:
        update_kernel(a, single, o, n, rb, r, MS_CHUNK, S);
        break;
    }
}

/* rb rows (MS_UG or 1) at offset o into S_0..S_{K-1}, weights r[j MS_UG + b] */
MS_INLINE void update_rows(ms_rows a, size_t o, size_t rb, size_t n, const double *r, size_t K,
                           double *S) {
    if (a.f)
        update_shaped(a, 1, o, n, rb, r, K, S);
    else
        update_shaped(a, 0, o, n, rb, r, K, S);
}

/* the group of rb rows from row i0 (offset o = i0 n) into S_0..S_{K-1} */
static void update(ms_rows a, size_t o, size_t rb, size_t n, size_t K, const double *R, size_t P,
                   size_t i0, double *S) {
    double r[MS_CHUNK * MS_UG];
    for (size_t j = 0; j < K; j++)
        for (size_t b = 0; b < rb; b++)
            r[j * MS_UG + b] = R[j * P + i0 + b];
    if (rb == MS_UG) {
        update_rows(a, o, MS_UG, n, r, K, S);
        return;
    }
    for (size_t b = 0; b < rb; b++) /* the last, short group: one row at a time, same order */
        update_rows(a, o + b * n, 1, n, r + b, K, S);
}

/* W non-NULL (K columns of n): R_j = A W_j, minus y where bit j of ymask is set; S non-NULL:
 * S_j = A^T R_j. K <= MS_CHUNK. */
static void sweep(const ms *q, size_t K, const double *W, unsigned ymask, double *R, double *S) {
    const size_t P = q->P, n = q->n;
    const ms_rows a = {q->Ad, q->Af};
    if (S) memset(S, 0, sizeof(double) * K * n);
    for (size_t i = 0; i < P; i += MS_UG) {
        const size_t rb = P - i < MS_UG ? P - i : MS_UG;
        for (size_t i1 = 0; W && i1 < rb; i1 += MS_RB) {
            const size_t rb1 = rb - i1 < MS_RB ? rb - i1 : MS_RB;
            for (size_t j0 = 0; j0 < K; j0 += MS_JC) {
                const size_t jc = K - j0 < MS_JC ? K - j0 : MS_JC;
                double o[MS_RB * MS_JC];
                dots(a, (i + i1) * n, rb1, n, W + j0 * n, jc, o);
                for (size_t b = 0; b < rb1; b++)
                    for (size_t j = 0; j < jc; j++) {
                        const double v = o[b * MS_JC + j];
                        R[(j0 + j) * P + i + i1 + b] =
                            (ymask >> (j0 + j) & 1u) ? v - q->y[i + i1 + b] : v;
                    }
            }
        }
        if (S) update(a, i * n, rb, n, K, R, P, i, S);
    }
}

/* ---- d x d products (row-major, one BLAS call each) ----------------------------------------- */

/* C = alpha op(A) op(B) + beta C, all d x d */
static void mm(size_t d, int ta, int tb, double alpha, const double *A, const double *B,
               double beta, double *C) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)d, (int)d, (int)d, alpha, A, (int)d, B, (int)d, beta, C, (int)d);
}

/* ---- per-call work ----------------------------------------------------------------------------
 */

typedef struct ms_work {
    double *Z;  /* MS_CHUNK lanes of z (2n each) */
    double *DZ; /* MS_CHUNK lanes of v (2n each) */
    double *W;  /* MS_CHUNK columns of n */
    double *S;  /* MS_CHUNK columns of n */
    double *R;  /* MS_CHUNK columns of P */
    double *O;  /* 2n */
} ms_work;

static int ms_work_get(const ms *q, int slot, ms_work *w) {
    const size_t n = q->n, C = MS_CHUNK;
    double *p = mf_scratch(slot, sizeof(double) * (6 * C * n + C * q->P + 2 * n));
    if (!p) return -1;
    w->Z = p, w->DZ = w->Z + 2 * C * n, w->W = w->DZ + 2 * C * n, w->S = w->W + C * n;
    w->R = w->S + C * n, w->O = w->R + C * q->P;
    return 0;
}

static void nan_lanes(double *x, size_t rows, size_t ldx, size_t i0, size_t m) {
    for (size_t k = 0; k < rows; k++)
        for (size_t i = i0; i < i0 + m; i++)
            x[k * ldx + i] = NAN;
}

/* lanes i0..i0+m-1 of z into w->Z; W_i = (U_i V_i)^T; R_i = A W_i - y (residuals) and, when
 * with_s, S_i = A^T R_i, in one sweep */
static void residual_chunk(const ms *q, const ms_work *w, const double *z, size_t ld, size_t i0,
                           size_t m, int with_s) {
    const size_t n = q->n, d = q->d;
    for (size_t i = 0; i < m; i++) {
        double *Zi = w->Z + i * 2 * n;
        lane_get(z, ld, 2 * n, i0 + i, Zi);
        mm(d, 1, 1, 1.0, Zi + n, Zi, 0.0, w->W + i * n); /* (U V)^T = V^T U^T */
    }
    sweep(q, m, w->W, (1u << m) - 1u, w->R, with_s ? w->S : NULL);
}

/* ---- vtable
 * -------------------------------------------------------------------------------------- */

static void ms_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const ms *q = L->params;
    ms_work w = {0};
    int ok = ms_work_get(q, SCR_MODEL, &w) == 0;
    for (size_t i0 = 0; i0 < m; i0 += MS_CHUNK) {
        size_t mc = m - i0 < MS_CHUNK ? m - i0 : MS_CHUNK;
        if (!ok) {
            nan_lanes(f, 1, 0, i0, mc);
            continue;
        }
        residual_chunk(q, &w, z, ld, i0, mc, 0);
        for (size_t i = 0; i < mc; i++) {
            double s = 0.0;
            for (size_t a = 0; a < q->P; a++)
                s += w.R[i * q->P + a] * w.R[i * q->P + a];
            f[i0 + i] = q->c * s;
        }
    }
}

static void ms_residuals(const mf_landscape *L, size_t m, const double *z, size_t ld, double *r,
                         size_t ldr) {
    const ms *q = L->params;
    ms_work w = {0};
    int ok = ms_work_get(q, SCR_MODEL, &w) == 0;
    for (size_t i0 = 0; i0 < m; i0 += MS_CHUNK) {
        size_t mc = m - i0 < MS_CHUNK ? m - i0 : MS_CHUNK;
        if (!ok) {
            nan_lanes(r, q->P, ldr, i0, mc);
            continue;
        }
        residual_chunk(q, &w, z, ld, i0, mc, 0);
        for (size_t i = 0; i < mc; i++)
            lane_put(r, ldr, q->P, i0 + i, w.R + i * q->P);
    }
}

static void ms_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const ms *q = L->params;
    const size_t n = q->n, d = q->d;
    const double c2 = 2.0 * q->c;
    ms_work w = {0};
    int ok = ms_work_get(q, SCR_MODEL, &w) == 0;
    for (size_t i0 = 0; i0 < m; i0 += MS_CHUNK) {
        size_t mc = m - i0 < MS_CHUNK ? m - i0 : MS_CHUNK;
        if (!ok) {
            nan_lanes(g, 2 * n, ldg, i0, mc);
            continue;
        }
        residual_chunk(q, &w, z, ld, i0, mc, 1);
        for (size_t i = 0; i < mc; i++) {
            const double *U = w.Z + i * 2 * n, *V = U + n, *S = w.S + i * n;
            mm(d, 1, 1, c2, S, V, 0.0, w.O);     /* 2c S^T V^T */
            mm(d, 1, 1, c2, U, S, 0.0, w.O + n); /* 2c U^T S^T */
            lane_put(g, ldg, 2 * n, i0 + i, w.O);
        }
    }
}

/* lanes i0..i0+m-1 (m <= MS_CHUNK/2) of H v: columns 2i (residuals) and 2i+1 (their
 * derivative along v_i) in both passes */
static void hvp_chunk(const ms *q, const ms_work *w, const double *z, size_t ld, const double *v,
                      size_t ldv, double *out, size_t ldo, size_t i0, size_t m) {
    const size_t n = q->n, d = q->d;
    const double c2 = 2.0 * q->c;
    for (size_t i = 0; i < m; i++) {
        double *Zi = w->Z + i * 2 * n, *Vi = w->DZ + i * 2 * n;
        lane_get(z, ld, 2 * n, i0 + i, Zi);
        lane_get(v, ldv, 2 * n, i0 + i, Vi);
        const double *U = Zi, *V = Zi + n, *dU = Vi, *dV = Vi + n;
        mm(d, 1, 1, 1.0, V, U, 0.0, w->W + 2 * i * n);        /* (U V)^T */
        mm(d, 1, 1, 1.0, V, dU, 0.0, w->W + (2 * i + 1) * n); /* (dU V + U dV)^T */
        mm(d, 1, 1, 1.0, dV, U, 1.0, w->W + (2 * i + 1) * n);
    }
    sweep(q, 2 * m, w->W, 0x55u, w->R, w->S); /* y only in the residual columns 0, 2, 4, 6 */
    for (size_t i = 0; i < m; i++) {
        const double *U = w->Z + i * 2 * n, *V = U + n, *dU = w->DZ + i * 2 * n, *dV = dU + n;
        const double *S = w->S + 2 * i * n, *dS = S + n;
        mm(d, 1, 1, c2, dS, V, 0.0, w->O); /* 2c (dS^T V^T + S^T dV^T) */
        mm(d, 1, 1, c2, S, dV, 1.0, w->O);
        mm(d, 1, 1, c2, dU, S, 0.0, w->O + n); /* 2c (dU^T S^T + U^T dS^T) */
        mm(d, 1, 1, c2, U, dS, 1.0, w->O + n);
        lane_put(out, ldo, 2 * n, i0 + i, w->O);
    }
}

static void ms_hvp(const mf_landscape *L, size_t m, const double *z, size_t ld, const double *v,
                   size_t ldv, double *out, size_t ldo) {
    const ms *q = L->params;
    ms_work w = {0};
    int ok = ms_work_get(q, SCR_MODEL, &w) == 0;
    for (size_t i0 = 0; i0 < m; i0 += MS_CHUNK / 2) {
        size_t mc = m - i0 < MS_CHUNK / 2 ? m - i0 : MS_CHUNK / 2;
        if (ok)
            hvp_chunk(q, &w, z, ld, v, ldv, out, ldo, i0, mc);
        else
            nan_lanes(out, 2 * q->n, ldo, i0, mc);
    }
}

/* dense Hessian, column l = H e_l by the hvp of one point */
static void ms_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                    size_t ldh) {
    const ms *q = L->params;
    const size_t D = 2 * q->n;
    ms_work w = {0};
    double *e = mf_scratch(SCR_FD, sizeof(double) * 3 * D);
    int ok = e && ms_work_get(q, SCR_MODEL, &w) == 0;
    for (size_t i = 0; i < m; i++) {
        if (!ok) {
            nan_lanes(h, D * D, ldh, i, 1);
            continue;
        }
        double *x = e + D, *o = x + D;
        lane_get(z, ld, D, i, x);
        memset(e, 0, sizeof(double) * D);
        for (size_t l = 0; l < D; l++) {
            e[l] = 1.0;
            hvp_chunk(q, &w, x, 1, e, 1, o, 1, 0, 1);
            e[l] = 0.0;
            for (size_t k = 0; k < D; k++)
                h[(k * D + l) * ldh + i] = o[k];
        }
    }
}

/* 2c (<V^T V, G1> + <U U^T, G2>) */
static void ms_trace(const mf_landscape *L, size_t m, const double *z, size_t ld, double *tr) {
    const ms *q = L->params;
    const size_t n = q->n, d = q->d;
    ms_work w = {0};
    int ok = ms_work_get(q, SCR_MODEL, &w) == 0;
    for (size_t i = 0; i < m; i++) {
        if (!ok) {
            tr[i] = NAN;
            continue;
        }
        double *U = w.Z, *V = U + n, *T = w.W;
        lane_get(z, ld, 2 * n, i, U);
        double s1 = 0.0, s2 = 0.0;
        mm(d, 1, 0, 1.0, V, V, 0.0, T);
        for (size_t k = 0; k < n; k++)
            s1 += T[k] * q->G1[k];
        mm(d, 0, 1, 1.0, U, U, 0.0, T);
        for (size_t k = 0; k < n; k++)
            s2 += T[k] * q->G2[k];
        tr[i] = 2.0 * q->c * (s1 + s2);
    }
}

/* |U V - X*|_F^2 / d (F eq. 13) */
static void ms_test_loss(const mf_landscape *L, size_t m, const double *z, size_t ld, double *out) {
    const ms *q = L->params;
    const size_t n = q->n, d = q->d;
    ms_work w = {0};
    int ok = ms_work_get(q, SCR_MODEL, &w) == 0;
    for (size_t i = 0; i < m; i++) {
        if (!ok) {
            out[i] = NAN;
            continue;
        }
        double *U = w.Z, *V = U + n, *X = w.W;
        lane_get(z, ld, 2 * n, i, U);
        mm(d, 0, 0, 1.0, U, V, 0.0, X);
        double s = 0.0;
        for (size_t k = 0; k < n; k++)
            s += (X[k] - q->Xs[k]) * (X[k] - q->Xs[k]);
        out[i] = s / (double)d;
    }
}

/* g -= s J^T xi = s (Xi^T V^T, U^T Xi^T), Xi = sum_a xi_a A_a: one pass 2 per chunk */
static void ms_residual_jt_sub(const mf_landscape *L, size_t m, const double *z, size_t ld,
                               double s, const double *xi, size_t ldxi, double *g, size_t ldg) {
    const ms *q = L->params;
    const size_t n = q->n, d = q->d, P = q->P;
    ms_work w = {0};
    int ok = ms_work_get(q, SCR_MODEL, &w) == 0;
    for (size_t i0 = 0; i0 < m; i0 += MS_CHUNK) {
        size_t mc = m - i0 < MS_CHUNK ? m - i0 : MS_CHUNK;
        if (!ok) {
            nan_lanes(g, 2 * n, ldg, i0, mc);
            continue;
        }
        for (size_t i = 0; i < mc; i++)
            lane_get(xi, ldxi, P, i0 + i, w.R + i * P);
        sweep(q, mc, NULL, 0, w.R, w.S);
        for (size_t i = 0; i < mc; i++) {
            double *U = w.Z, *V = U + n;
            const double *X = w.S + i * n;
            lane_get(z, ld, 2 * n, i0 + i, U);
            mm(d, 1, 1, 1.0, X, V, 0.0, w.O);
            mm(d, 1, 1, 1.0, U, X, 0.0, w.O + n);
            for (size_t k = 0; k < 2 * n; k++)
                g[k * ldg + i0 + i] -= s * w.O[k];
        }
    }
}

static void get_measurement(const ms *q, size_t a, double *Aa) {
    for (size_t k = 0; k < q->n; k++)
        Aa[k] = q->Af ? (double)q->Af[a * q->n + k] : q->Ad[a * q->n + k];
}

/* J (P x 2n): row a = (vec(A_a^T V^T), vec(U^T A_a^T)) */
static void ms_residual_jacobian(const mf_landscape *L, const double *z, double *J) {
    const ms *q = L->params;
    const size_t n = q->n, d = q->d;
    double *Aa = mf_scratch(SCR_FD2, sizeof(double) * n);
    if (!Aa) {
        for (size_t k = 0; k < q->P * 2 * n; k++)
            J[k] = NAN;
        return;
    }
    for (size_t a = 0; a < q->P; a++) {
        get_measurement(q, a, Aa);
        mm(d, 1, 1, 1.0, Aa, z + n, 0.0, J + a * 2 * n);
        mm(d, 1, 1, 1.0, z, Aa, 0.0, J + a * 2 * n + n);
    }
}

static void free_params(ms *q) {
    free(q->Ad), free(q->Af), free(q->y), free(q->Xs), free(q->G1), free(q->G2), free(q->x0);
}

static void ms_destroy(mf_landscape *L) {
    free_params(L->params);
}

/* L.Xstar, L.y, L.precision (mf_landscape_type.field) */
static int ms_field(const mf_landscape *L, const char *k, mf_field *o) {
    size_t d, P;
    int single;
    const double *Xs = mf_landscape_matrix_sensing_target(L, &d, NULL, &P, &single);
    if (strcmp(k, "Xstar") == 0)
        *o = (mf_field){.kind = MF_FIELD_MATRIX, .x = Xs, .rows = d, .cols = d};
    else if (strcmp(k, "y") == 0)
        *o = (mf_field){
            .kind = MF_FIELD_VECTOR, .x = mf_landscape_matrix_sensing_labels(L), .rows = P};
    else if (strcmp(k, "precision") == 0)
        *o = (mf_field){.kind = MF_FIELD_TEXT, .text = single ? "single" : "double"};
    else
        return 0;
    return 1;
}

MF_ISA_HIDDEN const mf_landscape_type MF_ISA_NAME(mf_ms_type) = {
    .name = "matrix_sensing",
    .value = ms_value,
    .grad = ms_grad,
    .hess = ms_hess,
    .hvp = ms_hvp,
    .trace_hessian = ms_trace,
    .project = mf_landscape_generic_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = mf_landscape_generic_dhess,
    .test_loss = ms_test_loss,
    .residuals = ms_residuals,
    .residual_jt_sub = ms_residual_jt_sub,
    .residual_jacobian = ms_residual_jacobian,
    .field = ms_field,
    .fields = "Xstar, y, precision",
    .destroy = ms_destroy,
};

/* ---- constructor (the baseline pass only: isa_impl.h) ------------------------------------ */
#ifndef MF_ISA_VARIANT
MF_ISA_DECLARE(const mf_landscape_type, mf_ms_type);

/* The measurement matrix is read in long row streams on every evaluation; on 2 MB pages the
 * streams cross no 4 KB page boundaries and need 512x fewer TLB entries (measured: -1.5 ms of
 * 24 per block-of-8 gradient at d = 100, P = 2500). Where the system has no transparent huge
 * pages this is an ordinary aligned allocation. Freed with free(). */
static void *alloc_measurements(size_t bytes) {
    const size_t huge = (size_t)2 << 20;
    if (bytes < huge) return malloc(bytes);
    void *p = NULL;
    if (posix_memalign(&p, huge, (bytes + huge - 1) / huge * huge)) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE); /* advice only */
#endif
    return p;
}

/* X* = the rank-r truncation of X0 (d x d, row-major) by its SVD (F A.2.1) */
static int truncate_rank(size_t d, size_t r, const double *X0, double *Xs) {
    double *a = malloc(sizeof(double) * (3 * d * d + 2 * d));
    if (!a) return -1;
    double *Us = a + d * d, *Vt = Us + d * d, *s = Vt + d * d, *sup = s + d;
    memcpy(a, X0, sizeof(double) * d * d);
    lapack_int info = LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'A', 'A', (lapack_int)d, (lapack_int)d, a,
                                     (lapack_int)d, s, Us, (lapack_int)d, Vt, (lapack_int)d, sup);
    if (info == 0) {
        memset(Xs, 0, sizeof(double) * d * d);
        for (size_t k = 0; k < r; k++)
            for (size_t i = 0; i < d; i++)
                for (size_t j = 0; j < d; j++)
                    Xs[i * d + j] += s[k] * Us[i * d + k] * Vt[k * d + j];
    }
    free(a);
    return info == 0 ? 0 : -1;
}

int mf_landscape_matrix_sensing(mf_landscape **out, size_t d, size_t r, size_t P, int single,
                                unsigned long long seed, mf_err *err) {
    *out = NULL;
    if (d < 1 || d > 4096)
        return mf_err_set(err, MF_EINVAL, "option 'd' must be in 1..4096, got %zu", d);
    if (r < 1 || r > d)
        return mf_err_set(err, MF_EINVAL, "option 'r' must be in 1..d = %zu, got %zu", d, r);
    if (P < 1) return mf_err_set(err, MF_EINVAL, "option 'P' must be >= 1, got %zu", P);
    const size_t n = d * d;
    if (P > ((size_t)1 << 34) / n)
        return mf_err_set(err, MF_EINVAL,
                          "P d^2 = %.3g measurement entries is too many (limit 2^34)",
                          (double)P * (double)n);
    int rcb = mf_budget_check((double)P * (double)n * (single ? 4.0 : 8.0), "the measurements",
                              "use fewer measurements P or precision = 'single'", err);
    if (rcb) return rcb;
    mf_landscape *L = calloc(1, sizeof *L);
    ms *q = calloc(1, sizeof *q);
    double *X0 = malloc(sizeof(double) * n);
    if (!L || !q || !X0) goto nomem;
    q->d = d, q->r = r, q->P = P, q->n = n, q->single = single != 0;
    q->c = 1.0 / ((double)d * (double)P);
    if (single)
        q->Af = alloc_measurements(sizeof(float) * P * n);
    else
        q->Ad = alloc_measurements(sizeof(double) * P * n);
    q->y = malloc(sizeof(double) * P);
    q->Xs = malloc(sizeof(double) * n);
    q->G1 = calloc(n, sizeof(double));
    q->G2 = calloc(n, sizeof(double));
    q->x0 = calloc(2 * n, sizeof(double));
    if (!(q->Af || q->Ad) || !q->y || !q->Xs || !q->G1 || !q->G2 || !q->x0) goto nomem;

    /* stream (seed, 0): X0 (d x d) first, then A_1..A_P, each row-major, so X* does not
     * depend on P and a larger P only appends measurements */
    mf_rng rg;
    mf_rng_seed(&rg, seed, 0);
    for (size_t k = 0; k < n; k++)
        X0[k] = mf_rng_normal(&rg);
    for (size_t k = 0; k < P * n; k++) { /* 25e6 draws at the defaults: poll Ctrl-C */
        if ((k & 0xffff) == 0 && mf_interrupt_pending()) {
            free_params(q), free(q), free(L), free(X0);
            return mf_err_set(err, MF_EINTR, "interrupted while drawing the measurements");
        }
        const double v = mf_rng_normal(&rg);
        if (single)
            q->Af[k] = (float)v;
        else
            q->Ad[k] = v;
    }
    if (truncate_rank(d, r, X0, q->Xs)) {
        free_params(q), free(q), free(L), free(X0);
        return mf_err_set(err, MF_EINVAL, "the SVD of the Gaussian matrix X0 failed");
    }
    /* y = Tr(A_i X*) from the stored measurements (pass 1 with W = vec(X*^T)) */
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            X0[j * d + i] = q->Xs[i * d + j];
    sweep(q, 1, X0, 0, q->y, NULL);
    /* G1 = sum A_a A_a^T, G2 = sum A_a^T A_a (upper triangles, then mirrored) */
    for (size_t a = 0; a < P; a++) {
        if ((a & 63) == 0 && mf_interrupt_pending()) { /* seconds for the papers' sizes */
            free_params(q), free(q), free(L), free(X0);
            return mf_err_set(err, MF_EINTR, "interrupted while building the measurements");
        }
        get_measurement(q, a, X0);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)d, (int)d, 1.0, X0, (int)d, 1.0,
                    q->G1, (int)d);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)d, 1.0, X0, (int)d, 1.0,
                    q->G2, (int)d);
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < i; j++)
            q->G1[i * d + j] = q->G1[j * d + i], q->G2[i * d + j] = q->G2[j * d + i];
    free(X0);
    for (size_t k = 0; k < d; k++) /* U = V = I (F A.2.1) */
        q->x0[k * d + k] = q->x0[n + k * d + k] = 1.0;
    L->type = MF_ISA_PICK(mf_ms_type);
    L->dim = 2 * n;
    /* the zero-loss set {A(U V) = y}: (U, V) -> U V is a submersion where U or V is invertible,
     * so the P conditions (at most d^2 independent ones) cut out a codimension min(P, d^2) */
    L->codim = P < n ? P : n;
    L->params = q;
    L->nres = P;
    L->res_weight = q->c;
    L->x0 = q->x0;
    *out = L;
    return MF_OK;
nomem:
    if (q) free_params(q);
    free(L), free(q), free(X0);
    return mf_err_set(err, MF_ENOMEM, "out of memory (the measurements need %.3g GB)",
                      (double)P * (double)n * (single ? 4.0 : 8.0) / 1e9);
}

const double *mf_landscape_matrix_sensing_target(const mf_landscape *L, size_t *d, size_t *r,
                                                 size_t *P, int *single) {
    const ms *q = L->params;
    if (d) *d = q->d;
    if (r) *r = q->r;
    if (P) *P = q->P;
    if (single) *single = q->single;
    return q->Xs;
}

const double *mf_landscape_matrix_sensing_labels(const mf_landscape *L) {
    return ((const ms *)L->params)->y;
}

void mf_landscape_matrix_sensing_measurement(const mf_landscape *L, size_t i, double *Ai) {
    get_measurement(L->params, i, Ai);
}
#endif /* MF_ISA_VARIANT */
