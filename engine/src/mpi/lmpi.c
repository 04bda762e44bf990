/* The Lua module "mflab.mpi": the thin binding of the MPI work queue that
 * lua/mflab/parallel.lua builds mf.parallel.map on. The mflab executable preloads it when
 * built with MFLAB_WITH_MPI; values cross it as strings (serialized by parallel.lua). */
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>

#include "lmpi.h"
#include "mf_mpi.h"

static int l_rank(lua_State *L) {
    lua_pushinteger(L, mf_mpi_rank());
    return 1;
}

static int l_size(lua_State *L) {
    lua_pushinteger(L, mf_mpi_size());
    return 1;
}

static int l_initialized(lua_State *L) {
    lua_pushboolean(L, mf_mpi_initialized());
    return 1;
}

/* start(n, skip): skip is a table whose keys are the indices already done. */
static int l_start(lua_State *L) {
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0, 1, "expected n >= 0");
    luaL_checktype(L, 2, LUA_TTABLE);
    unsigned char *skip = lua_newuserdatauv(L, n > 0 ? (size_t)n : 1, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 2, i);
        skip[i - 1] = (unsigned char)lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    char msg[256];
    if (mf_mpi_queue_start((size_t)n, skip, msg, sizeof msg) != 0)
        return luaL_error(L, "mf.parallel.map: %s", msg);
    return 0;
}

static int l_take(lua_State *L) {
    size_t i = mf_mpi_take();
    if (i == 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)i);
    return 1;
}

/* collect(wait): a table {i1, s1, i2, s2, ...} of arrived results (empty when none arrived
 * and wait is false), or nil when every worker has stopped and all results are collected. */
static int l_collect(lua_State *L) {
    int wait = lua_toboolean(L, 1);
    enum { CAP = 64 };
    mf_mpi_item items[CAP];
    int k = mf_mpi_collect(wait, items, CAP);
    if (k == -1) return luaL_error(L, "interrupted!");
    if (k == -2) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, 2 * k, 0);
    for (int j = 0; j < k; j++) { /* (a memory error here would leak the later buffers) */
        lua_pushinteger(L, (lua_Integer)items[j].index);
        lua_rawseti(L, -2, 2 * j + 1);
        lua_pushlstring(L, items[j].bytes, items[j].len);
        free(items[j].bytes);
        items[j].bytes = NULL;
        lua_rawseti(L, -2, 2 * j + 2);
    }
    return 1;
}

/* ask(done_index, bytes): returns the next index, or nil when there is no more work. */
static int l_ask(lua_State *L) {
    lua_Integer done = luaL_checkinteger(L, 1);
    size_t len = 0;
    const char *bytes = luaL_optlstring(L, 2, "", &len);
    size_t next = 0;
    int rc = mf_mpi_ask(done > 0 ? (size_t)done : 0, bytes, len, &next);
    if (rc == -1) return luaL_error(L, "interrupted!");
    if (rc == -2)
        return luaL_error(L,
                          "mf.parallel.map: the value of point %d is too large to send (%zu bytes)",
                          (int)done, len);
    if (next == 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)next);
    return 1;
}

int luaopen_mflab_mpi(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"rank", l_rank},   {"size", l_size}, {"initialized", l_initialized},
        {"start", l_start}, {"take", l_take}, {"collect", l_collect},
        {"ask", l_ask},     {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
