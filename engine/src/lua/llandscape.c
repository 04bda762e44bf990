/* Landscape userdata: L.dim, L.name, L:value(z), L:grad(z), L:hess(z), L:project(z). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbind.h"

static llandscape *checkland(lua_State *L, int i) { return luaL_checkudata(L, i, MF_LANDSCAPE); }

/* Point buffers live in a userdata on the stack so an error never leaks them. */
static double *scratch(lua_State *L, size_t n) { return lua_newuserdatauv(L, n * sizeof(double), 0); }

static int land_value(lua_State *L) {
    mf_landscape *ls = checkland(L, 1)->L;
    double *z = scratch(L, ls->dim);
    mfl_checkpoint(L, 2, ls->dim, z, "landscape:value", "z");
    lua_pushnumber(L, mf_landscape_value(ls, z));
    return 1;
}

static int land_grad(lua_State *L) {
    mf_landscape *ls = checkland(L, 1)->L;
    double *z = scratch(L, 2 * ls->dim);
    mfl_checkpoint(L, 2, ls->dim, z, "landscape:grad", "z");
    mf_landscape_grad(ls, z, z + ls->dim);
    mfl_pushtable(L, z + ls->dim, ls->dim);
    return 1;
}

static int land_hess(lua_State *L) {
    mf_landscape *ls = checkland(L, 1)->L;
    size_t d = ls->dim;
    double *z = scratch(L, d + d * d);
    mfl_checkpoint(L, 2, d, z, "landscape:hess", "z");
    mf_landscape_hess(ls, z, z + d);
    lua_createtable(L, (int)d, 0);
    for (size_t r = 0; r < d; r++) {
        mfl_pushtable(L, z + d + r * d, d);
        lua_seti(L, -2, (lua_Integer)r + 1);
    }
    return 1;
}

static int land_project(lua_State *L) {
    mf_landscape *ls = checkland(L, 1)->L;
    double *z = scratch(L, 2 * ls->dim);
    mfl_checkpoint(L, 2, ls->dim, z, "landscape:project", "z");
    mf_err err;
    if (mf_landscape_project(ls, z, z + ls->dim, &err)) return mfl_raise(L, "landscape:project", &err);
    mfl_pushtable(L, z + ls->dim, ls->dim);
    return 1;
}

static int land_index(lua_State *L) {
    mf_landscape *ls = checkland(L, 1)->L;
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "dim") == 0) {
        lua_pushinteger(L, (lua_Integer)ls->dim);
    } else if (strcmp(k, "codim") == 0) {
        lua_pushinteger(L, (lua_Integer)ls->codim);
    } else if (strcmp(k, "name") == 0) {
        lua_pushstring(L, ls->type->name);
    } else {
        luaL_getmetafield(L, 1, "methods");
        lua_getfield(L, -1, k);
    }
    return 1;
}

static int land_tostring(lua_State *L) {
    mf_landscape *ls = checkland(L, 1)->L;
    if (strcmp(ls->type->name, "valley") == 0) {
        double c[MF_VALLEY_MAXCOEF];
        size_t n = mf_landscape_valley_coefs(ls, c);
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_addstring(&b, "valley: f(x, y) = h(x) y^2, h(x) =");
        char term[64];
        int first = 1;
        for (size_t k = 0; k < n; k++) {
            if (c[k] == 0.0 && !(n == 1)) continue;
            if (k == 0) snprintf(term, sizeof term, " %.10g", c[k]);
            else if (k == 1) snprintf(term, sizeof term, "%s%.10g x", first ? " " : " + ", c[k]);
            else snprintf(term, sizeof term, "%s%.10g x^%zu", first ? " " : " + ", c[k], k);
            luaL_addstring(&b, term);
            first = 0;
        }
        luaL_pushresult(&b);
    } else {
        lua_pushfstring(L, "%s landscape (dim %d)", ls->type->name, (int)ls->dim);
    }
    return 1;
}

static int land_gc(lua_State *L) {
    llandscape *l = checkland(L, 1);
    mf_landscape_free(l->L);
    l->L = NULL;
    return 0;
}

/* core.valley(coefs): h(x) = sum coefs[k+1] x^k */
static int l_valley(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t n = (size_t)luaL_len(L, 1);
    double c[MF_VALLEY_MAXCOEF];
    if (n < 1 || n > MF_VALLEY_MAXCOEF)
        return luaL_error(L, "mf.landscape.valley: option 'h' needs 1 to %d coefficients, got %d",
                          MF_VALLEY_MAXCOEF, (int)n);
    for (size_t k = 0; k < n; k++) {
        lua_geti(L, 1, (lua_Integer)k + 1);
        c[k] = luaL_checknumber(L, -1);
        lua_pop(L, 1);
    }
    llandscape *l = lua_newuserdatauv(L, sizeof *l, 0);
    l->L = NULL;
    luaL_setmetatable(L, MF_LANDSCAPE);
    mf_err err;
    if (mf_landscape_valley(&l->L, c, n, &err)) return mfl_raise(L, "mf.landscape.valley", &err);
    return 1;
}

void mfl_open_landscape(lua_State *L) {
    static const luaL_Reg meta[] = {{"__index", land_index},
                                    {"__tostring", land_tostring},
                                    {"__gc", land_gc},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"value", land_value},
                                       {"grad", land_grad},
                                       {"hess", land_hess},
                                       {"project", land_project},
                                       {NULL, NULL}};
    mfl_newtype(L, MF_LANDSCAPE, meta, methods);
    lua_pushcfunction(L, l_valley);
    lua_setfield(L, -2, "valley");
}
