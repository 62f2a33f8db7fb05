/* spp-check's shared parts: see check_common.h. */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include "check_common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const FILL_NAMES[NFILLS_REGION] = {"ints", "distinct", "special", "onenan",
                                               "neginf"};
int g_plant_zero;

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "spp-check: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

/* ------------------------------------------------------------------ buffers ----- */

void gb_alloc(gbuf *g, size_t n)
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

void *gb_arm(gbuf *g, int off, const void *src)
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

void *gb_data(const gbuf *g) { return g->base + GUARD + g->off; }

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

void note(case_res *r, const char *fmt, ...)
{
    r->failed = 1;
    if (r->bad++ < MAXMSG) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->msg[r->nmsg++], sizeof r->msg[0], fmt, ap);
        va_end(ap);
    }
}

uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

float from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

const char *fstr(float f, char *buf)
{
    if (f != f)
        sprintf(buf, "nan(0x%08x)%s", (unsigned)fbits(f),
                fbits(f) == GARBAGE ? "=unwritten" : "");
    else
        sprintf(buf, "%.9g", (double)f);
    return buf;
}

uint32_t mix(uint64_t i, uint32_t seed)
{
    uint64_t z = (i + seed) * 0x9E3779B97F4A7C15ull;
    z ^= z >> 31;
    z *= 0xBF58476D1CE4E5B9ull;
    z ^= z >> 29;
    return (uint32_t)(z >> 32);
}

uint32_t str_seed(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

int64_t xi(const spp_problem *p, int64_t b, int64_t c, int64_t h, int64_t w)
{
    return p->layout == SPP_LAYOUT_NCHW ? ((b * p->c + c) * p->h + h) * p->w + w
                                        : ((b * p->h + h) * p->w + w) * p->c + c;
}

void x_coord(const spp_problem *p, int64_t i, char *buf)
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

/* ------------------------------------------------------------------ fills ------- */

void make_x(int fill, const spp_problem *p, uint32_t seed, float *x)
{
    const int64_t nx = spp_input_elems(p);
    if (g_plant_zero) {
        memset(x, 0, (size_t)nx * 4);
        return;
    }
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
        } else if (fill == 2) {
            const unsigned r = (h >> 8) & 63;
            v = (float)((int)(h % 9) - 4);
            if (r < 4)
                v = -INFINITY;
            else if (r < 6) /* quiet NaN, distinct payload, either sign */
                v = from_bits(((h >> 16) & 1 ? 0xffc00000u : 0x7fc00000u) |
                              ((uint32_t)i * 2654435761u & 0x3fffffu));
            else if (r == 6)
                v = INFINITY;
        } else {
            /* neginf: -inf in a quarter of the cells and small integers with +0.0 zeros, no
             * NaN and no -0.0: the map a region kernel's values-only max path takes (it runs
             * only on NaN-free maps and skips its zero rescan without -0.0) */
            const int k = (int)(h % 6) - 2;
            v = ((h >> 8) & 3) == 0 ? -INFINITY : k > 0 ? (float)k : 0.0f;
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
    if ((fill == 2 || fill == 4) && p->c > 1) /* sample 0, channel 1: an all -inf plane */
        for (int64_t h = 0; h < p->h; h++)
            for (int64_t w = 0; w < p->w; w++)
                x[xi(p, 0, 1, h, w)] = -INFINITY;
}

void make_dy(int fill, int64_t ny, uint32_t seed, float *dy)
{
    for (int64_t i = 0; i < ny; i++) {
        const uint32_t h = mix((uint64_t)i, seed ^ 0x5555u);
        dy[i] = g_plant_zero ? 0.0f
                : fill == 1  ? (float)(h & 4095) * (1.0f / 128) - 16.0f /* non-integer */
                             : (float)((int)(h % 7) - 3);
    }
}

/* ------------------------------------------------------------------ references -- */

void ref_alloc(ref_t *R, int64_t nx, int64_t ny)
{
    memset(R, 0, sizeof *R);
    R->x = malloc((size_t)nx * 4);
    R->dx = malloc((size_t)nx * 4);
    R->dy = malloc((size_t)ny * 4);
    R->y = malloc((size_t)ny * 4);
    R->am = malloc((size_t)ny * 4);
    R->ytol = calloc((size_t)ny, sizeof(double));
    R->dxtol = calloc((size_t)nx, sizeof(double));
    if (!R->x || !R->dx || !R->dy || !R->y || !R->am || !R->ytol || !R->dxtol)
        die("out of memory for references of %lld inputs", (long long)nx);
}

void free_ref(ref_t *R)
{
    free(R->x), free(R->dx), free(R->dy), free(R->y), free(R->am), free(R->ytol),
        free(R->dxtol);
}

/* Two float summations of the same k terms in different orders differ by at most
 * 2*(k-1)*2^-24*sum|terms|, plus one rounding of dy/divisor per term for avg; with k <= 16
 * (4 overlapping bins x a few levels) that is the 1e-6 relative bound. */
void ref_finish(ref_t *R, int max, int64_t nx, int64_t ny, const int32_t *cnt)
{
    for (int64_t k = 0; k < nx; k++) {
        const double rel = 2.0 * (cnt[k] + 2) * U;
        R->dxtol[k] = (rel > 1e-6 ? rel : 1e-6) * R->dxtol[k];
        R->zeros += !max && R->dx[k] == 0.0f;
    }
    for (int64_t o = 0; o < ny; o++)
        R->zeros += R->y[o] == 0.0f;
    R->compared = (max ? 0 : nx) + ny;
}

double avg_tol(double count, double sumabs, double div, int finite, float ref)
{
    return finite ? 4 * count * U * sumabs / div + U * fabs((double)ref) : NAN;
}

/* ------------------------------------------------------------------ comparisons - */

void check_guards(case_res *r, const char *ctx, const char *name, const gbuf *g)
{
    long long first = 0;
    size_t bad = gb_damage(g, &first);
    if (bad)
        note(r, "%s: %zu guard element(s) around %s overwritten, first at offset %lld", ctx, bad,
             name, first);
}

void check_unchanged(case_res *r, const char *ctx, const char *name, const gbuf *g,
                     const void *orig)
{
    if (memcmp(gb_data(g), orig, g->n * 4) != 0)
        note(r, "%s: input %s was modified", ctx, name);
}

void cmp_y(case_res *r, const char *ctx, int max, const ref_t *R, const float *y,
           const int32_t *am, int64_t ny, coord_fn coord, const void *cc)
{
    char c[96], a[48], b[48];
    for (int64_t o = 0; o < ny; o++) {
        const float e = R->y[o], g = y[o];
        int ok;
        if (max)
            ok = fbits(e) == fbits(g);
        else if (e != e)
            ok = g != g && fbits(g) != GARBAGE;
        else if (isnan(R->ytol[o]) || isinf(e))
            ok = g == e;
        else
            ok = fabs((double)g - (double)e) <= R->ytol[o];
        if (!ok) {
            coord(cc, o, c);
            note(r, "%s y %s expected %s got %s", ctx, c, fstr(e, a), fstr(g, b));
        }
        if (am && am[o] != R->am[o]) {
            coord(cc, o, c);
            note(r, "%s argmax %s expected %d got %d", ctx, c, (int)R->am[o], (int)am[o]);
        }
    }
}

void cmp_dx(case_res *r, const char *ctx, const spp_problem *p, const ref_t *R,
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

void cmp_bits(case_res *r, const char *ctx, const char *what, const spp_problem *p, int is_x,
              coord_fn coord, const void *cc, const void *got, const void *base, int64_t n)
{
    const uint32_t *g = got, *e = base;
    char c[96], a[48], b[48];
    for (int64_t i = 0; i < n; i++)
        if (g[i] != e[i]) {
            if (is_x)
                x_coord(p, i, c);
            else
                coord(cc, i, c);
            if (strcmp(what, "argmax") == 0)
                note(r, "%s determinism: argmax %s is %d, first run (t1, aligned) gave %d", ctx,
                     c, (int)g[i], (int)e[i]);
            else
                note(r, "%s determinism: %s %s is %s, first run (t1, aligned) gave %s", ctx,
                     what, c, fstr(from_bits(g[i]), a), fstr(from_bits(e[i]), b));
        }
}

void check_informative(case_res *r, long long zeros, long long compared)
{
    if (compared && zeros * 100 > compared * ZERO_PERCENT_MAX)
        note(r, "reference not informative: %.1f%% of the %lld reference outputs compared are 0 "
                "(more than %d%%: a kernel writing zeros would pass); give the case a fill "
                "that is not mostly zero",
             100.0 * (double)zeros / (double)compared, compared, ZERO_PERCENT_MAX);
}

/* (kernel, path) counters of path_tally_* */
typedef struct {
    char kernel[64], path[48];
    long long passed, failed;
} path_count;
static path_count *g_pc;
static size_t g_npc;

static path_count *pc_find(const char *kernel, const char *path)
{
    for (size_t i = 0; i < g_npc; i++)
        if (strcmp(g_pc[i].kernel, kernel) == 0 && strcmp(g_pc[i].path, path) == 0)
            return &g_pc[i];
    g_pc = realloc(g_pc, (g_npc + 1) * sizeof *g_pc);
    if (!g_pc)
        die("out of memory");
    path_count *c = &g_pc[g_npc++];
    memset(c, 0, sizeof *c);
    snprintf(c->kernel, sizeof c->kernel, "%s", kernel);
    snprintf(c->path, sizeof c->path, "%s", path);
    return c;
}

void path_tally_declare(const char *kernel, const char *path) { pc_find(kernel, path); }

void path_tally_print(void)
{
    if (!g_npc)
        return;
    printf("cases per (kernel, path): a case counts for every path one of its passes took\n");
    for (size_t i = 0; i < g_npc; i++)
        printf("  %-28s %-22s %6lld passed %4lld failed%s\n", g_pc[i].kernel, g_pc[i].path,
               g_pc[i].passed, g_pc[i].failed,
               g_pc[i].passed + g_pc[i].failed ? "" : "   (no case ran it)");
    free(g_pc);
    g_pc = NULL;
    g_npc = 0;
}

int forced_thread(const run_opts *o, int ti) { return ti == 0 || ti == o->nthreads - 1; }

void report_case(tally *t, const char *argv0, const char *kernel, const char *forced,
                 const char *const *ran, int nran, const char *problem, int threads,
                 const char *label, const char *what, const case_res *r)
{
    static const char *const PASS_SHORT[SPP_NPASSES] = {"fwd", "infer", "bwd"};
    char name[256], paths[160] = "";
    snprintf(name, sizeof name, "%s%s%s %s/t%d", kernel, forced ? "@" : "", forced ? forced : "",
             problem, threads);
    /* per pass, its distinct paths joined by '|' */
    size_t len = 0;
    for (int s = 0; s < SPP_NPASSES; s++)
        for (int i = s, first = 1; i < nran; i += SPP_NPASSES) {
            int dup = !ran[i];
            for (int q = s; q < i && !dup; q += SPP_NPASSES)
                dup = ran[q] && strcmp(ran[q], ran[i]) == 0;
            if (dup || len >= sizeof paths)
                continue;
            len += (size_t)snprintf(paths + len, sizeof paths - len, "%s%s%s",
                                    first ? (len ? " " : "") : "|", first ? PASS_SHORT[s] : "",
                                    first ? "=" : "");
            if (len < sizeof paths)
                len += (size_t)snprintf(paths + len, sizeof paths - len, "%s", ran[i]);
            first = 0;
        }
    /* one count per distinct path of the case */
    for (int i = 0; i < nran; i++) {
        int dup = !ran[i];
        for (int q = 0; q < i && !dup; q++)
            dup = ran[q] && strcmp(ran[q], ran[i]) == 0;
        if (!dup) {
            path_count *c = pc_find(kernel, ran[i]);
            if (r->failed)
                c->failed++;
            else
                c->passed++;
        }
    }
    if (!r->failed) {
        t->passed++;
        printf("PASS %s %s [%s] (%s)\n", name, label, paths, what);
        return;
    }
    t->failed++;
    printf("FAIL %s %s [%s]: %lld mismatches or failed checks\n", name, label, paths, r->bad);
    for (int m = 0; m < r->nmsg; m++)
        printf("    %s\n", r->msg[m]);
    printf("    repro: %s --kernel %s%s%s --problem %s --threads %d%s\n", argv0, kernel,
           forced ? " --path " : "", forced ? forced : "", problem, threads,
           g_plant_zero ? " --plant-zero-reference" : "");
    t->failures = realloc(t->failures, (t->nfailures + 1) * sizeof *t->failures);
    if (!t->failures)
        die("out of memory");
    t->failures[t->nfailures++] = strdup(name);
}

int kernel_wanted(const run_opts *o, const char *name)
{
    int want = !o->nkfilter;
    for (int f = 0; f < o->nkfilter; f++)
        want |= strcmp(o->kfilter[f], name) == 0;
    return want;
}
