/* Least-squares fits: exponential timescale, power law, and the two-slope "vee" of
 * Flatter-faster eq. (14). Standard errors from s^2 (J^T J)^{-1}, s^2 = RSS / (n - p). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mflab/analysis.h"

/* inv = (X^T X)^{-1} for a design of n rows given column by column (X[c*n + i]), p <= 4,
 * by Gauss-Jordan with partial pivoting. */
static int normal_inverse(const double *X, size_t n, size_t p, double *inv, mf_err *err) {
    double M[4][8];
    for (size_t r = 0; r < p; r++)
        for (size_t c = 0; c < p; c++) {
            double s = 0.0;
            for (size_t i = 0; i < n; i++)
                s += X[r * n + i] * X[c * n + i];
            M[r][c] = s;
            M[r][p + c] = r == c;
        }
    for (size_t c = 0; c < p; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r < p; r++)
            if (fabs(M[r][c]) > fabs(M[piv][c])) piv = r;
        if (fabs(M[piv][c]) < 1e-300)
            return mf_err_set(err, MF_EINVAL,
                              "the fit is degenerate (the data do not determine "
                              "all parameters)");
        if (piv != c)
            for (size_t k = 0; k < 2 * p; k++) {
                double t = M[c][k];
                M[c][k] = M[piv][k], M[piv][k] = t;
            }
        double s = M[c][c];
        for (size_t k = 0; k < 2 * p; k++)
            M[c][k] /= s;
        for (size_t r = 0; r < p; r++) {
            if (r == c) continue;
            double fct = M[r][c];
            for (size_t k = 0; k < 2 * p; k++)
                M[r][k] -= fct * M[c][k];
        }
    }
    for (size_t r = 0; r < p; r++)
        for (size_t c = 0; c < p; c++)
            inv[r * p + c] = M[r][p + c];
    return MF_OK;
}

/* Linear least squares y ~ X beta (p <= 4 columns): beta, rss and standard errors. */
static int least_squares(const double *X, const double *y, size_t n, size_t p, double *beta,
                         double *se, double *rss, mf_err *err) {
    double inv[16] = {0};
    int rc = normal_inverse(X, n, p, inv, err);
    if (rc) return rc;
    double b[4] = {0};
    for (size_t a = 0; a < p; a++)
        for (size_t i = 0; i < n; i++)
            b[a] += X[a * n + i] * y[i];
    for (size_t a = 0; a < p; a++) {
        beta[a] = 0.0;
        for (size_t c = 0; c < p; c++)
            beta[a] += inv[a * p + c] * b[c];
    }
    double q = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f = 0.0;
        for (size_t a = 0; a < p; a++)
            f += X[a * n + i] * beta[a];
        q += (y[i] - f) * (y[i] - f);
    }
    *rss = q;
    double s2 = n > p ? q / (double)(n - p) : 0.0;
    for (size_t a = 0; a < p; a++)
        se[a] = sqrt(s2 * inv[a * p + a]);
    return MF_OK;
}

static int check_points(const double *x, const double *y, size_t n, size_t p, int logx, int logy,
                        mf_err *err) {
    if (n <= p)
        return mf_err_set(err, MF_EINVAL,
                          "%zu points cannot fit %zu parameters with an error estimate (need at "
                          "least %zu)",
                          n, p, p + 1);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return mf_err_set(err, MF_EINVAL, "point %zu is not finite", i + 1);
        if (logx && !(x[i] > 0))
            return mf_err_set(err, MF_EINVAL, "x[%zu] = %g: a log fit needs x > 0", i + 1, x[i]);
        if (logy && !(y[i] > 0))
            return mf_err_set(err, MF_EINVAL, "y[%zu] = %g: a log fit needs y > 0", i + 1, y[i]);
    }
    return MF_OK;
}

static int loglinear(const double *x, const double *y, size_t n, int logx, double *beta, double *se,
                     double *rss, mf_err *err) {
    double *X = malloc(sizeof(double) * 3 * n);
    if (!X) return mf_err_set(err, MF_ENOMEM, "out of memory");
    double *ly = X + 2 * n;
    for (size_t i = 0; i < n; i++) {
        X[i] = 1.0;
        X[n + i] = logx ? log(x[i]) : x[i];
        ly[i] = log(y[i]);
    }
    int rc = least_squares(X, ly, n, 2, beta, se, rss, err);
    free(X);
    return rc;
}

int mf_fit_exp_timescale(const double *t, const double *y, size_t n, mf_fit_result *r,
                         mf_err *err) {
    int rc = check_points(t, y, n, 2, 0, 1, err);
    if (rc) return rc;
    double beta[2], se[2];
    memset(r, 0, sizeof *r);
    if ((rc = loglinear(t, y, n, 0, beta, se, &r->rss, err))) return rc;
    if (!(beta[1] < 0))
        return mf_err_set(err, MF_EINVAL, "the data do not decay (fitted rate %g <= 0)", -beta[1]);
    double rate = -beta[1], T = 1.0 / rate;
    r->p[0] = T, r->se[0] = se[1] / (rate * rate); /* delta method: dT/drate = -1/rate^2 */
    r->p[1] = exp(beta[0]), r->se[1] = r->p[1] * se[0];
    r->p[2] = rate, r->se[2] = se[1];
    r->n = n, r->np = 2;
    return MF_OK;
}

int mf_fit_powerlaw(const double *x, const double *y, size_t n, mf_fit_result *r, mf_err *err) {
    int rc = check_points(x, y, n, 2, 1, 1, err);
    if (rc) return rc;
    double beta[2], se[2];
    memset(r, 0, sizeof *r);
    if ((rc = loglinear(x, y, n, 1, beta, se, &r->rss, err))) return rc;
    r->p[0] = beta[1], r->se[0] = se[1];
    r->p[1] = exp(beta[0]), r->se[1] = r->p[1] * se[0];
    r->n = n, r->np = 2;
    return MF_OK;
}

/* For a fixed kink x*, the vee is linear in (a_max, a1, a2): solve it, return the RSS. */
static double vee_at(const double *x, const double *y, size_t n, double xs, double *X, double *beta,
                     double *se) {
    for (size_t i = 0; i < n; i++) {
        X[i] = 1.0;
        X[n + i] = x[i] <= xs ? x[i] - xs : 0.0;
        X[2 * n + i] = x[i] >= xs ? x[i] - xs : 0.0;
    }
    double rss;
    if (least_squares(X, y, n, 3, beta, se, &rss, NULL)) return INFINITY;
    return rss;
}

int mf_fit_vee(const double *x, const double *y, size_t n, mf_fit_result *r, mf_err *err) {
    int rc = check_points(x, y, n, 4, 0, 0, err);
    if (rc) return rc;
    double *X = malloc(sizeof(double) * 4 * n);
    if (!X) return mf_err_set(err, MF_ENOMEM, "out of memory");
    double lo = x[0], hi = x[0];
    for (size_t i = 1; i < n; i++)
        lo = x[i] < lo ? x[i] : lo, hi = x[i] > hi ? x[i] : hi;
    /* Profile the RSS over x*: a scan of the data range, then golden-section refinement
     * around the best scan point (the RSS is smooth between data points). */
    double beta[3], se[3], best = INFINITY, bx = lo;
    const int scan = 400;
    for (int s = 0; s <= scan; s++) {
        double xs = lo + (hi - lo) * s / scan;
        double q = vee_at(x, y, n, xs, X, beta, se);
        if (q < best) best = q, bx = xs;
    }
    double a = bx - (hi - lo) / scan, b = bx + (hi - lo) / scan;
    a = a < lo ? lo : a, b = b > hi ? hi : b;
    const double g = 0.5 * (sqrt(5.0) - 1.0);
    double c = b - g * (b - a), d = a + g * (b - a);
    double fc = vee_at(x, y, n, c, X, beta, se), fd = vee_at(x, y, n, d, X, beta, se);
    for (int it = 0; it < 100 && b - a > 1e-13 * (fabs(a) + fabs(b) + 1e-300); it++) {
        if (fc < fd)
            b = d, d = c, fd = fc, c = b - g * (b - a), fc = vee_at(x, y, n, c, X, beta, se);
        else
            a = c, c = d, fc = fd, d = a + g * (b - a), fd = vee_at(x, y, n, d, X, beta, se);
    }
    double xs = fc < fd ? c : d;
    double q = vee_at(x, y, n, xs, X, beta, se);
    if (q > best) xs = bx, q = vee_at(x, y, n, xs, X, beta, se);
    if (!isfinite(q)) {
        free(X);
        return mf_err_set(err, MF_EINVAL,
                          "the vee fit is degenerate: the data need points on "
                          "both sides of the optimum");
    }
    /* Covariance of (x*, a_max, a1, a2) at the optimum: s^2 (J^T J)^{-1} with the model's
     * Jacobian, whose x* column is -a1 (x <= x*) or -a2 (x > x*). */
    double *J = X; /* reuse: columns x*, 1, (x - x*)-, (x - x*)+ */
    for (size_t i = 0; i < n; i++) {
        J[i] = -(x[i] <= xs ? beta[1] : beta[2]);
        J[n + i] = 1.0;
        J[2 * n + i] = x[i] <= xs ? x[i] - xs : 0.0;
        J[3 * n + i] = x[i] >= xs ? x[i] - xs : 0.0;
    }
    double inv[16] = {0};
    rc = normal_inverse(J, n, 4, inv, err);
    free(X);
    if (rc)
        return mf_err_set(err, MF_EINVAL,
                          "the vee fit is degenerate: the data need points on "
                          "both sides of the optimum and distinct slopes");
    double s2 = q / (double)(n - 4);
    memset(r, 0, sizeof *r);
    r->p[0] = xs, r->p[1] = beta[0], r->p[2] = beta[1], r->p[3] = beta[2];
    for (int k = 0; k < 4; k++)
        r->se[k] = sqrt(s2 * inv[k * 4 + k]);
    r->rss = q;
    r->n = n, r->np = 4;
    return MF_OK;
}
