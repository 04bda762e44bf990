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

int mf_expr_diff(mf_expr *E, int i, size_t k) {
    if (E->failed || i < 0) return -1;
    if (memo_reserve(E, (size_t)i)) return E->failed = 1, -1;
    if (E->dmemo[(size_t)i * E->nvars + k]) return E->dmemo[(size_t)i * E->nvars + k] - 1;
    mf_xnode x = E->n[i];
    int a = x.a, b = x.b, r = -1, da = -1, db = -1;
    if (x.op >= MF_X_ADD && x.op != MF_X_CONST && x.op != MF_X_VAR && x.op != MF_X_PARAM) {
        da = mf_expr_diff(E, a, k);
        if (x.op <= MF_X_LT) db = mf_expr_diff(E, b, k);
        if (da < 0 || (x.op <= MF_X_LT && db < 0)) return -1;
    }
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
    if (r < 0 || E->failed) return E->failed = 1, -1;
    if (memo_reserve(E, (size_t)i)) return E->failed = 1, -1;
    E->dmemo[(size_t)i * E->nvars + k] = r + 1;
    return r;
}
