/* Expression graph construction (hash-consing with simplification) and the parser. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_impl.h"

static const struct {
    const char *name;
    int op, arity;
} funcs[] = {{"sin", MF_X_SIN, 1},   {"cos", MF_X_COS, 1},   {"tan", MF_X_TAN, 1},
             {"exp", MF_X_EXP, 1},   {"log", MF_X_LOG, 1},   {"log1p", MF_X_LOG1P, 1},
             {"sqrt", MF_X_SQRT, 1}, {"tanh", MF_X_TANH, 1}, {"sigmoid", MF_X_SIGMOID, 1},
             {"abs", MF_X_ABS, 1},   {"min", MF_X_MIN, 2},   {"max", MF_X_MAX, 2}};

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

/* Whether name is base[k] (an identifier, an integer in brackets, nothing more): the length
 * of base and k. */
static int indexed_name(const char *name, size_t *blen, long long *k) {
    const char *q = name;
    if (!isalpha((unsigned char)*q) && *q != '_') return 0;
    while (isalnum((unsigned char)*q) || *q == '_')
        q++;
    if (*q != '[') return 0;
    *blen = (size_t)(q - name);
    char *end;
    long long v = strtoll(q + 1, &end, 10);
    if (end == q + 1 || end[0] != ']' || end[1] || v < -1000000000LL || v > 1000000000LL) return 0;
    *k = v;
    return 1;
}

/* The indexed variables among the names: runs of consecutive names base[k], base[k + 1], ... */
static int find_groups(mf_expr *E) {
    for (size_t i = 0; i < E->nvars;) {
        size_t blen, blen2;
        long long k, k2;
        if (!indexed_name(E->vars[i], &blen, &k)) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < E->nvars && indexed_name(E->vars[j], &blen2, &k2) && blen2 == blen &&
               !strncmp(E->vars[i], E->vars[j], blen) && k2 == k + (long long)(j - i))
            j++;
        mf_xgroup *g = realloc(E->groups, (E->ngroups + 1) * sizeof *g);
        if (!g) return 1;
        E->groups = g;
        char *base = malloc(blen + 1);
        if (!base) return 1;
        memcpy(base, E->vars[i], blen);
        base[blen] = 0;
        g[E->ngroups++] = (mf_xgroup){base, i, k, k + (long long)(j - i) - 1};
        i = j;
    }
    return 0;
}

int mf_expr_new(mf_expr **out, size_t nvars, const char *const *vars, size_t nparams,
                const char *const *params, mf_err *err) {
    *out = NULL;
    mf_expr *E = calloc(1, sizeof *E);
    if (!E) return mf_err_set(err, MF_ENOMEM, "mf_expr_new: out of memory");
    E->nvars = nvars;
    E->nparams = nparams;
    E->vars = calloc(nvars + 1, sizeof *E->vars);
    E->params = calloc(nparams + 1, sizeof *E->params);
    int bad = !E->vars || !E->params;
    for (size_t i = 0; !bad && i < nvars; i++)
        bad = !(E->vars[i] = dupstr(vars[i]));
    for (size_t i = 0; !bad && i < nparams; i++)
        bad = !(E->params[i] = dupstr(params[i]));
    if (!bad) bad = find_groups(E);
    if (bad) {
        mf_expr_free(E);
        return mf_err_set(err, MF_ENOMEM, "mf_expr_new: out of memory");
    }
    *out = E;
    return MF_OK;
}

void mf_expr_free(mf_expr *E) {
    if (!E) return;
    for (size_t i = 0; E->vars && i < E->nvars; i++)
        free(E->vars[i]);
    for (size_t i = 0; E->params && i < E->nparams; i++)
        free(E->params[i]);
    free(E->vars);
    free(E->params);
    for (size_t g = 0; g < E->ngroups; g++)
        free(E->groups[g].base);
    free(E->groups);
    free(E->n);
    free(E->hash);
    free(E->dmemo);
    free(E);
}

size_t mf_expr_size(const mf_expr *E) {
    return E->len;
}
int mf_expr_op(const mf_expr *E, int node) {
    return E->n[node].op;
}
int mf_expr_failed(const mf_expr *E) {
    return E->failed;
}

static uint64_t node_hash(int op, int a, int b, double c) {
    uint64_t bits;
    memcpy(&bits, &c, sizeof bits);
    uint64_t h = 1469598103934665603ull;
    uint64_t v[4] = {(uint64_t)op, (uint64_t)(uint32_t)a, (uint64_t)(uint32_t)b, bits};
    for (int i = 0; i < 4; i++) {
        h ^= v[i];
        h *= 1099511628211ull;
        h ^= h >> 29;
    }
    return h;
}

static int same(const mf_xnode *x, int op, int a, int b, double c) {
    return x->op == op && x->a == a && x->b == b && memcmp(&x->c, &c, sizeof c) == 0;
}

static int rehash(mf_expr *E, size_t hcap) {
    int *h = calloc(hcap, sizeof *h);
    if (!h) return -1;
    for (size_t i = 0; i < E->len; i++) {
        const mf_xnode *x = &E->n[i];
        size_t j = node_hash(x->op, x->a, x->b, x->c) & (hcap - 1);
        while (h[j])
            j = (j + 1) & (hcap - 1);
        h[j] = (int)i + 1;
    }
    free(E->hash);
    E->hash = h;
    E->hcap = hcap;
    return 0;
}

/* The raw node, shared with an equal one (no simplification). */
static int intern(mf_expr *E, int op, int a, int b, double c) {
    if (E->failed) return -1;
    if (op == MF_X_CONST && c == 0) c = 0.0; /* -0 and +0 are one constant */
    if (2 * (E->len + 1) > E->hcap && rehash(E, E->hcap ? 2 * E->hcap : 256)) goto fail;
    size_t j = node_hash(op, a, b, c) & (E->hcap - 1);
    while (E->hash[j]) {
        int i = E->hash[j] - 1;
        if (same(&E->n[i], op, a, b, c)) return i;
        j = (j + 1) & (E->hcap - 1);
    }
    if (E->len >= 50000000) goto fail;
    if (E->len == E->cap) {
        size_t cap = E->cap ? 2 * E->cap : 256;
        mf_xnode *n = realloc(E->n, cap * sizeof *n);
        if (!n) goto fail;
        E->n = n;
        E->cap = cap;
    }
    int lo = INT_MAX, hi = -1; /* constants and parameters depend on no variable */
    if (op == MF_X_VAR) lo = hi = a;
    if (op >= MF_X_ADD) lo = E->n[a].lo, hi = E->n[a].hi;
    if (op >= MF_X_ADD && op <= MF_X_LT) {
        lo = E->n[b].lo < lo ? E->n[b].lo : lo;
        hi = E->n[b].hi > hi ? E->n[b].hi : hi;
    }
    E->n[E->len] = (mf_xnode){op, a, b, c, lo, hi};
    E->hash[j] = (int)E->len + 1;
    return (int)E->len++;
fail:
    E->failed = 1;
    return -1;
}

int mf_expr_const(mf_expr *E, double c) {
    return intern(E, MF_X_CONST, 0, 0, c);
}

static double fold1(int op, double x) {
    switch (op) {
    case MF_X_NEG:
        return -x;
    case MF_X_SIN:
        return sin(x);
    case MF_X_COS:
        return cos(x);
    case MF_X_TAN:
        return tan(x);
    case MF_X_EXP:
        return exp(x);
    case MF_X_LOG:
        return log(x);
    case MF_X_LOG1P:
        return log1p(x);
    case MF_X_SQRT:
        return sqrt(x);
    case MF_X_TANH:
        return tanh(x);
    case MF_X_SIGMOID:
        return 1 / (1 + exp(-x));
    case MF_X_ABS:
        return fabs(x);
    case MF_X_SIGN:
        return (x > 0) - (x < 0);
    }
    return NAN;
}

static double fold2(int op, double x, double y) {
    switch (op) {
    case MF_X_ADD:
        return x + y;
    case MF_X_SUB:
        return x - y;
    case MF_X_MUL:
        return x * y;
    case MF_X_DIV:
        return x / y;
    case MF_X_POW:
        return pow(x, y);
    case MF_X_MIN:
        return fmin(x, y);
    case MF_X_MAX:
        return fmax(x, y);
    case MF_X_LT:
        return x < y;
    }
    return NAN;
}

static int is_const(const mf_expr *E, int i, double v) {
    return E->n[i].op == MF_X_CONST && E->n[i].c == v;
}

int mf_expr_node(mf_expr *E, int op, int a, int b, double c) {
    if (E->failed || (op != MF_X_CONST && op != MF_X_VAR && op != MF_X_PARAM && a < 0) ||
        (op >= MF_X_ADD && op <= MF_X_LT && b < 0))
        return E->failed = 1, -1;
    if (op == MF_X_CONST || op == MF_X_VAR || op == MF_X_PARAM) return intern(E, op, a, b, c);
    const mf_xnode *A = &E->n[a];
    if (op >= MF_X_NEG) { /* unary */
        if (A->op == MF_X_CONST) {
            double v = fold1(op, A->c);
            if (isfinite(v)) return mf_expr_const(E, v);
        }
        if (op == MF_X_NEG && A->op == MF_X_NEG) return A->a;
        if ((op == MF_X_ABS || op == MF_X_SIGN) && A->op == op) return a;
        return intern(E, op, a, -1, 0);
    }
    const mf_xnode *B = &E->n[b];
    if (A->op == MF_X_CONST && B->op == MF_X_CONST) {
        double v = fold2(op, A->c, B->c);
        if (isfinite(v)) return mf_expr_const(E, v);
    }
    switch (op) {
    case MF_X_ADD:
        if (is_const(E, a, 0)) return b;
        if (is_const(E, b, 0)) return a;
        if (B->op == MF_X_NEG) return mf_expr_node(E, MF_X_SUB, a, B->a, 0);
        if (A->op == MF_X_NEG) return mf_expr_node(E, MF_X_SUB, b, A->a, 0);
        if (a > b) {
            int t = a;
            a = b;
            b = t;
        } /* commutative: one order, so CSE sees it */
        break;
    case MF_X_SUB:
        if (is_const(E, b, 0)) return a;
        if (is_const(E, a, 0)) return mf_expr_node(E, MF_X_NEG, b, -1, 0);
        if (a == b) return mf_expr_const(E, 0);
        if (B->op == MF_X_NEG) return mf_expr_node(E, MF_X_ADD, a, B->a, 0);
        break;
    case MF_X_MUL:
        if (is_const(E, a, 0) || is_const(E, b, 0)) return mf_expr_const(E, 0);
        if (is_const(E, a, 1)) return b;
        if (is_const(E, b, 1)) return a;
        if (is_const(E, a, -1)) return mf_expr_node(E, MF_X_NEG, b, -1, 0);
        if (is_const(E, b, -1)) return mf_expr_node(E, MF_X_NEG, a, -1, 0);
        if (A->op == MF_X_NEG) {
            int p = mf_expr_node(E, MF_X_MUL, A->a, b, 0);
            return mf_expr_node(E, MF_X_NEG, p, -1, 0);
        }
        if (B->op == MF_X_NEG) {
            int p = mf_expr_node(E, MF_X_MUL, a, B->a, 0);
            return mf_expr_node(E, MF_X_NEG, p, -1, 0);
        }
        /* constants first, then by index: c1 (c2 x) = (c1 c2) x */
        if (B->op == MF_X_CONST && A->op != MF_X_CONST) {
            int t = a;
            a = b;
            b = t;
        } else if (A->op != MF_X_CONST && a > b) {
            int t = a;
            a = b;
            b = t;
        }
        A = &E->n[a];
        B = &E->n[b];
        if (A->op == MF_X_CONST && B->op == MF_X_MUL && E->n[B->a].op == MF_X_CONST) {
            int k = mf_expr_const(E, A->c * E->n[B->a].c);
            return mf_expr_node(E, MF_X_MUL, k, B->b, 0);
        }
        break;
    case MF_X_DIV:
        if (is_const(E, b, 1)) return a;
        if (is_const(E, a, 0)) return mf_expr_const(E, 0);
        if (a == b) return mf_expr_const(E, 1);
        break;
    case MF_X_POW:
        if (is_const(E, b, 1)) return a;
        if (is_const(E, b, 0)) return mf_expr_const(E, 1);
        /* (x^p)^q = x^(pq) is wrong for negative x and fractional p; left alone */
        break;
    case MF_X_MIN:
    case MF_X_MAX:
        if (a == b) return a;
        break;
    }
    return intern(E, op, a, b, 0);
}

/* ---- parser ------------------------------------------------------------------------------- */

/* sum(i, lo, hi, body) expands at parse time: the body's text is parsed once per value of i
 * (with i bound to it) and the terms are added left to right, as if written out by hand, so
 * hash-consing shares what the terms have in common. Indices and sum bounds are integer
 * expressions, fixed when the expression is parsed. */
#define MF_EXPR_MAX_NEST  16           /* sums inside sums */
#define MF_EXPR_MAX_TERMS 1000000      /* terms of all the sums of one expression */
#define MF_EXPR_MAX_INDEX 1000000000LL /* |values| of index arithmetic */

typedef struct parser {
    mf_expr *E;
    const char *s, *p, *what;
    mf_err *err;
    int bad;
    /* the indices of the enclosing sums, innermost last: name (in the source) and value */
    const char *iname[MF_EXPR_MAX_NEST];
    size_t ilen[MF_EXPR_MAX_NEST];
    long long ival[MF_EXPR_MAX_NEST];
    int nidx;
    int dry; /* > 0 in the body of an empty sum: checked for syntax, its value unused */
    size_t terms;
} parser;

static int col(const parser *P, const char *at) {
    return (int)(at - P->s) + 1;
}

static void skip(parser *P) {
    while (*P->p && isspace((unsigned char)*P->p))
        P->p++;
}

/* The first error wins: "<what>: <message> at column <c><tail>" (the column before a tail of
 * details: a message has at most 255 characters). */
static int vfailt(parser *P, const char *at, const char *tail, const char *fmt, va_list ap) {
    if (!P->bad) {
        char msg[256];
        vsnprintf(msg, sizeof msg, fmt, ap);
        P->bad = 1;
        mf_err_set(P->err, MF_EINVAL, "%s: %s at column %d%s", P->what, msg, col(P, at), tail);
    }
    return -1;
}

static int failf(parser *P, const char *at, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfailt(P, at, "", fmt, ap);
    va_end(ap);
    return -1;
}

static int failt(parser *P, const char *at, const char *tail, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfailt(P, at, tail, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail(parser *P, const char *at, const char *msg, const char *tok) {
    if (tok) return failf(P, at, "%s '%s'", msg, tok);
    return failf(P, at, "%s", msg);
}

static int oom(parser *P) {
    if (!P->bad) {
        P->bad = 1;
        mf_err_set(P->err, MF_ENOMEM, "%s: out of memory", P->what);
    }
    return -1;
}

static int mk(parser *P, int op, int a, int b) {
    if (P->bad) return -1;
    int r = mf_expr_node(P->E, op, a, b, 0);
    return r < 0 ? oom(P) : r;
}

static int mkconst(parser *P, double v) {
    if (P->bad) return -1;
    int r = mf_expr_const(P->E, v);
    return r < 0 ? oom(P) : r;
}

static int parse_sum(parser *P, int depth);

static const char *tokname(parser *P, char *buf, size_t n) {
    if (!*P->p) return "end of expression";
    buf[0] = *P->p;
    buf[1] = 0;
    (void)n;
    return buf;
}

static int expect(parser *P, char c) {
    skip(P);
    if (*P->p == c) {
        P->p++;
        return 0;
    }
    char buf[4], want[32];
    snprintf(want, sizeof want, "expected '%c' but found", c);
    fail(P, P->p, want, tokname(P, buf, sizeof buf));
    return -1;
}

/* An identifier at P->p into name (0 and nothing read when there is none). */
static size_t ident(parser *P, char *name, size_t cap) {
    const char *at = P->p, *q = at;
    if (!isalpha((unsigned char)*q) && *q != '_') return 0;
    while (isalnum((unsigned char)*q) || *q == '_')
        q++;
    size_t len = (size_t)(q - at);
    if (len >= cap) {
        fail(P, at, "identifier too long", NULL);
        return 0;
    }
    memcpy(name, at, len);
    name[len] = 0;
    P->p = q;
    return len;
}

static long long group_count(const mf_expr *E, const char *base, const mf_xgroup **first) {
    long long n = 0;
    *first = NULL;
    for (size_t g = 0; g < E->ngroups; g++)
        if (!strcmp(E->groups[g].base, base)) {
            if (!*first) *first = &E->groups[g];
            n += E->groups[g].hi - E->groups[g].lo + 1;
        }
    return n;
}

static int find_index(const parser *P, const char *name, long long *v) {
    size_t len = strlen(name);
    for (int j = P->nidx; j-- > 0;)
        if (P->ilen[j] == len && !strncmp(P->iname[j], name, len)) {
            if (v) *v = P->ival[j];
            return 1;
        }
    return 0;
}

static int find_name(char **names, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return (int)i;
    return -1;
}

static int find_func(const char *name) {
    for (size_t f = 0; f < sizeof funcs / sizeof *funcs; f++)
        if (!strcmp(funcs[f].name, name)) return (int)f;
    return -1;
}

/* The names for a message, an indexed variable as x[1..40]; "..." when they do not fit. */
static void list_vars(const mf_expr *E, char *buf, size_t n) {
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0, g = 0; i < E->nvars && len + 8 < n;) {
        int w;
        size_t sep = len ? 2 : 0;
        if (g < E->ngroups && E->groups[g].first == i) {
            const mf_xgroup *G = &E->groups[g++];
            w = snprintf(buf + len, n - len, "%s%s[%lld..%lld]", sep ? ", " : "", G->base, G->lo,
                         G->hi);
            i += (size_t)(G->hi - G->lo + 1);
        } else {
            w = snprintf(buf + len, n - len, "%s%s", sep ? ", " : "", E->vars[i]);
            i++;
        }
        if (w < 0 || (size_t)w >= n - len - 4) {
            snprintf(buf + len, n - len, ", ...");
            return;
        }
        len += (size_t)w;
    }
}

static void list_names(char *buf, size_t n, char **names, size_t count) {
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < count; i++) {
        int w = snprintf(buf + len, n - len, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= n - len - 4) {
            snprintf(buf + len, n - len, ", ...");
            return;
        }
        len += (size_t)w;
    }
    if (!count) snprintf(buf, n, "none");
}

/* the column before the lists: a message has at most 255 characters */
static int unknown(parser *P, const char *at, const char *name) {
    char vl[100], pl[60], il[60] = "";
    list_vars(P->E, vl, sizeof vl);
    list_names(pl, sizeof pl, P->E->params, P->E->nparams);
    if (P->nidx) {
        size_t len = (size_t)snprintf(il, sizeof il, "; sum indices:");
        for (int j = 0; j < P->nidx && len + 20 < sizeof il; j++)
            len +=
                (size_t)snprintf(il + len, sizeof il - len, " %.*s", (int)P->ilen[j], P->iname[j]);
    }
    if (!P->bad) {
        P->bad = 1;
        mf_err_set(P->err, MF_EINVAL,
                   "%s: unknown identifier '%s' at column %d (variables: %s; parameters: %s%s)",
                   P->what, name, col(P, at), vl, pl, il);
    }
    return -1;
}

/* " (i = 3, j = 4)": the enclosing sums' indices, for messages about indices */
static void bindings(const parser *P, char *buf, size_t n) {
    size_t len = 0;
    buf[0] = 0;
    for (int j = 0; j < P->nidx && len + 40 < n; j++)
        len += (size_t)snprintf(buf + len, n - len, "%s%.*s = %lld", j ? ", " : " (",
                                (int)P->ilen[j], P->iname[j], P->ival[j]);
    if (len) snprintf(buf + len, n - len, ")");
}

/* ---- index arithmetic: integers, sum indices, #x, + - * %, parentheses ------------------- */

static int iexpr(parser *P, int depth, long long *v);

static int irange(parser *P, const char *at, long long v, long long *out) {
    if (v < -MF_EXPR_MAX_INDEX || v > MF_EXPR_MAX_INDEX)
        return failf(P, at, "index arithmetic out of range (|value| > %lld)", MF_EXPR_MAX_INDEX);
    *out = v;
    return 0;
}

static int iprimary(parser *P, int depth, long long *v) {
    if (depth > 200) return fail(P, P->p, "expression nested too deeply", NULL);
    skip(P);
    const char *at = P->p;
    if (isdigit((unsigned char)*at)) {
        long long x = 0;
        while (isdigit((unsigned char)*P->p)) {
            x = 10 * x + (*P->p++ - '0');
            if (x > MF_EXPR_MAX_INDEX) return irange(P, at, x, v);
        }
        if (*P->p == '.' || *P->p == 'e' || *P->p == 'E')
            return fail(P, at, "indices and sum bounds are integers, found a real number", NULL);
        *v = x;
        return 0;
    }
    if (*at == '-' || *at == '+') {
        P->p++;
        if (iprimary(P, depth + 1, v)) return -1;
        if (*at == '-') *v = -*v;
        return 0;
    }
    if (*at == '(') {
        P->p++;
        if (iexpr(P, depth + 1, v)) return -1;
        return expect(P, ')');
    }
    char name[64];
    if (*at == '#') {
        P->p++;
        skip(P);
        const char *nat = P->p;
        const mf_xgroup *g;
        if (!ident(P, name, sizeof name))
            return P->bad ? -1 : fail(P, nat, "'#' takes an indexed variable, as in #x", NULL);
        if (!(*v = group_count(P->E, name, &g)))
            return failf(P, nat, "'#%s': '%s' is not an indexed variable", name, name);
        return 0;
    }
    if (ident(P, name, sizeof name)) {
        if (find_index(P, name, v)) return 0;
        const mf_xgroup *g;
        const char *kind = find_name(P->E->params, P->E->nparams, name) >= 0 ? "parameter"
                           : find_name(P->E->vars, P->E->nvars, name) >= 0   ? "variable"
                           : group_count(P->E, name, &g)                     ? "indexed variable"
                                                                             : NULL;
        if (kind)
            return failf(P, at,
                         "%s '%s' in an index or sum bound (these are integers fixed at "
                         "parsing: numbers, sum indices, #x, + - * %%)",
                         kind, name);
        return failf(P, at,
                     "'%s' is not a sum index (indices and sum bounds are integers: numbers, "
                     "sum indices, #x, + - * %%)",
                     name);
    }
    if (P->bad) return -1;
    char buf[4];
    return fail(P, at, "expected an integer, a sum index or '(' but found",
                tokname(P, buf, sizeof buf));
}

static int iterm(parser *P, int depth, long long *v) {
    if (iprimary(P, depth, v)) return -1;
    for (;;) {
        skip(P);
        const char *at = P->p;
        char c = *at;
        if (c == '/' || c == '^')
            return failf(P, at,
                         "'%c' in an index or sum bound (index arithmetic is + - * %% of "
                         "integers)",
                         c);
        if (c != '*' && c != '%') return 0;
        P->p++;
        long long b;
        if (iprimary(P, depth, &b)) return -1;
        if (c == '*') {
            if (irange(P, at, *v * b, v)) return -1; /* |v|, |b| <= 1e9: no overflow */
        } else if (b <= 0) {
            if (!P->dry) return failf(P, at, "'%%' needs a positive divisor, got %lld", b);
            *v = 0;
        } else {
            *v = ((*v % b) + b) % b; /* the mathematical remainder, in 0..b-1 */
        }
    }
}

static int iexpr(parser *P, int depth, long long *v) {
    if (iterm(P, depth, v)) return -1;
    for (;;) {
        skip(P);
        const char *at = P->p;
        char c = *at;
        if (c != '+' && c != '-') return 0;
        P->p++;
        long long b;
        if (iterm(P, depth, &b)) return -1;
        if (irange(P, at, c == '+' ? *v + b : *v - b, v)) return -1;
    }
}

/* x[index]: P->p at '[' */
static int parse_indexed(parser *P, const char *at, const char *name, int depth) {
    P->p++;
    skip(P);
    const char *iat = P->p;
    long long k;
    if (iexpr(P, depth + 1, &k) || expect(P, ']')) return -1;
    const mf_xgroup *first = NULL;
    for (size_t g = 0; g < P->E->ngroups; g++) {
        const mf_xgroup *G = &P->E->groups[g];
        if (strcmp(G->base, name)) continue;
        if (!first) first = G;
        if (k >= G->lo && k <= G->hi)
            return mk(P, MF_X_VAR, (int)(G->first + (size_t)(k - G->lo)), 0);
    }
    if (first && P->dry) return mk(P, MF_X_VAR, (int)first->first, 0);
    if (first) {
        char b[200];
        bindings(P, b, sizeof b);
        long long n = group_count(P->E, name, &first);
        return failt(P, iat, b, "index %lld of '%s' out of range %lld..%lld", k, name, first->lo,
                     first->lo + n - 1);
    }
    if (find_name(P->E->vars, P->E->nvars, name) >= 0)
        return failf(P, at,
                     "variable '%s' has no index (declare an indexed variable as vars = {%s = "
                     "<count>})",
                     name, name);
    if (find_name(P->E->params, P->E->nparams, name) >= 0)
        return failf(P, at, "parameter '%s' has no index", name);
    return unknown(P, at, name);
}

/* sum(i, lo, hi, body): P->p at '(' */
static int parse_sumcall(parser *P, const char *at, int depth) {
    P->p++;
    skip(P);
    const char *nat = P->p;
    char name[64];
    const mf_xgroup *g;
    if (!ident(P, name, sizeof name))
        return P->bad ? -1
                      : failf(P, nat,
                              "sum: the first argument must be the index's name, as in sum(i, "
                              "1, 10, x[i]^2)");
    const char *clash = find_name(P->E->vars, P->E->nvars, name) >= 0       ? "a variable"
                        : find_name(P->E->params, P->E->nparams, name) >= 0 ? "a parameter"
                        : group_count(P->E, name, &g)                       ? "an indexed variable"
                        : find_index(P, name, NULL)                    ? "an enclosing sum's index"
                        : find_func(name) >= 0 || !strcmp(name, "sum") ? "a function"
                        : !strcmp(name, "pi")                          ? "the constant pi"
                                                                       : NULL;
    if (clash) return failf(P, nat, "sum: index '%s' is already %s", name, clash);
    long long lo, hi;
    if (expect(P, ',') || iexpr(P, depth + 1, &lo) || expect(P, ',') || iexpr(P, depth + 1, &hi) ||
        expect(P, ','))
        return -1;
    if (P->nidx == MF_EXPR_MAX_NEST)
        return failf(P, at, "sums nested more than %d deep", MF_EXPR_MAX_NEST);
    int empty = hi < lo || P->dry;
    if (!empty) {
        unsigned long long n = (unsigned long long)(hi - lo) + 1;
        if (n > MF_EXPR_MAX_TERMS - P->terms)
            return failf(P, at, "sums expand to more than %d terms", MF_EXPR_MAX_TERMS);
        P->terms += (size_t)n;
    }
    int slot = P->nidx++, acc = -1;
    P->iname[slot] = nat;
    P->ilen[slot] = strlen(name);
    const char *body = P->p;
    if (empty) { /* an empty sum is 0; its body is checked with i = lo */
        P->dry++;
        P->ival[slot] = lo;
        int t = parse_sum(P, depth + 1);
        P->dry--;
        if (t >= 0 && !expect(P, ')')) acc = mkconst(P, 0);
    } else {
        for (long long v = lo; v <= hi; v++) {
            P->p = body;
            P->ival[slot] = v;
            int t = parse_sum(P, depth + 1);
            if (t < 0 || expect(P, ')')) {
                acc = -1;
                break;
            }
            acc = acc < 0 ? t : mk(P, MF_X_ADD, acc, t);
            if (acc < 0) break;
        }
    }
    P->nidx--;
    return acc;
}

static int parse_primary(parser *P, int depth) {
    if (depth > 200) return fail(P, P->p, "expression nested too deeply", NULL);
    skip(P);
    const char *at = P->p;
    if (isdigit((unsigned char)*at) || (*at == '.' && isdigit((unsigned char)at[1]))) {
        char *end;
        double v = strtod(at, &end);
        P->p = end;
        if (!isfinite(v)) return fail(P, at, "number out of range", NULL);
        return mkconst(P, v);
    }
    if (*at == '(') {
        P->p++;
        int r = parse_sum(P, depth + 1);
        if (r < 0 || expect(P, ')')) return -1;
        return r;
    }
    if (*at == '#') { /* #x: the number of variables x[...] */
        long long n;
        if (iprimary(P, depth + 1, &n)) return -1;
        return mkconst(P, (double)n);
    }
    char name[64];
    if (ident(P, name, sizeof name)) {
        skip(P);
        if (*P->p == '(') {
            if (!strcmp(name, "sum")) return parse_sumcall(P, at, depth);
            int f = find_func(name);
            if (f < 0) return fail(P, at, "unknown function", name);
            P->p++;
            int args[2] = {-1, -1}, n = 0;
            skip(P);
            if (*P->p != ')')
                for (;;) {
                    int r = parse_sum(P, depth + 1);
                    if (r < 0) return -1;
                    if (n < 2) args[n] = r;
                    n++;
                    skip(P);
                    if (*P->p != ',') break;
                    P->p++;
                }
            if (expect(P, ')')) return -1;
            if (n != funcs[f].arity)
                return failf(P, at, "function '%s' takes %d argument%s, got %d", name,
                             funcs[f].arity, funcs[f].arity == 1 ? "" : "s", n);
            return mk(P, funcs[f].op, args[0], args[1]);
        }
        if (*P->p == '[') return parse_indexed(P, at, name, depth);
        long long iv;
        if (find_index(P, name, &iv)) return mkconst(P, (double)iv);
        int i = find_name(P->E->vars, P->E->nvars, name);
        if (i >= 0) return mk(P, MF_X_VAR, i, 0);
        if ((i = find_name(P->E->params, P->E->nparams, name)) >= 0) return mk(P, MF_X_PARAM, i, 0);
        if (!strcmp(name, "pi")) return mkconst(P, 3.141592653589793238462643383279502884);
        const mf_xgroup *g;
        long long n = group_count(P->E, name, &g);
        if (n)
            return failf(P, at,
                         "indexed variable '%s' needs an index, as in %s[%lld] (%s[%lld..%lld])",
                         name, name, g->lo, name, g->lo, g->lo + n - 1);
        if (!strcmp(name, "sum"))
            return failf(P, at, "sum needs its arguments: sum(i, lo, hi, expression)");
        return unknown(P, at, name);
    }
    if (P->bad) return -1;
    char buf[4];
    return fail(P, at, "expected a number, name or '(' but found", tokname(P, buf, sizeof buf));
}

static int parse_unary(parser *P, int depth);

/* power = primary ['^' unary]: right-associative, -x^2 = -(x^2), 2^-x allowed */
static int parse_power(parser *P, int depth) {
    int a = parse_primary(P, depth);
    if (a < 0) return -1;
    skip(P);
    if (*P->p == '^') {
        P->p++;
        int b = parse_unary(P, depth + 1);
        if (b < 0) return -1;
        return mk(P, MF_X_POW, a, b);
    }
    return a;
}

static int parse_unary(parser *P, int depth) {
    if (depth > 200) return fail(P, P->p, "expression nested too deeply", NULL);
    skip(P);
    if (*P->p == '-') {
        P->p++;
        int a = parse_unary(P, depth + 1);
        return a < 0 ? -1 : mk(P, MF_X_NEG, a, -1);
    }
    if (*P->p == '+') {
        P->p++;
        return parse_unary(P, depth + 1);
    }
    return parse_power(P, depth);
}

static int parse_prod(parser *P, int depth) {
    int a = parse_unary(P, depth);
    while (a >= 0) {
        skip(P);
        char c = *P->p;
        if (c != '*' && c != '/') break;
        P->p++;
        int b = parse_unary(P, depth);
        if (b < 0) return -1;
        a = mk(P, c == '*' ? MF_X_MUL : MF_X_DIV, a, b);
    }
    return a;
}

static int parse_sum(parser *P, int depth) {
    int a = parse_prod(P, depth);
    while (a >= 0) {
        skip(P);
        char c = *P->p;
        if (c != '+' && c != '-') break;
        P->p++;
        int b = parse_prod(P, depth);
        if (b < 0) return -1;
        a = mk(P, c == '+' ? MF_X_ADD : MF_X_SUB, a, b);
    }
    return a;
}

int mf_expr_parse(mf_expr *E, const char *src, const char *what, int *root, mf_err *err) {
    parser P = {.E = E, .s = src, .p = src, .what = what, .err = err};
    *root = -1;
    int r = parse_sum(&P, 0);
    if (r >= 0) {
        skip(&P);
        if (*P.p) {
            char buf[4];
            fail(&P, P.p, "unexpected", tokname(&P, buf, sizeof buf));
            r = -1;
        }
    }
    if (r < 0) {
        if (!P.bad) return mf_err_set(err, MF_ENOMEM, "%s: out of memory", what);
        return err ? err->code : MF_EINVAL;
    }
    *root = r;
    return MF_OK;
}
