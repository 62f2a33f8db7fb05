/* .npy files for the spp CLI: a strict reader for untrusted files and an atomic writer.
 *
 * Reader: format versions 1.0, 2.0 and 3.0; the header dict must hold exactly 'descr',
 * 'fortran_order' and 'shape'; little-endian '<f4', '<i4', '<i8' only; C order only. The file
 * size is checked against the header's shape before anything is allocated, so a file can never
 * make the reader read or allocate more than it holds. Every error message names the file, the
 * field, the value found and what was expected.
 *
 * Writer: a v1.0 header padded to a multiple of 64 bytes, written to `<path>.tmp.<pid>` in the
 * same directory, flushed, then renamed over <path>. On any error the temporary file is removed
 * and an existing <path> is left untouched. npy_stage/npy_commit split the two steps so a caller
 * with several outputs can write them all first and rename only when every one succeeded. */
#ifndef SPP_CLI_NPY_H
#define SPP_CLI_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_RANK 32          /* numpy's own limit on dimensions */
#define NPY_MAX_HEADER 65536     /* largest header accepted, bytes (numpy writes < 200) */

typedef enum { NPY_F32 = 0, NPY_I32 = 1, NPY_I64 = 2 } npy_dtype;
#define NPY_BIT(d) (1u << (d))

typedef struct { char msg[768]; } npy_error;

typedef struct {
    npy_dtype dtype;
    int rank;
    int64_t shape[NPY_MAX_RANK];
    int64_t count;  /* product of shape */
    size_t bytes;   /* count * element size */
    void *data;     /* 64-byte aligned, free with npy_free; never NULL after a successful read */
} npy_array;

const char *npy_dtype_descr(npy_dtype d); /* "<f4", "<i4", "<i8" */
size_t npy_dtype_size(npy_dtype d);

/* Reads path. dtypes: mask of NPY_BIT() values accepted; the rank must be in
 * [min_rank, max_rank]. Returns 0 and fills out, or -1 with err set (out left empty). */
int npy_read(const char *path, unsigned dtypes, int min_rank, int max_rank, npy_array *out,
             npy_error *err);
void npy_free(npy_array *a);

/* "(2, 3, 4)" into buf (Python tuple spelling, "(5,)" for one dimension). */
void npy_shape_str(const int64_t *shape, int rank, char *buf, size_t cap);

/* A written but not yet renamed output. */
typedef struct {
    char *path; /* final name */
    char *tmp;  /* temporary name in the same directory; NULL once committed or aborted */
} npy_staged;

/* Writes the array (dtype NPY_F32 or NPY_I32; count = product of shape elements at data) to a
 * temporary file next to path. Returns 0, or -1 with err set and nothing left on disk. */
int npy_stage(const char *path, npy_dtype dtype, int rank, const int64_t *shape, const void *data,
              npy_staged *out, npy_error *err);
/* Renames the temporary file over the final name. On failure the temporary file is removed. */
int npy_commit(npy_staged *s, npy_error *err);
/* Removes the temporary file (if still there) and frees s. Safe to call after npy_commit. */
void npy_discard(npy_staged *s);
/* Installs handlers for SIGINT, SIGTERM, SIGHUP and SIGPIPE that remove every staged,
 * not yet renamed temporary file, then die of the signal as before. Existing outputs are never
 * at risk either way (rename is atomic); this only keeps interrupted runs from leaving
 * `.tmp.<pid>` files behind. */
void npy_cleanup_on_signals(void);
/* npy_stage + npy_commit. */
int npy_write(const char *path, npy_dtype dtype, int rank, const int64_t *shape, const void *data,
              npy_error *err);

#endif
