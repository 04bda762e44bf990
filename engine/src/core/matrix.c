/* Small dense products (matrix_impl.h). */
#include "matrix_impl.h"

void mf_mat_mul_rows(size_t r, size_t n, size_t b, const double *A, size_t ars, size_t aks,
                     const double *B, size_t brs, size_t bcs, double *C) {
    for (size_t i = 0; i < r; i++) {
        double *row = C + i * b;
        for (size_t j = 0; j < b; j++)
            row[j] = 0.0;
        for (size_t k = 0; k < n; k++) {
            const double aik = A[i * ars + k * aks], *bk = B + k * brs;
            if (bcs == 1) /* a contiguous row of B: the loop vectorizes */
                for (size_t j = 0; j < b; j++)
                    row[j] += aik * bk[j];
            else
                for (size_t j = 0; j < b; j++)
                    row[j] += aik * bk[j * bcs];
        }
    }
}
