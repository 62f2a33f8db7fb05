/* nchw__fused_avx512: the NCHW single-pass pyramid with 16 channel planes per AVX-512 vector.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * ISA: AVX-512 F/BW/VL/DQ for the max rows (nchw_fused_rows16.h) and small-cells
 *      (small_cells_avx512.h); the avg rows and the backward are nchw__fused_avx2's (AVX2).
 * Paths (fused_choose in nchw_fused.h, nfz_takes_small; each forcible wherever valid):
 *  - "small-cells" (forward, inference): a group of 16 planes transposed into a pixel-major
 *    tile by 16 x 16 zmm transposes, then small_cells_avx512.h's folds (avg: sums). Taken for
 *    max on H*W <= 64 and for inference with one level read from an input of at most 1 MiB
 *    (H*W <= 400); for avg on H*W <= 1200. Valid on any plane.
 *  - "rows" / "rows-tall" (max forward, inference): each input row of 16 planes transposed
 *    once into a row buffer, every input level's column bins merged into the bin rows that
 *    hold the row (mask-register compares and blends), covered levels merged from finer
 *    bins; values only for inference. The row lists as a table per call (H <= 4096) or per
 *    group and row (taller). Taken for every other max forward.
 *  - "avg", "avg-tall" (avg, H*W > 1200), "planes", "small-avg", "stream": nchw__fused_avx2's.
 * Parallel split: OpenMP, schedule(static), over (sample, group of 16 channels); small-cells
 *      over groups of 16 consecutive planes of the N * C, which may span samples. A group's
 *      arithmetic does not depend on the thread, so outputs are the same for every count.
 * Max (docs/spec.md#3-max-and-avg): first maximum on ties (-0.0 == +0.0 keeps the first),
 *      the last NaN, all -inf -> the first element; y and argmax bitwise naive's. A row or
 *      group with a possible NaN, or a -0.0 the values-only merge cannot order, reruns with
 *      positions and the NaN-aware rule. Avg: within the avg bound, the mean one double
 *      multiply by the bin's reciprocal divisor; small-cells and rows sum in other orders.
 * Workspace: the path's (row buffer, bins and positions per thread); small-cells' plan is state.
 * Needs AVX-512: skipped (SPP_ERR_ISA) without it or when SPP_MAX_ISA excludes it; `make
 *      test-emu512` runs this file on an AVX2 emulation of the 16-lane vocabulary.
 * Weakest: the rows with C far below a multiple of 16 (idle lanes); the layout change in and
 *      out of the 16-lane tiles on small planes (about half of odd 7x5's time). */
#define NHWC_AVX512
#include "small_cells_avx512.h"
#define NCHW_FUSED_SMALL_CELLS scz_forward
#define NCHW_FUSED_SMALL_PREPARE scz_prepare
#define NCHW_FUSED_ROWS16
#include "nchw_fused.h"

const spp_kernel spp_kernel_nchw__fused_avx512 = {
    .name = "nchw__fused_avx512",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_AVX512,
    .threaded = 1,
    .summary = "single pass, 16 channels per AVX-512 vector (max rows; max and avg small planes); backward as nchw__fused_avx2",
    .forward = fused_forward,
    .backward = fused_backward,
    .workspace_size = fused_workspace,
    .paths = nchw_fused_paths,
    .npaths = (int)(sizeof nchw_fused_paths / sizeof nchw_fused_paths[0]),
    .choose_path = fused_choose,
    .state_size = fused_state_size,
    .prepare = fused_prepare,
};
