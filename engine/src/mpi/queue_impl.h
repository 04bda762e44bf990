/* Private to engine/src/mpi: the queue's communicator, set up and freed with MPI. */
#ifndef MFLAB_MPI_QUEUE_IMPL_H
#define MFLAB_MPI_QUEUE_IMPL_H

void mf_mpi_queue_comm_init(void);
void mf_mpi_queue_comm_free(void);
int mf_mpi_queue_running(void);

#endif
