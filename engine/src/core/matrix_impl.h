/* Small dense products for the flows' c x c and d x d algebra (not public API). */
#ifndef MFLAB_MATRIX_IMPL_H
#define MFLAB_MATRIX_IMPL_H

#include <stddef.h>

/* C = A B, C (r x b, row-major), A[i][k] = A[i ars + k aks], B[k][j] = B[k brs + j bcs],
 * k < n. Each entry is summed over k in order from 0.0, the order of one running sum, so the
 * bits are those of the plain triple loop; the loops update a row of C at a time, so the
 * independent entries overlap instead of each waiting on the adder's latency. */
void mf_mat_mul_rows(size_t r, size_t n, size_t b, const double *A, size_t ars, size_t aks,
                     const double *B, size_t brs, size_t bcs, double *C);

#endif
