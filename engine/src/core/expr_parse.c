/* Recursive-descent parser of the expression language (expr.h) straight into the DAG.
 *   expr  := term (('+' | '-') term)*
 *   term  := unary (('*' | '/') unary)*
 *   unary := ('-' | '+') unary | power
 *   power := primary ('^' unary)?          (right-associative; -x^2 = -(x^2), x^-1 allowed)
 *   primary := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'  */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mflab/expr.h"

#define MAX_DEPTH 200    /* nesting: parentheses, calls, unary signs, exponents */
#define MAX_LEN   100000 /* characters of an expression */

static const struct {
    const char *name;
    int op, arity;
} funcs[] = {{"sin", MF_EXPR_SIN, 1},   {"cos", MF_EXPR_COS, 1},   {"tan", MF_EXPR_TAN, 1},
             {"exp", MF_EXPR_EXP, 1},   {"log", MF_EXPR_LOG, 1},   {"log1p", MF_EXPR_LOG1P, 1},
             {"sqrt", MF_EXPR_SQRT, 1}, {"tanh", MF_EXPR_TANH, 1}, {"sigmoid", MF_EXPR_SIGMOID, 1},
             {"abs", MF_EXPR_ABS, 1},   {"min", MF_EXPR_MIN, 2},   {"max", MF_EXPR_MAX, 2}};
#define NFUNCS (sizeof funcs / sizeof funcs[0])

typedef struct parser {
    mf_expr_dag *g;
    const char *s;
    size_t pos, nvar, npar;
    const char *const *vars;
    const char *const *pars;
    int depth;
    int failed, code;
    mf_err *err;
} parser;

static int fail(parser *p, size_t col, const char *fmt, const char *arg) {
    if (p->failed) return -1;
    p->failed = 1;
    p->code = MF_EINVAL;
    char what[1100];
    snprintf(what, sizeof what, fmt, arg);
    mf_err_set(p->err, MF_EINVAL, "%s at column %zu", what, col + 1);
    return -1;
}

static void skip(parser *p) {
    while (isspace((unsigned char)p->s[p->pos]))
        p->pos++;
}

/* What is at the cursor, for messages: a character or "the end". */
static const char *here(parser *p, char *buf) {
    if (!p->s[p->pos]) return "the end of the expression";
    snprintf(buf, 8, "'%c'", p->s[p->pos]);
    return buf;
}

static int expr(parser *p);
static int unary(parser *p);

static int nomem(parser *p) {
    if (!p->failed) {
        p->failed = 1;
        p->code = MF_ENOMEM;
        mf_err_set(p->err, MF_ENOMEM, "out of memory");
    }
    return -1;
}

static int name_list_error(parser *p, size_t col, const char *name) {
    char buf[1024];
    size_t n = 0;
    n += snprintf(buf + n, sizeof buf - n, "unknown identifier '%s' (variables:", name);
    for (size_t k = 0; k < p->nvar && n < sizeof buf - 64; k++)
        n += snprintf(buf + n, sizeof buf - n, "%s %s", k ? "," : "", p->vars[k]);
    n += snprintf(buf + n, sizeof buf - n, "; parameters:");
    if (p->npar == 0) n += snprintf(buf + n, sizeof buf - n, " none");
    for (size_t k = 0; k < p->npar && n < sizeof buf - 64; k++)
        n += snprintf(buf + n, sizeof buf - n, "%s %s", k ? "," : "", p->pars[k]);
    snprintf(buf + n, sizeof buf - n, ")");
    return fail(p, col, "%s", buf);
}

static int primary(parser *p) {
    skip(p);
    size_t col = p->pos;
    const char *s = p->s;
    char buf[8];
    if (isdigit((unsigned char)s[col]) || (s[col] == '.' && isdigit((unsigned char)s[col + 1]))) {
        char *end;
        double v = strtod(s + col, &end);
        p->pos = (size_t)(end - s);
        int r = mf_expr_const(p->g, v);
        return r < 0 ? nomem(p) : r;
    }
    if (isalpha((unsigned char)s[col]) || s[col] == '_') {
        size_t e = col;
        while (isalnum((unsigned char)s[e]) || s[e] == '_')
            e++;
        char name[64];
        size_t len = e - col;
        if (len >= sizeof name) return fail(p, col, "%s", "name too long (at most 63 characters)");
        memcpy(name, s + col, len);
        name[len] = 0;
        p->pos = e;
        skip(p);
        for (size_t k = 0; k < p->nvar; k++)
            if (strcmp(name, p->vars[k]) == 0) {
                int r = mf_expr_leaf(p->g, MF_EXPR_VAR, (int)k);
                return r < 0 ? nomem(p) : r;
            }
        for (size_t k = 0; k < p->npar; k++)
            if (strcmp(name, p->pars[k]) == 0) {
                int r = mf_expr_leaf(p->g, MF_EXPR_PARAM, (int)k);
                return r < 0 ? nomem(p) : r;
            }
        for (size_t f = 0; f < NFUNCS; f++) {
            if (strcmp(name, funcs[f].name) != 0) continue;
            if (s[p->pos] != '(')
                return fail(p, col,
                            "'%s' is a function: write it with its arguments in "
                            "parentheses",
                            name);
            p->pos++;
            int args[2] = {-1, -1}, n = 0;
            skip(p);
            if (s[p->pos] != ')')
                for (;;) {
                    int a = expr(p);
                    if (a < 0) return -1;
                    if (n < 2) args[n] = a;
                    n++;
                    skip(p);
                    if (s[p->pos] == ',') {
                        p->pos++;
                        continue;
                    }
                    break;
                }
            if (s[p->pos] != ')')
                return fail(p, p->pos, "syntax error: expected ',' or ')', found %s", here(p, buf));
            p->pos++;
            if (n != funcs[f].arity) {
                char msg[128];
                snprintf(msg, sizeof msg, "function '%s' takes %d argument%s, got %d", name,
                         funcs[f].arity, funcs[f].arity == 1 ? "" : "s", n);
                return fail(p, col, "%s", msg);
            }
            int r = n == 1 ? mf_expr_unary(p->g, funcs[f].op, args[0])
                           : mf_expr_binary(p->g, funcs[f].op, args[0], args[1]);
            return r < 0 ? nomem(p) : r;
        }
        return name_list_error(p, col, name);
    }
    if (s[col] == '(') {
        p->pos++;
        int r = expr(p);
        if (r < 0) return -1;
        skip(p);
        if (s[p->pos] != ')')
            return fail(p, p->pos, "syntax error: expected ')', found %s", here(p, buf));
        p->pos++;
        return r;
    }
    return fail(p, col, "syntax error: expected a number, a name or '(', found %s", here(p, buf));
}

static int power(parser *p) {
    int a = primary(p);
    if (a < 0) return -1;
    skip(p);
    if (p->s[p->pos] != '^') return a;
    p->pos++;
    int b = unary(p);
    if (b < 0) return -1;
    int r = mf_expr_binary(p->g, MF_EXPR_POW, a, b);
    return r < 0 ? nomem(p) : r;
}

static int unary(parser *p) {
    skip(p);
    if (++p->depth > MAX_DEPTH) return fail(p, p->pos, "%s", "expression nested too deeply");
    int r;
    char c = p->s[p->pos];
    if (c == '-' || c == '+') {
        p->pos++;
        r = unary(p);
        if (r >= 0 && c == '-') {
            r = mf_expr_unary(p->g, MF_EXPR_NEG, r);
            if (r < 0) nomem(p);
        }
    } else {
        r = power(p);
    }
    p->depth--;
    return r;
}

static int term(parser *p) {
    int a = unary(p);
    for (;;) {
        if (a < 0) return -1;
        skip(p);
        char c = p->s[p->pos];
        if (c != '*' && c != '/') return a;
        p->pos++;
        int b = unary(p);
        if (b < 0) return -1;
        a = mf_expr_binary(p->g, c == '*' ? MF_EXPR_MUL : MF_EXPR_DIV, a, b);
        if (a < 0) return nomem(p);
    }
}

static int expr(parser *p) {
    if (++p->depth > MAX_DEPTH) return fail(p, p->pos, "%s", "expression nested too deeply");
    int a = term(p);
    for (;;) {
        if (a < 0) break;
        skip(p);
        char c = p->s[p->pos];
        if (c != '+' && c != '-') break;
        p->pos++;
        int b = term(p);
        if (b < 0) {
            a = -1;
            break;
        }
        a = mf_expr_binary(p->g, c == '+' ? MF_EXPR_ADD : MF_EXPR_SUB, a, b);
        if (a < 0) a = nomem(p);
    }
    p->depth--;
    return a;
}

static int valid_name(const char *s) {
    if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return 0;
    size_t n = 0;
    for (; s[n]; n++)
        if (!(isalnum((unsigned char)s[n]) || s[n] == '_')) return 0;
    return n < 64;
}

int mf_expr_parse(mf_expr_dag *g, const char *src, size_t nvar, const char *const *vars,
                  size_t npar, const char *const *params, int *root, mf_err *err) {
    *root = -1;
    size_t nall = nvar + npar;
    for (size_t k = 0; k < nall; k++) {
        const char *nm = k < nvar ? vars[k] : params[k - nvar];
        const char *kind = k < nvar ? "variable" : "parameter";
        if (!valid_name(nm))
            return mf_err_set(err, MF_EINVAL,
                              "%s name '%s' is not a name (letters, digits, _; at most 63)", kind,
                              nm ? nm : "(null)");
        for (size_t f = 0; f < NFUNCS; f++)
            if (strcmp(nm, funcs[f].name) == 0)
                return mf_err_set(err, MF_EINVAL, "%s name '%s' is a function's name", kind, nm);
        for (size_t j = 0; j < k; j++)
            if (strcmp(nm, j < nvar ? vars[j] : params[j - nvar]) == 0)
                return mf_err_set(err, MF_EINVAL, "name '%s' is declared twice", nm);
    }
    size_t len = strlen(src);
    if (len > MAX_LEN)
        return mf_err_set(err, MF_EINVAL, "expression too long (%zu characters, at most %d)", len,
                          MAX_LEN);
    parser p = {
        .g = g, .s = src, .nvar = nvar, .npar = npar, .vars = vars, .pars = params, .err = err};
    int r = expr(&p);
    if (r >= 0) {
        skip(&p);
        if (src[p.pos]) {
            char buf[8];
            r = fail(&p, p.pos, "syntax error: unexpected %s", here(&p, buf));
        }
    }
    if (r < 0) return p.failed ? p.code : mf_err_set(err, MF_ENOMEM, "out of memory");
    *root = r;
    return MF_OK;
}
