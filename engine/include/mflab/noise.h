/* Gradient-noise models (doc/math.md §2): each fills the noise term D(z) xi of a step for a block
 * of points. A step of SGD is z <- z - lr (grad f(z) - D xi), i.e. the Euler step of
 * dz = -grad f dt + sqrt(lr) D dW with t = k lr (doc/math.md §0). The xi are standard normals
 * drawn from each trajectory's own stream, ndraws of them per step, in row order; the
 * noise model subtracts D xi from the gradient block in place. */
#ifndef MFLAB_NOISE_H
#define MFLAB_NOISE_H

#include <math.h>
#include <stddef.h>

#include "mflab/error.h"
#include "mflab/landscape.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mf_noise mf_noise;

typedef struct mf_noise_type {
    const char *name;
    /* Checks that the landscape supports this noise; fills the normals needed per step. */
    int (*bind)(const mf_noise *nz, const mf_landscape *L, size_t *ndraws, mf_err *err);
    /* g -= D(z) xi for a block (g has d rows, xi ndraws rows): the noisy gradient. */
    void (*sub)(const mf_noise *nz, const mf_landscape *L, size_t m, const double *z, size_t ld,
                const double *xi, size_t ldxi, double *g, size_t ldg);
} mf_noise_type;

enum mf_noise_space { MF_SPACE_FULL, MF_SPACE_NORMAL, MF_SPACE_TANGENT };

struct mf_noise {
    const mf_noise_type *type;
    double sigma; /* sigma; eps for label noise */
    enum mf_noise_space space;
    double batch; /* B of minibatch{B}: the covariance is divided by B (Q(20)); 1 otherwise */
};

/* The scale the noise hooks apply: sigma / sqrt(B). */
static inline double mf_noise_scale(const mf_noise *nz) {
    return nz->sigma / sqrt(nz->batch);
}

/* No noise: g is the exact gradient (what mf_run does with noise = NULL too). */
int mf_noise_none(mf_noise *nz, mf_err *err);
/* Minibatch noise of batch size B >= 1 wrapping inner: covariance D D^T / B (Q(20)). Wrapping
 * a minibatch multiplies the batch sizes. */
int mf_noise_minibatch(mf_noise *nz, const mf_noise *inner, double B, mf_err *err);

/* D D^T = (sigma^2/2) H_f(Pz) = sigma^2 A(Pz). */
int mf_noise_hessian(mf_noise *nz, double sigma, mf_err *err);
/* D D^T = sigma^2 P_T (space normal) or sigma^2 I (space full). */
int mf_noise_isotropic(mf_noise *nz, double sigma, enum mf_noise_space space, mf_err *err);

/* Label noise (doc/math.md §2): each target y_a -> y_a + eps xi_a, fresh every step, on a landscape
 * with per-example residuals (L->nres > 0; an error naming the option 'noise' otherwise):
 * g -= 2 w eps J(z)^T xi with nres normals, so D D^T = 2 w eps^2 H_f on a zero-loss manifold
 * (c = 2 w in flatter-faster's sigma sigma^T = c H_f; 1/P for the UV model). */
int mf_noise_label(mf_noise *nz, double eps, mf_err *err);

/* The vtables, for identifying a noise model (a minibatch keeps its inner model's type). */
extern const mf_noise_type mf_noise_none_type, mf_noise_hessian_type, mf_noise_isotropic_type,
    mf_noise_label_type;

int mf_noise_bind(const mf_noise *nz, const mf_landscape *L, size_t *ndraws, mf_err *err);

#ifdef __cplusplus
}
#endif

#endif
