/* Durable files (mflab/file.h). fsync makes data durable; rename(2) makes replacing a file
 * atomic; fsync of the directory makes the rename itself durable (POSIX leaves it to the
 * directory entry, ext4 and xfs honour it). */
#include "mflab/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int io_error(mf_err *err, const char *what, const char *path, int e) {
    return mf_err_set(err, MF_EIO, "cannot %s '%s': %s", what, path, strerror(e ? e : EIO));
}

/* write(2) until all n bytes are out (it may write less, or be interrupted by a signal). */
static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w, n -= (size_t)w;
    }
    return 0;
}

/* fsync that tolerates file systems without it (EINVAL: pipes, some FUSE mounts). */
static int sync_fd(int fd) {
    return fsync(fd) != 0 && errno != EINVAL && errno != EROFS ? -1 : 0;
}

static int sync_dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    free(dir);
    if (fd < 0) return -1;
    int rc = sync_fd(fd);
    close(fd);
    return rc;
}

int mf_file_append_sync(const char *path, const char *data, size_t n, mf_err *err) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return io_error(err, "append to", path, errno);
    int e = 0;
    if (write_all(fd, data, n) != 0 || sync_fd(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    return e ? io_error(err, "append to", path, e) : MF_OK;
}

int mf_file_commit(const char *const *from, const char *const *to, size_t n, mf_err *err) {
    for (size_t k = 0; k < n; k++) {
        int fd = open(from[k], O_RDONLY | O_CLOEXEC);
        if (fd < 0) return io_error(err, "open", from[k], errno);
        int e = sync_fd(fd) != 0 ? errno : 0;
        close(fd);
        if (e) return io_error(err, "sync", from[k], e);
    }
    for (size_t k = 0; k < n; k++)
        if (rename(from[k], to[k]) != 0) return io_error(err, "write", to[k], errno);
    for (size_t k = 0; k < n; k++)
        if (sync_dir_of(to[k]) != 0) return io_error(err, "sync the folder of", to[k], errno);
    return MF_OK;
}
