/* Expression graph construction (hash-consing with simplification) and the parser. */
#include <ctype.h>
#include <math.h>
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
    E->n[E->len] = (mf_xnode){op, a, b, c};
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

typedef struct parser {
    mf_expr *E;
    const char *s, *p, *what;
    mf_err *err;
    int bad;
} parser;

static int col(const parser *P, const char *at) {
    return (int)(at - P->s) + 1;
}

static void skip(parser *P) {
    while (*P->p && isspace((unsigned char)*P->p))
        P->p++;
}

static int fail(parser *P, const char *at, const char *msg, const char *tok) {
    if (!P->bad) {
        P->bad = 1;
        if (tok)
            mf_err_set(P->err, MF_EINVAL, "%s: %s '%s' at column %d", P->what, msg, tok,
                       col(P, at));
        else
            mf_err_set(P->err, MF_EINVAL, "%s: %s at column %d", P->what, msg, col(P, at));
    }
    return -1;
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

static void list_names(char *buf, size_t n, char **names, size_t count) {
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < count && len + 1 < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", names[i]);
    if (!count) snprintf(buf, n, "none");
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
        int r = mf_expr_const(P->E, v);
        return r < 0 ? oom(P) : r;
    }
    if (*at == '(') {
        P->p++;
        int r = parse_sum(P, depth + 1);
        if (r < 0 || expect(P, ')')) return -1;
        return r;
    }
    if (isalpha((unsigned char)*at) || *at == '_') {
        const char *q = at;
        while (isalnum((unsigned char)*q) || *q == '_')
            q++;
        char name[64];
        size_t len = (size_t)(q - at);
        if (len >= sizeof name) return fail(P, at, "identifier too long", NULL);
        memcpy(name, at, len);
        name[len] = 0;
        P->p = q;
        skip(P);
        if (*P->p == '(') {
            const char *paren = P->p;
            for (size_t f = 0; f < sizeof funcs / sizeof *funcs; f++) {
                if (strcmp(funcs[f].name, name)) continue;
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
                if (n != funcs[f].arity) {
                    if (!P->bad) {
                        P->bad = 1;
                        mf_err_set(P->err, MF_EINVAL,
                                   "%s: function '%s' takes %d argument%s, got %d at column %d",
                                   P->what, name, funcs[f].arity, funcs[f].arity == 1 ? "" : "s", n,
                                   col(P, at));
                    }
                    return -1;
                }
                return mk(P, funcs[f].op, args[0], args[1]);
            }
            (void)paren;
            return fail(P, at, "unknown function", name);
        }
        for (size_t i = 0; i < P->E->nvars; i++)
            if (!strcmp(P->E->vars[i], name)) {
                int r = mf_expr_node(P->E, MF_X_VAR, (int)i, 0, 0);
                return r < 0 ? oom(P) : r;
            }
        for (size_t i = 0; i < P->E->nparams; i++)
            if (!strcmp(P->E->params[i], name)) {
                int r = mf_expr_node(P->E, MF_X_PARAM, (int)i, 0, 0);
                return r < 0 ? oom(P) : r;
            }
        if (!strcmp(name, "pi")) {
            int r = mf_expr_const(P->E, 3.141592653589793238462643383279502884);
            return r < 0 ? oom(P) : r;
        }
        if (!P->bad) {
            char vl[100], pl[100];
            list_names(vl, sizeof vl, P->E->vars, P->E->nvars);
            list_names(pl, sizeof pl, P->E->params, P->E->nparams);
            P->bad = 1;
            mf_err_set(P->err, MF_EINVAL,
                       "%s: unknown identifier '%s' at column %d (variables: %s; parameters: %s)",
                       P->what, name, col(P, at), vl, pl);
        }
        return -1;
    }
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
    parser P = {E, src, src, what, err, 0};
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
