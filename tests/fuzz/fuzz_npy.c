/* libFuzzer target: the strict .npy reader, cli/npy.c (untrusted files).
 * npy_read only takes a path, so each input is written to one per-process file under /tmp
 * (rewritten in place, removed at exit) and read with every accepted-dtype set the CLI uses
 * and several rank windows. Checks:
 * - never crashes, never reads past the file, never allocates more than the file holds
 *   (ASan; run with -rss_limit_mb=2048 -malloc_limit_mb=1024);
 * - a rejection leaves a non-empty, terminated message naming the file and an empty array;
 * - an acceptance is consistent: dtype in the mask, rank in the window, count = product of
 *   shape, bytes = count * itemsize = the file's data bytes, the data equal the file's last
 *   `bytes` bytes, and the result does not depend on the dtype mask or rank window beyond
 *   accept/reject.
 * Build and run: make fuzz (mk/check.mk). */
/* fuzz-extra-sources: cli/npy.c */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"

static char g_path[64];

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_npy: %s\n", what);
    abort();
}

static void remove_file(void) { unlink(g_path); }

static void write_file(const uint8_t *data, size_t size)
{
    if (!g_path[0]) {
        snprintf(g_path, sizeof g_path, "/tmp/fuzz_npy.%ld.npy", (long)getpid());
        atexit(remove_file);
    }
    FILE *f = fopen(g_path, "wb");
    if (!f)
        fail("cannot create the temporary file");
    if ((size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        fail("cannot write the temporary file");
}

/* One read; returns 1 if accepted (after checking it), 0 if rejected. On acceptance *got holds
 * the array (caller frees). */
static int read_one(const uint8_t *data, size_t size, unsigned mask, int lo, int hi,
                    npy_array *got)
{
    npy_error err;
    memset(&err, 0x55, sizeof err); /* a missing message must not look like one */
    npy_array a;
    memset(&a, 0x55, sizeof a);
    if (npy_read(g_path, mask, lo, hi, &a, &err) != 0) {
        if (!memchr(err.msg, 0, sizeof err.msg) || !err.msg[0])
            fail("rejected without a message");
        if (strncmp(err.msg, g_path, strlen(g_path)) != 0)
            fail("message does not start with the file name");
        if (a.data || a.rank || a.count || a.bytes)
            fail("rejected but the array is not empty");
        return 0;
    }
    if ((unsigned)a.dtype > NPY_I64 || !(mask & NPY_BIT(a.dtype)))
        fail("accepted a dtype outside the mask");
    if (a.rank < lo || a.rank > hi || a.rank > NPY_MAX_RANK)
        fail("accepted a rank outside the window");
    if (!a.data)
        fail("accepted with NULL data");
    if (((uintptr_t)a.data & 63) != 0)
        fail("data not 64-byte aligned");
    int64_t count = 1;
    for (int i = 0; i < a.rank; i++) {
        if (a.shape[i] < 0)
            fail("negative dimension");
        if (__builtin_mul_overflow(count, a.shape[i], &count))
            fail("accepted a shape whose element count overflows");
    }
    if (count != a.count)
        fail("count != product of shape");
    const size_t esz = npy_dtype_size(a.dtype);
    if ((uint64_t)a.count * esz != a.bytes)
        fail("bytes != count * itemsize");
    if (a.bytes > size || size - a.bytes < 10)
        fail("more data bytes than the file holds after a minimal header");
    /* the data are the file's last `bytes` bytes: no trailing bytes, nothing past the end */
    if (a.bytes && memcmp(a.data, data + size - a.bytes, a.bytes) != 0)
        fail("data differ from the file's data bytes");
    /* the header really was a .npy header of the declared length */
    const size_t lensz = data[6] == 1 ? 2 : 4;
    size_t hlen = data[8] | (size_t)data[9] << 8;
    if (lensz == 4)
        hlen |= (size_t)data[10] << 16 | (size_t)data[11] << 24;
    if (8 + lensz + hlen + a.bytes != size)
        fail("header length + data bytes != file size");
    *got = a;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_file(data, size);
    /* the masks the CLI uses (f32 inputs), plus every other combination */
    static const unsigned masks[] = {
        NPY_BIT(NPY_F32), NPY_BIT(NPY_I32), NPY_BIT(NPY_I64),
        NPY_BIT(NPY_F32) | NPY_BIT(NPY_I32), NPY_BIT(NPY_I32) | NPY_BIT(NPY_I64),
        NPY_BIT(NPY_F32) | NPY_BIT(NPY_I32) | NPY_BIT(NPY_I64), 0};
    static const int windows[][2] = {{0, NPY_MAX_RANK}, {4, 4}, {2, 2}, {1, 3}, {0, 0}};
    const unsigned all = NPY_BIT(NPY_F32) | NPY_BIT(NPY_I32) | NPY_BIT(NPY_I64);

    npy_array ref;
    const int ok = read_one(data, size, all, 0, NPY_MAX_RANK, &ref);
    const size_t nm = sizeof masks / sizeof masks[0], nw = sizeof windows / sizeof windows[0];
    /* an accepted file is re-read under every setting; a rejected one (most inputs) under the
     * CLI's setting (k = 0: f32, any rank) and two others picked by its size, for speed */
    for (size_t k = 0; k < nm * nw; k++) {
        const size_t m = k / nw, w = k % nw;
        if (!ok && k != 0 && k != size % (nm * nw) && k != (size / 7 + 3) % (nm * nw))
            continue;
        npy_array a;
        const int lo = windows[w][0], hi = windows[w][1];
        const int acc = read_one(data, size, masks[m], lo, hi, &a);
        /* with the widest settings rejecting, nothing narrower may accept; with them accepting,
         * a narrower read accepts exactly when dtype and rank fit */
        const int expect =
            ok && (masks[m] & NPY_BIT(ref.dtype)) && ref.rank >= lo && ref.rank <= hi;
        if (acc != expect)
            fail("accept/reject inconsistent across dtype masks and rank windows");
        if (acc) {
            if (a.dtype != ref.dtype || a.rank != ref.rank || a.count != ref.count ||
                a.bytes != ref.bytes ||
                memcmp(a.shape, ref.shape, (size_t)a.rank * sizeof a.shape[0]) != 0 ||
                memcmp(a.data, ref.data, a.bytes) != 0)
                fail("same file read differently under different settings");
            npy_free(&a);
            if (a.data || a.bytes)
                fail("npy_free did not clear the array");
        }
    }
    if (ok)
        npy_free(&ref);
    return 0;
}
