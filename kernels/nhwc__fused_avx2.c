/* nhwc__fused_avx2: the whole pyramid in one pass over the input, AVX2, OpenMP threads.
 *
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan (the only
 *      boundary logic here is set logic on the plan's intervals, nhwc_fused_plan.c).
 * Paths (spp_fz_choose_path in nhwc_fused_plan.c decides, with every threshold; each path is
 *      forcible on every problem of its pool, blocks-2d where its block plan exists):
 *  - scalar: inputs of <= 512 elements run naive's loops (the per-call plan costs more).
 *  - small-cells: forward max (argmax or not), H*W <= 400, C >= 2, one level read from the
 *    input or H*W <= 64: the cell-major core of small_cells_avx2.h, 16 channels, L1 tile.
 *  - blocks-2d: max on maps of >= 600 cells within L3 (2 MiB values only): each element read
 *    once into disjoint blocks, merged into rows and columns (nhwc_fused_blocks.h).
 *  - two-phase (H*W <= 400, H x column intervals <= 320), rows (otherwise): a task (sample,
 *    channel group, normally all of C) reduces each input row over every distinct column
 *    interval of all levels, then folds the row partials into the bins containing the row;
 *    two-phase keeps all rows' partials and folds each bin in registers (nhwc_fused_rows.h).
 *    two-phase-cols (partials built interval by interval) is forced only. 32-channel blocks.
 *  - backward (nhwc_fused_bwd.h): max, H*W <= 400, an output per 4 pixels: bwd-tile (dx < 1
 *    MiB) or bwd-tile-pfw; other max: bwd-scatter-nt (dx >= 16 MiB, 1 thread) or bwd-scatter;
 *    avg: bwd-window (H*W <= 400, <= 8 window cells per output; max: forced) else bwd-avg.
 * Max: fast folds, NaN probe, exact rerun on a possible NaN: first maximum on ties (-0.0 ==
 *      +0.0), last NaN, all -inf -> first element, y == x[argmax] bitwise, naive's
 *      (docs/spec.md#3-max-and-avg). Avg: float sums times a float scale, same for any
 *      thread count; a NaN mean is the default NaN on the row paths.
 * Parallel split: tasks (sample, channel group), >= 2 per thread when N is small; forward
 *      tasks write disjoint outputs, backward tasks own disjoint dx regions; no atomics. dx
 *      is bitwise naive's (docs/spec.md#4-gradients).
 * Workspace: the most any pass's path needs (nhwc_fused_ws.h); small-cells' plan is prepared state.
 * Weakest: small maps with many levels (zf5 13x13 {6,3,2,1}) spend much of their time on
 *      plan decoding and loop overhead; C < 8 leaves most lanes idle. */
#include "nhwc_fused_fwd.h"
#include "nhwc_fused_bwd.h"
#include "small_cells_avx2.h"

static spp_status fz_forward_avx2(const spp_plan *pl, const float *x, float *y,
                                  int32_t *argmax, const spp_exec *ex)
{
    const int path =
        SPP_EXEC_PATH(ex, spp_fz_choose_path, pl, spp_forward_pass(&pl->p, argmax));
    if (path == FZP_SMALL) {
        sc_forward(pl, x, y, argmax, ex);
        return SPP_OK;
    }
    return fz_forward(pl, x, y, argmax, ex, path);
}

/* spp_kernel.prepare (fz_state_size): small-cells' state or the path's plan. */
static void fz_prepare_avx2(const spp_plan *pl, int threads, spp_pass pass, int path,
                            void *state)
{
    (void)threads;
    (void)pass;
    if (path == FZP_SMALL)
        sc_prepare(pl, state);
    else
        fz_plan_write(pl, path, state);
}

static spp_status fz_backward_avx2(const spp_plan *pl, const float *dy, const int32_t *argmax,
                                   float *dx, const spp_exec *ex)
{
    return fz_backward(pl, dy, argmax, dx, ex,
                       SPP_EXEC_PATH(ex, spp_fz_choose_path, pl, SPP_PASS_BACKWARD));
}

const spp_kernel spp_kernel_nhwc__fused_avx2 = {
    .name = "nhwc__fused_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "NHWC, one pass for all levels (separable rows x columns, nested levels), AVX2, OpenMP",
    .forward = fz_forward_avx2,
    .backward = fz_backward_avx2,
    .workspace_size = fz_workspace,
    .paths = spp_fz_paths,
    .npaths = FZP_COUNT,
    .choose_path = spp_fz_choose_path,
    .state_size = fz_state_size,
    .prepare = fz_prepare_avx2,
};
