/* MPI start-up and shut-down for the mflab executable (see mf_mpi.h). */
#include "mf_mpi.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_impl.h"

static int initialized, finalized, rank, size = 1, thread_level;

static int env_set(const char *name) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0';
}

int mf_mpi_wanted(void) {
    const char *force = getenv("MFLAB_MPI");
    if (force != NULL && strcmp(force, "1") == 0) return 1;
    return env_set("OMPI_COMM_WORLD_SIZE") || env_set("PMIX_RANK") || env_set("PMI_RANK");
}

int mf_mpi_init(int *argc, char ***argv, char *msg, size_t msglen) {
    /* MULTIPLE asked, SERIALIZED needed: the root's dispatcher thread is the only thread
     * calling MPI while a map runs, but MPI_Abort may come from the main thread. */
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &thread_level);
    if (rc != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int len = 0;
        if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
            snprintf(text, sizeof text, "code %d", rc);
        snprintf(msg, msglen, "MPI_Init_thread failed: %s", text);
        return -1;
    }
    initialized = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    mf_mpi_queue_comm_init();
    return 0;
}

int mf_mpi_initialized(void) {
    return initialized && !finalized;
}
int mf_mpi_rank(void) {
    return mf_mpi_initialized() ? rank : 0;
}
int mf_mpi_size(void) {
    return mf_mpi_initialized() ? size : 1;
}
int mf_mpi_threads_ok(void) {
    return thread_level >= MPI_THREAD_SERIALIZED;
}

void mf_mpi_finalize(void) {
    if (!mf_mpi_initialized()) return;
    if (mf_mpi_queue_running()) {
        fprintf(stderr,
                "mflab: rank %d: the script ended while mf.parallel.map was still "
                "handing out work; aborting the MPI job\n",
                rank);
        fflush(stderr);
        mf_mpi_abort(1);
    }
    mf_mpi_queue_comm_free();
    finalized = 1;
    MPI_Finalize();
}

void mf_mpi_abort(int code) {
    if (!mf_mpi_initialized()) return;
    MPI_Abort(MPI_COMM_WORLD, code);
}
