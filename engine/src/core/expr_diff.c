/* Symbolic derivatives. Each rule builds its result through mf_expr_node, which simplifies
 * (x + 0, 1 x, constant folding, ...) and shares equal subexpressions, so gradient, Hessian and
 * third derivatives reuse each other's nodes (and the loss's). Derivatives are memoized per
 * (node, variable). */
#include <stdlib.h>
#include <string.h>

#include "expr_impl.h"

static int N(mf_expr *E, int op, int a, int b) {
    return mf_expr_node(E, op, a, b, 0);
}
static int C(mf_expr *E, double c) {
    return mf_expr_const(E, c);
}

static int memo_reserve(mf_expr *E, size_t node) {
    size_t need = (node + 1) * E->nvars;
    if (need <= E->dmemo_len) return 0;
    size_t len = E->dmemo_len ? E->dmemo_len : 256;
    while (len < need)
        len *= 2;
    int *m = realloc(E->dmemo, len * sizeof *m);
    if (!m) return -1;
    memset(m + E->dmemo_len, 0, (len - E->dmemo_len) * sizeof *m);
    E->dmemo = m;
    E->dmemo_len = len;
    return 0;
}

/* d node / d var k + 1 from the memo, 0 when not known yet */
static int known(const mf_expr *E, int i, size_t k) {
    size_t at = (size_t)i * E->nvars + k;
    return at < E->dmemo_len ? E->dmemo[at] : 0;
}

/* Whether node i depends on no variable k: its derivative is the constant 0 (what the rules
 * would simplify it to), without a look at its subgraph. */
static int indep(const mf_expr *E, int i, size_t k) {
    return (long long)k < E->n[i].lo || (long long)k > E->n[i].hi;
}

/* Whether node op's derivative needs its first / second child's (LT and SIGN are piecewise
 * constant: derivative 0). */
static int unary_child(int op) {
    return op >= MF_X_ADD && op != MF_X_LT && op != MF_X_SIGN;
}
static int binary_child(int op) {
    return op >= MF_X_ADD && op < MF_X_LT;
}

/* The derivative of node i once its children's are in the memo. */
static int rule(mf_expr *E, int i, size_t k) {
    mf_xnode x = E->n[i]; /* a copy: making nodes may move E->n */
    int a = x.a, b = x.b, r = -1;
    int da = !unary_child(x.op) ? -1 : indep(E, a, k) ? C(E, 0) : known(E, a, k) - 1;
    int db = !binary_child(x.op) ? -1 : indep(E, b, k) ? C(E, 0) : known(E, b, k) - 1;
    switch (x.op) {
    case MF_X_CONST:
    case MF_X_PARAM:
    case MF_X_LT:
    case MF_X_SIGN:
        r = C(E, 0);
        break;
    case MF_X_VAR:
        r = C(E, (size_t)a == k ? 1 : 0);
        break;
    case MF_X_ADD:
        r = N(E, MF_X_ADD, da, db);
        break;
    case MF_X_SUB:
        r = N(E, MF_X_SUB, da, db);
        break;
    case MF_X_MUL:
        r = N(E, MF_X_ADD, N(E, MF_X_MUL, da, b), N(E, MF_X_MUL, a, db));
        break;
    case MF_X_DIV: /* (a/b)' = a'/b - (a/b) b'/b */
        r = N(E, MF_X_SUB, N(E, MF_X_DIV, da, b), N(E, MF_X_DIV, N(E, MF_X_MUL, i, db), b));
        break;
    case MF_X_POW:
        if (E->n[b].op == MF_X_CONST || (E->n[db].op == MF_X_CONST && E->n[db].c == 0)) {
            /* (a^p)' = p a^(p-1) a' for p constant in z (a constant or a parameter expression) */
            int pm1 = N(E, MF_X_SUB, b, C(E, 1));
            r = N(E, MF_X_MUL, N(E, MF_X_MUL, b, N(E, MF_X_POW, a, pm1)), da);
        } else { /* (a^b)' = a^b (b' log a + b a'/a) */
            int t = N(E, MF_X_ADD, N(E, MF_X_MUL, db, N(E, MF_X_LOG, a, -1)),
                      N(E, MF_X_DIV, N(E, MF_X_MUL, b, da), a));
            r = N(E, MF_X_MUL, i, t);
        }
        break;
    case MF_X_MIN: { /* min(a, b)' = [a < b] a' + (1 - [a < b]) b' */
        int lt = N(E, MF_X_LT, a, b);
        r = N(E, MF_X_ADD, N(E, MF_X_MUL, lt, da), N(E, MF_X_MUL, N(E, MF_X_SUB, C(E, 1), lt), db));
        break;
    }
    case MF_X_MAX: {
        int lt = N(E, MF_X_LT, a, b);
        r = N(E, MF_X_ADD, N(E, MF_X_MUL, lt, db), N(E, MF_X_MUL, N(E, MF_X_SUB, C(E, 1), lt), da));
        break;
    }
    case MF_X_NEG:
        r = N(E, MF_X_NEG, da, -1);
        break;
    case MF_X_SIN:
        r = N(E, MF_X_MUL, N(E, MF_X_COS, a, -1), da);
        break;
    case MF_X_COS:
        r = N(E, MF_X_NEG, N(E, MF_X_MUL, N(E, MF_X_SIN, a, -1), da), -1);
        break;
    case MF_X_TAN: /* 1 + tan^2 */
        r = N(E, MF_X_MUL, N(E, MF_X_ADD, C(E, 1), N(E, MF_X_MUL, i, i)), da);
        break;
    case MF_X_EXP:
        r = N(E, MF_X_MUL, i, da);
        break;
    case MF_X_LOG:
        r = N(E, MF_X_DIV, da, a);
        break;
    case MF_X_LOG1P:
        r = N(E, MF_X_DIV, da, N(E, MF_X_ADD, C(E, 1), a));
        break;
    case MF_X_SQRT:
        r = N(E, MF_X_DIV, da, N(E, MF_X_MUL, C(E, 2), i));
        break;
    case MF_X_TANH: /* 1 - tanh^2 */
        r = N(E, MF_X_MUL, N(E, MF_X_SUB, C(E, 1), N(E, MF_X_MUL, i, i)), da);
        break;
    case MF_X_SIGMOID: /* s (1 - s) */
        r = N(E, MF_X_MUL, N(E, MF_X_MUL, i, N(E, MF_X_SUB, C(E, 1), i)), da);
        break;
    case MF_X_ABS:
        r = N(E, MF_X_MUL, N(E, MF_X_SIGN, a, -1), da);
        break;
    }
    return r;
}

/* Post-order over the nodes that need a derivative, with a stack of its own: a sum of a
 * million terms is a chain a million nodes deep, too deep for recursion on the C stack. */
int mf_expr_diff(mf_expr *E, int i, size_t k) {
    if (E->failed || i < 0) return -1;
    if (indep(E, i, k)) return C(E, 0);
    if (known(E, i, k)) return known(E, i, k) - 1;
    size_t n = 0, cap = 64;
    int *st = malloc(cap * sizeof *st);
    if (!st) return E->failed = 1, -1;
    st[n++] = i;
    while (n && !E->failed) {
        int j = st[n - 1];
        if (known(E, j, k)) {
            n--;
            continue;
        }
        int op = E->n[j].op, kids[2], nk = 0;
        int a = E->n[j].a, b = E->n[j].b;
        if (unary_child(op) && !indep(E, a, k) && !known(E, a, k)) kids[nk++] = a;
        if (binary_child(op) && !indep(E, b, k) && !known(E, b, k)) kids[nk++] = b;
        if (nk) {
            if (n + 2 > cap) {
                int *s2 = realloc(st, 2 * cap * sizeof *st);
                if (!s2) {
                    E->failed = 1;
                    break;
                }
                st = s2, cap *= 2;
            }
            for (int c = 0; c < nk; c++)
                st[n++] = kids[c];
            continue;
        }
        int r = rule(E, j, k);
        if (r < 0 || E->failed || memo_reserve(E, (size_t)j)) {
            E->failed = 1;
            break;
        }
        E->dmemo[(size_t)j * E->nvars + k] = r + 1;
        n--;
    }
    free(st);
    return E->failed ? -1 : known(E, i, k) - 1;
}
