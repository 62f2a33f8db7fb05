/* nhwc__fused_avx512: the whole pyramid in one pass over the input, AVX-512, OpenMP threads.
 *
 * The same source as nhwc__fused_avx2 (nhwc_fused_fwd.h, nhwc_fused_bwd.h, planner
 * nhwc_fused_plan.c), built with NHWC_AVX512: 16-lane zmm vectors (vec_vocab.h), blocks of
 * 64 channels, __mmask16 compare masks and masked loads/stores for the channel tail. No
 * small-plane core (small_cells_avx2.h is AVX2's): those shapes take the row path.
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan.
 * Paths: rows (each input row reduced once over every distinct column interval, then folded
 *      into the bins containing it; two-phase on small maps), 2-D blocks for max with argmax
 *      on maps of at least 600 cells within L3, the max backward's L1 tile on small maps;
 *      the same choices as nhwc__fused_avx2 (nhwc_fused_plan.h).
 * Max: fast folds plus a NaN probe, an exact rerun on a possible NaN: first maximum on ties,
 *      last NaN, all -inf -> first element; y == x[argmax] bitwise
 *      (docs/spec.md#3-max-and-avg). Avg: float sums, divided in double by the two divisors,
 *      identical for every thread count.
 * Parallel split: tasks (sample, channel group), schedule(dynamic,1); backward tasks own their
 *      dx regions (zero-fill and accumulate in one pass), no races, no atomics; dx is naive's.
 * Workspace: the plan plus per thread a group's accumulators and the partial slots (or the
 *      2-D blocks' slots, or the backward's tile).
 * Needs AVX-512 F/BW/VL/DQ: skipped (SPP_ERR_ISA) on CPUs without it or when SPP_MAX_ISA
 *      excludes it; where it runs, the driver checks it natively, and `make test-emu512` also
 *      runs this file's code on an AVX2 emulation of the 16-lane vocabulary (tests/emu512/),
 *      with the 2-D blocks forced too.
 * Weakest: inputs of <= 512 elements run naive's loops (per-call plan cost); with C < 16 most
 *      lanes are masked off; small maps with many levels pay the generic plan's overhead. */
#define NHWC_AVX512
#include "nhwc_fused_fwd.h"
#include "nhwc_fused_bwd.h"

const spp_kernel spp_kernel_nhwc__fused_avx512 = {
    .name = "nhwc__fused_avx512",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX512,
    .threaded = 1,
    .summary = "NHWC, one pass for all levels (separable rows x columns, nested levels), AVX-512, OpenMP",
    .forward = fz_forward,
    .backward = fz_backward,
    .workspace_size = fz_workspace,
};
