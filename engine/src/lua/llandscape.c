/* Landscape userdata: L.dim, L.codim, L.name, L.x0, L:value(z), L:grad(z), L:hess(z),
 * L:hvp(z, v), L:project(z), L:tangent(z), L:trace_hessian(z), L:test_loss(z); and the
 * constructors core.valley, valley_fn, rotated_valley, quadratic_manifold, sphere3d, custom,
 * matrix_factorization, uv, matrix_sensing.
 *
 * Lua-defined functions reach the engine as C callbacks. Each such landscape owns a Lua thread
 * (anchored in the userdata's user value) whose stack holds the functions; a callback runs
 * them with lua_pcall, checks what they return and, on any failure, keeps the first message
 * and hands the engine a failure (the engine then yields NaN). Every method and mf.run raise
 * that message afterwards (mfl_landscape_checkcb). Lua is single-threaded, so these
 * landscapes are MF_LANDSCAPE_SERIAL: runs step them on the calling thread. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbind.h"

#define MF_HESS_MAXDIM 2000

struct lcb {
    lua_State *T;       /* functions at stack slots 1..nfn */
    const char *fname;  /* "mf.landscape.custom" */
    const char *opt[3]; /* option name of each function */
    size_t d, k, c;     /* custom: d; quadratic manifold: k, c */
    int failed;
    char msg[512];
};

static void cb_fail(lcb *cb, const char *fmt, ...) {
    if (cb->failed) return;
    cb->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cb->msg, sizeof cb->msg, fmt, ap);
    va_end(ap);
}

void mfl_landscape_checkcb(lua_State *L, const llandscape *l) {
    if (!l->cb || !l->cb->failed) return;
    char msg[sizeof l->cb->msg];
    memcpy(msg, l->cb->msg, sizeof msg);
    l->cb->failed = 0;
    luaL_error(L, "%s", msg);
}

/* Calls function slot fn of cb's thread with the array x (n entries) or the number x[0]
 * (n = 0), expecting nres results; returns the stack index of the first result or 0. */
static int cb_call(lcb *cb, int fn, const double *x, size_t n, int nres) {
    lua_State *T = cb->T;
    if (!lua_checkstack(T, 8)) {
        cb_fail(cb, "%s: Lua stack overflow calling option '%s'", cb->fname, cb->opt[fn - 1]);
        return 0;
    }
    int base = lua_gettop(T);
    lua_pushvalue(T, fn);
    if (n == 0) {
        lua_pushnumber(T, x[0]);
    } else {
        lua_createtable(T, (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            lua_pushnumber(T, x[i]);
            lua_seti(T, -2, (lua_Integer)i + 1);
        }
    }
    if (lua_pcall(T, 1, nres, 0) != LUA_OK) {
        const char *m = lua_tostring(T, -1);
        cb_fail(cb, "%s: option '%s' raised an error: %s", cb->fname, cb->opt[fn - 1],
                m ? m : "(error object is not a string)");
        lua_settop(T, base);
        return 0;
    }
    return base + 1;
}

/* reads a table of n numbers at idx */
static int cb_vector(lcb *cb, int fn, int idx, size_t n, double *out, const char *what) {
    lua_State *T = cb->T;
    if (!lua_istable(T, idx) || luaL_len(T, idx) != (lua_Integer)n) {
        cb_fail(cb, "%s: option '%s' must return %s (a table of %zu numbers), got %s%s", cb->fname,
                cb->opt[fn - 1], what, n, luaL_typename(T, idx),
                lua_istable(T, idx) ? " of another length" : "");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        lua_geti(T, idx, (lua_Integer)i + 1);
        int ok;
        out[i] = lua_tonumberx(T, -1, &ok);
        if (!ok) {
            cb_fail(cb, "%s: option '%s' must return %s; entry %zu is %s", cb->fname,
                    cb->opt[fn - 1], what, i + 1, luaL_typename(T, -1));
            return 1;
        }
        lua_pop(T, 1);
    }
    return 0;
}

/* reads a table of n rows of n numbers at idx */
static int cb_matrix(lcb *cb, int fn, int idx, size_t n, double *out, const char *what) {
    lua_State *T = cb->T;
    if (!lua_istable(T, idx) || luaL_len(T, idx) != (lua_Integer)n) {
        cb_fail(cb, "%s: option '%s' must return %s (a table of %zu rows of %zu numbers), got %s%s",
                cb->fname, cb->opt[fn - 1], what, n, n, luaL_typename(T, idx),
                lua_istable(T, idx) ? " of another length" : "");
        return 1;
    }
    for (size_t r = 0; r < n; r++) {
        lua_geti(T, idx, (lua_Integer)r + 1);
        int bad = cb_vector(cb, fn, lua_gettop(T), n, out + r * n, what);
        lua_pop(T, 1);
        if (bad) return 1;
    }
    return 0;
}

static int cb_h(void *ud, double x, double out[3]) {
    lcb *cb = ud;
    int top = lua_gettop(cb->T), at = cb_call(cb, 1, &x, 0, 3), bad = at == 0;
    for (int j = 0; !bad && j < 3; j++) {
        int ok;
        out[j] = lua_tonumberx(cb->T, at + j, &ok);
        if (!ok) {
            cb_fail(cb,
                    "%s: option 'h' must return three numbers h(x), h'(x), h''(x); value %d is %s",
                    cb->fname, j + 1, luaL_typename(cb->T, at + j));
            bad = 1;
        }
    }
    if (!bad && !(out[0] > 0.0)) {
        cb_fail(cb, "%s: option 'h' returned h(%.17g) = %.17g; the valley needs h > 0", cb->fname,
                x, out[0]);
        bad = 1;
    }
    lua_settop(cb->T, top);
    return bad;
}

static int cb_value(void *ud, const double *z, double *f) {
    lcb *cb = ud;
    int top = lua_gettop(cb->T), at = cb_call(cb, 1, z, cb->d, 1), bad = at == 0;
    if (!bad) {
        int ok;
        *f = lua_tonumberx(cb->T, at, &ok);
        if (!ok) {
            cb_fail(cb, "%s: option 'f' must return a number, got %s", cb->fname,
                    luaL_typename(cb->T, at));
            bad = 1;
        }
    }
    lua_settop(cb->T, top);
    return bad;
}

static int cb_grad(void *ud, const double *z, double *g) {
    lcb *cb = ud;
    int top = lua_gettop(cb->T), at = cb_call(cb, 2, z, cb->d, 1);
    int bad = at == 0 || cb_vector(cb, 2, at, cb->d, g, "the gradient");
    lua_settop(cb->T, top);
    return bad;
}

static int cb_hess(void *ud, const double *z, double *H) {
    lcb *cb = ud;
    int top = lua_gettop(cb->T), at = cb_call(cb, 3, z, cb->d, 1);
    int bad = at == 0 || cb_matrix(cb, 3, at, cb->d, H, "the Hessian");
    lua_settop(cb->T, top);
    return bad;
}

static int cb_A(void *ud, const double *x, double *A) {
    lcb *cb = ud;
    int top = lua_gettop(cb->T), at = cb_call(cb, 1, x, cb->k, 1);
    int bad = at == 0 || cb_matrix(cb, 1, at, cb->c, A, "the matrix A(x)");
    lua_settop(cb->T, top);
    return bad;
}

/* ---- methods ------------------------------------------------------------------------------- */

static llandscape *checkland(lua_State *L, int i) {
    llandscape *l = luaL_checkudata(L, i, MF_LANDSCAPE);
    if (!l->L) luaL_error(L, "landscape: not initialized");
    return l;
}

/* Point buffers live in a userdata on the stack so an error never leaks them. */
static double *scratch(lua_State *L, size_t n) {
    return lua_newuserdatauv(L, n * sizeof(double), 0);
}

static int land_value(lua_State *L) {
    llandscape *l = checkland(L, 1);
    double *z = scratch(L, l->L->dim);
    mfl_checkpoint(L, 2, l->L->dim, z, "landscape:value", "z");
    double f = mf_landscape_value(l->L, z);
    mfl_landscape_checkcb(L, l);
    lua_pushnumber(L, f);
    return 1;
}

static int land_grad(lua_State *L) {
    llandscape *l = checkland(L, 1);
    size_t d = l->L->dim;
    double *z = scratch(L, 2 * d);
    mfl_checkpoint(L, 2, d, z, "landscape:grad", "z");
    mf_landscape_grad(l->L, z, z + d);
    mfl_landscape_checkcb(L, l);
    mfl_pushtable(L, z + d, d);
    return 1;
}

static void push_rows(lua_State *L, const double *h, size_t rows, size_t cols) {
    lua_createtable(L, (int)rows, 0);
    for (size_t r = 0; r < rows; r++) {
        mfl_pushtable(L, h + r * cols, cols);
        lua_seti(L, -2, (lua_Integer)r + 1);
    }
}

static int land_hess(lua_State *L) {
    llandscape *l = checkland(L, 1);
    size_t d = l->L->dim;
    if (d > MF_HESS_MAXDIM)
        return luaL_error(L,
                          "landscape:hess: the dense Hessian of dimension %d is too large (limit "
                          "%d); use L:hvp(z, v) for Hessian-vector products",
                          (int)d, MF_HESS_MAXDIM);
    double *z = scratch(L, d + d * d);
    mfl_checkpoint(L, 2, d, z, "landscape:hess", "z");
    mf_landscape_hess(l->L, z, z + d);
    mfl_landscape_checkcb(L, l);
    push_rows(L, z + d, d, d);
    return 1;
}

static int land_hvp(lua_State *L) {
    llandscape *l = checkland(L, 1);
    size_t d = l->L->dim;
    double *z = scratch(L, 3 * d);
    mfl_checkpoint(L, 2, d, z, "landscape:hvp", "z");
    mfl_checkpoint(L, 3, d, z + d, "landscape:hvp", "v");
    mf_landscape_hvp(l->L, z, z + d, z + 2 * d);
    mfl_landscape_checkcb(L, l);
    mfl_pushtable(L, z + 2 * d, d);
    return 1;
}

static int land_trace(lua_State *L) {
    llandscape *l = checkland(L, 1);
    double *z = scratch(L, l->L->dim);
    mfl_checkpoint(L, 2, l->L->dim, z, "landscape:trace_hessian", "z");
    double t = mf_landscape_trace_hessian(l->L, z);
    mfl_landscape_checkcb(L, l);
    lua_pushnumber(L, t);
    return 1;
}

static int land_test_loss(lua_State *L) {
    llandscape *l = checkland(L, 1);
    double *z = scratch(L, l->L->dim), t;
    mfl_checkpoint(L, 2, l->L->dim, z, "landscape:test_loss", "z");
    mf_err err;
    if (mf_landscape_test_loss(l->L, z, &t, &err)) return mfl_raise(L, "landscape:test_loss", &err);
    lua_pushnumber(L, t);
    return 1;
}

static int land_project(lua_State *L) {
    llandscape *l = checkland(L, 1);
    size_t d = l->L->dim;
    double *z = scratch(L, 2 * d);
    mfl_checkpoint(L, 2, d, z, "landscape:project", "z");
    mf_err err;
    int rc = mf_landscape_project(l->L, z, z + d, &err);
    mfl_landscape_checkcb(L, l);
    if (rc) return mfl_raise(L, "landscape:project", &err);
    mfl_pushtable(L, z + d, d);
    return 1;
}

/* T, N = L:tangent(z): orthonormal bases (tables of basis vectors) of the tangent and normal
 * spaces at Pz. */
static int land_tangent(lua_State *L) {
    llandscape *l = checkland(L, 1);
    size_t d = l->L->dim, c = l->L->codim;
    double *z = scratch(L, 2 * d + d * d);
    mfl_checkpoint(L, 2, d, z, "landscape:tangent", "z");
    mf_err err;
    int rc = mf_landscape_project(l->L, z, z + d, &err);
    if (!rc) rc = mf_landscape_frame(l->L, z + d, z + 2 * d, z + 2 * d + d * (d - c), &err);
    mfl_landscape_checkcb(L, l);
    if (rc) return mfl_raise(L, "landscape:tangent", &err);
    push_rows(L, z + 2 * d, d - c, d);
    push_rows(L, z + 2 * d + d * (d - c), c, d);
    return 2;
}

static int land_index(lua_State *L) {
    llandscape *l = checkland(L, 1);
    mf_landscape *ls = l->L;
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "dim") == 0) {
        lua_pushinteger(L, (lua_Integer)ls->dim);
    } else if (strcmp(k, "codim") == 0) {
        lua_pushinteger(L, (lua_Integer)ls->codim);
    } else if (strcmp(k, "name") == 0) {
        lua_pushstring(L, ls->type->name);
    } else if (strcmp(k, "x0") == 0) {
        if (ls->x0)
            mfl_pushtable(L, ls->x0, ls->dim);
        else
            lua_pushnil(L);
    } else if (strcmp(k, "nres") == 0) {
        lua_pushinteger(L, (lua_Integer)ls->nres);
    } else if (strcmp(k, "serial") == 0) {
        lua_pushboolean(L, (ls->flags & MF_LANDSCAPE_SERIAL) != 0);
    } else if (strcmp(k, "M") == 0 && strcmp(ls->type->name, "matrix_factorization") == 0) {
        size_t m, n, p;
        const double *M = mf_landscape_matrix_factorization_target(ls, &m, &n, &p);
        push_rows(L, M, m, n);
    } else if (strcmp(k, "X") == 0 && strcmp(ls->type->name, "uv") == 0) {
        size_t P, d;
        const double *X = mf_landscape_uv_data(ls, &P, &d);
        push_rows(L, X, P, d);
    } else if (strcmp(ls->type->name, "linreg_bn") == 0 &&
               (strcmp(k, "X") == 0 || strcmp(k, "y") == 0 || strcmp(k, "w_gt") == 0 ||
                strcmp(k, "b_gt") == 0 || strcmp(k, "w_minnorm") == 0 ||
                strcmp(k, "b_minnorm") == 0)) {
        size_t n, d;
        const double *y, *wgt, *wmn;
        double bgt, bmn;
        const double *X = mf_landscape_linreg_bn_data(ls, &n, &d, &y, &wgt, &bgt, &wmn, &bmn);
        if (k[0] == 'X')
            push_rows(L, X, n, d);
        else if (k[0] == 'y')
            mfl_pushtable(L, y, n);
        else if (strcmp(k, "w_gt") == 0)
            mfl_pushtable(L, wgt, d);
        else if (strcmp(k, "w_minnorm") == 0)
            mfl_pushtable(L, wmn, d);
        else
            lua_pushnumber(L, strcmp(k, "b_gt") == 0 ? bgt : bmn);
    } else if (strcmp(ls->type->name, "matrix_completion_bn") == 0 &&
               (strcmp(k, "M") == 0 || strcmp(k, "observed") == 0)) {
        size_t d, N;
        const size_t *ri, *ci;
        const double *M = mf_landscape_matrix_completion_bn_data(ls, &d, &N, &ri, &ci);
        if (k[0] == 'M') {
            push_rows(L, M, d, d);
        } else { /* {{i, j}, ...}, 1-based */
            lua_createtable(L, (int)N, 0);
            for (size_t e = 0; e < N; e++) {
                lua_createtable(L, 2, 0);
                lua_pushinteger(L, (lua_Integer)ri[e] + 1);
                lua_seti(L, -2, 1);
                lua_pushinteger(L, (lua_Integer)ci[e] + 1);
                lua_seti(L, -2, 2);
                lua_seti(L, -2, (lua_Integer)e + 1);
            }
        }
    } else if (strcmp(ls->type->name, "matrix_sensing") == 0 &&
               (strcmp(k, "Xstar") == 0 || strcmp(k, "y") == 0 || strcmp(k, "precision") == 0)) {
        size_t d, P;
        int single;
        const double *Xs = mf_landscape_matrix_sensing_target(ls, &d, NULL, &P, &single);
        if (k[0] == 'X')
            push_rows(L, Xs, d, d);
        else if (k[0] == 'y')
            mfl_pushtable(L, mf_landscape_matrix_sensing_labels(ls), P);
        else
            lua_pushstring(L, single ? "single" : "double");
    } else if (strcmp(k, "U") == 0 && strcmp(ls->type->name, "sphere3d") == 0) {
        double U[9];
        mf_landscape_sphere3d_u(ls, U);
        push_rows(L, U, 3, 3);
    } else {
        luaL_getmetafield(L, 1, "methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

static int land_tostring(lua_State *L) {
    mf_landscape *ls = checkland(L, 1)->L;
    double c[MF_VALLEY_MAXCOEF];
    size_t n = strcmp(ls->type->name, "valley") == 0 ? mf_landscape_valley_coefs(ls, c) : 0;
    if (n > 0) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_addstring(&b, "valley: f(x, y) = h(x) y^2, h(x) =");
        char term[64];
        int first = 1;
        for (size_t k = 0; k < n; k++) {
            if (c[k] == 0.0 && !(n == 1)) continue;
            if (k == 0)
                snprintf(term, sizeof term, " %.10g", c[k]);
            else if (k == 1)
                snprintf(term, sizeof term, "%s%.10g x", first ? " " : " + ", c[k]);
            else
                snprintf(term, sizeof term, "%s%.10g x^%zu", first ? " " : " + ", c[k], k);
            luaL_addstring(&b, term);
            first = 0;
        }
        luaL_pushresult(&b);
    } else if (strcmp(ls->type->name, "valley") == 0) {
        lua_pushstring(L, "valley: f(x, y) = h(x) y^2, h a Lua function");
    } else {
        lua_pushfstring(L, "%s landscape (dim %d, codim %d)", ls->type->name, (int)ls->dim,
                        (int)ls->codim);
    }
    return 1;
}

static int land_gc(lua_State *L) {
    llandscape *l = luaL_checkudata(L, 1, MF_LANDSCAPE);
    mf_landscape_free(l->L); /* frees the callback context too */
    l->L = NULL;
    l->cb = NULL;
    return 0;
}

/* ---- constructors ---------------------------------------------------------------------------- */

static llandscape *newland(lua_State *L) {
    llandscape *l = lua_newuserdatauv(L, sizeof *l, 1);
    l->L = NULL;
    l->cb = NULL;
    luaL_setmetatable(L, MF_LANDSCAPE);
    return l;
}

/* A callback context for the landscape userdata on the top of the stack, whose functions are
 * at the stack indices fnidx[0..nfn-1] (0: absent, a nil is stored). */
static lcb *newcb(lua_State *L, const char *fname, int nfn, const int *fnidx,
                  const char *const *opt) {
    int ud = lua_gettop(L);
    lcb *cb = calloc(1, sizeof *cb);
    if (!cb) luaL_error(L, "%s: out of memory", fname);
    cb->T = lua_newthread(L);
    lua_setiuservalue(L, ud, 1); /* the thread lives as long as the landscape */
    cb->fname = fname;
    for (int j = 0; j < nfn; j++) {
        if (fnidx[j])
            lua_pushvalue(L, fnidx[j]);
        else
            lua_pushnil(L);
        lua_xmove(L, cb->T, 1);
        cb->opt[j] = opt[j];
    }
    return cb;
}

static void read_coefs(lua_State *L, int idx, double *c, size_t *n, const char *fname) {
    luaL_checktype(L, idx, LUA_TTABLE);
    *n = (size_t)luaL_len(L, idx);
    if (*n < 1 || *n > MF_VALLEY_MAXCOEF)
        luaL_error(L, "%s: option 'h' needs 1 to %d coefficients, got %d", fname, MF_VALLEY_MAXCOEF,
                   (int)*n);
    for (size_t k = 0; k < *n; k++) {
        lua_geti(L, idx, (lua_Integer)k + 1);
        c[k] = luaL_checknumber(L, -1);
        lua_pop(L, 1);
    }
}

/* core.valley(coefs): h(x) = sum coefs[k+1] x^k */
static int l_valley(lua_State *L) {
    double c[MF_VALLEY_MAXCOEF];
    size_t n;
    read_coefs(L, 1, c, &n, "mf.landscape.valley");
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_valley(&l->L, c, n, &err)) return mfl_raise(L, "mf.landscape.valley", &err);
    return 1;
}

/* core.valley_fn(h): h(x) returns h, h', h'' */
static int l_valley_fn(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    llandscape *l = newland(L);
    static const char *const opt[] = {"h"};
    lcb *cb = newcb(L, "mf.landscape.valley", 1, (int[]){1}, opt);
    mf_err err;
    if (mf_landscape_valley_fn(&l->L, cb_h, cb, free, &err))
        return mfl_raise(L, "mf.landscape.valley", &err);
    l->cb = cb;
    return 1;
}

/* core.rotated_valley(theta, coefs) */
static int l_rotated_valley(lua_State *L) {
    double theta = luaL_checknumber(L, 1), c[MF_VALLEY_MAXCOEF];
    size_t n;
    read_coefs(L, 2, c, &n, "mf.landscape.rotated_valley");
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_rotated_valley(&l->L, theta, c, n, &err))
        return mfl_raise(L, "mf.landscape.rotated_valley", &err);
    return 1;
}

/* core.quadratic_manifold(k, d, A) */
static int l_quadratic_manifold(lua_State *L) {
    lua_Integer k = mfl_checkcount(L, 1, 1, "mf.landscape.quadratic_manifold", "option 'k'"),
                d = mfl_checkcount(L, 2, 1, "mf.landscape.quadratic_manifold", "option 'd'");
    luaL_checktype(L, 3, LUA_TFUNCTION);
    if (k < 1 || d <= k || d > 100000)
        return luaL_error(L, "mf.landscape.quadratic_manifold: need 1 <= k < d, got k = %d, d = %d",
                          (int)k, (int)d);
    llandscape *l = newland(L);
    static const char *const opt[] = {"A"};
    lcb *cb = newcb(L, "mf.landscape.quadratic_manifold", 1, (int[]){3}, opt);
    cb->k = (size_t)k, cb->c = (size_t)(d - k);
    mf_err err;
    if (mf_landscape_quadratic_manifold(&l->L, (size_t)k, (size_t)d, cb_A, cb, free, 1, &err))
        return mfl_raise(L, "mf.landscape.quadratic_manifold", &err);
    l->cb = cb;
    return 1;
}

/* core.sphere3d(seed, rotate) */
static int l_sphere3d(lua_State *L) {
    lua_Integer seed = mfl_checkcount(L, 1, 0, "mf.landscape.sphere3d", "option 'seed'");
    int rotate = lua_toboolean(L, 2);
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_sphere3d(&l->L, rotate, (unsigned long long)seed, &err))
        return mfl_raise(L, "mf.landscape.sphere3d", &err);
    return 1;
}

/* core.custom(dim, codim, f, grad|nil, hess|nil) */
static int l_custom(lua_State *L) {
    lua_Integer d = mfl_checkcount(L, 1, 1, "mf.landscape.custom", "option 'dim'"),
                c = mfl_checkcount(L, 2, 0, "mf.landscape.custom", "option 'codim'");
    luaL_checktype(L, 3, LUA_TFUNCTION);
    int hasg = !lua_isnoneornil(L, 4), hash = !lua_isnoneornil(L, 5);
    if (d > 100000) /* the finite-difference Hessian and the projection's frames are dense */
        return luaL_error(L, "mf.landscape.custom: option 'dim' must be at most 100000, got %I",
                          (LUAI_UACINT)d);
    if (c > d)
        return luaL_error(L, "mf.landscape.custom: option 'codim' must be at most dim = %I, got %I",
                          (LUAI_UACINT)d, (LUAI_UACINT)c);
    llandscape *l = newland(L);
    static const char *const opt[] = {"f", "grad", "hess"};
    lcb *cb = newcb(L, "mf.landscape.custom", 3, (int[]){3, hasg ? 4 : 0, hash ? 5 : 0}, opt);
    cb->d = (size_t)d;
    mf_custom_fns fns = {cb_value, hasg ? cb_grad : NULL, hash ? cb_hess : NULL, cb, free, 1};
    mf_err err;
    if (mf_landscape_custom(&l->L, (size_t)d, (size_t)c, &fns, &err))
        return mfl_raise(L, "mf.landscape.custom", &err);
    l->cb = cb;
    return 1;
}

/* core.matrix_factorization(m, n, p, M|nil, seed): M a table of m rows of n numbers */
static int l_matrix_factorization(lua_State *L) {
    const char *fname = "mf.landscape.matrix_factorization";
    lua_Integer m = mfl_checkcount(L, 1, 1, fname, "option 'm'"),
                n = mfl_checkcount(L, 2, 1, fname, "option 'n'"),
                p = mfl_checkcount(L, 3, 1, fname, "option 'p'"),
                seed = lua_isnoneornil(L, 5) ? 0 : mfl_checkcount(L, 5, 0, fname, "option 'seed'");
    if (m < 1 || n < 1 || p < 1 || (m + n) * p > 100000)
        return luaL_error(L, "%s: need m, n, p >= 1 and (m + n) p <= 100000", fname);
    double *M = NULL;
    if (!lua_isnoneornil(L, 4)) {
        M = scratch(L, (size_t)(m * n));
        if (luaL_len(L, 4) != m)
            return luaL_error(L, "%s: option 'M' must have %d rows, got %d", fname, (int)m,
                              (int)luaL_len(L, 4));
        for (lua_Integer a = 0; a < m; a++) {
            lua_geti(L, 4, a + 1);
            if (!lua_istable(L, -1) || luaL_len(L, -1) != n)
                return luaL_error(L, "%s: option 'M': row %d must be a table of %d numbers", fname,
                                  (int)a + 1, (int)n);
            for (lua_Integer b = 0; b < n; b++) {
                lua_geti(L, -1, b + 1);
                int ok;
                M[a * n + b] = lua_tonumberx(L, -1, &ok);
                if (!ok)
                    return luaL_error(L, "%s: option 'M': entry [%d][%d] must be a number, got %s",
                                      fname, (int)a + 1, (int)b + 1, luaL_typename(L, -1));
                lua_pop(L, 1);
            }
            lua_pop(L, 1);
        }
    }
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_matrix_factorization(&l->L, (size_t)m, (size_t)n, (size_t)p, M,
                                          (unsigned long long)seed, &err))
        return mfl_raise(L, fname, &err);
    return 1;
}

/* core.uv(n, P, act, d, m, seed) with act "linear" | "tanh" | "relu" */
static int l_uv(lua_State *L) {
    static const char *const acts[] = {"linear", "tanh", "relu", NULL};
    const char *fname = "mf.landscape.uv";
    lua_Integer n = mfl_checkcount(L, 1, 1, fname, "option 'n'"),
                P = mfl_checkcount(L, 2, 1, fname, "option 'P'");
    int act = luaL_checkoption(L, 3, "linear", acts);
    lua_Integer d = mfl_checkcount(L, 4, 1, fname, "option 'd'"),
                m = mfl_checkcount(L, 5, 1, fname, "option 'm'"),
                seed = mfl_checkcount(L, 6, 0, fname, "option 'seed'");
    if (n < 1 || P < 1 || d < 1 || m < 1)
        return luaL_error(L, "mf.landscape.uv: n, P, d and m must be >= 1");
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_uv(&l->L, (size_t)n, (size_t)P, act, (size_t)d, (size_t)m,
                        (unsigned long long)seed, &err))
        return mfl_raise(L, "mf.landscape.uv", &err);
    return 1;
}

/* core.linreg_bn(d, n, seed) */
static int l_linreg_bn(lua_State *L) {
    const char *fname = "mf.landscape.linreg_bn";
    lua_Integer d = mfl_checkcount(L, 1, 1, fname, "option 'd'"),
                n = mfl_checkcount(L, 2, 1, fname, "option 'n'"),
                seed = mfl_checkcount(L, 3, 0, fname, "option 'seed'");
    if (d < 1 || n < 1) return luaL_error(L, "mf.landscape.linreg_bn: d and n must be >= 1");
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_linreg_bn(&l->L, (size_t)d, (size_t)n, (unsigned long long)seed, &err))
        return mfl_raise(L, "mf.landscape.linreg_bn", &err);
    return 1;
}

/* core.matrix_completion_bn(d, rank, observed, init_scale, seed) */
static int l_matrix_completion_bn(lua_State *L) {
    const char *fname = "mf.landscape.matrix_completion_bn";
    lua_Integer d = mfl_checkcount(L, 1, 1, fname, "option 'd'"),
                r = mfl_checkcount(L, 2, 1, fname, "option 'rank'"),
                N = mfl_checkcount(L, 3, 1, fname, "option 'observed'"),
                seed = mfl_checkcount(L, 5, 0, fname, "option 'seed'");
    double s = luaL_checknumber(L, 4);
    if (d < 1 || r < 1 || N < 1)
        return luaL_error(L,
                          "mf.landscape.matrix_completion_bn: d, rank and observed must be >= 1");
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_matrix_completion_bn(&l->L, (size_t)d, (size_t)r, (size_t)N, s,
                                          (unsigned long long)seed, &err))
        return mfl_raise(L, "mf.landscape.matrix_completion_bn", &err);
    return 1;
}

/* core.matrix_sensing(d, r, P, seed, single) */
static int l_matrix_sensing(lua_State *L) {
    const char *fname = "mf.landscape.matrix_sensing";
    lua_Integer d = mfl_checkcount(L, 1, 1, fname, "option 'd'"),
                r = mfl_checkcount(L, 2, 1, fname, "option 'r'"),
                P = mfl_checkcount(L, 3, 1, fname, "option 'P'"),
                seed = mfl_checkcount(L, 4, 0, fname, "option 'seed'");
    int single = lua_toboolean(L, 5);
    if (d < 1 || r < 1 || P < 1)
        return luaL_error(L, "%s: options 'd', 'r' and 'P' must be >= 1", fname);
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_matrix_sensing(&l->L, (size_t)d, (size_t)r, (size_t)P, single,
                                    (unsigned long long)seed, &err))
        return mfl_raise(L, fname, &err);
    return 1;
}

void mfl_open_landscape(lua_State *L) {
    static const luaL_Reg meta[] = {
        {"__index", land_index}, {"__tostring", land_tostring}, {"__gc", land_gc}, {NULL, NULL}};
    static const luaL_Reg methods[] = {{"value", land_value},
                                       {"grad", land_grad},
                                       {"hess", land_hess},
                                       {"hvp", land_hvp},
                                       {"project", land_project},
                                       {"tangent", land_tangent},
                                       {"trace_hessian", land_trace},
                                       {"test_loss", land_test_loss},
                                       {NULL, NULL}};
    mfl_newtype(L, MF_LANDSCAPE, meta, methods);
    static const luaL_Reg ctors[] = {{"valley", l_valley},
                                     {"valley_fn", l_valley_fn},
                                     {"rotated_valley", l_rotated_valley},
                                     {"quadratic_manifold", l_quadratic_manifold},
                                     {"sphere3d", l_sphere3d},
                                     {"custom", l_custom},
                                     {"matrix_factorization", l_matrix_factorization},
                                     {"uv", l_uv},
                                     {"linreg_bn", l_linreg_bn},
                                     {"matrix_completion_bn", l_matrix_completion_bn},
                                     {"matrix_sensing", l_matrix_sensing},
                                     {NULL, NULL}};
    luaL_setfuncs(L, ctors, 0);
}
