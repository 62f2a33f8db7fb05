/* nhwc_roi__omp_avx2: nhwc_roi__avx2 with OpenMP (spp_exec.threads threads).
 *
 * Layout: nhwc only. Pools: max and avg. Conventions: all three, from the region plan.
 * ISA: AVX2 + FMA. Same forward core as nhwc_roi__avx2 (nhwc_roi_avx2.h and its parts):
 * read-once segment blocks, 32 channels per chunk, the values-only path for max without argmax
 * on a map without NaN, max bitwise equal to roi__naive (argmax included), avg in one fixed
 * per-region order (docs/spec.md#3-max-and-avg).
 * Parallel split, forward: first the map scan and the max table, split by map rows (one barrier
 *      before the regions); then regions, schedule(dynamic) with small chunks (box sizes vary
 *      a lot, and a thread slowed by the shared machine does not hold the rest up). Every
 *      region's outputs are computed by one thread in a fixed order, so results do not depend
 *      on the thread count or the schedule. Each thread has its own workspace slice and its own
 *      pending row, finished and fenced before the parallel region ends.
 * Parallel split, backward: deterministic with NO atomics. Regions overlap on the map, so
 *      splitting regions would race on dx. Instead each thread OWNS a contiguous range of
 *      channels (multiples of 8) of dx, zeroes it, and walks every region, level and bin in
 *      output order for its channels only. Each dx element is therefore updated by one thread,
 *      in roi__naive's order: dx is bitwise equal to roi__naive's for every thread count
 *      (docs/spec.md#4-gradients).
 * Workspace: one roi_ws per thread, and for max the shared max table of the values-only path.
 * Weakest: the backward's channel split leaves threads idle when C / 8 is small; the forward
 *      scales with regions only, so a call with fewer boxes than threads leaves cores idle. */
#include <omp.h>

#include "nhwc_roi_avx2.h"
#include "nhwc_roi_backward.h"

static size_t roi_omp_ws(const spp_region_plan *pl, int threads)
{
    return roi_tab_bytes(pl) + roi_ws_bytes(pl) * (size_t)threads;
}

static spp_status roi_omp_forward(const spp_region_plan *pl, const float *x, float *y,
                                  int32_t *argmax, const spp_exec *ex)
{
    const size_t slice = roi_ws_bytes(pl), tbytes = roi_tab_bytes(pl);
    float *tab = ex->workspace;
    const spp_region_problem *p = &pl->p;
    const int want = roi_wants_vals(pl, argmax), build = want && roi_tabs_pay(pl);
    int m = 0;
#pragma omp parallel num_threads(ex->threads)
    {
        roi_ws w =
            roi_ws_carve(pl, (char *)ex->workspace + tbytes + slice * (size_t)omp_get_thread_num());
        if (want) { /* split by map rows */
#pragma omp for schedule(static) reduction(| : m)
            for (int64_t yy = 0; yy < p->h; yy++)
                m |= roi_prep_row(pl, x, tab, build, yy);
        }
        const int vals = want ? roi_vals_of(m) : 0;
        w.tab = vals && build ? tab : NULL;
        /* small dynamic chunks: a thread slowed by the shared machine does not hold the rest up */
#pragma omp for schedule(dynamic, 4)
        for (int64_t r = 0; r < pl->nboxes; r++)
            roi_region_forward(pl, r, x, y, argmax, &w, vals);
        roi_drain_all(&w); /* this thread's last row */
        _mm_sfence(); /* each thread orders its streamed output before the barrier */
    }
    return SPP_OK;
}

static spp_status roi_omp_backward(const spp_region_plan *pl, const float *dy,
                                   const int32_t *argmax, float *dx, const spp_exec *ex)
{
    const spp_region_problem *p = &pl->p;
    const int64_t groups = (p->c + 7) / 8, cells = p->h * p->w;
#pragma omp parallel num_threads(ex->threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int64_t g0 = groups * t / nt, g1 = groups * (t + 1) / nt;
        const int64_t cb0 = 8 * g0, cb1 = 8 * g1 < p->c ? 8 * g1 : p->c;
        if (cb0 < cb1) {
            for (int64_t q = 0; q < cells; q++)
                memset(dx + q * p->c + cb0, 0, (size_t)(cb1 - cb0) * sizeof *dx);
            roi_backward_channels(pl, dy, argmax, dx, cb0, cb1);
        }
    }
    return SPP_OK;
}

const spp_region_kernel spp_region_kernel_nhwc_roi__omp_avx2 = {
    .name = "nhwc_roi__omp_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "channel-last AVX2, OpenMP over regions; backward threads own channel ranges",
    .forward = roi_omp_forward,
    .backward = roi_omp_backward,
    .workspace_size = roi_omp_ws,
};
