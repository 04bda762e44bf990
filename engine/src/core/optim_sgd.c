#include "mflab/optim.h"

#include <math.h>

/* sgd: z <- z - lr g (MATH.md §3). */
static void sgd_step(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                     size_t ldg, double *state, size_t lds, uint64_t k) {
    const double lr = o->lr;
    for (size_t r = 0; r < d; r++) {
        double *restrict zr = z + r * ld;
        const double *restrict gr = g + r * ldg;
        for (size_t i = 0; i < m; i++)
            zr[i] -= lr * gr[i];
    }
}

static const mf_optim_type sgd_type = {"sgd", 0, sgd_step};

int mf_optim_sgd(mf_optim *o, double lr, mf_err *err) {
    if (!(lr > 0.0) || !isfinite(lr))
        return mf_err_set(err, MF_EINVAL, "lr must be a finite number > 0, got %g", lr);
    o->type = &sgd_type;
    o->lr = lr;
    return MF_OK;
}
