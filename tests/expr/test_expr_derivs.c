/* Expression landscapes (issue 17), engine level: symbolic derivatives against central
 * differences (Richardson-extrapolated, step 1e-3: truncation O(h^4)) on 60 random smooth
 * expressions from a seeded generator; the valley and the rotated valley as expressions
 * against the built-in ones to 1e-14 (value, gradient, Hessian, H v, trace, dH[v]); blocks
 * against single points bit for bit; simplification and sharing; parse errors with columns. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mflab/expr.h"
#include "mflab/landscape.h"

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

/* A random expression over x, y, z and the parameter p that is smooth and finite everywhere
 * (every log, sqrt, division and power has a positive argument). */
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
                                  "(%s)^2",
                                  "(2 + sin(%s))^(cos(%s))",
                                  "x*(%s) - y^2*(%s)",
                                  "max(3 + (%s), 2 - (%s)^2)"};
    int f = pick(sizeof forms / sizeof forms[0]);
    snprintf(buf, cap, forms[f], a, b);
}

static const char *const VARS[] = {"x", "y", "z"};
static const char *const PARS[] = {"p"};

/* Richardson extrapolation of central differences of a vector function along direction v */
typedef void (*vfun)(const mf_landscape *L, const double *z, double *out);
static void fd(const mf_landscape *L, vfun F, size_t n, const double *z, const double *v,
               double *out) {
    double h = 1e-3, zp[3], zm[3], fp[9], fm[9], d1[9], d2[9];
    for (int pass = 0; pass < 2; pass++) {
        double e = pass ? h / 2 : h;
        for (int k = 0; k < 3; k++)
            zp[k] = z[k] + e * v[k], zm[k] = z[k] - e * v[k];
        F(L, zp, fp);
        F(L, zm, fm);
        for (size_t j = 0; j < n; j++)
            (pass ? d2 : d1)[j] = (fp[j] - fm[j]) / (2 * e);
    }
    for (size_t j = 0; j < n; j++)
        out[j] = (4 * d2[j] - d1[j]) / 3;
}
static void Fval(const mf_landscape *L, const double *z, double *o) {
    o[0] = mf_landscape_value(L, z);
}
static void Fgrad(const mf_landscape *L, const double *z, double *o) {
    mf_landscape_grad(L, z, o);
}
static void Fhess(const mf_landscape *L, const double *z, double *o) {
    mf_landscape_hess(L, z, o);
}

static double maxabs(const double *a, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(a[i]) > m ? fabs(a[i]) : m;
    return m;
}

static void random_expressions(void) {
    const int NEXPR = 60;
    int nfail0 = check_failed;
    for (int e = 0; e < NEXPR; e++) {
        char src[16384];
        gen(src, sizeof src, 4);
        double pv = 0.7;
        mf_landscape *L;
        mf_err err;
        int rc = mf_landscape_expr(&L, src, 3, VARS, 1, PARS, &pv, 0, NULL, e % 2, &err);
        CHECK(rc == 0, "expression %d parses: %s (%s)", e, rc ? err.msg : "", src);
        if (rc) continue;
        for (int t = 0; t < 3; t++) {
            double z[3], v[3], unit[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
            for (int k = 0; k < 3; k++)
                z[k] = 3 * unif() - 1.5, v[k] = 2 * unif() - 1;
            double g[3], H[9], gfd[3], Hfd[9], dH[9], dHfd[9], hv[3];
            mf_landscape_grad(L, z, g);
            mf_landscape_hess(L, z, H);
            for (int k = 0; k < 3; k++) {
                fd(L, Fval, 1, z, unit[k], &gfd[k]);
                fd(L, Fgrad, 3, z, unit[k], Hfd + 3 * k); /* row k: d g / d z_k */
            }
            fd(L, Fhess, 9, z, v, dHfd);
            L->type->dhess(L, z, v, dH);
            double f = fabs(mf_landscape_value(L, z));
            double sg = 1 + f + maxabs(g, 3), sh = sg + maxabs(H, 9), sd = sh + maxabs(dH, 9);
            for (int k = 0; k < 3; k++)
                CHECK(fabs(g[k] - gfd[k]) <= 1e-7 * sg, "expr %d grad[%d] %.17g vs fd %.17g: %s", e,
                      k, g[k], gfd[k], src);
            for (int k = 0; k < 9; k++) {
                CHECK(fabs(H[k] - Hfd[k]) <= 1e-7 * sh, "expr %d hess[%d] %.17g vs fd %.17g: %s", e,
                      k, H[k], Hfd[k], src);
                CHECK(fabs(dH[k] - dHfd[k]) <= 1e-6 * sd, "expr %d dhess[%d] %.17g vs fd %.17g: %s",
                      e, k, dH[k], dHfd[k], src);
            }
            mf_landscape_hvp(L, z, v, hv);
            double tr = mf_landscape_trace_hessian(L, z);
            for (int k = 0; k < 3; k++)
                CHECK_CLOSE(hv[k], H[3 * k] * v[0] + H[3 * k + 1] * v[1] + H[3 * k + 2] * v[2],
                            1e-13 * sh, "hvp");
            CHECK_CLOSE(tr, H[0] + H[4] + H[8], 1e-13 * sh, "trace");
        }
        mf_landscape_free(L);
    }
    printf("random expressions: %d, failures %d\n", NEXPR, check_failed - nfail0);
}

/* z, out: SoA blocks of m points */
static void valleys(int compile) {
    const char *const xy[] = {"x", "y"};
    const char *const tn[] = {"t"};
    double c[3] = {1, 0, 1}, theta = 0.3;
    mf_landscape *B[2], *E[2];
    mf_err err;
    CHECK(mf_landscape_valley(&B[0], c, 3, &err) == 0, "valley");
    CHECK(mf_landscape_rotated_valley(&B[1], theta, c, 3, &err) == 0, "rotated valley");
    CHECK(mf_landscape_expr(&E[0], "(1 + x^2) * y^2", 2, xy, 0, NULL, NULL, 1, NULL, compile,
                            &err) == 0,
          "valley expr");
    CHECK(mf_landscape_expr(&E[1], "(x*sin(t) + y*cos(t))^2 * (1 + (x*cos(t) - y*sin(t))^2)", 2, xy,
                            1, tn, &theta, 1, NULL, compile, &err) == 0,
          "rotated valley expr");
    enum { M = 100 };
    double z[2 * M], v[2 * M];
    for (int i = 0; i < 2 * M; i++)
        z[i] = 8 * unif() - 4, v[i] = 2 * unif() - 1;
    for (int w = 0; w < 2; w++) {
        double fb[M], fe[M], gb[2 * M], ge[2 * M], hb[4 * M], he[4 * M], vb[2 * M], ve[2 * M];
        double tb[M], te[M];
        B[w]->type->value(B[w], M, z, M, fb);
        E[w]->type->value(E[w], M, z, M, fe);
        B[w]->type->grad(B[w], M, z, M, gb, M);
        E[w]->type->grad(E[w], M, z, M, ge, M);
        B[w]->type->hess(B[w], M, z, M, hb, M);
        E[w]->type->hess(E[w], M, z, M, he, M);
        B[w]->type->hvp(B[w], M, z, M, v, M, vb, M);
        E[w]->type->hvp(E[w], M, z, M, v, M, ve, M);
        B[w]->type->trace_hessian(B[w], M, z, M, tb);
        E[w]->type->trace_hessian(E[w], M, z, M, te);
        double worst = 0;
#define REL(a, b)                                                                                  \
    do {                                                                                           \
        double r_ = fabs((a) - (b)) / (fabs(b) > 1 ? fabs(b) : 1);                                 \
        worst = r_ > worst ? r_ : worst;                                                           \
    } while (0)
        for (int i = 0; i < M; i++) {
            REL(fe[i], fb[i]);
            REL(te[i], tb[i]);
            for (int k = 0; k < 2; k++) {
                REL(ge[k * M + i], gb[k * M + i]);
                REL(ve[k * M + i], vb[k * M + i]);
            }
            for (int k = 0; k < 4; k++)
                REL(he[k * M + i], hb[k * M + i]);
            double zi[2] = {z[i], z[M + i]}, vi[2] = {v[i], v[M + i]}, db[4], de[4];
            B[w]->type->dhess(B[w], zi, vi, db);
            E[w]->type->dhess(E[w], zi, vi, de);
            for (int k = 0; k < 4; k++)
                REL(de[k], db[k]);
        }
        CHECK(worst <= 1e-14, "%s as an expression: largest relative difference %.3g > 1e-14",
              B[w]->type->name, worst);
        printf("%s: expression (%s) vs built-in, largest relative difference %.3g\n",
               B[w]->type->name, compile ? "compiled" : "interpreted", worst);
        /* the blocks agree bit for bit with single points */
        int same = 1;
        for (int i = 0; i < M; i++) {
            double zi[2] = {z[i], z[M + i]}, g1[2], h1[4];
            mf_landscape_grad(E[w], zi, g1);
            mf_landscape_hess(E[w], zi, h1);
            same &= g1[0] == ge[i] && g1[1] == ge[M + i];
            for (int k = 0; k < 4; k++)
                same &= h1[k] == he[k * M + i];
        }
        CHECK(same, "blocks and points agree bit for bit");
    }
    /* parameters change without a rebuild: set t = 0.5 equals a landscape built with 0.5 */
    double t5 = 0.5, zz[2] = {0.7, -1.3}, g1[2], g2[2];
    mf_landscape *E5;
    CHECK(mf_landscape_expr(&E5, "(x*sin(t) + y*cos(t))^2 * (1 + (x*cos(t) - y*sin(t))^2)", 2, xy,
                            1, tn, &t5, 1, NULL, compile, &err) == 0,
          "t = 0.5");
    CHECK(mf_landscape_expr_set(E[1], "t", 0.5, &err) == 0, "set t");
    mf_landscape_grad(E[1], zz, g1);
    mf_landscape_grad(E5, zz, g2);
    CHECK(g1[0] == g2[0] && g1[1] == g2[1], "set{t = 0.5} equals building with t = 0.5");
    CHECK(mf_landscape_expr_set(E[1], "u", 0.5, &err) != 0 && strstr(err.msg, "no parameter 'u'") &&
              strstr(err.msg, "parameters: t"),
          "unknown parameter: %s", err.msg);
    CHECK(mf_landscape_expr_set(E[1], "t", NAN, &err) != 0, "NaN parameter refused");
    for (int w = 0; w < 2; w++)
        mf_landscape_free(B[w]), mf_landscape_free(E[w]);
    mf_landscape_free(E5);
}

static void simplification(void) {
    const char *const xs[] = {"x", "y"};
    mf_expr_dag g;
    mf_err err;
    int r, x, y;
    mf_expr_dag_init(&g);
    x = mf_expr_leaf(&g, MF_EXPR_VAR, 0);
    y = mf_expr_leaf(&g, MF_EXPR_VAR, 1);
    CHECK(mf_expr_parse(&g, "x*1 + 0", 2, xs, 0, NULL, &r, &err) == 0 && r == x, "x*1 + 0 = x");
    CHECK(mf_expr_parse(&g, "(x - x) * sin(y)", 2, xs, 0, NULL, &r, &err) == 0 &&
              g.n[r].op == MF_EXPR_CONST && g.n[r].c == 0.0,
          "(x - x) sin y = 0");
    CHECK(mf_expr_parse(&g, "2*3^2 - 1", 2, xs, 0, NULL, &r, &err) == 0 &&
              g.n[r].op == MF_EXPR_CONST && g.n[r].c == 17.0,
          "constants fold");
    size_t before = g.len;
    CHECK(mf_expr_parse(&g, "sin(x*y) + sin(x*y)", 2, xs, 0, NULL, &r, &err) == 0, "parse");
    CHECK(g.len - before == 3, "sin(x*y) shared: 3 new nodes (x*y, sin, +), got %zu",
          g.len - before);
    /* d/dx (x^3) = 3 x^2 = 3 (x * x); d/dy of it = 0 */
    CHECK(mf_expr_parse(&g, "x^3", 2, xs, 0, NULL, &r, &err) == 0, "parse x^3");
    int d = mf_expr_diff(&g, r, 0), xx = mf_expr_binary(&g, MF_EXPR_MUL, x, x);
    CHECK(g.n[d].op == MF_EXPR_MUL && g.n[g.n[d].a].op == MF_EXPR_CONST && g.n[g.n[d].a].c == 3.0 &&
              g.n[d].b == xx,
          "d x^3 / dx = 3 (x*x)");
    int dd = mf_expr_diff(&g, d, 1);
    CHECK(g.n[dd].op == MF_EXPR_CONST && g.n[dd].c == 0.0, "d/dy 3x^2 = 0");
    CHECK(mf_expr_depends(&g, r, 0) && !mf_expr_depends(&g, r, 1), "x^3 depends on x only");
    (void)y;
    mf_expr_dag_free(&g);
}

static void parse_errors(void) {
    const char *const xs[] = {"x", "y"};
    const char *const ps[] = {"t"};
    static const struct {
        const char *src, *want;
    } cases[] = {
        {"x + * 2", "syntax error: expected a number, a name or '(', found '*' at column 5"},
        {"(x + y", "syntax error: expected ')', found the end of the expression at column 7"},
        {"x y", "syntax error: unexpected 'y' at column 3"},
        {"x + zz", "unknown identifier 'zz' (variables: x, y; parameters: t) at column 5"},
        {"max(x)", "function 'max' takes 2 arguments, got 1 at column 1"},
        {"sin(x, y)", "function 'sin' takes 1 argument, got 2 at column 1"},
        {"2 * sin", "'sin' is a function: write it with its arguments in parentheses at column 5"},
        {"", "syntax error: expected a number, a name or '(', found the end of the expression at "
             "column 1"},
        {"x $ 2", "syntax error: unexpected '$' at column 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mf_expr_dag g;
        mf_err err;
        int r;
        mf_expr_dag_init(&g);
        int rc = mf_expr_parse(&g, cases[i].src, 2, xs, 1, ps, &r, &err);
        CHECK(rc == MF_EINVAL && strcmp(err.msg, cases[i].want) == 0, "'%s': got '%s', want '%s'",
              cases[i].src, rc ? err.msg : "(no error)", cases[i].want);
        mf_expr_dag_free(&g);
    }
    char deep[1024] = "";
    for (int i = 0; i < 300; i++)
        strcat(deep, "(");
    mf_expr_dag g;
    mf_err err;
    int r;
    mf_expr_dag_init(&g);
    CHECK(mf_expr_parse(&g, deep, 2, xs, 0, NULL, &r, &err) == MF_EINVAL &&
              strstr(err.msg, "nested too deeply"),
          "deep nesting is an error, not a crash");
    const char *const dup[] = {"x", "x"};
    CHECK(mf_expr_parse(&g, "x", 2, dup, 0, NULL, &r, &err) == MF_EINVAL &&
              strstr(err.msg, "declared twice"),
          "a name declared twice");
    const char *const fnname[] = {"sin"};
    CHECK(mf_expr_parse(&g, "1", 1, fnname, 0, NULL, &r, &err) == MF_EINVAL &&
              strstr(err.msg, "function's name"),
          "a variable named like a function");
    mf_expr_dag_free(&g);
}

/* Compiled (libtcc) against interpreted: the same operations in the same order, so the same
 * bits (the issue asks 1e-14); value, gradient and Hessian of random expressions in one
 * program, over a block of 130 points (chunks of 64 and a remainder). Compile times printed. */
static void compiled_vs_interpreted(void) {
    if (!mf_expr_jit_available()) {
        printf("compiled vs interpreted: built without libtcc, skipped\n");
        return;
    }
    enum { M = 130 };
    double z[3 * M], par = 0.7, tmax = 0, tsum = 0;
    for (int i = 0; i < 3 * M; i++)
        z[i] = 3 * unif() - 1.5;
    int ncomp = 0, nsame = 0;
    const int NEXPR = 60;
    for (int e = 0; e < NEXPR; e++) {
        char src[16384];
        gen(src, sizeof src, 4);
        mf_expr_dag g;
        mf_err err;
        mf_expr_dag_init(&g);
        int roots[13], r;
        CHECK(mf_expr_parse(&g, src, 3, VARS, 1, PARS, &r, &err) == 0, "parse %s", src);
        roots[0] = r;
        for (int k = 0; k < 3; k++)
            roots[1 + k] = mf_expr_diff(&g, r, k);
        for (int k = 0; k < 3; k++)
            for (int l = 0; l < 3; l++)
                roots[4 + 3 * k + l] = mf_expr_diff(&g, roots[1 + k], l);
        mf_expr_prog p;
        CHECK(mf_expr_prog_new(&p, &g, 13, roots, &err) == 0, "program");
        double secs, a[13 * M], b[13 * M];
        int rc = mf_expr_jit(&p, &secs);
        CHECK(rc == 0 && p.kernel, "expression %d compiles: %s", e, src);
        if (rc == 0) {
            ncomp++;
            tmax = secs > tmax ? secs : tmax, tsum += secs;
            mf_expr_prog_interp(&p, M, z, M, NULL, 0, &par, a, M);
            p.kernel(M, z, M, NULL, 0, &par, b, M); /* the kernel itself, whatever m */
            int same = 1;
            for (int i = 0; i < 13 * M; i++)
                same &= (a[i] == b[i]) || (a[i] != a[i] && b[i] != b[i]);
            CHECK(same, "expression %d: compiled and interpreted differ: %s", e, src);
            nsame += same;
        }
        mf_expr_prog_free(&p);
        mf_expr_dag_free(&g);
    }
    printf("compiled vs interpreted: %d of %d expressions compiled, %d bit-identical; compile "
           "time (value + gradient + Hessian) mean %.2f ms, max %.2f ms\n",
           ncomp, NEXPR, nsame, 1e3 * tsum / (ncomp ? ncomp : 1), 1e3 * tmax);
    CHECK(tmax < 0.2, "compile time %.3f s (a loose bound on a shared machine; target 20 ms)",
          tmax);
}

int main(void) {
    random_expressions();
    compiled_vs_interpreted();
    valleys(1);
    valleys(0);
    simplification();
    parse_errors();
    return check_summary();
}
