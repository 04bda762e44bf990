/* Matrix factorization's closed-form frame and exact Hessian derivative (landscape_mf.c):
 * - dhess equals the generic finite-difference dhess to its ~1e-6 relative accuracy, a central
 *   difference of exact Hessians (exact up to rounding: H_f is quadratic in z) to 1e-9, and is
 *   symmetric bit for bit;
 * - at points of M, T and N are orthonormal and orthogonal to each other to 1e-12, H N =
 *   N diag(lambda) to 1e-10 relative, H T = 0 to 1e-10 relative, the projector T T^T equals the
 *   generic frame's to 1e-10, and N equals the generic frame's N (same order and signs) to 1e-8
 *   where the normal eigenvalues are separated, bit for bit where they are not (then N is the
 *   generic one: m - p >= 2 or n - p >= 2 repeats the eigenvalue 0 of U U^T or V V^T);
 * - shapes up to 18x17x17 (p > 16: the small eigenproblems go to LAPACK);
 * - the tangent basis is a continuous function of z: moving z by eps moves T by O(eps) (ratios
 *   at eps = 1e-6 and 1e-8 agree within 1%), also at U = M, V = I where V^T V = I is degenerate;
 * - dhess_contract(W) = grad <W, H_f> equals sum_ab W_ab dhess(e)_ab for every unit e to 1e-12
 *   (W not symmetric), and the SGD flow's drift through it equals the drift through one dhess
 *   per tangent direction (the type without dhess_contract) to 1e-11;
 * - rank-deficient M (a larger tangent space) takes the generic frame, bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/landscape.h"
#include "mflab/manifold.h"
#include "mflab/rng.h"

static double maxabs(size_t n, const double *a) {
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        s = fmax(s, fabs(a[k]));
    return s;
}

static double maxdiff(size_t n, const double *a, const double *b) {
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        s = fmax(s, fabs(a[k] - b[k]));
    return s;
}

/* X^T Y for column-major d x a and d x b: the largest |entry - delta_ij| (delta when eye) */
static double gram_err(size_t d, const double *X, size_t a, const double *Y, size_t b, int eye) {
    double e = 0.0;
    for (size_t i = 0; i < a; i++)
        for (size_t j = 0; j < b; j++) {
            double s = 0.0;
            for (size_t r = 0; r < d; r++)
                s += X[i * d + r] * Y[j * d + r];
            e = fmax(e, fabs(s - (eye && i == j ? 1.0 : 0.0)));
        }
    return e;
}

/* P = X X^T (d x d) for column-major X (d x a) */
static void projector(size_t d, const double *X, size_t a, double *P) {
    for (size_t r = 0; r < d; r++)
        for (size_t s = 0; s < d; s++) {
            double t = 0.0;
            for (size_t i = 0; i < a; i++)
                t += X[i * d + r] * X[i * d + s];
            P[r * d + s] = t;
        }
}

static void check_dhess(const mf_landscape *L, const double *z, mf_rng *r, const char *where) {
    const size_t d = L->dim;
    double *v = malloc(sizeof(double) * (d + 2 * d + 5 * d * d));
    double *zp = v + d, *zm = zp + d, *E = zm + d, *G = E + d * d, *Hp = G + d * d,
           *Hm = Hp + d * d, *C = Hm + d * d;
    for (int trial = 0; trial < 3; trial++) {
        for (size_t k = 0; k < d; k++)
            v[k] = mf_rng_normal(r);
        L->type->dhess(L, z, v, E);
        mf_landscape_generic_dhess(L, z, v, G);
        const double scale = maxabs(d * d, E);
        CHECK(scale > 0, "%s: dhess is not zero", where);
        const double efd = maxdiff(d * d, E, G) / scale;
        CHECK(efd <= 1e-6, "%s: exact dhess vs generic finite difference: %.3g relative", where,
              efd);
        /* H is quadratic in z: its central difference is exact but for rounding */
        const double h = 1e-3;
        for (size_t k = 0; k < d; k++)
            zp[k] = z[k] + h * v[k], zm[k] = z[k] - h * v[k];
        mf_landscape_hess(L, zp, Hp);
        mf_landscape_hess(L, zm, Hm);
        for (size_t k = 0; k < d * d; k++)
            C[k] = (Hp[k] - Hm[k]) / (2.0 * h);
        const double ecd = maxdiff(d * d, E, C) / scale;
        CHECK(ecd <= 1e-9, "%s: exact dhess vs central difference (h = 1e-3): %.3g relative", where,
              ecd);
        int sym = 1;
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++)
                sym &= E[a * d + b] == E[b * d + a];
        CHECK(sym, "%s: dhess is symmetric", where);
        if (trial == 0)
            printf("  %s: dhess vs finite difference %.2g, vs central difference of H %.2g\n",
                   where, efd, ecd);
    }
    free(v);
}

static void check_contract(const mf_landscape *L, const double *z, mf_rng *r, const char *where) {
    const size_t d = L->dim;
    double *W = malloc(sizeof(double) * (2 * d * d + 3 * d)), *E = W + d * d, *g = E + d * d,
           *e = g + d, *ref = e + d;
    for (size_t k = 0; k < d * d; k++)
        W[k] = mf_rng_normal(r);
    L->type->dhess_contract(L, z, W, g);
    for (size_t a = 0; a < d; a++) {
        memset(e, 0, sizeof(double) * d);
        e[a] = 1.0;
        L->type->dhess(L, z, e, E);
        double s = 0.0;
        for (size_t k = 0; k < d * d; k++)
            s += W[k] * E[k];
        ref[a] = s;
    }
    const double err = maxdiff(d, g, ref) / maxabs(d, ref);
    printf("  %s: dhess_contract vs dhess per direction %.2g\n", where, err);
    CHECK(err <= 1e-12, "%s: dhess_contract = <W, dhess(e)>: %.3g relative", where, err);
    free(W);
}

/* the SGD flow's drift (isotropic noise: the Lyapunov force) with dhess_contract and with one
 * dhess per tangent direction (the same type without the hook) */
static void check_drift(mf_landscape *L, const double *z, const char *where) {
    mf_optim o;
    mf_optim_sgd(&o, 1e-3, NULL);
    mf_noise nz;
    mf_noise_isotropic(&nz, 2.0, MF_SPACE_FULL, NULL);
    const size_t d = L->dim;
    double *a = malloc(sizeof(double) * 2 * d), *b = a + d;
    mf_flow *fl;
    mf_err err;
    CHECK(mf_flow_new(&fl, L, &o, &nz, 1, &err) == MF_OK, "flow: %s", err.msg);
    CHECK(mf_flow_drift(fl, z, a, &err) == MF_OK, "drift: %s", err.msg);
    mf_flow_free(fl);
    const mf_landscape_type *type = L->type;
    mf_landscape_type plain = *type;
    plain.dhess_contract = NULL;
    L->type = &plain;
    CHECK(mf_flow_new(&fl, L, &o, &nz, 1, &err) == MF_OK, "flow: %s", err.msg);
    CHECK(mf_flow_drift(fl, z, b, &err) == MF_OK, "drift: %s", err.msg);
    mf_flow_free(fl);
    L->type = type;
    const double e = maxdiff(d, a, b) / maxabs(d, b);
    printf("  %s: drift with dhess_contract vs per direction %.2g (|drift| %.3g)\n", where, e,
           maxabs(d, b));
    /* the drift is a small difference of the per-direction terms: rounding shows at ~4e-13 of
     * it on 3x6x3 */
    CHECK(maxabs(d, b) > 0 && e <= 1e-11, "%s: the same drift either way: %.3g relative", where, e);
    free(a);
}

/* frame checks at a point z of M; separated: the normal eigenvalues are distinct, so N is the
 * closed form and equals the generic N to rounding; otherwise N is the generic N */
static void check_frame(const mf_landscape *L, const double *z, int separated, const char *where) {
    const size_t d = L->dim, c = L->codim, k = d - c;
    double *T = malloc(sizeof(double) * (4 * d * d + 2 * d * d + d * d));
    double *N = T + d * k, *Tg = N + d * c, *Ng = Tg + d * k, *H = Ng + d * c, *P1 = H + d * d,
           *P2 = P1 + d * d;
    mf_err err;
    CHECK(mf_landscape_frame(L, z, T, N, &err) == MF_OK, "%s: frame: %s", where, err.msg);
    mf_landscape_generic_frame(L, z, Tg, Ng);
    const double ett = gram_err(d, T, k, T, k, 1), enn = gram_err(d, N, c, N, c, 1),
                 etn = gram_err(d, T, k, N, c, 0);
    CHECK(ett <= 1e-12, "%s: T^T T = I: %.3g", where, ett);
    CHECK(enn <= 1e-12, "%s: N^T N = I: %.3g", where, enn);
    /* the generic N is accurate to ~eps |H| / (smallest normal eigenvalue): up to 7e-13 here */
    CHECK(etn <= (separated ? 1e-12 : 1e-11), "%s: T^T N = 0: %.3g", where, etn);
    mf_landscape_hess(L, z, H);
    const double hn = maxabs(d * d, H);
    double ehn = 0.0, eht = 0.0, lprev = -1.0;
    int ascending = 1, signs = 1;
    for (size_t j = 0; j < c; j++) { /* H n_j = lambda_j n_j, lambda_j = n_j^T H n_j */
        const double *nj = N + j * d;
        double lam = 0.0, big = 0.0, at = 0.0;
        for (size_t a = 0; a < d; a++) {
            double s = 0.0;
            for (size_t b = 0; b < d; b++)
                s += H[a * d + b] * nj[b];
            lam += nj[a] * s;
        }
        for (size_t a = 0; a < d; a++) {
            double s = 0.0;
            for (size_t b = 0; b < d; b++)
                s += H[a * d + b] * nj[b];
            ehn = fmax(ehn, fabs(s - lam * nj[a]));
            if (fabs(nj[a]) > big) big = fabs(nj[a]), at = nj[a];
        }
        ascending &= lam >= lprev - 1e-12 * hn;
        signs &= at > 0;
        lprev = lam;
    }
    for (size_t j = 0; j < k; j++) /* H t_j = 0 */
        for (size_t a = 0; a < d; a++) {
            double s = 0.0;
            for (size_t b = 0; b < d; b++)
                s += H[a * d + b] * T[j * d + b];
            eht = fmax(eht, fabs(s));
        }
    CHECK(ehn <= 1e-10 * hn, "%s: H N = N diag(lambda): %.3g of |H| %.3g", where, ehn, hn);
    CHECK(eht <= 1e-10 * hn, "%s: H T = 0: %.3g of |H| %.3g", where, eht, hn);
    CHECK(ascending, "%s: normal eigenvalues ascending", where);
    CHECK(signs, "%s: each normal vector's largest entry is positive", where);
    projector(d, T, k, P1);
    projector(d, Tg, k, P2);
    const double ep = maxdiff(d * d, P1, P2);
    CHECK(ep <= 1e-10, "%s: T T^T equals the generic frame's: %.3g", where, ep);
    const double eng = maxdiff(d * c, N, Ng);
    const int same = memcmp(N, Ng, sizeof(double) * d * c) == 0;
    if (separated)
        CHECK(!same && eng <= 1e-8, "%s: N (closed form) equals the generic N: %.3g", where, eng);
    else
        CHECK(same, "%s: N not separated: the generic N", where);
    printf("  %s: |T^T T - I| %.2g, |N^T N - I| %.2g, |T^T N| %.2g, |HN - N lam| %.2g, |HT| %.2g "
           "(|H| %.3g), |TT^T - generic| %.2g, |N - generic| %.2g\n",
           where, ett, enn, etn, ehn, eht, hn, ep, eng);
    /* deterministic: the same point gives the same bits */
    CHECK(mf_landscape_frame(L, z, Tg, Ng, &err) == MF_OK &&
              memcmp(T, Tg, sizeof(double) * d * k) == 0 &&
              memcmp(N, Ng, sizeof(double) * d * c) == 0,
          "%s: the same frame twice, bit for bit", where);
    free(T);
}

/* |T(z + eps v) - T(z)| / eps at eps = 1e-6 and 1e-8: bounded and equal within 1% (T is
 * differentiable in z); z + eps v need not lie on M, the tangent basis is defined from U, V. */
static void check_continuity(const mf_landscape *L, const double *z, mf_rng *r, const char *where) {
    const size_t d = L->dim, c = L->codim, k = d - c;
    double *T0 = malloc(sizeof(double) * (2 * d * d + 2 * d)), *T1 = T0 + d * k, *N = T1 + d * k,
           *v = N + d * c, *zp = v + d;
    double nv = 0.0;
    for (size_t a = 0; a < d; a++)
        v[a] = mf_rng_normal(r), nv += v[a] * v[a];
    for (size_t a = 0; a < d; a++)
        v[a] /= sqrt(nv);
    L->type->frame(L, z, T0, N);
    double ratio[2];
    for (int e = 0; e < 2; e++) {
        const double eps = e ? 1e-8 : 1e-6;
        for (size_t a = 0; a < d; a++)
            zp[a] = z[a] + eps * v[a];
        L->type->frame(L, zp, T1, N);
        ratio[e] = maxdiff(d * k, T0, T1) / eps;
    }
    printf("  %s: |dT|/eps %.4g (eps 1e-6), %.4g (eps 1e-8)\n", where, ratio[0], ratio[1]);
    CHECK(ratio[0] < 10.0 && fabs(ratio[1] - ratio[0]) <= 0.01 * ratio[0],
          "%s: T moves by O(eps): %g, %g", where, ratio[0], ratio[1]);
    free(T0);
}

static void run(size_t m, size_t n, size_t p, unsigned long long seed) {
    const int separated = m - p < 2 && n - p < 2;
    mf_landscape *L;
    mf_err err;
    CHECK(mf_landscape_matrix_factorization(&L, m, n, p, NULL, seed, &err) == MF_OK, "mf: %s",
          err.msg);
    const size_t d = L->dim;
    double *z = malloc(sizeof(double) * d);
    mf_rng r;
    mf_rng_seed(&r, seed, 11);
    char where[64];
    for (int trial = 0; trial < 2; trial++) {
        for (size_t k = 0; k < d; k++)
            z[k] = mf_rng_normal(&r);
        snprintf(where, sizeof where, "%zux%zux%zu #%d off M", m, n, p, trial);
        check_dhess(L, z, &r, where);
        CHECK(mf_landscape_project(L, z, z, &err) == MF_OK, "project: %s", err.msg);
        snprintf(where, sizeof where, "%zux%zux%zu #%d on M", m, n, p, trial);
        check_dhess(L, z, &r, where);
        check_contract(L, z, &r, where);
        check_frame(L, z, separated, where);
        check_drift(L, z, where);
        check_continuity(L, z, &r, where);
    }
    free(z);
    mf_landscape_free(L);
}

int main(void) {
    run(5, 5, 5, 4);
    run(5, 5, 5, 9);
    run(18, 17, 17, 8);
    run(5, 4, 4, 6);
    run(4, 3, 2, 3);
    run(3, 6, 3, 5);
    {
        /* quasistatic Fig. 2's start U = M, V = I: V V^T = I makes the normal eigenvalues
         * 2 (a_i + 1) five-fold degenerate (N is then the generic frame's) and V^T V = I
         * makes Loewdin's K degenerate: T must still be continuous there */
        mf_landscape *L;
        mf_err err;
        CHECK(mf_landscape_matrix_factorization(&L, 5, 5, 5, NULL, 4, &err) == MF_OK, "mf: %s",
              err.msg);
        mf_rng r;
        mf_rng_seed(&r, 4, 12);
        check_frame(L, L->x0, 0, "5x5x5 at U = M, V = I");
        check_continuity(L, L->x0, &r, "5x5x5 at U = M, V = I");
        check_dhess(L, L->x0, &r, "5x5x5 at U = M, V = I");
        mf_landscape_free(L);
    }
    {
        /* rank M = 2 < p = 3: the tangent space is larger than {(U G, -V G^T)}; the frame is
         * the generic one, bit for bit */
        const size_t m = 4, n = 4, p = 3, d = (m + n) * p;
        double A[8], Bm[8], M[16];
        mf_rng r;
        mf_rng_seed(&r, 21, 0);
        for (size_t k = 0; k < 8; k++)
            A[k] = mf_rng_normal(&r), Bm[k] = mf_rng_normal(&r);
        for (size_t a = 0; a < m; a++)
            for (size_t b = 0; b < n; b++)
                M[a * n + b] = A[a * 2] * Bm[b * 2] + A[a * 2 + 1] * Bm[b * 2 + 1];
        mf_landscape *L;
        mf_err err;
        CHECK(mf_landscape_matrix_factorization(&L, m, n, p, M, 0, &err) == MF_OK, "mf: %s",
              err.msg);
        CHECK(L->codim == (m + n) * 2 - 4, "rank 2: codim %zu", L->codim);
        double z[24], T[24 * 24], N[24 * 24], Tg[24 * 24], Ng[24 * 24];
        for (size_t k = 0; k < d; k++)
            z[k] = mf_rng_normal(&r);
        CHECK(mf_landscape_project(L, z, z, &err) == MF_OK, "project: %s", err.msg);
        const size_t c = L->codim, k = d - c;
        L->type->frame(L, z, T, N);
        mf_landscape_generic_frame(L, z, Tg, Ng);
        CHECK(memcmp(T, Tg, sizeof(double) * d * k) == 0 &&
                  memcmp(N, Ng, sizeof(double) * d * c) == 0,
              "rank-deficient M: the generic frame");
        check_dhess(L, z, &r, "4x4x3 rank 2");
        mf_landscape_free(L);
    }
    return check_summary();
}
