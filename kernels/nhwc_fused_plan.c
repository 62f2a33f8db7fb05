/* nhwc_fused_plan.c: the fused NHWC kernels' planner and path choice (nhwc_fused_plan.h):
 * scalar set logic on the plan's intervals, the same for every ISA, so compiled once. Not a
 * kernel (the registry is kernels.inc). Boundaries come only from the plan
 * (docs/spec.md#2-bins); the planner decides which intervals are unions of shorter ones and
 * which rows each bin holds; spp_fz_choose_path (the end of this file) decides the path, with
 * every size and cache threshold of the two kernels. */
#include <string.h>

#include "fused_cells_plan.h"
#include "nhwc_fused_plan.h"

static int fz_row_route(const spp_plan *pl, int nq, int wide);

/* Pieces of every interval of a set (nq intervals [qs, qe): ord, np, piece) from the shorter
 * ones. With scan set, an interval is read from the input instead (np = 0) when its pieces are
 * no fewer than its elements; without it, every interval that has a cover of at most FZ_MAXP
 * pieces gets one. Returns the estimated cost of one row's column partials in half units: 2
 * per element scanned, 3 per merged piece (a fold and two L1 loads), 2 per slot stored. */
static int64_t fz_pieces(int nq, const int64_t *qs, const int64_t *qe, int16_t *ord, int16_t *npc,
                         int16_t (*piece)[FZ_MAXP], int sums, int scan)
{
    /* shorter intervals first (stable), so every piece is ready before it is merged */
    for (int q = 0; q < nq; q++) {
        int t = q;
        const int64_t len = qe[q] - qs[q];
        while (t > 0 && qe[ord[t - 1]] - qs[ord[t - 1]] > len) {
            ord[t] = ord[t - 1];
            t--;
        }
        ord[t] = (int16_t)q;
    }
    int64_t cost = 2 * (int64_t)nq;
    for (int t = 0; t < nq; t++) {
        const int q = ord[t];
        const int64_t s = qs[q], e = qe[q];
        int64_t cur = s;
        int np = 0;
        while (cur < e && np < FZ_MAXP) {
            int best = -1;
            int64_t bend = cur;
            for (int u = 0; u < t; u++) {
                const int r = ord[u];
                if (qe[r] - qs[r] >= e - s)
                    break;
                const int fits = sums ? qs[r] == cur : qs[r] >= s && qs[r] <= cur;
                if (fits && qe[r] <= e && qe[r] > bend) {
                    best = r;
                    bend = qe[r];
                }
            }
            if (best < 0)
                break;
            piece[q][np++] = (int16_t)best;
            cur = bend;
        }
        npc[q] = (int16_t)(cur == e && (!scan || np < e - s) ? np : 0);
        cost += npc[q] ? 3 * (int64_t)npc[q] : 2 * (e - s);
    }
    return cost;
}
#define FZ_PIECES(iv, sums, scan) \
    fz_pieces((iv)->nq, (iv)->qs, (iv)->qe, (iv)->ord, (iv)->np, (iv)->piece, sums, scan)

/* [s, e) into the set (qs, qe, *nq) unless it is there; its index, or -1 if the set already
 * holds cap intervals. */
static int fz_add(int *nq, int64_t *qs, int64_t *qe, int64_t s, int64_t e, int cap)
{
    int q = 0;
    while (q < *nq && !(qs[q] == s && qe[q] == e))
        q++;
    if (q == *nq) {
        if (q == cap)
            return -1;
        qs[q] = s;
        qe[q] = e;
        (*nq)++;
    }
    return q;
}

/* Elementary segments of the set's *nq intervals appended to it: the runs between consecutive
 * interval ends that lie inside some interval and are not one (room: 2 * nq - 1 more). */
static void fz_segments(int *nq, int64_t *qs, int64_t *qe)
{
    const int nq0 = *nq;
    /* breakpoints: every start and end, sorted, distinct */
    int64_t bk[2 * FZ_MAXQ];
    int nb = 0;
    for (int q = 0; q < nq0; q++)
        for (int side = 0; side < 2; side++) {
            const int64_t v = side ? qe[q] : qs[q];
            int t = nb;
            while (t > 0 && bk[t - 1] > v)
                t--;
            if (t > 0 && bk[t - 1] == v)
                continue;
            memmove(bk + t + 1, bk + t, (size_t)(nb - t) * sizeof *bk);
            bk[t] = v;
            nb++;
        }
    for (int k = 0; k + 1 < nb; k++) {
        const int64_t s = bk[k], e = bk[k + 1];
        int inside = 0, dup = 0;
        for (int q = 0; q < nq0; q++) {
            inside |= qs[q] <= s && e <= qe[q];
            dup |= qs[q] == s && qe[q] == e;
        }
        if (inside && !dup) {
            qs[*nq] = s;
            qe[*nq] = e;
            (*nq)++;
        }
    }
}

/* The distinct column intervals of all levels (qs, qe, colq, lbin), plus, where that is
 * cheaper, elementary segments: the runs between consecutive interval ends of all levels.
 * Every interval is then a union of segments, so each column of a row is scanned once and
 * the intervals are merged from segments and shorter intervals. Levels that nest (adaptive
 * levels dividing each other) already share their work and keep the plain intervals; levels
 * that do not (sppnet windows of 57 columns at levels 6, 3, 2: 156 scanned columns a row,
 * 57 with segments) gain. The choice does not depend on the pool, so the forward and the
 * backward of one plan agree on nq (the workspace is sized from it). */
static void fz_intervals(fz_plan *fp, const spp_plan *pl)
{
    const spp_problem *p = &pl->p;
    fp->nq = 0;
    int32_t bin = 0;
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        fp->lbin[l] = bin;
        bin += lv->n * lv->n;
        for (int j = 0; j < lv->n; j++) /* at most SPP_MAX_LEVELS * SPP_MAX_LEVEL: never -1 */
            fp->colq[l][j] = (int16_t)fz_add(&fp->nq, fp->qs, fp->qe, lv->cols[j].start,
                                             lv->cols[j].end, FZ_MAXQ);
    }
    /* the pieces are left computed for max (spp_fz_build redoes them for sums) */
    const int nq0 = fp->nq;
    const int64_t cost0 = FZ_PIECES(fp, 0, 1);
    if (3 * nq0 > FZ_MAXQ) /* room for up to 2 * nq0 - 1 segments */
        return;
    fz_segments(&fp->nq, fp->qs, fp->qe);
    if (fp->nq == nq0)
        return;
#ifndef FZ_FORCE_SEGMENTS /* tests build with it, so the segment path is checked on every shape */
    if (10 * FZ_PIECES(fp, 0, 1) >= 9 * cost0) { /* not worth it: the segments are the last */
        fp->nq = nq0;                             /* slots, colq never names them */
        FZ_PIECES(fp, 0, 1);
    }
#else
    FZ_PIECES(fp, 0, 1);
    (void)cost0;
#endif
}

/* One axis of the 2-D blocks (fz_blocks): the distinct row (rows set) or column intervals of
 * all levels, their elementary segments, and a cover of every other interval by shorter ones.
 * The leaves (items read from the input, np = 0) must then be elementary: no interval end
 * inside them, so the leaves are disjoint and every item is a union of them. Returns 0 when
 * that fails or the axis has more than FZ2_MAXI items (the 2-D blocks are not used then). */
static int fz_axis_build(fz_axis *ax, const spp_plan *pl, int rows)
{
    ax->nq = 0;
    for (int l = 0; l < pl->p.nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        for (int i = 0; i < lv->n; i++) {
            const spp_interval *iv = rows ? &lv->rows[i] : &lv->cols[i];
            const int q = fz_add(&ax->nq, ax->qs, ax->qe, iv->start, iv->end, FZ2_MAXI / 3);
            if (q < 0)
                return 0;
            ax->map[l][i] = (int16_t)q;
        }
    }
    const int nq0 = ax->nq;
    fz_segments(&ax->nq, ax->qs, ax->qe);
    FZ_PIECES(ax, 0, 0);
    ax->nleaf = 0;
    for (int q = 0; q < ax->nq; q++) {
        if (ax->np[q])
            continue;
        for (int u = 0; u < nq0; u++)
            if ((ax->qs[q] < ax->qs[u] && ax->qs[u] < ax->qe[q]) ||
                (ax->qs[q] < ax->qe[u] && ax->qe[u] < ax->qe[q]))
                return 0;
        int t = ax->nleaf++; /* leaves by start (they are disjoint) */
        while (t > 0 && ax->qs[ax->leaf[t - 1]] > ax->qs[q]) {
            ax->leaf[t] = ax->leaf[t - 1];
            t--;
        }
        ax->leaf[t] = (int16_t)q;
    }
    for (int t = 0; t < ax->nleaf; t++)
        ax->lix[ax->leaf[t]] = (int16_t)t;
    return 1;
}

/* The 2-D blocks' plan (ra, ca, need); returns their partial slots per thread (each row item
 * times the column leaves, then one per column item), or 0 if they cannot be used. */
static int64_t fz_blocks_plan(fz_plan *fp, const spp_plan *pl)
{
    if (!fz_axis_build(&fp->ra, pl, 1) || !fz_axis_build(&fp->ca, pl, 0))
        return 0;
    const fz_axis *ra = &fp->ra, *ca = &fp->ca;
    memset(fp->need, 0, sizeof fp->need);
    for (int l = 0; l < pl->p.nlevels; l++)
        for (int i = 0; i < pl->lv[l].n; i++)
            for (int j = 0; j < pl->lv[l].n; j++)
                fp->need[ra->map[l][i]] |= 1ull << ca->map[l][j];
    /* the pieces of needed column items are needed: longer items first */
    for (int r = 0; r < ra->nq; r++)
        for (int t = ca->nq - 1; t >= 0; t--) {
            const int c = ca->ord[t];
            if (fp->need[r] >> c & 1)
                for (int m = 0; m < ca->np[c]; m++)
                    fp->need[r] |= 1ull << ca->piece[c][m];
        }
    return (int64_t)ra->nq * ca->nleaf + ca->nq;
}

/* Partial slots per thread (pslots), two-phase (two) and the 2-D blocks (blk) for a path, on
 * a plan whose column intervals are set (fz_intervals). The 2-D blocks keep the slots of the
 * row path their exact rerun takes on a possible NaN, the 8-lane kernel's row path for the
 * map in both kernels (every row path is exact; this one needs no lane width here). Paths
 * without column partials (the backward ones) need no slots. */
static void fz_slots(fz_plan *fp, const spp_plan *pl, int path)
{
    int64_t s2 = 0;
    fp->blk = path == FZP_BLOCKS;
    if (fp->blk) {
        s2 = fz_blocks_plan(fp, pl); /* > 0: the path was chosen or checked valid */
        path = fz_row_route(pl, fp->nq, 0);
    }
    fp->two = path == FZP_TWO_COLS ? 2 : path == FZP_TWO ? 1 : 0;
    fp->pslots = fp->two ? pl->p.h * fp->nq : path == FZP_ROWS ? fp->nq : 0;
    if (s2 > fp->pslots)
        fp->pslots = s2;
}

int64_t spp_fz_count_slots(const spp_plan *pl, int path)
{
    if (path != FZP_ROWS && path != FZP_TWO && path != FZP_TWO_COLS && path != FZP_BLOCKS)
        return 0;
    fz_plan fp;
    fz_intervals(&fp, pl);
    fz_slots(&fp, pl, path);
    return fp.pslots;
}

/* Row ranges: bins of level l containing row h are rr[2*(l*H+h)] .. rr[2*(l*H+h)+1]
 * (bin starts and ends never decrease with the bin index in any convention, so the bins
 * containing a row are contiguous). */
void spp_fz_build(fz_plan *fp, int32_t *rr, uint8_t *rowon, const spp_plan *pl, int sums, int path)
{
    const spp_problem *p = &pl->p;
    fz_intervals(fp, pl);
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        for (int64_t h = 0; h < p->h; h++) {
            int lo = 0, hi = lv->n - 1;
            while (lo < lv->n && lv->rows[lo].end <= h)
                lo++;
            while (hi >= 0 && lv->rows[hi].start > h)
                hi--;
            rr[2 * (l * p->h + h)] = lo;
            rr[2 * (l * p->h + h) + 1] = hi;
        }
    }
    if (sums) /* fz_intervals left the pieces for max */
        FZ_PIECES(fp, 1, 1);
    fz_slots(fp, pl, sums ? (path == FZP_BLOCKS ? FZP_ROWS : path) : path);
    fp->rowon = rowon;
    if (fp->two)
        for (int64_t h = 0; h < p->h; h++) {
            int any = 0;
            for (int l = 0; l < p->nlevels; l++)
                any |= rr[2 * (l * p->h + h)] <= rr[2 * (l * p->h + h) + 1];
            rowon[h] = (uint8_t)any;
        }
}

/* ---- the paths, and the one place the kernels choose among them ----
 * Thresholds (the measurements behind them: docs/perf-log.md):
 *  - FZ_MIN_ELEMS: inputs of at most 512 elements run naive's loops; the per-call plan would
 *    cost more than the whole problem there.
 *  - the small-plane core: max forward on planes of at most SC_MAX_HW (400) pixels
 *    (fused_cells_plan.h), C >= 2 (one live lane of 16 does many times naive's work per
 *    element), and either one level read from the input or planes of at most FZ_SC_ANY_HW
 *    (64) pixels. Levels that do not nest (3 and 2 of 13x13, sppnet's of 10x10) are each
 *    read from the tile, and from 81 pixels up the row paths beat it by 5-28 %; on 7x5 with
 *    C = 67 (`odd`) it is 1.3-1.9x faster than they are, whose 32- or 64-channel blocks pay a
 *    whole block for the 3-channel tail. The 16-lane core also pools avg (nchw__fused_avx512
 *    takes it there), but on NHWC avg no rule chooses it: two-phase took 0.53-0.86x its time
 *    from 7x5 to 20x20 (docs/perf-log.md, 2026-12-06); it stays forcible.
 *  - the row paths: two-phase when H * nq partial slots are at most FZ_TWO_SLOTS (80 KiB at
 *    8 lanes: L2) on planes of at most FZ_TWO_MAX_HW (400) pixels in the 8-lane kernel and
 *    FZ_TWO_MAX_HW_WIDE (64) in the 16-lane one; rows otherwise (the 16-lane row walk beats
 *    two-phase from 81 pixels up, the 8-lane one only beyond 400). two-phase-cols (the
 *    partials built interval by interval) is taken by no rule: it was the slowest or within
 *    6 % of the fastest row path on every shape measured on the Xeon VM (docs/perf-log.md,
 *    2026-12-06); it stays forcible.
 *  - the 2-D blocks for max with argmax on maps of at least FZ2_MIN_HW cells (on smaller ones
 *    the two-phase row path is cheap and each block's slice of every pixel is fetched by
 *    itself), inputs that stay in L3 (FZ2_MAX_BYTES: from DRAM the row path's walk in address
 *    order streams and the blocks' 128-byte slices of 1-2 KiB pixels do not), and slots that
 *    stay in L2 (FZ2_MAX_SLOTS). Values only (inference) the row path has no positions to
 *    carry either, and the blocks win only on inputs of at most FZ2_INFER_MAX_BYTES (2 MiB, the
 *    VM's L2): 0.62-0.87x the row path's time on 30x40 and 36x48, 0.89-1.08x on 43x57,
 *    1.07-1.31x on 38x50 (C = 512) and 75x100 at 1 thread.
 *  - the tiled max backward on maps of at most FZ_BT_MAX_HW pixels with at least one output
 *    per 4 pixels (with fewer, the tile's writes cost more than the scatter into dx saves);
 *    its copy-out prefetches dx for writing when dx is at least FZ_BT_PFW_BYTES (on a dx in
 *    L2 the prefetches cost 1.12-1.37x); the scatter's zero-fill streams where
 *    spp_bwd_streams says so from FZ_NT_BYTES (one thread, dx larger than the last-level
 *    cache).
 *  - the avg backward by windows in an L1 tile on maps of at most FZ_BT_MAX_HW pixels whose
 *    bins' windows hold at most FZ_WIN_CELLS (16 lanes) or FZ_WIN_CELLS_8 (8 lanes) cells per
 *    output: its vector divides and tile beat bwd-avg's scalar divides and row walk where
 *    windows are small and lose where they are large. 16 lanes, time over bwd-avg at 1
 *    thread: odd 7x5 (7-7.8 cells) 0.40x, 10x10 {6,3,2,1} (12 cells) 0.75x, 13x13 {6,3,2,1}
 *    (18 cells) 1.01x, {3,2,1} (42 cells) 1.38x, 20x20 (57 cells) 1.37x. 8 lanes: odd
 *    0.63-0.66x (0.83-0.89x at 2 threads), 10x10 {6,3,2,1} already 1.11-1.13x, 13x13
 *    1.34-1.90x. For max it lost to bwd-tile even on odd (1.09-1.14x at 1 thread, 16 lanes):
 *    a compare and a masked add per window cell cost more than a scalar read-modify-write
 *    per output. docs/perf-log.md, 2026-12-07. */
#define FZ_MIN_ELEMS 512
#define FZ_SC_MIN_C 2
#define FZ_SC_ANY_HW 64
#define FZ_TWO_SLOTS 320
#define FZ_TWO_MAX_HW 400
#define FZ_TWO_MAX_HW_WIDE 64
#define FZ2_MIN_HW 600
#define FZ2_MAX_BYTES (16u << 20)
#define FZ2_INFER_MAX_BYTES (2u << 20)
#define FZ2_MAX_SLOTS 1024
#define FZ_BT_MAX_HW 400
#define FZ_BT_PFW_BYTES (1u << 20)
#define FZ_NT_BYTES (16u << 20)
#ifndef FZ_WIN_CELLS
#define FZ_WIN_CELLS 16
#endif
#ifndef FZ_WIN_CELLS_8
#define FZ_WIN_CELLS_8 8
#endif

#define FZ_FWD (SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_INFER))
#define FZ_BWD SPP_PASS_BIT(SPP_PASS_BACKWARD)
const spp_path spp_fz_paths[FZP_COUNT] = {
    [FZP_SCALAR] = {"scalar", SPP_PASSES_ALL, "inputs of <= 512 elements: naive's loops"},
    [FZP_SMALL] = {"small-cells", FZ_FWD,
                   "max forward, H*W <= 400, C >= 2, one level read from the input or H*W <= 64 "
                   "(avg: 16 lanes, forced only)"},
    [FZP_ROWS] = {"rows", FZ_FWD, "forward otherwise"},
    [FZP_TWO] = {"two-phase", FZ_FWD,
                 "forward, H x column intervals <= 320, H*W <= 400 (8 lanes) or <= 64 (16 lanes)"},
    [FZP_TWO_COLS] = {"two-phase-cols", FZ_FWD, "never chosen; forced only"},
    [FZP_BLOCKS] = {"blocks-2d", FZ_FWD,
                    "max, H*W >= 600, x <= 16 MiB (2 MiB values only), <= 1024 slots (if plannable)"},
    [FZP_BT] = {"bwd-tile", FZ_BWD, "max, H*W <= 400, an output per 4 pixels, dx < 1 MiB"},
    [FZP_BT_PFW] = {"bwd-tile-pfw", FZ_BWD, "bwd-tile's maps with dx >= 1 MiB"},
    [FZP_SCATTER] = {"bwd-scatter", FZ_BWD, "max backward otherwise, dx < 16 MiB, within the L3 or threads > 1"},
    [FZP_SCATTER_NT] = {"bwd-scatter-nt", FZ_BWD, "max backward otherwise, dx >= 16 MiB and > L3, 1 thread"},
    [FZP_BWD_AVG] = {"bwd-avg", FZ_BWD, "avg backward (inputs of > 512 elements)"},
    [FZP_BWD_WIN] = {"bwd-window", FZ_BWD,
                     "avg, H*W <= 400, <= 16 window cells per output (8 lanes: <= 8); max: forced "
                     "only"},
};

/* The cells of all bins' windows, per channel: the bwd-window path's work. */
static int64_t fz_window_cells(const spp_plan *pl)
{
    int64_t cells = 0;
    for (int l = 0; l < pl->p.nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        int64_t rows = 0, cols = 0;
        for (int i = 0; i < lv->n; i++) {
            rows += lv->rows[i].end - lv->rows[i].start;
            cols += lv->cols[i].end - lv->cols[i].start;
        }
        cells += rows * cols;
    }
    return cells;
}

/* The row path for nq column intervals: two-phase or rows (wide: the 16-lane kernel). */
static int fz_row_route(const spp_plan *pl, int nq, int wide)
{
    const int64_t max_hw = wide ? FZ_TWO_MAX_HW_WIDE : FZ_TWO_MAX_HW;
    const int two = pl->p.h * pl->p.w <= max_hw && pl->p.h * nq <= FZ_TWO_SLOTS;
    return two ? FZP_TWO : FZP_ROWS;
}

/* Whether a forced path gives correct results for the plan and pass. Every path that serves
 * the pass does, whatever the size, except those of the other pool (small-cells pools avg
 * only in the 16-lane core), and the 2-D blocks where their plan cannot be built (a leaf not
 * elementary, or an axis of more than FZ2_MAXI / 3 distinct intervals). */
static int fz_valid(const spp_plan *pl, spp_pass pass, int path, int wide)
{
    const int max = pl->p.pool == SPP_POOL_MAX;
    if (!fz_serves(path, pass))
        return 0;
    switch (path) {
    case FZP_SMALL:
        return max || wide;
    case FZP_BT:
    case FZP_BT_PFW:
    case FZP_SCATTER:
    case FZP_SCATTER_NT:
        return max;
    case FZP_BLOCKS: {
        fz_plan fp;
        return max && fz_blocks_plan(&fp, pl) > 0;
    }
    case FZP_BWD_AVG:
        return !max;
    default: /* scalar, the row paths and bwd-window: any problem */
        return 1;
    }
}

static int fz_choose(const spp_plan *pl, int threads, spp_pass pass, int force, int wide)
{
    if (force >= 0)
        return fz_valid(pl, pass, force, wide) ? force : -1;
    const spp_problem *p = &pl->p;
    const int64_t hw = p->h * p->w;
    const uint64_t bytes = (uint64_t)spp_input_elems(p) * sizeof(float);
    if (spp_input_elems(p) <= FZ_MIN_ELEMS)
        return FZP_SCALAR;
    if (pass == SPP_PASS_BACKWARD) {
        if (p->pool != SPP_POOL_MAX)
            return hw <= FZ_BT_MAX_HW &&
                           fz_window_cells(pl) <= (wide ? FZ_WIN_CELLS : FZ_WIN_CELLS_8) *
                                                      pl->bins_per_channel
                       ? FZP_BWD_WIN
                       : FZP_BWD_AVG;
        if (hw <= FZ_BT_MAX_HW && 4 * pl->bins_per_channel >= hw)
            return bytes >= FZ_BT_PFW_BYTES ? FZP_BT_PFW : FZP_BT;
        return spp_bwd_streams((int64_t)bytes, FZ_NT_BYTES, threads) ? FZP_SCATTER_NT
                                                                     : FZP_SCATTER;
    }
    if (p->pool == SPP_POOL_MAX && sc_takes(pl) && p->c >= FZ_SC_MIN_C &&
        (hw <= FZ_SC_ANY_HW || sc_input_levels(pl) <= 1))
        return FZP_SMALL;
    fz_plan fp;
    fz_intervals(&fp, pl);
    if (p->pool == SPP_POOL_MAX && hw >= FZ2_MIN_HW &&
        bytes <= (pass == SPP_PASS_INFER ? FZ2_INFER_MAX_BYTES : FZ2_MAX_BYTES)) {
        const int64_t s2 = fz_blocks_plan(&fp, pl);
        if (s2 > 0 && s2 <= FZ2_MAX_SLOTS)
            return FZP_BLOCKS;
    }
    return fz_row_route(pl, fp.nq, wide);
}

int spp_fz_choose_path(const spp_plan *pl, int threads, spp_pass pass, int force)
{
    return fz_choose(pl, threads, pass, force, 0);
}

int spp_fz512_choose_path(const spp_plan *pl, int threads, spp_pass pass, int force)
{
    return fz_choose(pl, threads, pass, force, 1);
}
