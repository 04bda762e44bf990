/* Optimizers (MATH.md §3): a step for a block of points, given the noisy gradient
 * g = grad f(z) - D xi. State (momenta, second moments) lives in nstate arrays of d rows
 * beside z, in the same structure-of-arrays layout. */
#ifndef MFLAB_OPTIM_H
#define MFLAB_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"

typedef struct mf_optim mf_optim;

typedef struct mf_optim_type {
    const char *name;
    size_t nstate; /* state arrays of d rows per point */
    /* One step k (1-based) for a block: z, g and each state array have d rows. */
    void (*step)(const mf_optim *o, size_t d, size_t m, double *z, size_t ld, const double *g,
                 size_t ldg, double *state, size_t lds, uint64_t k);
} mf_optim_type;

struct mf_optim {
    const mf_optim_type *type;
    double lr;
};

/* Plain SGD: z <- z - lr g. */
int mf_optim_sgd(mf_optim *o, double lr, mf_err *err);

#endif
