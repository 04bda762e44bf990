/* The instruction-set path the hot kernels run on (chosen once, at first use).
 *
 * The kernels (RNG normals, the valley family, matrix sensing's sweeps, the optimizers'
 * updates) are compiled for x86-64 baseline, AVX2+FMA (x86-64-v3) and AVX-512 (x86-64-v4) from
 * the same source; the best path the CPU supports is used, or the one the environment variable
 * MFLAB_ISA names (baseline, avx2, avx512). Every path gives the same bits: no contraction into
 * FMA except explicit fma(), and every sum in an order fixed by the code, not the width.
 * A build with MFLAB_NATIVE=ON compiles one path for the build machine ("native"). */
#ifndef MFLAB_ISA_H
#define MFLAB_ISA_H

#ifdef __cplusplus
extern "C" {
#endif

/* The path in use: "avx512", "avx2", "baseline" or "native". */
const char *mf_isa_name(void);

/* The paths this build has and this CPU can run, best first, space-separated
 * (e.g. "avx512 avx2 baseline"). */
const char *mf_isa_available(void);

/* Why the path differs from what MFLAB_ISA asked (unknown name, or a path the CPU or build
 * lacks), or "" when it does not. */
const char *mf_isa_note(void);

/* The CPU's model name (/proc/cpuinfo), or "unknown": to quote beside every timing. */
const char *mf_isa_cpu(void);

#ifdef __cplusplus
}
#endif

#endif
