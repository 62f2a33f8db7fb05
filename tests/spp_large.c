/* spp-large: tensors of more than 2^31 elements (docs/spec.md#6-validation); `make test-large`.
 *
 * Problem: N=1, C=8,388,609 (2^23 + 1), H=W=16, levels {4,2,1}, adaptive: 2,147,483,904 input
 * elements (8.6 GB of float32). With C = 2^23 + 1, only the last channel's NCHW offsets
 * (c*256 + hw) and only the last plane position's NHWC offsets (hw*C + c) pass 2^31 - 1, so
 * every output and every gradient element is verified, not a sample.
 *
 * The input is a formula, so the expected outputs are known without running naive on it:
 *   x[c,h,w] = 64*(c mod 1021) + P_{c mod 7}[h*16+w]
 * where P_0..P_6 are seven fixed 16x16 planes of small integers 0..63 (ties frequent). The
 * 7 x 21 pooled results of the planes (max, first argmax, sum) are computed once from the plan;
 * a channel's expected output is its base plus its plane's result. An index that wraps at 2^31
 * (channel 2^23 read as channel 0) reads a different (base, plane) pair: 2^23 mod 1021 != 0.
 *
 * Per layout (one at a time), for every runnable kernel: forward max (y bitwise, argmax exact),
 * forward avg (the bound of docs/spec.md#3-max-and-avg), then backward max and avg into the same
 * 8.6 GB buffer (x is no longer needed): dy[c,k] = (1 + c mod 5) * (1 + k mod 3) for the
 * channel's k-th bin; the expected dx is (1 + c mod 5) times a per-plane table (exact small
 * integers for max; for avg within 1e-6 relative, the driver's bound). Peak memory about
 * 10.7 GB; the test checks MemAvailable first and says SKIP (exit 0) when it does not fit.
 *
 * Flags: --c C (smaller C to try the test quickly), --kernel NAME, --threads T (default 2),
 * --layout nchw|nhwc.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spp.h"

#define HW 16
#define PLANE (HW * HW)
#define NPAT 7
#define NBINS 21 /* 16 + 4 + 1 */
#define U (1.0 / 16777216.0)

static int PAT[NPAT][PLANE];
static double EXP_MAX[NPAT][NBINS], EXP_SUM[NPAT][NBINS], EXP_CNT[NBINS], EXP_DIV[NBINS];
static int EXP_ARG[NPAT][NBINS];
static double DX_MAX[NPAT][PLANE]; /* sum of (1 + k mod 3) over bins k whose argmax is pos */
static double DX_AVG[PLANE];       /* sum of (1 + k mod 3) / div over bins k containing pos */

static double base_of(int64_t c) { return 64.0 * (double)(c % 1021); }
static float dy_of(int64_t c, int k) { return (float)((1 + c % 5) * (1 + k % 3)); }

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The tables: every bin of every plane, from the plan (the one source of boundaries). */
static void build_tables(const spp_plan *pl)
{
    for (int p = 0; p < NPAT; p++)
        for (int i = 0; i < PLANE; i++) {
            uint64_t z = (uint64_t)(p * PLANE + i + 1) * 0x9E3779B97F4A7C15ull;
            z ^= z >> 29;
            PAT[p][i] = (int)((z * 0xBF58476D1CE4E5B9ull) >> 58); /* 0..63 */
        }
    int k = 0;
    for (int l = 0; l < pl->p.nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        for (int i = 0; i < lv->n; i++)
            for (int j = 0; j < lv->n; j++, k++) {
                const spp_interval r = lv->rows[i], q = lv->cols[j];
                EXP_CNT[k] = (double)((r.end - r.start) * (q.end - q.start));
                EXP_DIV[k] = (double)(r.div * q.div);
                for (int p = 0; p < NPAT; p++) {
                    int best = -1, arg = -1;
                    double sum = 0;
                    for (int64_t h = r.start; h < r.end; h++)
                        for (int64_t w = q.start; w < q.end; w++) {
                            const int v = PAT[p][h * HW + w];
                            sum += v;
                            if (v > best) /* strict: the first maximum wins */
                                best = v, arg = (int)(h * HW + w);
                        }
                    EXP_MAX[p][k] = best, EXP_ARG[p][k] = arg, EXP_SUM[p][k] = sum;
                    DX_MAX[p][arg] += 1 + k % 3;
                }
                for (int64_t h = r.start; h < r.end; h++)
                    for (int64_t w = q.start; w < q.end; w++)
                        DX_AVG[h * HW + w] += (1 + k % 3) / EXP_DIV[k];
            }
    }
}

/* Output index o of channel c, channel-bin k (level order 4, 2, 1). */
static int64_t out_index(const spp_plan *pl, int64_t c, int k, int *level, int *i, int *j)
{
    int l = 0, kk = k;
    while (kk >= pl->lv[l].n * pl->lv[l].n)
        kk -= pl->lv[l].n * pl->lv[l].n, l++;
    const int n = pl->lv[l].n;
    *level = l, *i = kk / n, *j = kk % n;
    return pl->lv[l].out_offset + c * n * n + kk;
}

static int64_t x_index(spp_layout lay, int64_t C, int64_t c, int pos)
{
    return lay == SPP_LAYOUT_NCHW ? c * PLANE + pos : (int64_t)pos * C + c;
}

static void fill_x(float *x, int64_t C, spp_layout lay)
{
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < C; c++) {
        const double b = base_of(c);
        const int *pat = PAT[c % NPAT];
        for (int pos = 0; pos < PLANE; pos++)
            x[x_index(lay, C, c, pos)] = (float)(b + pat[pos]);
    }
}

static long long check_forward(const spp_plan *pl, const float *y, const int32_t *am, int max)
{
    const int64_t C = pl->p.c;
    long long bad = 0;
    for (int64_t c = 0; c < C; c++) {
        const int p = (int)(c % NPAT);
        const double b = base_of(c);
        for (int k = 0; k < NBINS; k++) {
            int l, i, j;
            const int64_t o = out_index(pl, c, k, &l, &i, &j);
            if (max) {
                const float e = (float)(b + EXP_MAX[p][k]);
                if ((y[o] != e || am[o] != EXP_ARG[p][k]) && bad++ < 5)
                    printf("    [0,%lld,%d,%d,%d] expected %.9g argmax %d, got %.9g argmax %d\n",
                           (long long)c, l, i, j, (double)e, EXP_ARG[p][k], (double)y[o],
                           (int)am[o]);
            } else {
                const double sum = EXP_CNT[k] * b + EXP_SUM[p][k];
                const double e = sum / EXP_DIV[k];
                const double tol = 4 * EXP_CNT[k] * U * sum / EXP_DIV[k];
                if (!(fabs((double)y[o] - e) <= tol) && bad++ < 5)
                    printf("    [0,%lld,%d,%d,%d] expected %.9g got %.9g\n", (long long)c, l, i,
                           j, e, (double)y[o]);
            }
        }
    }
    return bad;
}

static long long check_backward(const spp_plan *pl, const float *dx, int max)
{
    const int64_t C = pl->p.c;
    long long bad = 0;
    int shown = 0;
    for (int64_t c = 0; c < C; c++) {
        const int p = (int)(c % NPAT);
        const double s = (double)(1 + c % 5);
        for (int pos = 0; pos < PLANE; pos++) {
            const double e = s * (max ? DX_MAX[p][pos] : DX_AVG[pos]);
            const double g = dx[x_index(pl->p.layout, C, c, pos)];
            if (!(fabs(g - e) <= 1e-6 * e)) {
                if (shown++ < 5)
                    printf("    dx [0,%lld,%d,%d] expected %.9g got %.9g\n", (long long)c,
                           pos / HW, pos % HW, e, g);
                bad++;
            }
        }
    }
    return bad;
}

static double mem_available_gib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    double kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib / (1024.0 * 1024.0);
}

int main(int argc, char **argv)
{
    int64_t C = 8388609;
    int threads = 2;
    const char *kname = NULL, *layout_only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--c") == 0 && i + 1 < argc)
            C = strtoll(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc)
            kname = argv[++i];
        else if (strcmp(argv[i], "--layout") == 0 && i + 1 < argc)
            layout_only = argv[++i];
        else {
            fprintf(stderr,
                    "spp-large: argument '%s': expected --c C, --threads T, --kernel NAME, "
                    "--layout nchw|nhwc\n",
                    argv[i]);
            return 2;
        }
    }
    if (C < 1 || threads < 1 || (kname && !spp_kernel_find(kname))) {
        fprintf(stderr, "spp-large: --c must be >= 1, --threads >= 1, --kernel a registered "
                        "name\n");
        return 2;
    }
    const double need = ((double)C * PLANE * 4 + 3.0 * C * NBINS * 4) / (1 << 30);
    const double avail = mem_available_gib();
    printf("spp-large: C=%lld, %lld input elements (2^31 = 2147483648), needs %.1f GiB, "
           "MemAvailable %.1f GiB\n",
           (long long)C, (long long)C * PLANE, need, avail);
    if (avail >= 0 && avail < need + 1.0) {
        printf("SKIP spp-large: needs %.1f GiB + 1 GiB headroom, MemAvailable is %.1f GiB\n",
               need, avail);
        printf("0 passed, 0 failed, 1 skipped\n");
        return 0;
    }

    long long passed = 0, failed = 0, skipped = 0;
    const size_t nx = (size_t)C * PLANE, ny = (size_t)C * NBINS;
    float *x = malloc(nx * sizeof *x);
    float *y = malloc(ny * sizeof *y);
    int32_t *am = malloc(ny * sizeof *am);
    float *dy = malloc(ny * sizeof *dy);
    if (!x || !y || !am || !dy) {
        printf("SKIP spp-large: allocation of %.1f GiB failed\n", need);
        printf("0 passed, 0 failed, 1 skipped\n");
        return 0;
    }
    int tables_built = 0;
    for (int lay = 0; lay < 2; lay++) {
        if (layout_only && strcmp(layout_only, spp_layout_name((spp_layout)lay)) != 0)
            continue;
        spp_problem pm = {.n = 1, .c = C, .h = HW, .w = HW, .nlevels = 3, .levels = {4, 2, 1},
                          .pool = SPP_POOL_MAX, .bins = SPP_BINS_ADAPTIVE,
                          .layout = (spp_layout)lay};
        spp_problem pa = pm;
        pa.pool = SPP_POOL_AVG;
        spp_plan pl;
        spp_error err;
        if (spp_plan_init(&pl, &pm, &err) != SPP_OK) {
            printf("FAIL plan: %s\n", err.msg);
            return 1;
        }
        if (!tables_built++)
            build_tables(&pl);
        for (int64_t c = 0; c < C; c++)
            for (int k = 0; k < NBINS; k++) {
                int l, i, j;
                dy[out_index(&pl, c, k, &l, &i, &j)] = dy_of(c, k);
            }
        /* forwards of every kernel on one fill, then backwards into x's memory */
        for (int dir = 0; dir < 2; dir++) {
            if (dir == 0) {
                const double t = now();
                fill_x(x, C, (spp_layout)lay);
                printf("fill %s: %.1f s\n", spp_layout_name((spp_layout)lay), now() - t);
            }
            for (int ki = 0; ki < spp_kernel_count(); ki++) {
                const spp_kernel *k = spp_kernel_at(ki);
                if (kname && strcmp(kname, k->name) != 0)
                    continue;
                char name[160];
                spp_problem_format(&pm, name, sizeof name);
                if (!spp_cpu_supports(k->isa) || !spp_kernel_has_layout(k, (spp_layout)lay)) {
                    if (dir == 0) {
                        printf("SKIP %s %s: %s %s\n", k->name, name,
                               !spp_cpu_supports(k->isa) ? "needs" : "lacks layout",
                               !spp_cpu_supports(k->isa) ? spp_isa_name(k->isa)
                                                         : spp_layout_name((spp_layout)lay));
                        skipped++;
                    }
                    continue;
                }
                for (int pool = 0; pool < 2; pool++) {
                    const spp_problem *p = pool ? &pa : &pm;
                    spp_problem_format(p, name, sizeof name);
                    const double t = now();
                    spp_status st;
                    long long bad;
                    if (dir == 0) {
                        memset(y, 0xff, ny * 4); /* NaN garbage: unwritten outputs fail */
                        st = spp_forward(k, p, x, y, pool ? NULL : am, threads, &err);
                        bad = st == SPP_OK ? check_forward(&pl, y, am, !pool) : -1;
                    } else {
                        /* backward max needs the argmax of max forward: the expected one */
                        for (int64_t c = 0; c < C; c++)
                            for (int kk = 0; kk < NBINS; kk++) {
                                int l, i, j;
                                am[out_index(&pl, c, kk, &l, &i, &j)] = EXP_ARG[c % NPAT][kk];
                            }
                        memset(x, 0xff, nx * 4);
                        st = spp_backward(k, p, dy, pool ? NULL : am, x, threads, &err);
                        bad = st == SPP_OK ? check_backward(&pl, x, !pool) : -1;
                    }
                    const char *what = dir ? "bwd" : "fwd";
                    if (st != SPP_OK) {
                        printf("FAIL %s %s/t%d %s: returned '%s': %s\n", k->name, name, threads,
                               what, spp_status_name(st), err.msg);
                        failed++;
                    } else if (bad) {
                        printf("FAIL %s %s/t%d %s: %lld mismatches (%.1f s)\n", k->name, name,
                               threads, what, bad, now() - t);
                        failed++;
                    } else {
                        printf("PASS %s %s/t%d %s: every %s verified (%.1f s)\n", k->name,
                               name, threads, what, dir ? "dx element" : "output", now() - t);
                        passed++;
                    }
                    fflush(stdout);
                }
            }
        }
    }
    free(x), free(y), free(am), free(dy);
    printf("%lld passed, %lld failed, %lld skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
