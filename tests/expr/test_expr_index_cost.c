/* The cost of expanding sums (issue 17): a model of n coordinates written with sum(...),
 * f = sum_i (x[i] x[i+1] - 1)^2 + 0.01 sum_i x[i]^2, for n = 10, 100, 300: seconds to parse,
 * to differentiate (gradient and Hessian), to make the programs and to compile them (libtcc);
 * the graph's size grows linearly in n (hash-consing shares the terms' derivatives), the
 * Hessian's nonzero pattern is the tridiagonal one, and compiled and interpreted programs
 * agree bit for bit over a block of points (programs of more than MF_EXPR_JIT_MAXOUT outputs,
 * here n = 300, are not compiled). Timings are printed (loose bounds: the machine is
 * shared). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "mflab/expr.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(void) {
    static const size_t sizes[] = {10, 100, 300};
    size_t nodes_per[3] = {0};
    for (int s = 0; s < 3; s++) {
        const size_t n = sizes[s];
        char **names = malloc(n * sizeof *names);
        for (size_t k = 0; k < n; k++) {
            names[k] = malloc(32);
            snprintf(names[k], 32, "x[%zu]", k + 1);
        }
        mf_expr *E;
        mf_err err;
        int root;
        double t0 = now();
        CHECK(mf_expr_new(&E, n, (const char *const *)names, 0, NULL, &err) == 0, "new");
        CHECK(mf_expr_parse(E,
                            "sum(i, 1, #x - 1, (x[i]*x[i+1] - 1)^2) + 0.01*sum(i, 1, #x, x[i]^2)",
                            "f", &root, &err) == 0,
              "parse");
        size_t nf = mf_expr_size(E);
        double t1 = now();
        int *roots = malloc((n + n * n) * sizeof *roots);
        for (size_t k = 0; k < n; k++)
            roots[k] = mf_expr_diff(E, root, k);
        for (size_t k = 0; k < n; k++)
            for (size_t l = 0; l < n; l++)
                roots[n + k * n + l] = mf_expr_diff(E, roots[k], l);
        double t2 = now();
        mf_expr_prog *P = mf_expr_prog_new(E, n + n * n, roots);
        CHECK(P != NULL && !mf_expr_failed(E), "program");
        double t3 = now(), secs = 0;
        int jit = mf_expr_jit_available() ? mf_expr_jit(P, &secs) : 1;
        if (mf_expr_jit_available())
            CHECK((jit != 0) == (n + n * n > MF_EXPR_JIT_MAXOUT),
                  "n = %zu: compiled up to %d outputs", n, MF_EXPR_JIT_MAXOUT);
        double t4 = now();
        nodes_per[s] = mf_expr_size(E) / n;
        /* Hessian pattern: |k - l| <= 1 nonzero, the rest the constant 0 */
        int pattern = 1;
        for (size_t k = 0; k < n; k++)
            for (size_t l = 0; l < n; l++) {
                int zero = mf_expr_op(E, roots[n + k * n + l]) == MF_X_CONST;
                pattern &= (k > l + 1 || l > k + 1) ? zero : !zero;
            }
        CHECK(pattern, "n = %zu: the Hessian's graph is tridiagonal", n);
        /* compiled point by point against the interpreter over a block of 9 points */
        if (!jit) {
            enum { M = 9 };
            size_t nr = n + n * n;
            double *z = malloc(n * M * sizeof *z), *a = malloc(nr * M * sizeof *a),
                   *o = malloc(nr * sizeof *o), *zi = malloc(n * sizeof *zi);
            double *w = malloc(mf_expr_prog_work(P, M) * sizeof *w);
            for (size_t i = 0; i < n * M; i++)
                z[i] = 0.3 + 0.001 * (double)((i * 7919) % 1000);
            mf_expr_prog_eval_interp(P, NULL, M, z, M, a, M, w);
            int same = 1;
            for (size_t i = 0; i < M; i++) {
                for (size_t k = 0; k < n; k++)
                    zi[k] = z[k * M + i];
                mf_expr_prog_eval(P, NULL, 1, zi, 1, o, 1, w);
                for (size_t r = 0; r < nr; r++)
                    same &= o[r] == a[r * M + i];
            }
            CHECK(same, "n = %zu: compiled and interpreted, the same bits", n);
            free(z), free(a), free(o), free(zi), free(w);
        }
        printf("n = %3zu: %6zu nodes (loss %zu); parse %.1f ms, gradient + Hessian %.1f ms, "
               "programs %.1f ms, compile %s %.1f ms\n",
               n, mf_expr_size(E), nf, 1e3 * (t1 - t0), 1e3 * (t2 - t1), 1e3 * (t3 - t2),
               jit ? (mf_expr_jit_available() ? "(too many outputs: interpreted)" : "(no libtcc)")
                   : "",
               1e3 * (t4 - t3));
        if (n == 100)
            CHECK(t4 - t0 < 2.0, "n = 100 builds in %.3f s (a loose bound; ~0.05 s measured)",
                  t4 - t0);
        mf_expr_prog_free(P);
        mf_expr_free(E);
        free(roots);
        for (size_t k = 0; k < n; k++)
            free(names[k]);
        free(names);
    }
    /* linear growth: nodes per coordinate about constant from 100 to 300 */
    CHECK(nodes_per[2] <= nodes_per[1] + 2, "graph size linear in n: %zu, %zu nodes per coordinate",
          nodes_per[1], nodes_per[2]);
    return check_summary();
}
