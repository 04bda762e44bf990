/* ThreadSanitizer check of the interrupt flags (issue 15): worker threads poll the process-wide
 * flag and a run's own cancel flag while the main thread sets and clears them and a SIGINT
 * handler sets the process-wide one, as in a run stopped by Ctrl-C. Built with
 * -fsanitize=thread together with interrupt.c itself; any data race is a report and a nonzero
 * exit. With -DRACE_CONTROL the cancel flag is written with a plain store instead: TSan must
 * report that (the ctest of the control expects failure), so this test can fail. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "mflab/interrupt.h"

static int cancel_flag;  /* a run's cancel flag: written atomically, as run.h asks */
static int stop_workers; /* ends the workers (atomic, not part of what is tested) */

static void *worker(void *p) {
    long seen = 0;
    while (!__atomic_load_n(&stop_workers, __ATOMIC_ACQUIRE))
        seen += mf_cancel_requested(&cancel_flag) + mf_interrupt_pending();
    *(long *)p = seen;
    return NULL;
}

static void on_sigint(int sig) {
    (void)sig;
    mf_interrupt_set(); /* what the executable's handler does */
}

int main(void) {
    signal(SIGINT, on_sigint);
    pthread_t th[4];
    long seen[4];
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, worker, &seen[i]);
    for (int k = 0; k < 20000; k++) {
#ifdef RACE_CONTROL
        cancel_flag = k & 1;
#else
        __atomic_store_n(&cancel_flag, k & 1, __ATOMIC_RELAXED);
#endif
        if (k % 1000 == 0) raise(SIGINT);
        if (k % 7 == 0) mf_interrupt_clear();
    }
    __atomic_store_n(&stop_workers, 1, __ATOMIC_RELEASE);
    long total = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        total += seen[i];
    }
    printf("workers saw a flag set %ld times; no data race reported\n", total);
    return 0;
}
