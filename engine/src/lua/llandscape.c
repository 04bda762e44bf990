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
#include "mflab/expr.h"

#define MF_HESS_MAXDIM   MF_DENSE_MAXDIM
#define MFL_MAX_CB_DEPTH 32

struct lcb {
    lua_State *T;       /* the thread callbacks run on (see newcb) */
    const char *fname;  /* "mf.landscape.custom" */
    const char *opt[4]; /* option name of each function */
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

/* One call of a Lua function for the engine: the function at slot fn of cb's thread, with
 * the array x (n entries) or the number x[0] (n = 0); what it returns is read into out. */
enum { CB_H, CB_VALUE, CB_VECTOR, CB_MATRIX };
typedef struct cb_job {
    lcb *cb;
    int fn, kind;
    const double *x;
    size_t n, len; /* len: entries (CB_VECTOR) or rows = columns (CB_MATRIX) */
    double *out;
    const char *what;
    int phase; /* 0 while the function runs, 1 while what it returned is read */
    int bad;   /* a check failed; its message is kept */
} cb_job;

/* reads a table of n numbers at idx (inside cb_body: errors are caught there) */
static int cb_vector(lua_State *T, cb_job *j, int idx, size_t n, double *out) {
    lcb *cb = j->cb;
    if (!lua_istable(T, idx) || luaL_len(T, idx) != (lua_Integer)n) {
        cb_fail(cb, "%s: option '%s' must return %s (a table of %zu numbers), got %s%s", cb->fname,
                cb->opt[j->fn - 1], j->what, n, luaL_typename(T, idx),
                lua_istable(T, idx) ? " of another length" : "");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        lua_geti(T, idx, (lua_Integer)i + 1);
        int ok;
        out[i] = lua_tonumberx(T, -1, &ok);
        if (!ok) {
            cb_fail(cb, "%s: option '%s' must return %s; entry %zu is %s", cb->fname,
                    cb->opt[j->fn - 1], j->what, i + 1, luaL_typename(T, -1));
            return 1;
        }
        lua_pop(T, 1);
    }
    return 0;
}

static const char cb_registry;

/* The protected body of a callback: stack 1 the job. Every Lua error in here
 * (the function's own, a __len or __index metamethod of what it returned, out of memory) is
 * caught by the lua_pcall in cb_run, so no longjmp ever crosses an engine frame. */
static int cb_body(lua_State *T) {
    cb_job *j = lua_touserdata(T, 1);
    lcb *cb = j->cb;
    lua_settop(T, 1);
    lua_rawgetp(T, LUA_REGISTRYINDEX, &cb_registry);
    lua_rawgetp(T, 2, cb);
    lua_rawgeti(T, 3, j->fn);
    lua_replace(T, 2);
    lua_settop(T, 2); /* 2: the function */
    if (j->n == 0) {
        lua_pushnumber(T, j->x[0]);
    } else {
        lua_createtable(T, (int)j->n, 0);
        for (size_t i = 0; i < j->n; i++) {
            lua_pushnumber(T, j->x[i]);
            lua_seti(T, -2, (lua_Integer)i + 1);
        }
    }
    int nres = j->kind == CB_H ? 3 : 1;
    lua_call(T, 1, nres);
    j->phase = 1;
    int at = 2;
    switch (j->kind) {
    case CB_H:
        for (int k = 0; k < 3; k++) {
            int ok;
            j->out[k] = lua_tonumberx(T, at + k, &ok);
            if (!ok) {
                cb_fail(cb,
                        "%s: option 'h' must return three numbers h(x), h'(x), h''(x); value %d "
                        "is %s",
                        cb->fname, k + 1, luaL_typename(T, at + k));
                j->bad = 1;
                return 0;
            }
        }
        if (!(j->out[0] > 0.0)) {
            cb_fail(cb, "%s: option 'h' returned h(%.17g) = %.17g; the valley needs h > 0",
                    cb->fname, j->x[0], j->out[0]);
            j->bad = 1;
        }
        return 0;
    case CB_VALUE: {
        int ok;
        *j->out = lua_tonumberx(T, at, &ok);
        if (!ok) {
            cb_fail(cb, "%s: option '%s' must return a number, got %s", cb->fname,
                    cb->opt[j->fn - 1], luaL_typename(T, at));
            j->bad = 1;
        }
        return 0;
    }
    case CB_VECTOR:
        j->bad = cb_vector(T, j, at, j->len, j->out);
        return 0;
    default: /* CB_MATRIX: a table of len rows of len numbers */
        if (!lua_istable(T, at) || luaL_len(T, at) != (lua_Integer)j->len) {
            cb_fail(cb,
                    "%s: option '%s' must return %s (a table of %zu rows of %zu numbers), got "
                    "%s%s",
                    cb->fname, cb->opt[j->fn - 1], j->what, j->len, j->len, luaL_typename(T, at),
                    lua_istable(T, at) ? " of another length" : "");
            j->bad = 1;
            return 0;
        }
        for (size_t r = 0; r < j->len && !j->bad; r++) {
            lua_geti(T, at, (lua_Integer)r + 1);
            j->bad = cb_vector(T, j, lua_gettop(T), j->len, j->out + r * j->len);
            lua_pop(T, 1);
        }
        return 0;
    }
}

/* Runs a job on cb's thread; 0 on success, else 1 with the first failure's message kept. */
static int cb_run(cb_job *j) {
    lcb *cb = j->cb;
    lua_State *T = cb->T;
    if (!lua_checkstack(T, 8)) {
        cb_fail(cb, "%s: Lua stack overflow calling option '%s'", cb->fname, cb->opt[j->fn - 1]);
        return 1;
    }
    /* callbacks calling landscapes calling callbacks...: bounded below the engine's own
     * MF_SCRATCH_MAXDEPTH so that the message says what happened */
    static _Thread_local int depth;
    if (depth >= MFL_MAX_CB_DEPTH) {
        cb_fail(cb, "%s: option '%s': Lua functions of landscapes nested more than %d deep",
                cb->fname, cb->opt[j->fn - 1], MFL_MAX_CB_DEPTH);
        return 1;
    }
    int base = lua_gettop(T);
    depth++;
    lua_pushcfunction(T, cb_body);
    lua_pushlightuserdata(T, j);
    if (lua_pcall(T, 1, 0, 0) != LUA_OK) {
        const char *m = lua_tostring(T, -1);
        cb_fail(cb, "%s: option '%s' %s: %s", cb->fname, cb->opt[j->fn - 1],
                j->phase ? "returned a value whose reading raised an error" : "raised an error",
                m ? m : "(error object is not a string)");
        j->bad = 1;
    }
    depth--;
    lua_settop(T, base);
    return j->bad;
}

static int cb_h(void *ud, double x, double out[3]) {
    return cb_run(&(cb_job){.cb = ud, .fn = 1, .kind = CB_H, .x = &x, .n = 0, .out = out});
}

static int cb_value(void *ud, const double *z, double *f) {
    lcb *cb = ud;
    return cb_run(&(cb_job){.cb = cb, .fn = 1, .kind = CB_VALUE, .x = z, .n = cb->d, .out = f});
}

static int cb_grad(void *ud, const double *z, double *g) {
    lcb *cb = ud;
    return cb_run(&(cb_job){.cb = cb,
                            .fn = 2,
                            .kind = CB_VECTOR,
                            .x = z,
                            .n = cb->d,
                            .len = cb->d,
                            .out = g,
                            .what = "the gradient"});
}

static int cb_hess(void *ud, const double *z, double *H) {
    lcb *cb = ud;
    return cb_run(&(cb_job){.cb = cb,
                            .fn = 3,
                            .kind = CB_MATRIX,
                            .x = z,
                            .n = cb->d,
                            .len = cb->d,
                            .out = H,
                            .what = "the Hessian"});
}

static int cb_project(void *ud, const double *z, double *pz) {
    lcb *cb = ud;
    return cb_run(&(cb_job){.cb = cb,
                            .fn = 4,
                            .kind = CB_VECTOR,
                            .x = z,
                            .n = cb->d,
                            .len = cb->d,
                            .out = pz,
                            .what = "the projection"});
}

static int cb_A(void *ud, const double *x, double *A) {
    lcb *cb = ud;
    return cb_run(&(cb_job){.cb = cb,
                            .fn = 1,
                            .kind = CB_MATRIX,
                            .x = x,
                            .n = cb->k,
                            .len = cb->c,
                            .out = A,
                            .what = "the matrix A(x)"});
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
    if (d > MF_HESS_MAXDIM) /* d x d doubles of frame, and an O(d^3) orthogonalization */
        return luaL_error(L,
                          "landscape:tangent: the dense frame of dimension %d is too large (limit "
                          "%d); use L:project(z) for the projection and L:hvp(z, v) for "
                          "curvature along chosen directions",
                          (int)d, MF_HESS_MAXDIM);
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

/* A landscape's field (mf_field) as Lua values: rows of numbers, an array, a number, a string,
 * or {{i, j}, ...} pairs (1-based). */
static void push_field(lua_State *L, const mf_field *f) {
    switch (f->kind) {
    case MF_FIELD_MATRIX:
        push_rows(L, f->x, f->rows, f->cols);
        break;
    case MF_FIELD_VECTOR:
        mfl_pushtable(L, f->x, f->rows);
        break;
    case MF_FIELD_NUMBER:
        lua_pushnumber(L, f->number);
        break;
    case MF_FIELD_TEXT:
        lua_pushstring(L, f->text);
        break;
    case MF_FIELD_INDEX_PAIRS:
        lua_createtable(L, (int)f->rows, 0);
        for (size_t e = 0; e < f->rows; e++) {
            lua_createtable(L, 2, 0);
            lua_pushinteger(L, (lua_Integer)f->i[e] + 1);
            lua_seti(L, -2, 1);
            lua_pushinteger(L, (lua_Integer)f->j[e] + 1);
            lua_seti(L, -2, 2);
            lua_seti(L, -2, (lua_Integer)e + 1);
        }
        break;
    }
}

static int land_index(lua_State *L) {
    llandscape *l = checkland(L, 1);
    mf_landscape *ls = l->L;
    const char *k = luaL_checkstring(L, 2);
    mf_field field;
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
    } else if (strcmp(k, "fields") == 0) { /* the names of the type's own data */
        lua_pushstring(L, ls->type->fields ? ls->type->fields : "");
    } else if (mf_landscape_field(ls, k, &field)) { /* the type's own data: L.M, L.X, ... */
        push_field(L, &field);
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
        lua_pushstring(L, checkland(L, 1)->cb ? "valley: f(x, y) = h(x) y^2, h a Lua function"
                                              : "valley: f(x, y) = h(x) y^2, h an expression");
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

/* Registry key of a weak-valued table: light userdata lcb* -> the table {[1..nfn] = the
 * functions, T = the thread}, which is also the landscape's user value (so it lives exactly
 * as long as the landscape). Callbacks find their functions there, never by stack index: the
 * thread may be running (a callback calling its own landscape) and then its stack indices
 * are those of the running frame. */

/* A callback context for the landscape userdata on the top of the stack, whose functions are
 * at the stack indices fnidx[0..nfn-1] (0: absent, a nil is stored). */
static lcb *newcb(lua_State *L, const char *fname, int nfn, const int *fnidx,
                  const char *const *opt) {
    int ud = lua_gettop(L);
    lua_createtable(L, nfn, 1);
    int fns = lua_gettop(L);
    lua_newthread(L);
    lua_setfield(L, fns, "T");
    for (int j = 0; j < nfn; j++) {
        if (fnidx[j])
            lua_pushvalue(L, fnidx[j]);
        else
            lua_pushnil(L);
        lua_rawseti(L, fns, j + 1);
    }
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cb_registry) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_createtable(L, 0, 1);
        lua_pushliteral(L, "v");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &cb_registry);
    }
    lcb *cb = calloc(1, sizeof *cb); /* nothing below raises: cb cannot leak */
    if (!cb) luaL_error(L, "%s: out of memory", fname);
    lua_pushvalue(L, fns);
    lua_rawsetp(L, -2, cb);
    lua_pop(L, 1);
    lua_getfield(L, fns, "T");
    cb->T = lua_tothread(L, -1);
    lua_pop(L, 1);
    lua_setiuservalue(L, ud, 1); /* the functions and the thread live as long as the landscape */
    cb->fname = fname;
    for (int j = 0; j < nfn; j++)
        cb->opt[j] = opt[j];
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
    int hasg = !lua_isnoneornil(L, 4), hash = !lua_isnoneornil(L, 5), hasp = !lua_isnoneornil(L, 6);
    if (d > 100000) /* the finite-difference Hessian and the projection's frames are dense */
        return luaL_error(L, "mf.landscape.custom: option 'dim' must be at most 100000, got %I",
                          (LUAI_UACINT)d);
    if (c > d)
        return luaL_error(L, "mf.landscape.custom: option 'codim' must be at most dim = %I, got %I",
                          (LUAI_UACINT)d, (LUAI_UACINT)c);
    llandscape *l = newland(L);
    static const char *const opt[] = {"f", "grad", "hess", "project"};
    lcb *cb = newcb(L, "mf.landscape.custom", 4,
                    (int[]){3, hasg ? 4 : 0, hash ? 5 : 0, hasp ? 6 : 0}, opt);
    cb->d = (size_t)d;
    mf_custom_fns fns = {cb_value, hasg ? cb_grad : NULL, hash ? cb_hess : NULL, cb, free, 1};
    mf_err err;
    if (mf_landscape_custom(&l->L, (size_t)d, (size_t)c, &fns, &err) ||
        (hasp && mf_landscape_custom_set_project(l->L, cb_project, &err)))
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
    /* each factor is bounded first, so (m + n) p and m n cannot wrap */
    if (m > 100000 || n > 100000 || p > 100000 || (m + n) * p > 100000)
        return luaL_error(L,
                          "%s: need m, n, p >= 1 and (m + n) p <= 100000, got m = %I, n = %I, "
                          "p = %I",
                          fname, m, n, p);
    double *M = NULL;
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        M = scratch(L, (size_t)(m * n));
        lua_Integer rows = luaL_len(L, 4);
        if (rows != m)
            return luaL_error(L, "%s: option 'M' must have %I rows, got %I", fname, m, rows);
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

/* core.expr(f, vars, pnames, pvals, codim, x0|nil): vars and pnames arrays of names, pvals
 * numbers (checked by lua/mflab/landscape.lua) */
static int l_expr(lua_State *L) {
    const char *fname = "mf.landscape.expr";
    const char *f = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_Integer c = mfl_checkcount(L, 5, 0, fname, "option 'codim'");
    size_t nv = (size_t)luaL_len(L, 2), np = (size_t)luaL_len(L, 3);
    if (nv < 1 || nv > 1000 || np > 1000)
        return luaL_error(L, "%s: need 1 to 1000 variables and at most 1000 parameters", fname);
    /* names stay alive on the stack (in the argument tables) while the engine copies them */
    const char **names = lua_newuserdatauv(L, (nv + np) * sizeof *names, 0);
    double *vals = lua_newuserdatauv(L, (np ? np : 1) * sizeof *vals, 0);
    double *x0 = NULL;
    for (size_t i = 0; i < nv + np; i++) {
        lua_geti(L, i < nv ? 2 : 3, (lua_Integer)(i < nv ? i : i - nv) + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "%s: names must be strings", fname);
        names[i] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    for (size_t i = 0; i < np; i++) {
        lua_geti(L, 4, (lua_Integer)i + 1);
        vals[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    if (!lua_isnoneornil(L, 6)) {
        luaL_checktype(L, 6, LUA_TTABLE);
        if ((size_t)luaL_len(L, 6) != nv)
            return luaL_error(L, "%s: option 'x0' needs %d numbers, one per variable", fname,
                              (int)nv);
        x0 = lua_newuserdatauv(L, nv * sizeof *x0, 0);
        for (size_t i = 0; i < nv; i++) {
            lua_geti(L, 6, (lua_Integer)i + 1);
            x0[i] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
    }
    llandscape *l = newland(L);
    mf_err err;
    if (mf_landscape_expr(&l->L, f, nv, names, np, names + nv, vals, (size_t)c, x0, &err))
        return luaL_error(L, "%s", err.msg);
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
                                     {"expr", l_expr},
                                     {"matrix_factorization", l_matrix_factorization},
                                     {"uv", l_uv},
                                     {"linreg_bn", l_linreg_bn},
                                     {"matrix_completion_bn", l_matrix_completion_bn},
                                     {"matrix_sensing", l_matrix_sensing},
                                     {NULL, NULL}};
    luaL_setfuncs(L, ctors, 0);
}
