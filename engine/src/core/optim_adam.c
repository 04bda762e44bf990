/* Adam and AdamW as torch.optim implements them (MATH.md §3). */
#include <math.h>

#include "mflab/optim.h"

/* The bias correction 1 - beta^k as torch computes it (1 - beta ** step). Once
 * k (1 - beta) > 38, beta^k <= exp(-k (1 - beta)) < e^-38 < 2^-54, so 1 - beta^k rounds to 1
 * exactly: pow (two calls per block and step, ~3% of a valley step) is skipped from then on
 * (k > 380 for beta = 0.9, k > 38000 for 0.999) without changing a bit. */
static double bias_correction(double beta, uint64_t k) {
    if ((double)k * (1.0 - beta) > 38.0) return 1.0;
    return 1.0 - pow(beta, (double)k);
}

/* m <- b1 m + (1-b1) g, v <- b2 v + (1-b2) g^2, z <- z - (lr/bc1) m / (sqrt(v)/sqrt(bc2) + eps)
 * with bc_i = 1 - b_i^k; Adam adds wd z to g first, AdamW multiplies z by 1 - lr wd first.
 * The operations are torch's, in torch's order, so trajectories agree to rounding. */
static void adam_common(const mf_optim *o, int decoupled, size_t d, size_t m, double *z, size_t ld,
                        const double *g, size_t ldg, double *state, size_t lds, uint64_t k) {
    const double lr = mf_schedule_at(&o->sched, k), b1 = o->p.beta1, b2 = o->p.beta2;
    const double eps = o->p.eps, wd = o->p.weight_decay;
    const double c1 = 1.0 - b1, c2 = 1.0 - b2;
    const double bc1 = bias_correction(b1, k), bc2 = bias_correction(b2, k);
    /* torch divides sqrt(v) by sqrt(bc2); multiplying by the reciprocal saves a division per
     * coordinate and changes the result by at most an ulp */
    const double step = lr / bc1, ibc2s = 1.0 / sqrt(bc2);
    const double shrink = 1.0 - lr * wd, gwd = decoupled ? 0.0 : wd;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld, *restrict mr = state + r * m,
                         *restrict vr = state + lds + r * m;
        const double *restrict gr = g + r * ldg;
        if (decoupled && wd != 0.0)
            for (size_t i = 0; i < m; i++)
                zr[i] *= shrink;
        if (gwd != 0.0) {
            for (size_t i = 0; i < m; i++) {
                double gi = gr[i] + gwd * zr[i];
                mr[i] = mr[i] * b1 + c1 * gi;
                vr[i] = vr[i] * b2 + c2 * (gi * gi);
                zr[i] += -step * (mr[i] / (sqrt(vr[i]) * ibc2s + eps));
            }
            continue;
        }
        for (size_t i = 0; i < m; i++) { /* m and v stay in registers: no reload after the store */
            double gi = gr[i];
            double mi = mr[i] * b1 + c1 * gi, vi = vr[i] * b2 + c2 * (gi * gi);
            mr[i] = mi, vr[i] = vi;
            zr[i] += -step * (mi / (sqrt(vi) * ibc2s + eps));
        }
    }
}

static void adam_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                      size_t ldg, double *state, size_t lds, uint64_t k) {
    adam_common(o, 0, d, m, z, ld, g, ldg, state, lds, k);
}

static void adamw_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                       size_t ldg, double *state, size_t lds, uint64_t k) {
    adam_common(o, 1, d, m, z, ld, g, ldg, state, lds, k);
}

/* The step size per unit of m each coordinate got at step k, averaged over the coordinates:
 * (lr/bc1) / (sqrt(v)/sqrt(bc2) + eps); lr itself before the first step (v is not defined). */
static void adam_lr_eff(const mf_optim *o, size_t d, size_t m, const double *z, size_t ld,
                        const double *state, size_t lds, uint64_t k, double *out) {
    const double lr = mf_schedule_at(&o->sched, k ? k : 1);
    if (k == 0) {
        for (size_t i = 0; i < m; i++)
            out[i] = lr;
        return;
    }
    const double bc1 = bias_correction(o->p.beta1, k), bc2 = bias_correction(o->p.beta2, k);
    for (size_t i = 0; i < m; i++)
        out[i] = 0.0;
    for (size_t r = 0; r < d; r++) {
        const double *vr = state + lds + r * m;
        for (size_t i = 0; i < m; i++)
            out[i] += lr / bc1 / (sqrt(vr[i]) / sqrt(bc2) + o->p.eps) / (double)d;
    }
}

const mf_optim_type mf_optim_adam_type = {.name = "adam",
                                          .nstate = 2,
                                          .state_names = {"m", "v"},
                                          .momentum_state = 0,
                                          .step = adam_step,
                                          .lr_eff = adam_lr_eff};

const mf_optim_type mf_optim_adamw_type = {.name = "adamw",
                                           .nstate = 2,
                                           .state_names = {"m", "v"},
                                           .momentum_state = 0,
                                           .step = adamw_step,
                                           .lr_eff = adam_lr_eff};
