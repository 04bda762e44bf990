/* Expression landscapes for Lua (core.expr, their constructor, is in llandscape.c): the
 * landscape methods L:set{name = value, ...} and L:params() change and read parameters between
 * runs, L:expr_info() tells the node count and whether the programs run compiled, and
 * core.expr_interpret(L) drops the compiled forms (option compile = false); core.valley_expr
 * makes valley{h = "..."} and rotated_valley{h = "..."}. */
#include <math.h>
#include <string.h>

#include "lbind.h"
#include "mflab/expr.h"

/* core.valley_expr(h, rotated, theta): valley{h = "..."} and rotated_valley{h = "..."}
 * (options checked by lua/mflab/landscape.lua). The userdata as llandscape.c's constructors
 * make it. */
static int l_valley_expr(lua_State *L) {
    const char *h = luaL_checkstring(L, 1);
    int rotated = lua_toboolean(L, 2);
    double theta = luaL_optnumber(L, 3, 0);
    llandscape *l = lua_newuserdatauv(L, sizeof *l, 1);
    l->L = NULL;
    l->cb = NULL;
    luaL_setmetatable(L, MF_LANDSCAPE);
    mf_err err;
    if (mf_landscape_valley_expr(&l->L, rotated, theta, h, &err))
        return luaL_error(L, "%s", err.msg);
    return 1;
}

/* core.expr_interpret(L): the landscape interprets from now on (option compile = false) */
static int l_expr_interpret(lua_State *L) {
    llandscape *l = luaL_checkudata(L, 1, MF_LANDSCAPE);
    if (l->L) mf_landscape_expr_interpret(l->L);
    lua_settop(L, 1);
    return 1;
}

/* core.expr_project(L, {expr, ...}) and core.expr_manifold(L, {expr, ...}): the closed-form
 * projection (option project) and the constraints (option manifold) */
static int expr_strings(lua_State *L, const char *opt,
                        int (*set)(mf_landscape *, size_t, const char *const *, mf_err *)) {
    llandscape *l = luaL_checkudata(L, 1, MF_LANDSCAPE);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = (size_t)lua_rawlen(L, 2); /* raw: a __len or __index proxy cannot hang this */
    if (n > 1000)
        return luaL_error(L, "mf.landscape.expr: option '%s' has %d entries, at most 1000", opt,
                          (int)(n > 1000000 ? 1000000 : n));
    const char **ex = lua_newuserdatauv(L, (n ? n : 1) * sizeof *ex, 0); /* freed by the GC */
    for (size_t k = 0; k < n; k++) {
        lua_rawgeti(L, 2, (lua_Integer)k + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "mf.landscape.expr: option '%s'[%d] must be a string, got %s", opt,
                              (int)k + 1, luaL_typename(L, -1));
        ex[k] = lua_tostring(L, -1); /* kept alive by the table at index 2 */
        lua_pop(L, 1);
    }
    mf_err err;
    if (!l->L) return luaL_error(L, "mf.landscape.expr: the landscape was freed");
    if (set(l->L, n, ex, &err)) return luaL_error(L, "%s", err.msg); /* it names the option */
    lua_settop(L, 1);
    return 1;
}

static int l_expr_project(lua_State *L) {
    return expr_strings(L, "project", mf_landscape_expr_set_projection);
}

static int l_expr_manifold(lua_State *L) {
    return expr_strings(L, "manifold", mf_landscape_expr_set_manifold);
}

static mf_landscape *checkexpr(lua_State *L, const char *fname) {
    llandscape *l = luaL_checkudata(L, 1, MF_LANDSCAPE);
    if (!l->L || !mf_landscape_expr_info(l->L, NULL, NULL, NULL))
        luaL_argerror(L, 1,
                      lua_pushfstring(L,
                                      "%s: only expression landscapes "
                                      "(mf.landscape.expr) have parameters",
                                      fname));
    return l->L;
}

/* L:set{name = value, ...}: all checked before any is changed */
static int land_set(lua_State *L) {
    const char *fname = "landscape:set";
    mf_landscape *ls = checkexpr(L, fname);
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *const *names;
    size_t npar = mf_landscape_expr_params(ls, &names, NULL);
    for (int pass = 0; pass < 2; pass++) {
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_error(L, "%s: keys must be parameter names, got %s", fname,
                                  luaL_typename(L, -2));
            const char *k = lua_tostring(L, -2);
            if (!lua_isnumber(L, -1))
                return luaL_error(L, "%s: parameter '%s' must be a number, got %s", fname, k,
                                  luaL_typename(L, -1));
            mf_err err;
            if (pass == 0) {
                size_t j = 0;
                while (j < npar && strcmp(names[j], k) != 0)
                    j++;
                double v = lua_tonumber(L, -1);
                /* an unknown name or a bad value: the engine refuses it, changing nothing */
                if ((j == npar || !isfinite(v)) && mf_landscape_expr_set(ls, k, v, &err))
                    return mfl_raise(L, fname, &err);
            } else if (mf_landscape_expr_set(ls, k, lua_tonumber(L, -1), &err)) {
                return mfl_raise(L, fname, &err);
            }
            lua_pop(L, 1);
        }
    }
    lua_settop(L, 1);
    return 1;
}

/* L:params() -> {name = value, ...} */
static int land_params(lua_State *L) {
    mf_landscape *ls = checkexpr(L, "landscape:params");
    const char *const *names;
    const double *vals;
    size_t n = mf_landscape_expr_params(ls, &names, &vals);
    lua_createtable(L, 0, (int)n);
    for (size_t k = 0; k < n; k++) {
        lua_pushnumber(L, vals[k]);
        lua_setfield(L, -2, names[k]);
    }
    return 1;
}

/* L:expr_info() -> {nodes =, compiled =, compile_seconds =} */
static int land_expr_info(lua_State *L) {
    mf_landscape *ls = checkexpr(L, "landscape:expr_info");
    size_t nodes;
    int compiled;
    double secs;
    mf_landscape_expr_info(ls, &nodes, &compiled, &secs);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)nodes);
    lua_setfield(L, -2, "nodes");
    lua_pushboolean(L, compiled);
    lua_setfield(L, -2, "compiled");
    lua_pushnumber(L, secs);
    lua_setfield(L, -2, "compile_seconds");
    return 1;
}

/* Adds core.expr_interpret to the table on the top of the stack, and the methods to the
 * landscape type's method table (mfl_open_landscape has made it). */
void mfl_open_expr(lua_State *L) {
    lua_pushcfunction(L, l_expr_interpret);
    lua_setfield(L, -2, "expr_interpret");
    lua_pushcfunction(L, l_valley_expr);
    lua_setfield(L, -2, "valley_expr");
    lua_pushcfunction(L, l_expr_project);
    lua_setfield(L, -2, "expr_project");
    lua_pushcfunction(L, l_expr_manifold);
    lua_setfield(L, -2, "expr_manifold");
    static const luaL_Reg methods[] = {
        {"set", land_set}, {"params", land_params}, {"expr_info", land_expr_info}, {NULL, NULL}};
    luaL_getmetatable(L, MF_LANDSCAPE);
    lua_getfield(L, -1, "methods");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 2);
}
