/* The paths of the kernels built on the channel-last region core (nhwc_roi__avx2,
 * nhwc_roi__omp_avx2, nhwc_roi__omp_avx512, nchw_roi__nhwc_omp_avx2 and _avx512): one index set,
 * one validity rule and one choice (roi_choose_path), so the five kernels cannot drift apart;
 * each kernel names the paths itself (the AVX-512 ones say which code is zmm). Not a kernel.
 *  vals-table  infer: values only, finest bins of >= 2 x 2 cells from the per-call 2 x 2 max
 *              table; chosen when the boxes read the map often enough (roi_tabs_pay).
 *  vals        infer: values only, every bin from the map; chosen below that threshold.
 *  argmax      forward of max (y and argmax); forced for infer it stores y only, the code a map
 *              holding a NaN takes on the two values-only paths (their per-call scan finds the
 *              NaN: data, not the plan, so the op still names the values-only path).
 *  avg         forward of avg.
 *  backward    both pools.
 * Inside the values-only paths each box goes direct (its coarser levels derive from finer ones)
 * or through segment blocks (nhwc_roi_vals.h): a per-box fact of its intervals, both routes
 * exact, so it is no plan path and not forced.
 * Validity: every path is correct on every plan of its pool; the values-only and argmax paths
 * are max-only, avg avg-only (choose_path returns -1 for a forced path of the other pool).
 * Workspace: the max table only when the infer pass may take vals-table (roi_tab_need). */
#ifndef NHWC_ROI_PATHS_H
#define NHWC_ROI_PATHS_H

#include "nhwc_roi_tables.h"

enum { ROI_PATH_VALS_TABLE, ROI_PATH_VALS, ROI_PATH_ARGMAX, ROI_PATH_AVG, ROI_PATH_BACKWARD,
       ROI_NPATHS };

#define ROI_PASSES_VALS SPP_PASS_BIT(SPP_PASS_INFER)
#define ROI_PASSES_ARGMAX (SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_INFER))
#define ROI_PASSES_AVG SPP_PASS_BIT(SPP_PASS_FORWARD)
#define ROI_PASSES_BACKWARD SPP_PASS_BIT(SPP_PASS_BACKWARD)

static inline unsigned roi_path_passes(int path)
{
    static const unsigned passes[ROI_NPATHS] = {ROI_PASSES_VALS, ROI_PASSES_VALS,
                                                ROI_PASSES_ARGMAX, ROI_PASSES_AVG,
                                                ROI_PASSES_BACKWARD};
    return path >= 0 && path < ROI_NPATHS ? passes[path] : 0u;
}

static inline spp_pass roi_forward_pass(const spp_region_plan *pl, const int32_t *argmax)
{
    return pl->p.pool == SPP_POOL_MAX && !argmax ? SPP_PASS_INFER : SPP_PASS_FORWARD;
}

/* The kernels' choose_path: the one place a path is decided (the table threshold included). */
static inline int roi_choose_path(const spp_region_plan *pl, int threads, spp_pass pass,
                                  int force)
{
    (void)threads; /* no path depends on the thread count */
    const int max = pl->p.pool == SPP_POOL_MAX;
    if (force >= 0) {
        if (!(roi_path_passes(force) & SPP_PASS_BIT(pass)))
            return -1;
        const int ok = force == ROI_PATH_BACKWARD || (force == ROI_PATH_AVG ? !max : max);
        return ok ? force : -1;
    }
    switch (pass) {
    case SPP_PASS_INFER:
        return roi_tabs_pay(pl) ? ROI_PATH_VALS_TABLE : ROI_PATH_VALS;
    case SPP_PASS_FORWARD:
        return max ? ROI_PATH_ARGMAX : ROI_PATH_AVG;
    case SPP_PASS_BACKWARD:
        return ROI_PATH_BACKWARD;
    }
    return -1;
}

/* Bytes of the max table the forward of `path` needs at the workspace's start. */
static inline size_t roi_tab_bytes_of(const spp_region_plan *pl, int path)
{
    return path == ROI_PATH_VALS_TABLE ? roi_tab_bytes(pl) : 0;
}

/* The table bytes a workspace must hold for workspace_size's path argument: -1, the kernel's
 * choice for the infer pass; a forced path that serves infer, that path; any other forced path
 * leaves infer to the kernel's choice. */
static inline size_t roi_tab_need(const spp_region_plan *pl, int threads, int path)
{
    if (pl->p.pool != SPP_POOL_MAX)
        return 0;
    const int infer = path >= 0 && (roi_path_passes(path) & SPP_PASS_BIT(SPP_PASS_INFER))
                          ? path
                          : roi_choose_path(pl, threads, SPP_PASS_INFER, -1);
    return roi_tab_bytes_of(pl, infer);
}

#endif
