/* nhwc_roi__omp_avx512: nhwc_roi__omp_avx2 with the inference path in AVX-512 (16-lane zmm).
 *
 * Layout: nhwc only. Pools: max and avg. Conventions: all three, from the region plan.
 * ISA: AVX-512 F/BW/VL/DQ + FMA. The driver is nhwc_roi_omp.h, compiled with ROI_AVX512.
 * Paths: max without argmax (NULL) on a map without NaN (inference) runs the values-only path
 *      (nhwc_roi_vals.h, nhwc_roi_tables.h) at 16 lanes: map scan and 2 x 2 max table a zmm at
 *      a time, 64-channel chunks in 4 zmm on the direct path (32 in 2 zmm from segment blocks),
 *      channel tails by __mmask16 masked loads (masked-off lanes read nothing, are 0 and are
 *      never stored), the zero check by compare masks, the row streamed a zmm a line; the level
 *      write-out by 8 bins x 16 channels per register transpose (8 x 8 for a channel rest of
 *      8..15, scalar below). The other paths reuse the AVX2 code (their write-out as above):
 *      avg, max with argmax, a map holding a NaN (nhwc_roi_argmax.h), the backward.
 * Max: y bitwise equal to roi__naive on every path (argmax too where asked): maxima of maxima
 *      are exact without NaN, and when the map holds a -0.0 a bin whose max is zero in a valid
 *      lane is rescanned for its first maximum by strict > (ROI_VALS_ZCHECK); NaN maps take the
 *      exact argmax path. Avg: the AVX2 kernel's fixed order, within docs/spec.md#3-max-and-avg.
 * Parallel split, forward: the map scan and table by map rows (one barrier), then regions
 *      schedule(dynamic, 4); each region's outputs come from one thread in a fixed order, so
 *      results do not depend on the thread count. Backward: threads own channel ranges
 *      (multiples of 8) of dx, no atomics, dx bitwise roi__naive's.
 * Workspace: the max table (max only), then one roi_ws per thread, as nhwc_roi__omp_avx2.
 * Weakest: a chunk tail of 1..15 channels still costs a full zmm per load and goes out by
 *      scalar moves below 8; the backward's channel split idles threads when C / 8 is small,
 *      and the forward scales with regions only. */
#define ROI_AVX512 1
#include "nhwc_roi_omp.h"

static size_t roi_omp512_ws(const spp_region_plan *pl, int threads, int path)
{
    (void)path; /* every path fits: the workspace is the largest any path needs */
    return roi_omp_ws_bytes(pl, threads);
}

static spp_status roi_omp512_fwd(const spp_region_plan *pl, const float *x, float *y,
                                 int32_t *argmax, const spp_exec *ex)
{
    roi_omp_forward(pl, x, NULL, y, argmax, ex->threads, ex->workspace);
    return SPP_OK;
}

static spp_status roi_omp512_bwd(const spp_region_plan *pl, const float *dy,
                                 const int32_t *argmax, float *dx, const spp_exec *ex)
{
    roi_omp_backward(pl, dy, argmax, dx, NULL, ex->threads);
    return SPP_OK;
}

static const spp_path nhwc_roi__omp_avx512_paths[] = {
    {"default", SPP_PASSES_ALL, "always (one path)"},
};

const spp_region_kernel spp_region_kernel_nhwc_roi__omp_avx512 = {
    .name = "nhwc_roi__omp_avx512",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX512,
    .threaded = 1,
    .summary = "channel-last, OpenMP over regions; inference path in AVX-512, the rest AVX2",
    .forward = roi_omp512_fwd,
    .backward = roi_omp512_bwd,
    .workspace_size = roi_omp512_ws,
    .paths = nhwc_roi__omp_avx512_paths,
    .npaths = 1,
    .choose_path = NULL,
};
