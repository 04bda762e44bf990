/* Models with a batch-normalized output (normalization-sharpness paper, §5 and App. P.1;
 * doc/math.md §1): linear regression with BN and matrix completion with BN. Both are
 * scale-invariant, L(c w) = L(w), and share one structure. The model's raw outputs on the
 * training set form a vector a = A(w) in R^N (linear regression: a = Xc w with Xc the centered
 * inputs; completion: a_k = [U V^T]_ij over the observed entries), the normalization turns it
 * into gamma sqrt(N) a/|a| (+ beta), and the loss against targets t with |t|^2 = N gamma^2
 * (centered y, or M on the observed entries) is
 *   L = (1/N) |gamma sqrt(N) u - t|^2 = gamma^2 |u - q|^2 = 2 gamma^2 (1 - u . q),
 * u = a/|a|, q = t/|t|: one minus the cosine of the angle between outputs and targets. It is
 * computed as gamma^2 |u - q|^2, which keeps full relative precision near the minima (1 - u.q
 * would cancel to rounding noise below ~1e-16); likewise 1 - u.q = |u - q|^2/2 below.
 * With c0 = 2 gamma^2 and e = u - q:
 *   p := dL/da = -(c0/|a|) (q - (u.q) u) = (c0/|a|) (e - (|e|^2/2) u),
 *   G := d2L/da2 = (c0/|a|^2) (q u^T + u q^T + (u.q)(I - 3 u u^T)),
 *   grad L = J^T p,   H v = J^T G J v + sum_k p_k hess(a_k) v,   J = da/dw,
 *   Tr H = Tr(G J J^T) = (c0/|a|^2) (2 (J^T q).(J^T u) + (u.q)(|J|_F^2 - 3 |J^T u|^2)),
 * since hess(a_k) is 0 (linear regression) or has a zero diagonal (a_k = U_i . V_j).
 *
 * Statistics use 1/N, not 1/(N-1): BN normalizes by the batch's own (biased) statistics, and
 * the paper's App. R.1 fixes gamma = sqrt((1/n) sum (y_i - mean y)^2); with the same
 * convention in sigma_1 the targets are reachable (zero loss). Completion's sigma and gamma
 * are second moments (1/N) sum over the observed entries (App. P.1: no mean is subtracted). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa_impl.h"
#include "landscape_impl.h"
#include "mflab/landscape.h"
#include "mflab/rng.h"

enum { BN_LINREG, BN_COMPLETION };

typedef struct bn {
    int kind;
    size_t N;     /* length of a: examples, or observed entries */
    size_t D;     /* parameters */
    double gamma; /* target scale: std of y, or root mean square of the observed M */
    double c0;    /* 2 gamma^2 */
    double *q;    /* N: the unit target direction t/|t| */
    double jf2;   /* linear regression: |J|_F^2 = |Xc|_F^2 */
    /* linear regression */
    size_t n, d;
    double *X, *Xc, *y, *mux; /* n x d, n x d, n, d */
    double muy;
    double *wgt, bgt; /* the ground truth */
    double *wmn, bmn; /* the min-norm interpolant, problem (M) */
    double *var;      /* d: population variances (k+1)/d of the inputs */
    /* completion */
    size_t dm, rank;
    double *M;       /* dm x dm row-major */
    size_t *oi, *oj; /* observed entries, row-major order */
    double *x0;
} bn;

/* ---- the model maps A, J, J^T and the curvature of A --------------------------------------- */

/* a = A(w) */
static void bn_a(const bn *q, const double *w, double *a) {
    if (q->kind == BN_LINREG) {
        for (size_t i = 0; i < q->n; i++) {
            double s = 0.0;
            for (size_t k = 0; k < q->d; k++)
                s += q->Xc[i * q->d + k] * w[k];
            a[i] = s;
        }
        return;
    }
    const size_t d = q->dm, nu = d * d;
    size_t k = 0;
    /* four entries at a time: four running sums in flight instead of one chain bound by the
     * adder's latency; each sum keeps its order (the same bits) */
    for (; k + 4 <= q->N; k += 4) {
        const double *U0 = w + q->oi[k] * d, *V0 = w + nu + q->oj[k] * d;
        const double *U1 = w + q->oi[k + 1] * d, *V1 = w + nu + q->oj[k + 1] * d;
        const double *U2 = w + q->oi[k + 2] * d, *V2 = w + nu + q->oj[k + 2] * d;
        const double *U3 = w + q->oi[k + 3] * d, *V3 = w + nu + q->oj[k + 3] * d;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (size_t c = 0; c < d; c++) {
            s0 += U0[c] * V0[c];
            s1 += U1[c] * V1[c];
            s2 += U2[c] * V2[c];
            s3 += U3[c] * V3[c];
        }
        a[k] = s0, a[k + 1] = s1, a[k + 2] = s2, a[k + 3] = s3;
    }
    for (; k < q->N; k++) {
        const double *U = w + q->oi[k] * d, *V = w + nu + q->oj[k] * d;
        double s = 0.0;
        for (size_t c = 0; c < d; c++)
            s += U[c] * V[c];
        a[k] = s;
    }
}

/* b = J v */
static void bn_jv(const bn *q, const double *w, const double *v, double *b) {
    if (q->kind == BN_LINREG) {
        bn_a(q, v, b); /* linear */
        return;
    }
    const size_t d = q->dm, nu = d * d;
    size_t k = 0;
    for (; k + 2 <= q->N; k += 2) { /* two running sums in flight, as bn_a */
        const size_t i0 = q->oi[k], j0 = q->oj[k], i1 = q->oi[k + 1], j1 = q->oj[k + 1];
        const double *U0 = w + i0 * d, *V0 = w + nu + j0 * d, *dU0 = v + i0 * d,
                     *dV0 = v + nu + j0 * d;
        const double *U1 = w + i1 * d, *V1 = w + nu + j1 * d, *dU1 = v + i1 * d,
                     *dV1 = v + nu + j1 * d;
        double s0 = 0.0, s1 = 0.0;
        for (size_t c = 0; c < d; c++) {
            s0 += dU0[c] * V0[c] + U0[c] * dV0[c];
            s1 += dU1[c] * V1[c] + U1[c] * dV1[c];
        }
        b[k] = s0, b[k + 1] = s1;
    }
    for (; k < q->N; k++) {
        const size_t i = q->oi[k], j = q->oj[k];
        const double *U = w + i * d, *V = w + nu + j * d, *dU = v + i * d, *dV = v + nu + j * d;
        double s = 0.0;
        for (size_t c = 0; c < d; c++)
            s += dU[c] * V[c] + U[c] * dV[c];
        b[k] = s;
    }
}

/* out = J^T p */
static void bn_jt(const bn *q, const double *w, const double *p, double *out) {
    memset(out, 0, sizeof(double) * q->D);
    if (q->kind == BN_LINREG) {
        for (size_t i = 0; i < q->n; i++)
            for (size_t k = 0; k < q->d; k++)
                out[k] += q->Xc[i * q->d + k] * p[i];
        return;
    }
    const size_t d = q->dm, nu = d * d;
    for (size_t k = 0; k < q->N; k++) {
        const size_t i = q->oi[k], j = q->oj[k];
        const double *U = w + i * d, *V = w + nu + j * d;
        double *gU = out + i * d, *gV = out + nu + j * d;
        for (size_t c = 0; c < d; c++)
            gU[c] += p[k] * V[c], gV[c] += p[k] * U[c];
    }
}

/* out += sum_k p_k hess(a_k) v: (dU, dV) -> (p_k dV_j into U_i, p_k dU_i into V_j) */
static void bn_curv(const bn *q, const double *p, const double *v, double *out) {
    if (q->kind == BN_LINREG) return;
    const size_t d = q->dm, nu = d * d;
    for (size_t k = 0; k < q->N; k++) {
        const size_t i = q->oi[k], j = q->oj[k];
        const double *dU = v + i * d, *dV = v + nu + j * d;
        double *oU = out + i * d, *oV = out + nu + j * d;
        for (size_t c = 0; c < d; c++)
            oU[c] += p[k] * dV[c], oV[c] += p[k] * dU[c];
    }
}

/* |J|_F^2 = sum_k |grad a_k|^2 */
static double bn_jf2(const bn *q, const double *w) {
    if (q->kind == BN_LINREG) return q->jf2;
    const size_t d = q->dm, nu = d * d;
    double s = 0.0;
    for (size_t k = 0; k < q->N; k++) {
        const double *U = w + q->oi[k] * d, *V = w + nu + q->oj[k] * d;
        for (size_t c = 0; c < d; c++)
            s += U[c] * U[c] + V[c] * V[c];
    }
    return s;
}

/* ---- the cosine loss in a ------------------------------------------------------------------- */

typedef struct cosine {
    double na; /* |a| */
    double e2; /* |u - q|^2 */
    double uq; /* u . q = 1 - |u - q|^2/2 */
} cosine;

/* u (in place of a) and the loss */
static cosine bn_cos(const bn *q, double *a) {
    cosine c = {mf_norm2(q->N, a), 0.0, 0.0};
    for (size_t k = 0; k < q->N; k++) {
        a[k] /= c.na;
        c.e2 += (a[k] - q->q[k]) * (a[k] - q->q[k]);
    }
    c.uq = 1.0 - 0.5 * c.e2;
    return c;
}

/* p = dL/da from u */
static void bn_p(const bn *q, cosine c, const double *u, double *p) {
    const double s = q->c0 / c.na, h = 0.5 * c.e2;
    for (size_t k = 0; k < q->N; k++)
        p[k] = s * ((u[k] - q->q[k]) - h * u[k]);
}

/* b <- G b */
static void bn_G(const bn *q, cosine c, const double *u, double *b) {
    double ub = 0.0, qb = 0.0;
    for (size_t k = 0; k < q->N; k++)
        ub += u[k] * b[k], qb += q->q[k] * b[k];
    const double s = q->c0 / (c.na * c.na);
    for (size_t k = 0; k < q->N; k++)
        b[k] = s * (q->q[k] * ub + u[k] * qb + c.uq * (b[k] - 3.0 * u[k] * ub));
}

/* per-lane work: x, v, out, t (D each), u, p, b (N each) */
static double *bn_work(const bn *q) {
    return mf_scratch(SCR_MODEL, sizeof(double) * (4 * q->D + 3 * q->N + 1));
}

static void nan_lane(double *g, size_t ldg, size_t n, size_t i) {
    for (size_t k = 0; k < n; k++)
        g[k * ldg + i] = NAN;
}

static void bn_value(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f) {
    const bn *q = L->params;
    double *w = bn_work(q);
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            f[i] = NAN;
            continue;
        }
        double *x = w, *u = w + 4 * q->D;
        lane_get(z, ld, q->D, i, x);
        bn_a(q, x, u);
        cosine c = bn_cos(q, u);
        f[i] = 0.5 * q->c0 * c.e2;
    }
}

static void bn_grad(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                    size_t ldg) {
    const bn *q = L->params;
    double *w = bn_work(q);
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            nan_lane(g, ldg, q->D, i);
            continue;
        }
        double *x = w, *o = w + 2 * q->D, *u = w + 4 * q->D, *p = u + q->N;
        lane_get(z, ld, q->D, i, x);
        bn_a(q, x, u);
        cosine c = bn_cos(q, u);
        bn_p(q, c, u, p);
        bn_jt(q, x, p, o);
        lane_put(g, ldg, q->D, i, o);
    }
}

/* o = H(x) v; u and p hold the point's u and dL/da, b is work */
static void bn_point_hvp(const bn *q, cosine c, const double *x, const double *u, const double *p,
                         const double *v, double *b, double *o) {
    bn_jv(q, x, v, b);
    bn_G(q, c, u, b);
    bn_jt(q, x, b, o);
    bn_curv(q, p, v, o);
}

static void bn_hvp(const mf_landscape *L, size_t m, const double *z, size_t ld, const double *v,
                   size_t ldv, double *out, size_t ldo) {
    const bn *q = L->params;
    double *w = bn_work(q);
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            nan_lane(out, ldo, q->D, i);
            continue;
        }
        double *x = w, *vv = x + q->D, *o = vv + q->D, *u = w + 4 * q->D, *p = u + q->N,
               *b = p + q->N;
        lane_get(z, ld, q->D, i, x);
        lane_get(v, ldv, q->D, i, vv);
        bn_a(q, x, u);
        cosine c = bn_cos(q, u);
        bn_p(q, c, u, p);
        bn_point_hvp(q, c, x, u, p, vv, b, o);
        lane_put(out, ldo, q->D, i, o);
    }
}

/* dense: column l is H e_l */
static void bn_hess(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                    size_t ldh) {
    const bn *q = L->params;
    const size_t D = q->D;
    double *w = bn_work(q);
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            nan_lane(h, ldh, D * D, i);
            continue;
        }
        double *x = w, *e = x + D, *o = e + D, *u = w + 4 * D, *p = u + q->N, *b = p + q->N;
        lane_get(z, ld, D, i, x);
        bn_a(q, x, u);
        cosine c = bn_cos(q, u);
        bn_p(q, c, u, p);
        memset(e, 0, sizeof(double) * D);
        for (size_t l = 0; l < D; l++) {
            e[l] = 1.0;
            bn_point_hvp(q, c, x, u, p, e, b, o);
            e[l] = 0.0;
            for (size_t k = 0; k < D; k++)
                h[(k * D + l) * ldh + i] = o[k];
        }
    }
}

static void bn_trace(const mf_landscape *L, size_t m, const double *z, size_t ld, double *tr) {
    const bn *q = L->params;
    const size_t D = q->D;
    double *w = bn_work(q);
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            tr[i] = NAN;
            continue;
        }
        double *x = w, *ju = x + D, *jq = ju + D, *u = w + 4 * D;
        lane_get(z, ld, D, i, x);
        bn_a(q, x, u);
        cosine c = bn_cos(q, u);
        bn_jt(q, x, u, ju);
        bn_jt(q, x, q->q, jq);
        double s = 0.0, uu = 0.0;
        for (size_t k = 0; k < D; k++)
            s += jq[k] * ju[k], uu += ju[k] * ju[k];
        tr[i] = q->c0 / (c.na * c.na) * (2.0 * s + c.uq * (bn_jf2(q, x) - 3.0 * uu));
    }
}

/* ---- test losses --------------------------------------------------------------------------------
 */

/* Linear regression: Phi(x) = wt^T x + bt with wt = gamma sqrt(n) w/|Xc w| and
 * bt = mean y - wt^T mean x (S eq. 4); the fresh data x ~ N(0, Sigma), y = w_GT^T x + b_GT of
 * the recipe give the population test loss E (Phi(x) - y)^2 = sum_k Sigma_kk (wt - w_GT)_k^2 +
 * (bt - b_GT)^2 in closed form. */
static void linreg_coef(const bn *q, const double *w, double *a, double *wt, double *bt) {
    bn_a(q, w, a);
    const double s = q->gamma * sqrt((double)q->n) / mf_norm2(q->n, a);
    double b = q->muy;
    for (size_t k = 0; k < q->d; k++) {
        wt[k] = s * w[k];
        b -= wt[k] * q->mux[k];
    }
    *bt = b;
}

/* Completion: (1/d^2) sum over all entries of ((gamma/sigma) [U V^T]_ij - M_ij)^2, with the
 * sigma of the observed entries (S App. P.1). Returns the recovered matrix in W (d x d). */
static double completion_recovered(const bn *q, const double *x, double *a, double *W) {
    const size_t d = q->dm, nu = d * d;
    bn_a(q, x, a);
    const double s = q->gamma * sqrt((double)q->N) / mf_norm2(q->N, a);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double t = 0.0;
            for (size_t c = 0; c < d; c++)
                t += x[i * d + c] * x[nu + j * d + c];
            W[i * d + j] = s * t;
        }
    return s;
}

static void bn_test_loss(const mf_landscape *L, size_t m, const double *z, size_t ld, double *out) {
    const bn *q = L->params;
    const size_t D = q->D;
    const size_t extra = q->kind == BN_LINREG ? q->d : q->dm * q->dm;
    double *w = mf_scratch(SCR_FD2, sizeof(double) * (D + q->N + extra + 1));
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            out[i] = NAN;
            continue;
        }
        double *x = w, *a = x + D, *e = a + q->N, s = 0.0;
        lane_get(z, ld, D, i, x);
        if (q->kind == BN_LINREG) {
            double bt;
            linreg_coef(q, x, a, e, &bt);
            for (size_t k = 0; k < q->d; k++)
                s += q->var[k] * (e[k] - q->wgt[k]) * (e[k] - q->wgt[k]);
            s += (bt - q->bgt) * (bt - q->bgt);
        } else {
            completion_recovered(q, x, a, e);
            for (size_t k = 0; k < q->dm * q->dm; k++)
                s += (e[k] - q->M[k]) * (e[k] - q->M[k]);
            s /= (double)(q->dm * q->dm);
        }
        out[i] = s;
    }
}

/* ---- recorder observables ------------------------------------------------------------------- */

/* linreg_bn: "dist_minnorm" = |(wt, bt) - (w*, b*)|, the distance of the model's linear
 * coefficients to the solution of problem (M) (S Thm. 5.1).
 * matrix_completion_bn: "sv<k>" = the k-th largest singular value of the recovered matrix
 * (gamma/sigma) U V^T, from the eigenvalues of W^T W (accurate to ~1e-16 sv1^2/sv_k relative). */
static int bn_obs_parse(const mf_landscape *L, const char *name, size_t *index) {
    const bn *q = L->params;
    if (q->kind == BN_LINREG) {
        if (strcmp(name, "dist_minnorm") != 0) return 0;
        *index = 0;
        return 1;
    }
    if (strncmp(name, "sv", 2) != 0 || name[2] < '1' || name[2] > '9') return 0;
    char *end;
    unsigned long k = strtoul(name + 2, &end, 10);
    if (*end != '\0' || k < 1 || k > q->dm) return 0;
    *index = (size_t)(k - 1);
    return 1;
}

static void bn_obs_eval(const mf_landscape *L, size_t nidx, const size_t *idx, size_t m,
                        const double *z, size_t ld, double *const *out) {
    const bn *q = L->params;
    const size_t D = q->D, d = q->dm;
    const size_t extra = q->kind == BN_LINREG ? q->d : 3 * d * d + d;
    double *w = mf_scratch(SCR_FD2, sizeof(double) * (D + q->N + extra + 1));
    for (size_t i = 0; i < m; i++) {
        if (!w) {
            for (size_t j = 0; j < nidx; j++)
                out[j][i] = NAN;
            continue;
        }
        double *x = w, *a = x + D, *e = a + q->N;
        lane_get(z, ld, D, i, x);
        if (q->kind == BN_LINREG) {
            double bt, s = 0.0;
            linreg_coef(q, x, a, e, &bt);
            for (size_t k = 0; k < q->d; k++)
                s += (e[k] - q->wmn[k]) * (e[k] - q->wmn[k]);
            s = sqrt(s + (bt - q->bmn) * (bt - q->bmn));
            for (size_t j = 0; j < nidx; j++)
                out[j][i] = s;
            continue;
        }
        double *W = e, *G = W + d * d, *V = G + d * d, *lam = V + d * d;
        completion_recovered(q, x, a, W);
        for (size_t r = 0; r < d; r++) /* G = W^T W */
            for (size_t c = r; c < d; c++) {
                double s = 0.0;
                for (size_t k = 0; k < d; k++)
                    s += W[k * d + r] * W[k * d + c];
                G[r * d + c] = G[c * d + r] = s;
            }
        int bad = mf_sym_eig_top(d, d, G, lam, V) != 0; /* ascending */
        for (size_t j = 0; j < nidx; j++)
            out[j][i] = bad ? NAN : sqrt(fmax(0.0, lam[d - 1 - idx[j]]));
    }
}

static void bn_destroy(mf_landscape *L) {
    bn *q = L->params;
    free(q->q), free(q->X), free(q->Xc), free(q->y), free(q->mux), free(q->wgt), free(q->wmn),
        free(q->var), free(q->M), free(q->oi), free(q->oj), free(q->x0);
}

/* L.X, L.y, L.w_gt, L.b_gt, L.w_minnorm, L.b_minnorm (mf_landscape_type.field) */
static int linreg_field(const mf_landscape *L, const char *k, mf_field *o) {
    size_t n, d;
    const double *y, *wgt, *wmn;
    double bgt, bmn;
    const double *X = mf_landscape_linreg_bn_data(L, &n, &d, &y, &wgt, &bgt, &wmn, &bmn);
    if (strcmp(k, "X") == 0)
        *o = (mf_field){.kind = MF_FIELD_MATRIX, .x = X, .rows = n, .cols = d};
    else if (strcmp(k, "y") == 0)
        *o = (mf_field){.kind = MF_FIELD_VECTOR, .x = y, .rows = n};
    else if (strcmp(k, "w_gt") == 0 || strcmp(k, "w_minnorm") == 0)
        *o = (mf_field){.kind = MF_FIELD_VECTOR, .x = k[2] == 'g' ? wgt : wmn, .rows = d};
    else if (strcmp(k, "b_gt") == 0 || strcmp(k, "b_minnorm") == 0)
        *o = (mf_field){.kind = MF_FIELD_NUMBER, .number = k[2] == 'g' ? bgt : bmn};
    else
        return 0;
    return 1;
}

MF_ISA_HIDDEN const mf_landscape_type MF_ISA_NAME(mf_bn_linreg_type) = {
    .name = "linreg_bn",
    .value = bn_value,
    .grad = bn_grad,
    .hess = bn_hess,
    .hvp = bn_hvp,
    .trace_hessian = bn_trace,
    .project = mf_landscape_generic_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = mf_landscape_generic_dhess,
    .test_loss = bn_test_loss,
    .obs_parse = bn_obs_parse,
    .obs_eval = bn_obs_eval,
    .obs_help = "dist_minnorm",
    .field = linreg_field,
    .fields = "X, y, w_gt, b_gt, w_minnorm, b_minnorm",
    .destroy = bn_destroy,
};

/* L.M, L.observed (mf_landscape_type.field) */
static int completion_field(const mf_landscape *L, const char *k, mf_field *o) {
    size_t d, N;
    const size_t *ri, *ci;
    const double *M = mf_landscape_matrix_completion_bn_data(L, &d, &N, &ri, &ci);
    if (strcmp(k, "M") == 0)
        *o = (mf_field){.kind = MF_FIELD_MATRIX, .x = M, .rows = d, .cols = d};
    else if (strcmp(k, "observed") == 0)
        *o = (mf_field){.kind = MF_FIELD_INDEX_PAIRS, .i = ri, .j = ci, .rows = N};
    else
        return 0;
    return 1;
}

MF_ISA_HIDDEN const mf_landscape_type MF_ISA_NAME(mf_bn_completion_type) = {
    .name = "matrix_completion_bn",
    .value = bn_value,
    .grad = bn_grad,
    .hess = bn_hess,
    .hvp = bn_hvp,
    .trace_hessian = bn_trace,
    .project = mf_landscape_generic_project,
    .normal_sub = mf_landscape_generic_normal_sub,
    .hess_sqrt_sub = mf_landscape_generic_hess_sqrt_sub,
    .frame = mf_landscape_generic_frame,
    .dhess = mf_landscape_generic_dhess,
    .test_loss = bn_test_loss,
    .obs_parse = bn_obs_parse,
    .obs_eval = bn_obs_eval,
    .obs_help = "sv1..svd (singular values of the recovered matrix)",
    .field = completion_field,
    .fields = "M, observed",
    .destroy = bn_destroy,
};

/* ---- constructors (the baseline pass only: isa_impl.h) ------------------------------------ */
#ifndef MF_ISA_VARIANT
MF_ISA_DECLARE(const mf_landscape_type, mf_bn_linreg_type);
MF_ISA_DECLARE(const mf_landscape_type, mf_bn_completion_type);

/* ---- constructors ------------------------------------------------------------------------------
 */

static int bn_new(mf_landscape **out, bn **qp, mf_err *err) {
    *out = calloc(1, sizeof **out);
    *qp = calloc(1, sizeof **qp);
    if (!*out || !*qp) {
        free(*out), free(*qp);
        *out = NULL;
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    return MF_OK;
}

static int bn_fail(mf_landscape *L, bn *q, int rc, mf_err *err, const char *what) {
    L->params = q;
    L->type = MF_ISA_PICK(mf_bn_linreg_type); /* any: both destroy the same way */
    mf_landscape_free(L);
    return mf_err_set(err, rc, "%s", what);
}

/* numerical rank of the n x n positive semi-definite K (destroyed); eigenvalues into lam,
 * vectors into V; relative threshold 1e-10 of the largest eigenvalue */
static size_t psd_rank(size_t n, double *K, double *lam, double *V, int *bad) {
    *bad = mf_sym_eig_top(n, n, K, lam, V) != 0;
    size_t r = 0;
    for (size_t k = 0; !*bad && k < n; k++)
        r += lam[k] > 1e-10 * lam[n - 1];
    return r;
}

int mf_landscape_linreg_bn(mf_landscape **out, size_t d, size_t n, unsigned long long seed,
                           mf_err *err) {
    *out = NULL;
    if (d < 1 || n < 3 || d > 100000 || n > 100000 || d * n > 10000000)
        return mf_err_set(err, MF_EINVAL,
                          "need d >= 1, n >= 3 and d n <= 1e7, got d = %zu, n = %zu", d, n);
    mf_landscape *L;
    bn *q;
    int rc = bn_new(&L, &q, err);
    if (rc) return rc;
    q->kind = BN_LINREG, q->n = n, q->d = d, q->N = n, q->D = d;
    q->X = malloc(sizeof(double) * n * d), q->Xc = malloc(sizeof(double) * n * d);
    q->y = malloc(sizeof(double) * n), q->q = malloc(sizeof(double) * n);
    q->mux = calloc(d, sizeof(double)), q->wgt = malloc(sizeof(double) * d);
    q->wmn = calloc(d, sizeof(double)), q->var = malloc(sizeof(double) * d);
    q->x0 = malloc(sizeof(double) * d);
    double *K = malloc(sizeof(double) * (2 * n * n + n));
    if (!q->X || !q->Xc || !q->y || !q->q || !q->mux || !q->wgt || !q->wmn || !q->var || !q->x0 ||
        !K) {
        free(K);
        return bn_fail(L, q, MF_ENOMEM, err, "out of memory");
    }
    /* S Q.2, from stream (seed, 0): w_GT uniform on the sphere (a normalized Gaussian vector),
     * b_GT ~ N(0, 0.01) (variance 0.01: std 0.1), then the inputs row by row,
     * x_ik ~ N(0, (k+1)/d); y_i = w_GT^T x_i + b_GT (noiseless linear targets, S §5). */
    mf_rng r;
    mf_rng_seed(&r, seed, 0);
    for (size_t k = 0; k < d; k++)
        q->wgt[k] = mf_rng_normal(&r);
    double nw = mf_norm2(d, q->wgt);
    for (size_t k = 0; k < d; k++)
        q->wgt[k] /= nw;
    q->bgt = 0.1 * mf_rng_normal(&r);
    for (size_t k = 0; k < d; k++)
        q->var[k] = (double)(k + 1) / (double)d;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < d; k++)
            q->X[i * d + k] = sqrt(q->var[k]) * mf_rng_normal(&r);
    q->muy = 0.0;
    for (size_t i = 0; i < n; i++) {
        double s = q->bgt;
        for (size_t k = 0; k < d; k++)
            s += q->wgt[k] * q->X[i * d + k];
        q->y[i] = s;
        q->muy += s / (double)n;
        for (size_t k = 0; k < d; k++)
            q->mux[k] += q->X[i * d + k] / (double)n;
    }
    double v = 0.0; /* (1/n) statistics, as BN's batch statistics (see the head) */
    for (size_t i = 0; i < n; i++) {
        q->q[i] = q->y[i] - q->muy;
        v += q->q[i] * q->q[i] / (double)n;
        for (size_t k = 0; k < d; k++)
            q->Xc[i * d + k] = q->X[i * d + k] - q->mux[k];
    }
    q->gamma = sqrt(v), q->c0 = 2.0 * v;
    double nq = mf_norm2(n, q->q);
    q->jf2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        q->q[i] /= nq;
        for (size_t k = 0; k < d; k++)
            q->jf2 += q->Xc[i * d + k] * q->Xc[i * d + k];
    }
    /* Problem (M): min |w|^2 s.t. w^T x_i + b = y_i; eliminating b = mean y - w^T mean x leaves
     * Xc w = yc, whose min-norm solution is w* = Xc^T K^+ yc with K = Xc Xc^T (S App. O). */
    double *lam = K + n * n, *V = lam + n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t k = 0; k < d; k++)
                s += q->Xc[i * d + k] * q->Xc[j * d + k];
            K[i * n + j] = s;
        }
    int bad;
    size_t rank = psd_rank(n, K, lam, V, &bad);
    if (bad || rank < 2) {
        free(K);
        return bn_fail(L, q, MF_EINVAL, err,
                       "the centered inputs have rank < 2: no manifold of minima");
    }
    double *c = malloc(sizeof(double) * n);
    if (!c) {
        free(K);
        return bn_fail(L, q, MF_ENOMEM, err, "out of memory");
    }
    for (size_t i = 0; i < n; i++) /* c = K^+ yc over the eigenvalues above the threshold */
        c[i] = 0.0;
    for (size_t e = n - rank; e < n; e++) {
        const double *ve = V + e * n;
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            s += ve[i] * (q->y[i] - q->muy);
        s /= lam[e];
        for (size_t i = 0; i < n; i++)
            c[i] += s * ve[i];
    }
    q->bmn = q->muy;
    for (size_t k = 0; k < d; k++) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            s += q->Xc[i * d + k] * c[i];
        q->wmn[k] = s;
        q->bmn -= s * q->mux[k];
    }
    free(c), free(K);
    /* start: uniform on the unit sphere, stream (seed, 1) (the paper gives none) */
    mf_rng_seed(&r, seed, 1);
    for (size_t k = 0; k < d; k++)
        q->x0[k] = mf_rng_normal(&r);
    double n0 = mf_norm2(d, q->x0);
    for (size_t k = 0; k < d; k++)
        q->x0[k] /= n0;
    L->type = MF_ISA_PICK(mf_bn_linreg_type);
    L->dim = d;
    /* zero loss: Xc w parallel to yc (rank(Xc) - 1 conditions on w) */
    L->codim = rank - 1;
    L->params = q;
    L->flags = MF_LANDSCAPE_SCALE_INVARIANT;
    L->x0 = q->x0;
    *out = L;
    return MF_OK;
}

int mf_landscape_matrix_completion_bn(mf_landscape **out, size_t d, size_t rank, size_t observed,
                                      double init_scale, unsigned long long seed, mf_err *err) {
    *out = NULL;
    if (d < 2 || d > 300 || rank < 1 || rank > d || observed < 2 || observed > d * d)
        return mf_err_set(err, MF_EINVAL,
                          "need 2 <= d <= 300, 1 <= rank <= d and 2 <= observed <= d^2, got d = "
                          "%zu, rank = %zu, observed = %zu",
                          d, rank, observed);
    if (!(init_scale > 0.0) || !isfinite(init_scale))
        return mf_err_set(err, MF_EINVAL, "init_scale must be a finite number > 0, got %g",
                          init_scale);
    mf_landscape *L;
    bn *q;
    int rc = bn_new(&L, &q, err);
    if (rc) return rc;
    const size_t nu = d * d, N = observed;
    q->kind = BN_COMPLETION, q->dm = d, q->rank = rank, q->N = N, q->D = 2 * nu;
    q->M = malloc(sizeof(double) * nu), q->q = malloc(sizeof(double) * N);
    q->oi = malloc(sizeof(size_t) * N), q->oj = malloc(sizeof(size_t) * N);
    q->x0 = malloc(sizeof(double) * 2 * nu);
    double *UV = malloc(sizeof(double) * 2 * d * rank);
    size_t *perm = malloc(sizeof(size_t) * nu);
    if (!q->M || !q->q || !q->oi || !q->oj || !q->x0 || !UV || !perm) {
        free(UV), free(perm);
        return bn_fail(L, q, MF_ENOMEM, err, "out of memory");
    }
    /* S P.1, from stream (seed, 0): U*, V* (d x rank, row-major, U* first) uniform in [-1, 1];
     * M~ = U* V*^T, M = d M~/|M~|_F (second moment 1); then N distinct entries uniformly: the
     * first N of a Fisher-Yates shuffle of 0..d^2-1 (index floor(u (d^2 - k)) at draw k),
     * sorted, entry e at row e / d, column e % d. */
    mf_rng r;
    mf_rng_seed(&r, seed, 0);
    for (size_t k = 0; k < 2 * d * rank; k++)
        UV[k] = 2.0 * mf_rng_uniform(&r) - 1.0;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = 0.0;
            for (size_t c = 0; c < rank; c++)
                s += UV[i * rank + c] * UV[(d + j) * rank + c];
            q->M[i * d + j] = s;
        }
    double nm = mf_norm2(nu, q->M);
    for (size_t k = 0; k < nu; k++)
        q->M[k] *= (double)d / nm;
    for (size_t k = 0; k < nu; k++)
        perm[k] = k;
    for (size_t k = 0; k < N; k++) {
        size_t j = k + (size_t)(mf_rng_uniform(&r) * (double)(nu - k));
        if (j >= nu) j = nu - 1;
        size_t t = perm[k];
        perm[k] = perm[j], perm[j] = t;
    }
    /* sort the chosen N (insertion into a bitmap keeps it O(d^2)) */
    unsigned char *mark = calloc(nu, 1);
    if (!mark) {
        free(UV), free(perm);
        return bn_fail(L, q, MF_ENOMEM, err, "out of memory");
    }
    for (size_t k = 0; k < N; k++)
        mark[perm[k]] = 1;
    double g2 = 0.0;
    for (size_t e = 0, k = 0; e < nu; e++)
        if (mark[e]) {
            q->oi[k] = e / d, q->oj[k] = e % d;
            q->q[k] = q->M[e];
            g2 += q->M[e] * q->M[e];
            k++;
        }
    free(mark), free(UV), free(perm);
    /* gamma^2 = (1/N) sum_Omega M^2 (S P.1), so |t| = sqrt(N) gamma with t = M on Omega */
    q->gamma = sqrt(g2 / (double)N), q->c0 = 2.0 * g2 / (double)N;
    const double nt = sqrt(g2);
    for (size_t k = 0; k < N; k++)
        q->q[k] /= nt;
    /* start: U, V entries N(0, init_scale^2) from stream (seed, 1) (the paper gives none) */
    mf_rng_seed(&r, seed, 1);
    for (size_t k = 0; k < 2 * nu; k++)
        q->x0[k] = init_scale * mf_rng_normal(&r);
    L->type = MF_ISA_PICK(mf_bn_completion_type);
    L->dim = 2 * nu;
    /* zero loss: the observed entries of U V^T parallel to M's (N - 1 conditions where
     * (U, V) -> U V^T is a submersion, i.e. U or V invertible) */
    L->codim = N - 1;
    L->params = q;
    L->flags = MF_LANDSCAPE_SCALE_INVARIANT;
    L->x0 = q->x0;
    *out = L;
    return MF_OK;
}

const double *mf_landscape_linreg_bn_data(const mf_landscape *L, size_t *n, size_t *d,
                                          const double **y, const double **w_gt, double *b_gt,
                                          const double **w_mn, double *b_mn) {
    const bn *q = L->params;
    if (n) *n = q->n;
    if (d) *d = q->d;
    if (y) *y = q->y;
    if (w_gt) *w_gt = q->wgt;
    if (b_gt) *b_gt = q->bgt;
    if (w_mn) *w_mn = q->wmn;
    if (b_mn) *b_mn = q->bmn;
    return q->X;
}

const double *mf_landscape_matrix_completion_bn_data(const mf_landscape *L, size_t *d,
                                                     size_t *observed, const size_t **rows,
                                                     const size_t **cols) {
    const bn *q = L->params;
    if (d) *d = q->dm;
    if (observed) *observed = q->N;
    if (rows) *rows = q->oi;
    if (cols) *cols = q->oj;
    return q->M;
}
#endif /* MF_ISA_VARIANT */
