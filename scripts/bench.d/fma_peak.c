/* Benchmark helper (compiled by scripts/bench): the double-precision fused multiply-add peak of
 * one core, measured in the same run, which bounds the matrix-sensing block from below (a block
 * of K points costs 2K multiply-adds per measurement entry, whatever the memory does).
 *   fma_peak REPEATS
 * Prints "rate <FMAs per second>" per timing and "gflops <G FMAs per second>" of the best.
 * Twelve independent chains of FMA_W-wide vector multiply-adds (GCC/Clang vector extensions,
 * contracted to FMA instructions by -ffp-contract=fast) hide the FMA latency, so the
 * throughput of the FMA units sets the time. FMA_W is the width of the kernels' path
 * (scripts/bench compiles this per path: 8 for AVX-512, 4 for AVX2, 2 for baseline x86-64, which
 * has no FMA and measures a multiply and an add): 12 chains of 8-wide vectors on AVX2 would
 * need 24 of its 16 registers, spill, and measure the load ports instead. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef FMA_W
#define FMA_W 8
#endif
typedef double v8d __attribute__((vector_size(8 * FMA_W)));
#define CHAINS 12

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fma_peak REPEATS\n");
        return 2;
    }
    const int reps = atoi(argv[1]);
    const long iters = 50000000;
    /* named variables, not an array: an array of vectors stays in memory */
    const v8d b = (v8d){0} + 0.99999999, c = (v8d){0} + 1e-9;
    v8d a0 = b + 1, a1 = b + 2, a2 = b + 3, a3 = b + 4, a4 = b + 5, a5 = b + 6;
    v8d a6 = b + 7, a7 = b + 8, a8 = b + 9, a9 = b + 10, a10 = b + 11, a11 = b + 12;
    double best = 1e300;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (long i = 0; i < iters; i++) {
            a0 = a0 * b + c, a1 = a1 * b + c, a2 = a2 * b + c, a3 = a3 * b + c;
            a4 = a4 * b + c, a5 = a5 * b + c, a6 = a6 * b + c, a7 = a7 * b + c;
            a8 = a8 * b + c, a9 = a9 * b + c, a10 = a10 * b + c, a11 = a11 * b + c;
        }
        double dt = now() - t0;
        if (dt < best) best = dt;
        printf("rate %.6e\n", (double)iters * CHAINS * FMA_W / dt);
    }
    printf("gflops %.3f\n", (double)iters * CHAINS * FMA_W / best / 1e9);
    const v8d s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    fprintf(stderr, "checksum %g\n", s[0]);
    return 0;
}
