/* NumPy files from Lua: arrays given as packed strings (built by lua/mflab/export.lua), and
 * results written straight from the engine's buffers. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lbind.h"
#include "mflab/io.h"

/* Reads the array spec {name =, data = string, dtype = "f"|"i", shape = {...}, fortran =}
 * at index t into a. The data string stays alive in the spec table. */
static void checkarray(lua_State *L, int t, mf_array *a, const char *fname) {
    luaL_checktype(L, t, LUA_TTABLE);
    memset(a, 0, sizeof *a);
    lua_getfield(L, t, "name");
    a->name = lua_isnil(L, -1) ? "arr_0" : luaL_checkstring(L, -1);
    lua_getfield(L, t, "dtype");
    a->dtype = lua_isnil(L, -1) ? 'f' : luaL_checkstring(L, -1)[0];
    lua_getfield(L, t, "fortran");
    a->fortran = lua_toboolean(L, -1);
    lua_getfield(L, t, "shape");
    luaL_checktype(L, -1, LUA_TTABLE);
    a->ndim = (size_t)luaL_len(L, -1);
    if (a->ndim > 4) luaL_error(L, "%s: at most 4 dimensions", fname);
    size_t count = 1;
    for (size_t k = 0; k < a->ndim; k++) {
        lua_geti(L, -1, (lua_Integer)k + 1);
        lua_Integer n = mfl_checkcount(L, -1, 0, fname, "a dimension of the shape");
        a->shape[k] = (size_t)n;
        count *= (size_t)n;
        lua_pop(L, 1);
    }
    size_t len;
    lua_getfield(L, t, "data");
    a->data = luaL_checklstring(L, -1, &len);
    if (len != 8 * count)
        luaL_error(L, "%s: array '%s' has %d bytes for %d elements", fname, a->name, (int)len,
                   (int)count);
    lua_pop(L, 5);
}

/* The optional metadata file (path, text) at arguments idx, idx + 1: NULL when absent. */
static const mf_sidecar *optsidecar(lua_State *L, int idx, mf_sidecar *m) {
    if (lua_isnoneornil(L, idx)) return NULL;
    m->path = luaL_checkstring(L, idx);
    m->text = luaL_checkstring(L, idx + 1);
    return m;
}

/* core.write_npy(path, spec [, meta_path, meta_text]) */
static int l_write_npy(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    mf_array a;
    checkarray(L, 2, &a, "mf.export.npy");
    mf_sidecar ms;
    const mf_sidecar *meta = optsidecar(L, 3, &ms);
    mf_err err;
    if (mf_write_npy_meta(path, &a, meta, &err)) return mfl_raise(L, "mf.export.npy", &err);
    return 0;
}

/* core.write_npz(path, {spec, ...} [, meta_path, meta_text]) */
static int l_write_npz(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    mf_sidecar ms;
    const mf_sidecar *meta = optsidecar(L, 3, &ms);
    lua_settop(L, 4); /* what follows lives above the arguments */
    size_t n = (size_t)luaL_len(L, 2);
    mf_array *a = lua_newuserdatauv(L, (n + 1) * sizeof *a, 0);
    for (size_t k = 0; k < n; k++) {
        lua_geti(L, 2, (lua_Integer)k + 1);
        checkarray(L, lua_gettop(L), &a[k], "mf.export.npz");
        lua_pop(L, 1); /* the spec stays alive in the list */
    }
    mf_err err;
    if (mf_write_npz_meta(path, a, n, meta, &err)) return mfl_raise(L, "mf.export.npz", &err);
    return 0;
}

/* The observable v of a result as a (seeds, nrec) array, or (nrec) for one seed: the engine
 * keeps it as nrec rows of seeds, which is the Fortran order of (seeds, nrec). */
static mf_array result_obs(const mf_result *r, size_t v, const char *name) {
    mf_array a = {.name = name, .data = r->data + v * r->nrec_alloc * r->seeds, .dtype = 'f'};
    if (r->seeds == 1) {
        a.ndim = 1, a.shape[0] = r->nrec;
    } else {
        a.ndim = 2, a.shape[0] = r->seeds, a.shape[1] = r->nrec, a.fortran = 1;
    }
    return a;
}

/* core.result_npz(r, path [, meta_path, meta_text]): t (int64), then one array per name */
static int l_result_npz(lua_State *L) {
    mf_result *r = ((lresult *)luaL_checkudata(L, 1, MF_RESULT))->r;
    const char *path = luaL_checkstring(L, 2);
    mf_sidecar ms;
    const mf_sidecar *meta = optsidecar(L, 3, &ms);
    lua_settop(L, 4);
    int64_t *t = lua_newuserdatauv(L, (r->nrec + 1) * sizeof *t, 0);
    for (size_t j = 0; j < r->nrec; j++)
        t[j] = (int64_t)r->t[j];
    mf_array *a = lua_newuserdatauv(L, (r->nobs + 1) * sizeof *a, 0);
    a[0] = (mf_array){.name = "t", .data = t, .dtype = 'i', .ndim = 1, .shape = {r->nrec}};
    lua_getiuservalue(L, 1, 1);
    lua_getfield(L, -1, "names");
    for (size_t v = 0; v < r->nobs; v++) {
        lua_geti(L, -1, (lua_Integer)v + 1);
        a[v + 1] = result_obs(r, v, lua_tostring(L, -1));
        lua_pop(L, 1); /* kept alive by the names table */
    }
    mf_err err;
    if (mf_write_npz_meta(path, a, r->nobs + 1, meta, &err))
        return mfl_raise(L, "result:save", &err);
    return 0;
}

/* core.result_npy(r, path [, meta_path, meta_text]): every value as one (seeds, nrec, nobs)
 * array */
static int l_result_npy(lua_State *L) {
    mf_result *r = ((lresult *)luaL_checkudata(L, 1, MF_RESULT))->r;
    const char *path = luaL_checkstring(L, 2);
    mf_sidecar ms;
    const mf_sidecar *meta = optsidecar(L, 3, &ms);
    lua_settop(L, 4);
    const double *data = r->data;
    if (r->nrec != r->nrec_alloc) { /* a failed run: close the gaps between observables */
        double *d = lua_newuserdatauv(L, r->nobs * r->nrec * r->seeds * sizeof *d + 1, 0);
        for (size_t v = 0; v < r->nobs; v++)
            memcpy(d + v * r->nrec * r->seeds, r->data + v * r->nrec_alloc * r->seeds,
                   r->nrec * r->seeds * sizeof *d);
        data = d;
    }
    mf_array a = {
        .data = data, .dtype = 'f', .fortran = 1, .ndim = 3, .shape = {r->seeds, r->nrec, r->nobs}};
    mf_err err;
    if (mf_write_npy_meta(path, &a, meta, &err)) return mfl_raise(L, "result:save", &err);
    return 0;
}

/* core.result_csv(r, path, layout, comment [, meta_path, meta_text]) with layout "summary" or
 * "long" (checked by export.lua) */
static int l_result_csv(lua_State *L) {
    lresult *u = luaL_checkudata(L, 1, MF_RESULT);
    const char *path = luaL_checkstring(L, 2);
    static const char *const layouts[] = {"summary", "long", NULL};
    int layout = luaL_checkoption(L, 3, "summary", layouts);
    const char *comment = luaL_optstring(L, 4, NULL);
    mf_sidecar ms;
    const mf_sidecar *meta = optsidecar(L, 5, &ms);
    lua_settop(L, 6);
    lua_getiuservalue(L, 1, 1);
    lua_getfield(L, -1, "names");
    size_t n = u->r->nobs;
    const char **names = lua_newuserdatauv(L, (n + 1) * sizeof *names, 0);
    for (size_t v = 0; v < n; v++) {
        lua_geti(L, -2, (lua_Integer)v + 1);
        names[v] = lua_tostring(L, -1);
        lua_pop(L, 1); /* the string stays alive in the names table */
    }
    mf_err err;
    if (mf_result_write_csv_meta(u->r, names, comment, layout ? MF_CSV_LONG : MF_CSV_SUMMARY, path,
                                 meta, &err))
        return mfl_raise(L, "result:save", &err);
    return 0;
}

/* core.write_file(path, text): the whole text, through a temporary file, fsync and rename */
static int l_write_file(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    mf_err err;
    if (mf_write_file(path, text, len, &err)) return mfl_raise(L, "mf.experiment", &err);
    return 0;
}

/* core.mkdir(path): the folder and its parents (mkdir -p) */
static int l_mkdir(lua_State *L) {
    mf_err err;
    if (mf_mkdir_p(luaL_checkstring(L, 1), &err)) return mfl_raise(L, "mf.experiment", &err);
    return 0;
}

/* core.hostname(): this machine's name, for metadata */
static int l_hostname(lua_State *L) {
    char name[256];
    if (gethostname(name, sizeof name) != 0) return 0;
    name[sizeof name - 1] = '\0';
    lua_pushstring(L, name);
    return 1;
}

/* core.clock(): wall-clock seconds from a fixed point (monotonic), for wall times */
static int l_clock(lua_State *L) {
    lua_pushnumber(L, mf_clock());
    return 1;
}

void mfl_open_export(lua_State *L) {
    static const luaL_Reg f[] = {{"write_npy", l_write_npy},   {"write_npz", l_write_npz},
                                 {"result_npz", l_result_npz}, {"result_npy", l_result_npy},
                                 {"result_csv", l_result_csv}, {"write_file", l_write_file},
                                 {"mkdir", l_mkdir},           {"hostname", l_hostname},
                                 {"clock", l_clock},           {NULL, NULL}};
    luaL_setfuncs(L, f, 0);
}
