#include "mflab/interrupt.h"

#include <stdatomic.h>

/* Written from a signal handler (and a watchdog), read by worker threads between blocks of
 * steps: a lock-free C11 atomic, so the accesses are data-race free and async-signal-safe
 * (a volatile sig_atomic_t is neither across threads). Relaxed order: the flag carries no
 * data; a worker that sees it one block late only does one more block. */
static atomic_int interrupt_flag = 0;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the interrupt flag must be lock-free");

void mf_interrupt_set(void) {
    atomic_store_explicit(&interrupt_flag, 1, memory_order_relaxed);
}
void mf_interrupt_clear(void) {
    atomic_store_explicit(&interrupt_flag, 0, memory_order_relaxed);
}
int mf_cancel_requested(const int *cancel) {
    /* an atomic read of a plain int: the caller's flag needs no particular type */
    return mf_interrupt_pending() || (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0);
}

int mf_interrupt_pending(void) {
    return atomic_load_explicit(&interrupt_flag, memory_order_relaxed) != 0;
}
