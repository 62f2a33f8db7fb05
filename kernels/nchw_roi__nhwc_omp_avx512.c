/* nchw_roi__nhwc_omp_avx512: nchw_roi__nhwc_omp_avx2 with the NHWC core's values-only paths
 * in AVX-512 (16-lane zmm).
 *
 * Layout: nchw only (the caller's x, y order, argmax and dx are NCHW's). Pools: max and avg.
 * Conventions: all three, from the region plan's per-box interval table.
 * ISA: AVX-512 F/BW/VL/DQ + FMA. The driver is nhwc_roi_omp.h, compiled with ROI_AVX512.
 * Forward: the (C, H*W) map is transposed once per call into an (H*W, C) copy in the workspace
 *      (32 x 32 tiles of 8 x 8 register transposes), then pooled by nhwc_roi__omp_avx512's
 *      forward on a view of the plan whose layout is nhwc.
 * Paths: nhwc_roi__omp_avx512's, each on the transposed copy (nhwc_roi_paths.h decides; all
 *      valid on every plan of their pool):
 *  vals-table-avx512  max without argmax, boxes' summed area >= 4 maps: scan and 2 x 2 max
 *      table of the copy, values only at 16 lanes (64-channel chunks in 4 zmm, __mmask16
 *      channel tails, compare-mask zero check, 8 x 16 write-out transposes).
 *  vals-avx512  the same below 4 maps, without the table.
 *  argmax-avx2  max with argmax (nhwc_roi_argmax.h); forced for infer it stores y only, and
 *      both values-only paths run it on a map holding a NaN (their scan finds it).
 *  avg-avx2, backward-avx2  the AVX2 avg forward and backward (both pools).
 * Max: y (and argmax where asked) bitwise roi__naive's: ties, NaN and -0.0 as in
 *      nhwc_roi__omp_avx512. Avg: the AVX2 core's fixed order, within the bound of
 *      docs/spec.md#3-max-and-avg, the same for every thread count.
 * Backward: the channel-owning backward into an (H*W, C) dx in the workspace, then transposed
 *      into dx: dx bitwise roi__naive's (docs/spec.md#4-gradients).
 * Parallel split, one OpenMP region per call: transpose tiles schedule(static); then map rows
 *      (scan, table) and regions schedule(dynamic, 4); backward threads own channel ranges
 *      (multiples of 8), a barrier, then the tiles back into dx.
 * Workspace: the map copy (C*H*W floats, also the NHWC dx of the backward), then the max table
 *      when vals-table-avx512 may run, and one roi_ws per thread.
 * Weakest: the transposes are two extra passes over the map and the copy doubles its cache
 *      footprint (the map's transpose tiles are 8 x 8, AVX2). */
#define ROI_AVX512 1
#include "nhwc_roi_omp.h"

/* The plan as the NHWC core sees it: the same boxes and intervals, layout nhwc. */
static spp_region_plan nr512_nhwc_view(const spp_region_plan *pl)
{
    spp_region_plan v = *pl;
    v.p.layout = SPP_LAYOUT_NHWC;
    return v;
}

static size_t nr512_map_bytes(const spp_region_plan *pl)
{
    return spp_page_round((size_t)spp_region_map_elems(&pl->p) * sizeof(float));
}

static size_t nr512_ws(const spp_region_plan *pl, int threads, int path)
{
    const spp_region_plan v = nr512_nhwc_view(pl);
    return nr512_map_bytes(pl) + roi_omp_ws_bytes(&v, threads, path);
}

static spp_status nr512_forward(const spp_region_plan *pl, const float *x, float *y,
                                int32_t *argmax, const spp_exec *ex)
{
    const spp_region_plan v = nr512_nhwc_view(pl);
    roi_omp_forward(&v, x, ex->workspace, y, argmax, ex->threads,
                    (char *)ex->workspace + nr512_map_bytes(pl),
                    SPP_EXEC_PATH(ex, roi_choose_path, &v, roi_forward_pass(&v, argmax)));
    return SPP_OK;
}

static spp_status nr512_backward(const spp_region_plan *pl, const float *dy,
                                 const int32_t *argmax, float *dx, const spp_exec *ex)
{
    const spp_region_plan v = nr512_nhwc_view(pl);
    roi_omp_backward(&v, dy, argmax, ex->workspace, dx, ex->threads); /* via an NHWC dx */
    return SPP_OK;
}

/* indexed by nhwc_roi_paths.h's ROI_PATH_*; every path runs on the transposed NHWC copy */
static const spp_path nchw_roi__nhwc_omp_avx512_paths[] = {
    {"vals-table-avx512", ROI_PASSES_VALS, "max without argmax, boxes' area >= 4 maps: zmm values "
     "only, 2x2 max table (a map with NaN runs argmax-avx2, y only)"},
    {"vals-avx512", ROI_PASSES_VALS, "max without argmax, boxes' area < 4 maps: zmm values only "
     "from the copy (a map with NaN runs argmax-avx2, y only)"},
    {"argmax-avx2", ROI_PASSES_ARGMAX, "max with argmax (forced for infer: y only)"},
    {"avg-avx2", ROI_PASSES_AVG, "avg forward"},
    {"backward-avx2", ROI_PASSES_BACKWARD, "always: into an NHWC dx, transposed back"},
};
_Static_assert(sizeof nchw_roi__nhwc_omp_avx512_paths /
                       sizeof nchw_roi__nhwc_omp_avx512_paths[0] == ROI_NPATHS,
               "one name per ROI_PATH_*");

const spp_region_kernel spp_region_kernel_nchw_roi__nhwc_omp_avx512 = {
    .name = "nchw_roi__nhwc_omp_avx512",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_AVX512,
    .threaded = 1,
    .summary = "NCHW map transposed once to NHWC, then the NHWC core with AVX-512 inference, OpenMP",
    .forward = nr512_forward,
    .backward = nr512_backward,
    .workspace_size = nr512_ws,
    .paths = nchw_roi__nhwc_omp_avx512_paths,
    .npaths = ROI_NPATHS,
    .choose_path = roi_choose_path,
};
