/* The vector userdata: n doubles, indexed from 1, printable, convertible with :totable(). */
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

static size_t checkindex(lua_State *L, lvector *v) {
    lua_Integer i = mfl_checkcount(L, 2, LUA_MININTEGER, "vector", "the index");
    if (i < 1 || (size_t)i > v->n)
        luaL_error(L, "vector index %d out of range 1..%d", (int)i, (int)v->n);
    return (size_t)i - 1;
}

static int vec_index(lua_State *L) {
    lvector *v = checkvec(L, 1);
    if (lua_type(L, 2) == LUA_TSTRING) { /* methods */
        luaL_getmetafield(L, 1, "methods");
        lua_getfield(L, -1, lua_tostring(L, 2));
        return 1;
    }
    lua_pushnumber(L, v->x[checkindex(L, v)]);
    return 1;
}

static int vec_newindex(lua_State *L) {
    lvector *v = checkvec(L, 1);
    size_t i = checkindex(L, v);
    int ok;
    double x = lua_tonumberx(L, 3, &ok);
    if (!ok) /* Lua's own message would name 'newindex' */
        return luaL_error(L, "vector[%d] = value: the value must be a number, got %s", (int)i + 1,
                          luaL_typename(L, 3));
    v->x[i] = x;
    return 0;
}

static int vec_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)checkvec(L, 1)->n);
    return 1;
}

static int vec_tostring(lua_State *L) {
    lvector *v = checkvec(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "vec{");
    size_t show = v->n <= 12 ? v->n : 10;
    char num[40];
    for (size_t i = 0; i < show; i++) {
        snprintf(num, sizeof num, "%s%.10g", i ? ", " : "", v->x[i]);
        luaL_addstring(&b, num);
    }
    if (show < v->n) {
        snprintf(num, sizeof num, ", ... (%zu entries)", v->n);
        luaL_addstring(&b, num);
    }
    luaL_addstring(&b, "}");
    luaL_pushresult(&b);
    return 1;
}

static int vec_totable(lua_State *L) {
    lvector *v = checkvec(L, 1);
    mfl_pushtable(L, v->x, v->n);
    return 1;
}

void mfl_open_vector(lua_State *L) {
    static const luaL_Reg meta[] = {{"__index", vec_index},
                                    {"__newindex", vec_newindex},
                                    {"__len", vec_len},
                                    {"__tostring", vec_tostring},
                                    {NULL, NULL}};
    static const luaL_Reg methods[] = {{"totable", vec_totable}, {NULL, NULL}};
    mfl_newtype(L, MF_VECTOR, meta, methods);
    lua_pushcfunction(L, vec_new);
    lua_setfield(L, -2, "vector");
}
