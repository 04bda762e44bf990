/* The work queue behind mf.parallel.map (see mf_mpi.h).
 *
 * Protocol, on a duplicate of MPI_COMM_WORLD so that nothing else can match its messages:
 *   worker -> root, tag ASK:  8-byte index of the point just finished (0: none yet), then the
 *                             serialized value of that point;
 *   root -> worker, tag WORK: 8-byte index of the next point, 0 meaning "no more work".
 * Every worker's last message is an ASK answered by 0, so when the root has answered 0 to
 * every worker, all results have arrived and no message of this map is left in flight; the
 * next map starts clean. MPI keeps messages between two ranks on one tag in order. */
#include "mf_mpi.h"
#include "queue_impl.h"

#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mflab/interrupt.h"

enum { TAG_ASK = 1, TAG_WORK = 2 };

static MPI_Comm comm = MPI_COMM_NULL;

static struct {
    int running; /* started, not yet closed by mf_mpi_collect */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t n, next; /* indices 1..n; next is the first one not handed out yet */
    unsigned char *skip;
    mf_mpi_item *items; /* results arrived and not yet collected, items[head..count) */
    size_t head, count, cap;
    int workers_left; /* workers not yet told to stop */
} q = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

void mf_mpi_queue_comm_init(void) {
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
}

void mf_mpi_queue_comm_free(void) {
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
}

int mf_mpi_queue_running(void) {
    pthread_mutex_lock(&q.mu);
    int r = q.running;
    pthread_mutex_unlock(&q.mu);
    return r;
}

/* Sleeps a little longer each time nothing happened, up to a millisecond: waiting ranks must
 * not spin on a core that another rank computes on (mpirun --oversubscribe, small machines),
 * and a millisecond is short beside a point's cost. */
static void backoff(long *ns) {
    *ns = *ns == 0 ? 20000 : (*ns * 2 > 1000000 ? 1000000 : *ns * 2);
    struct timespec t = {0, *ns};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static void fatal(const char *what) {
    fprintf(stderr, "mflab: rank %d: mf.parallel.map: %s; aborting the MPI job\n", mf_mpi_rank(),
            what);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static size_t next_index_locked(void) {
    while (q.next <= q.n && q.skip[q.next - 1])
        q.next++;
    return q.next <= q.n ? q.next++ : 0;
}

static void push_item_locked(size_t index, char *bytes, size_t len) {
    if (q.count == q.cap) {
        if (q.head > 0) { /* reuse the room of collected items */
            memmove(q.items, q.items + q.head, (q.count - q.head) * sizeof *q.items);
            q.count -= q.head;
            q.head = 0;
        }
        if (q.count == q.cap) {
            size_t cap = q.cap ? 2 * q.cap : 64;
            mf_mpi_item *items = realloc(q.items, cap * sizeof *items);
            if (items == NULL) fatal("out of memory for arrived results");
            q.items = items;
            q.cap = cap;
        }
    }
    q.items[q.count++] = (mf_mpi_item){.index = index, .len = len, .bytes = bytes};
}

/* The root's dispatcher thread: answers workers' requests until every worker has stopped. */
static void *dispatch(void *arg) {
    (void)arg;
    long wait_ns = 0;
    for (;;) {
        pthread_mutex_lock(&q.mu);
        int left = q.workers_left;
        pthread_mutex_unlock(&q.mu);
        if (left == 0) break;

        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_ASK, comm, &flag, &st);
        if (!flag) {
            backoff(&wait_ns);
            continue;
        }
        wait_ns = 0;
        int count = 0;
        MPI_Get_count(&st, MPI_BYTE, &count);
        if (count < 8) fatal("a malformed request arrived");
        char *buf = malloc((size_t)count);
        if (buf == NULL) fatal("out of memory for an arrived result");
        MPI_Recv(buf, count, MPI_BYTE, st.MPI_SOURCE, TAG_ASK, comm, MPI_STATUS_IGNORE);
        uint64_t done;
        memcpy(&done, buf, 8);
        memmove(buf, buf + 8, (size_t)count - 8);

        pthread_mutex_lock(&q.mu);
        if (done > 0) {
            if (done > q.n) fatal("a result for an index out of range arrived");
            push_item_locked((size_t)done, buf, (size_t)count - 8);
        } else {
            free(buf);
        }
        uint64_t next = next_index_locked();
        if (next == 0) q.workers_left--;
        pthread_cond_broadcast(&q.cv);
        pthread_mutex_unlock(&q.mu);

        MPI_Send(&next, 1, MPI_UINT64_T, st.MPI_SOURCE, TAG_WORK, comm);
    }
    return NULL;
}

int mf_mpi_queue_start(size_t n, const unsigned char *skip, char *msg, size_t msglen) {
    pthread_mutex_lock(&q.mu);
    int busy = q.running;
    pthread_mutex_unlock(&q.mu);
    if (busy) {
        snprintf(msg, msglen, "a map is already running (maps cannot be nested)");
        return -1;
    }
    if (!mf_mpi_threads_ok()) {
        snprintf(msg, msglen,
                 "the MPI library does not support calls from a second thread "
                 "(MPI_THREAD_SERIALIZED), which the root's dispatcher needs");
        return -1;
    }
    unsigned char *s = calloc(n > 0 ? n : 1, 1);
    if (s == NULL) {
        snprintf(msg, msglen, "out of memory for %zu points", n);
        return -1;
    }
    if (skip != NULL) memcpy(s, skip, n);
    pthread_mutex_lock(&q.mu);
    q.n = n;
    q.next = 1;
    q.skip = s;
    q.head = q.count = 0;
    q.workers_left = mf_mpi_size() - 1;
    q.running = 1;
    pthread_mutex_unlock(&q.mu);

    /* Signals go to the main thread, whose Lua code turns Ctrl-C into an error. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&q.thread, NULL, dispatch, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_mutex_lock(&q.mu);
        q.running = 0;
        free(q.skip);
        q.skip = NULL;
        pthread_mutex_unlock(&q.mu);
        snprintf(msg, msglen, "cannot start the dispatcher thread: %s", strerror(rc));
        return -1;
    }
    return 0;
}

size_t mf_mpi_take(void) {
    pthread_mutex_lock(&q.mu);
    size_t i = q.running ? next_index_locked() : 0;
    pthread_mutex_unlock(&q.mu);
    return i;
}

int mf_mpi_collect(int wait, mf_mpi_item *items, int cap) {
    pthread_mutex_lock(&q.mu);
    for (;;) {
        if (!q.running) {
            pthread_mutex_unlock(&q.mu);
            return -2;
        }
        if (q.count > q.head) {
            int k = 0;
            while (k < cap && q.count > q.head)
                items[k++] = q.items[q.head++];
            pthread_mutex_unlock(&q.mu);
            return k;
        }
        if (q.workers_left == 0 && q.next > q.n) { /* everything arrived: close the queue */
            pthread_mutex_unlock(&q.mu);
            pthread_join(q.thread, NULL);
            pthread_mutex_lock(&q.mu);
            q.running = 0;
            free(q.skip);
            q.skip = NULL;
            free(q.items);
            q.items = NULL;
            q.head = q.count = q.cap = 0;
            pthread_mutex_unlock(&q.mu);
            return -2;
        }
        if (!wait) {
            pthread_mutex_unlock(&q.mu);
            return 0;
        }
        if (mf_interrupt_pending()) {
            pthread_mutex_unlock(&q.mu);
            return -1;
        }
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 50000000; /* look at the interrupt flag every 50 ms */
        if (t.tv_nsec >= 1000000000) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&q.cv, &q.mu, &t);
    }
}

int mf_mpi_ask(size_t done_index, const char *bytes, size_t len, size_t *next) {
    if (len > (size_t)INT_MAX - 8) return -2;
    char *buf = malloc(len + 8);
    if (buf == NULL) fatal("out of memory for a result");
    uint64_t d = done_index;
    memcpy(buf, &d, 8);
    if (len > 0) memcpy(buf + 8, bytes, len);
    MPI_Send(buf, (int)(len + 8), MPI_BYTE, 0, TAG_ASK, comm);
    free(buf);

    uint64_t i = 0;
    MPI_Request req;
    MPI_Irecv(&i, 1, MPI_UINT64_T, 0, TAG_WORK, comm, &req);
    long wait_ns = 0;
    for (;;) {
        int flag = 0;
        MPI_Test(&req, &flag, MPI_STATUS_IGNORE);
        if (flag) break;
        if (mf_interrupt_pending()) {
            MPI_Cancel(&req);
            MPI_Request_free(&req);
            return -1;
        }
        backoff(&wait_ns);
    }
    *next = (size_t)i;
    return 0;
}
