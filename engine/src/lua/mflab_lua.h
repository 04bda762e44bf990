/* Entry points of the Lua binding, for the mflab executable. */
#ifndef MFLAB_LUA_H
#define MFLAB_LUA_H

#include <lua.h>

/* The C module "mflab.core": userdata types and constructors over the engine. */
int luaopen_mflab_core(lua_State *L);

#endif
