/* Expressions: losses written as strings over named variables and parameters, parsed into a
 * shared DAG (hash-consed: equal subexpressions are one node, so common subexpressions are
 * evaluated once), differentiated symbolically with simplification, and evaluated by an
 * interpreter over a block of points.
 *
 * Language: numbers, variables, parameters, + - * / ^ (right-associative, binds tighter than
 * unary minus: -x^2 = -(x^2)), parentheses, and the functions sin cos tan exp log log1p sqrt
 * tanh sigmoid abs (one argument), min max (two). Errors name the column (1-based).
 *
 * Indexed variables and finite sums: variables named base[k] for consecutive k (x[1], ...,
 * x[40], in that order among the names) are the indexed variable x, written x[index] with an
 * integer index expression; sum(i, lo, hi, body) is body summed for i = lo..hi, left to right
 * (0 when hi < lo), expanded when parsed. Index expressions and bounds are fixed integers:
 * integer literals, the indices of the enclosing sums, #x (the number of variables x[...]),
 * + - * % (remainder in 0..b-1), unary minus and parentheses; in the body an index is also a
 * number (sum(i, 1, 3, i * x[i]^2)). An index out of range is an error naming its column. */
#ifndef MFLAB_EXPR_H
#define MFLAB_EXPR_H

#include <stddef.h>

#include "mflab/error.h"
#include "mflab/landscape.h"

typedef struct mf_expr mf_expr;

/* Node operations. CONST, VAR, PARAM are leaves; LT(a, b) is 1 where a < b else 0 and SIGN the
 * sign (both have derivative 0: used by the derivatives of min, max and abs). */
enum {
    MF_X_CONST,
    MF_X_VAR,
    MF_X_PARAM,
    MF_X_ADD,
    MF_X_SUB,
    MF_X_MUL,
    MF_X_DIV,
    MF_X_POW,
    MF_X_MIN,
    MF_X_MAX,
    MF_X_LT,
    MF_X_NEG,
    MF_X_SIN,
    MF_X_COS,
    MF_X_TAN,
    MF_X_EXP,
    MF_X_LOG,
    MF_X_LOG1P,
    MF_X_SQRT,
    MF_X_TANH,
    MF_X_SIGMOID,
    MF_X_ABS,
    MF_X_SIGN,
    MF_X_NOPS
};

/* An empty expression graph over nvars variables and nparams parameters (names copied). */
int mf_expr_new(mf_expr **out, size_t nvars, const char *const *vars, size_t nparams,
                const char *const *params, mf_err *err);
void mf_expr_free(mf_expr *E);
/* Parses src into the graph; *root = its node. what names the source in messages
 * ("mf.landscape.expr: option 'f'"). */
int mf_expr_parse(mf_expr *E, const char *src, const char *what, int *root, mf_err *err);
/* The node d(node)/d(var k), simplified (x + 0 = x, 1 x = x, constants folded, ...). */
int mf_expr_diff(mf_expr *E, int node, size_t k);
/* Number of nodes (each node's children have smaller indices). */
size_t mf_expr_size(const mf_expr *E);
/* A node's operation (MF_X_*). */
int mf_expr_op(const mf_expr *E, int node);
/* Nonzero after an allocation failure (the nodes made since are invalid). */
int mf_expr_failed(const mf_expr *E);

/* A program: the nodes needed for the given roots, in evaluation order. */
typedef struct mf_expr_prog mf_expr_prog;
mf_expr_prog *mf_expr_prog_new(const mf_expr *E, size_t nroots, const int *roots);
void mf_expr_prog_free(mf_expr_prog *P);
/* Evaluates the program at m points (block z, d = nvars rows, leading dimension ld) with
 * parameter values p: root r at point i goes to out[r * ldo + i]. work holds at least
 * mf_expr_prog_work(P, m) doubles. */
size_t mf_expr_prog_work(const mf_expr_prog *P, size_t m);
void mf_expr_prog_eval(const mf_expr_prog *P, const double *p, size_t m, const double *z, size_t ld,
                       double *out, size_t ldo, double *work);

/* Compiling a program to machine code with libtcc (expr_tcc.c; the build option MFLAB_WITH_TCC):
 * 0 and the program then also has a compiled form, which mf_expr_prog_eval uses for blocks of
 * at most MF_EXPR_JIT_MAXM points (tcc's code is scalar; the interpreter's chunk loops are
 * vector code and faster on larger blocks). The compiled code does the interpreter's
 * operations in its order, so both give the same bits. Compiled programs are cached for the
 * process by a hash of the program. Nonzero when the build has no libtcc or compiling failed
 * (the interpreter then runs it). Seconds spent in *secs when not NULL. */
#define MF_EXPR_JIT_MAXM 4
/* Larger programs are not compiled: tcc keeps every instruction's value in the kernel's stack
 * frame (8 bytes each), which must fit the stack of a worker thread. */
#define MF_EXPR_JIT_MAXINS 32768
/* nor programs of more outputs (a Hessian beyond 256 coordinates): compiling a million stores
 * takes seconds and gains little over the interpreter. */
#define MF_EXPR_JIT_MAXOUT 65536
int mf_expr_jit(mf_expr_prog *P, double *secs);
int mf_expr_jit_available(void);
/* Whether P has a compiled form; mf_expr_prog_eval_interp always interprets. */
int mf_expr_prog_compiled(const mf_expr_prog *P);
void mf_expr_prog_eval_interp(const mf_expr_prog *P, const double *p, size_t m, const double *z,
                              size_t ld, double *out, size_t ldo, double *work);

/* mf.landscape.expr: f over nvars variables, parameter values pvals; gradient, Hessian and
 * (for d <= MF_EXPR_MAX_THIRD) the third derivatives symbolically; codim > 0 declares a
 * manifold of minima (generic gradient-flow projection, frames and noise). x0 (nvars entries)
 * may be NULL. */
#define MF_EXPR_MAX_THIRD 12
int mf_landscape_expr(mf_landscape **out, const char *f, size_t nvars, const char *const *vars,
                      size_t nparams, const char *const *pnames, const double *pvals, size_t codim,
                      const double *x0, mf_err *err);

/* The valley f = h(x) y^2 (rotated = 0) or the rotated valley of angle theta (landscape.h) with
 * h an expression in the one variable x (expr_valley.c): h, h', h'', h''' symbolic, one
 * program compiled with libtcc where available; refused when h <= 0 somewhere on [-10, 10]
 * where it is defined, and NaN (the run's non-finite error) wherever h <= 0 is met later. */
int mf_landscape_valley_expr(mf_landscape **out, int rotated, double theta, const char *h,
                             mf_err *err);

/* Parameters of an expression landscape, changed between runs (not while a run steps it):
 * _set refuses an unknown name (the message lists the parameters) or a non-finite value and
 * then changes nothing; _params gives the names and current values (0 for other landscapes). */
int mf_landscape_expr_set(mf_landscape *L, const char *name, double value, mf_err *err);
size_t mf_landscape_expr_params(const mf_landscape *L, const char *const **names,
                                const double **values);
/* 1 for an expression landscape, with its graph's node count, whether its programs are compiled
 * (libtcc), and the seconds compiling took; 0 otherwise. */
int mf_landscape_expr_info(const mf_landscape *L, size_t *nodes, int *compiled, double *secs);
/* Drops the compiled forms: the landscape interprets from now on (the same bits). */
void mf_landscape_expr_interpret(mf_landscape *L);
/* Option project: P z in closed form, one expression per variable (over the variables and
 * parameters), replacing the gradient-flow limit for projections, frames and noise. Needs
 * codim > 0. Nothing checks here that it is a projection onto the minima: runs with noise in
 * the normal space check it at the first projection (mf_landscape_check_manifold). */
int mf_landscape_expr_set_projection(mf_landscape *L, size_t n, const char *const *exprs,
                                     mf_err *err);
/* Option manifold: n constraints c_j(z) = 0 (expressions) whose zero set is the manifold of
 * minima; codim becomes n (an error if codim was given otherwise). Without option project, P z
 * is then the nearest point of {c = 0} (Gauss-Newton from z: one step for affine constraints),
 * the orthogonal projection the built-in valleys use, not the gradient-flow limit (they differ
 * at second order in the distance to M). At the first projection of a run with normal-space
 * noise, c(Pz) = 0 and each grad c_j must lie in the Hessian's normal space
 * (mf_landscape_check_manifold). */
int mf_landscape_expr_set_manifold(mf_landscape *L, size_t n, const char *const *exprs,
                                   mf_err *err);
/* 1 for an expression landscape with a closed-form projection. */
int mf_landscape_expr_has_projection(const mf_landscape *L);

#endif
