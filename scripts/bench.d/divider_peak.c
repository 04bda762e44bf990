/* Benchmark helper (compiled by scripts/bench): the throughput of one core's divide/square-root
 * unit in double precision, measured in the same run. Adam's update needs a correctly rounded
 * square root and a division per coordinate; the square roots run on this unit only (emulating
 * them on the FMA pipes was measured slower), so they bound Adam's cost per trajectory-step
 * from below whatever the rest of the step does.
 *   divider_peak REPEATS
 * Prints "sqrt <ns per lane>" and "div <ns per lane>" per timing (then "best" lines), over
 * 4096 independent lanes, which the compiler vectorizes at the machine's preferred width
 * (-O3 -march=native -fno-math-errno), so the unit's throughput, not its latency, sets the
 * time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LANES 4096

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double x[LANES], y[LANES];

/* y = sqrt(x + t): t changes every pass, so no pass can be hoisted or skipped */
static void sqrt_pass(double t) {
    for (int i = 0; i < LANES; i++)
        y[i] = sqrt(x[i] + t);
}

static void div_pass(double t) {
    for (int i = 0; i < LANES; i++)
        y[i] = t / x[i];
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: divider_peak REPEATS\n");
        return 2;
    }
    const int reps = atoi(argv[1]);
    const long passes = 20000;
    unsigned long s = 88172645463325252UL;
    for (int i = 0; i < LANES; i++) { /* xorshift: values in [0.5, 2), no special cases */
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        x[i] = 0.5 + 1.5 * (double)(s >> 11) * 0x1p-53;
    }
    double best_sqrt = 1e300, best_div = 1e300, sum = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = now();
        for (long p = 0; p < passes; p++) {
            sqrt_pass(1e-12 * (double)p);
            sum += y[p % LANES];
        }
        double t1 = now();
        for (long p = 0; p < passes; p++) {
            div_pass(1.0 + 1e-12 * (double)p);
            sum += y[p % LANES];
        }
        double t2 = now(), ns_sqrt = 1e9 * (t1 - t0) / ((double)passes * LANES),
               ns_div = 1e9 * (t2 - t1) / ((double)passes * LANES);
        if (ns_sqrt < best_sqrt) best_sqrt = ns_sqrt;
        if (ns_div < best_div) best_div = ns_div;
        printf("sqrt %.6f\ndiv %.6f\n", ns_sqrt, ns_div);
    }
    printf("best sqrt %.6f div %.6f\n", best_sqrt, best_div);
    fprintf(stderr, "checksum %g\n", sum);
    return 0;
}
