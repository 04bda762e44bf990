/* Cooperative interruption of long computations (Ctrl-C in the REPL).
 * A signal handler calls mf_interrupt_set(); engine loops poll mf_interrupt_pending() between
 * blocks of work and return MF_EINTR with the work done so far kept. */
#ifndef MFLAB_INTERRUPT_H
#define MFLAB_INTERRUPT_H

#ifdef __cplusplus
extern "C" {
#endif

void mf_interrupt_set(void); /* async-signal-safe */
void mf_interrupt_clear(void);
int mf_interrupt_pending(void);
/* The process-wide flag or a computation's own cancel flag (NULL: none) is set. */
int mf_cancel_requested(const int *cancel);

#ifdef __cplusplus
}
#endif

#endif
