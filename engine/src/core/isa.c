/* The instruction-set path of the hot kernels, chosen once (mflab/isa.h, isa_impl.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_impl.h"

static const char *const path_names[MF_ISA_NPATHS] = {"baseline", "avx2", "avx512"};
static int chosen = MF_ISA_BASELINE;
static char note[160];
static char available[64];
static char cpu_model[128] = "unknown";
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void read_cpu_model(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            const char *v = strchr(line, ':');
            if (v) {
                v += 1 + strspn(v + 1, " \t");
                snprintf(cpu_model, sizeof cpu_model, "%.*s", (int)strcspn(v, "\n"), v);
            }
            break;
        }
    fclose(f);
}

#if defined(MF_ISA_DISPATCH)
/* x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE; x86-64-v4 adds AVX-512 F, BW, CD, DQ and VL.
 * libgcc's test also checks that the OS saves the vector state (XGETBV). */
static int cpu_has(int path) {
    __builtin_cpu_init();
    if (path == MF_ISA_AVX512) return __builtin_cpu_supports("x86-64-v4") > 0;
    if (path == MF_ISA_AVX2) return __builtin_cpu_supports("x86-64-v3") > 0;
    return 1;
}
#else
static int cpu_has(int path) {
    return path == MF_ISA_BASELINE;
}
#endif

static void choose(void) {
    read_cpu_model();
    chosen = -1;
    for (int p = MF_ISA_NPATHS - 1; p >= 0; p--) /* best first: the first one found is used */
        if (cpu_has(p)) {
            size_t len = strlen(available);
            snprintf(available + len, sizeof available - len, "%s%s", len ? " " : "",
                     path_names[p]);
            if (chosen < 0) chosen = p;
        }
    const char *want = getenv("MFLAB_ISA");
    if (!want || !*want) return;
#if !defined(MF_ISA_DISPATCH)
    snprintf(note, sizeof note, "MFLAB_ISA=%.32s ignored: this build has one path (native)", want);
    return;
#else
    for (int p = 0; p < MF_ISA_NPATHS; p++)
        if (strcmp(want, path_names[p]) == 0) {
            if (cpu_has(p))
                chosen = p;
            else
                snprintf(note, sizeof note, "MFLAB_ISA=%s ignored: this CPU cannot run it", want);
            return;
        }
    snprintf(note, sizeof note, "MFLAB_ISA=%.32s ignored: not one of avx512, avx2, baseline", want);
#endif
}

int mf_isa_index(void) {
    pthread_once(&once, choose);
    return chosen;
}

const char *mf_isa_name(void) {
#if defined(MF_ISA_DISPATCH)
    return path_names[mf_isa_index()];
#else
    (void)mf_isa_index();
    return "native";
#endif
}

const char *mf_isa_available(void) {
    pthread_once(&once, choose);
#if defined(MF_ISA_DISPATCH)
    return available;
#else
    return "native";
#endif
}

const char *mf_isa_note(void) {
    pthread_once(&once, choose);
    return note;
}

const char *mf_isa_cpu(void) {
    pthread_once(&once, choose);
    return cpu_model;
}
