/* Loss landscapes: a vtable of block evaluations plus a parameter block.
 *
 * Batch first: a block of m points is stored as structure of arrays, coordinate k of point i
 * at z[k*ld + i] (ld >= m), so one loop over i steps a whole ensemble. Hessians of a block are
 * stored the same way, entry (k, l) of point i at h[(k*d + l)*ldh + i].
 *
 * Manifold geometry (MATH.md §0): P projects onto the manifold of minima M; at a point of M,
 * T (d x k) and N (d x c) are orthonormal bases of the tangent and normal spaces, stored
 * column-major; A = H_f/2. */
#ifndef MFLAB_LANDSCAPE_H
#define MFLAB_LANDSCAPE_H

#include <stddef.h>

#include "mflab/error.h"

typedef struct mf_landscape mf_landscape;

typedef struct mf_landscape_type {
    const char *name;
    void (*value)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *f);
    void (*grad)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *g,
                 size_t ldg);
    void (*hess)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *h,
                 size_t ldh);
    /* Optional (NULL when the landscape has no closed form). */
    void (*project)(const mf_landscape *L, size_t m, const double *z, size_t ld, double *pz,
                    size_t ldp);
    /* Noise hooks: they subtract a noise term from the gradient block g (d rows), so a step
     * needs no separate pass to combine them. xi has c rows of standard normals.
     * normal_sub:    g -= s N(Pz) xi                  (isotropic noise in the normal space)
     * hess_sqrt_sub: g -= s N sqrt(N^T A(Pz) N) xi    (Hessian-aligned noise) */
    void (*normal_sub)(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                       const double *xi, size_t ldxi, double *g, size_t ldg);
    void (*hess_sqrt_sub)(const mf_landscape *L, size_t m, const double *z, size_t ld, double s,
                          const double *xi, size_t ldxi, double *g, size_t ldg);
    /* At one point z of M: tangent and normal bases. */
    void (*frame)(const mf_landscape *L, const double *z, double *T, double *N);
    /* At one point z: out (d x d, row-major) = directional derivative of H_f along v. */
    void (*dhess)(const mf_landscape *L, const double *z, const double *v, double *out);
    void (*destroy)(mf_landscape *L);
} mf_landscape_type;

struct mf_landscape {
    const mf_landscape_type *type;
    size_t dim;   /* d */
    size_t codim; /* c: dimension of the normal space of M (0 if no manifold is known) */
    void *params;
};

/* One point at a time (z and g of length d, h d x d row-major): thin wrappers over the
 * block evaluations with m = 1, so point and block results agree bit for bit. */
double mf_landscape_value(const mf_landscape *L, const double *z);
void mf_landscape_grad(const mf_landscape *L, const double *z, double *g);
void mf_landscape_hess(const mf_landscape *L, const double *z, double *h);
int mf_landscape_project(const mf_landscape *L, const double *z, double *pz, mf_err *err);

void mf_landscape_free(mf_landscape *L);

/* f(x, y) = h(x) y^2 with h a polynomial, h(x) = sum_k c[k] x^k (MATH.md §1 valley).
 * The caller guarantees h > 0 on the region of interest; the constructor checks only
 * what it can (ncoef in 1..MF_VALLEY_MAXCOEF, finite coefficients). */
#define MF_VALLEY_MAXCOEF 16
int mf_landscape_valley(mf_landscape **out, const double *c, size_t ncoef, mf_err *err);
/* The coefficients of h (for printing and introspection). */
size_t mf_landscape_valley_coefs(const mf_landscape *L, double *c);

#endif
