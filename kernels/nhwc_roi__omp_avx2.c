/* nhwc_roi__omp_avx2: nhwc_roi__avx2 with OpenMP (spp_exec.threads threads).
 *
 * Layout: nhwc only. Pools: max and avg. Conventions: all three, from the region plan.
 * ISA: AVX2 + FMA. Same forward core as nhwc_roi__avx2 (nhwc_roi_avx2.h and its parts):
 * read-once segment blocks, 32 channels per chunk, max bitwise equal to roi__naive (argmax
 * included), avg in one fixed per-region order (docs/spec.md#3-max-and-avg).
 * Paths (nhwc_roi_paths.h decides; all valid on every plan of their pool; none depends on the
 *      thread count): vals-table (max without argmax, boxes' summed area >= 4 maps: scan and
 *      2 x 2 max table, values only), vals (the same below 4 maps, no table), argmax (max with
 *      argmax; forced for infer, y only: the code both values-only paths run on a map holding a
 *      NaN), avg (avg forward), backward (both pools).
 * Parallel split, forward: first the map scan and the max table, split by map rows (one barrier
 *      before the regions); then regions, schedule(dynamic) with small chunks (box sizes vary
 *      a lot, and a thread slowed by the shared machine does not hold the rest up). Every
 *      region's outputs are computed by one thread in a fixed order, so results do not depend
 *      on the thread count or the schedule. Each thread has its own workspace slice and its own
 *      pending row, finished and fenced before the parallel region ends.
 * Parallel split, backward: deterministic with NO atomics. Regions overlap on the map, so
 *      splitting regions would race on dx. Instead each thread OWNS a contiguous range of
 *      channels (multiples of 8) of dx, zeroes it, and walks every region, level and bin in
 *      output order for its channels only: dx is bitwise equal to roi__naive's for every
 *      thread count (docs/spec.md#4-gradients).
 * Workspace: the max table when vals-table may run, then one roi_ws per thread.
 * Weakest: the backward's channel split leaves threads idle when C / 8 is small; the forward
 *      scales with regions only, so a call with fewer boxes than threads leaves cores idle. */
#include "nhwc_roi_omp.h"

static size_t roi_omp_ws(const spp_region_plan *pl, int threads, int path)
{
    return roi_omp_ws_bytes(pl, threads, path);
}

static spp_status roi_omp_fwd(const spp_region_plan *pl, const float *x, float *y,
                              int32_t *argmax, const spp_exec *ex)
{
    roi_omp_forward(pl, x, NULL, y, argmax, ex->threads, ex->workspace,
                    SPP_EXEC_PATH(ex, roi_choose_path, pl, roi_forward_pass(pl, argmax)));
    return SPP_OK;
}

static spp_status roi_omp_bwd(const spp_region_plan *pl, const float *dy, const int32_t *argmax,
                              float *dx, const spp_exec *ex)
{
    roi_omp_backward(pl, dy, argmax, dx, NULL, ex->threads);
    return SPP_OK;
}

/* indexed by nhwc_roi_paths.h's ROI_PATH_* */
static const spp_path nhwc_roi__omp_avx2_paths[] = {
    {"vals-table", ROI_PASSES_VALS, "max without argmax, boxes' area >= 4 maps: values only, "
     "2x2 max table (a map with NaN runs the argmax code, y only)"},
    {"vals", ROI_PASSES_VALS, "max without argmax, boxes' area < 4 maps: values only from the "
     "map (a map with NaN runs the argmax code, y only)"},
    {"argmax", ROI_PASSES_ARGMAX, "max with argmax (forced for infer: y only, as on a NaN map)"},
    {"avg", ROI_PASSES_AVG, "avg forward"},
    {"backward", ROI_PASSES_BACKWARD, "always: threads own channel ranges, roi__naive's order"},
};
_Static_assert(sizeof nhwc_roi__omp_avx2_paths / sizeof nhwc_roi__omp_avx2_paths[0] ==
                   ROI_NPATHS, "one name per ROI_PATH_*");

const spp_region_kernel spp_region_kernel_nhwc_roi__omp_avx2 = {
    .name = "nhwc_roi__omp_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "channel-last AVX2, OpenMP over regions; backward threads own channel ranges",
    .forward = roi_omp_fwd,
    .backward = roi_omp_bwd,
    .workspace_size = roi_omp_ws,
    .paths = nhwc_roi__omp_avx2_paths,
    .npaths = ROI_NPATHS,
    .choose_path = roi_choose_path,
};
