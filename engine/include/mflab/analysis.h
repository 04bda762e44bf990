/* Analysis: the measurements the papers make (doc/math.md §4 and the papers' appendices).
 *
 * Spectra work on any symmetric linear map given as a matrix-vector product (a Hessian-vector
 * product of a landscape, or a dense matrix), so they scale to landscapes whose Hessians are
 * never formed. Fits and closed forms are plain functions of arrays and numbers. */
#ifndef MFLAB_ANALYSIS_H
#define MFLAB_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* out = A v for a symmetric n x n map A; returns 0 or an MF_E* code (with err set). */
typedef int (*mf_matvec_fn)(void *ctx, const double *v, double *out, mf_err *err);

/* The k algebraically largest eigenpairs of A by Lanczos with full reorthogonalization.
 * Stops when every wanted Ritz pair has residual |beta_m s_mi| <= tol * |theta_i| (or the Krylov
 * space is exhausted), after at most maxiter products. evals (k, descending) and, if evecs is
 * not NULL, evecs (n x k, column j at evecs[j*n]) are filled; *nmatvec counts the products.
 * The start vector is drawn from stream (seed, 0), so the result is reproducible. */
int mf_lanczos_top(size_t n, mf_matvec_fn f, void *ctx, size_t k, double tol, size_t maxiter,
                   uint64_t seed, double *evals, double *evecs, size_t *nmatvec, mf_err *err);

/* The same with caller-provided work space of mf_lanczos_work_size(n, k, maxiter) doubles: no
 * allocation, for the recorder's per-record spectra. */
size_t mf_lanczos_work_size(size_t n, size_t k, size_t maxiter);
int mf_lanczos_top_ws(size_t n, mf_matvec_fn f, void *ctx, size_t k, double tol, size_t maxiter,
                      uint64_t seed, double *evals, double *evecs, size_t *nmatvec, double *work,
                      mf_err *err);

/* Hutchinson's estimate of Tr A with Rademacher vectors: the mean of v^T A v over samples and
 * its standard error. Draws at least min_samples, then stops once se <= tol * |mean| or after
 * max_samples. */
int mf_hutchinson_trace(size_t n, mf_matvec_fn f, void *ctx, double tol, size_t min_samples,
                        size_t max_samples, uint64_t seed, double *trace, double *se,
                        size_t *nsamples, mf_err *err);

/* Fits. Each returns the parameters and their standard errors from the least-squares
 * covariance s^2 (J^T J)^{-1}, s^2 = RSS / (n - p). */
typedef struct mf_fit_result {
    double p[4];  /* parameters (meaning per fit, below) */
    double se[4]; /* their standard errors */
    double rss;   /* residual sum of squares (in the fitted scale) */
    size_t n, np; /* points and parameters */
} mf_fit_result;

/* y = a exp(-t / T), fitted as log y = log a - t / T: p = {T, a, rate = 1/T}. y > 0. */
int mf_fit_exp_timescale(const double *t, const double *y, size_t n, mf_fit_result *r, mf_err *err);
/* y = c x^alpha, fitted as log y = log c + alpha log x: p = {alpha, c}. x, y > 0. */
int mf_fit_powerlaw(const double *x, const double *y, size_t n, mf_fit_result *r, mf_err *err);
/* The two-slope model of Flatter-faster eq. (14):
 * y = a_max + a1 (x - x*) for x <= x*, a_max + a2 (x - x*) for x >= x*: p = {x*, a_max, a1, a2}. */
int mf_fit_vee(const double *x, const double *y, size_t n, mf_fit_result *r, mf_err *err);

/* Closed forms. */
/* Heavy-ball Jacobian eigenvalues on a direction of curvature lambda (Flatter-faster App. E):
 * kappa_pm = (1 + beta - eta lambda +- sqrt((1 + beta - eta lambda)^2 - 4 beta)) / 2, complex when
 * the discriminant is negative. */
void mf_hb_spectrum(double eta, double beta, double lambda, double re[2], double im[2]);
/* Stationary variance of the heavy-ball weights along an eigen-direction lambda with noise
 * variance Lambda (Flatter-faster App. F): the exact stationary solution of eqs. (168)-(170),
 * eta^2 eps^2 Lambda (1+beta) / ((1-beta) eta lambda (2(1+beta) - eta lambda)). Eq. (171) as
 * printed omits the factor (1+beta); see analysis_closed.c. */
double mf_hb_ou_variance(double eta, double beta, double lambda, double eps, double Lambda);
/* Vector UV model timescales (Flatter-faster eqs. (9), (10)) with beta = 1 - C eta^gamma:
 * tau1 = 2 / (C eta^gamma), tau2 = 2 n P C^2 / (eta^(2-2 gamma) eps^2 mu2),
 * C* = (eps^2 mu2 / (P n))^(1/3). */
double mf_uv_tau1(double eta, double gamma, double C);
double mf_uv_tau2(double eta, double gamma, double C, double eps, double mu2, double n, double P);
double mf_uv_cstar(double eps, double mu2, double n, double P);
/* SGD with momentum (quasistatic §4): speed factor s = eta^2 / (B (1-mu)^2) and range factor
 * r = eta / (B (1-mu)). */
double mf_speed_factor(double eta, double mu, double B);
double mf_range_factor(double eta, double mu, double B);

#ifdef __cplusplus
}
#endif

#endif
