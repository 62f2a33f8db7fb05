/* nhwc_roi__avx2: channel-last AVX2 region SPP, single-threaded (ignores spp_exec.threads).
 *
 * Layout: nhwc only. Pools: max and avg. Conventions: all three, from the region plan's
 * per-box interval table (no boundary math here). ISA: AVX2 + FMA (runtime-checked by the
 * checked entry points and the registry consumers).
 * Forward (nhwc_roi_avx2.h and its parts): per box, the bins' row/column starts and ends cut the
 * box into elementary segments; each (row segment x column segment) block is reduced once for 32
 * channels (4 ymm), then each bin of every level merges its blocks, so each map cell of a box
 * is read once for all levels. Channel tail (C % 8) uses masked loads. Regions run in order;
 * each region's row is streamed out (nhwc_roi_row.h).
 * Paths (nhwc_roi_paths.h decides; all valid on every plan of their pool):
 *  vals-table  max without argmax, boxes' summed area >= 4 maps: map scan (NaN, -0.0) and the
 *              2 x 2 max table built per call, then values only (nhwc_roi_vals.h).
 *  vals        the same below 4 maps: the scan only, bins read from the map.
 *              On both, a map holding a NaN runs the argmax path's code (y only).
 *  argmax      max with argmax (nhwc_roi_argmax.h); forced for infer, y only.
 *  avg         avg forward: float block sums.   backward: both pools (nhwc_roi_backward.h).
 * Max: bitwise equal to roi__naive, argmax included (first maximum in row-major order, NaN
 *      wins with the last NaN, all -inf gives the bin's first cell), via the total order of
 *      docs/spec.md#3-max-and-avg when blocks merge; y alone is bitwise equal on the values-only
 *      paths too. Avg: float block sums in a fixed order, within that bound.
 * Backward: zero dx, then roi__naive's per-element order (region, level, bin row, bin column),
 *      channels vectorized for avg: dx is bitwise equal to roi__naive's.
 * Workspace: the max table when vals-table may run, then one roi_ws (segment tables and block
 *      buffers sized for the plan's largest box).
 * Weakest: see nhwc_roi_avx2.h; one thread, so the output write is never overlapped by another
 *      core's work. */
#include "nhwc_roi_avx2.h"
#include "nhwc_roi_backward.h"
#include "nhwc_roi_paths.h"

static size_t roi_avx2_ws(const spp_region_plan *pl, int threads, int path)
{
    return roi_tab_need(pl, threads, path) + roi_ws_bytes(pl);
}

static spp_status roi_avx2_forward(const spp_region_plan *pl, const float *x, float *y,
                                   int32_t *argmax, const spp_exec *ex)
{
    const int path = SPP_EXEC_PATH(ex, roi_choose_path, pl, roi_forward_pass(pl, argmax));
    float *tab = ex->workspace;
    roi_ws w = roi_ws_carve(pl, (char *)ex->workspace + roi_tab_bytes_of(pl, path));
    const int want = (path == ROI_PATH_VALS_TABLE || path == ROI_PATH_VALS) &&
                     roi_wants_vals(pl, argmax);
    const int build = want && path == ROI_PATH_VALS_TABLE;
    int m = 0;
    if (want)
        for (int64_t yy = 0; yy < pl->p.h; yy++)
            m |= roi_prep_row(pl, x, tab, build, yy);
    const int vals = want ? roi_vals_of(m) : 0;
    w.tab = vals && build ? tab : NULL;
    for (int64_t r = 0; r < pl->nboxes; r++)
        roi_region_forward(pl, r, x, y, argmax, &w, vals);
    roi_drain_all(&w); /* the last row */
    _mm_sfence(); /* order the streamed output before returning */
    return SPP_OK;
}

static spp_status roi_avx2_backward(const spp_region_plan *pl, const float *dy,
                                    const int32_t *argmax, float *dx, const spp_exec *ex)
{
    (void)ex;
    memset(dx, 0, (size_t)spp_region_map_elems(&pl->p) * sizeof *dx);
    roi_backward_channels(pl, dy, argmax, dx, 0, pl->p.c);
    return SPP_OK;
}

/* indexed by nhwc_roi_paths.h's ROI_PATH_* */
static const spp_path nhwc_roi__avx2_paths[] = {
    {"vals-table", ROI_PASSES_VALS, "max without argmax, boxes' area >= 4 maps: values only, "
     "2x2 max table (a map with NaN runs the argmax code, y only)"},
    {"vals", ROI_PASSES_VALS, "max without argmax, boxes' area < 4 maps: values only from the "
     "map (a map with NaN runs the argmax code, y only)"},
    {"argmax", ROI_PASSES_ARGMAX, "max with argmax (forced for infer: y only, as on a NaN map)"},
    {"avg", ROI_PASSES_AVG, "avg forward"},
    {"backward", ROI_PASSES_BACKWARD, "always: max scatter or avg add, roi__naive's order"},
};
_Static_assert(sizeof nhwc_roi__avx2_paths / sizeof nhwc_roi__avx2_paths[0] == ROI_NPATHS,
               "one name per ROI_PATH_*");

const spp_region_kernel spp_region_kernel_nhwc_roi__avx2 = {
    .name = "nhwc_roi__avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX2,
    .threaded = 0,
    .summary = "channel-last AVX2, each box cell read once for all levels (segment blocks)",
    .forward = roi_avx2_forward,
    .backward = roi_avx2_backward,
    .workspace_size = roi_avx2_ws,
    .paths = nhwc_roi__avx2_paths,
    .npaths = ROI_NPATHS,
    .choose_path = roi_choose_path,
};
