/* libFuzzer target: the benchmark sweep-config parser, harness/sweep_config.c.
 * sweep_config_load only takes a path, so each input is written to one per-process file under
 * /tmp (rewritten in place, removed at exit). Checks:
 * - never crashes (ASan+UBSan), never hangs;
 * - a rejection leaves exactly one non-empty line "PATH...: message";
 * - an acceptance holds only what the format allows: 1..SWEEP_MAX_GRIDS grids with valid,
 *   distinct names; every list 1..SWEEP_MAX_VALUES long, without repeats, values in range
 *   (N, C, H, W in 1..2^31, levels 1..SPP_MAX_LEVEL, at most SPP_MAX_LEVELS per set, threads
 *   1..1024, known enums, registered kernels); min_time 0 or in (0, 3600];
 * - grid expansion: sweep_grid_problem_count equals the product of the list lengths (computed
 *   here with overflow checks) and every expanded problem takes each field from its list at the
 *   index the documented order gives (layout fastest, n slowest). The API has no expansion cap,
 *   so grids above EXPAND_ALL problems are checked at a few sampled indices only.
 * Build and run: make fuzz (mk/check.mk). */
/* fuzz-extra-sources: harness/sweep_config.c */
/* fuzz-extra-libs: -linih */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../harness/sweep_config.h"

#define EXPAND_ALL 4096 /* grids up to this many problems are expanded completely */

static char g_path[64];
static sweep_config *g_cfg;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s: %s\n", what, detail);
    abort();
}

static void cleanup(void)
{
    unlink(g_path);
    free(g_cfg);
}

static void write_file(const uint8_t *data, size_t size)
{
    FILE *f = fopen(g_path, "wb");
    if (!f)
        fail("cannot create the temporary file", g_path);
    if ((size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        fail("cannot write the temporary file", g_path);
}

static int valid_name(const char *s)
{
    size_t n = strnlen(s, SWEEP_NAME_MAX);
    if (n == 0 || n >= SWEEP_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

#define LIMIT_DIM ((int64_t)1 << 31)

static void check_list_len(int n, const char *what, const char *grid)
{
    if (n < 1 || n > SWEEP_MAX_VALUES)
        fail(what, grid);
}

static void check_i64_list(const int64_t *v, int n, int64_t max, const char *what,
                           const char *grid)
{
    check_list_len(n, what, grid);
    for (int i = 0; i < n; i++) {
        if (v[i] < 1 || v[i] > max)
            fail(what, grid);
        for (int j = 0; j < i; j++)
            if (v[j] == v[i])
                fail(what, grid);
    }
}

static void check_enum_list(const int *v, int n, int lo, int hi, const char *what,
                            const char *grid)
{
    check_list_len(n, what, grid);
    for (int i = 0; i < n; i++) {
        if (v[i] < lo || v[i] > hi)
            fail(what, grid);
        for (int j = 0; j < i; j++)
            if (v[j] == v[i])
                fail(what, grid);
    }
}

static void check_problem(const sweep_grid *g, int64_t idx)
{
    spp_problem p;
    memset(&p, 0x55, sizeof p);
    sweep_grid_problem(g, idx, &p);
    /* the documented order: layout fastest, then bins, pool, levels, hw, c; n slowest */
    int64_t r = idx;
    const int il = (int)(r % g->nlayout); r /= g->nlayout;
    const int ib = (int)(r % g->nbins); r /= g->nbins;
    const int ip = (int)(r % g->npool); r /= g->npool;
    const int ils = (int)(r % g->nlevelsets); r /= g->nlevelsets;
    const int ihw = (int)(r % g->nhw); r /= g->nhw;
    const int ic = (int)(r % g->nc); r /= g->nc;
    if (r >= g->nn)
        fail("index decomposition out of range", g->name);
    if (p.layout != g->layout[il] || p.bins != g->bins[ib] || p.pool != g->pool[ip] ||
        p.h != g->h[ihw] || p.w != g->w[ihw] || p.c != g->c[ic] || p.n != g->n[r] ||
        p.nlevels != g->levelset_len[ils] ||
        memcmp(p.levels, g->levelset[ils], (size_t)p.nlevels * sizeof p.levels[0]) != 0)
        fail("sweep_grid_problem does not follow the documented order", g->name);
    /* the benchmark program validates and formats every expanded problem */
    spp_error err;
    if (spp_problem_validate(&p, &err) == SPP_OK) {
        char buf[256];
        const int n = spp_problem_format(&p, buf, sizeof buf);
        if (n <= 0 || (size_t)n >= sizeof buf)
            fail("a valid expanded problem does not format", g->name);
    } else if (!err.msg[0]) {
        fail("an invalid expanded problem has no message", g->name);
    }
}

static void check_grid(const sweep_config *cfg, int gi)
{
    const sweep_grid *g = &cfg->grid[gi];
    if (!valid_name(g->name))
        fail("grid name invalid", g->name);
    for (int j = 0; j < gi; j++)
        if (!strcmp(cfg->grid[j].name, g->name))
            fail("grid name given twice", g->name);
    if (g->line < 1)
        fail("grid line not set", g->name);
    check_i64_list(g->n, g->nn, LIMIT_DIM, "n list", g->name);
    check_i64_list(g->c, g->nc, LIMIT_DIM, "c list", g->name);
    check_list_len(g->nhw, "hw list", g->name);
    for (int i = 0; i < g->nhw; i++) {
        if (g->h[i] < 1 || g->h[i] > LIMIT_DIM || g->w[i] < 1 || g->w[i] > LIMIT_DIM)
            fail("hw value out of range", g->name);
        for (int j = 0; j < i; j++)
            if (g->h[j] == g->h[i] && g->w[j] == g->w[i])
                fail("hw pair repeated", g->name);
    }
    check_list_len(g->nlevelsets, "levels list", g->name);
    for (int i = 0; i < g->nlevelsets; i++) {
        if (g->levelset_len[i] < 1 || g->levelset_len[i] > SPP_MAX_LEVELS)
            fail("level set length", g->name);
        for (int k = 0; k < g->levelset_len[i]; k++)
            if (g->levelset[i][k] < 1 || g->levelset[i][k] > SPP_MAX_LEVEL)
                fail("level out of range", g->name);
        for (int j = 0; j < i; j++)
            if (g->levelset_len[j] == g->levelset_len[i] &&
                !memcmp(g->levelset[j], g->levelset[i],
                        (size_t)g->levelset_len[i] * sizeof g->levelset[i][0]))
                fail("level set repeated", g->name);
    }
    int e[SWEEP_MAX_VALUES];
    for (int i = 0; i < g->npool && i < SWEEP_MAX_VALUES; i++)
        e[i] = (int)g->pool[i];
    check_enum_list(e, g->npool, SPP_POOL_MAX, SPP_POOL_AVG, "pool list", g->name);
    for (int i = 0; i < g->nbins && i < SWEEP_MAX_VALUES; i++)
        e[i] = (int)g->bins[i];
    check_enum_list(e, g->nbins, SPP_BINS_ADAPTIVE, SPP_BINS_CAFFE, "bins list", g->name);
    for (int i = 0; i < g->nlayout && i < SWEEP_MAX_VALUES; i++)
        e[i] = (int)g->layout[i];
    check_enum_list(e, g->nlayout, SPP_LAYOUT_NCHW, SPP_LAYOUT_NHWC, "layout list", g->name);
    check_enum_list(g->threads, g->nthreads, 1, 1024, "threads list", g->name);
    for (int i = 0; i < g->ndir && i < SWEEP_MAX_VALUES; i++)
        e[i] = (int)g->dir[i];
    check_enum_list(e, g->ndir, SWEEP_FWD, SWEEP_FWDBWD, "direction list", g->name);
    if (g->all_kernels) {
        if (g->nkernels)
            fail("'*' together with kernel names", g->name);
    } else {
        if (g->nkernels < 1 || g->nkernels > SWEEP_MAX_KERNELS)
            fail("kernel list length", g->name);
        for (int i = 0; i < g->nkernels; i++) {
            if (!g->kernels[i] || spp_kernel_find(g->kernels[i]->name) != g->kernels[i])
                fail("kernel not registered", g->name);
            for (int j = 0; j < i; j++)
                if (g->kernels[j] == g->kernels[i])
                    fail("kernel repeated", g->name);
        }
    }
    for (int i = 0; i < g->ndir; i++) {
        sweep_direction d;
        if (sweep_direction_from_name(sweep_direction_name(g->dir[i]), &d) || d != g->dir[i])
            fail("direction name round trip", g->name);
    }

    /* expansion */
    const int lens[] = {g->nn, g->nc, g->nhw, g->nlevelsets, g->npool, g->nbins, g->nlayout};
    int64_t want = 1;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        if (__builtin_mul_overflow(want, (int64_t)lens[i], &want))
            fail("problem count overflows", g->name);
    const int64_t count = sweep_grid_problem_count(g);
    if (count != want)
        fail("sweep_grid_problem_count != product of the list lengths", g->name);
    if (count <= EXPAND_ALL) {
        for (int64_t idx = 0; idx < count; idx++)
            check_problem(g, idx);
    } else {
        /* no cap in the API: sample the ends and a few spread indices */
        uint64_t x = (uint64_t)count * 0x9E3779B97F4A7C15u;
        check_problem(g, 0);
        check_problem(g, count - 1);
        for (int k = 0; k < 16; k++) {
            x ^= x >> 29;
            x *= 0xBF58476D1CE4E5B9u;
            x ^= x >> 32;
            check_problem(g, (int64_t)(x % (uint64_t)count));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_cfg) {
        /* a sweep_config is large (~400 KB): once, on the heap */
        g_cfg = malloc(sizeof *g_cfg);
        if (!g_cfg)
            fail("out of memory", "sweep_config");
        snprintf(g_path, sizeof g_path, "/tmp/fuzz_config.%ld.ini", (long)getpid());
        atexit(cleanup);
    }
    write_file(data, size);
    char err[600];
    memset(err, 0x55, sizeof err);
    sweep_config *cfg = g_cfg;
    const int rc = sweep_config_load(g_path, cfg, err, sizeof err);
    if (rc != 0) {
        if (rc != -1)
            fail("return value not 0 or -1", "");
        if (!memchr(err, 0, sizeof err) || !err[0])
            fail("rejected without a message", "");
        if (strncmp(err, g_path, strlen(g_path)) != 0)
            fail("message does not start with the path", err);
        if (strchr(err, '\n'))
            fail("message is more than one line", err);
        return 0;
    }
    if (cfg->ngrids < 1 || cfg->ngrids > SWEEP_MAX_GRIDS)
        fail("grid count out of range", "");
    if (cfg->min_time != 0.0 && !(cfg->min_time > 0.0 && cfg->min_time <= 3600.0))
        fail("min_time out of range", "");
    if (strcmp(cfg->path, g_path) != 0)
        fail("path not recorded", cfg->path);
    for (int i = 0; i < cfg->ngrids; i++)
        check_grid(cfg, i);
    return 0;
}
