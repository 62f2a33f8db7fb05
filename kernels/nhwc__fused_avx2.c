/* nhwc__fused_avx2: the whole pyramid in one pass over the input, AVX2, OpenMP threads.
 *
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan (the only
 *      boundary logic here is set logic on the plan's intervals, nhwc_fused_plan.c).
 * Paths (forward: nhwc_fused_fwd.h; backward: nhwc_fused_bwd.h), blocks of 32 channels:
 *  - rows (default): a task (sample, channel group, normally all of C) reads each input row
 *    once, reduces it over every distinct column interval of all levels (unions of shorter
 *    intervals merged, elementary segments where levels do not nest), and folds the row
 *    partials into every bin containing the row (nhwc_fused_rows.h). Small maps (H x
 *    intervals <= 320: zf5, vgg16-600) run two-phase: all rows' partials, then each bin folds
 *    its rows in registers and is stored once.
 *  - 2-D blocks: max with argmax on maps of at least 600 cells whose input stays in L3
 *    (detection maps, fast-rcnn, vgg16-600): each element read once into disjoint blocks,
 *    merged into rows and columns (nhwc_fused_blocks.h).
 *  - small planes: forward max (with or without argmax) with H*W <= 400 (SC_MAX_HW) and at
 *    most one level read from the input: the cell-major core of small_cells_avx2.h (shared
 *    with nchw__fused_avx2), 16 channels per task over a tile in L1.
 *  - max backward of small maps (an output per 4 pixels or more): a tile in L1 written to dx
 *    once; otherwise zero-fill and scatter. Avg backward row by row.
 * Max: fast folds, NaN probe, exact rerun on a possible NaN: first maximum on ties (-0.0 ==
 *      +0.0), last NaN, all -inf -> first element, y == x[argmax] bitwise, naive's
 *      (docs/spec.md#3-max-and-avg). Avg: float sums times a double reciprocal, same for any thread count.
 * Parallel split: tasks (sample, channel group), >= 2 per thread when N is small; forward
 *      tasks write disjoint outputs, backward tasks own disjoint dx regions; no atomics. dx
 *      is bitwise naive's (docs/spec.md#4-gradients).
 * Workspace: the plan, plus per thread a group's accumulators and the partial slots (or the
 *      2-D blocks' slots, or the backward's tile), or the small-plane core's, the larger.
 * Weakest: small maps with many levels (zf5 13x13 {6,3,2,1}) spend much of their time on
 *      plan decoding and loop overhead; C < 8 leaves most lanes idle; inputs of <= 512
 *      elements run naive's loops (the per-call plan would cost more). */
#include "nhwc_fused_fwd.h"
#include "nhwc_fused_bwd.h"
#include "small_cells_avx2.h"

/* Forward max of small planes, with or without argmax: the cell-major core of
 * small_cells_avx2.h; everything else (and inputs naive takes) as before. */
static int fz_small(const spp_plan *pl)
{
    return sc_takes(pl) && pl->p.c >= NHWC_MIN_C && spp_input_elems(&pl->p) > FZ_MIN_ELEMS;
}

static spp_status fz_forward_avx2(const spp_plan *pl, const float *x, float *y,
                                  int32_t *argmax, const spp_exec *ex)
{
    /* at most one level read from the input: with more (zf5-3lvl: 3 and 2 do not nest) the
     * column segments of fz_forward do better */
    if (fz_small(pl) && sc_forward(pl, x, y, argmax, ex, 1))
        return SPP_OK;
    return fz_forward(pl, x, y, argmax, ex);
}

/* Either path's workspace (argmax is not known here): the larger. */
static size_t fz_workspace_avx2(const spp_plan *pl, int threads, int path)
{
    (void)path; /* every path fits: the workspace is the largest any path needs */
    const size_t a = fz_workspace(pl, threads), b = sc_workspace(pl, threads);
    return a > b ? a : b;
}

static const spp_path nhwc__fused_avx2_paths[] = {
    {"default", SPP_PASSES_ALL, "always (one path)"},
};

const spp_kernel spp_kernel_nhwc__fused_avx2 = {
    .name = "nhwc__fused_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "NHWC, one pass for all levels (separable rows x columns, nested levels), AVX2, OpenMP",
    .forward = fz_forward_avx2,
    .backward = fz_backward,
    .workspace_size = fz_workspace_avx2,
    .paths = nhwc__fused_avx2_paths,
    .npaths = 1,
    .choose_path = NULL,
};
