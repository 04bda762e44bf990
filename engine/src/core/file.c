/* Durable files (mflab/file.h). fsync makes data durable; rename(2) makes replacing a file
 * atomic; fsync of the directory makes the rename itself durable (POSIX leaves it to the
 * directory entry, ext4 and xfs honour it). */
#include "mflab/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int mf_file_write_atomic(const char *path, const char *data, size_t n, mf_err *err) {
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp) return mf_err_set(err, MF_ENOMEM, "out of memory");
    snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return io_error(err, "write", path, e);
    }
    mode_t um = umask(0); /* mkstemp makes 0600 files: give the usual permissions */
    umask(um);
    int e = fchmod(fd, 0666 & ~um) != 0 ? errno : 0;
    if (!e && (write_all(fd, data, n) != 0 || sync_fd(fd) != 0)) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) unlink(tmp);
    free(tmp);
    if (!e && sync_dir_of(path) != 0) e = errno;
    return e ? io_error(err, "write", path, e) : MF_OK;
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

int mf_file_mkdir(const char *path, mf_err *err) {
    size_t len = strlen(path);
    if (len == 0) return mf_err_set(err, MF_EINVAL, "empty folder name");
    char *p = strdup(path);
    if (!p) return mf_err_set(err, MF_ENOMEM, "out of memory");
    int e = 0;
    for (char *s = p + 1;; s++) { /* each prefix ending before a '/', then the whole path */
        int end = *s == '\0';
        if (*s != '/' && !end) continue;
        *s = '\0';
        struct stat st;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            e = errno;
        else if (stat(p, &st) != 0)
            e = errno;
        else if (!S_ISDIR(st.st_mode))
            e = ENOTDIR;
        if (e || end) break;
        *s = '/';
    }
    free(p);
    return e ? mf_err_set(err, MF_EIO, "cannot create folder '%s': %s", path, strerror(e)) : MF_OK;
}
