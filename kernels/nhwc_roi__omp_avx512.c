/* nhwc_roi__omp_avx512: nhwc_roi__omp_avx2 with the values-only paths in AVX-512 (16-lane zmm).
 *
 * Layout: nhwc only. Pools: max and avg. Conventions: all three, from the region plan.
 * ISA: AVX-512 F/BW/VL/DQ + FMA. The driver is nhwc_roi_omp.h, compiled with ROI_AVX512.
 * Paths (nhwc_roi_paths.h decides; all valid on every plan of their pool, none depends on the
 *      thread count):
 *  vals-table-avx512  max without argmax, boxes' summed area >= 4 maps: the values-only code
 *      (nhwc_roi_vals.h, nhwc_roi_tables.h) at 16 lanes, map scan and 2 x 2 max table a zmm at
 *      a time, 64-channel chunks in 4 zmm on the direct route (32 in 2 zmm from segment
 *      blocks), channel tails by __mmask16 masked loads (masked-off lanes read nothing, are 0
 *      and never stored), the zero check by compare masks, the row streamed a zmm a line, the
 *      level write-out by 8 bins x 16 channels per register transpose.
 *  vals-avx512  the same below 4 maps, without the table.
 *  argmax-avx2  max with argmax: the AVX2 code (nhwc_roi_argmax.h). Forced for infer it stores
 *      y only; both values-only paths run it when the map holds a NaN (their scan finds it).
 *  avg-avx2, backward-avx2  the AVX2 avg forward and backward (both pools).
 * Max: y bitwise equal to roi__naive on every path (argmax too where asked): maxima of maxima
 *      are exact without NaN, and when the map holds a -0.0 a bin whose max is zero in a valid
 *      lane is rescanned for its first maximum by strict > (ROI_VALS_ZCHECK).
 *      Avg: the AVX2 kernel's fixed order, within docs/spec.md#3-max-and-avg.
 * Parallel split, forward: the map scan and table by map rows (one barrier), then regions
 *      schedule(dynamic, 4); each region's outputs come from one thread in a fixed order, so
 *      results do not depend on the thread count. Backward: threads own channel ranges
 *      (multiples of 8) of dx, no atomics, dx bitwise roi__naive's.
 * Workspace: the max table when vals-table-avx512 may run, then one roi_ws per thread.
 * Weakest: a chunk tail of 1..15 channels still costs a full zmm per load and goes out by
 *      scalar moves below 8; the backward's channel split idles threads when C / 8 is small,
 *      and the forward scales with regions only. */
#define ROI_AVX512 1
#include "nhwc_roi_omp.h"

static size_t roi_omp512_ws(const spp_region_plan *pl, int threads, int path)
{
    return roi_omp_ws_bytes(pl, threads, path);
}

static spp_status roi_omp512_fwd(const spp_region_plan *pl, const float *x, float *y,
                                 int32_t *argmax, const spp_exec *ex)
{
    roi_omp_forward(pl, x, NULL, y, argmax, ex->threads, ex->workspace,
                    SPP_EXEC_PATH(ex, roi_choose_path, pl, roi_forward_pass(pl, argmax)));
    return SPP_OK;
}

static spp_status roi_omp512_bwd(const spp_region_plan *pl, const float *dy,
                                 const int32_t *argmax, float *dx, const spp_exec *ex)
{
    roi_omp_backward(pl, dy, argmax, dx, NULL, ex->threads);
    return SPP_OK;
}

/* indexed by nhwc_roi_paths.h's ROI_PATH_* */
static const spp_path nhwc_roi__omp_avx512_paths[] = {
    {"vals-table-avx512", ROI_PASSES_VALS, "max without argmax, boxes' area >= 4 maps: zmm "
     "values only, 2x2 max table (a map with NaN runs argmax-avx2, y only)"},
    {"vals-avx512", ROI_PASSES_VALS, "max without argmax, boxes' area < 4 maps: zmm values "
     "only from the map (a map with NaN runs argmax-avx2, y only)"},
    {"argmax-avx2", ROI_PASSES_ARGMAX, "max with argmax, AVX2 (forced for infer: y only)"},
    {"avg-avx2", ROI_PASSES_AVG, "avg forward, AVX2"},
    {"backward-avx2", ROI_PASSES_BACKWARD, "always: AVX2, threads own channel ranges"},
};
_Static_assert(sizeof nhwc_roi__omp_avx512_paths / sizeof nhwc_roi__omp_avx512_paths[0] ==
                   ROI_NPATHS, "one name per ROI_PATH_*");

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
    .npaths = ROI_NPATHS,
    .choose_path = roi_choose_path,
};
