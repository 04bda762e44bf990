/* The MPI edge of mflab (built only with MFLAB_WITH_MPI): start-up and shut-down for the
 * executable, and the byte-level work queue behind mf.parallel.map. Core numerics never call
 * this; the mflab executable (engine/src/cli) initializes and finalizes MPI, and the Lua
 * module "mflab.mpi" (lmpi.c) is the only other user.
 *
 * The queue hands out point indices 1..n. Rank 0 (the root) serves requests from a dispatcher
 * thread while its main thread computes points itself; a worker sends the result of its last
 * point together with the request for the next one, so a point's cost decides who gets the
 * next index (dynamic load balancing). Messages travel on a communicator of their own (a
 * duplicate of MPI_COMM_WORLD). */
#ifndef MFLAB_MF_MPI_H
#define MFLAB_MF_MPI_H

#include <stddef.h>

/* Nonzero when the process was started by an MPI launcher (mpirun, mpiexec, srun with PMIx or
 * PMI): OMPI_COMM_WORLD_SIZE, PMIX_RANK or PMI_RANK is set; or when MFLAB_MPI=1 asks for a
 * singleton start. Without it the executable does not initialize MPI (a singleton
 * MPI_Init costs most of a second with OpenMPI 4.1) and the process is rank 0 of 1. */
int mf_mpi_wanted(void);

/* MPI_Init_thread; on failure writes a message into msg and returns -1. */
int mf_mpi_init(int *argc, char ***argv, char *msg, size_t msglen);
int mf_mpi_initialized(void); /* initialized and not yet finalized */
int mf_mpi_rank(void);        /* 0 when not initialized */
int mf_mpi_size(void);        /* 1 when not initialized */
/* Nonzero when MPI grants the thread level the root's dispatcher needs (serialized calls
 * from a second thread). */
int mf_mpi_threads_ok(void);
/* MPI_Finalize, once; if a map is still dispatching (a Lua error on the root that the script
 * caught), aborts the job instead, as the other ranks would wait for ever. */
void mf_mpi_finalize(void);
/* MPI_Abort(MPI_COMM_WORLD, code): ends every rank of the job. */
void mf_mpi_abort(int code);

/* --- the work queue, on the root ------------------------------------------------------ */
/* Starts handing out the indices 1..n whose skip[i-1] is zero, to the root itself
 * (mf_mpi_take) and to the workers (a dispatcher thread). Returns -1 with a message when a
 * queue is already running or the thread cannot start. */
int mf_mpi_queue_start(size_t n, const unsigned char *skip, char *msg, size_t msglen);
/* The next index for the root to compute itself, 0 when none is left. */
size_t mf_mpi_take(void);

/* A result that arrived from a worker. */
typedef struct mf_mpi_item {
    size_t index;
    size_t len;
    char *bytes; /* malloc'ed; the caller frees it */
} mf_mpi_item;

/* Takes the results that arrived so far (up to cap of them) into items; returns their
 * number. With wait, blocks until at least one arrives; returns 0 when all workers have
 * stopped and nothing is left, after which the queue is closed. Returns -1 when interrupted
 * (mf_interrupt_pending) while waiting. */
int mf_mpi_collect(int wait, mf_mpi_item *items, int cap);

/* --- on a worker ---------------------------------------------------------------------- */
/* Sends the result of point done_index (0 for none yet) and receives the next index into
 * *next (0: no more work). Returns 0, or -1 when interrupted while waiting, or -2 when the
 * message is too long for MPI (over INT_MAX bytes). */
int mf_mpi_ask(size_t done_index, const char *bytes, size_t len, size_t *next);

#endif
