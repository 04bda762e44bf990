/* Compiling a kernel source once per instruction set (not public API; mflab/isa.h).
 *
 * A kernel source is compiled three times (CMakeLists.txt, MFLAB_KERNEL_SOURCES): the baseline
 * pass builds the whole file; the AVX2 (x86-64-v3) and AVX-512 (x86-64-v4) passes define
 * MF_ISA_VARIANT and build only the kernels and the vtables that point at them, each vtable
 * named with the pass's suffix (MF_ISA_NAME). Constructors, in the baseline pass only
 * (#ifndef MF_ISA_VARIANT), take the chosen pass's vtable with MF_ISA_PICK. */
#ifndef MFLAB_ISA_IMPL_H
#define MFLAB_ISA_IMPL_H

#include "mflab/isa.h"

enum { MF_ISA_BASELINE, MF_ISA_AVX2, MF_ISA_AVX512, MF_ISA_NPATHS };

/* The index of the path in use (chosen once, thread-safe). */
int mf_isa_index(void);

#define MF_ISA_CAT_(a, b) a##b
#define MF_ISA_CAT(a, b)  MF_ISA_CAT_(a, b)

#if defined(MF_ISA_VARIANT)
/* a symbol of this pass: name_avx2 or name_avx512 (name itself in the baseline pass) */
#define MF_ISA_NAME(name) MF_ISA_CAT(name, MF_ISA_SUFFIX)
#else
#define MF_ISA_NAME(name) name
#endif
/* kernels and vtables shared between a file's passes, not exported from the library */
#define MF_ISA_HIDDEN __attribute__((visibility("hidden")))
/* the passes' copies of a public vtable: the baseline one is the public symbol */
#if defined(MF_ISA_VARIANT)
#define MF_ISA_VARIANT_HIDDEN MF_ISA_HIDDEN
#else
#define MF_ISA_VARIANT_HIDDEN
#endif

#if defined(MF_ISA_DISPATCH)
/* the passes' copies of a vtable or kernel, declared in the baseline pass */
#define MF_ISA_DECLARE(T, name)                                                                    \
    extern MF_ISA_HIDDEN T MF_ISA_CAT(name, _avx2);                                                \
    extern MF_ISA_HIDDEN T MF_ISA_CAT(name, _avx512)
/* the address of the chosen path's copy */
#define MF_ISA_PICK(name)                                                                          \
    (mf_isa_index() == MF_ISA_AVX512 ? &MF_ISA_CAT(name, _avx512)                                  \
     : mf_isa_index() == MF_ISA_AVX2 ? &MF_ISA_CAT(name, _avx2)                                    \
                                     : &name)
#else
#define MF_ISA_DECLARE(T, name) extern T name
#define MF_ISA_PICK(name)       (&name)
#endif

#endif
