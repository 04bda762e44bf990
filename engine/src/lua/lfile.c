/* Durable files for the Lua layer (the sweep journal and result files): thin wrappers over
 * mflab/file.h. core.write_file, core.mkdir, core.hostname and core.clock are in lexport.c. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbind.h"
#include "mflab/file.h"

/* core.file_append(path, text): appended in one write and fsynced */
static int l_file_append(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    mf_err err;
    if (mf_file_append_sync(path, s, n, &err)) return mfl_raise(L, "mf.sweep", &err);
    return 0;
}

/* core.file_commit({from, ...}, {to, ...}): fsync every from, then rename each onto its to */
static int l_file_commit(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = (size_t)luaL_len(L, 1);
    if ((size_t)luaL_len(L, 2) != n) return luaL_argerror(L, 2, "as many targets as sources");
    const char **from = lua_newuserdatauv(L, 2 * (n + 1) * sizeof *from, 0), **to = from + n + 1;
    for (size_t k = 0; k < n; k++) { /* the strings stay alive in the argument tables */
        lua_geti(L, 1, (lua_Integer)k + 1);
        from[k] = luaL_checkstring(L, -1);
        lua_geti(L, 2, (lua_Integer)k + 1);
        to[k] = luaL_checkstring(L, -1);
        lua_pop(L, 2);
    }
    mf_err err;
    if (mf_file_commit(from, to, n, &err)) return mfl_raise(L, "mf.sweep", &err);
    return 0;
}

/* core.listdir(path): the names in a folder (without . and ..), in no particular order */
static int l_listdir(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    DIR *d = opendir(path);
    if (!d) return luaL_error(L, "mf.sweep: cannot read folder '%s': %s", path, strerror(errno));
    lua_newtable(L);
    lua_Integer n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        lua_pushstring(L, e->d_name);
        lua_seti(L, -2, ++n);
    }
    closedir(d);
    return 1;
}

void mfl_open_file(lua_State *L) {
    static const luaL_Reg f[] = {{"file_append", l_file_append},
                                 {"file_commit", l_file_commit},
                                 {"listdir", l_listdir},
                                 {NULL, NULL}};
    luaL_setfuncs(L, f, 0);
}
