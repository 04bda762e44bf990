/* Closed forms of doc/math.md §4 (Flatter-faster App. E, eqs. (9), (10), (171); quasistatic §4). */
#include <math.h>

#include "mflab/analysis.h"

/* kappa_pm = (1 + beta - eta lambda +- sqrt((1 + beta - eta lambda)^2 - 4 beta)) / 2 */
void mf_hb_spectrum(double eta, double beta, double lambda, double re[2], double im[2]) {
    double b = 1.0 + beta - eta * lambda, disc = b * b - 4.0 * beta;
    if (disc >= 0.0) {
        double s = sqrt(disc);
        re[0] = 0.5 * (b + s), re[1] = 0.5 * (b - s);
        im[0] = im[1] = 0.0;
    } else {
        double s = sqrt(-disc);
        re[0] = re[1] = 0.5 * b;
        im[0] = 0.5 * s, im[1] = -0.5 * s;
    }
}

/* The stationary C11 of the moment recursion F(168)-(170). F(171) as printed
 * lacks the factor (1 + beta): solving (168)-(170) symbolically gives
 * C11 = eta^2 eps^2 Lambda (1 + beta) / ((1 - beta) eta lambda (2(1 + beta) - eta lambda)),
 * which a simulated heavy-ball chain confirms (tests/c/test_analysis.c); the two agree at
 * beta = 0 (plain SGD) and differ by 2 as beta -> 1. */
double mf_hb_ou_variance(double eta, double beta, double lambda, double eps, double Lambda) {
    return eta * eta * eps * eps * Lambda * (1.0 + beta) /
           ((1.0 - beta) * eta * lambda * (2.0 * (1.0 + beta) - eta * lambda));
}

/* tau1^{-1} = (C/2) eta^gamma */
double mf_uv_tau1(double eta, double gamma, double C) {
    return 2.0 / (C * pow(eta, gamma));
}

/* eq. (9): tau2^{-1} = eta^(2-2 gamma) eps^2 mu2 / (2 n P C^2) */
double mf_uv_tau2(double eta, double gamma, double C, double eps, double mu2, double n, double P) {
    return 2.0 * n * P * C * C / (pow(eta, 2.0 - 2.0 * gamma) * eps * eps * mu2);
}

/* eq. (10) */
double mf_uv_cstar(double eps, double mu2, double n, double P) {
    return cbrt(eps * eps * mu2 / (P * n));
}

double mf_speed_factor(double eta, double mu, double B) {
    return eta * eta / (B * (1.0 - mu) * (1.0 - mu));
}

double mf_range_factor(double eta, double mu, double B) {
    return eta / (B * (1.0 - mu));
}
