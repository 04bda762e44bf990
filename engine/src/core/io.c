#include "mflab/io.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mf_result_moments(const mf_result *r, size_t v, size_t j, double *mean, double *var) {
    if (r->stats) { /* a statistics-only run keeps them */
        *mean = r->stats->mean[v * r->nrec_alloc + j];
        *var = r->stats->var[v * r->nrec_alloc + j];
        return;
    }
    const double *x = r->data + (v * r->nrec_alloc + j) * r->seeds;
    size_t n = 0;
    double s = 0.0;
    for (size_t i = 0; i < r->seeds; i++)
        if (mf_result_alive(r, i, j)) s += x[i], n++; /* dropped trajectories do not count */
    double mu = n ? s / (double)n : NAN, q = 0.0;
    for (size_t i = 0; i < r->seeds; i++)
        if (mf_result_alive(r, i, j)) q += (x[i] - mu) * (x[i] - mu);
    *mean = mu;
    *var = n > 1 ? q / (double)(n - 1) : n ? 0.0 : NAN;
}

/* ---- NumPy files ------------------------------------------------------------------------- */

/* A file written to "<path>.tmp.XXXXXX" and renamed into place by files_commit. */
typedef struct tmpfile_w {
    FILE *f;
    char *tmp;
} tmpfile_w;

static int file_begin(tmpfile_w *w, const char *path, mf_err *err) {
    size_t n = strlen(path);
    w->f = NULL;
    w->tmp = malloc(n + 16);
    if (!w->tmp) return mf_err_set(err, MF_ENOMEM, "out of memory");
    snprintf(w->tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(w->tmp);
    if (fd >= 0) {
        mode_t um = umask(0); /* mkstemp makes 0600 files: give the usual permissions */
        umask(um);
        fchmod(fd, 0666 & ~um);
        w->f = fdopen(fd, "wb");
        if (!w->f) close(fd), unlink(w->tmp);
    }
    if (!w->f) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        return mf_err_set(err, MF_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    return MF_OK;
}

/* Flushes, fsyncs and closes the temporary file: 0, or the errno of what failed. */
static int file_finish(tmpfile_w *w, int ok) {
    int e = 0;
    if (!ok || ferror(w->f)) e = errno ? errno : EIO;
    if (fflush(w->f) != 0 && !e) e = errno;
    if (!e && fsync(fileno(w->f)) != 0 && errno != EINVAL && errno != EROFS) e = errno;
    if (fclose(w->f) != 0 && !e) e = errno;
    w->f = NULL;
    return e;
}

/* Makes the renames durable: fsync of the directory holding path (best effort). */
static void fsync_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir) return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) fsync(fd), close(fd);
    free(dir);
}

/* Opens the metadata file m for a data file whose temporary file w is open, writing its text;
 * on failure w is abandoned too. */
static int meta_begin(tmpfile_w *m, const mf_sidecar *meta, tmpfile_w *w, mf_err *err) {
    int rc = file_begin(m, meta->path, err);
    if (rc) {
        fclose(w->f), unlink(w->tmp), free(w->tmp);
        return rc;
    }
    fputs(meta->text, m->f); /* a failed write leaves ferror set: files_commit reports it */
    return MF_OK;
}

/* Commits the data file w (ok: everything was written) and its metadata file m (or NULL) as
 * one: both are complete and fsync'd before either is renamed; the metadata goes first, so a
 * data file never appears without its metadata. On any failure neither temporary file is
 * left, and a metadata file already renamed is removed. */
static int files_commit(tmpfile_w *w, const char *path, int ok, tmpfile_w *m,
                        const mf_sidecar *meta, mf_err *err) {
    const char *failed = path;
    int e = file_finish(w, ok);
    if (m) {
        int em = file_finish(m, 1);
        if (em && !e) e = em, failed = meta->path;
        if (!e && rename(m->tmp, meta->path) != 0) e = errno, failed = meta->path;
    }
    if (!e && rename(w->tmp, path) != 0) {
        e = errno;
        if (m) unlink(meta->path);
    }
    if (e) {
        unlink(w->tmp);
        if (m) unlink(m->tmp);
    } else {
        fsync_dir(path);
    }
    free(w->tmp);
    if (m) free(m->tmp);
    return e ? mf_err_set(err, MF_EIO, "cannot write '%s': %s", failed, strerror(e)) : MF_OK;
}

/* ---- CSV ----------------------------------------------------------------------------------- */

/* A column name, quoted as RFC 4180 says when it holds a comma, quote or line break. */
static void csv_name(FILE *f, const char *name, const char *suffix) {
    if (!strpbrk(name, ",\"\r\n") && !strpbrk(suffix, ",\"\r\n")) {
        fprintf(f, "%s%s", name, suffix);
        return;
    }
    fputc('"', f);
    for (const char *p = name; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fprintf(f, "%s\"", suffix);
}

static void write_row_summary(FILE *f, const mf_result *r, size_t j) {
    fprintf(f, "%llu", (unsigned long long)r->t[j]);
    for (size_t v = 0; v < r->nobs; v++) {
        double mu, var;
        mf_result_moments(r, v, j, &mu, &var);
        if (r->ntraj == 1)
            fprintf(f, ",%.17g", mu);
        else
            fprintf(f, ",%.17g,%.17g", mu, sqrt(var));
        if (r->stats) { /* statistics-only run: min, max and the quantiles too */
            const mf_stats *st = r->stats;
            const size_t h = v * r->nrec_alloc + j;
            fprintf(f, ",%.17g,%.17g", st->min[h], st->max[h]);
            for (size_t a = 0; a < st->nq; a++)
                fprintf(f, ",%.17g", st->quant[h * st->nq + a]);
        }
    }
    if (r->alive) fprintf(f, ",%llu", (unsigned long long)r->alive[j]);
    fputc('\n', f);
}

int mf_result_write_csv_meta(const mf_result *r, const char *const *names, const char *comment,
                             enum mf_csv_layout layout, const char *path, const mf_sidecar *meta,
                             mf_err *err) {
    tmpfile_w w, m;
    int rc = file_begin(&w, path, err);
    if (rc) return rc;
    if (meta && (rc = meta_begin(&m, meta, &w, err))) return rc;
    FILE *f = w.f;
    fputs("t", f);
    if (layout == MF_CSV_LONG) fputs(",seed", f);
    for (size_t v = 0; v < r->nobs; v++) {
        fputc(',', f);
        if (layout == MF_CSV_LONG || r->ntraj == 1) {
            csv_name(f, names[v], "");
        } else {
            csv_name(f, names[v], "_mean");
            fputc(',', f);
            csv_name(f, names[v], "_std");
        }
        if (layout == MF_CSV_SUMMARY && r->stats) {
            fputc(',', f);
            csv_name(f, names[v], "_min");
            fputc(',', f);
            csv_name(f, names[v], "_max");
            for (size_t a = 0; a < r->stats->nq; a++) {
                char q[40];
                snprintf(q, sizeof q, "_q%g", r->stats->q[a]);
                fputc(',', f);
                csv_name(f, names[v], q);
            }
        }
    }
    if (layout == MF_CSV_SUMMARY && r->alive) fputs(",alive", f);
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
    if (comment) { /* last, so readers that take the first line as the header get the header */
        fputs("# ", f);
        for (const char *p = comment; *p; p++)
            fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
        fputc('\n', f);
    }
    return files_commit(&w, path, 1, meta ? &m : NULL, meta, err);
}

int mf_result_write_csv(const mf_result *r, const char *const *names, const char *comment,
                        enum mf_csv_layout layout, const char *path, mf_err *err) {
    return mf_result_write_csv_meta(r, names, comment, layout, path, NULL, err);
}

static size_t array_count(const mf_array *a) {
    size_t n = 1;
    for (size_t k = 0; k < a->ndim; k++)
        n *= a->shape[k];
    return n;
}

/* The .npy header (magic, version 1.0, length, dict padded to a multiple of 64 bytes). */
static size_t npy_header(const mf_array *a, char *h, size_t cap) {
    const union {
        uint16_t u;
        char c[2];
    } probe = {1};
    char dict[256], shape[160] = "";
    size_t pos = 0;
    for (size_t k = 0; k < a->ndim; k++)
        pos += (size_t)snprintf(shape + pos, sizeof shape - pos, "%zu,%s", a->shape[k],
                                k + 1 < a->ndim ? " " : "");
    if (a->ndim > 1) shape[pos - 1] = '\0'; /* "(3,)" for one dimension, "(3, 4)" otherwise */
    int n = snprintf(dict, sizeof dict, "{'descr': '%c%c8', 'fortran_order': %s, 'shape': (%s), }",
                     probe.c[0] ? '<' : '>', a->dtype == 'i' ? 'i' : 'f',
                     a->fortran ? "True" : "False", shape);
    size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64;
    if (total > cap) return 0;
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    h[8] = (char)((total - 10) & 0xff);
    h[9] = (char)((total - 10) >> 8);
    memcpy(h + 10, dict, (size_t)n);
    memset(h + 10 + n, ' ', total - 10 - (size_t)n - 1);
    h[total - 1] = '\n';
    return total;
}

int mf_write_npy_meta(const char *path, const mf_array *a, const mf_sidecar *meta, mf_err *err) {
    char h[512];
    size_t hlen = npy_header(a, h, sizeof h);
    if (!hlen || a->ndim > 4) return mf_err_set(err, MF_EINVAL, "array shape too large");
    tmpfile_w w, m;
    int rc = file_begin(&w, path, err);
    if (rc) return rc;
    if (meta && (rc = meta_begin(&m, meta, &w, err))) return rc;
    size_t n = array_count(a);
    int ok = fwrite(h, 1, hlen, w.f) == hlen && fwrite(a->data, 8, n, w.f) == n;
    return files_commit(&w, path, ok, meta ? &m : NULL, meta, err);
}

int mf_write_npy(const char *path, const mf_array *a, mf_err *err) {
    return mf_write_npy_meta(path, a, NULL, err);
}

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n) {
    static uint32_t table[256];
    if (!table[1]) /* the zip CRC-32 (reflected polynomial 0xEDB88320) */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void put16(unsigned char *p, unsigned v) {
    p[0] = v & 0xff, p[1] = (v >> 8) & 0xff;
}
static void put32(unsigned char *p, uint32_t v) {
    for (int k = 0; k < 4; k++)
        p[k] = (v >> (8 * k)) & 0xff;
}

/* ZIP date and time fields of 1980-01-01 00:00: fixed, so the same data gives the same file. */
enum { ZIP_TIME = 0, ZIP_DATE = (0 << 9) | (1 << 5) | 1 };

int mf_write_npz(const char *path, const mf_array *a, size_t n, mf_err *err) {
    return mf_write_npz_meta(path, a, n, NULL, err);
}

int mf_write_npz_meta(const char *path, const mf_array *a, size_t n, const mf_sidecar *meta,
                      mf_err *err) {
    uint32_t *crc = calloc(n + 1, sizeof *crc), *offset = calloc(n + 1, sizeof *offset);
    char(*h)[512] = calloc(n + 1, sizeof *h);
    size_t *hlen = calloc(n + 1, sizeof *hlen);
    if (!crc || !offset || !h || !hlen) {
        free(crc), free(offset), free(h), free(hlen);
        return mf_err_set(err, MF_ENOMEM, "out of memory");
    }
    int rc = n > 65535 ? mf_err_set(err, MF_EINVAL, "too many arrays for one .npz") : MF_OK;
    uint64_t pos = 0;
    for (size_t k = 0; k < n && !rc; k++) { /* sizes and CRCs first: the local headers need them */
        hlen[k] = npy_header(&a[k], h[k], sizeof h[k]);
        uint64_t size = hlen[k] + 8 * (uint64_t)array_count(&a[k]);
        if (!hlen[k] || strlen(a[k].name) > 200)
            rc = mf_err_set(err, MF_EINVAL, "array '%s': shape or name too long", a[k].name);
        else if (pos + size + 30 + strlen(a[k].name) + 4 >= 0xffffffffu)
            rc = mf_err_set(err, MF_EINVAL, "cannot write '%s': more than 4 GiB (use .npy files)",
                            path);
        crc[k] = crc32_update(0, (const unsigned char *)h[k], hlen[k]);
        if (!rc) crc[k] = crc32_update(crc[k], a[k].data, 8 * array_count(&a[k]));
        offset[k] = (uint32_t)pos;
        pos += 30 + strlen(a[k].name) + 4 + size;
    }
    tmpfile_w w, m;
    if (!rc) rc = file_begin(&w, path, err);
    if (!rc && meta) rc = meta_begin(&m, meta, &w, err);
    if (rc) {
        free(crc), free(offset), free(h), free(hlen);
        return rc;
    }
    int ok = 1;
    unsigned char b[46];
    for (size_t k = 0; k < n && ok; k++) { /* local header, name, the .npy bytes */
        size_t nl = strlen(a[k].name) + 4;
        uint32_t size = (uint32_t)(hlen[k] + 8 * array_count(&a[k]));
        put32(b, 0x04034b50), put16(b + 4, 20), put16(b + 6, 0), put16(b + 8, 0);
        put16(b + 10, ZIP_TIME), put16(b + 12, ZIP_DATE), put32(b + 14, crc[k]);
        put32(b + 18, size), put32(b + 22, size), put16(b + 26, (unsigned)nl), put16(b + 28, 0);
        ok = fwrite(b, 1, 30, w.f) == 30 && fputs(a[k].name, w.f) >= 0 && fputs(".npy", w.f) >= 0 &&
             fwrite(h[k], 1, hlen[k], w.f) == hlen[k] &&
             fwrite(a[k].data, 8, array_count(&a[k]), w.f) == array_count(&a[k]);
    }
    uint32_t cd_start = (uint32_t)pos, cd_size = 0;
    for (size_t k = 0; k < n && ok; k++) { /* central directory */
        size_t nl = strlen(a[k].name) + 4;
        uint32_t size = (uint32_t)(hlen[k] + 8 * array_count(&a[k]));
        memset(b, 0, sizeof b);
        put32(b, 0x02014b50), put16(b + 4, 20), put16(b + 6, 20);
        put16(b + 12, ZIP_TIME), put16(b + 14, ZIP_DATE), put32(b + 16, crc[k]);
        put32(b + 20, size), put32(b + 24, size), put16(b + 28, (unsigned)nl);
        put32(b + 42, offset[k]);
        ok = fwrite(b, 1, 46, w.f) == 46 && fputs(a[k].name, w.f) >= 0 && fputs(".npy", w.f) >= 0;
        cd_size += (uint32_t)(46 + nl);
    }
    memset(b, 0, 22); /* end of central directory */
    put32(b, 0x06054b50), put16(b + 8, (unsigned)n), put16(b + 10, (unsigned)n);
    put32(b + 12, cd_size), put32(b + 16, cd_start);
    ok = ok && fwrite(b, 1, 22, w.f) == 22;
    free(crc), free(offset), free(h), free(hlen);
    return files_commit(&w, path, ok, meta ? &m : NULL, meta, err);
}

/* ---- whole files and folders ------------------------------------------------------------ */

int mf_write_file(const char *path, const void *data, size_t len, mf_err *err) {
    tmpfile_w w;
    if (file_begin(&w, path, err)) return MF_EIO;
    int ok = len == 0 || fwrite(data, 1, len, w.f) == len;
    return files_commit(&w, path, ok, NULL, NULL, err);
}

int mf_mkdir_p(const char *path, mf_err *err) {
    size_t n = strlen(path);
    if (n == 0) return mf_err_set(err, MF_EINVAL, "cannot create a folder with an empty name");
    char *p = malloc(n + 1);
    if (!p) return mf_err_set(err, MF_ENOMEM, "out of memory");
    memcpy(p, path, n + 1);
    /* each prefix ending before a '/', then the whole path */
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/') continue;
        char c = p[i];
        p[i] = '\0';
        struct stat st;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            mf_err_set(err, MF_EIO, "cannot create folder '%s': %s", p, strerror(e));
            free(p);
            return MF_EIO;
        }
        if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
            mf_err_set(err, MF_EIO, "cannot create folder '%s': a file of that name is in the way",
                       p);
            free(p);
            return MF_EIO;
        }
        p[i] = c;
    }
    free(p);
    return MF_OK;
}
