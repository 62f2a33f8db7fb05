/* nchw_fused.h: the NCHW fused kernels' code (path choice, workspace, the row and avg paths,
 * the backward routes), included by nchw__fused_avx2.c and nchw__fused_avx512.c. Not a kernel.
 *
 * The includer supplies the small-plane core as NCHW_FUSED_SMALL_CELLS(pl, x, y, argmax, ex)
 * and its state's writer as NCHW_FUSED_SMALL_PREPARE(pl, state): sc_forward and sc_prepare
 * (small_cells_avx2.h, two 8-lane vectors per 16-channel pixel) or scz_forward and
 * scz_prepare (small_cells_avx512.h, one 16-lane vector); with NCHW_FUSED_ROWS16 the max row paths run
 * 16 channels per group (nchw_fused_rows16.h) and small-cells is taken by nfz_takes_small's
 * rule. Everything else is 8-lane AVX2 code (the row bodies of nchw_fused_bins_avx2.h), the
 * same in both kernels; nchw__fused_avx2.c's header describes the paths and their order of
 * operations. */
#ifndef NCHW_FUSED_H
#define NCHW_FUSED_H

#include <immintrin.h>
#include <omp.h>

#include "nchw_common.h"
#include "nchw_small.h"
#include "fused_cells_plan.h"
#include "nchw_fused_plan.h"
#include "nchw_fused_vec_avx2.h"
#include "nchw_fused_bins_avx2.h"

#if !defined NCHW_FUSED_SMALL_CELLS || !defined NCHW_FUSED_SMALL_PREPARE
#error "nchw_fused.h: define NCHW_FUSED_SMALL_CELLS and NCHW_FUSED_SMALL_PREPARE (the small-plane core) first"
#endif

enum { NFZ_SMALL_CELLS, NFZ_ROWS, NFZ_ROWS_TALL, NFZ_AVG, NFZ_AVG_TALL, NFZ_PLANES,
       NFZ_SMALL_AVG, NFZ_STREAM };

/* Channels per group of a row path: 16 for the max rows where the includer asks for the
 * 16-lane row path (NCHW_FUSED_ROWS16, nchw_fused_rows16.h), else 8. */
#ifdef NCHW_FUSED_ROWS16
#include "nchw_fused_rows16.h"
#define NFZ_SC_WHEN "max, H*W <= 64; inference with one level read from an input of <= 1 MiB " \
                    "and H*W <= 400; avg forward, H*W <= 1200"
#define NFZ_AVG_WHEN "avg forward, H*W > 1200 and H <= 4096: row lists per call"
#define NFZ_AVG_TALL_WHEN "avg forward, H > 4096: row lists per group and row"
#define NFZ_ROWS_WHEN "max otherwise, H <= 4096: 16 lanes, row lists per call (max only)"
#define NFZ_ROWS_TALL_WHEN "max, H > 4096: 16 lanes, row lists per group and row (max only)"
#define NFZ_LANES(path) ((path) == NFZ_ROWS || (path) == NFZ_ROWS_TALL ? 16 : 8)
/* Where small-cells beats the 16-lane rows (docs/perf-log.md, 2026-12-06): planes of at most
 * NFZ16_SC_ANY_HW pixels (7x5 with C = 67: the rows take 1.2-1.4x its time), and inference
 * with one level read from the input of at most NFZ16_SC_INFER_BYTES (13x13 and 10x10 at
 * N = 1: the rows 1.03-1.14x; at N = 8, 1.7 MB, a tie; at N = 64 the rows win by 9-10 %).
 * From 100 pixels up the rows win the forward with argmax by 5-20 %, and both passes by
 * 15-20 % where two levels are read from the input (13x13 with levels 3, 2, 1). */
#define NFZ16_SC_ANY_HW 64
#define NFZ16_SC_INFER_BYTES ((int64_t)1 << 20)
/* Avg forward: small-cells (its sums) on planes of at most NFZ16_SC_AVG_HW pixels, where it
 * beats the 8-lane avg rows by 1.1-2.2x (7x5 to 30x40); from 1900 to 3000 pixels either
 * wins by up to 1.3x depending on the levels, and at 64x64 the rows take 0.69x its time. */
#define NFZ16_SC_AVG_HW 1200
#define NFZ_SC_AVG 1 /* small_cells_avx512.h pools avg too */
static int nfz_takes_small(const spp_plan *pl, spp_pass pass)
{
    if (pl->p.pool == SPP_POOL_AVG)
        return pl->p.h * pl->p.w <= NFZ16_SC_AVG_HW;
    if (!sc_takes(pl))
        return 0;
    return pl->p.h * pl->p.w <= NFZ16_SC_ANY_HW ||
           (pass == SPP_PASS_INFER && sc_input_levels(pl) <= 1 &&
            spp_input_elems(&pl->p) * (int64_t)sizeof(float) <= NFZ16_SC_INFER_BYTES);
}
#else
#define NFZ_SC_WHEN "max forward, H*W <= 400 (max only)"
#define NFZ_AVG_WHEN "avg forward, H <= 4096: row lists per call"
#define NFZ_AVG_TALL_WHEN "avg forward, H > 4096: row lists per group and row"
#define NFZ_ROWS_WHEN "max forward, H*W > 400 and H <= 4096: row lists per call (max only)"
#define NFZ_ROWS_TALL_WHEN "max forward, H > 4096: row lists per group and row (max only)"
#define NFZ_LANES(path) 8
#define NFZ_SC_AVG 0 /* small_cells_avx2.h pools max only */
static int nfz_takes_small(const spp_plan *pl, spp_pass pass)
{
    (void)pass;
    return sc_takes(pl);
}
#endif
#define NFZ_FWD (SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_INFER))
#define NFZ_BWD SPP_PASS_BIT(SPP_PASS_BACKWARD)

static const spp_path nchw_fused_paths[] = {
    {"small-cells", NFZ_FWD, NFZ_SC_WHEN},
    {"rows", NFZ_FWD, NFZ_ROWS_WHEN},
    {"rows-tall", NFZ_FWD, NFZ_ROWS_TALL_WHEN},
    {"avg", SPP_PASS_BIT(SPP_PASS_FORWARD), NFZ_AVG_WHEN},
    {"avg-tall", SPP_PASS_BIT(SPP_PASS_FORWARD), NFZ_AVG_TALL_WHEN},
    {"planes", NFZ_BWD, "backward: max with dx < 32 MiB, within the L3 or threads > 1, avg with H*W > 256"},
    {"small-avg", NFZ_BWD, "avg backward with H*W <= 256 (avg only)"},
    {"stream", NFZ_BWD,
     "max backward, dx >= 32 MiB and > L3, 1 thread: each plane staged in L1, streamed to dx (max only)"},
};

static int fused_choose(const spp_plan *pl, int threads, spp_pass pass, int force)
{
    (void)threads;
    const spp_problem *p = &pl->p;
    const int is_max = p->pool == SPP_POOL_MAX;
    if (pass == SPP_PASS_BACKWARD) {
        if (force >= 0)
            return force >= NFZ_PLANES &&
                           nchw_bwd_valid(p, force == NFZ_SMALL_AVG ? NCHW_BWD_SMALL_AVG
                                             : force == NFZ_STREAM  ? NCHW_BWD_STREAM
                                                                    : NCHW_BWD_PLANES)
                       ? force
                       : -1;
        const nchw_bwd_route r = nchw_bwd_default(p, threads);
        return r == NCHW_BWD_SMALL_AVG ? NFZ_SMALL_AVG : r == NCHW_BWD_STREAM ? NFZ_STREAM
                                                                              : NFZ_PLANES;
    }
    if (force >= 0) {
        if (force == NFZ_SMALL_CELLS)
            return is_max || NFZ_SC_AVG ? force : -1;
        if (force == NFZ_ROWS || force == NFZ_ROWS_TALL)
            return is_max ? force : -1;
        return (force == NFZ_AVG || force == NFZ_AVG_TALL) && !is_max ? force : -1;
    }
    if (nfz_takes_small(pl, pass)) /* a small plane (avg: in the 16-lane core only) */
        return NFZ_SMALL_CELLS;
    const int tab = p->h <= FUSED_ROWTAB_MAX_ROWS;
    return is_max ? (tab ? NFZ_ROWS : NFZ_ROWS_TALL) : (tab ? NFZ_AVG : NFZ_AVG_TALL);
}

/* Workspace bytes of one path. small-cells: sc_workspace_any (fused_cells_plan.h: a forced
 * small-cells runs on any plane). The backward paths need none. */
static size_t fused_path_bytes(const spp_plan *pl, int threads, int path)
{
    if (path == NFZ_SMALL_CELLS)
        return sc_workspace_any(pl, threads);
    if (path < 0 || path >= NFZ_PLANES)
        return 0;
    const fused_ws f = fused_layout(pl, path == NFZ_ROWS || path == NFZ_AVG, NFZ_LANES(path));
    return f.shared + (size_t)threads * f.slice;
}

/* The most any pass of the problem needs: path for the passes it serves, the kernel's choice
 * for the others (argmax, and so the forward pass, is not known here). */
static size_t fused_workspace(const spp_plan *pl, int threads, int path)
{
    size_t most = 0;
    for (int s = 0; s < SPP_NPASSES; s++) {
        if (!(spp_passes_of(pl->p.pool) & (int)SPP_PASS_BIT(s)))
            continue;
        int k = path >= 0 && (nchw_fused_paths[path].passes & SPP_PASS_BIT(s))
                    ? fused_choose(pl, threads, (spp_pass)s, path)
                    : -1;
        if (k < 0)
            k = fused_choose(pl, threads, (spp_pass)s, -1);
        const size_t b = fused_path_bytes(pl, threads, k);
        most = b > most ? b : most;
    }
    return most;
}

/* One group of 8 channels (c0..c0+7) of sample b. is_max is a compile-time constant at each
 * call site (always inlined), so the max and avg bodies are separate loops. */
static inline __attribute__((always_inline)) void
fused_group(const spp_plan *pl, const nchw_sched *s, int64_t b, int64_t c0, const float *x,
            float *y, int32_t *argmax, float *R, float *AV, int32_t *AP, const col_bins *cbs,
            const int32_t *CI, const int32_t *cp, int64_t ncp, const row_ent *tab,
            const unsigned char *tcnt,
            const char *next, int64_t next_bytes, int64_t pf_step, const int is_max)
{
    const spp_problem *p = &pl->p;
    const int64_t H = p->h, W = p->w, C = p->c;
    const int L = p->nlevels;
    const int valid = C - c0 < 8 ? (int)(C - c0) : 8;
    const float *pk[8];
    for (int k = 0; k < 8; k++)
        pk[k] = x + (b * C + (c0 + k < C ? c0 + k : C - 1)) * H * W;
    const int64_t wfull = W / 8 * 8;
    const int rem = (int)(W - wfull);
    const __m256i tailmask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    int group_nan = 0;
    int inl[SPP_MAX_LEVELS], cur[SPP_MAX_LEVELS] = {0};
    const int nin = input_levels(pl, s, inl);

    for (int64_t h = 0; h < H; h++) {
        /* the bins of each input level that hold row h: from the table, else computed */
        row_ent own[SPP_MAX_LEVELS];
        const row_ent *ent = own;
        int nent;
        if (tab) {
            ent = tab + h * nin;
            nent = tcnt[h];
        } else {
            nent = row_entries(pl, s, inl, nin, h, cur, own, 8);
        }
        if (nent == 0)
            continue; /* a row no bin pools (sppnet) */

        /* the next group's input, a slice per row: its planes follow ours in memory, and
         * the hardware prefetchers do not follow 8 interleaved short streams well */
        {
            const int64_t o1 = (h + 1) * pf_step < next_bytes ? (h + 1) * pf_step : next_bytes;
            for (int64_t off = h * pf_step; off < o1; off += 64)
                _mm_prefetch(next + off, _MM_HINT_T0);
        }
        /* row h of the 8 planes -> R[w*8 + lane]; probe for NaN on the way */
        __m256 probe = _mm256_setzero_ps();
        for (int64_t w0 = 0; w0 < wfull; w0 += 8) {
            __m256 r[8];
            for (int k = 0; k < 8; k++)
                r[k] = _mm256_loadu_ps(pk[k] + h * W + w0);
            if (is_max)
                probe = _mm256_add_ps(probe, nan_probe(r));
            tr8(r);
            for (int k = 0; k < 8; k++)
                _mm256_store_ps(R + (w0 + k) * 8, r[k]);
        }
        if (rem) {
            __m256 r[8];
            for (int k = 0; k < 8; k++)
                r[k] = _mm256_maskload_ps(pk[k] + h * W + wfull, tailmask);
            if (is_max)
                probe = _mm256_add_ps(probe, nan_probe(r));
            tr8(r);
            for (int k = 0; k < rem; k++)
                _mm256_store_ps(R + (wfull + k) * 8, r[k]);
        }
        /* no NaN in the row: the update rule reduces to v > best */
        const int row_nan = is_max && any_nan(probe);
        group_nan |= row_nan;

        if (!is_max) {
            unsigned char lo[SPP_MAX_LEVELS] = {0}, hi[SPP_MAX_LEVELS] = {0}; /* n <= 64 */
            for (int t = 0; t < nent; t++) {
                lo[ent[t].l] = (unsigned char)ent[t].lo;
                hi[ent[t].l] = (unsigned char)(ent[t].lo + ent[t].nb);
            }
            avg_rows_into_bins(pl, s, h, R, AV, lo, hi);
        } else {
            const row_ent *e = ent;
            for (int t = 0; t < nent; t++)
                max_row(&cbs[e[t].l], pl->lv[e[t].l].n, (int32_t)(h * W), R, CI, AV + e[t].k0,
                        AP + e[t].k0, e[t].nb, e[t].first, row_nan);
        }
    }

    /* coarse levels from the finer bins covering them (finest first: sources are done) */
    if (is_max)
        coarse_max(cp, ncp, AV, AP, group_nan);
    for (int t = 0; t < L && !is_max; t++) {
        const int l = s->order[t], f = s->src[l];
        if (f < 0)
            continue;
        const int n = pl->lv[l].n, nf = pl->lv[f].n;
        const float *FV = AV + s->bin_off[f] * 8;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                __m256 sum = _mm256_setzero_ps();
                for (int fi = s->ra[l][i]; fi <= s->rb[l][i]; fi++)
                    for (int fj = s->ca[l][j]; fj <= s->cb[l][j]; fj++)
                        sum = _mm256_add_ps(sum, _mm256_load_ps(FV + ((int64_t)fi * nf + fj) * 8));
                _mm256_store_ps(AV + (s->bin_off[l] + (int64_t)i * n + j) * 8, sum);
            }
    }

    /* bins -> y (and argmax): lane k is channel c0 + k. For avg, the means first (one scale
     * per bin for all lanes): sum * spp_avg_scale, one float multiply (the avg bound). */
    for (int l = 0; l < L; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n, nn = n * n;
        float *A = AV + s->bin_off[l] * 8;
        const int64_t o = b * pl->out_per_sample + lv->out_offset + c0 * nn;
        if (!is_max)
            for (int e = 0; e < nn; e++) {
                const __m256 sc = _mm256_set1_ps(spp_avg_scale(lv, e / n, e % n));
                _mm256_store_ps(A + e * 8, _mm256_mul_ps(_mm256_load_ps(A + e * 8), sc));
            }
        store_bins(A, y + o, nn, valid);
        if (is_max && argmax)
            store_bins((const float *)(AP + s->bin_off[l] * 8), argmax + o, nn, valid);
    }
}

/* spp_kernel.state_size and prepare: small-cells keeps its state (fused_cells_plan.h) in a
 * prepared operation, written by the includer's core (NCHW_FUSED_SMALL_PREPARE); the row
 * paths plan per call. */
static size_t fused_state_size(const spp_plan *pl, int threads, spp_pass pass, int path)
{
    (void)threads;
    (void)pass;
    return path == NFZ_SMALL_CELLS ? sc_state_bytes(pl) : 0;
}

static void fused_prepare(const spp_plan *pl, int threads, spp_pass pass, int path, void *state)
{
    (void)threads;
    (void)pass;
    (void)path;
    NCHW_FUSED_SMALL_PREPARE(pl, state);
}

static spp_status fused_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                                const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int path = SPP_EXEC_PATH(ex, fused_choose, pl, spp_forward_pass(p, argmax));
    if (path == NFZ_SMALL_CELLS) {
        NCHW_FUSED_SMALL_CELLS(pl, x, y, argmax, ex); /* the includer's cell-major core */
        return SPP_OK;
    }
    const int lanes = NFZ_LANES(path);
    const int64_t groups_per_sample = (p->c + lanes - 1) / lanes, groups = p->n * groups_per_sample;
    const int64_t planes = p->n * p->c, HW = p->h * p->w;
    const int tabled = path == NFZ_ROWS || path == NFZ_AVG;
    const fused_ws f = fused_layout(pl, tabled, lanes);
    const int is_max = p->pool == SPP_POOL_MAX;
    nchw_sched s;
    nchw_sched_init(&s, pl);
    /* the row_ent table (see fused_layout) */
    row_ent *tab = NULL;
    unsigned char *tcnt = NULL;
    if (tabled) {
        int inl[SPP_MAX_LEVELS], cur[SPP_MAX_LEVELS] = {0};
        const int nin = input_levels(pl, &s, inl);
        tab = (row_ent *)((char *)ex->workspace + f.tab_off);
        tcnt = (unsigned char *)ex->workspace + f.cnt_off;
        for (int64_t h = 0; h < p->h; h++)
            tcnt[h] = (unsigned char)row_entries(pl, &s, inl, nin, h, cur, tab + h * nin, lanes);
    }
    /* the coarse program (see coarse_max) */
    int32_t *cp = (int32_t *)((char *)ex->workspace + f.cp_off);
    {
        int64_t q = 0;
        for (int u = 0; u < p->nlevels; u++) {
            const int l = s.order[u], fl = s.src[l];
            if (fl < 0)
                continue;
            const int n = pl->lv[l].n, nf = pl->lv[fl].n;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    cp[q] = (int32_t)((s.bin_off[l] + (int64_t)i * n + j) * lanes);
                    cp[q + 1] = (int32_t)((s.rb[l][i] - s.ra[l][i] + 1) * (s.cb[l][j] - s.ca[l][j] + 1));
                    q += 2;
                    for (int fi = s.ra[l][i]; fi <= s.rb[l][i]; fi++)
                        for (int fj = s.ca[l][j]; fj <= s.cb[l][j]; fj++)
                            cp[q++] = (int32_t)((s.bin_off[fl] + (int64_t)fi * nf + fj) * lanes);
                }
        }
    }
    /* column w in all lanes, per w (max positions: h*W + w) */
    int32_t *CI = (int32_t *)((char *)ex->workspace + f.ci_off);
    for (int64_t w = 0; w < p->w; w++)
        for (int k = 0; k < lanes; k++)
            CI[w * lanes + k] = (int32_t)w;
    col_bins cbs[SPP_MAX_LEVELS];
    for (int l = 0; l < p->nlevels; l++)
        for (int j = 0; j < pl->lv[l].n; j++) {
            cbs[l].qs[j] = (int32_t)pl->lv[l].cols[j].start;
            cbs[l].qn[j] = (int32_t)(pl->lv[l].cols[j].end - pl->lv[l].cols[j].start);
        }
    for (int l = 0; l < p->nlevels; l++) {
        int32_t uw = cbs[l].qn[0];
        for (int j = 1; j < pl->lv[l].n; j++)
            if (cbs[l].qn[j] != uw)
                uw = 0;
        cbs[l].uw = uw == 2 || uw == 3 ? uw : 0;
    }
    /* prefetch slice per row: the next group's bytes spread over the H rows, whole lines */
    const int64_t pf_bytes = lanes * HW * (int64_t)sizeof(float);
    const int64_t pf_step = (pf_bytes / p->h + 63) / 64 * 64;
#ifdef NCHW_FUSED_ROWS16
    const r16_ctx rc = {&s, cbs, CI, cp, f.ncp, tab, tcnt, pf_step};
#endif
#pragma omp parallel num_threads(ex->threads) if (ex->threads > 1)
    {
        char *ws = (char *)ex->workspace + f.shared + (size_t)omp_get_thread_num() * f.slice;
        float *R = (float *)ws, *AV = (float *)(ws + f.v_off);
        int32_t *AP = (int32_t *)(ws + f.p_off);
#pragma omp for schedule(static)
        for (int64_t g = 0; g < groups; g++) {
            const int64_t b = g / groups_per_sample, c0 = g % groups_per_sample * lanes;
            /* planes of group g + 1 (when it is in this thread's static chunk, it is next) */
            const int64_t n0 = b * p->c + c0 + lanes < planes ? b * p->c + c0 + lanes : planes;
            const int64_t n1 = n0 + lanes < planes ? n0 + lanes : planes;
            const char *next = (const char *)(x + n0 * HW);
            /* long planes stream well by themselves; prefetch only short ones */
            const int64_t nb = HW * (int64_t)sizeof(float) <= 4096 ? (n1 - n0) * HW * (int64_t)sizeof(float) : 0;
#ifdef NCHW_FUSED_ROWS16
            if (lanes == 16) {
                r16_group(pl, &rc, b, c0, x, y, argmax, R, AV, AP, next, nb);
                continue;
            }
#endif
            if (is_max)
                fused_group(pl, &s, b, c0, x, y, argmax, R, AV, AP, cbs, CI, cp, f.ncp, tab, tcnt, next, nb, pf_step, 1);
            else
                fused_group(pl, &s, b, c0, x, y, argmax, R, AV, AP, cbs, CI, cp, f.ncp, tab, tcnt, next, nb, pf_step, 0);
        }
    }
    return SPP_OK;
}

static spp_status fused_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                                 float *dx, const spp_exec *ex)
{
    const int path = SPP_EXEC_PATH(ex, fused_choose, pl, SPP_PASS_BACKWARD);
    nchw_backward(pl, dy, argmax, dx, ex->threads,
                  path == NFZ_SMALL_AVG ? NCHW_BWD_SMALL_AVG
                  : path == NFZ_STREAM  ? NCHW_BWD_STREAM
                                        : NCHW_BWD_PLANES);
    return SPP_OK;
}

#endif
