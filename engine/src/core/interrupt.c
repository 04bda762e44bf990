#include "mflab/interrupt.h"

#include <signal.h>

/* Written from a signal handler, read by worker threads between blocks of steps. */
static volatile sig_atomic_t interrupt_flag = 0;

void mf_interrupt_set(void) {
    interrupt_flag = 1;
}
void mf_interrupt_clear(void) {
    interrupt_flag = 0;
}
int mf_interrupt_pending(void) {
    return interrupt_flag != 0;
}
