/* Adam's bias corrections (engine/src/core/optim_adam.c) skip pow once k (1 - beta) > 38,
 * returning exactly 1: that is exact only if 1 - pow(beta, k) == 1.0 for every such k. Checked
 * for betas across [0, 1) at the first k past the threshold and beyond, and an Adam step at
 * such a k against one computed with pow. */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "mflab/optim.h"

int main(void) {
    const double betas[] = {0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.99999};
    for (size_t b = 0; b < sizeof betas / sizeof betas[0]; b++) {
        double beta = betas[b];
        uint64_t k0 = (uint64_t)floor(38.0 / (1.0 - beta)) + 1; /* first k with k (1-beta) > 38 */
        CHECK((double)k0 * (1.0 - beta) > 38.0, "threshold");
        for (uint64_t k = k0; k < k0 + 2000; k++)
            CHECK(1.0 - pow(beta, (double)k) == 1.0, "beta %g, k %llu: 1 - beta^k = %.17g", beta,
                  (unsigned long long)k, 1.0 - pow(beta, (double)k));
        for (uint64_t k = k0; k < 100 * k0; k = k * 3 / 2 + 1)
            CHECK(1.0 - pow(beta, (double)k) == 1.0, "beta %g, k %llu", beta,
                  (unsigned long long)k);
    }
    /* one Adam step at k = 400 (beta1 = 0.9 past its threshold, beta2 = 0.999 not) */
    mf_optim o;
    mf_optim_params p = {.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
    mf_schedule s = mf_schedule_constant(1e-3);
    CHECK(mf_optim_make(&o, "adam", &p, &s, NULL) == MF_OK, "adam");
    double z[2] = {0.3, -1.2}, g[2] = {0.7, -0.05}, st[4] = {0.01, 0.2, 0.04, 0.3};
    double want[2];
    for (int r = 0; r < 2; r++) {
        double m = st[r] * 0.9 + (1 - 0.9) * g[r],
               v = st[2 + r] * 0.999 + (1 - 0.999) * (g[r] * g[r]);
        double bc1 = 1.0 - pow(0.9, 400.0), bc2 = 1.0 - pow(0.999, 400.0);
        want[r] = z[r] + -(1e-3 / bc1) * (m / (sqrt(v) * (1.0 / sqrt(bc2)) + 1e-8));
    }
    o.type->step(&o, 2, 1, z, 1, g, 1, st, 2, 400, 0);
    CHECK(z[0] == want[0] && z[1] == want[1], "step at k = 400: %.17g %.17g vs %.17g %.17g", z[0],
          z[1], want[0], want[1]);
    return check_summary();
}
