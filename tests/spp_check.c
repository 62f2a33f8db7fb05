/* spp-check: the C correctness driver (benchdnn style; docs/testing.md#the-c-driver).
 *
 * Every registered kernel but naive is checked against `naive` on the problems of the shape
 * descriptor files configs/check/<name>.shapes (format: see the top of
 * configs/check/edges.shapes); then every region kernel but roi__naive against roi__naive on
 * the maps of the same problems (check_regions.c). A reference is never checked against itself:
 * that proves nothing and would only inflate the count. For each (kernel, problem, thread count)
 * case, four fills are run (check_common.c makes them):
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
 *            also a max run with argmax=NULL (y must not change); a kernel with prepared
 *            state (spp_kernel.prepare) also called directly, without it, on the path the
 *            operation took (y and argmax bitwise the operation's);
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
 * > 95% zeros FAILS ("reference not informative"): a kernel writing zeros would pass it.
 * --plant-zero-reference zeroes every fill, so every case must fail that way (the rule's own
 * test, harness/tests/test_driver_honesty.py).
 *
 * Paths (docs/kernels.md#paths): every run goes through a prepared operation. A kernel is
 * checked on its own path choices at every --threads count, and then once per path it does
 * not choose for the problem but that is valid there (spp_op_force_path), at the first and the
 * last thread count: so every path runs on every shape it can take, whatever its thresholds.
 * Output: one line per case, `PASS|FAIL|SKIP <kernel>[@<forced path>] <problem>/t<threads>
 * <label> [fwd=<path> infer=<path> bwd=<path>] ...`, for a failure the first 5 mismatches with
 * coordinates and a repro command; failed cases again at the end; the cases per (kernel, path)
 * (a path no case ran is marked); last line `N passed, N failed, N skipped`. Exit 1 on any
 * failure, 2 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <glob.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_common.h"

/* ------------------------------------------------------------------ problems ---- */

static problem_entry *g_probs;
static int g_nprobs, g_capprobs, g_dropped_invalid, g_dropped_quick, g_dups;
static int g_quick;

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

static void y_coord(const void *cc, int64_t o, char *buf)
{
    const spp_plan *pl = cc;
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

/* ------------------------------------------------------------------ references -- */

/* The kernels checked: the registry's, then any a test build links in through
 * spp_check_extra_kernels (NULL-terminated; tests/emu512/: the AVX-512 kernels' code on an AVX2
 * emulation of their vector vocabulary, under names of their own). */
const spp_kernel *const *spp_check_extra_kernels(void) __attribute__((weak));
static const spp_kernel *g_kernels[256];
static int g_nkernels;

/* naive is the reference: checking it against itself proves nothing, so it is not a case */
static void collect_kernels(void)
{
    if (!spp_kernel_find("naive"))
        die("no kernel named naive in the registry: it is the reference");
    for (int i = 0; i < spp_kernel_count() && g_nkernels < 256; i++)
        if (strcmp(spp_kernel_at(i)->name, "naive") != 0)
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
    ref_alloc(R, nx, ny);
    int32_t *cnt = calloc((size_t)nx, sizeof(int32_t));
    if (!cnt)
        die("out of memory for references of %lld inputs", (long long)nx);
    make_x(fill, p, seed, R->x);
    make_dy(fill, ny, seed, R->dy);
    const spp_kernel *naive = spp_kernel_find("naive");
    spp_error err;
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
                        R->ytol[o] = avg_tol(count, s, div, finite, R->y[o]);
                    }
        }
    /* max's dx is sparse by construction (only argmax positions), so only avg's counts */
    ref_finish(R, max, nx, ny, cnt);
    free(cnt);
    return 0;
}

typedef struct {
    gbuf x, y, am, dy, amin, dx;
} bufs;

typedef struct {
    float *y, *dx;
    int32_t *am;
} outs; /* a kernel's first run, the determinism baseline */

/* One forward + backward of kernel k with `threads` and pointer offset `off`. baseline != NULL:
 * this is the first run; store its outputs there instead of comparing. */
/* The prepared operation of a case: kernel k with `threads`, path `force` forced (-1: none).
 * NULL with the message in err when creation or the force fails. */
static spp_op *case_op(const spp_kernel *k, const spp_problem *p, int threads, int force,
                       spp_error *err)
{
    spp_op *op = NULL;
    if (spp_op_create(&op, k, p, threads, err) != SPP_OK)
        return NULL;
    if (force >= 0 && spp_op_force_path(op, k->paths[force].name, err) != SPP_OK) {
        spp_op_destroy(op);
        return NULL;
    }
    return op;
}

/* The path each pass of a case takes (NULL for a pass the problem lacks). 0 on success. */
static int case_paths(const spp_kernel *k, const spp_problem *p, int threads, int force,
                      const char *ran[SPP_NPASSES])
{
    spp_error err;
    spp_op *op = case_op(k, p, threads, force, &err);
    for (int s = 0; s < SPP_NPASSES; s++)
        ran[s] = op ? spp_op_path(op, (spp_pass)s) : NULL;
    spp_op_destroy(op);
    return op ? 0 : -1;
}

/* The max backward given an argmax of cells outside their bins: any cell of the plane is valid
 * (docs/spec.md#4-gradients), and dx must still be naive's, bitwise. The forward's argmax,
 * each entry moved by a hash of its index, so most land outside their bins. */
static void check_any_argmax(case_res *r, const char *ctx, spp_op *op, const spp_plan *pl,
                             const ref_t *R)
{
    const spp_problem *p = &pl->p;
    const int64_t nx = spp_input_elems(p), ny = spp_output_elems(p), hw = p->h * p->w;
    int32_t *am = malloc((size_t)ny * sizeof *am);
    float *want = malloc((size_t)nx * sizeof *want), *got = malloc((size_t)nx * sizeof *got);
    if (!am || !want || !got)
        die("out of memory for a backward of %lld inputs", (long long)nx);
    for (int64_t o = 0; o < ny; o++)
        am[o] = (int32_t)(((uint64_t)R->am[o] + (uint64_t)o * 2654435761u) % (uint64_t)hw);
    spp_error err;
    if (spp_backward(spp_kernel_find("naive"), p, R->dy, am, want, 1, &err) != SPP_OK)
        note(r, "%s argmax outside the bins: naive's backward failed: %s", ctx, err.msg);
    else if (spp_op_backward(op, R->dy, am, got, &err) != SPP_OK)
        note(r, "%s argmax outside the bins: backward failed: %s", ctx, err.msg);
    else
        for (int64_t i = 0; i < nx; i++)
            if (memcmp(got + i, want + i, 4) != 0) {
                char c[96], a[48], b[48];
                x_coord(p, i, c);
                note(r, "%s argmax outside the bins: dx %s is %s, naive gave %s", ctx, c,
                     fstr(got[i], a), fstr(want[i], b));
            }
    free(am);
    free(want);
    free(got);
}

static void run_one(case_res *r, const spp_kernel *k, int force, const spp_plan *pl, int fill,
                    int threads, int off, bufs *B, const ref_t *R, outs *baseline,
                    const outs *first)
{
    const spp_problem *p = &pl->p;
    const int max = p->pool == SPP_POOL_MAX;
    const int64_t nx = spp_input_elems(p), ny = spp_output_elems(p);
    char ctx[96];
    snprintf(ctx, sizeof ctx, "%s t%d %s%s", FILL_NAMES[fill], threads,
             off ? "+4B" : "aligned", baseline ? " (first run)" : "");
    spp_error err;
    r->ran++;
    spp_op *op = case_op(k, p, threads, force, &err);
    if (!op) {
        note(r, "%s: creating the operation failed: %s", ctx, err.msg);
        return;
    }

    float *x = gb_arm(&B->x, off, R->x);
    float *y = gb_arm(&B->y, off, NULL);
    int32_t *am = max ? gb_arm(&B->am, off, NULL) : NULL;
    spp_status st = spp_op_forward(op, x, y, am, &err);
    if (st != SPP_OK) {
        spp_op_destroy(op);
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
        cmp_y(r, ctx, max, R, y, am, ny, y_coord, pl);
        cmp_bits(r, ctx, "y", p, 0, y_coord, pl, y, first->y, ny);
        if (max)
            cmp_bits(r, ctx, "argmax", p, 0, y_coord, pl, am, first->am, ny);
    }

    if (max && !off && !baseline) { /* argmax is optional: y must be the same without it */
        char ctx2[128];
        snprintf(ctx2, sizeof ctx2, "%s argmax=NULL", ctx);
        y = gb_arm(&B->y, 0, NULL);
        st = spp_op_forward(op, x, y, NULL, &err);
        if (st != SPP_OK)
            note(r, "%s: forward returned '%s': %s", ctx2, spp_status_name(st), err.msg);
        else {
            check_guards(r, ctx2, "y", &B->y);
            cmp_y(r, ctx2, max, R, y, NULL, ny, y_coord, pl);
        }
    }

    if (k->state_size && !off && !baseline) { /* the kernel called directly: no prepared state */
        char ctx3[128];
        snprintf(ctx3, sizeof ctx3, "%s direct call (no state)", ctx);
        const int path = spp_kernel_path_find(k, spp_op_path(op, spp_forward_pass(p, am)));
        const size_t wb = k->workspace_size ? k->workspace_size(pl, threads, path) : 0;
        void *ws = wb ? spp_alloc(wb) : NULL;
        const spp_exec ex = {.threads = threads, .workspace = ws, .path = 1 + path};
        y = gb_arm(&B->y, 0, NULL);
        am = max ? gb_arm(&B->am, 0, NULL) : NULL;
        st = wb && !ws ? SPP_ERR_NOMEM : k->forward(pl, x, y, am, &ex);
        spp_free(ws);
        if (st != SPP_OK)
            note(r, "%s: forward returned '%s'", ctx3, spp_status_name(st));
        else {
            check_guards(r, ctx3, "y", &B->y);
            cmp_bits(r, ctx3, "y", p, 0, y_coord, pl, y, first->y, ny);
            if (max) {
                check_guards(r, ctx3, "argmax", &B->am);
                cmp_bits(r, ctx3, "argmax", p, 0, y_coord, pl, am, first->am, ny);
            }
        }
    }

    /* backward from naive's argmax, so dx is compared on equal terms */
    float *dy = gb_arm(&B->dy, off, R->dy);
    int32_t *amin = max ? gb_arm(&B->amin, off, R->am) : NULL;
    float *dx = gb_arm(&B->dx, off, NULL);
    st = spp_op_backward(op, dy, amin, dx, &err);
    if (st == SPP_OK && max && !off && !baseline)
        check_any_argmax(r, ctx, op, pl, R);
    spp_op_destroy(op);
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
        cmp_bits(r, ctx, "dx", p, 1, y_coord, pl, dx, first->dx, nx);
    }
}

/* ------------------------------------------------------------------ variants ---- */

/* A case family: kernel k on its own choices (force -1) or with path `force` forced. */
typedef struct {
    const spp_kernel *k;
    int force;
} variant;

/* Appends k's variants for p: its own choices (unless --path), then every path that is valid
 * for p and changes what some pass runs at a forced case's thread counts (a path the kernel
 * already takes is checked by the first variant). Returns the new count. */
static int add_variants(variant *run, int nrun, const spp_kernel *k, const spp_problem *p,
                        const run_opts *o)
{
    if (!o->path && nrun < 1024)
        run[nrun++] = (variant){k, -1};
    if (o->chosen_only)
        return nrun;
    for (int i = 0; i < k->npaths && nrun < 1024; i++) {
        path_tally_declare(k->name, k->paths[i].name);
        if (o->path && strcmp(o->path, k->paths[i].name) != 0)
            continue;
        int valid = 1, differs = 0;
        for (int ti = 0; ti < o->nthreads && valid; ti++) {
            if (!forced_thread(o, ti))
                continue;
            const char *own[SPP_NPASSES], *forced[SPP_NPASSES];
            valid = case_paths(k, p, o->threads[ti], i, forced) == 0;
            if (valid && case_paths(k, p, o->threads[ti], -1, own) == 0)
                for (int s = 0; s < SPP_NPASSES; s++)
                    differs |= own[s] != forced[s];
        }
        /* with --path, run it even where the kernel chooses it anyway */
        if (valid && (differs || o->path))
            run[nrun++] = (variant){k, i};
    }
    return nrun;
}

/* ------------------------------------------------------------------ main -------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: spp-check [--kernel NAME]... [--shapes FILE]... [--problem STR]...\n"
            "                 [--threads 1,2,3,4] [--quick] [--plant-zero-reference]\n"
            "                 [--path NAME | --chosen-paths]\n"
            "Checks every registered kernel against naive and every region kernel against\n"
            "roi__naive (see tests/spp_check.c, tests/check_regions.c).\n"
            "  --kernel NAME   only this kernel or region kernel (repeatable)\n"
            "  --shapes FILE   a shapes file (repeatable; default configs/check/*.shapes)\n"
            "  --problem STR   one problem string, `*` allowed for pool/bins/layout (repeatable);\n"
            "                  region kernels run on its map (N dropped)\n"
            "  --threads LIST  thread counts checked, each vs the reference and bitwise vs 1 thread\n"
            "  --quick         drop problems with more than %d input elements\n"
            "  --path NAME     only the cases forcing this path of the --kernel (every shape\n"
            "                  where it is valid, even where the kernel chooses it itself)\n"
            "  --chosen-paths  only the kernels' own path choices, no forced cases\n"
            "  --plant-zero-reference  self-test: every fill all zeros, so every reference is\n"
            "                  all zeros and every case must FAIL as not informative\n",
            QUICK_MAX_ELEMS);
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
    const char *path = NULL;
    int chosen_only = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--quick") == 0)
            g_quick = 1;
        else if (strcmp(a, "--plant-zero-reference") == 0)
            g_plant_zero = 1;
        else if (strcmp(a, "--chosen-paths") == 0)
            chosen_only = 1;
        else if (strcmp(a, "--path") == 0 && has)
            path = argv[++i];
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
    for (int i = 0; i < nkfilter; i++) {
        if (strcmp(kfilter[i], "naive") == 0 || strcmp(kfilter[i], "roi__naive") == 0)
            die("--kernel %s: it is the reference, not checked against itself", kfilter[i]);
        if (!find_kernel(kfilter[i]) && !region_kernel_known(kfilter[i])) {
            fprintf(stderr, "spp-check: --kernel %s: unknown; known:", kfilter[i]);
            for (int j = 0; j < g_nkernels; j++)
                fprintf(stderr, " %s", g_kernels[j]->name);
            for (int j = 1; j < spp_region_kernel_count(); j++)
                fprintf(stderr, " %s", spp_region_kernel_at(j)->name);
            fprintf(stderr, "\n");
            return 2;
        }
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

    printf("spp-check: %d kernels against naive, %d region kernels against roi__naive, "
           "%d problems (%d expansions invalid for their convention dropped, %d duplicates",
           g_nkernels, region_kernels_checked(), g_nprobs, g_dropped_invalid, g_dups);
    if (g_quick)
        printf(", --quick dropped %d larger than %d elements", g_dropped_quick, QUICK_MAX_ELEMS);
    printf("), threads");
    for (int t = 0; t < nthreads; t++)
        printf("%c%d", t ? ',' : ' ', threads[t]);
    printf("%s\n", g_plant_zero ? "; --plant-zero-reference: every case must FAIL" : "");
    fflush(stdout);

    struct timespec ts0;
    clock_gettime(CLOCK_MONOTONIC, &ts0);

    if (path && chosen_only)
        die("--path %s with --chosen-paths: the first forces a path, the second none", path);
    if (path && !nkfilter)
        die("--path %s: name the kernel too (--kernel NAME): path names are per kernel", path);
    const run_opts opts = {kfilter, nkfilter, threads, nthreads, argv[0], path, chosen_only};
    tally T = {0, 0, 0, NULL, 0};
    const int nk = g_nkernels;

    for (int pi = 0; pi < g_nprobs; pi++) {
        const problem_entry *e = &g_probs[pi];
        const spp_problem *p = &e->p;
        spp_plan pl;
        spp_error err;
        if (spp_plan_init(&pl, p, &err) != SPP_OK)
            die("%s: %s", e->str, err.msg);
        variant run[1024];
        int nrun = 0;
        for (int ki = 0; ki < nk; ki++) {
            const spp_kernel *k = g_kernels[ki];
            if (!kernel_wanted(&opts, k->name))
                continue;
            if (!spp_cpu_supports(k->isa)) {
                printf("SKIP %s %s: needs %s\n", k->name, e->str, spp_isa_name(k->isa));
                T.skipped++;
            } else if (!spp_kernel_has_layout(k, p->layout)) {
                printf("SKIP %s %s: lacks layout %s\n", k->name, e->str,
                       spp_layout_name(p->layout));
                T.skipped++;
            } else
                nrun = add_variants(run, nrun, k, p, &opts);
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
        for (int fill = 0; fill < NFILLS_MAP; fill++) {
            ref_t R;
            char rerr[320] = "";
            if (make_ref(&R, &pl, fill, str_seed(e->str) + (uint32_t)fill, rerr) != 0) {
                for (int c = 0; c < nrun * nthreads; c++)
                    note(&res[c], "%s: reference: %s", FILL_NAMES[fill], rerr);
                free_ref(&R);
                continue;
            }
            zeros += R.zeros, compared += R.compared;
            for (int vi = 0; vi < nrun; vi++) {
                const variant *v = &run[vi];
                case_res *rk = &res[vi * nthreads];
                /* the first run: errors go to this variant's first case */
                run_one(&rk[0], v->k, v->force, &pl, fill, 1, 0, &B, &R, &first, NULL);
                for (int ti = 0; ti < nthreads; ti++)
                    if (v->force < 0 || forced_thread(&opts, ti))
                        for (int off = 0; off < 2; off++)
                            run_one(&rk[ti], v->k, v->force, &pl, fill, threads[ti], off, &B,
                                    &R, NULL, &first);
            }
            free_ref(&R);
        }
        for (int vi = 0; vi < nrun; vi++) {
            const variant *v = &run[vi];
            for (int ti = 0; ti < nthreads; ti++) {
                if (v->force >= 0 && !forced_thread(&opts, ti))
                    continue;
                case_res *r = &res[vi * nthreads + ti];
                check_informative(r, zeros, compared);
                const char *ran[SPP_NPASSES];
                if (case_paths(v->k, p, threads[ti], v->force, ran) != 0)
                    note(r, "t%d: the operation's paths cannot be named", threads[ti]);
                char what[64];
                snprintf(what, sizeof what, "%d runs x fwd+bwd", r->ran);
                report_case(&T, argv[0], v->k->name, v->force >= 0 ? v->k->paths[v->force].name
                                                                    : NULL,
                            ran, SPP_NPASSES, e->str, threads[ti], e->label, what, r);
            }
        }
        fflush(stdout);
        free(B.x.base), free(B.dx.base), free(B.y.base), free(B.am.base), free(B.dy.base),
            free(B.amin.base);
        free(first.y), free(first.dx), free(first.am), free(res);
    }
    check_regions(g_probs, g_nprobs, &opts, &T);

    struct timespec ts1;
    clock_gettime(CLOCK_MONOTONIC, &ts1);
    if (T.nfailures) {
        printf("failed cases:\n");
        for (size_t i = 0; i < T.nfailures; i++) {
            printf("  %s\n", T.failures[i]);
            free(T.failures[i]);
        }
    }
    free(T.failures);
    path_tally_print();
    printf("time %.1f s\n", (double)(ts1.tv_sec - ts0.tv_sec) + 1e-9 * (ts1.tv_nsec - ts0.tv_nsec));
    printf("%lld passed, %lld failed, %lld skipped\n", T.passed, T.failed, T.skipped);
    globfree(&gl);
    free(g_probs);
    return T.failed ? 1 : 0;
}
