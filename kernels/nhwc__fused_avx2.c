/* nhwc__fused_avx2: the whole pyramid in one pass over the input, AVX2, OpenMP threads.
 *
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan (the only
 *      boundary logic here is set logic on the plan's intervals: which column intervals are
 *      exact unions of shorter ones, and which row bins contain a row).
 * Algorithm (nhwc_common.h, "fused pyramid"): a task = (sample, group of 32-channel blocks,
 *      normally all of C) walks the input rows front to back once; each row is reduced over
 *      every distinct column interval of all levels (intervals that are unions of shorter ones,
 *      e.g. nested adaptive levels {6,3,2,1}, are merged from those partials instead of
 *      re-read; levels that do not nest, such as sppnet windows, get elementary segments between
 *      all interval ends, so each column is scanned once) and the row partials are folded into
 *      every bin whose row interval contains the row (separable rectangle reduction; works for
 *      every convention). Accumulators of the group stay in L1/L2; row h+1 is prefetched in
 *      address order (prefetcht1) by a cursor the scans advance: fetching each block's strided
 *      pixels instead ran `large` (rows of 128 KiB) at a third of DRAM speed. Small maps (H x distinct
 *      column intervals <= 320: zf5, vgg16-600) run two-phase per 32-channel block: the
 *      partials of all rows first, then each bin folds its rows in registers and is stored
 *      once (<= 192: partials built interval by interval, the plan decoded once per block).
 * 2-D blocks (max with argmax on maps of at least 600 cells whose input stays in L3: the
 *      detection maps, fast-rcnn, vgg16-600; fz_blocks in nhwc_common.h): the elementary row
 *      and column segments of all levels cut the map into disjoint blocks; each block is read
 *      once in registers (row-major, scan rule), row intervals are merged from blocks
 *      downwards (scan rule), column intervals side by side with the position-aware rule (the
 *      earlier position wins between equal maxima), so no per-row partials or row folds.
 *      Same bits as the row path. Same-run A/B against the row path (spp-bench, 3 interleaved
 *      rounds, medians of 5, ratio of times): sppnet det maps 30x40 to 54x72 0.72-0.80x at 1
 *      thread and 0.68-0.75x at 2; adaptive det-688 0.87x; fast-rcnn 0.84x; vgg16-600 0.63x.
 *      Slower on small maps and DRAM-sized inputs (see fz_blocks_shape), which keep the row path.
 * Max: value + position vectors. Fast path: b = max(v, b), pos follows (v > b); exact for
 *      in-order scans, left-to-right merges of overlapping 1-D intervals and row folds (proof in
 *      nhwc_common.h) when there is no NaN; a running lane sum detects a NaN and the task is
 *      redone with upd = (v > best) | isnan(v). Result: first maximum on ties (-0.0 == +0.0),
 *      last NaN, all -inf -> first element; y == x[argmax] bitwise, equal to naive's. Without
 *      argmax, values only.
 * Small planes, forward max with argmax (H*W <= 400, SC_MAX_HW): small_cells_avx2.h, the core
 *      shared with nchw__fused_avx2: tasks of 16 channels over a tile copied in address order,
 *      row partials + row folds for the finest level, coarser levels merged from exact covers
 *      by finer bins (total-order merges), NaN probe -> exact rerun; same bits as above. Taken
 *      only when at most one level is read from the input: with more (zf5-3lvl, where levels
 *      3 and 2 do not nest) it was slower than the segments here (0.87x), so those shapes stay
 *      on this path, as do max without argmax, avg and backward. Same-run A/B against the
 *      previous commit, 1 thread, medians of 2 interleaved rounds (spp-bench, 5 repetitions):
 *      zf5-224 N=1 1.26x, N=64 1.26x, sppnet N=1 1.67x, N=64 1.32x, zf5-180 1.17x, odd 1.74x.
 *      Far from the 3-5x hoped for: per 16-channel group ~7k instructions (folds of 3 ops per
 *      vector, 7-op merges, the tile copy, the transposes out).
 * Avg: float sums, row partials over exact column partitions, then rows in order; divided in
 *      double by the two divisors. Deterministic: the arithmetic of a channel does not depend
 *      on the thread count or on which task holds it.
 * Parallel split: tasks (sample, channel group), schedule(dynamic,1) with num_threads(threads);
 *      groups are split so there are >= 2 tasks per thread when N is small. Forward tasks write
 *      disjoint outputs; backward tasks own disjoint dx regions and zero-fill and accumulate
 *      them in one pass (row by row for avg): no races, no atomics. dx is bitwise naive's (same
 *      per-element order) for every thread count.
 * Max backward of small maps (H*W <= 400, FZ_BT_MAX_HW, and an output per 4 pixels or
 *      more): dy is added into a tile of 16 channels per pixel in L1, written to dx once (no
 *      zero-fill of dx, no read-modify-write in L2): zf5-224 N=1 0.66x the time of the
 *      scatter into dx, N=64 0.83x, zf5-180 0.91x, odd 0.66x (same-run A/B, 1 thread, 8
 *      interleaved rounds of 5-repetition medians). zf5-3lvl keeps the scatter (see
 *      fz_back_tiled). When dx exceeds 1 MiB, the copy-out prefetches dx's lines for writing
 *      32 pixels ahead (FZ_BT_PFW): zf5-224 N=64 0.74x the time at 1 thread and 0.75-0.83x
 *      at 2, zf5-180 0.78-0.82x (same-run A/B, 8 and 10 interleaved rounds).
 * Workspace: the column/row plan, plus per thread min(C, 256 KiB worth) of accumulators
 *      (sum n^2 bins x channels x 8 bytes) and one row (two-phase: all rows) of column
 *      partials, or the 2-D blocks' slots when more (row items x column leaves + column
 *      items, 32 channels each: 348 slots, 87 KiB, for det-688's sppnet bins), or the max
 *      backward's tile when more (H*W x 64 bytes).
 * Output: the [bin][channel] accumulator tile is transposed into y's [channel][bin] runs with
 *      8x8 and 4x8 register transposes (a one-bin level is a plain copy); avg means are divided
 *      4 lanes at a time in double (vdivpd, vcvtpd2ps: the scalar casts' rounding) first.
 * Versus naive: never slower. Where it stays far from the read-once bound: small maps with
 *      many levels (zf5: 13x13, {6,3,2,1}; figures from before the small-plane path): ~35
 *      instructions per input vector with argmax
 *      (~24 without), of which ~2.7 vector folds per input vector and the rest loop and
 *      address overhead of the generic plan; with C < 8 most lanes are masked off. Inputs
 *      of <= 512 elements run naive's loops: the per-call plan (about a microsecond) made it
 *      slower than naive there. */
#define NHWC_WANT_FUSED
#include "nhwc_common.h"
#include "small_cells_avx2.h"

/* Forward max with argmax of small planes: the cell-major core of small_cells_avx2.h;
 * everything else (and inputs naive takes) as before. */
static int fz_small(const spp_plan *pl, const int32_t *argmax)
{
    return argmax && sc_takes(pl) && pl->p.c >= NHWC_MIN_C &&
           spp_input_elems(&pl->p) > FZ_MIN_ELEMS;
}

static spp_status fz_forward_avx2(const spp_plan *pl, const float *x, float *y,
                                  int32_t *argmax, const spp_exec *ex)
{
    /* at most one level read from the input: with more (zf5-3lvl: 3 and 2 do not nest) the
     * column segments of fz_forward were faster (0.87x) */
    if (fz_small(pl, argmax) && sc_forward(pl, x, y, argmax, ex, 1))
        return SPP_OK;
    return fz_forward(pl, x, y, argmax, ex);
}

/* Either path's workspace (argmax is not known here): the larger. */
static size_t fz_workspace_avx2(const spp_plan *pl, int threads)
{
    const size_t a = fz_workspace(pl, threads), b = sc_workspace(pl, threads);
    return a > b ? a : b;
}

const spp_kernel spp_kernel_nhwc__fused_avx2 = {
    .name = "nhwc__fused_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "NHWC, one pass for all levels (separable rows x columns, nested levels), AVX2, OpenMP",
    .forward = fz_forward_avx2,
    .backward = fz_backward,
    .workspace_size = fz_workspace_avx2,
};
