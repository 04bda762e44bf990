/* Expressions: a loss written as a string over named variables and parameters, parsed into a
 * hash-consed DAG (equal subexpressions are one node, so common subexpressions are shared by
 * construction), differentiated symbolically, simplified while it is built (constant folding,
 * x + 0, x * 1, x * 0, x - x, x^1, x^2 -> x * x) and evaluated over blocks of points by an
 * interpreter (or by C compiled in-process with libtcc, expr_tcc.c, when built with it).
 *
 * Language: numbers (C syntax, 1, 2.5, 1e-3), + - * / ^ (right-associative, binds tighter than
 * unary minus: -x^2 = -(x^2)), unary minus, parentheses, and the functions sin cos tan exp log
 * log1p sqrt tanh sigmoid abs (one argument), min max (two). Names are the variables and the
 * parameters; a parameter's value is an input of the evaluation, so it changes without a
 * rebuild. Run-time domain errors (log of a negative number, division by zero) give NaN or Inf
 * as in C, which a run reports with its non-finite error. */
#ifndef MFLAB_EXPR_H
#define MFLAB_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "mflab/error.h"

enum {
    MF_EXPR_CONST,
    MF_EXPR_VAR,   /* variable k: z_k */
    MF_EXPR_DIR,   /* direction k: v_k (the third-derivative contraction's direction) */
    MF_EXPR_PARAM, /* parameter k */
    MF_EXPR_ADD,
    MF_EXPR_SUB,
    MF_EXPR_MUL,
    MF_EXPR_DIV,
    MF_EXPR_POW,
    MF_EXPR_NEG,
    MF_EXPR_SIN,
    MF_EXPR_COS,
    MF_EXPR_TAN,
    MF_EXPR_EXP,
    MF_EXPR_LOG,
    MF_EXPR_LOG1P,
    MF_EXPR_SQRT,
    MF_EXPR_TANH,
    MF_EXPR_SIGMOID, /* 1 / (1 + exp(-a)) */
    MF_EXPR_ABS,
    MF_EXPR_MIN,
    MF_EXPR_MAX,
    MF_EXPR_SIGN, /* derivative of abs: -1, 0, 1 */
    MF_EXPR_LE,   /* derivative of min and max: a <= b ? 1 : 0 */
    MF_EXPR_NOPS
};

typedef struct mf_expr_node {
    int op;
    int a, b; /* operands (node indices, smaller than this node's) or -1 */
    int k;    /* index of a variable, direction or parameter */
    double c; /* constant */
    uint64_t hash;
} mf_expr_node;

/* The node pool: nodes in creation order, which is a topological order (operands first). */
typedef struct mf_expr_dag {
    mf_expr_node *n;
    size_t len, cap;
    int *tab; /* open-addressing hash table of node indices (-1 empty) */
    size_t tabcap;
} mf_expr_dag;

void mf_expr_dag_init(mf_expr_dag *g);
void mf_expr_dag_free(mf_expr_dag *g);
/* The node op(a, b) (or a constant, variable, ...), simplified and shared; -1 when out of
 * memory. */
int mf_expr_const(mf_expr_dag *g, double c);
int mf_expr_leaf(mf_expr_dag *g, int op, int k);
int mf_expr_unary(mf_expr_dag *g, int op, int a);
int mf_expr_binary(mf_expr_dag *g, int op, int a, int b);
/* op applied to numbers (b ignored by unary ops): the one definition of each operation, used
 * by constant folding and the interpreter alike. */
double mf_expr_apply(int op, double a, double b);

/* Parses src; names of the variables and parameters as given (no name twice, none a function
 * name). Errors say the column (1-based) and, for an unknown identifier, list the names. */
int mf_expr_parse(mf_expr_dag *g, const char *src, size_t nvar, const char *const *vars,
                  size_t npar, const char *const *params, int *root, mf_err *err);

/* d root / d z_var, a node of g; -1 when out of memory. */
int mf_expr_diff(mf_expr_dag *g, int root, int var);
/* Whether node root depends on variable var. */
int mf_expr_depends(const mf_expr_dag *g, int root, int var);
/* 64-bit hash of node root (structure, constants, leaf indices): the compile cache's key. */
uint64_t mf_expr_hash(const mf_expr_dag *g, int root);

/* A compiled program: the same arguments as mf_expr_prog_eval. */
typedef void (*mf_expr_kernel)(size_t m, const double *z, size_t ld, const double *v, size_t ldv,
                               const double *par, double *out, size_t ldo);

/* A straight-line program computing nout output nodes: the nodes they need, in order. */
typedef struct mf_expr_prog {
    size_t nins, nout;
    mf_expr_node *ins;     /* operands renumbered to instruction indices */
    int *out;              /* instruction of each output */
    uint64_t hash;         /* of the instruction list */
    mf_expr_kernel kernel; /* compiled form (expr_tcc.c) or NULL: the interpreter */
} mf_expr_prog;

int mf_expr_prog_new(mf_expr_prog *p, const mf_expr_dag *g, size_t nout, const int *roots,
                     mf_err *err);
void mf_expr_prog_free(mf_expr_prog *p);
/* For m points: inputs z (variables, SoA with leading dimension ld), v (directions, ldv; may be
 * NULL when the program has none), the parameter values; output j of point i to
 * out[j*ldo + i]. Per-thread scratch; NaN outputs if it cannot be had. */
void mf_expr_prog_eval(const mf_expr_prog *p, size_t m, const double *z, size_t ld, const double *v,
                       size_t ldv, const double *par, double *out, size_t ldo);
/* The same by the interpreter only (the reference for the compiled form). */
void mf_expr_prog_interp(const mf_expr_prog *p, size_t m, const double *z, size_t ld,
                         const double *v, size_t ldv, const double *par, double *out, size_t ldo);

/* Compiles p with libtcc (cached by the program's hash): 0 on success, nonzero when the build
 * has no libtcc or compilation failed (the interpreter is then used). Seconds spent compiling
 * in *secs when not NULL. */
int mf_expr_jit(mf_expr_prog *p, double *secs);
/* 1 when the build has libtcc. */
int mf_expr_jit_available(void);

#endif
