/* Private to engine/src/mpi: the queue's communicator, set up and freed with MPI. */
#ifndef MFLAB_MPI_QUEUE_IMPL_H
#define MFLAB_MPI_QUEUE_IMPL_H

/* pending: whether Ctrl-C was pressed (the executable's mf_interrupt_pending) */
void mf_mpi_queue_comm_init(int (*pending)(void));
void mf_mpi_queue_comm_free(void);
int mf_mpi_queue_running(void);

#endif
