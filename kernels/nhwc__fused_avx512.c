/* nhwc__fused_avx512: the whole pyramid in one pass over the input, AVX-512, OpenMP threads.
 *
 * The same source as nhwc__fused_avx2 (nhwc_fused_fwd.h, nhwc_fused_bwd.h, planner
 * nhwc_fused_plan.c), built with NHWC_AVX512: 16-lane zmm vectors (vec_vocab.h), blocks of
 * 64 channels, __mmask16 compare masks and masked loads/stores for the channel tail.
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan.
 * Paths: small planes (forward max, with or without argmax, H*W <= 400, C >= 2, more than 512
 *      elements, at most one level read from the input): the cell-major core of
 *      small_cells_avx512.h, 16 channels per zmm over a tile in L1. Otherwise rows (each input
 *      row reduced once over every distinct column interval, then folded into the bins
 *      containing it; two-phase on small maps), 2-D blocks for max with argmax on maps of at
 *      least 600 cells within L3, the max backward's L1 tile on small maps; the same choices
 *      as nhwc__fused_avx2 (nhwc_fused_plan.h).
 * Max: fast folds plus a NaN probe, an exact rerun on a possible NaN: first maximum on ties,
 *      last NaN, all -inf -> first element; y == x[argmax] bitwise
 *      (docs/spec.md#3-max-and-avg). Avg: float sums times the double reciprocal of the two
 *      divisors' product, identical for every thread count.
 * Parallel split: tasks (sample, channel group); backward tasks own their dx regions
 *      (zero-fill and accumulate in one pass), no races, no atomics; dx is naive's.
 * Workspace: the plan plus per thread a group's accumulators and the partial slots (or the
 *      2-D blocks' slots, or the backward's tile), or the small-plane core's, the larger.
 * Needs AVX-512 F/BW/VL/DQ: skipped (SPP_ERR_ISA) on CPUs without it or when SPP_MAX_ISA
 *      excludes it; where it runs, the driver checks it natively, and `make test-emu512` also
 *      runs this file's code on an AVX2 emulation of the 16-lane vocabulary (tests/emu512/),
 *      with the 2-D blocks forced too.
 * Weakest: inputs of <= 512 elements run naive's loops (per-call plan cost); with C < 16 most
 *      lanes are masked off; small maps whose levels do not nest pay the generic plan's
 *      overhead. */
#define NHWC_AVX512
#include "nhwc_fused_fwd.h"
#include "nhwc_fused_bwd.h"
#include "small_cells_avx512.h"

/* Forward max of small planes, with or without argmax: the cell-major core of
 * small_cells_avx512.h (the same gate as nhwc__fused_avx2's); everything else as before. */
static spp_status fz_forward_avx512(const spp_plan *pl, const float *x, float *y,
                                    int32_t *argmax, const spp_exec *ex)
{
    /* at most one level read from the input: with more, the column segments of fz_forward
     * do better */
    if (sc_takes(pl) && pl->p.c >= NHWC_MIN_C && spp_input_elems(&pl->p) > FZ_MIN_ELEMS &&
        scz_forward(pl, x, y, argmax, ex, 1))
        return SPP_OK;
    return fz_forward(pl, x, y, argmax, ex);
}

/* Either path's workspace (argmax is not known here): the larger. */
static size_t fz_workspace_avx512(const spp_plan *pl, int threads, int path)
{
    (void)path; /* every path fits: the workspace is the largest any path needs */
    const size_t a = fz_workspace(pl, threads), b = sc_workspace(pl, threads);
    return a > b ? a : b;
}

static const spp_path nhwc__fused_avx512_paths[] = {
    {"default", SPP_PASSES_ALL, "always (one path)"},
};

const spp_kernel spp_kernel_nhwc__fused_avx512 = {
    .name = "nhwc__fused_avx512",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX512,
    .threaded = 1,
    .summary = "NHWC, one pass for all levels (separable rows x columns, nested levels), AVX-512, OpenMP",
    .forward = fz_forward_avx512,
    .backward = fz_backward,
    .workspace_size = fz_workspace_avx512,
    .paths = nhwc__fused_avx512_paths,
    .npaths = 1,
    .choose_path = NULL,
};
