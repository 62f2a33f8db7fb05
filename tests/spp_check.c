/* spp-check: the C correctness driver (benchdnn style; docs/testing.md#the-c-driver).
 *
 * Every registered kernel is checked against `naive` on the problems of the shape descriptor
 * files configs/check/<name>.shapes (format: see the top of configs/check/edges.shapes). For each
 * (kernel, problem, thread count) case, four fills are run:
 *   ints     small non-negative integers, ReLU-like (half zeros, a third of them -0.0): ties
 *            everywhere, so the first-max rule, the argmax and y's zero bits are really
 *            tested; sums are exact;
 *   distinct a permutation of 24-bit integers times 0.1f (no ties; sums round, so the avg
 *            bound and summation-order determinism are really exercised);
 *   special  small integers with -inf, +inf and NaNs of distinct payloads sprinkled in, and
 *            one all -inf plane (all -inf bins; "last NaN wins" is visible in y's bits);
 *   onenan   the distinct values with one NaN per sample, in every channel at one pixel:
 *            sample 0's at (0, 0), where scans start (a NaN-detecting sum over the elements
 *            after the first misses it), the others' at a seeded pixel.
 * Each fill runs with 64-byte aligned buffers and again with every pointer (x, y, argmax, dy,
 * dx) offset by one float. Checks per run:
 *   forward  max: y bitwise equal to naive's and argmax exact; avg: within the bound of
 *            docs/spec.md#3-max-and-avg,
 *            |got - naive| <= 4*count*2^-24*sum|x|/divisor + 2^-24*|naive| (the second term
 *            is naive's own final rounding: naive sums in double, then rounds once);
 *            also a max run with argmax=NULL (y must not change);
 *   backward dx (pre-filled with a NaN pattern: it must be overwritten) within
 *            max(1e-6, 2*(k+2)*2^-24) * sum|terms| of naive's dx, where k is the number of
 *            dy terms added into that element and sum|terms| the sum of their magnitudes:
 *            two float summations of the same k terms in different orders differ by at most
 *            2*(k-1)*2^-24*sum|terms|, plus one rounding of dy/divisor per term for avg;
 *            with k <= 16 (4 overlapping bins x a few levels) that is the 1e-6 relative bound;
 *   guards   64 sentinel elements before and after every buffer, checked after each call;
 *            inputs (x, dy, argmax) must be unchanged; outputs start as a NaN garbage pattern
 *            so a kernel that skips an element is caught;
 *   determinism: y, argmax and dx bitwise equal to the kernel's own first run
 *            (1 thread, aligned), for every thread count and both alignments.
 * A case whose reference outputs (y, and dx for avg: max's dx is sparse by construction) are
 * > 95% zeros is flagged "not trusted".
 *
 * Output: one line per case, `PASS|FAIL|SKIP <kernel> <problem>/t<threads> ...`, for a
 * failure the first 5 mismatches with coordinates and a repro command; failed cases again at
 * the end; last line `N passed, N failed, N skipped`. Exit 1 on any failure, 2 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spp.h"

#define GUARD 64            /* sentinel elements on each side of every buffer */
#define MAXMSG 5            /* mismatches shown per failed case */
#define MAXTHREADS 16
#define NFILLS 4
#define QUICK_MAX_ELEMS 20000 /* --quick: largest input kept */
#define GARBAGE 0x7fbadbadu /* a NaN bit pattern no reference output can have */
#define SENTINEL 0x5afe600du
#define U (1.0 / 16777216.0) /* 2^-24 */

static const char *const FILL_NAMES[NFILLS] = {"ints", "distinct", "special", "onenan"};

/* ------------------------------------------------------------------ problems ---- */

typedef struct {
    char label[64];
    char str[160];
    spp_problem p;
} problem_entry;

static problem_entry *g_probs;
static int g_nprobs, g_capprobs, g_dropped_invalid, g_dropped_quick, g_dups;
static int g_quick;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "spp-check: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void add_problem(const char *label, const char *str, const spp_problem *p)
{
    for (int i = 0; i < g_nprobs; i++)
        if (strcmp(g_probs[i].str, str) == 0) {
            g_dups++;
            return;
        }
    if (g_quick && spp_input_elems(p) > QUICK_MAX_ELEMS) {
        g_dropped_quick++;
        return;
    }
    if (g_nprobs == g_capprobs) {
        g_capprobs = g_capprobs ? 2 * g_capprobs : 64;
        g_probs = realloc(g_probs, (size_t)g_capprobs * sizeof *g_probs);
        if (!g_probs)
            die("out of memory");
    }
    problem_entry *e = &g_probs[g_nprobs++];
    snprintf(e->label, sizeof e->label, "%s", label);
    snprintf(e->str, sizeof e->str, "%s", str);
    e->p = *p;
}

/* A problem string whose pool, bins or layout word may be `*` (every value). Expansions that
 * are invalid for the convention are dropped (counted); anything else invalid is an error. */
static void expand_problem(const char *where, const char *label, const char *pat)
{
    static const char *const words[3][3] = {
        {"max", "avg", NULL}, {"adaptive", "sppnet", "caffe"}, {"nchw", "nhwc", NULL}};
    char buf[160];
    if (strlen(pat) >= sizeof buf)
        die("%s: problem '%s' is too long", where, pat);
    /* the last three '_'-separated fields */
    const char *us[3] = {NULL, NULL, NULL};
    int found = 0;
    for (const char *q = pat + strlen(pat); q > pat && found < 3; q--)
        if (q[-1] == '_')
            us[2 - found++] = q; /* start of field */
    if (found < 3)
        die("%s: '%s': expected n{N}c{C}h{H}w{W}_l{a.b}_{pool}_{bins}_{layout}", where, pat);
    char field[3][32];
    for (int f = 0; f < 3; f++) {
        size_t len = f < 2 ? (size_t)(us[f + 1] - 1 - us[f]) : strlen(us[f]);
        if (len >= sizeof field[f])
            die("%s: '%s': field too long", where, pat);
        memcpy(field[f], us[f], len);
        field[f][len] = 0;
    }
    const size_t prefix = (size_t)(us[0] - pat); /* includes the trailing '_' */
    int star = 0;
    for (int f = 0; f < 3; f++)
        star |= strcmp(field[f], "*") == 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 3; c++) {
                const int idx[3] = {a, b, c};
                const char *w[3];
                int skip = 0;
                for (int f = 0; f < 3; f++) {
                    if (strcmp(field[f], "*") == 0)
                        w[f] = words[f][idx[f]];
                    else
                        w[f] = idx[f] == 0 ? field[f] : NULL;
                    skip |= w[f] == NULL;
                }
                if (skip)
                    continue;
                if (snprintf(buf, sizeof buf, "%.*s%s_%s_%s", (int)prefix, pat, w[0], w[1],
                             w[2]) >= (int)sizeof buf)
                    die("%s: '%s': problem string too long", where, pat);
                spp_problem p;
                spp_error err;
                if (spp_problem_parse(buf, &p, &err) != SPP_OK)
                    die("%s: %s", where, err.msg);
                spp_status st = spp_problem_validate(&p, &err);
                if (st == SPP_ERR_CONVENTION && star) {
                    g_dropped_invalid++;
                    continue;
                }
                if (st != SPP_OK)
                    die("%s: %s: %s", where, buf, err.msg);
                add_problem(label, buf, &p);
            }
}

static void read_shapes(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("--shapes %s: cannot open", path);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char label[64], pat[200], extra[8];
        int n = sscanf(line, "%63s %199s %7s", label, pat, extra);
        char where[300];
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (n <= 0)
            continue;
        if (n != 2)
            die("%s: expected `label problem` (two fields), got %d", where, n);
        expand_problem(where, label, pat);
    }
    free(line);
    fclose(f);
}

/* ------------------------------------------------------------------ buffers ----- */

/* A buffer of n 4-byte elements with GUARD sentinels on both sides; data may start one
 * element past a 64-byte boundary (off = 1) to test unaligned pointers. */
typedef struct {
    uint32_t *base;
    size_t n, cap;
    int off;
} gbuf;

static void gb_alloc(gbuf *g, size_t n)
{
    g->n = n;
    g->cap = (n + 2 * GUARD + 16 + 15) / 16 * 16;
    g->base = aligned_alloc(64, g->cap * 4);
    if (!g->base)
        die("out of memory (%zu bytes)", g->cap * 4);
    g->off = 0;
}

static void fill_bits(uint32_t *p, size_t n, uint32_t bits)
{
    for (size_t i = 0; i < n; i++)
        p[i] = bits;
}

/* Arms the guards and returns the data pointer; data = copy of src, or the garbage pattern. */
static void *gb_arm(gbuf *g, int off, const void *src)
{
    g->off = off;
    uint32_t *d = g->base + GUARD + off;
    fill_bits(g->base, GUARD + (size_t)off, SENTINEL);
    fill_bits(d + g->n, g->cap - GUARD - (size_t)off - g->n, SENTINEL);
    if (src)
        memcpy(d, src, g->n * 4);
    else
        fill_bits(d, g->n, GARBAGE);
    return d;
}

static void *gb_data(const gbuf *g) { return g->base + GUARD + g->off; }

/* Number of damaged sentinels; *first = offset of the first one relative to data start. */
static size_t gb_damage(const gbuf *g, long long *first)
{
    const uint32_t *d = g->base + GUARD + g->off;
    size_t bad = 0;
    for (size_t i = 0; i < GUARD + (size_t)g->off; i++)
        if (g->base[i] != SENTINEL && bad++ == 0)
            *first = (long long)i - (long long)(GUARD + g->off);
    for (size_t i = g->n; i < g->cap - GUARD - (size_t)g->off; i++)
        if (d[i] != SENTINEL && bad++ == 0)
            *first = (long long)i;
    return bad;
}

/* ------------------------------------------------------------------ results ----- */

typedef struct {
    int ran, failed;
    long long bad;   /* mismatching elements and failed checks */
    int nmsg;
    char msg[MAXMSG][320];
} case_res;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void note(case_res *r, const char *fmt, ...)
{
    r->failed = 1;
    if (r->bad++ < MAXMSG) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->msg[r->nmsg++], sizeof r->msg[0], fmt, ap);
        va_end(ap);
    }
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static const char *fstr(float f, char *buf)
{
    if (f != f)
        sprintf(buf, "nan(0x%08x)%s", (unsigned)fbits(f),
                fbits(f) == GARBAGE ? "=unwritten" : "");
    else
        sprintf(buf, "%.9g", (double)f);
    return buf;
}

static void y_coord(const spp_plan *pl, int64_t o, char *buf)
{
    const int64_t b = o / pl->out_per_sample;
    int64_t r = o % pl->out_per_sample;
    int l = 0;
    while (l + 1 < pl->p.nlevels && r >= pl->lv[l + 1].out_offset)
        l++;
    const int64_t n = pl->lv[l].n;
    r -= pl->lv[l].out_offset;
    sprintf(buf, "[%lld,%lld,%d,%lld,%lld]", (long long)b, (long long)(r / (n * n)), l,
            (long long)(r % (n * n) / n), (long long)(r % n));
}

static void x_coord(const spp_problem *p, int64_t i, char *buf)
{
    int64_t b, c, h, w;
    if (p->layout == SPP_LAYOUT_NCHW) {
        w = i % p->w, h = i / p->w % p->h, c = i / (p->w * p->h) % p->c;
    } else {
        c = i % p->c, w = i / p->c % p->w, h = i / (p->c * p->w) % p->h;
    }
    b = i / (p->c * p->h * p->w);
    sprintf(buf, "[%lld,%lld,%lld,%lld]", (long long)b, (long long)c, (long long)h,
            (long long)w);
}

static int64_t xi(const spp_problem *p, int64_t b, int64_t c, int64_t h, int64_t w)
{
    return p->layout == SPP_LAYOUT_NCHW ? ((b * p->c + c) * p->h + h) * p->w + w
                                        : ((b * p->h + h) * p->w + w) * p->c + c;
}

/* ------------------------------------------------------------------ references -- */

typedef struct {
    float *x, *dy, *y, *dx; /* x, dy: the fill; y, dx: naive's outputs */
    int32_t *am;            /* naive's argmax (max) */
    double *ytol, *dxtol;
    long long zeros, compared;
} ref_t;

static uint32_t mix(uint64_t i, uint32_t seed)
{
    uint64_t z = (i + seed) * 0x9E3779B97F4A7C15ull;
    z ^= z >> 31;
    z *= 0xBF58476D1CE4E5B9ull;
    z ^= z >> 29;
    return (uint32_t)(z >> 32);
}

static float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void make_fill(int fill, const spp_problem *p, uint32_t seed, float *x, float *dy)
{
    const int64_t nx = spp_input_elems(p), ny = spp_output_elems(p);
    for (int64_t i = 0; i < nx; i++) {
        const uint32_t h = mix((uint64_t)i, seed);
        float v;
        if (fill == 0) {
            const int k = (int)(h % 8) - 3; /* ReLU of a small integer: half zeros */
            /* a third of the zeros -0.0: a max over +0.0 and -0.0 must keep the first zero's
             * bits, as naive does (a plain vmaxps merge of two bins would not) */
            v = k > 0 ? (float)k : (h >> 24) % 3 == 0 ? -0.0f : 0.0f;
        } else if (fill == 1 || fill == 3) {
            /* an odd multiplier mod 2^24 is a bijection: k is distinct for up to 2^24
             * elements; k * 0.1f stays distinct (spacing 0.1 > ulp(2^23 * 0.1) = 1/16) and
             * has a full mantissa, so float sums round and their order shows */
            const int32_t k = (int32_t)(((uint32_t)(i + seed) * 2654435761u) & 0xffffffu) -
                              (1 << 23);
            v = (float)k * 0.1f;
        } else {
            const unsigned r = (h >> 8) & 63;
            v = (float)((int)(h % 9) - 4);
            if (r < 4)
                v = -INFINITY;
            else if (r < 6) /* quiet NaN, distinct payload, either sign */
                v = from_bits(((h >> 16) & 1 ? 0xffc00000u : 0x7fc00000u) |
                              ((uint32_t)i * 2654435761u & 0x3fffffu));
            else if (r == 6)
                v = INFINITY;
        }
        x[i] = v;
    }
    if (fill == 3)
        for (int64_t b = 0; b < p->n; b++) {
            const uint32_t h = mix((uint64_t)b, seed ^ 0x3333u);
            const int64_t e = b == 0 ? 0 : (int64_t)(h % (uint32_t)(p->h * p->w));
            for (int64_t c = 0; c < p->c; c++)
                x[xi(p, b, c, e / p->w, e % p->w)] = from_bits(0x7fc00000u | (uint32_t)(c + 1));
        }
    if (fill == 2 && p->c > 1) /* sample 0, channel 1: an all -inf plane */
        for (int64_t h = 0; h < p->h; h++)
            for (int64_t w = 0; w < p->w; w++)
                x[xi(p, 0, 1, h, w)] = -INFINITY;
    for (int64_t i = 0; i < ny; i++) {
        const uint32_t h = mix((uint64_t)i, seed ^ 0x5555u);
        dy[i] = fill == 1 ? (float)(h & 4095) * (1.0f / 128) - 16.0f /* non-integer */
                          : (float)((int)(h % 7) - 3);
    }
}

/* The kernels checked: the registry's, then any a test build links in through
 * spp_check_extra_kernels (NULL-terminated; tests/emu512/: the AVX-512 kernels' code on an AVX2
 * emulation of their vector vocabulary, under names of their own). */
const spp_kernel *const *spp_check_extra_kernels(void) __attribute__((weak));
static const spp_kernel *g_kernels[256];
static int g_nkernels;

static void collect_kernels(void)
{
    for (int i = 0; i < spp_kernel_count() && g_nkernels < 256; i++)
        g_kernels[g_nkernels++] = spp_kernel_at(i);
    if (spp_check_extra_kernels)
        for (const spp_kernel *const *e = spp_check_extra_kernels(); *e && g_nkernels < 256; e++)
            g_kernels[g_nkernels++] = *e;
}

static const spp_kernel *find_kernel(const char *name)
{
    for (int i = 0; i < g_nkernels; i++)
        if (strcmp(g_kernels[i]->name, name) == 0)
            return g_kernels[i];
    return NULL;
}

/* Builds naive's outputs and the per-element tolerances. Returns 0 or -1 (naive failed). */
static int make_ref(ref_t *R, const spp_plan *pl, int fill, uint32_t seed, char *errbuf)
{
    const spp_problem *p = &pl->p;
    const int64_t nx = spp_input_elems(p), ny = spp_output_elems(p);
    const int max = p->pool == SPP_POOL_MAX;
    memset(R, 0, sizeof *R);
    R->x = malloc((size_t)nx * 4);
    R->dx = malloc((size_t)nx * 4);
    R->dy = malloc((size_t)ny * 4);
    R->y = malloc((size_t)ny * 4);
    R->am = malloc((size_t)ny * 4);
    R->ytol = calloc((size_t)ny, sizeof(double));
    R->dxtol = calloc((size_t)nx, sizeof(double));
    int32_t *cnt = calloc((size_t)nx, sizeof(int32_t));
    if (!R->x || !R->dx || !R->dy || !R->y || !R->am || !R->ytol || !R->dxtol || !cnt)
        die("out of memory for references of %lld inputs", (long long)nx);
    make_fill(fill, p, seed, R->x, R->dy);
    const spp_kernel *naive = spp_kernel_find("naive");
    spp_error err;
    if (!naive) {
        sprintf(errbuf, "no kernel named naive in the registry");
        free(cnt);
        return -1;
    }
    if (spp_forward(naive, p, R->x, R->y, max ? R->am : NULL, 1, &err) != SPP_OK ||
        spp_backward(naive, p, R->dy, max ? R->am : NULL, R->dx, 1, &err) != SPP_OK) {
        snprintf(errbuf, 300, "naive failed: %s", err.msg);
        free(cnt);
        return -1;
    }
    double *sumabs = R->dxtol; /* reused: sum|terms| first, tolerance after */
    for (int64_t b = 0; b < p->n; b++)
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            for (int64_t c = 0; c < p->c; c++)
                for (int i = 0; i < lv->n; i++)
                    for (int j = 0; j < lv->n; j++) {
                        const spp_interval r = lv->rows[i], q = lv->cols[j];
                        const int64_t o = b * pl->out_per_sample + lv->out_offset +
                                          c * lv->n * lv->n + (int64_t)i * lv->n + j;
                        if (max) {
                            const int64_t a = R->am[o];
                            if (a < 0 || a >= p->h * p->w) {
                                sprintf(errbuf, "naive argmax %lld out of range", (long long)a);
                                free(cnt);
                                return -1;
                            }
                            const int64_t k = xi(p, b, c, a / p->w, a % p->w);
                            sumabs[k] += fabs((double)R->dy[o]);
                            cnt[k]++;
                            continue;
                        }
                        const double div = (double)(r.div * q.div);
                        const double g = fabs((double)R->dy[o]) / div;
                        double s = 0;
                        int finite = 1;
                        for (int64_t h = r.start; h < r.end; h++)
                            for (int64_t w = q.start; w < q.end; w++) {
                                const int64_t k = xi(p, b, c, h, w);
                                const float v = R->x[k];
                                finite &= isfinite(v) != 0;
                                s += fabs((double)v);
                                sumabs[k] += g;
                                cnt[k]++;
                            }
                        const double count = (double)((r.end - r.start) * (q.end - q.start));
                        R->ytol[o] = finite ? 4 * count * U * s / div + U * fabs((double)R->y[o])
                                            : NAN;
                    }
        }
    for (int64_t k = 0; k < nx; k++) {
        const double rel = 2.0 * (cnt[k] + 2) * U;
        R->dxtol[k] = (rel > 1e-6 ? rel : 1e-6) * sumabs[k];
        R->zeros += !max && R->dx[k] == 0.0f;
    }
    /* max's dx is sparse by construction (only argmax positions), so only avg's counts */
    for (int64_t o = 0; o < ny; o++)
        R->zeros += R->y[o] == 0.0f;
    R->compared = (max ? 0 : nx) + ny;
    free(cnt);
    return 0;
}

static void free_ref(ref_t *R)
{
    free(R->x), free(R->dx), free(R->dy), free(R->y), free(R->am), free(R->ytol),
        free(R->dxtol);
}

/* ------------------------------------------------------------------ one run ----- */

typedef struct {
    gbuf x, y, am, dy, amin, dx;
} bufs;

typedef struct {
    float *y, *dx;
    int32_t *am;
} outs; /* a kernel's first run, the determinism baseline */

static void check_guards(case_res *r, const char *ctx, const char *name, const gbuf *g)
{
    long long first = 0;
    size_t bad = gb_damage(g, &first);
    if (bad)
        note(r, "%s: %zu guard element(s) around %s overwritten, first at offset %lld", ctx, bad,
             name, first);
}

static void check_unchanged(case_res *r, const char *ctx, const char *name, const gbuf *g,
                            const void *orig)
{
    if (memcmp(gb_data(g), orig, g->n * 4) != 0)
        note(r, "%s: input %s was modified", ctx, name);
}

static void cmp_y(case_res *r, const char *ctx, const spp_plan *pl, const ref_t *R,
                  const float *y, const int32_t *am)
{
    const int64_t ny = spp_output_elems(&pl->p);
    char c[96], a[48], b[48];
    for (int64_t o = 0; o < ny; o++) {
        const float e = R->y[o], g = y[o];
        int ok;
        if (pl->p.pool == SPP_POOL_MAX)
            ok = fbits(e) == fbits(g);
        else if (e != e)
            ok = g != g && fbits(g) != GARBAGE;
        else if (isnan(R->ytol[o]) || isinf(e))
            ok = g == e;
        else
            ok = fabs((double)g - (double)e) <= R->ytol[o];
        if (!ok) {
            y_coord(pl, o, c);
            note(r, "%s y %s expected %s got %s", ctx, c, fstr(e, a), fstr(g, b));
        }
        if (am && am[o] != R->am[o]) {
            y_coord(pl, o, c);
            note(r, "%s argmax %s expected %d got %d", ctx, c, (int)R->am[o], (int)am[o]);
        }
    }
}

static void cmp_dx(case_res *r, const char *ctx, const spp_problem *p, const ref_t *R,
                   const float *dx)
{
    const int64_t nx = spp_input_elems(p);
    char c[96], a[48], b[48];
    for (int64_t k = 0; k < nx; k++)
        if (!(fabs((double)dx[k] - (double)R->dx[k]) <= R->dxtol[k])) {
            x_coord(p, k, c);
            note(r, "%s dx %s expected %s got %s (tolerance %.3g)", ctx, c, fstr(R->dx[k], a),
                 fstr(dx[k], b), R->dxtol[k]);
        }
}

/* Bitwise equality with the kernel's first run. */
static void cmp_bits(case_res *r, const char *ctx, const char *what, const spp_plan *pl,
                     int is_x, const void *got, const void *base, int64_t n)
{
    const uint32_t *g = got, *e = base;
    char c[96], a[48], b[48];
    for (int64_t i = 0; i < n; i++)
        if (g[i] != e[i]) {
            if (is_x)
                x_coord(&pl->p, i, c);
            else
                y_coord(pl, i, c);
            if (strcmp(what, "argmax") == 0)
                note(r, "%s determinism: argmax %s is %d, first run (t1, aligned) gave %d", ctx,
                     c, (int)g[i], (int)e[i]);
            else
                note(r, "%s determinism: %s %s is %s, first run (t1, aligned) gave %s", ctx,
                     what, c, fstr(from_bits(g[i]), a), fstr(from_bits(e[i]), b));
        }
}

/* One forward + backward of kernel k with `threads` and pointer offset `off`. baseline != NULL:
 * this is the first run; store its outputs there instead of comparing. */
static void run_one(case_res *r, const spp_kernel *k, const spp_plan *pl, int fill, int threads,
                    int off, bufs *B, const ref_t *R, outs *baseline, const outs *first)
{
    const spp_problem *p = &pl->p;
    const int max = p->pool == SPP_POOL_MAX;
    const int64_t nx = spp_input_elems(p), ny = spp_output_elems(p);
    char ctx[96];
    snprintf(ctx, sizeof ctx, "%s t%d %s%s", FILL_NAMES[fill], threads,
             off ? "+4B" : "aligned", baseline ? " (first run)" : "");
    spp_error err;
    r->ran++;

    float *x = gb_arm(&B->x, off, R->x);
    float *y = gb_arm(&B->y, off, NULL);
    int32_t *am = max ? gb_arm(&B->am, off, NULL) : NULL;
    spp_status st = spp_forward(k, p, x, y, am, threads, &err);
    if (st != SPP_OK) {
        note(r, "%s: forward returned '%s': %s", ctx, spp_status_name(st), err.msg);
        return;
    }
    check_guards(r, ctx, "x", &B->x);
    check_guards(r, ctx, "y", &B->y);
    check_unchanged(r, ctx, "x", &B->x, R->x);
    if (max)
        check_guards(r, ctx, "argmax", &B->am);
    if (baseline) {
        memcpy(baseline->y, y, (size_t)ny * 4);
        if (max)
            memcpy(baseline->am, am, (size_t)ny * 4);
    } else {
        cmp_y(r, ctx, pl, R, y, am);
        cmp_bits(r, ctx, "y", pl, 0, y, first->y, ny);
        if (max)
            cmp_bits(r, ctx, "argmax", pl, 0, am, first->am, ny);
    }

    if (max && !off && !baseline) { /* argmax is optional: y must be the same without it */
        char ctx2[128];
        snprintf(ctx2, sizeof ctx2, "%s argmax=NULL", ctx);
        y = gb_arm(&B->y, 0, NULL);
        st = spp_forward(k, p, x, y, NULL, threads, &err);
        if (st != SPP_OK)
            note(r, "%s: forward returned '%s': %s", ctx2, spp_status_name(st), err.msg);
        else {
            check_guards(r, ctx2, "y", &B->y);
            cmp_y(r, ctx2, pl, R, y, NULL);
        }
    }

    /* backward from naive's argmax, so dx is compared on equal terms */
    float *dy = gb_arm(&B->dy, off, R->dy);
    int32_t *amin = max ? gb_arm(&B->amin, off, R->am) : NULL;
    float *dx = gb_arm(&B->dx, off, NULL);
    st = spp_backward(k, p, dy, amin, dx, threads, &err);
    if (st != SPP_OK) {
        note(r, "%s: backward returned '%s': %s", ctx, spp_status_name(st), err.msg);
        return;
    }
    check_guards(r, ctx, "dx", &B->dx);
    check_guards(r, ctx, "dy", &B->dy);
    check_unchanged(r, ctx, "dy", &B->dy, R->dy);
    if (max) {
        check_guards(r, ctx, "argmax (backward input)", &B->amin);
        check_unchanged(r, ctx, "argmax", &B->amin, R->am);
    }
    if (baseline)
        memcpy(baseline->dx, dx, (size_t)nx * 4);
    else {
        cmp_dx(r, ctx, p, R, dx);
        cmp_bits(r, ctx, "dx", pl, 1, dx, first->dx, nx);
    }
}

/* ------------------------------------------------------------------ main -------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: spp-check [--kernel NAME]... [--shapes FILE]... [--problem STR]...\n"
            "                 [--threads 1,2,3,4] [--quick]\n"
            "Checks every registered kernel against naive (see tests/spp_check.c).\n"
            "  --kernel NAME   only this kernel (repeatable)\n"
            "  --shapes FILE   a shapes file (repeatable; default configs/check/*.shapes)\n"
            "  --problem STR   one problem string, `*` allowed for pool/bins/layout (repeatable)\n"
            "  --threads LIST  thread counts checked, each vs naive and bitwise vs 1 thread\n"
            "  --quick         drop problems with more than %d input elements\n",
            QUICK_MAX_ELEMS);
}

static uint32_t str_seed(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int main(int argc, char **argv)
{
    const char *kfilter[64];
    int nkfilter = 0;
    const char *shapes[64];
    int nshapes = 0;
    const char *probs[64];
    int nprobarg = 0;
    int threads[MAXTHREADS] = {1, 2, 3, 4}, nthreads = 4;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--quick") == 0)
            g_quick = 1;
        else if (strcmp(a, "--kernel") == 0 && has && nkfilter < 64)
            kfilter[nkfilter++] = argv[++i];
        else if (strcmp(a, "--shapes") == 0 && has && nshapes < 64)
            shapes[nshapes++] = argv[++i];
        else if (strcmp(a, "--problem") == 0 && has && nprobarg < 64)
            probs[nprobarg++] = argv[++i];
        else if (strcmp(a, "--threads") == 0 && has) {
            const char *s = argv[++i];
            nthreads = 0;
            while (*s) {
                char *end;
                long t = strtol(s, &end, 10);
                if (end == s || t < 1 || t > 64 || nthreads == MAXTHREADS ||
                    (*end && *end != ','))
                    die("--threads %s: expected a comma-separated list of 1..64 (at most %d)",
                        argv[i], MAXTHREADS);
                threads[nthreads++] = (int)t;
                s = *end ? end + 1 : end;
            }
            if (!nthreads)
                die("--threads '': expected a comma-separated list of 1..64");
        } else {
            usage(stderr);
            die("argument '%s': unknown or missing its value", a);
        }
    }
    collect_kernels();
    for (int i = 0; i < nkfilter; i++)
        if (!find_kernel(kfilter[i])) {
            fprintf(stderr, "spp-check: --kernel %s: unknown; known:", kfilter[i]);
            for (int j = 0; j < g_nkernels; j++)
                fprintf(stderr, " %s", g_kernels[j]->name);
            fprintf(stderr, "\n");
            return 2;
        }

    glob_t gl;
    memset(&gl, 0, sizeof gl);
    if (!nshapes && !nprobarg) {
        if (glob("configs/check/*.shapes", 0, NULL, &gl) != 0 || gl.gl_pathc == 0)
            die("no configs/check/*.shapes here: run from the repository root or pass --shapes");
        for (size_t i = 0; i < gl.gl_pathc && nshapes < 64; i++)
            shapes[nshapes++] = gl.gl_pathv[i];
    }
    for (int i = 0; i < nshapes; i++)
        read_shapes(shapes[i]);
    for (int i = 0; i < nprobarg; i++)
        expand_problem("--problem", "cmdline", probs[i]);

    printf("spp-check: %d kernels, %d problems (%d expansions invalid for their "
           "convention dropped, %d duplicates", g_nkernels, g_nprobs, g_dropped_invalid,
           g_dups);
    if (g_quick)
        printf(", --quick dropped %d larger than %d elements", g_dropped_quick, QUICK_MAX_ELEMS);
    printf("), threads");
    for (int t = 0; t < nthreads; t++)
        printf("%c%d", t ? ',' : ' ', threads[t]);
    printf("\n");
    fflush(stdout);

    struct timespec ts0;
    clock_gettime(CLOCK_MONOTONIC, &ts0);

    long long passed = 0, failed = 0, skipped = 0;
    char **failures = NULL;
    size_t nfailures = 0;
    const int nk = g_nkernels;

    for (int pi = 0; pi < g_nprobs; pi++) {
        const problem_entry *e = &g_probs[pi];
        const spp_problem *p = &e->p;
        spp_plan pl;
        spp_error err;
        if (spp_plan_init(&pl, p, &err) != SPP_OK)
            die("%s: %s", e->str, err.msg);
        const spp_kernel *run[256];
        int nrun = 0;
        for (int ki = 0; ki < nk; ki++) {
            const spp_kernel *k = g_kernels[ki];
            int want = !nkfilter;
            for (int f = 0; f < nkfilter; f++)
                want |= strcmp(kfilter[f], k->name) == 0;
            if (!want)
                continue;
            if (!spp_cpu_supports(k->isa)) {
                printf("SKIP %s %s: needs %s\n", k->name, e->str, spp_isa_name(k->isa));
                skipped++;
            } else if (!spp_kernel_has_layout(k, p->layout)) {
                printf("SKIP %s %s: lacks layout %s\n", k->name, e->str,
                       spp_layout_name(p->layout));
                skipped++;
            } else if (nrun < 256)
                run[nrun++] = k;
        }
        if (!nrun)
            continue;

        const int64_t nx = spp_input_elems(p), ny = spp_output_elems(p);
        bufs B;
        gb_alloc(&B.x, (size_t)nx), gb_alloc(&B.dx, (size_t)nx), gb_alloc(&B.y, (size_t)ny);
        gb_alloc(&B.am, (size_t)ny), gb_alloc(&B.dy, (size_t)ny), gb_alloc(&B.amin, (size_t)ny);
        outs first = {calloc((size_t)ny, 4), calloc((size_t)nx, 4), calloc((size_t)ny, 4)};
        case_res *res = calloc((size_t)nrun * nthreads, sizeof *res);
        if (!first.y || !first.dx || !first.am || !res)
            die("out of memory");
        long long zeros = 0, compared = 0;
        for (int fill = 0; fill < NFILLS; fill++) {
            ref_t R;
            char rerr[320] = "";
            if (make_ref(&R, &pl, fill, str_seed(e->str) + (uint32_t)fill, rerr) != 0) {
                for (int c = 0; c < nrun * nthreads; c++)
                    note(&res[c], "%s: reference: %s", FILL_NAMES[fill], rerr);
                free_ref(&R);
                continue;
            }
            zeros += R.zeros, compared += R.compared;
            for (int ki = 0; ki < nrun; ki++) {
                case_res *rk = &res[ki * nthreads];
                /* the first run: errors go to this kernel's first case */
                run_one(&rk[0], run[ki], &pl, fill, 1, 0, &B, &R, &first, NULL);
                for (int ti = 0; ti < nthreads; ti++)
                    for (int off = 0; off < 2; off++)
                        run_one(&rk[ti], run[ki], &pl, fill, threads[ti], off, &B, &R, NULL,
                                &first);
            }
            free_ref(&R);
        }
        const int untrusted = compared && zeros * 100 > compared * 95;
        for (int ki = 0; ki < nrun; ki++)
            for (int ti = 0; ti < nthreads; ti++) {
                const case_res *r = &res[ki * nthreads + ti];
                char name[256];
                snprintf(name, sizeof name, "%s %s/t%d", run[ki]->name, e->str, threads[ti]);
                if (!r->failed) {
                    passed++;
                    printf("PASS %s %s (%d runs x fwd+bwd)%s\n", name, e->label, r->ran,
                           untrusted ? " WARNING not trusted: >95% of compared outputs are 0"
                                     : "");
                    continue;
                }
                failed++;
                printf("FAIL %s %s: %lld mismatches or failed checks%s\n", name, e->label,
                       r->bad, untrusted ? " (not trusted: >95% zeros)" : "");
                for (int m = 0; m < r->nmsg; m++)
                    printf("    %s\n", r->msg[m]);
                printf("    repro: %s --kernel %s --problem %s --threads %d\n", argv[0],
                       run[ki]->name, e->str, threads[ti]);
                failures = realloc(failures, (nfailures + 1) * sizeof *failures);
                failures[nfailures++] = strdup(name);
            }
        fflush(stdout);
        free(B.x.base), free(B.dx.base), free(B.y.base), free(B.am.base), free(B.dy.base),
            free(B.amin.base);
        free(first.y), free(first.dx), free(first.am), free(res);
    }
    struct timespec ts1;
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    if (nfailures) {
        printf("failed cases:\n");
        for (size_t i = 0; i < nfailures; i++) {
            printf("  %s\n", failures[i]);
            free(failures[i]);
        }
    }
    free(failures);
    printf("time %.1f s\n", (double)(ts1.tv_sec - ts0.tv_sec) + 1e-9 * (ts1.tv_nsec - ts0.tv_nsec));
    printf("%lld passed, %lld failed, %lld skipped\n", passed, failed, skipped);
    globfree(&gl);
    free(g_probs);
    return failed ? 1 : 0;
}
