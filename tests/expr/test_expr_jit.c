/* Expression programs compiled with libtcc against the interpreter (issue 17): value, gradient
 * and Hessian of 60 random expressions from a seeded generator (every operation of the
 * language, integer and real powers, min, max, abs), over a block of 130 points: the same bits
 * (the issue asks 1e-14; the compiled code does the interpreter's operations in its order).
 * Compile times printed; a second compilation of the same program is a cache hit. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "mflab/expr.h"

static uint64_t rng_state = 0x853c49e6748fea9bULL;
static uint64_t next(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double unif(void) {
    return (double)(next() >> 11) * 0x1p-53;
}
static int pick(int n) {
    return (int)(next() % (uint64_t)n);
}

static void gen(char *buf, size_t cap, int depth) {
    if (depth == 0 || pick(5) == 0) {
        static const char *leaves[] = {"x", "y", "z", "p", "x", "y", "z"};
        int k = pick(9);
        if (k < 7)
            snprintf(buf, cap, "%s", leaves[k]);
        else
            snprintf(buf, cap, "%.3g", 0.1 + 1.9 * unif());
        return;
    }
    char a[4096], b[4096];
    gen(a, sizeof a, depth - 1);
    gen(b, sizeof b, depth - 1);
    static const char *forms[] = {"(%s) + (%s)",
                                  "(%s) - (%s)",
                                  "(%s) * (%s)",
                                  "(%s) / (1 + (%s)^2)",
                                  "sin(%s)",
                                  "cos(%s)",
                                  "tanh(%s)",
                                  "sigmoid(%s)",
                                  "exp(tanh(%s))",
                                  "log(1 + (%s)^2)",
                                  "log1p((%s)^2)",
                                  "sqrt(1 + (%s)^2)",
                                  "(1 + (%s)^2)^0.7",
                                  "(%s)^3",
                                  "-(%s)",
                                  "tan(0.5*tanh(%s))",
                                  "abs(%s) * (%s)",
                                  "(2 + sin(%s))^(cos(%s))",
                                  "min(%s, %s)",
                                  "max(3 + (%s), 2 - (%s)^2)"};
    int f = pick(sizeof forms / sizeof forms[0]);
    snprintf(buf, cap, forms[f], a, b);
}

int main(void) {
    if (!mf_expr_jit_available()) {
        printf("built without libtcc: nothing to compare\n");
        return check_summary();
    }
    static const char *const vars[] = {"x", "y", "z"}, *const pars[] = {"p"};
    enum { M = 130, NR = 13 };
    double z[3 * M], par = 0.7, tmax = 0, tsum = 0;
    for (int i = 0; i < 3 * M; i++)
        z[i] = 3 * unif() - 1.5;
    const int NEXPR = 60;
    int ncomp = 0, nsame = 0;
    for (int e = 0; e < NEXPR; e++) {
        char src[16384];
        gen(src, sizeof src, 4);
        mf_expr *E;
        mf_err err;
        int r, roots[NR];
        CHECK(mf_expr_new(&E, 3, vars, 1, pars, &err) == 0, "new");
        CHECK(mf_expr_parse(E, src, "f", &r, &err) == 0, "parse %s", src);
        roots[0] = r;
        for (int k = 0; k < 3; k++)
            roots[1 + k] = mf_expr_diff(E, r, (size_t)k);
        for (int k = 0; k < 3; k++)
            for (int l = 0; l < 3; l++)
                roots[4 + 3 * k + l] = mf_expr_diff(E, roots[1 + k], (size_t)l);
        mf_expr_prog *P = mf_expr_prog_new(E, NR, roots);
        CHECK(P != NULL, "program");
        double *w = malloc(sizeof(double) * mf_expr_prog_work(P, M));
        double a[NR * M], secs, secs2;
        int rc = mf_expr_jit(P, &secs);
        CHECK(rc == 0 && mf_expr_prog_compiled(P), "expression %d compiles: %s", e, src);
        if (rc == 0) {
            ncomp++;
            tmax = secs > tmax ? secs : tmax, tsum += secs;
            mf_expr_prog_eval_interp(P, &par, M, z, M, a, M, w);
            /* the compiled form point by point (blocks of <= MF_EXPR_JIT_MAXM run it) */
            int same = 1;
            for (int i = 0; i < M; i++) {
                double zi[3] = {z[i], z[M + i], z[2 * M + i]}, o[NR];
                mf_expr_prog_eval(P, &par, 1, zi, 1, o, 1, w);
                for (int k = 0; k < NR; k++) {
                    double u = a[k * M + i];
                    same &= u == o[k] || (u != u && o[k] != o[k]);
                }
            }
            CHECK(same, "expression %d: compiled and interpreted differ: %s", e, src);
            nsame += same;
            mf_expr_prog *Q = mf_expr_prog_new(E, NR, roots); /* the same program again */
            CHECK(Q && mf_expr_jit(Q, &secs2) == 0 && mf_expr_prog_compiled(Q),
                  "recompiling hits the cache");
            mf_expr_prog_free(Q);
        }
        free(w);
        mf_expr_prog_free(P);
        mf_expr_free(E);
    }
    printf("compiled vs interpreted: %d of %d expressions compiled, %d bit-identical; compile "
           "time (value, gradient, Hessian in one program) mean %.2f ms, max %.2f ms\n",
           ncomp, NEXPR, nsame, 1e3 * tsum / (ncomp ? ncomp : 1), 1e3 * tmax);
    CHECK(tmax < 0.2, "compile time %.3f s (a loose bound on a shared machine; target 20 ms)",
          tmax);
    return check_summary();
}
