/* Top eigenpairs of a symmetric map by Lanczos with full reorthogonalization. */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mflab/analysis.h"
#include "mflab/interrupt.h"
#include "mflab/rng.h"

/* a . b in 8 partial sums (element i into sum i mod 8), added pairwise at the end: one
 * running sum is bound by the adder's latency (4 cycles an element; 61% of sharpness Fig. 11
 * was spent there), eight independent ones by its throughput. The order is fixed by the code,
 * so the bits do not depend on the instruction set or the compiler's vectorization. */
static double dot(const double *a, const double *b, size_t n) {
    double s[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++)
            s[j] += a[i + j] * b[i + j];
    for (size_t j = 0; i < n; i++, j++)
        s[j] += a[i] * b[i];
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

/* w -= sum_i (q_i . w) q_i over the first m columns of Q, twice ("twice is enough",
 * Giraud et al. 2005), which keeps the basis orthogonal to working precision. */
static void reorthogonalize(const double *Q, size_t n, size_t m, double *w) {
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m; i++) {
            double c = dot(Q + i * n, w, n);
            for (size_t r = 0; r < n; r++)
                w[r] -= c * Q[i * n + r];
        }
}

/* A fresh unit vector orthogonal to the first m columns of Q; 0 if none can be found. */
static int random_direction(mf_rng *g, const double *Q, size_t n, size_t m, double *w) {
    for (int attempt = 0; attempt < 5; attempt++) {
        for (size_t r = 0; r < n; r++)
            w[r] = mf_rng_normal(g);
        reorthogonalize(Q, n, m, w);
        double nrm = sqrt(dot(w, w, n));
        if (nrm > 1e-8) {
            for (size_t r = 0; r < n; r++)
                w[r] /= nrm;
            return 1;
        }
    }
    return 0;
}

static size_t clamp_maxiter(size_t n, size_t k, size_t maxiter) {
    if (maxiter == 0 || maxiter > n) maxiter = n;
    if (maxiter < k) maxiter = k;
    return maxiter;
}

size_t mf_lanczos_work_size(size_t n, size_t k, size_t maxiter) {
    size_t m = clamp_maxiter(n, k, maxiter);
    /* Q (n x (m+1)), w, alpha, beta, d, e, S (m x m), dstev's work (2m - 2); the convergence
     * test's dstevr: Z (m x k), its eigenvalues (k), work (20 m), iwork (10 m) and isuppz (2 k)
     * ints */
    return n * (m + 1) + n + 4 * m + m * m + 2 * m + 1 + m * k + k + 20 * m + (10 * m + 2 * k) / 2 +
           2;
}

int mf_lanczos_top(size_t n, mf_matvec_fn f, void *ctx, size_t k, double tol, size_t maxiter,
                   uint64_t seed, double *evals, double *evecs, size_t *nmatvec, mf_err *err) {
    if (nmatvec) *nmatvec = 0;
    if (n == 0 || k == 0) return mf_err_set(err, MF_EINVAL, "k and the dimension must be >= 1");
    if (k > n) return mf_err_set(err, MF_EINVAL, "k = %zu is larger than the dimension %zu", k, n);
    double *work = malloc(sizeof(double) * mf_lanczos_work_size(n, k, maxiter));
    if (!work)
        return mf_err_set(err, MF_ENOMEM, "out of memory for %zu Lanczos vectors of %zu",
                          clamp_maxiter(n, k, maxiter), n);
    int rc = mf_lanczos_top_ws(n, f, ctx, k, tol, maxiter, seed, evals, evecs, nmatvec, work, err);
    free(work);
    return rc;
}

int mf_lanczos_top_ws(size_t n, mf_matvec_fn f, void *ctx, size_t k, double tol, size_t maxiter,
                      uint64_t seed, double *evals, double *evecs, size_t *nmatvec, double *work,
                      mf_err *err) {
    if (n == 0 || k == 0) return mf_err_set(err, MF_EINVAL, "k and the dimension must be >= 1");
    if (k > n) return mf_err_set(err, MF_EINVAL, "k = %zu is larger than the dimension %zu", k, n);
    if (!(tol > 0.0)) return mf_err_set(err, MF_EINVAL, "tol must be > 0, got %g", tol);
    maxiter = clamp_maxiter(n, k, maxiter);
    double *Q = work, *w = Q + n * (maxiter + 1), *alpha = w + n, *beta = alpha + maxiter,
           *d = beta + maxiter, *e = d + maxiter, *S = e + maxiter, *sw = S + maxiter * maxiter;
    double *Z = sw + 2 * maxiter + 1, *zw = Z + maxiter * k, *rw = zw + k;
    lapack_int *iw = (lapack_int *)(rw + 20 * maxiter), *isuppz = iw + 10 * maxiter;
    int rc = MF_OK;
    size_t count = 0, m = 0;
    mf_rng g;
    mf_rng_seed(&g, seed, 0);
    random_direction(&g, Q, n, 0, Q);
    int converged = 0;
    for (size_t j = 0; j < maxiter; j++) {
        double *q = Q + j * n;
        if ((rc = f(ctx, q, w, err))) goto done;
        count++;
        alpha[j] = dot(q, w, n);
        reorthogonalize(Q, n, j + 1, w);
        double b = sqrt(dot(w, w, n));
        m = j + 1;
        if (m >= k) {
            /* The test needs the k largest eigenpairs of the tridiagonal T_m only, and of their
             * vectors only the last entries: dstevr finds just those (O(m k)) where dstev's
             * full eigendecomposition is O(m^3) an iteration (a fifth of sharpness Fig. 11).
             * The results come from dstev on the final T_m below, as before. */
            memcpy(d, alpha, m * sizeof *d);
            if (m > 1) memcpy(e, beta, (m - 1) * sizeof *e);
            lapack_int nf = 0;
            lapack_int info = LAPACKE_dstevr_work(
                LAPACK_COL_MAJOR, 'V', 'I', (lapack_int)m, d, e, 0.0, 0.0, (lapack_int)(m - k + 1),
                (lapack_int)m, 0.0, &nf, zw, Z, (lapack_int)m, isuppz, rw, (lapack_int)(20 * m), iw,
                (lapack_int)(10 * m));
            if (info != 0 || nf != (lapack_int)k) {
                rc = mf_err_set(err, MF_EINVAL, "tridiagonal eigensolver failed (LAPACK info %d)",
                                (int)info);
                goto done;
            }
            converged = 1;
            for (size_t i = 0; i < k; i++) { /* zw ascending: the largest is the last */
                size_t col = k - 1 - i;
                double res = fabs(b * Z[col * m + (m - 1)]);
                if (res > tol * fabs(zw[col])) converged = 0;
            }
            if (converged || m == maxiter) break;
        }
        if (mf_interrupt_pending()) {
            rc = mf_err_set(err, MF_EINTR, "interrupted after %zu products", count);
            goto done;
        }
        if (b <= 1e-12 * (fabs(alpha[j]) + (j ? beta[j - 1] : 0.0) + 1e-300)) {
            /* invariant subspace found: continue in a fresh direction; T decouples (beta = 0) */
            beta[j] = 0.0;
            if (!random_direction(&g, Q, n, m, Q + m * n)) break;
        } else {
            beta[j] = b;
            for (size_t r = 0; r < n; r++)
                Q[m * n + r] = w[r] / b;
        }
    }
    { /* eigenpairs of the final tridiagonal T_m (ascending) */
        memcpy(d, alpha, m * sizeof *d);
        if (m > 1) memcpy(e, beta, (m - 1) * sizeof *e);
        lapack_int info =
            LAPACKE_dstev_work(LAPACK_COL_MAJOR, 'V', (lapack_int)m, d, e, S, (lapack_int)m, sw);
        if (info != 0) {
            rc = mf_err_set(err, MF_EINVAL, "tridiagonal eigensolver failed (LAPACK info %d)",
                            (int)info);
            goto done;
        }
    }
    for (size_t i = 0; i < k; i++) {
        size_t col = m - 1 - i;
        evals[i] = d[col];
        if (!evecs) continue;
        double *v = evecs + i * n; /* Ritz vector Q_m s */
        memset(v, 0, n * sizeof *v);
        for (size_t c = 0; c < m; c++) {
            double s = S[col * m + c];
            for (size_t r = 0; r < n; r++)
                v[r] += s * Q[c * n + r];
        }
    }
    (void)converged;
done:
    if (nmatvec) *nmatvec = count;
    return rc;
}
