/* nchw_roi__nhwc_omp_avx2: region SPP on an NCHW map through the NHWC region core.
 *
 * Layout: nchw only (the caller's x, y order, argmax and dx are NCHW's). Pools: max and avg.
 * Conventions: all three, from the region plan's per-box interval table. ISA: AVX2 + FMA.
 * Forward: the (C, H*W) map is transposed once per call into an (H*W, C) copy in the workspace
 *      (32 x 32 tiles of 8 x 8 register transposes, scalar at the tile edges), then the copy is
 *      pooled by nhwc_roi__omp_avx2's forward (nhwc_roi_avx2.h: map scan and max table, then
 *      regions) on a view of the plan whose layout is nhwc. Output order is canonical and
 *      argmax the in-plane offset h*W+w in both layouts, so y and argmax are those of
 *      nhwc_roi__omp_avx2 on the transposed map: max and argmax bitwise roi__naive's (ties,
 *      NaN, -0.0 as there), avg in that kernel's fixed per-region order, within the bound of
 *      docs/spec.md#3-max-and-avg and the same for every thread count.
 * Backward: the NHWC core's channel-owning backward (nhwc_roi_backward.h) into an (H*W, C) dx in
 *      the workspace, then transposed into dx: every dx element gets its additions in
 *      roi__naive's order, so dx is bitwise roi__naive's (docs/spec.md#4-gradients).
 * Parallel split, one OpenMP region per call: transpose tiles, schedule(static), each tile
 *      writing its own part of the destination; forward then map rows (scan, table) and regions
 *      schedule(dynamic, 4), as nhwc_roi__omp_avx2; backward threads own channel ranges
 *      (multiples of 8) of the NHWC dx, a barrier, then the tiles back into dx.
 * Workspace: the map copy (C*H*W floats, also the NHWC dx of the backward), then what
 *      nhwc_roi__omp_avx2 declares: the max table (max only) and one roi_ws per thread.
 * Weakest: the transposes are two extra passes over the map (forward: read x, write the copy;
 *      backward: write and read the NHWC dx once more), and the copy doubles the map's
 *      footprint in cache; the backward's channel split idles threads when C / 8 is small. */
#include <omp.h>

#include "avx2_transpose.h"
#include "nhwc_roi_avx2.h"
#include "nhwc_roi_backward.h"

enum { NR_TILE = 32 }; /* transpose tile side: 32 source rows x 128 bytes, in L1 */

/* The plan as the NHWC core sees it: the same boxes and intervals, layout nhwc. */
static spp_region_plan nr_nhwc_view(const spp_region_plan *pl)
{
    spp_region_plan v = *pl;
    v.p.layout = SPP_LAYOUT_NHWC;
    return v;
}

static size_t nr_map_bytes(const spp_region_plan *pl)
{
    return roi_align((size_t)spp_region_map_elems(&pl->p) * sizeof(float));
}

static size_t nr_ws(const spp_region_plan *pl, int threads)
{
    const spp_region_plan v = nr_nhwc_view(pl);
    return nr_map_bytes(pl) + roi_tab_bytes(&v) + roi_ws_bytes(&v) * (size_t)threads;
}

/* dst (cols x rows, row stride rows) = transpose of src (rows x cols, row stride cols). Called
 * inside a parallel region by every thread: tiles are shared out by `omp for`, and each dst
 * element is written by one thread; bit patterns move unchanged. Ends with the for's barrier. */
static void nr_transpose(const float *src, float *dst, int64_t rows, int64_t cols)
{
    const int64_t tr = (rows + NR_TILE - 1) / NR_TILE, tc = (cols + NR_TILE - 1) / NR_TILE;
#pragma omp for schedule(static)
    for (int64_t t = 0; t < tr * tc; t++) {
        const int64_t c0 = t / tr * NR_TILE, r0 = t % tr * NR_TILE; /* dst rows outermost */
        const int64_t r1 = r0 + NR_TILE < rows ? r0 + NR_TILE : rows;
        const int64_t c1 = c0 + NR_TILE < cols ? c0 + NR_TILE : cols;
        const int64_t rf = r0 + (r1 - r0) / 8 * 8, cf = c0 + (c1 - c0) / 8 * 8;
        for (int64_t j = c0; j < cf; j += 8)
            for (int64_t i = r0; i < rf; i += 8)
                avx2_t8x8(src + i * cols + j, cols, dst + j * rows + i, rows);
        for (int64_t j = c0; j < c1; j++) /* the tile's edges: row and column tails */
            for (int64_t i = j < cf ? rf : r0; i < r1; i++)
                dst[j * rows + i] = src[i * cols + j];
    }
}

static spp_status nr_forward(const spp_region_plan *pl, const float *x, float *y,
                             int32_t *argmax, const spp_exec *ex)
{
    const spp_region_plan v = nr_nhwc_view(pl);
    const spp_region_problem *p = &v.p;
    const size_t mbytes = nr_map_bytes(pl), tbytes = roi_tab_bytes(&v), slice = roi_ws_bytes(&v);
    float *xt = ex->workspace, *tab = (float *)((char *)ex->workspace + mbytes);
    const int want = roi_wants_vals(&v, argmax), build = want && roi_tabs_pay(&v);
    int m = 0;
#pragma omp parallel num_threads(ex->threads)
    {
        nr_transpose(x, xt, p->c, p->h * p->w); /* (C, H*W) -> (H*W, C); barrier */
        roi_ws w = roi_ws_carve(&v, (char *)ex->workspace + mbytes + tbytes +
                                        slice * (size_t)omp_get_thread_num());
        if (want) { /* split by map rows */
#pragma omp for schedule(static) reduction(| : m)
            for (int64_t yy = 0; yy < p->h; yy++)
                m |= roi_prep_row(&v, xt, tab, build, yy);
        }
        const int vals = want ? roi_vals_of(m) : 0;
        w.tab = vals && build ? tab : NULL;
#pragma omp for schedule(dynamic, 4)
        for (int64_t r = 0; r < v.nboxes; r++)
            roi_region_forward(&v, r, xt, y, argmax, &w, vals);
        roi_drain_all(&w); /* this thread's last row */
        _mm_sfence();      /* each thread orders its streamed output before the barrier */
    }
    return SPP_OK;
}

static spp_status nr_backward(const spp_region_plan *pl, const float *dy,
                              const int32_t *argmax, float *dx, const spp_exec *ex)
{
    const spp_region_plan v = nr_nhwc_view(pl);
    const spp_region_problem *p = &v.p;
    const int64_t groups = (p->c + 7) / 8, cells = p->h * p->w;
    float *dxt = ex->workspace; /* (H*W, C) */
#pragma omp parallel num_threads(ex->threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int64_t g0 = groups * t / nt, g1 = groups * (t + 1) / nt;
        const int64_t cb0 = 8 * g0, cb1 = 8 * g1 < p->c ? 8 * g1 : p->c;
        if (cb0 < cb1) {
            for (int64_t q = 0; q < cells; q++)
                memset(dxt + q * p->c + cb0, 0, (size_t)(cb1 - cb0) * sizeof *dxt);
            roi_backward_channels(&v, dy, argmax, dxt, cb0, cb1);
        }
#pragma omp barrier
        nr_transpose(dxt, dx, cells, p->c); /* (H*W, C) -> (C, H*W) */
    }
    return SPP_OK;
}

const spp_region_kernel spp_region_kernel_nchw_roi__nhwc_omp_avx2 = {
    .name = "nchw_roi__nhwc_omp_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "NCHW map transposed once to NHWC in the workspace, then the NHWC AVX2 core, OpenMP",
    .forward = nr_forward,
    .backward = nr_backward,
    .workspace_size = nr_ws,
};
