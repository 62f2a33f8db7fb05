/* spp bins: one axis's bins exactly as the plan computes them (spp_axis_bins, the one place
 * boundaries are computed), with the rows no bin pools and the rows several bins share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct { int64_t s, e; } run;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Maximal runs of rows covered by no bin (want_shared == 0) or by two or more bins
 * (want_shared == 1). There are at most SPP_MAX_LEVEL bins, so sweeping the segments between
 * their sorted boundaries is exact for any A without a per-row array. */
static int find_runs(const spp_interval *b, int n, int64_t A, int want_shared, run *out)
{
    int64_t pts[2 * SPP_MAX_LEVEL + 2];
    int np = 0, nr = 0;
    pts[np++] = 0;
    pts[np++] = A;
    for (int i = 0; i < n; i++) {
        pts[np++] = b[i].start;
        pts[np++] = b[i].end;
    }
    qsort(pts, (size_t)np, sizeof pts[0], cmp_i64);
    for (int k = 0; k + 1 < np; k++) {
        if (pts[k] == pts[k + 1])
            continue;
        int cnt = 0;
        for (int i = 0; i < n; i++)
            cnt += b[i].start <= pts[k] && pts[k] < b[i].end;
        if (want_shared ? cnt < 2 : cnt != 0)
            continue;
        if (nr && out[nr - 1].e == pts[k])
            out[nr - 1].e = pts[k + 1];
        else
            out[nr++] = (run){pts[k], pts[k + 1]};
    }
    return nr;
}

/* "5, 6" for short runs, "3..9" for long ones; returns the number of rows. */
static int64_t print_runs(const run *r, int nr)
{
    int64_t rows = 0;
    for (int i = 0; i < nr; i++) {
        const int64_t len = r[i].e - r[i].s;
        const char *sep = i ? ", " : "";
        if (len == 1)
            printf("%s%lld", sep, (long long)r[i].s);
        else if (len == 2)
            printf("%s%lld, %lld", sep, (long long)r[i].s, (long long)r[i].s + 1);
        else
            printf("%s%lld..%lld", sep, (long long)r[i].s, (long long)r[i].e - 1);
        rows += len;
    }
    return rows;
}

static int digits(int64_t v)
{
    int d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

int cmd_bins(int argc, char **argv)
{
    cli_opt o[] = {
        {"--size", "A", "axis length (rows or columns), 1..2147483647", NULL, 0},
        {"--level", "n", "pyramid level: n bins along the axis", NULL, 0},
        {"--bins", "CONV", "adaptive (default), sppnet or caffe (docs/spec.md#2-bins)", NULL, 0},
    };
    const int no = (int)(sizeof o / sizeof o[0]);
    int st = cli_parse(argc, argv, o, no, "spp bins --size A --level n [--bins CONV]",
                       "Prints each bin [start, end) of one axis with its avg divisor, exactly as "
                       "every kernel's\nplan has it, then the rows no bin pools and the rows "
                       "shared by several bins.");
    if (st != CLI_PARSED)
        return st == CLI_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    static const char *const required[] = {"--size", "--level", NULL};
    if (cli_require("bins", o, no, required) != 0)
        return CLI_EXIT_USAGE;
    long long A, n;
    spp_bins conv = SPP_BINS_ADAPTIVE;
    if (cli_int("--size", o[0].value, 1, 2147483647LL, &A) != 0 ||
        cli_int("--level", o[1].value, 1, SPP_MAX_LEVEL, &n) != 0 ||
        (o[2].given && cli_bins("--bins", o[2].value, &conv) != 0))
        return CLI_EXIT_USAGE;

    spp_interval b[SPP_MAX_LEVEL];
    spp_error e;
    if (spp_axis_bins(A, (int)n, conv, "A", b, &e) != SPP_OK)
        return cli_error("bins %s: %s", spp_bins_name(conv), e.msg);

    const long long k = (A + n - 1) / n;
    printf("bins=%s A=%lld n=%lld: ", spp_bins_name(conv), A, n);
    switch (conv) {
    case SPP_BINS_ADAPTIVE:
        printf("start floor(i*A/n), end ceil((i+1)*A/n), divisor end-start\n");
        break;
    case SPP_BINS_SPPNET:
        printf("window ceil(A/n)=%lld, stride floor(A/n)=%lld, divisor the window\n", k, A / n);
        break;
    case SPP_BINS_CAFFE:
        printf("kernel k=ceil(A/n)=%lld, stride k, pad (k*n-A+1)/2=%lld, divisor counts "
               "padding\n",
               k, (k * n - A + 1) / 2);
        break;
    }
    const int w = digits(A) > 7 ? digits(A) : 7;
    printf("%3s  %*s  %*s  %*s  %*s\n", "bin", w, "start", w, "end", w, "rows", w, "divisor");
    for (int i = 0; i < n; i++)
        printf("%3d  %*lld  %*lld  %*lld  %*lld\n", i, w, (long long)b[i].start, w,
               (long long)b[i].end, w, (long long)(b[i].end - b[i].start), w,
               (long long)b[i].div);

    run r[2 * SPP_MAX_LEVEL + 2];
    int nr = find_runs(b, (int)n, A, 0, r);
    if (nr == 0)
        printf("every row is covered\n");
    else {
        printf("never pooled: rows ");
        int64_t rows = print_runs(r, nr);
        printf(" (%lld of %lld)\n", (long long)rows, A);
    }
    nr = find_runs(b, (int)n, A, 1, r);
    if (nr) {
        printf("in two or more bins: rows ");
        int64_t rows = print_runs(r, nr);
        printf(" (%lld of %lld)\n", (long long)rows, A);
    }
    return CLI_EXIT_OK;
}
