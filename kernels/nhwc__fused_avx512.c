/* nhwc__fused_avx512: the whole pyramid in one pass over the input, AVX-512, OpenMP threads.
 *
 * The same source as nhwc__fused_avx2 (nhwc_fused_fwd.h, nhwc_fused_bwd.h, planner and path
 * choice nhwc_fused_plan.c), built with NHWC_AVX512: 16-lane zmm vectors (vec_vocab.h), blocks
 * of 64 channels (the forward's last block also takes a tail of up to 16: nhwc_simd.h),
 * __mmask16 compare masks and masked loads/stores for the channel tail.
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan.
 * Paths: nhwc__fused_avx2's, with the same names, chosen by the same code with the lane width
 *      (spp_fz512_choose_path) and forcible on the same problems, and one of its own:
 *  - scalar (<= 512 input elements: naive's loops);
 *  - small-cells (forward max, H*W <= 400, C >= 2, one level read from the input or
 *    H*W <= 64): the core of small_cells_avx512.h, the 16 channels of a tile pixel in one zmm;
 *  - blocks-2d (max, maps of >= 600 cells within L3, 2 MiB values only);
 *  - two-phase (H*W <= 64, H x column intervals <= 320), rows (otherwise); two-phase-cols
 *    forced only;
 *  - bwd-tile, bwd-tile-pfw (max, small maps), bwd-scatter, bwd-scatter-nt (max), bwd-avg;
 *    its own bwd-window (avg, H*W <= 400, <= 16 window cells per output; max forced only).
 * Max: fast folds plus a NaN probe, an exact rerun on a possible NaN: first maximum on ties,
 *      last NaN, all -inf -> first element; y == x[argmax] bitwise
 *      (docs/spec.md#3-max-and-avg). Avg: float sums times the float scale of the divisors'
 *      product (spp_avg_scale), the same for every thread count; on the row paths a NaN mean
 *      is the default NaN.
 * Parallel split: tasks (sample, channel group); backward tasks own their dx regions
 *      (zero-fill and accumulate in one pass), no races, no atomics; dx is naive's.
 * Workspace: the most any pass's path needs (nhwc_fused_ws.h); small-cells' plan is prepared state.
 * Needs AVX-512 F/BW/VL/DQ: skipped (SPP_ERR_ISA) on CPUs without it or when SPP_MAX_ISA
 *      excludes it; `make test-emu512` also runs this file's code on an AVX2 emulation of the
 *      16-lane vocabulary (tests/emu512/).
 * Weakest: with C < 16 most lanes are masked off; small maps with many levels spend much of
 *      their time on plan decoding and loop overhead. */
#define NHWC_AVX512
#include "nhwc_fused_fwd.h"
#include "nhwc_fused_bwd.h"
#include "small_cells_avx512.h"

static spp_status fz_forward_avx512(const spp_plan *pl, const float *x, float *y,
                                    int32_t *argmax, const spp_exec *ex)
{
    const int path =
        SPP_EXEC_PATH(ex, spp_fz512_choose_path, pl, spp_forward_pass(&pl->p, argmax));
    if (path == FZP_SMALL) {
        scz_forward(pl, x, y, argmax, ex);
        return SPP_OK;
    }
    return fz_forward(pl, x, y, argmax, ex, path);
}

/* spp_kernel.prepare (fz_state_size): small-cells' state or the path's plan. */
static void fz_prepare_avx512(const spp_plan *pl, int threads, spp_pass pass, int path,
                            void *state)
{
    (void)threads;
    (void)pass;
    if (path == FZP_SMALL)
        scz_prepare(pl, state);
    else
        fz_plan_write(pl, path, state);
}

static spp_status fz_backward_avx512(const spp_plan *pl, const float *dy,
                                     const int32_t *argmax, float *dx, const spp_exec *ex)
{
    return fz_backward(pl, dy, argmax, dx, ex,
                       SPP_EXEC_PATH(ex, spp_fz512_choose_path, pl, SPP_PASS_BACKWARD));
}

const spp_kernel spp_kernel_nhwc__fused_avx512 = {
    .name = "nhwc__fused_avx512",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX512,
    .threaded = 1,
    .summary = "NHWC, one pass for all levels (separable rows x columns, nested levels), AVX-512, OpenMP",
    .forward = fz_forward_avx512,
    .backward = fz_backward_avx512,
    .workspace_size = fz_workspace,
    .paths = spp_fz_paths,
    .npaths = FZP_COUNT,
    .choose_path = spp_fz512_choose_path,
    .state_size = fz_state_size,
    .prepare = fz_prepare_avx512,
};
