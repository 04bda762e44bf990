#include "mflab/io.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mf_result_moments(const mf_result *r, size_t v, size_t j, double *mean, double *var) {
    const double *x = r->data + (v * r->nrec_alloc + j) * r->seeds;
    const size_t n = r->seeds;
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    double mu = s / (double)n, q = 0.0;
    for (size_t i = 0; i < n; i++)
        q += (x[i] - mu) * (x[i] - mu);
    *mean = mu;
    *var = n > 1 ? q / (double)(n - 1) : 0.0;
}

static void write_row_summary(FILE *f, const mf_result *r, size_t j) {
    fprintf(f, "%llu", (unsigned long long)r->t[j]);
    for (size_t v = 0; v < r->nobs; v++) {
        double mu, var;
        mf_result_moments(r, v, j, &mu, &var);
        if (r->seeds == 1)
            fprintf(f, ",%.17g", mu);
        else
            fprintf(f, ",%.17g,%.17g", mu, sqrt(var));
    }
    fputc('\n', f);
}

int mf_result_write_csv(const mf_result *r, const char *const *names, const char *meta,
                        enum mf_csv_layout layout, const char *path, mf_err *err) {
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) return mf_err_set(err, MF_ENOMEM, "out of memory");
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return mf_err_set(err, MF_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    mode_t um = umask(0); /* mkstemp makes 0600 files: give the usual permissions */
    umask(um);
    fchmod(fd, 0666 & ~um);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd), unlink(tmp), free(tmp);
        return mf_err_set(err, MF_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    if (meta) fprintf(f, "# %s\n", meta);
    fputs("t", f);
    if (layout == MF_CSV_LONG) fputs(",seed", f);
    for (size_t v = 0; v < r->nobs; v++) {
        if (layout == MF_CSV_LONG || r->seeds == 1)
            fprintf(f, ",%s", names[v]);
        else
            fprintf(f, ",%s_mean,%s_std", names[v], names[v]);
    }
    fputc('\n', f);
    for (size_t j = 0; j < r->nrec; j++) {
        if (layout == MF_CSV_SUMMARY) {
            write_row_summary(f, r, j);
            continue;
        }
        for (size_t i = 0; i < r->seeds; i++) {
            fprintf(f, "%llu,%zu", (unsigned long long)r->t[j], i + 1);
            for (size_t v = 0; v < r->nobs; v++)
                fprintf(f, ",%.17g", mf_result_at(r, v, j, i));
            fputc('\n', f);
        }
    }
    int bad = ferror(f);
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0 && errno != EINVAL;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp), free(tmp);
        return mf_err_set(err, MF_EIO, "cannot write '%s': %s", path, strerror(e ? e : EIO));
    }
    free(tmp);
    return MF_OK;
}
