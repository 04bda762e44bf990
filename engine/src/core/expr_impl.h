/* Private: the expression graph (expr.h). */
#ifndef MFLAB_EXPR_IMPL_H
#define MFLAB_EXPR_IMPL_H

#include "mflab/expr.h"

typedef struct mf_xnode {
    int op;
    int a, b;   /* children (or the variable / parameter index of a leaf) */
    double c;   /* value of a constant */
    int lo, hi; /* the variables it depends on lie in lo..hi (lo > hi: none): the derivative
                 * along any other is 0 without a look (a sum's terms, a sparse Hessian) */
} mf_xnode;

/* An indexed variable: the variables first .. first + hi - lo, named base[lo] .. base[hi] in
 * consecutive order (mf_expr_new finds them among the names). */
typedef struct mf_xgroup {
    char *base;
    size_t first;
    long long lo, hi;
} mf_xgroup;

struct mf_expr {
    mf_xnode *n;
    size_t len, cap;
    int *hash; /* open addressing: node index + 1, 0 = empty */
    size_t hcap;
    int *dmemo; /* derivative memo: dmemo[node * nvars + k] = d node / d var k + 1, 0 = unknown */
    size_t dmemo_len;
    size_t nvars, nparams;
    char **vars, **params;
    mf_xgroup *groups; /* indexed variables */
    size_t ngroups;
    int failed;
};

/* A program instruction: operands are earlier instructions' slots (VAR / PARAM: the index). */
typedef struct mf_xins {
    int op;
    int a, b;
    int ipow; /* POW with an integer constant exponent |n| <= 64: 1, and n in c */
    double c;
} mf_xins;

typedef void (*mf_expr_kernel)(const double *p, size_t m, const double *z, size_t ld, double *out,
                               size_t ldo);

struct mf_expr_prog {
    mf_xins *ins;
    size_t nins;
    int *roots; /* slot of each root */
    size_t nroots;
    /* the interpreter's work rows: instruction j writes row wrow[3j] from rows wrow[3j + 1],
     * wrow[3j + 2] (its operands'); a row is reused once its value is dead, so a long chain
     * needs few rows; root r ends in row wroot[r] */
    int *wrow, *wroot;
    size_t nrows;
    mf_expr_kernel kernel; /* compiled form (expr_tcc.c) or NULL */
};

/* x^n for an integer n by repeated squaring (exact for n = 2, as x*x); the compiled code calls
 * this very function, so both agree bit for bit. */
double mf_expr_powi(double x, int n);

/* The node (op, a, b, c), simplified and shared with an equal existing node; -1 on failure. */
int mf_expr_node(mf_expr *E, int op, int a, int b, double c);
int mf_expr_const(mf_expr *E, double c);

#endif
