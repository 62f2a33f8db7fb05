/* nchw_roi__nhwc_omp_avx2: region SPP on an NCHW map through the NHWC region core.
 *
 * Layout: nchw only (the caller's x, y order, argmax and dx are NCHW's). Pools: max and avg.
 * Conventions: all three, from the region plan's per-box interval table. ISA: AVX2 + FMA.
 * Forward: the (C, H*W) map is transposed once per call into an (H*W, C) copy in the workspace
 *      (32 x 32 tiles of 8 x 8 register transposes, scalar at the tile edges), then the copy is
 *      pooled by nhwc_roi__omp_avx2's forward on a view of the plan whose layout is nhwc.
 *      Output order is canonical and argmax the in-plane offset h*W+w in both layouts, so y
 *      and argmax are those of nhwc_roi__omp_avx2 on the transposed map: max and argmax bitwise
 *      roi__naive's, avg in that kernel's fixed per-region order (docs/spec.md#3-max-and-avg).
 * Paths: nhwc_roi__omp_avx2's, each on the transposed copy (nhwc_roi_paths.h decides; all
 *      valid on every plan of their pool): vals-table (max without argmax, boxes' summed area
 *      >= 4 maps: scan and 2 x 2 max table of the copy, values only), vals (below 4 maps, no
 *      table), argmax (max with argmax; forced for infer, y only: the code both values-only
 *      paths run on a map holding a NaN), avg, backward (both pools).
 * Backward: the NHWC core's channel-owning backward (nhwc_roi_backward.h) into an (H*W, C) dx in
 *      the workspace, then transposed into dx: every dx element gets its additions in
 *      roi__naive's order, so dx is bitwise roi__naive's (docs/spec.md#4-gradients).
 * Parallel split, one OpenMP region per call: transpose tiles, schedule(static); forward then
 *      map rows (scan, table) and regions schedule(dynamic, 4); backward threads own channel
 *      ranges (multiples of 8) of the NHWC dx, a barrier, then the tiles back into dx.
 * Workspace: the map copy (C*H*W floats, also the NHWC dx of the backward), then the max table
 *      when vals-table may run, and one roi_ws per thread.
 * Weakest: the transposes are two extra passes over the map (forward: read x, write the copy;
 *      backward: write and read the NHWC dx once more), and the copy doubles the map's
 *      footprint in cache; the backward's channel split idles threads when C / 8 is small. */
#include "nhwc_roi_omp.h"

/* The plan as the NHWC core sees it: the same boxes and intervals, layout nhwc. */
static spp_region_plan nr_nhwc_view(const spp_region_plan *pl)
{
    spp_region_plan v = *pl;
    v.p.layout = SPP_LAYOUT_NHWC;
    return v;
}

static size_t nr_map_bytes(const spp_region_plan *pl)
{
    return spp_page_round((size_t)spp_region_map_elems(&pl->p) * sizeof(float));
}

static size_t nr_ws(const spp_region_plan *pl, int threads, int path)
{
    const spp_region_plan v = nr_nhwc_view(pl);
    return nr_map_bytes(pl) + roi_omp_ws_bytes(&v, threads, path);
}

static spp_status nr_forward(const spp_region_plan *pl, const float *x, float *y,
                             int32_t *argmax, const spp_exec *ex)
{
    const spp_region_plan v = nr_nhwc_view(pl);
    roi_omp_forward(&v, x, ex->workspace, y, argmax, ex->threads,
                    (char *)ex->workspace + nr_map_bytes(pl),
                    SPP_EXEC_PATH(ex, roi_choose_path, &v, roi_forward_pass(&v, argmax)));
    return SPP_OK;
}

static spp_status nr_backward(const spp_region_plan *pl, const float *dy,
                              const int32_t *argmax, float *dx, const spp_exec *ex)
{
    const spp_region_plan v = nr_nhwc_view(pl);
    roi_omp_backward(&v, dy, argmax, ex->workspace, dx, ex->threads); /* via an NHWC dx */
    return SPP_OK;
}

/* indexed by nhwc_roi_paths.h's ROI_PATH_*; every path runs on the transposed NHWC copy */
static const spp_path nchw_roi__nhwc_omp_avx2_paths[] = {
    {"vals-table", ROI_PASSES_VALS, "max without argmax, boxes' area >= 4 maps: values "
     "only, 2x2 max table (a map with NaN runs argmax, y only)"},
    {"vals", ROI_PASSES_VALS, "max without argmax, boxes' area < 4 maps: values only "
     "from the copy (a map with NaN runs argmax, y only)"},
    {"argmax", ROI_PASSES_ARGMAX, "max with argmax (forced for infer: y only)"},
    {"avg", ROI_PASSES_AVG, "avg forward"},
    {"backward", ROI_PASSES_BACKWARD, "always: into an NHWC dx, transposed back"},
};
_Static_assert(sizeof nchw_roi__nhwc_omp_avx2_paths / sizeof nchw_roi__nhwc_omp_avx2_paths[0] ==
                   ROI_NPATHS, "one name per ROI_PATH_*");

const spp_region_kernel spp_region_kernel_nchw_roi__nhwc_omp_avx2 = {
    .name = "nchw_roi__nhwc_omp_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "NCHW map transposed once to NHWC in the workspace, then the NHWC AVX2 core, OpenMP",
    .forward = nr_forward,
    .backward = nr_backward,
    .workspace_size = nr_ws,
    .paths = nchw_roi__nhwc_omp_avx2_paths,
    .npaths = ROI_NPATHS,
    .choose_path = roi_choose_path,
};
