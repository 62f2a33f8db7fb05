/* nhwc__avx512: explicit AVX-512 intrinsics over contiguous channels, one bin at a time.
 *
 * The same source as nhwc__avx2 (nhwc_binscan.h), built with NHWC_AVX512: 16-lane zmm
 * vectors (vec_vocab.h), blocks of 64 channels, __mmask16 compare masks and masked
 * loads/stores for the channel tail.
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan.
 * Max: value and position vectors, upd = (v > best) | isnan(v) in increasing row-major order:
 *      first maximum on ties, last NaN, all -inf -> first element; y == x[argmax] bitwise
 *      (docs/spec.md#3-max-and-avg).
 * Avg: float vector accumulation in row-major order, divided in double by the two divisors.
 * Backward: zero dx; max scatters at argmax in naive's order, avg adds dy/divisor over the
 *      bin; dx is bitwise naive's. Threads: none. Workspace: none.
 * Needs AVX-512 F/BW/VL/DQ: the library skips it (SPP_ERR_ISA) on CPUs without it or when
 *      SPP_MAX_ISA excludes it; where it runs, the driver checks it natively, and
 *      `make test-emu512` also runs this file's code on an AVX2 emulation of the 16-lane
 *      vocabulary (tests/emu512/).
 * Paths (bs_choose in nhwc_binscan.h, as nhwc__avx2; both valid on every plan): "vector",
 *      taken for C >= NHWC_MIN_C; "scalar", naive's loops, taken for C = 1.
 * Weakest: with C < 16 most lanes are idle. */
#define NHWC_AVX512
#include "nhwc_binscan.h"

const spp_kernel spp_kernel_nhwc__avx512 = {
    .name = "nhwc__avx512",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX512,
    .threaded = 0,
    .summary = "NHWC, AVX-512 intrinsics over channels, vectorized argmax, one bin at a time",
    .forward = bs_forward,
    .backward = bs_backward,
    .workspace_size = NULL,
    .paths = bs_paths,
    .npaths = BS_NPATHS,
    .choose_path = bs_choose,
};
