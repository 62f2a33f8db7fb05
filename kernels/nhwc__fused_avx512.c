/* nhwc__fused_avx512: the whole pyramid in one pass over the input, AVX-512, OpenMP threads.
 *
 * The same code as nhwc__fused_avx2 (nhwc_common.h, "fused pyramid", compiled with
 * NHWC_AVX512): 16-lane zmm vectors, blocks of 64 channels, __mmask16 compare masks and
 * masked loads/stores for the channel tail. Only the vector vocabulary at the top of
 * nhwc_common.h differs, so the logic run here is the one verified through nhwc__fused_avx2.
 *
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan.
 * Algorithm: per (sample, group of 64-channel blocks), each input row is reduced once over
 *      every distinct column interval (unions of shorter intervals merged, not re-read;
 *      elementary segments where levels do not nest), then folded into every bin whose row
 *      interval contains it; accumulators stay in L1/L2; the next row is prefetched in address
 *      order.
 *      Small maps run two-phase (all rows' partials, then each bin folded in registers), as
 *      in nhwc__fused_avx2.
 * Max: value + position vectors; fast max/compare path with a NaN check that reruns the task
 *      with upd = (v > best) | isnan(v): first maximum on ties, last NaN, all -inf -> first
 *      element; y == x[argmax] bitwise. Avg: float sums, divided in double by the two
 *      divisors, identical for every thread count.
 * Parallel split: tasks (sample, channel group), schedule(dynamic,1); backward tasks own their
 *      dx regions (zero-fill and accumulate in one pass), no races, no atomics; dx is naive's.
 * Workspace: plan plus per thread the group's accumulators and one row (two-phase: all rows)
 *      of column partials.
 * Verified here only through the shared code: the AVX2 build, and this file's own code built
 *      on an AVX2 emulation of the 16-lane vocabulary (tests/emu512/, mask-register semantics),
 *      checked against naive by `make test-emu512` (CI), with the 2-D blocks forced too.
 * Needs AVX-512 F/BW/VL/DQ: skipped (SPP_ERR_ISA) on CPUs without it.
 * Versus naive: inputs of <= 512 elements run naive's loops (per-call plan cost); with C < 16
 *      most lanes are masked off. */
#define NHWC_AVX512
#define NHWC_WANT_FUSED
#include "nhwc_common.h"

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
