/* nchw__fused_avx2: the single-pass pyramid for NCHW, 8 channels per AVX2 vector, OpenMP.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan. ISA: AVX2 + FMA.
 * Code: nchw_fused.h, shared with nchw__fused_avx512 (which swaps in its 16-lane max paths).
 * Data flow: a group is 8 channel planes of one sample, one per vector lane. Each input row is
 *      loaded once (8x8 register transposes, the column tail by masked loads) into a row buffer
 *      of W vectors; every level reduced from the input takes its column bins from it and
 *      merges them into the bins whose row interval holds the row (separable). Levels exactly
 *      covered by runs of finer bins (nchw_sched_init) are merged from those bins. Channel
 *      tail: missing lanes re-read the last channel's plane, their outputs are not stored.
 * Paths (fused_choose, the one place they are chosen; each forcible wherever valid):
 *  - "small-cells" (max forward, infer): small_cells_avx2.h, 16 planes in a cell-major tile.
 *    Taken for H*W <= SC_MAX_HW; valid for max on any plane size (workspace grows with it).
 *  - "rows" / "rows-tall" (max forward, infer): per-row bin lists (nchw_fused_plan.h) as a
 *    table built once per call / computed per group and row, into the row bodies of
 *    nchw_fused_bins_avx2.h. Taken for larger planes with H <= FUSED_ROWTAB_MAX_ROWS / taller
 *    (bounded workspace); both valid for max on every plane.
 *  - "avg" / "avg-tall" (avg forward, avg only): row partials into bin rows, the same lists.
 *  - backward (nchw_small.h's routes; dx bitwise naive's, threads own whole dx planes):
 *    "planes" (max unless "stream", avg with H*W > NCHW_SMALL_MAX_HW), "small-avg" (avg with
 *    H*W <= NCHW_SMALL_MAX_HW; avg only), "stream" (max on one thread with dx >=
 *    NCHW_STREAM_BYTES: each plane built in L1, then streamed to dx; max only).
 * Parallel split: `omp for schedule(static)` over (sample, group of 8 channels), each group in
 *      a fixed order: bitwise identical for any thread count. Planes of at most 4 KiB
 *      prefetch the next group's input a slice per row.
 * Max (docs/spec.md#3-max-and-avg): per lane (value, position) in row-major order; rows with
 *      no NaN compare v > best alone. y and argmax bitwise naive's. Avg: float sums in a fixed
 *      order, times the float scale of the divisors' product (spp_avg_scale; the spec's bound).
 * Workspace: the forward path's (+ state). Weakest: small planes with many bins per channel; C < 8
 *      (idle lanes); avg levels that no finer level tiles; the shared scalar backward. */
#include "small_cells_avx2.h"
#define NCHW_FUSED_SMALL_CELLS sc_forward
#define NCHW_FUSED_SMALL_PREPARE sc_prepare
#include "nchw_fused.h"

const spp_kernel spp_kernel_nchw__fused_avx2 = {
    .name = "nchw__fused_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "single pass, 8 channels per AVX2 vector, separable bins, nested levels merged",
    .forward = fused_forward,
    .backward = fused_backward,
    .workspace_size = fused_workspace,
    .paths = nchw_fused_paths,
    .npaths = (int)(sizeof nchw_fused_paths / sizeof nchw_fused_paths[0]),
    .choose_path = fused_choose,
    .state_size = fused_state_size,
    .prepare = fused_prepare,
};
