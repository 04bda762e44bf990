/* Private: the expression graph (expr.h). */
#ifndef MFLAB_EXPR_IMPL_H
#define MFLAB_EXPR_IMPL_H

#include "mflab/expr.h"

typedef struct mf_xnode {
    int op;
    int a, b; /* children (or the variable / parameter index of a leaf) */
    double c; /* value of a constant */
} mf_xnode;

struct mf_expr {
    mf_xnode *n;
    size_t len, cap;
    int *hash; /* open addressing: node index + 1, 0 = empty */
    size_t hcap;
    int *dmemo; /* derivative memo: dmemo[node * nvars + k] = d node / d var k + 1, 0 = unknown */
    size_t dmemo_len;
    size_t nvars, nparams;
    char **vars, **params;
    int failed;
};

/* The node (op, a, b, c), simplified and shared with an equal existing node; -1 on failure. */
int mf_expr_node(mf_expr *E, int op, int a, int b, double c);
int mf_expr_const(mf_expr *E, double c);

#endif
