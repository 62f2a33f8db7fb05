/* nhwc__avx2: explicit AVX2 intrinsics over contiguous channels, one bin at a time.
 *
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan.
 * Order: sample, level, bin row, bin column, then blocks of 32 channels (4 ymm vectors kept
 *      in registers); inside a bin, row-major over its elements. Channel tail (C % 32): the
 *      last block loads with vmaskmovps lane masks, so any C and unaligned pointers work.
 * Max: vectorized argmax, a value vector and a position vector per 8 channels, updated with
 *      upd = (v > best) | isnan(v) while scanning in increasing row-major order: first maximum
 *      wins ties (-0.0 == +0.0), NaN propagates with the last NaN as argmax, an all -inf bin
 *      keeps its first element; y is the selected element, so y == x[argmax] bitwise
 *      (docs/spec.md#3-max-and-avg). Without argmax the position vector is not kept.
 * Avg: float vector accumulation in row-major order, divided in double by the two divisors.
 * Backward: zero dx; max scatters dy at argmax in naive's order; avg adds dy/divisor over the
 *      bin 32 channels at a time, masked stores in the tail. dx is bitwise naive's.
 * Threads: none. Workspace: none (a 32-lane staging buffer on the stack).
 * Paths (bs_choose in nhwc_binscan.h; both valid on every plan, so forcible anywhere):
 *      "vector", the above, taken for C >= NHWC_MIN_C; "scalar", naive's loops, taken for
 *      C = 1 (7 of 8 lanes idle would cost more than naive).
 * Weakest: with few channels most lanes are idle, and every bin is read from the input, so
 *      overlapping levels re-read it.
 * The code: nhwc_binscan.h over nhwc_simd.h's 8-lane AVX2 vocabulary (vec_vocab.h), the same
 *      source as nhwc__avx512. */
#include "nhwc_binscan.h"

const spp_kernel spp_kernel_nhwc__avx2 = {
    .name = "nhwc__avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX2,
    .threaded = 0,
    .summary = "NHWC, AVX2 intrinsics over channels, vectorized argmax, one bin at a time",
    .forward = bs_forward,
    .backward = bs_backward,
    .workspace_size = NULL,
    .paths = bs_paths,
    .npaths = BS_NPATHS,
    .choose_path = bs_choose,
};
