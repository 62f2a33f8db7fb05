/* nhwc_roi_omp.h: the OpenMP driver of the NHWC region core, shared by nhwc_roi__omp_avx2 (an
 * NHWC map as given) and nchw_roi__nhwc_omp_avx2 (an NCHW map transposed first into an NHWC
 * copy), and by their AVX-512 forms (ROI_AVX512 defined first: the values-only path at 16
 * lanes, nhwc_roi_vec.h). Not a kernel.
 * Forward, one parallel region per call: the optional transpose (tiles, schedule(static)), the
 *      map scan and max table split by map rows, then regions schedule(dynamic, 4) (box sizes
 *      vary a lot, and a thread slowed by the shared machine does not hold the rest up). Each
 *      region's outputs come from one thread in a fixed order: results do not depend on the
 *      thread count. Each thread streams its own pending row, drained and fenced before the end.
 * Backward: each thread owns a contiguous range of channels (multiples of 8) of the NHWC dx,
 *      zeroes it and walks every region, level and bin in output order for those channels: no
 *      atomics, every dx element updated in roi__naive's order; then the optional transpose.
 * Paths: nhwc_roi_paths.h; the kernel passes the one it resolved (SPP_EXEC_PATH).
 * Workspace: the max table (only when vals-table may run), then one roi_ws per thread
 *      (roi_omp_ws_bytes). */
#ifndef NHWC_ROI_OMP_H
#define NHWC_ROI_OMP_H

#include <omp.h>

#include "avx2_transpose.h"
#include "nhwc_roi_avx2.h"
#include "nhwc_roi_backward.h"
#include "nhwc_roi_paths.h"

enum { ROI_TR_TILE = 32 }; /* transpose tile side: 32 source rows x 128 bytes, in L1 */

/* path: as the kernel's workspace_size receives it (-1: the kernel's choices) */
static inline size_t roi_omp_ws_bytes(const spp_region_plan *pl, int threads, int path)
{
    return spp_page_round(roi_tab_need(pl, threads, path)) +
           spp_page_round(roi_ws_bytes(pl)) * (size_t)threads;
}

/* dst (cols x rows, row stride rows) = transpose of src (rows x cols, row stride cols). Called
 * inside a parallel region by every thread: tiles are shared out by `omp for`, and each dst
 * element is written by one thread; bit patterns move unchanged. Ends with the for's barrier. */
static void roi_transpose(const float *src, float *dst, int64_t rows, int64_t cols)
{
    const int64_t tr = (rows + ROI_TR_TILE - 1) / ROI_TR_TILE;
    const int64_t tc = (cols + ROI_TR_TILE - 1) / ROI_TR_TILE;
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tr * tc; t++) {
        const int64_t c0 = t / tr * ROI_TR_TILE, r0 = t % tr * ROI_TR_TILE; /* dst rows outer */
        const int64_t r1 = r0 + ROI_TR_TILE < rows ? r0 + ROI_TR_TILE : rows;
        const int64_t c1 = c0 + ROI_TR_TILE < cols ? c0 + ROI_TR_TILE : cols;
        const int64_t rf = r0 + (r1 - r0) / 8 * 8, cf = c0 + (c1 - c0) / 8 * 8;
        for (int64_t j = c0; j < cf; j += 8)
            for (int64_t i = r0; i < rf; i += 8)
                avx2_t8x8(src + i * cols + j, cols, dst + j * rows + i, rows);
        for (int64_t j = c0; j < c1; j++) /* the tile's edges: row and column tails */
            for (int64_t i = j < cf ? rf : r0; i < r1; i++)
                dst[j * rows + i] = src[i * cols + j];
    }
}

/* Pools the NHWC map x (pl's layout), or, when xt is not NULL, the (C, H*W) map x transposed
 * into xt first, on `path` (nhwc_roi_paths.h, resolved for this pass by the kernel). ws: the
 * table of that path (roi_tab_bytes_of), then one roi_ws slice per thread. */
static inline void roi_omp_forward(const spp_region_plan *pl, const float *x, float *xt,
                                   float *y, int32_t *argmax, int threads, char *ws, int path)
{
    /* the table and each thread's slice start a page of their own (spp_page_round) */
    const size_t slice = spp_page_round(roi_ws_bytes(pl));
    const size_t tbytes = spp_page_round(roi_tab_bytes_of(pl, path));
    float *tab = (float *)ws;
    const spp_region_problem *p = &pl->p;
    const float *map = xt ? xt : x;
    const int want = (path == ROI_PATH_VALS_TABLE || path == ROI_PATH_VALS) &&
                     roi_wants_vals(pl, argmax);
    const int build = want && path == ROI_PATH_VALS_TABLE;
    int m = 0;
#pragma omp parallel num_threads(threads)
    {
        if (xt)
            roi_transpose(x, xt, p->c, p->h * p->w); /* (C, H*W) -> (H*W, C); barrier */
        roi_ws w = roi_ws_carve(pl, ws + tbytes + slice * (size_t)omp_get_thread_num());
        if (want) { /* split by map rows */
#pragma omp for schedule(static) reduction(| : m)
            for (int64_t yy = 0; yy < p->h; yy++)
                m |= roi_prep_row(pl, map, tab, build, yy);
        }
        const int vals = want ? roi_vals_of(m) : 0;
        w.tab = vals && build ? tab : NULL;
#pragma omp for schedule(dynamic, 4)
        for (int64_t r = 0; r < pl->nboxes; r++)
            roi_region_forward(pl, r, map, y, argmax, &w, vals);
        roi_drain_all(&w); /* this thread's last row */
        _mm_sfence(); /* each thread orders its streamed output before the barrier */
    }
}

/* dx (NHWC, pl's layout) from dy and argmax; when dxt is not NULL, dx is an NHWC scratch and
 * the result is transposed into dxt as (C, H*W). */
static inline void roi_omp_backward(const spp_region_plan *pl, const float *dy,
                                    const int32_t *argmax, float *dx, float *dxt, int threads)
{
    const spp_region_problem *p = &pl->p;
    const int64_t groups = (p->c + 7) / 8, cells = p->h * p->w;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int64_t g0 = groups * t / nt, g1 = groups * (t + 1) / nt;
        const int64_t cb0 = 8 * g0, cb1 = 8 * g1 < p->c ? 8 * g1 : p->c;
        if (cb0 < cb1) {
            for (int64_t q = 0; q < cells; q++)
                memset(dx + q * p->c + cb0, 0, (size_t)(cb1 - cb0) * sizeof *dx);
            roi_backward_channels(pl, dy, argmax, dx, cb0, cb1);
        }
        if (dxt) {
#pragma omp barrier
            roi_transpose(dx, dxt, cells, p->c); /* (H*W, C) -> (C, H*W) */
        }
    }
}

#endif
