/* The vector userdata: n doubles, indexed from 1, printable, convertible with :totable(), and
 * computable with: element-wise arithmetic (in C, one pass, no per-element Lua call), math
 * functions, reductions, slicing and masks. Conventions follow NumPy where a researcher would
 * check against it: var/std divide by n - ddof (ddof = 0 by default), sum/mean propagate NaN,
 * min/max/argmin/argmax skip NaN (nanmin), reading past the end gives nil so ipairs works. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lbind.h"

lvector *mfl_newvector(lua_State *L, size_t n) {
    if (n > MFL_MAX_VEC)
        luaL_error(L, "mf.vec: a vector of %I entries is too large (at most %d)", (lua_Integer)n,
                   MFL_MAX_VEC);
    lvector *v = lua_newuserdatauv(L, sizeof(lvector) + n * sizeof(double), 0);
    v->n = n;
    memset(v->x, 0, n * sizeof(double));
    luaL_setmetatable(L, MF_VECTOR);
    return v;
}

void mfl_pushvector(lua_State *L, const double *x, size_t n) {
    lvector *v = mfl_newvector(L, n);
    memcpy(v->x, x, n * sizeof *x);
}

/* mf.vec(n) gives n zeros; mf.vec{...} copies a table of numbers. */
static int vec_new(lua_State *L) {
    if (lua_type(L, 1) == LUA_TNUMBER) { /* a length: 1e3 as well as 1000 */
        lua_Integer n = mfl_checkcount(L, 1, 0, "mf.vec", "the length");
        if (n > MFL_MAX_VEC)
            return luaL_error(L, "mf.vec: length %I out of range 0..%d", n, MFL_MAX_VEC);
        mfl_newvector(L, (size_t)n);
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t n = mfl_checklen(L, 1, MFL_MAX_VEC, "mf.vec", "the table");
    lvector *v = mfl_newvector(L, n);
    for (size_t i = 0; i < n; i++) {
        lua_geti(L, 1, (lua_Integer)i + 1);
        int ok;
        v->x[i] = lua_tonumberx(L, -1, &ok);
        if (!ok) return luaL_error(L, "mf.vec: entry %d is not a number", (int)i + 1);
        lua_pop(L, 1);
    }
    return 1;
}

static lvector *checkvec(lua_State *L, int i) {
    return luaL_checkudata(L, i, MF_VECTOR);
}

static lvector *testvec(lua_State *L, int i) {
    return luaL_testudata(L, i, MF_VECTOR);
}

/* An integer index at stack slot 2; 0 when it is out of 1..n (reads give nil there). */
static size_t index_of(lua_State *L, const lvector *v) {
    int isint;
    lua_Integer i = lua_tointegerx(L, 2, &isint);
    if (!isint) {
        if (lua_type(L, 2) == LUA_TNUMBER)
            luaL_error(L, "vector index must be an integer, got %s", lua_tostring(L, 2));
        luaL_error(L, "vector index must be an integer or a method name, got %s",
                   luaL_typename(L, 2));
    }
    return i >= 1 && (lua_Unsigned)i <= v->n ? (size_t)i : 0;
}

static int vec_index(lua_State *L) {
    lvector *v = checkvec(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) { /* methods */
        luaL_getmetafield(L, 1, "methods");
        lua_getfield(L, -1, lua_tostring(L, 2)); /* nil for other names, as a table would */
        return 1;
    }
    size_t i = index_of(L, v);
    if (i)
        lua_pushnumber(L, v->x[i - 1]);
    else
        lua_pushnil(L);
    return 1;
}

static int vec_newindex(lua_State *L) {
    lvector *v = checkvec(L, 1);
    size_t i = index_of(L, v);
    if (!i)
        return luaL_error(L, "vector index %s out of range 1..%d (vectors do not grow)",
                          lua_tostring(L, 2), (int)v->n);
    int ok;
    double x = lua_tonumberx(L, 3, &ok);
    if (!ok)
        return luaL_error(L, "vector[%d] = value: a number expected, got %s", (int)i,
                          luaL_typename(L, 3));
    v->x[i - 1] = x;
    return 0;
}

static int vec_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)checkvec(L, 1)->n);
    return 1;
}

static int vec_next(lua_State *L) {
    lvector *v = checkvec(L, 1);
    lua_Integer i = lua_isnil(L, 2) ? 0 : luaL_checkinteger(L, 2);
    if (i < 0 || (lua_Unsigned)i >= v->n) return 0;
    lua_pushinteger(L, i + 1);
    lua_pushnumber(L, v->x[i]);
    return 2;
}

static int vec_pairs(lua_State *L) {
    checkvec(L, 1);
    lua_pushcfunction(L, vec_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int vec_tostring(lua_State *L) {
    lvector *v = checkvec(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "vec{");
    /* short vectors whole; long ones as head ... tail with the length */
    size_t head = v->n <= 12 ? v->n : 6, tail = v->n <= 12 ? 0 : 3;
    char num[48];
    for (size_t i = 0; i < head; i++) {
        snprintf(num, sizeof num, "%s%.10g", i ? ", " : "", v->x[i]);
        luaL_addstring(&b, num);
    }
    if (tail) {
        luaL_addstring(&b, ", ...");
        for (size_t i = v->n - tail; i < v->n; i++) {
            snprintf(num, sizeof num, ", %.10g", v->x[i]);
            luaL_addstring(&b, num);
        }
        snprintf(num, sizeof num, "} (%zu entries)", v->n);
        luaL_addstring(&b, num);
    } else {
        luaL_addstring(&b, "}");
    }
    luaL_pushresult(&b);
    return 1;
}

static int vec_totable(lua_State *L) {
    lvector *v = checkvec(L, 1);
    mfl_pushtable(L, v->x, v->n);
    return 1;
}

/* ---- element-wise arithmetic ---------------------------------------------------------- */

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_POW, OP_MOD };
static const char *const op_symbol[] = {"+", "-", "*", "/", "^", "%"};

static double apply(int op, double a, double b) {
    switch (op) {
    case OP_ADD:
        return a + b;
    case OP_SUB:
        return a - b;
    case OP_MUL:
        return a * b;
    case OP_DIV:
        return a / b;
    case OP_POW:
        return pow(a, b);
    default:
        return a - floor(a / b) * b; /* Lua's float %: the sign of b */
    }
}

/* vector op vector (equal lengths), vector op number, number op vector */
static int arith(lua_State *L, int op) {
    lvector *a = testvec(L, 1), *b = testvec(L, 2);
    const char *sym = op_symbol[op];
    if (a && b && a->n != b->n)
        return luaL_error(L, "vector %s vector: lengths %d and %d differ", sym, (int)a->n,
                          (int)b->n);
    for (int k = 1; k <= 2; k++)
        if (!testvec(L, k) && lua_type(L, k) != LUA_TNUMBER)
            return luaL_error(L, "vector %s: operand %d must be a number or a vector, got %s", sym,
                              k, luaL_typename(L, k));
    size_t n = a ? a->n : b->n;
    double sa = a ? 0 : lua_tonumber(L, 1), sb = b ? 0 : lua_tonumber(L, 2);
    lvector *r = mfl_newvector(L, n);
    if (a && b) {
        for (size_t i = 0; i < n; i++)
            r->x[i] = apply(op, a->x[i], b->x[i]);
    } else if (a) {
        for (size_t i = 0; i < n; i++)
            r->x[i] = apply(op, a->x[i], sb);
    } else {
        for (size_t i = 0; i < n; i++)
            r->x[i] = apply(op, sa, b->x[i]);
    }
    return 1;
}
static int vec_add(lua_State *L) {
    return arith(L, OP_ADD);
}
static int vec_sub(lua_State *L) {
    return arith(L, OP_SUB);
}
static int vec_mul(lua_State *L) {
    return arith(L, OP_MUL);
}
static int vec_div(lua_State *L) {
    return arith(L, OP_DIV);
}
static int vec_pow(lua_State *L) {
    return arith(L, OP_POW);
}
static int vec_mod(lua_State *L) {
    return arith(L, OP_MOD);
}

static int vec_unm(lua_State *L) {
    lvector *a = checkvec(L, 1);
    lvector *r = mfl_newvector(L, a->n);
    for (size_t i = 0; i < a->n; i++)
        r->x[i] = -a->x[i];
    return 1;
}

/* == : same length and every entry equal (NaN never equals, as for numbers) */
static int vec_eq(lua_State *L) {
    lvector *a = testvec(L, 1), *b = testvec(L, 2);
    int eq = a && b && a->n == b->n;
    for (size_t i = 0; eq && i < a->n; i++)
        eq = a->x[i] == b->x[i];
    lua_pushboolean(L, eq);
    return 1;
}

/* v .. w joins; with a string on either side, the vector's text joins it */
static int vec_concat(lua_State *L) {
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 2) == LUA_TSTRING) {
        luaL_tolstring(L, 1, NULL);
        luaL_tolstring(L, 2, NULL);
        lua_concat(L, 2);
        return 1;
    }
    size_t n[2];
    for (int k = 1; k <= 2; k++) {
        lvector *v = testvec(L, k);
        if (!v && lua_type(L, k) != LUA_TNUMBER)
            return luaL_error(L, "vector ..: operand %d must be a number or a vector, got %s", k,
                              luaL_typename(L, k));
        n[k - 1] = v ? v->n : 1;
    }
    lvector *r = mfl_newvector(L, n[0] + n[1]);
    for (int k = 1; k <= 2; k++) {
        double *dst = r->x + (k == 2 ? n[0] : 0);
        lvector *v = testvec(L, k);
        if (v)
            memcpy(dst, v->x, v->n * sizeof *dst);
        else
            dst[0] = lua_tonumber(L, k);
    }
    return 1;
}

/* ---- math functions: v:exp() etc. return a new vector ------------------------------------ */

static int map(lua_State *L, double (*f)(double)) {
    lvector *a = checkvec(L, 1);
    lvector *r = mfl_newvector(L, a->n);
    for (size_t i = 0; i < a->n; i++)
        r->x[i] = f(a->x[i]);
    return 1;
}
static int vec_abs(lua_State *L) {
    return map(L, fabs);
}
static int vec_sqrt(lua_State *L) {
    return map(L, sqrt);
}
static int vec_exp(lua_State *L) {
    return map(L, exp);
}
static int vec_log(lua_State *L) {
    return map(L, log);
}
static int vec_log10(lua_State *L) {
    return map(L, log10);
}
static int vec_sin(lua_State *L) {
    return map(L, sin);
}
static int vec_cos(lua_State *L) {
    return map(L, cos);
}
static int vec_tan(lua_State *L) {
    return map(L, tan);
}
static int vec_tanh(lua_State *L) {
    return map(L, tanh);
}
static int vec_floor(lua_State *L) {
    return map(L, floor);
}
static int vec_ceil(lua_State *L) {
    return map(L, ceil);
}

static int vec_clamp(lua_State *L) {
    lvector *a = checkvec(L, 1);
    double lo = luaL_optnumber(L, 2, -HUGE_VAL), hi = luaL_optnumber(L, 3, HUGE_VAL);
    if (!(lo <= hi)) return luaL_error(L, "vector:clamp: lo (%f) must not exceed hi (%f)", lo, hi);
    lvector *r = mfl_newvector(L, a->n);
    for (size_t i = 0; i < a->n; i++)
        r->x[i] = a->x[i] < lo ? lo : a->x[i] > hi ? hi : a->x[i];
    return 1;
}

/* v:map(f): f called once per entry, for what the built-in functions do not cover */
static int vec_map(lua_State *L) {
    lvector *a = checkvec(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lvector *r = mfl_newvector(L, a->n);
    for (size_t i = 0; i < a->n; i++) {
        lua_pushvalue(L, 2);
        lua_pushnumber(L, a->x[i]);
        lua_call(L, 1, 1);
        int ok;
        r->x[i] = lua_tonumberx(L, -1, &ok);
        if (!ok)
            return luaL_error(L, "vector:map: f returned %s for entry %d, not a number",
                              luaL_typename(L, -1), (int)i + 1);
        lua_pop(L, 1);
    }
    return 1;
}

/* ---- reductions -------------------------------------------------------------------------- */

static int vec_sum(lua_State *L) {
    lvector *a = checkvec(L, 1);
    double s = 0;
    for (size_t i = 0; i < a->n; i++)
        s += a->x[i];
    lua_pushnumber(L, s);
    return 1;
}

static int vec_mean(lua_State *L) {
    lvector *a = checkvec(L, 1);
    double s = 0;
    for (size_t i = 0; i < a->n; i++)
        s += a->x[i];
    lua_pushnumber(L, a->n ? s / (double)a->n : NAN);
    return 1;
}

/* two passes (mean, then squared deviations): no cancellation for large means */
static double variance(lua_State *L, const char *fname) {
    lvector *a = checkvec(L, 1);
    lua_Integer ddof = lua_isnoneornil(L, 2) ? 0 : mfl_checkcount(L, 2, 0, fname, "ddof");
    if ((lua_Unsigned)ddof >= a->n) return NAN;
    double m = 0, s = 0;
    for (size_t i = 0; i < a->n; i++)
        m += a->x[i];
    m /= (double)a->n;
    for (size_t i = 0; i < a->n; i++)
        s += (a->x[i] - m) * (a->x[i] - m);
    return s / (double)(a->n - (size_t)ddof);
}
static int vec_var(lua_State *L) {
    lua_pushnumber(L, variance(L, "vector:var"));
    return 1;
}
static int vec_std(lua_State *L) {
    lua_pushnumber(L, sqrt(variance(L, "vector:std")));
    return 1;
}

/* index (0-based) of the least (sign -1: greatest) non-NaN entry; n when all are NaN */
static size_t extreme(const lvector *a, int greatest) {
    size_t k = a->n;
    for (size_t i = 0; i < a->n; i++) {
        double x = a->x[i];
        if (x != x) continue;
        if (k == a->n || (greatest ? x > a->x[k] : x < a->x[k])) k = i;
    }
    return k;
}
static int extreme_value(lua_State *L, int greatest, int want_index) {
    lvector *a = checkvec(L, 1);
    size_t k = extreme(a, greatest);
    if (k == a->n) {
        if (a->n == 0)
            return luaL_error(L, "vector:%s: the vector is empty",
                              greatest ? (want_index ? "argmax" : "max")
                                       : (want_index ? "argmin" : "min"));
        lua_pushnumber(L, NAN); /* every entry NaN */
        return 1;
    }
    if (want_index)
        lua_pushinteger(L, (lua_Integer)k + 1);
    else
        lua_pushnumber(L, a->x[k]);
    return 1;
}
static int vec_min(lua_State *L) {
    return extreme_value(L, 0, 0);
}
static int vec_max(lua_State *L) {
    return extreme_value(L, 1, 0);
}
static int vec_argmin(lua_State *L) {
    return extreme_value(L, 0, 1);
}
static int vec_argmax(lua_State *L) {
    return extreme_value(L, 1, 1);
}

static int vec_dot(lua_State *L) {
    lvector *a = checkvec(L, 1), *b = checkvec(L, 2);
    if (a->n != b->n)
        return luaL_error(L, "vector:dot: lengths %d and %d differ", (int)a->n, (int)b->n);
    double s = 0;
    for (size_t i = 0; i < a->n; i++)
        s += a->x[i] * b->x[i];
    lua_pushnumber(L, s);
    return 1;
}

static int vec_norm(lua_State *L) {
    lvector *a = checkvec(L, 1);
    double s = 0;
    for (size_t i = 0; i < a->n; i++)
        s += a->x[i] * a->x[i];
    lua_pushnumber(L, sqrt(s));
    return 1;
}

static int vec_cumsum(lua_State *L) {
    lvector *a = checkvec(L, 1);
    lvector *r = mfl_newvector(L, a->n);
    double s = 0;
    for (size_t i = 0; i < a->n; i++)
        r->x[i] = s += a->x[i];
    return 1;
}

/* ---- slicing and masks ------------------------------------------------------------------- */

/* an index of v:slice: 1..n, or negative from the end (-1 the last entry) */
static lua_Integer slice_index(lua_State *L, int idx, lua_Integer dflt, size_t n) {
    if (lua_isnoneornil(L, idx)) return dflt;
    int isint;
    lua_Integer i = lua_tointegerx(L, idx, &isint);
    if (!isint)
        luaL_error(L, "vector:slice: %s must be an integer, got %s", idx == 2 ? "i" : "j",
                   luaL_tolstring(L, idx, NULL));
    return i < 0 ? (lua_Integer)n + 1 + i : i;
}

/* v:slice(i, j): entries i..j inclusive (empty when j < i) */
static int vec_slice(lua_State *L) {
    lvector *a = checkvec(L, 1);
    lua_Integer i = slice_index(L, 2, 1, a->n), j = slice_index(L, 3, (lua_Integer)a->n, a->n);
    if (i < 1) i = 1;
    if (j > (lua_Integer)a->n) j = (lua_Integer)a->n;
    size_t m = j >= i ? (size_t)(j - i + 1) : 0;
    lvector *r = mfl_newvector(L, m);
    if (m) memcpy(r->x, a->x + i - 1, m * sizeof *r->x);
    return 1;
}

static int vec_copy(lua_State *L) {
    lvector *a = checkvec(L, 1);
    mfl_pushvector(L, a->x, a->n);
    return 1;
}

/* v:lt(x) etc.: a mask of 1 where the comparison holds, 0 elsewhere (NaN compares false) */
enum { CMP_LT, CMP_LE, CMP_GT, CMP_GE };
static int compare(lua_State *L, int cmp, const char *fname) {
    lvector *a = checkvec(L, 1), *b = testvec(L, 2);
    if (!b && lua_type(L, 2) != LUA_TNUMBER)
        return luaL_error(L, "%s: compares with a number or a vector, got %s", fname,
                          luaL_typename(L, 2));
    if (b && b->n != a->n)
        return luaL_error(L, "%s: lengths %d and %d differ", fname, (int)a->n, (int)b->n);
    double s = b ? 0 : lua_tonumber(L, 2);
    lvector *r = mfl_newvector(L, a->n);
    for (size_t i = 0; i < a->n; i++) {
        double x = a->x[i], y = b ? b->x[i] : s;
        int t = cmp == CMP_LT ? x < y : cmp == CMP_LE ? x <= y : cmp == CMP_GT ? x > y : x >= y;
        r->x[i] = t;
    }
    return 1;
}
static int vec_lt(lua_State *L) {
    return compare(L, CMP_LT, "vector:lt");
}
static int vec_le(lua_State *L) {
    return compare(L, CMP_LE, "vector:le");
}
static int vec_gt(lua_State *L) {
    return compare(L, CMP_GT, "vector:gt");
}
static int vec_ge(lua_State *L) {
    return compare(L, CMP_GE, "vector:ge");
}

/* v:select(mask): the entries where mask is nonzero (a vector of the same length) */
static int vec_select(lua_State *L) {
    lvector *a = checkvec(L, 1), *m = checkvec(L, 2);
    if (a->n != m->n)
        return luaL_error(L, "vector:select: the mask has %d entries, the vector %d", (int)m->n,
                          (int)a->n);
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++)
        k += m->x[i] != 0;
    lvector *r = mfl_newvector(L, k);
    k = 0;
    for (size_t i = 0; i < a->n; i++)
        if (m->x[i] != 0) r->x[k++] = a->x[i];
    return 1;
}

/* v:format(fmt): every entry through string.format's fmt (default %.17g, round-trip exact) */
static int vec_format(lua_State *L) {
    lvector *a = checkvec(L, 1);
    const char *fmt = luaL_optstring(L, 2, "%.17g");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '{');
    for (size_t i = 0; i < a->n; i++) {
        lua_getglobal(L, "string");
        lua_getfield(L, -1, "format");
        lua_remove(L, -2);
        lua_pushstring(L, fmt);
        lua_pushnumber(L, a->x[i]);
        lua_call(L, 2, 1);
        if (i) luaL_addstring(&b, ", ");
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '}');
    luaL_pushresult(&b);
    return 1;
}

void mfl_open_vector(lua_State *L) {
    static const luaL_Reg meta[] = {
        {"__index", vec_index}, {"__newindex", vec_newindex}, {"__len", vec_len},
        {"__pairs", vec_pairs}, {"__tostring", vec_tostring}, {"__add", vec_add},
        {"__sub", vec_sub},     {"__mul", vec_mul},           {"__div", vec_div},
        {"__pow", vec_pow},     {"__mod", vec_mod},           {"__unm", vec_unm},
        {"__eq", vec_eq},       {"__concat", vec_concat},     {NULL, NULL}};
    static const luaL_Reg methods[] = {{"totable", vec_totable}, {"copy", vec_copy},
                                       {"slice", vec_slice},     {"abs", vec_abs},
                                       {"sqrt", vec_sqrt},       {"exp", vec_exp},
                                       {"log", vec_log},         {"log10", vec_log10},
                                       {"sin", vec_sin},         {"cos", vec_cos},
                                       {"tan", vec_tan},         {"tanh", vec_tanh},
                                       {"floor", vec_floor},     {"ceil", vec_ceil},
                                       {"clamp", vec_clamp},     {"map", vec_map},
                                       {"sum", vec_sum},         {"mean", vec_mean},
                                       {"var", vec_var},         {"std", vec_std},
                                       {"min", vec_min},         {"max", vec_max},
                                       {"argmin", vec_argmin},   {"argmax", vec_argmax},
                                       {"dot", vec_dot},         {"norm", vec_norm},
                                       {"cumsum", vec_cumsum},   {"lt", vec_lt},
                                       {"le", vec_le},           {"gt", vec_gt},
                                       {"ge", vec_ge},           {"select", vec_select},
                                       {"format", vec_format},   {NULL, NULL}};
    mfl_newtype(L, MF_VECTOR, meta, methods);
    lua_pushcfunction(L, vec_new);
    lua_setfield(L, -2, "vector");
}
