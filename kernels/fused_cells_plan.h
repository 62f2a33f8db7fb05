/* fused_cells_plan.h: the plan of the small-plane core (small_cells_avx2.h, used by
 * nhwc__fused_avx2 and nchw__fused_avx2; small_cells_avx512.h, by the two AVX-512 ones).
 * Scalar; not a kernel.
 *
 * Taken (sc_takes) for forward max of planes of at most SC_MAX_HW pixels (the NHWC fused
 * kernels decide in spp_fz_choose_path and can force it on any max plane). Levels are computed
 * finer first; each is read from the input (src = -1: row partials, then row folds) or, when
 * that costs fewer folds, covered: every bin is the union of bins of one finer level already
 * computed (per axis a greedy cover by that level's intervals lying inside the bin; the
 * boundaries come only from the plan, docs/spec.md#2-bins; overlaps are fine for max, since
 * the max of a union under the total order of docs/spec.md#3-max-and-avg is the max of the
 * parts; avg, which only the 16-lane core pools, takes disjoint covers).
 * E.g. adaptive 13: level 3's [0,5) = level 6's [0,3) U [2,5). The merge program lists, per
 * covered bin in computation order, its bin index, the piece count and the source bins. The
 * fold program (the 16-lane core's; the AVX2 core walks the plan, prefetching by rows) lists
 * an input level's row partials and bins as flat runs of one length each.
 * State (what a prepared operation keeps, spp_exec.state): [sc_plan][position table][merge
 * and fold programs][avg reciprocals]. Workspace (sc_layout): room for the state (a call
 * without one writes it there), then per-thread slices of a task's tiles (16 lanes per pixel
 * per group), row partials and bins (values and positions) for each group of a wave
 * (sc_wave). NHWC tasks take a chunk of 16-channel groups (all of C when the tiles fit
 * SC_TILE_BYTES; split so there are >= 2 tasks per thread), NCHW tasks one group. Both forms
 * share the layout (the position table has room for 16 lanes per pixel). */
#ifndef FUSED_CELLS_PLAN_H
#define FUSED_CELLS_PLAN_H

#include <stdint.h>

#include "spp_internal.h"

/* planes of at most this many pixels take this path (nchw__fused_avx2's test builds may set
 * it; the NHWC fused kernels force their paths at run time instead) */
#ifndef SC_MAX_HW
#define SC_MAX_HW 400
#endif

typedef struct {
    int order[SPP_MAX_LEVELS]; /* levels in computation order (finer first) */
    int src[SPP_MAX_LEVELS];   /* -1: from the input; else the level its bins are merged from */
    int32_t boff[SPP_MAX_LEVELS]; /* first bin (16-lane slot) of level l in the bin tile */
    int32_t nbins;             /* sum n^2 */
    int32_t nrp;               /* row-partial slots: max over input levels of H * n */
    int64_t fold[SPP_MAX_LEVELS]; /* input level l: its fold program at prog + fold[l] */
    int64_t nprog;             /* int32s of the program (merges, then the input levels' folds) */
} sc_plan;

/* Cover of [s, e) by intervals iv[0..m) lying inside it, greedy left to right (each piece
 * starts within the covered prefix and reaches furthest; disjoint: starts exactly where the
 * prefix ends, as a sum must count each cell once); returns the count, -1 if there is none.
 * out (may be NULL) gets the piece indices. One pass, as the plan's starts and ends never
 * decrease (were they to, a cover found would still be exact, only maybe not found). */
static int sc_cover(const spp_interval *iv, int m, int64_t s, int64_t e, int disjoint,
                    int32_t *out)
{
    int64_t cur = s;
    int k = 0, u = 0;
    while (u < m && iv[u].start < s)
        u++;
    while (cur < e) {
        int best = -1;
        for (; u < m && iv[u].start <= cur && iv[u].end <= e; u++)
            if (iv[u].end > cur && (!disjoint || iv[u].start == cur) &&
                (best < 0 || iv[u].end > iv[best].end))
                best = u;
        if (best < 0)
            return -1;
        if (out)
            out[k] = best;
        k++;
        cur = iv[best].end;
    }
    return k;
}

/* Pieces a level l needs from level f, summed over its bins (rows x columns), or -1. */
static int64_t sc_cover_cost(const spp_plan *pl, int l, int f)
{
    const spp_level_plan *a = &pl->lv[l], *b = &pl->lv[f];
    const int dj = pl->p.pool == SPP_POOL_AVG;
    int64_t sr = 0, sc = 0;
    for (int i = 0; i < a->n; i++) {
        const int r = sc_cover(b->rows, b->n, a->rows[i].start, a->rows[i].end, dj, NULL);
        const int c = sc_cover(b->cols, b->n, a->cols[i].start, a->cols[i].end, dj, NULL);
        if (r < 0 || c < 0)
            return -1;
        sr += r;
        sc += c;
    }
    return sr * sc;
}

/* Scans of a level read from the input: row partials plus row folds, in fold units. */
static int64_t sc_input_cost(const spp_plan *pl, int l)
{
    const spp_level_plan *a = &pl->lv[l];
    int64_t cw = 0, rh = 0;
    for (int j = 0; j < a->n; j++)
        cw += a->cols[j].end - a->cols[j].start;
    for (int i = 0; i < a->n; i++)
        rh += a->rows[i].end - a->rows[i].start;
    return pl->p.h * cw + a->n * rh;
}

/* One half of an input level's fold program at prog + q (prog may be NULL: counting only):
 * row partials (kind 0: length = the column bin's width; pair = first pixel h * W + start,
 * partial slot h * n + j, for every row some bin holds) or bins (kind 1: length = the row bin's
 * height; pair = first partial slot start * n + j, bin slot). Written as [runs], then per run
 * [length, count, count pairs]: one run per distinct length, ascending, pairs in plan order, so
 * that a core walks a flat list with the length fixed per run instead of the plan's intervals
 * (the order of partials and of bins does not change a result: each is its own fold). Returns
 * the new end. */
static int64_t sc_fold_runs(const spp_plan *pl, const sc_plan *sp, int l, int kind, int32_t *prog,
                            int64_t q)
{
    const spp_level_plan *lv = &pl->lv[l];
    const int n = lv->n;
    const spp_interval *iv = kind ? lv->rows : lv->cols;
    const int64_t at = q++;
    int32_t runs = 0;
    for (int64_t prev = 0;;) {
        int64_t len = INT64_MAX;
        for (int k = 0; k < n; k++)
            if (iv[k].end - iv[k].start > prev && iv[k].end - iv[k].start < len)
                len = iv[k].end - iv[k].start;
        if (len == INT64_MAX)
            break;
        const int64_t head = q;
        int32_t cnt = 0;
        q += 2;
#define SC_PAIR(A, B)                                                                          \
    do {                                                                                       \
        if (prog) {                                                                            \
            prog[q] = (int32_t)(A);                                                            \
            prog[q + 1] = (int32_t)(B);                                                        \
        }                                                                                      \
        q += 2;                                                                                \
        cnt++;                                                                                 \
    } while (0)
        if (kind == 0) { /* rows in increasing order, each once (starts and ends never decrease) */
            int64_t hdone = 0;
            for (int i = 0; i < n; i++) {
                for (int64_t h = lv->rows[i].start > hdone ? lv->rows[i].start : hdone;
                     h < lv->rows[i].end; h++)
                    for (int j = 0; j < n; j++)
                        if (lv->cols[j].end - lv->cols[j].start == len)
                            SC_PAIR(h * pl->p.w + lv->cols[j].start, h * n + j);
                if (lv->rows[i].end > hdone)
                    hdone = lv->rows[i].end;
            }
        } else {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    if (lv->rows[i].end - lv->rows[i].start == len)
                        SC_PAIR(lv->rows[i].start * n + j, sp->boff[l] + i * n + j);
        }
#undef SC_PAIR
        if (prog) {
            prog[head] = (int32_t)len;
            prog[head + 1] = cnt;
        }
        runs++;
        prev = len;
    }
    if (prog)
        prog[at] = runs;
    return q;
}

/* The plan and, if prog is non-NULL, the program: first the merge program, per covered bin
 * (in computation order) its bin index, the piece count k, then k source bin indices (row
 * pieces outer); then per input level its fold program (sc_fold_runs: row partials, bins). */
static void sc_build(sc_plan *sp, const spp_plan *pl, int32_t *prog)
{
    const int L = pl->p.nlevels;
    int32_t off = 0, nrp = 0;
    for (int l = 0; l < L; l++) {
        sp->boff[l] = off;
        off += pl->lv[l].n * pl->lv[l].n;
        sp->order[l] = l;
    }
    sp->nbins = off;
    for (int t = 1; t < L; t++) /* finer (larger n) first, stable */
        for (int u = t; u > 0 && pl->lv[sp->order[u]].n > pl->lv[sp->order[u - 1]].n; u--) {
            const int z = sp->order[u];
            sp->order[u] = sp->order[u - 1];
            sp->order[u - 1] = z;
        }
    int64_t q = 0;
    for (int t = 0; t < L; t++) {
        const int l = sp->order[t];
        /* a merge costs about two folds */
        int64_t best = sc_input_cost(pl, l);
        sp->src[l] = -1;
        for (int u = 0; u < t; u++) {
            const int64_t c = sc_cover_cost(pl, l, sp->order[u]);
            if (c >= 0 && 2 * c < best) {
                best = 2 * c;
                sp->src[l] = sp->order[u];
            }
        }
        const spp_level_plan *a = &pl->lv[l];
        if (sp->src[l] < 0) {
            if (pl->p.h * a->n > nrp)
                nrp = (int32_t)(pl->p.h * a->n);
            continue;
        }
        const spp_level_plan *b = &pl->lv[sp->src[l]];
        static const int M = SPP_MAX_LEVEL;
        int32_t ri[SPP_MAX_LEVEL * SPP_MAX_LEVEL], cj[SPP_MAX_LEVEL * SPP_MAX_LEVEL];
        int nr[SPP_MAX_LEVEL], nc[SPP_MAX_LEVEL];
        const int dj = pl->p.pool == SPP_POOL_AVG; /* avg sums: covers without overlap */
        for (int i = 0; i < a->n; i++) { /* per bin row and column, once */
            nr[i] = sc_cover(b->rows, b->n, a->rows[i].start, a->rows[i].end, dj, ri + i * M);
            nc[i] = sc_cover(b->cols, b->n, a->cols[i].start, a->cols[i].end, dj, cj + i * M);
        }
        for (int i = 0; i < a->n; i++)
            for (int j = 0; j < a->n; j++) {
                if (prog) {
                    prog[q] = sp->boff[l] + i * a->n + j;
                    prog[q + 1] = nr[i] * nc[j];
                    for (int r = 0; r < nr[i]; r++)
                        for (int c = 0; c < nc[j]; c++)
                            prog[q + 2 + r * nc[j] + c] =
                                sp->boff[sp->src[l]] + ri[i * M + r] * b->n + cj[j * M + c];
                }
                q += 2 + nr[i] * nc[j];
            }
    }
    sp->nrp = nrp;
    for (int l = 0; l < L; l++) {
        sp->fold[l] = -1;
        if (sp->src[l] < 0) {
            sp->fold[l] = q;
            q = sc_fold_runs(pl, sp, l, 1, prog, sc_fold_runs(pl, sp, l, 0, prog, q));
        }
    }
    sp->nprog = q;
}

static inline size_t sc_al(size_t b) { return (b + 63) / 64 * 64; }

/* The state, everything a call derives from the plan alone: [sc_plan][position table][merge
 * and fold programs][avg reciprocals] (each part 64-byte aligned; the table has room for 16
 * lanes per pixel). A prepared operation keeps it (spp_exec.state); otherwise a call writes it
 * at the start of its workspace. */
static inline size_t sc_pt_off(void) { return sc_al(sizeof(sc_plan)); }
static inline size_t sc_prog_off(const spp_plan *pl)
{
    return sc_pt_off() + sc_al((size_t)(pl->p.h * pl->p.w) * 64);
}
static inline size_t sc_rcp_off(const spp_plan *pl, const sc_plan *sp)
{
    return sc_al(sc_prog_off(pl) + (size_t)sp->nprog * 4);
}
static inline size_t sc_state_end(const spp_plan *pl, const sc_plan *sp)
{
    return sc_rcp_off(pl, sp) + (size_t)pl->bins_per_channel * sizeof(float);
}

/* Workspace: [the state][per-thread slices]; a slice holds a task's tiles, row partials and
 * bins, on pages of its own. */
typedef struct {
    size_t slices, slice;             /* the slices' start, one slice */
    size_t tile_off, rp_off, bin_off; /* inside a slice */
} sc_ws;

#define SC_TILE_BYTES (256u << 10)
/* 16-channel groups per task: NHWC copies a chunk of groups pixel by pixel in address order
 * (all of C when that fits SC_TILE_BYTES of tiles; split so there are >= 2 tasks per thread);
 * NCHW takes one group per task (its planes are contiguous anyway). */
static inline int64_t sc_chunk(const spp_plan *pl, int threads)
{
    const int64_t G = (pl->p.c + 15) / 16, n = pl->p.n;
    if (pl->p.layout != SPP_LAYOUT_NHWC)
        return 1;
    int64_t g = (int64_t)(SC_TILE_BYTES / ((size_t)(pl->p.h * pl->p.w) * 64));
    g = g < 1 ? 1 : g > G ? G : g;
    return spp_group_for_threads(g, G, n, threads);
}

/* A wave: the groups whose folds the 16-lane core runs side by side, each step of the plan
 * (a row partial, a bin, a merge) done for every group of the wave before the next, so the
 * plan is walked once per wave rather than once per group. NHWC passes without positions
 * (max without argmax, avg) run in waves whose row partials and bins stay within
 * SC_WAVE_BYTES, a third of L1d, which leaves room for the pixels read; one group per wave
 * when one group's exceed it. Passes with positions and NCHW take one group: with positions
 * waves measured slower (docs/perf-log.md, 2026-12-07). The layout has room for positions
 * too (a values-only wave that meets a -0.0 reruns with them). */
#ifndef SC_WAVE_BYTES
#define SC_WAVE_BYTES (16u << 10)
#endif
static inline int64_t sc_wave(const spp_plan *pl, const sc_plan *sp, int threads, int positions)
{
    if (positions || pl->p.layout != SPP_LAYOUT_NHWC)
        return 1;
    const size_t per = ((size_t)sp->nrp + (size_t)sp->nbins) * 64;
    int64_t k = (int64_t)(SC_WAVE_BYTES / per);
    const int64_t gc = sc_chunk(pl, threads);
    return k < 1 ? 1 : k > gc ? gc : k;
}

static inline sc_ws sc_layout(const spp_plan *pl, const sc_plan *sp, int threads)
{
    const size_t k = (size_t)sc_wave(pl, sp, threads, 0); /* the widest */
    sc_ws w;
    w.slices = spp_page_round(sc_state_end(pl, sp));
    w.tile_off = 0; /* 16 lanes per pixel (a tile per group); per group of a wave, row
                       partials and bins (values, then positions) */
    w.rp_off = sc_al((size_t)(pl->p.h * pl->p.w) * 64 * (size_t)sc_chunk(pl, threads));
    w.bin_off = w.rp_off + sc_al(k * (size_t)sp->nrp * 128);
    w.slice = spp_page_round(w.bin_off + sc_al(k * (size_t)pl->bins_per_channel * 128));
    return w;
}

/* Whether the small path takes this problem (forward max, small plane). The core itself is
 * correct on any max plane (the layout and the program have no size limit): SC_MAX_HW is the
 * size beyond which it is not the faster path. Inline, like the two below, so a file that
 * includes this header for one of them does not warn about the others. */
static inline int sc_takes(const spp_plan *pl)
{
    return pl->p.pool == SPP_POOL_MAX && pl->p.h * pl->p.w <= SC_MAX_HW;
}

/* The state's bytes (a prepared operation's spp_exec.state). */
static inline size_t sc_state_bytes(const spp_plan *pl)
{
    sc_plan sp;
    sc_build(&sp, pl, NULL);
    return sc_state_end(pl, &sp);
}

/* The core's workspace for any plane, whether sc_takes it or not (a forced path). */
static inline size_t sc_workspace_any(const spp_plan *pl, int threads)
{
    sc_plan sp;
    sc_build(&sp, pl, NULL);
    const sc_ws w = sc_layout(pl, &sp, threads);
    return w.slices + (size_t)(threads < 1 ? 1 : threads) * w.slice;
}

static inline size_t sc_workspace(const spp_plan *pl, int threads)
{
    return sc_takes(pl) ? sc_workspace_any(pl, threads) : 0;
}

/* Levels the program reads from the input (the others are merged from finer bins). */
static inline int sc_input_levels(const spp_plan *pl)
{
    sc_plan sp;
    sc_build(&sp, pl, NULL);
    int nin = 0;
    for (int l = 0; l < pl->p.nlevels; l++)
        nin += sp.src[l] < 0;
    return nin;
}

#endif
