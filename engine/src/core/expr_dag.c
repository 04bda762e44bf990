/* The expression DAG: hash-consed nodes with simplification on construction, and symbolic
 * differentiation by a forward sweep over the nodes (creation order is topological, so no
 * recursion: deep expressions cannot overflow the stack). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mflab/expr.h"

void mf_expr_dag_init(mf_expr_dag *g) {
    memset(g, 0, sizeof *g);
}

void mf_expr_dag_free(mf_expr_dag *g) {
    free(g->n);
    free(g->tab);
    memset(g, 0, sizeof *g);
}

static uint64_t mix(uint64_t h, uint64_t x) {
    h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

/* Hash of a node from its op, its operands' hashes and its leaf data: equal structure gives
 * equal hashes in any DAG (the compile cache relies on that). */
static uint64_t node_hash(const mf_expr_dag *g, const mf_expr_node *x) {
    uint64_t h = mix(0x6a09e667f3bcc908ULL, (uint64_t)x->op);
    uint64_t cb;
    memcpy(&cb, &x->c, sizeof cb);
    h = mix(h, cb);
    h = mix(h, (uint64_t)(int64_t)x->k);
    h = mix(h, x->a >= 0 ? g->n[x->a].hash : 0x1234);
    h = mix(h, x->b >= 0 ? g->n[x->b].hash : 0x5678);
    return h;
}

static int same(const mf_expr_node *p, const mf_expr_node *q) {
    return p->op == q->op && p->a == q->a && p->b == q->b && p->k == q->k &&
           memcmp(&p->c, &q->c, sizeof p->c) == 0;
}

static int rehash(mf_expr_dag *g, size_t cap) {
    int *t = malloc(sizeof(int) * cap);
    if (!t) return -1;
    for (size_t i = 0; i < cap; i++)
        t[i] = -1;
    for (size_t i = 0; i < g->len; i++) {
        size_t s = g->n[i].hash & (cap - 1);
        while (t[s] >= 0)
            s = (s + 1) & (cap - 1);
        t[s] = (int)i;
    }
    free(g->tab);
    g->tab = t, g->tabcap = cap;
    return 0;
}

/* The node equal to x, made if new. */
static int intern(mf_expr_dag *g, mf_expr_node x) {
    if (g->len >= (size_t)1 << 28) return -1;
    x.hash = node_hash(g, &x);
    if (2 * (g->len + 1) > g->tabcap && rehash(g, g->tabcap ? 2 * g->tabcap : 256)) return -1;
    size_t s = x.hash & (g->tabcap - 1);
    while (g->tab[s] >= 0) {
        const mf_expr_node *y = &g->n[g->tab[s]];
        if (y->hash == x.hash && same(y, &x)) return g->tab[s];
        s = (s + 1) & (g->tabcap - 1);
    }
    if (g->len == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;
        mf_expr_node *n = realloc(g->n, sizeof *n * cap);
        if (!n) return -1;
        g->n = n, g->cap = cap;
    }
    g->n[g->len] = x;
    g->tab[s] = (int)g->len;
    return (int)g->len++;
}

int mf_expr_const(mf_expr_dag *g, double c) {
    if (c == 0.0) c = 0.0; /* one zero: -0 and +0 share a node (x * 0 folds to it) */
    return intern(g, (mf_expr_node){.op = MF_EXPR_CONST, .a = -1, .b = -1, .c = c});
}

int mf_expr_leaf(mf_expr_dag *g, int op, int k) {
    return intern(g, (mf_expr_node){.op = op, .a = -1, .b = -1, .k = k});
}

static double sigmoid(double a) {
    return 1.0 / (1.0 + exp(-a));
}

/* The one definition of every operation, shared by constant folding and the interpreter. */
double mf_expr_apply(int op, double a, double b) {
    switch (op) {
    case MF_EXPR_ADD:
        return a + b;
    case MF_EXPR_SUB:
        return a - b;
    case MF_EXPR_MUL:
        return a * b;
    case MF_EXPR_DIV:
        return a / b;
    case MF_EXPR_POW:
        return pow(a, b);
    case MF_EXPR_NEG:
        return -a;
    case MF_EXPR_SIN:
        return sin(a);
    case MF_EXPR_COS:
        return cos(a);
    case MF_EXPR_TAN:
        return tan(a);
    case MF_EXPR_EXP:
        return exp(a);
    case MF_EXPR_LOG:
        return log(a);
    case MF_EXPR_LOG1P:
        return log1p(a);
    case MF_EXPR_SQRT:
        return sqrt(a);
    case MF_EXPR_TANH:
        return tanh(a);
    case MF_EXPR_SIGMOID:
        return sigmoid(a);
    case MF_EXPR_ABS:
        return fabs(a);
    case MF_EXPR_MIN:
        return a <= b ? a : b;
    case MF_EXPR_MAX:
        return a >= b ? a : b;
    case MF_EXPR_SIGN:
        return a > 0 ? 1.0 : a < 0 ? -1.0 : 0.0;
    case MF_EXPR_LE:
        return a <= b ? 1.0 : 0.0;
    }
    return NAN;
}

static int isc(const mf_expr_dag *g, int a, double c) {
    return g->n[a].op == MF_EXPR_CONST && g->n[a].c == c;
}

int mf_expr_unary(mf_expr_dag *g, int op, int a) {
    if (a < 0) return -1;
    const mf_expr_node *x = &g->n[a];
    if (x->op == MF_EXPR_CONST) return mf_expr_const(g, mf_expr_apply(op, x->c, 0.0));
    if (op == MF_EXPR_NEG && x->op == MF_EXPR_NEG) return x->a;
    return intern(g, (mf_expr_node){.op = op, .a = a, .b = -1});
}

int mf_expr_binary(mf_expr_dag *g, int op, int a, int b) {
    if (a < 0 || b < 0) return -1;
    int ca = g->n[a].op == MF_EXPR_CONST, cb = g->n[b].op == MF_EXPR_CONST;
    if (ca && cb) return mf_expr_const(g, mf_expr_apply(op, g->n[a].c, g->n[b].c));
    switch (op) {
    case MF_EXPR_ADD:
        if (isc(g, a, 0.0)) return b;
        if (isc(g, b, 0.0)) return a;
        if (g->n[b].op == MF_EXPR_NEG) return mf_expr_binary(g, MF_EXPR_SUB, a, g->n[b].a);
        break;
    case MF_EXPR_SUB:
        if (isc(g, b, 0.0)) return a;
        if (isc(g, a, 0.0)) return mf_expr_unary(g, MF_EXPR_NEG, b);
        if (a == b) return mf_expr_const(g, 0.0);
        if (g->n[b].op == MF_EXPR_NEG) return mf_expr_binary(g, MF_EXPR_ADD, a, g->n[b].a);
        break;
    case MF_EXPR_MUL:
        /* x * 0 = 0 symbolically (an Inf or NaN x would give NaN numerically: a derivative
         * term that vanishes identically is dropped, as in every symbolic system) */
        if (isc(g, a, 0.0) || isc(g, b, 0.0)) return mf_expr_const(g, 0.0);
        if (isc(g, a, 1.0)) return b;
        if (isc(g, b, 1.0)) return a;
        if (isc(g, a, -1.0)) return mf_expr_unary(g, MF_EXPR_NEG, b);
        if (isc(g, b, -1.0)) return mf_expr_unary(g, MF_EXPR_NEG, a);
        if (cb && !ca) return mf_expr_binary(g, MF_EXPR_MUL, b, a); /* constants first */
        break;
    case MF_EXPR_DIV:
        if (isc(g, b, 1.0)) return a;
        if (isc(g, a, 0.0)) return mf_expr_const(g, 0.0);
        break;
    case MF_EXPR_POW:
        if (isc(g, b, 1.0)) return a;
        if (isc(g, b, 0.0)) return mf_expr_const(g, 1.0);
        /* x^2 = x * x: correctly rounded both ways, and the products vectorize */
        if (isc(g, b, 2.0)) return mf_expr_binary(g, MF_EXPR_MUL, a, a);
        break;
    }
    return intern(g, (mf_expr_node){.op = op, .a = a, .b = b});
}

/* Nodes reachable from root (mark[i] = 1), all below root. */
static char *reach(const mf_expr_dag *g, int root) {
    char *mark = calloc((size_t)root + 1, 1);
    if (!mark) return NULL;
    mark[root] = 1;
    for (int i = root; i >= 0; i--) {
        if (!mark[i]) continue;
        if (g->n[i].a >= 0) mark[g->n[i].a] = 1;
        if (g->n[i].b >= 0) mark[g->n[i].b] = 1;
    }
    return mark;
}

int mf_expr_depends(const mf_expr_dag *g, int root, int var) {
    char *mark = reach(g, root);
    int dep = !mark;
    for (int i = 0; mark && i <= root; i++)
        if (mark[i] && g->n[i].op == MF_EXPR_VAR && g->n[i].k == var) dep = 1;
    free(mark);
    return dep;
}

uint64_t mf_expr_hash(const mf_expr_dag *g, int root) {
    return g->n[root].hash;
}

/* d root / d z_var by forward accumulation over the nodes root needs: dn[i] = d node i. */
int mf_expr_diff(mf_expr_dag *g, int root, int var) {
    if (root < 0) return -1;
    char *mark = reach(g, root);
    int *dn = malloc(sizeof(int) * ((size_t)root + 1));
    int res = -1;
    if (!mark || !dn) goto done;
#define K(c)        mf_expr_const(g, c)
#define U(op, a)    mf_expr_unary(g, MF_EXPR_##op, a)
#define B(op, a, b) mf_expr_binary(g, MF_EXPR_##op, a, b)
    for (int i = 0; i <= root; i++) {
        if (!mark[i]) continue;
        mf_expr_node x = g->n[i]; /* a copy: g->n moves when nodes are added */
        int a = x.a, b = x.b, da = a >= 0 ? dn[a] : -1, db = b >= 0 ? dn[b] : -1, d;
        switch (x.op) {
        case MF_EXPR_VAR:
            d = K(x.k == var ? 1.0 : 0.0);
            break;
        case MF_EXPR_CONST:
        case MF_EXPR_DIR:
        case MF_EXPR_PARAM:
        case MF_EXPR_SIGN:
        case MF_EXPR_LE:
            d = K(0.0);
            break;
        case MF_EXPR_ADD:
            d = B(ADD, da, db);
            break;
        case MF_EXPR_SUB:
            d = B(SUB, da, db);
            break;
        case MF_EXPR_MUL:
            d = B(ADD, B(MUL, da, b), B(MUL, a, db));
            break;
        case MF_EXPR_DIV: /* (da - (a/b) db) / b */
            d = B(DIV, B(SUB, da, B(MUL, i, db)), b);
            break;
        case MF_EXPR_POW:
            if (g->n[b].op == MF_EXPR_CONST || isc(g, db, 0.0)) /* b a^(b-1) da */
                d = B(MUL, B(MUL, b, B(POW, a, B(SUB, b, K(1.0)))), da);
            else /* a^b (db log a + b da / a) */
                d = B(MUL, i, B(ADD, B(MUL, db, U(LOG, a)), B(DIV, B(MUL, b, da), a)));
            break;
        case MF_EXPR_NEG:
            d = U(NEG, da);
            break;
        case MF_EXPR_SIN:
            d = B(MUL, U(COS, a), da);
            break;
        case MF_EXPR_COS:
            d = U(NEG, B(MUL, U(SIN, a), da));
            break;
        case MF_EXPR_TAN:
            d = B(MUL, B(ADD, K(1.0), B(MUL, i, i)), da);
            break;
        case MF_EXPR_EXP:
            d = B(MUL, i, da);
            break;
        case MF_EXPR_LOG:
            d = B(DIV, da, a);
            break;
        case MF_EXPR_LOG1P:
            d = B(DIV, da, B(ADD, K(1.0), a));
            break;
        case MF_EXPR_SQRT:
            d = B(DIV, da, B(MUL, K(2.0), i));
            break;
        case MF_EXPR_TANH:
            d = B(MUL, B(SUB, K(1.0), B(MUL, i, i)), da);
            break;
        case MF_EXPR_SIGMOID:
            d = B(MUL, B(MUL, i, B(SUB, K(1.0), i)), da);
            break;
        case MF_EXPR_ABS:
            d = B(MUL, U(SIGN, a), da);
            break;
        case MF_EXPR_MIN: { /* le da + (1 - le) db */
            int le = B(LE, a, b);
            d = B(ADD, B(MUL, le, da), B(MUL, B(SUB, K(1.0), le), db));
            break;
        }
        case MF_EXPR_MAX: { /* a >= b picks a: le(b, a) */
            int le = B(LE, b, a);
            d = B(ADD, B(MUL, le, da), B(MUL, B(SUB, K(1.0), le), db));
            break;
        }
        default:
            d = -1;
        }
        if (d < 0) goto done;
        dn[i] = d;
    }
#undef K
#undef U
#undef B
    res = dn[root];
done:
    free(mark);
    free(dn);
    return res;
}
