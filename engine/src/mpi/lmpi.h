/* Entry point of the Lua module "mflab.mpi" (lmpi.c), preloaded by the mflab executable. */
#ifndef MFLAB_LMPI_H
#define MFLAB_LMPI_H

#include <lua.h>

int luaopen_mflab_mpi(lua_State *L);

#endif
