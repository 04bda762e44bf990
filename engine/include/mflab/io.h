/* Writing results. Files are written to a temporary name beside the target, fsync'd and renamed
 * into place only when complete, so an interrupted or failed write leaves nothing behind. */
#ifndef MFLAB_IO_H
#define MFLAB_IO_H

#include "mflab/error.h"
#include "mflab/run.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mf_csv_layout {
    MF_CSV_SUMMARY, /* t, then <name>_mean, <name>_std per observable (or <name> for 1 seed);
                       a statistics-only run adds <name>_min, <name>_max, <name>_q<level>, and a
                       run with dropped trajectories a last column alive */
    MF_CSV_LONG     /* t, seed, then one column per observable: a row per (time, trajectory) */
};

/* A metadata file written with a data file: path and its whole text (JSON, say). The pair
 * is written as one: both go to temporary files that are flushed and fsync'd, and only then
 * renamed, the metadata first; a failure leaves neither temporary file behind. */
typedef struct mf_sidecar {
    const char *path;
    const char *text;
} mf_sidecar;

/* A header line (names[v] is the column name of observable v, quoted as RFC 4180 says when it
 * holds a comma, quote or line break), the rows, and comment (may be NULL) as a last line
 * "# ..." — last, so numpy.genfromtxt(path, delimiter=",", names=True) reads the file as it
 * is. Numbers are written with 17 significant digits (round-trip exact). meta may be NULL. */
int mf_result_write_csv_meta(const mf_result *r, const char *const *names, const char *comment,
                             enum mf_csv_layout layout, const char *path, const mf_sidecar *meta,
                             mf_err *err);
int mf_result_write_csv(const mf_result *r, const char *const *names, const char *comment,
                        enum mf_csv_layout layout, const char *path, mf_err *err);

/* An n-dimensional array for NumPy files: float64 ('f') or int64 ('i') elements in C order,
 * or Fortran (column-major) order when fortran is set. */
typedef struct mf_array {
    const char *name; /* member name in a .npz (without .npy) */
    const void *data;
    char dtype; /* 'f' double, 'i' int64_t */
    int fortran;
    size_t ndim, shape[4];
} mf_array;

/* A NumPy .npy file (format 1.0) that numpy.load reads, written to a temporary name and
 * renamed. */
int mf_write_npy(const char *path, const mf_array *a, mf_err *err);
int mf_write_npy_meta(const char *path, const mf_array *a, const mf_sidecar *meta, mf_err *err);

/* A NumPy .npz file: an uncompressed zip of n .npy members named a[k].name + ".npy"
 * (no ZIP64: each member and the whole file below 4 GiB). Temporary name, renamed. */
int mf_write_npz(const char *path, const mf_array *a, size_t n, mf_err *err);
int mf_write_npz_meta(const char *path, const mf_array *a, size_t n, const mf_sidecar *meta,
                      mf_err *err);

/* A file holding exactly len bytes of data: written to a temporary name beside path, fsync'd
 * and renamed, so it is whole or absent (the old file, if any, stays until the rename). */
int mf_write_file(const char *path, const void *data, size_t len, mf_err *err);

/* Creates the folder path and its missing parents (as mkdir -p); an existing folder is fine,
 * a file in the way is an error. */
int mf_mkdir_p(const char *path, mf_err *err);

/* Ensemble mean and unbiased variance (n-1; 0 for one seed) of observable v at record j,
 * summed in trajectory order so the value never depends on how the run was split; over the
 * trajectories alive at record j (mf_result_alive; NaN if none is); a statistics-only run's
 * own statistics. */
void mf_result_moments(const mf_result *r, size_t v, size_t j, double *mean, double *var);

#ifdef __cplusplus
}
#endif

#endif
