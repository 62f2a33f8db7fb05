/* .npy reader (strict, for untrusted files) and atomic writer; see npy.h for the contract.
 * Format reference: numpy/lib/format.py (NEP 1): magic "\x93NUMPY", major, minor, header
 * length (uint16 LE for 1.0, uint32 LE for 2.0/3.0), a Python dict literal padded with spaces
 * and ended by '\n', then the raw data. */
#define _POSIX_C_SOURCE 200809L

#include "npy.h"
#include "spp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c reads and writes little-endian data in place: port the byte swaps first"
#endif

static const char MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

const char *npy_dtype_descr(npy_dtype d)
{
    switch (d) {
    case NPY_F32: return "<f4";
    case NPY_I32: return "<i4";
    case NPY_I64: return "<i8";
    }
    return "?";
}

size_t npy_dtype_size(npy_dtype d) { return d == NPY_I64 ? 8 : 4; }

static const char *dtype_meaning(npy_dtype d)
{
    return d == NPY_F32 ? "float32" : d == NPY_I32 ? "int32" : "int64";
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(npy_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Printable rendering of untrusted bytes: at most ~max source bytes, \xNN for the rest. */
static const char *escape(const char *s, size_t n, size_t max, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < max && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
    }
    if (n > max && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = 0;
    return buf;
}

/* The header from s to its end, for messages: padding dropped, "end of header" if empty. */
static const char *rest(const char *s, const char *end, size_t max, char *buf, size_t cap)
{
    while (end > s && (end[-1] == ' ' || end[-1] == '\n'))
        end--;
    return end > s ? escape(s, (size_t)(end - s), max, buf, cap) : "end of header";
}

void npy_shape_str(const int64_t *shape, int rank, char *buf, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return;
    buf[0] = 0;
    o += (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < rank && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (o < cap)
        snprintf(buf + o, cap - o, rank == 1 ? ",)" : ")");
}

/* Reads exactly n bytes at offset; 0 on success, or the count actually read (< n), or -1. */
static long long read_at(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return (long long)got;
        got += (size_t)r;
    }
    return 0;
}

/* ---- header dict parser ---- */

typedef struct {
    const char *s, *end, *begin;
    const char *path;
    npy_error *err;
} hdr;

static void skip_ws(hdr *h)
{
    while (h->s < h->end && (*h->s == ' ' || *h->s == '\t' || *h->s == '\n' || *h->s == '\r'))
        h->s++;
}

static int peek(hdr *h) { return h->s < h->end ? (unsigned char)*h->s : -1; }

static int expect_char(hdr *h, char c, const char *where)
{
    skip_ws(h);
    if (peek(h) != (unsigned char)c) {
        char e[64];
        return fail(h->err, "%s: header: '%s' at byte %ld: expected '%c' %s", h->path,
                    rest(h->s, h->end, 12, e, sizeof e),
                    (long)(h->s - h->begin), c, where);
    }
    h->s++;
    return 0;
}

/* A Python string literal in ' or " quotes, no escapes (numpy never writes any). */
static int parse_str(hdr *h, char *out, size_t cap, const char *what)
{
    skip_ws(h);
    int q = peek(h);
    if (q != '\'' && q != '"') {
        char e[64];
        return fail(h->err, "%s: header %s: '%s': expected a quoted string", h->path, what,
                    rest(h->s, h->end, 16, e, sizeof e));
    }
    const char *start = ++h->s;
    while (h->s < h->end && *h->s != q && *h->s != '\\')
        h->s++;
    if (h->s >= h->end || *h->s != q) {
        char e[64];
        return fail(h->err, "%s: header %s: %s: expected a closing quote (no escapes)", h->path,
                    what, rest(start - 1, h->end, 16, e, sizeof e));
    }
    size_t n = (size_t)(h->s - start);
    h->s++;
    if (n >= cap) {
        char e[64];
        return fail(h->err, "%s: header %s: '%s': expected at most %zu characters", h->path, what,
                    escape(start, n, 16, e, sizeof e), cap - 1);
    }
    memcpy(out, start, n);
    out[n] = 0;
    return 0;
}

static int word_is(hdr *h, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(h->end - h->s) < n || memcmp(h->s, w, n) != 0)
        return 0;
    /* not a prefix of a longer identifier */
    if (h->s + n < h->end) {
        char c = h->s[n];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_')
            return 0;
    }
    h->s += n;
    return 1;
}

static int parse_bool(hdr *h, int *out)
{
    skip_ws(h);
    if (word_is(h, "True"))
        *out = 1;
    else if (word_is(h, "False"))
        *out = 0;
    else {
        char e[64];
        return fail(h->err, "%s: header 'fortran_order': '%s': expected True or False", h->path,
                    rest(h->s, h->end, 12, e, sizeof e));
    }
    return 0;
}

/* A tuple of non-negative decimal ints: (), (5,), (2, 3), (2, 3,). */
static int parse_shape(hdr *h, npy_array *a)
{
    char e[64];
    skip_ws(h);
    const char *start = h->s;
    if (peek(h) != '(')
        return fail(h->err, "%s: header 'shape': '%s': expected a tuple such as (2, 3)", h->path,
                    rest(h->s, h->end, 16, e, sizeof e));
    h->s++;
    a->rank = 0;
    int trailing_comma = 0;
    for (;;) {
        skip_ws(h);
        if (peek(h) == ')') {
            h->s++;
            break;
        }
        int c = peek(h);
        if (c < '0' || c > '9' || (c == '0' && h->s + 1 < h->end && h->s[1] >= '0' &&
                                   h->s[1] <= '9'))
            return fail(h->err,
                        "%s: header 'shape': '%s': expected non-negative decimal integers in a "
                        "tuple",
                        h->path, rest(start, h->end, 40, e, sizeof e));
        if (a->rank == NPY_MAX_RANK)
            return fail(h->err, "%s: header 'shape': more than %d dimensions: expected at most %d",
                        h->path, NPY_MAX_RANK, NPY_MAX_RANK);
        int64_t v = 0;
        while (h->s < h->end && *h->s >= '0' && *h->s <= '9') {
            if (v > (INT64_MAX - (*h->s - '0')) / 10)
                return fail(h->err, "%s: header 'shape': dimension '%s': expected at most %lld",
                            h->path, rest(start, h->end, 40, e, sizeof e),
                            (long long)INT64_MAX);
            v = v * 10 + (*h->s - '0');
            h->s++;
        }
        a->shape[a->rank++] = v;
        skip_ws(h);
        trailing_comma = 0;
        if (peek(h) == ',') {
            h->s++;
            trailing_comma = 1;
        } else if (peek(h) != ')')
            return fail(h->err, "%s: header 'shape': '%s': expected ',' or ')' after a dimension",
                        h->path, rest(start, h->end, 40, e, sizeof e));
    }
    if (a->rank == 1 && !trailing_comma)
        return fail(h->err,
                    "%s: header 'shape': '(%lld)': expected a tuple; a one-dimensional shape is "
                    "written (%lld,)",
                    h->path, (long long)a->shape[0], (long long)a->shape[0]);
    return 0;
}

static void list_dtypes(unsigned mask, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (int d = NPY_F32; d <= NPY_I64; d++)
        if (mask & NPY_BIT(d))
            o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, "%s'%s' (%s)", o ? " or " : "",
                                  npy_dtype_descr((npy_dtype)d), dtype_meaning((npy_dtype)d));
}

static int parse_header(hdr *h, unsigned dtypes, npy_array *a)
{
    int seen_descr = 0, seen_fortran = 0, seen_shape = 0, fortran = 0;
    char descr[32], key[32];
    if (expect_char(h, '{', "to open the header dict") < 0)
        return -1;
    for (;;) {
        skip_ws(h);
        if (peek(h) == '}') {
            h->s++;
            break;
        }
        if (parse_str(h, key, sizeof key, "key") < 0)
            return -1;
        if (expect_char(h, ':', "after a key") < 0)
            return -1;
        int *seen;
        if (strcmp(key, "descr") == 0) {
            seen = &seen_descr;
            if (parse_str(h, descr, sizeof descr, "'descr'") < 0)
                return -1;
        } else if (strcmp(key, "fortran_order") == 0) {
            seen = &seen_fortran;
            if (parse_bool(h, &fortran) < 0)
                return -1;
        } else if (strcmp(key, "shape") == 0) {
            seen = &seen_shape;
            if (parse_shape(h, a) < 0)
                return -1;
        } else {
            char e[64];
            return fail(h->err,
                        "%s: header key '%s': expected only 'descr', 'fortran_order' and 'shape'",
                        h->path, escape(key, strlen(key), 30, e, sizeof e));
        }
        if ((*seen)++)
            return fail(h->err, "%s: header key '%s': given twice, expected once", h->path, key);
        skip_ws(h);
        if (peek(h) == ',') {
            h->s++;
            continue;
        }
        if (expect_char(h, '}', "or ',' after a value") < 0)
            return -1;
        break;
    }
    /* only padding may follow the dict */
    for (const char *q = h->s; q < h->end; q++)
        if (*q != ' ' && *q != '\n') {
            char e[64];
            return fail(h->err, "%s: header: '%s' after the dict: expected only space padding",
                        h->path, rest(q, h->end, 16, e, sizeof e));
        }
    if (!seen_descr || !seen_fortran || !seen_shape)
        return fail(h->err, "%s: header: key '%s' missing: expected 'descr', 'fortran_order' and "
                            "'shape'",
                    h->path, !seen_descr ? "descr" : !seen_fortran ? "fortran_order" : "shape");
    int found = -1;
    for (int d = NPY_F32; d <= NPY_I64; d++)
        if (strcmp(descr, npy_dtype_descr((npy_dtype)d)) == 0)
            found = d;
    if (found < 0 || !(dtypes & NPY_BIT(found))) {
        char want[160], e[64];
        list_dtypes(dtypes, want, sizeof want);
        const char *why = descr[0] == '>' ? " (big-endian data is not supported)"
                          : found >= 0    ? " (not accepted here)"
                                          : "";
        return fail(h->err, "%s: header 'descr': '%s'%s: expected %s", h->path,
                    escape(descr, strlen(descr), 30, e, sizeof e), why, want);
    }
    a->dtype = (npy_dtype)found;
    if (fortran)
        return fail(h->err,
                    "%s: header 'fortran_order': True: expected False (C order; save with "
                    "numpy.ascontiguousarray)",
                    h->path);
    return 0;
}

int npy_read(const char *path, unsigned dtypes, int min_rank, int max_rank, npy_array *out,
             npy_error *err)
{
    memset(out, 0, sizeof *out);
    npy_array a;
    memset(&a, 0, sizeof a);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, "%s: cannot open: %s: expected a readable .npy file", path,
                    strerror(errno));
    char *hbuf = NULL;
    int rc = -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fail(err, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(err, "%s: not a regular file: expected a .npy file", path);
        goto done;
    }
    const long long fsize = (long long)st.st_size;
    unsigned char pre[12];
    const size_t pre_need = fsize >= 8 ? 8 : (size_t)fsize;
    if (read_at(fd, pre, pre_need, 0) != 0) {
        fail(err, "%s: read error: %s", path, strerror(errno));
        goto done;
    }
    if (fsize < 8 || memcmp(pre, MAGIC, 6) != 0) {
        char e[64];
        fail(err, "%s: magic: '%s' (%lld-byte file): expected \\x93NUMPY (not a .npy file)", path,
             escape((const char *)pre, pre_need < 6 ? pre_need : 6, 6, e, sizeof e), fsize);
        goto done;
    }
    const int major = pre[6], minor = pre[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0) {
        fail(err, "%s: version: %d.%d: expected 1.0, 2.0 or 3.0", path, major, minor);
        goto done;
    }
    const size_t lensz = major == 1 ? 2 : 4;
    if (fsize < (long long)(8 + lensz)) {
        fail(err, "%s: header length: truncated (file has %lld bytes): expected %zu bytes after "
                  "the version",
             path, fsize, lensz);
        goto done;
    }
    if (read_at(fd, pre + 8, lensz, 8) != 0) {
        fail(err, "%s: read error: %s", path, strerror(errno));
        goto done;
    }
    uint64_t hlen = (uint64_t)pre[8] | (uint64_t)pre[9] << 8;
    if (lensz == 4)
        hlen |= (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
    const long long data_off = (long long)(8 + lensz) + (long long)hlen;
    if (hlen > NPY_MAX_HEADER) {
        fail(err, "%s: header length: %llu bytes: expected at most %d", path,
             (unsigned long long)hlen, NPY_MAX_HEADER);
        goto done;
    }
    if (hlen == 0) {
        fail(err, "%s: header length: 0: expected a header dict", path);
        goto done;
    }
    if (data_off > fsize) {
        fail(err, "%s: header: truncated: file has %lld bytes, header ends at byte %lld", path,
             fsize, data_off);
        goto done;
    }
    hbuf = malloc((size_t)hlen);
    if (!hbuf) {
        fail(err, "%s: header: out of memory for %llu bytes", path, (unsigned long long)hlen);
        goto done;
    }
    if (read_at(fd, hbuf, (size_t)hlen, (off_t)(8 + lensz)) != 0) {
        fail(err, "%s: header: read error or file shrank while reading", path);
        goto done;
    }
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)hbuf[i];
        if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c >= 0x7f) {
            fail(err, "%s: header: byte 0x%02x at offset %zu: expected printable ASCII", path, c,
                 i);
            goto done;
        }
    }
    if (hbuf[hlen - 1] != '\n') {
        fail(err, "%s: header: last byte 0x%02x: expected '\\n' ending the header", path,
             (unsigned char)hbuf[hlen - 1]);
        goto done;
    }
    hdr h = {hbuf, hbuf + hlen, hbuf, path, err};
    if (parse_header(&h, dtypes, &a) < 0)
        goto done;
    char sh[160];
    npy_shape_str(a.shape, a.rank, sh, sizeof sh);
    if (a.rank < min_rank || a.rank > max_rank) {
        if (min_rank == max_rank)
            fail(err, "%s: header 'shape': %s: expected %d dimensions", path, sh, min_rank);
        else
            fail(err, "%s: header 'shape': %s: expected %d to %d dimensions", path, sh, min_rank,
                 max_rank);
        goto done;
    }
    /* element count and byte size without overflow, then against the file size */
    const size_t esz = npy_dtype_size(a.dtype);
    uint64_t count = 1, bytes;
    for (int i = 0; i < a.rank; i++)
        if (__builtin_mul_overflow(count, (uint64_t)a.shape[i], &count)) {
            fail(err, "%s: header 'shape': %s: element count overflows 64 bits", path, sh);
            goto done;
        }
    if (count > (uint64_t)INT64_MAX || __builtin_mul_overflow(count, (uint64_t)esz, &bytes) ||
        bytes > (uint64_t)SIZE_MAX) {
        fail(err, "%s: header 'shape': %s: byte count overflows", path, sh);
        goto done;
    }
    const uint64_t have = (uint64_t)(fsize - data_off);
    if (have != bytes) {
        fail(err, "%s: data: %llu bytes after the header: expected %llu for shape %s of '%s'%s",
             path, (unsigned long long)have, (unsigned long long)bytes, sh,
             npy_dtype_descr(a.dtype), have < bytes ? " (file truncated)" : " (trailing bytes)");
        goto done;
    }
    a.count = (int64_t)count;
    a.bytes = (size_t)bytes;
    a.data = spp_alloc(a.bytes); /* 64-byte aligned; huge pages from 2 MiB up */
    if (!a.data) {
        fail(err, "%s: data: out of memory for %zu bytes", path, a.bytes);
        goto done;
    }
    if (read_at(fd, a.data, a.bytes, (off_t)data_off) != 0) {
        fail(err, "%s: data: read error or file shrank while reading", path);
        spp_free(a.data);
        a.data = NULL;
        goto done;
    }
    *out = a;
    rc = 0;
done:
    free(hbuf);
    close(fd);
    return rc;
}

void npy_free(npy_array *a)
{
    if (a) {
        spp_free(a->data);
        memset(a, 0, sizeof *a);
    }
}

/* ---- writer ---- */

/* Temporaries not yet renamed, so a signal handler can remove them (unlink is
 * async-signal-safe). Slots are claimed after the file exists and released before its name is
 * freed; the handler only reads names whose slot is marked used. */
#define NPY_PENDING 16
#define NPY_PENDING_PATH 4096
static char pending_name[NPY_PENDING][NPY_PENDING_PATH];
static volatile sig_atomic_t pending_used[NPY_PENDING];

static int pending_add(const char *tmp)
{
    if (strlen(tmp) >= NPY_PENDING_PATH)
        return -1;
    for (int i = 0; i < NPY_PENDING; i++)
        if (!pending_used[i]) {
            strcpy(pending_name[i], tmp);
            pending_used[i] = 1;
            return i;
        }
    return -1; /* more outputs than slots: still correct, only not cleaned on a signal */
}

static void pending_remove(const char *tmp)
{
    for (int i = 0; i < NPY_PENDING; i++)
        if (pending_used[i] && strcmp(pending_name[i], tmp) == 0)
            pending_used[i] = 0;
}

static void on_signal(int sig)
{
    for (int i = 0; i < NPY_PENDING; i++)
        if (pending_used[i])
            unlink(pending_name[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void npy_cleanup_on_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        struct sigaction old;
        /* keep a parent's choice to ignore a signal (e.g. nohup) */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

static int write_all(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        /* bounded chunks: some systems reject single writes above 2 GiB */
        size_t chunk = n - done < (1u << 30) ? n - done : (1u << 30);
        ssize_t w = write(fd, (const char *)buf + done, chunk);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

int npy_stage(const char *path, npy_dtype dtype, int rank, const int64_t *shape, const void *data,
              npy_staged *out, npy_error *err)
{
    out->path = out->tmp = NULL;
    if (dtype != NPY_F32 && dtype != NPY_I32 && dtype != NPY_I64)
        return fail(err, "%s: dtype %d: expected float32, int32 or int64", path, (int)dtype);
    if (rank < 0 || rank > NPY_MAX_RANK)
        return fail(err, "%s: rank %d: expected 0..%d", path, rank, NPY_MAX_RANK);
    uint64_t count = 1, bytes;
    for (int i = 0; i < rank; i++)
        if (shape[i] < 0 || __builtin_mul_overflow(count, (uint64_t)shape[i], &count))
            return fail(err, "%s: shape: bad dimension or overflow", path);
    if (__builtin_mul_overflow(count, (uint64_t)npy_dtype_size(dtype), &bytes) ||
        bytes > (uint64_t)SIZE_MAX)
        return fail(err, "%s: shape: byte count overflows", path);

    char hdrbuf[NPY_MAX_RANK * 24 + 128], sh[NPY_MAX_RANK * 24 + 8];
    npy_shape_str(shape, rank, sh, sizeof sh);
    int len = snprintf(hdrbuf + 10, sizeof hdrbuf - 10,
                       "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                       npy_dtype_descr(dtype), sh);
    size_t total = 10 + (size_t)len + 1; /* + '\n' */
    size_t padded = (total + 63) / 64 * 64;
    if (padded > sizeof hdrbuf || padded - 10 > 65535)
        return fail(err, "%s: header too long", path);
    memset(hdrbuf + 10 + len, ' ', padded - total);
    hdrbuf[padded - 1] = '\n';
    memcpy(hdrbuf, MAGIC, 6);
    hdrbuf[6] = 1;
    hdrbuf[7] = 0;
    hdrbuf[8] = (char)((padded - 10) & 0xff);
    hdrbuf[9] = (char)((padded - 10) >> 8);

    size_t plen = strlen(path);
    char *tmp = malloc(plen + 48);
    char *final = malloc(plen + 1);
    if (!tmp || !final) {
        free(tmp);
        free(final);
        return fail(err, "%s: out of memory", path);
    }
    memcpy(final, path, plen + 1);
    int fd = -1;
    /* a signal between open() and pending_add() would leave the file behind: hold the signals
     * the cleanup handler catches until the name is registered */
    sigset_t hold, prev;
    sigemptyset(&hold);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGHUP);
    sigaddset(&hold, SIGPIPE);
    sigprocmask(SIG_BLOCK, &hold, &prev);
    /* O_EXCL: never follow or reuse a file someone else placed at the temporary name */
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        if (attempt == 0)
            snprintf(tmp, plen + 48, "%s.tmp.%ld", path, (long)getpid());
        else
            snprintf(tmp, plen + 48, "%s.tmp.%ld.%d", path, (long)getpid(), attempt);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &prev, NULL);
        free(tmp);
        free(final);
        return fail(err, "%s: cannot create a temporary file next to it: %s", path, strerror(e));
    }
    pending_add(tmp);
    sigprocmask(SIG_SETMASK, &prev, NULL);
    int e = 0;
    if (write_all(fd, hdrbuf, padded) != 0 || write_all(fd, data, (size_t)bytes) != 0 ||
        fsync(fd) != 0)
        e = errno ? errno : EIO;
    if (close(fd) != 0 && !e)
        e = errno;
    if (e) {
        unlink(tmp);
        pending_remove(tmp);
        free(tmp);
        free(final);
        return fail(err, "%s: write failed: %s", path, strerror(e));
    }
    out->path = final;
    out->tmp = tmp;
    return 0;
}

int npy_commit(npy_staged *s, npy_error *err)
{
    if (!s->tmp)
        return fail(err, "%s: nothing staged", s->path ? s->path : "(null)");
    if (rename(s->tmp, s->path) != 0) {
        int e = errno;
        unlink(s->tmp);
        pending_remove(s->tmp);
        free(s->tmp);
        s->tmp = NULL;
        return fail(err, "%s: cannot rename the temporary file over it: %s", s->path,
                    strerror(e));
    }
    pending_remove(s->tmp);
    free(s->tmp);
    s->tmp = NULL;
    return 0;
}

void npy_discard(npy_staged *s)
{
    if (s->tmp) {
        unlink(s->tmp);
        pending_remove(s->tmp);
        free(s->tmp);
    }
    free(s->path);
    s->tmp = s->path = NULL;
}

int npy_write(const char *path, npy_dtype dtype, int rank, const int64_t *shape, const void *data,
              npy_error *err)
{
    npy_staged s;
    if (npy_stage(path, dtype, rank, shape, data, &s, err) != 0)
        return -1;
    int rc = npy_commit(&s, err);
    npy_discard(&s);
    return rc;
}
