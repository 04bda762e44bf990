/* mflab: the engine as a library. One include gives the whole C API:
 *   #include <mflab.h>
 * and link with `pkg-config --cflags --libs mflab` (add --static for libmflab.a) or, in CMake,
 * find_package(mflab) and target_link_libraries(app PRIVATE mflab::mflab). Every function
 * returns 0 or a negative MF_E* code with a message in a caller-supplied mf_err; the engine
 * never exits, aborts or prints. The formulas are in share/doc/mflab/math.md. */
#ifndef MFLAB_H
#define MFLAB_H

#include "mflab/analysis.h"
#include "mflab/error.h"
#include "mflab/file.h"
#include "mflab/interrupt.h"
#include "mflab/io.h"
#include "mflab/isa.h"
#include "mflab/landscape.h"
#include "mflab/lyapunov.h"
#include "mflab/manifold.h"
#include "mflab/noise.h"
#include "mflab/ode.h"
#include "mflab/optim.h"
#include "mflab/rng.h"
#include "mflab/run.h"
#include "mflab/version.h"

#endif
