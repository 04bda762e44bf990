/* Benchmark helper (compiled by scripts/bench): the memory-bandwidth bound of the
 * matrix-sensing gradient, measured in the same run. Reads a buffer of BYTES bytes twice (the
 * two passes over the measurements) and prints "rate <1/seconds>" for each of REPEATS
 * timings, plus "gbps <GB/s>" of the best one.
 *   stream_read BYTES REPEATS
 * The sum keeps 32 independent partial sums in four 8-wide vectors (GCC/Clang vector
 * extensions), so memory, not the adder latency, sets the time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef double v8d __attribute__((vector_size(64)));

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: stream_read BYTES REPEATS\n");
        return 2;
    }
    size_t n = (size_t)strtod(argv[1], NULL) / sizeof(double);
    int reps = atoi(argv[2]);
    double *a = malloc(n * sizeof *a);
    if (!a || reps < 1) return 1;
    for (size_t i = 0; i < n; i++)
        a[i] = (double)(i % 7) * 0.25;
    double best = 1e300, sink = 0.0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (int pass = 0; pass < 2; pass++) {
            v8d s[4] = {{0}};
            size_t i = 0;
            for (; i + 32 <= n; i += 32)
                for (int k = 0; k < 4; k++) {
                    v8d x;
                    memcpy(&x, a + i + 8 * k, sizeof x);
                    s[k] += x;
                }
            for (; i < n; i++)
                sink += a[i];
            for (int k = 0; k < 4; k++)
                for (int l = 0; l < 8; l++)
                    sink += s[k][l];
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
        printf("rate %.6e\n", 1.0 / dt);
    }
    printf("gbps %.3f\n", 2.0 * (double)n * sizeof *a / best / 1e9);
    fprintf(stderr, "checksum %g\n", sink);
    free(a);
    return 0;
}
