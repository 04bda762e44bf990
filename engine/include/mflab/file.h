/* Durable files: what a sweep's journal and result files need so that a crash, a kill or a
 * power cut leaves either the old state or the new one, never a mix (mf_write_file and
 * mf_mkdir_p in mflab/io.h do the single-file cases). Every function returns
 * MF_OK or MF_EIO with a message naming the path. */
#ifndef MFLAB_FILE_H
#define MFLAB_FILE_H

#include <stddef.h>

#include "mflab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends n bytes to path (created if absent) in one write(2) and fsyncs the file, so the
 * bytes are on disk when it returns. A journal line must be one call. */
int mf_file_append_sync(const char *path, const char *data, size_t n, mf_err *err);

/* Fsyncs the files from[0..n-1], renames each onto to[k] in order, then fsyncs their
 * directories: the last step of writing several files that belong together. */
int mf_file_commit(const char *const *from, const char *const *to, size_t n, mf_err *err);

#ifdef __cplusplus
}
#endif

#endif
