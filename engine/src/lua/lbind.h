/* Private helpers shared by the binding's userdata types. Nothing numeric lives here. */
#ifndef MFLAB_LBIND_H
#define MFLAB_LBIND_H

#include <lauxlib.h>
#include <lua.h>

#include "mflab/error.h"
#include "mflab/landscape.h"
#include "mflab/manifold.h"
#include "mflab/noise.h"
#include "mflab/optim.h"
#include "mflab/run.h"

#define MF_LANDSCAPE "mflab.landscape"
#define MF_NOISE     "mflab.noise"
#define MF_OPTIM     "mflab.optimizer"
#define MF_RESULT    "mflab.result"
#define MF_FLOW      "mflab.flow"
#define MF_VECTOR    "mflab.vector"
#define MF_ERROR     "mflab.error"

/* Size limits of the binding, checked before anything is allocated. A length read from Lua
 * (luaL_len runs __len metamethods, which may return anything) is checked against them. */
#define MFL_MAX_RECORD 100000    /* observables recorded by one run */
#define MFL_MAX_VEC    (1 << 28) /* entries of a vector (2 GiB of doubles) */

/* The length of the table at idx (luaL_len, so __len is honoured), or an error naming fname
 * and what if it is negative or above max. */
size_t mfl_checklen(lua_State *L, int idx, size_t max, const char *fname, const char *what);

typedef struct lvector {
    size_t n;
    double x[];
} lvector;

typedef struct lcb lcb; /* callbacks into Lua of a Lua-defined landscape (llandscape.c) */

typedef struct llandscape {
    mf_landscape *L;
    lcb *cb; /* NULL unless the landscape calls Lua functions */
} llandscape;

typedef struct lnoise {
    mf_noise nz;
} lnoise;

typedef struct loptim {
    mf_optim o;
} loptim;

/* A result; its user value is an info table: names (observable names, in order),
 * meta (one line describing the run), metadata (a table: version, options). */
typedef struct lresult {
    mf_result *r;
} lresult;

/* Raises the first error a Lua-defined landscape's functions met since the last check (the
 * message names the landscape and the option), if any. */
void mfl_landscape_checkcb(lua_State *L, const llandscape *l);

/* An engine run stopped by Ctrl-C (MF_EINTR) reports it in its own error, with the records
 * made: mfl_raise and mfl_raise_result note that in the registry field MFL_INTERRUPT_REPORTED,
 * so the executable's Ctrl-C hook lets that error through instead of replacing it by a bare
 * "interrupted!" (the interrupt flag itself stays set for mf.parallel). */
#define MFL_INTERRUPT_REPORTED "mflab.interrupt_reported"
void mfl_interrupt_reported(lua_State *L, const mf_err *err);

/* Raises "<fname>: <message>" for an engine error. */
int mfl_raise(lua_State *L, const char *fname, const mf_err *err);
/* Raises an mflab.error object for a run or flow that failed part way: a table with message,
 * (for MF_ENONFINITE from mf_run) step and trajectory, and result, the result at res_idx
 * holding what was recorded before the failure; its __tostring is the message. */
int mfl_raise_result(lua_State *L, const char *fname, const mf_err *err, int res_idx);

/* Reads a point of dimension d (a Lua table of numbers or a vector) at index idx. */
void mfl_checkpoint(lua_State *L, int idx, size_t d, double *out, const char *fname,
                    const char *what);
/* Pushes a vector userdata / a Lua array of n doubles. */
void mfl_pushvector(lua_State *L, const double *x, size_t n);
void mfl_pushtable(lua_State *L, const double *x, size_t n);

/* Registers a userdata type: metatable tname with the meta functions; if methods is not NULL,
 * a method table in the metatable's field "methods", which is also __index unless meta has
 * its own. Leaves the stack as it was. */
void mfl_newtype(lua_State *L, const char *tname, const luaL_Reg *meta, const luaL_Reg *methods);
lvector *mfl_newvector(lua_State *L, size_t n);

/* Options-table field readers used after the Lua layer has checked the schema. */
/* Counts (steps, seeds, sizes, indices): an integer or a float with an exact integer value, as
 * 1e6; anything else, or a value below min, raises "<fname>: <what> must be an integer >= min,
 * got <v>". mfl_optcount reads field key of the table at t (what = "option '<key>'"). */
lua_Integer mfl_checkcount(lua_State *L, int idx, lua_Integer min, const char *fname,
                           const char *what);
lua_Integer mfl_optcount(lua_State *L, int t, const char *key, lua_Integer def, lua_Integer min,
                         const char *fname);
double mfl_optnumber(lua_State *L, int t, const char *key, double def);

/* Pushes a result userdata owning r, with the info table at index info_idx. */
void mfl_pushresult(lua_State *L, mf_result *r, int info_idx);

/* Progress reports to a Lua function progress(done, total, seconds): the field "progress" of
 * the options table at index t. mfl_progress_init returns 1 and fills p when there is one;
 * pass mfl_progress_call and p to the engine. An error in the function turns it off. */
typedef struct mfl_progress {
    lua_State *L;
    int fn; /* stack index of the function */
    double t0;
    int off;
} mfl_progress;
int mfl_progress_init(lua_State *L, int t, mfl_progress *p);
void mfl_progress_call(void *ctx, uint64_t done, uint64_t total);

void mfl_open_vector(lua_State *L);
void mfl_open_landscape(lua_State *L);
void mfl_open_expr(lua_State *L); /* core.expr and the parameter methods (lexpr.c) */
void mfl_open_optim_noise(lua_State *L); /* also opens the optimizers (loptim.c) */
void mfl_open_optim(lua_State *L);
/* Reads a learning-rate schedule (number, function or mf.schedule table) at idx. */
void mfl_checkschedule(lua_State *L, int idx, mf_schedule *s, const char *fname);
/* Copies the optimizer at idx into out for a run of `steps` steps; a function schedule is
 * tabulated into a userdata left on the stack (returns 1, else 0 and pushes nothing). */
int mfl_optim_prepare(lua_State *L, int idx, uint64_t steps, mf_optim *out, const char *fname);
void mfl_open_run(lua_State *L);
void mfl_open_manifold(lua_State *L);
void mfl_open_analysis(lua_State *L);
void mfl_open_export(lua_State *L);
void mfl_open_file(lua_State *L); /* durable files, host name, clock (lfile.c) */
void mfl_open_ode(lua_State *L);

#endif
