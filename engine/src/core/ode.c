#include "mflab/ode.h"

#include <math.h>
#include <string.h>

#include "mflab/interrupt.h"
#include "ode_kern.h"

/* rk4: 5n; dopri5: 10n; em: 2n + ndw (ndw <= n assumed by callers, else pass more) */
size_t mf_ode_worksize(size_t n) {
    return 10 * n;
}

static void axpy_to(size_t n, const double *y, double h, const double *k, double *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = y[i] + h * k[i];
}

int mf_ode_rk4_step(size_t n, mf_ode_rhs f, mf_ode_proj proj, void *ctx, double t, double h,
                    double *y, double *work, mf_err *err) {
    double *k1 = work, *k2 = k1 + n, *k3 = k2 + n, *k4 = k3 + n, *s = k4 + n;
    int rc;
    if ((rc = f(ctx, t, y, k1, err))) return rc;
    axpy_to(n, y, 0.5 * h, k1, s);
    if (proj) proj(ctx, s);
    if ((rc = f(ctx, t + 0.5 * h, s, k2, err))) return rc;
    axpy_to(n, y, 0.5 * h, k2, s);
    if (proj) proj(ctx, s);
    if ((rc = f(ctx, t + 0.5 * h, s, k3, err))) return rc;
    axpy_to(n, y, h, k3, s);
    if (proj) proj(ctx, s);
    if ((rc = f(ctx, t + h, s, k4, err))) return rc;
    for (size_t i = 0; i < n; i++)
        y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    if (proj) proj(ctx, y);
    return MF_OK;
}

/* Dormand & Prince (1980) 5(4) tableau; the 5th-order solution propagates (FSAL). */
static const double c2 = 1.0 / 5, c3 = 3.0 / 10, c4 = 4.0 / 5, c5 = 8.0 / 9;
static const double a21 = 1.0 / 5;
static const double a31 = 3.0 / 40, a32 = 9.0 / 40;
static const double a41 = 44.0 / 45, a42 = -56.0 / 15, a43 = 32.0 / 9;
static const double a51 = 19372.0 / 6561, a52 = -25360.0 / 2187, a53 = 64448.0 / 6561,
                    a54 = -212.0 / 729;
static const double a61 = 9017.0 / 3168, a62 = -355.0 / 33, a63 = 46732.0 / 5247, a64 = 49.0 / 176,
                    a65 = -5103.0 / 18656;
static const double b1 = 35.0 / 384, b3 = 500.0 / 1113, b4 = 125.0 / 192, b5 = -2187.0 / 6784,
                    b6 = 11.0 / 84;
/* b - b* (5th minus 4th order weights): the local error estimate */
static const double e1 = 71.0 / 57600, e3 = -71.0 / 16695, e4 = 71.0 / 1920, e5 = -17253.0 / 339200,
                    e6 = 22.0 / 525, e7 = -1.0 / 40;
/* the rows of the tableau for ode_kern.h's combine and err2 */
static const double A3[] = {a31, a32}, A4[] = {a41, a42, a43}, A5[] = {a51, a52, a53, a54},
                    A6[] = {a61, a62, a63, a64, a65}, B[] = {b1, b3, b4, b5, b6},
                    E[] = {e1, e3, e4, e5, e6, e7};

int mf_ode_dopri5(size_t n, mf_ode_rhs f, mf_ode_proj proj, void *ctx, double t0, double t1,
                  double *y, double rtol, double atol, double *h, double *work, mf_ode_stats *stats,
                  mf_err *err) {
    return mf_ode_dopri5_until(n, f, proj, NULL, ctx, t0, t1, y, rtol, atol, h, work, stats, err);
}

int mf_ode_dopri5_until(size_t n, mf_ode_rhs f, mf_ode_proj proj, mf_ode_stop stop, void *ctx,
                        double t0, double t1, double *y, double rtol, double atol, double *h,
                        double *work, mf_ode_stats *stats, mf_err *err) {
    if (!(rtol > 0) || !(atol > 0))
        return mf_err_set(err, MF_EINVAL, "rtol and atol must be > 0 (got %g, %g)", rtol, atol);
    double *k1 = work, *k2 = k1 + n, *k3 = k2 + n, *k4 = k3 + n, *k5 = k4 + n, *k6 = k5 + n,
           *k7 = k6 + n, *s = k7 + n, *ynew = s + n, *q = ynew + n;
    const double *const kb[] = {k1, k3, k4, k5, k6}, *const ke[] = {k1, k3, k4, k5, k6, k7};
    const mf_ode_kern *K = MF_ISA_PICK(mf_ode_kern_dp45); /* this instruction set's loops */
    int rc;
    double t = t0, span = t1 - t0;
    if (span == 0.0) return MF_OK;
    double dir = span > 0 ? 1.0 : -1.0;
    if ((rc = f(ctx, t, y, k1, err))) return rc;
    if (stats) stats->evals++;
    if (stop && stop(ctx, t, y, k1)) return MF_OK;

    double hh = *h;
    if (!(fabs(hh) > 0)) { /* a first guess from the size of y and y' (Hairer et al. II.4) */
        double d0 = 0, d1 = 0;
        for (size_t i = 0; i < n; i++) {
            double sc = atol + rtol * fabs(y[i]);
            d0 += (y[i] / sc) * (y[i] / sc), d1 += (k1[i] / sc) * (k1[i] / sc);
        }
        d0 = sqrt(d0 / n), d1 = sqrt(d1 / n);
        hh = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1;
    }
    hh = dir * fabs(hh);
    int failed = MF_OK; /* the last failed stage evaluation, reported if the step underflows */
    int stiff = 0, nonstiff = 0; /* Hairer's stiffness detection, see below */
    for (int guard = 0;; guard++) {
        if (guard > 10000000)
            return mf_err_set(err, MF_EINVAL, "Dormand-Prince: too many steps (stiff problem?)");
        /* land exactly on t1: take the rest when the step would pass it or leave a sliver */
        if (dir * (t + 1.01 * hh - t1) >= 0) hh = t1 - t;
        /* A stage the right-hand side cannot evaluate (a trial step too long for a drift
         * defined only near the manifold) or a non-finite error estimate rejects the step
         * like a too-large error: the step shrinks, and only if it underflows is it an error. */
        double e = NAN;
        /* s = y + h (a_j1 k1 + a_j2 k2 + ..), the sum left to right (ode_kern.h) */
        K->axpy(n, y, hh * a21, k1, s);
        if (proj) proj(ctx, s); /* stage points on the manifold, where the drift is defined */
        if ((rc = f(ctx, t + c2 * hh, s, k2, err))) goto stage_failed;
        K->combine(n, y, hh, 2, A3, (const double *const[]){k1, k2}, s);
        if (proj) proj(ctx, s);
        if ((rc = f(ctx, t + c3 * hh, s, k3, err))) goto stage_failed;
        K->combine(n, y, hh, 3, A4, (const double *const[]){k1, k2, k3}, s);
        if (proj) proj(ctx, s);
        if ((rc = f(ctx, t + c4 * hh, s, k4, err))) goto stage_failed;
        K->combine(n, y, hh, 4, A5, (const double *const[]){k1, k2, k3, k4}, s);
        if (proj) proj(ctx, s);
        if ((rc = f(ctx, t + c5 * hh, s, k5, err))) goto stage_failed;
        K->combine(n, y, hh, 5, A6, (const double *const[]){k1, k2, k3, k4, k5}, s);
        if (proj) proj(ctx, s);
        if ((rc = f(ctx, t + hh, s, k6, err))) goto stage_failed;
        K->combine(n, y, hh, 5, B, kb, ynew);
        if (proj) proj(ctx, ynew);
        if ((rc = f(ctx, t + hh, ynew, k7, err))) goto stage_failed;
        if (stats) stats->evals += 6;
        /* sum_i (ei / sc)^2, ei = h (e1 k1 + e3 k3 + .. + e7 k7)_i,
         * sc = atol + rtol max(|y_i|, |ynew_i|) */
        e = sqrt(K->err2(n, hh, E, ke, y, ynew, atol, rtol, q) / n);
        if (!isfinite(e)) {
            failed =
                mf_err_set(err, MF_ENONFINITE, "Dormand-Prince: non-finite values at t = %g", t);
            goto rejected;
        }
        double fac = e > 0 ? 0.9 * pow(e, -0.2) : 5.0;
        fac = fac < 0.2 ? 0.2 : fac > 5.0 ? 5.0 : fac;
        if (e <= 1.0) {
            /* Stiffness (Hairer, Norsett & Wanner I, II.10, as in DOPRI5): h lambda ~ h |k7 - k6|
             * / |y_new - y_stage6| at the edge of the stability region (3.25) for 15 accepted
             * steps in a row means the step is held by stability, not accuracy. If reaching t1
             * would then take over MF_ODE_STIFF_STEPS more steps, stop with a message rather
             * than run for hours. (Only for a finite t1: the landscapes' projections integrate
             * stiff gradient flows on purpose, until a stop predicate.) */
            if (isfinite(span)) {
                double num = 0.0, den = 0.0;
                for (size_t i = 0; i < n; i++)
                    num += (k7[i] - k6[i]) * (k7[i] - k6[i]),
                        den += (ynew[i] - s[i]) * (ynew[i] - s[i]);
                if (den > 0 && fabs(hh) * sqrt(num / den) > 3.25) {
                    nonstiff = 0;
                    double rest = fabs(t1 - (t + hh)) / fabs(hh);
                    if (++stiff >= 15 && stats) stats->stiff = 1;
                    if (stiff >= 15 && rest > MF_ODE_STIFF_STEPS) {
                        return mf_err_set(err, MF_EUNSUPPORTED,
                                          "Dormand-Prince: the problem is stiff at t = %g: stable "
                                          "steps are %.3g long, %.3g more to reach t = %g",
                                          t, fabs(hh), rest, t1);
                    }
                } else if (++nonstiff >= 6) {
                    stiff = 0;
                    if (stats) stats->stiff = 0;
                }
            }
            t = (dir * (t + hh - t1) >= 0 ||
                 (isfinite(span) && fabs(t1 - (t + hh)) <= 1e-13 * fabs(span)))
                    ? t1
                    : t + hh;
            memcpy(y, ynew, n * sizeof *y); /* already projected */
            if (stats) stats->accepted++;
            if (t == t1 || (stop && stop(ctx, t, y, k7))) {
                *h = hh;
                return MF_OK;
            }
            memcpy(k1, k7, n * sizeof *k1); /* FSAL: k7 was evaluated at the projected y */
            hh *= fac;
        } else {
            if (stats) stats->rejected++;
            hh *= fac < 1.0 ? fac : 0.5;
        }
        goto next;
    stage_failed:
        if (rc != MF_EINVAL && rc != MF_ENONFINITE) return rc; /* out of memory, interrupted */
        failed = rc;
    rejected:
        if (stats) stats->rejected++;
        hh *= 0.25;
    next:
        if (fabs(hh) < 1e-14 * (fabs(t) + (isfinite(span) ? fabs(span) : fabs(t - t0))))
            return failed ? failed /* err holds the stage's message */
                          : mf_err_set(err, MF_EINVAL,
                                       "Dormand-Prince: step size underflow at t = %g", t);
        if (mf_interrupt_pending()) return mf_err_set(err, MF_EINTR, "interrupted at t = %g", t);
    }
}

int mf_sde_em_step(size_t n, size_t ndw, mf_ode_rhs f, mf_sde_noise g, mf_ode_proj proj, void *ctx,
                   double t, double h, double *y, mf_rng *r, double *work, mf_err *err) {
    double *drift = work, *noise = drift + n, *dw = noise + n;
    int rc;
    if ((rc = f(ctx, t, y, drift, err))) return rc;
    double sq = sqrt(h);
    for (size_t k = 0; k < ndw; k++)
        dw[k] = sq * mf_rng_normal(r);
    if ((rc = g(ctx, t, y, dw, noise, err))) return rc;
    for (size_t i = 0; i < n; i++)
        y[i] += h * drift[i] + noise[i];
    if (proj) proj(ctx, y);
    return MF_OK;
}
