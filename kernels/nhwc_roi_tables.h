/* The values-only path's per-call view of the map (nhwc_roi_vals.h): one scan and a max table,
 * and the path's map folds. RW lanes a vector (nhwc_roi_vec.h: ymm, or zmm with ROI_AVX512).
 * Layout: nhwc map, the table in the same layout. Pool: max only, without argmax.
 * Scan (roi_map_scan): whether the map holds a NaN (then the values-only path does not run and
 * the argmax path stores y only) and a -0.0 (then a bin whose max is zero is rescanned from the
 * map for the first zero's sign; a map without one, as a ReLU output, needs no rescan).
 * Table (roi_tab_row): at [y][x] the max of the map's 2 x 2 cells from (y, x), for y <= H-2 and
 * x <= W-2. Max is exact and order-free on a map without NaN, so a bin of at least 2 x 2 cells
 * is the max of ceil(h/2) x ceil(w/2) overlapping table cells (roi_rect_max_tab: the last row
 * and column of table cells overlap the previous ones), a quarter of the loads and lines of
 * its cells; narrower bins read the map. Signed zeros may come out of the table either way:
 * the rescan above covers them.
 * When: the table is built on the vals-table path, which roi_choose_path (nhwc_roi_paths.h)
 * takes when the boxes' summed area is at least ROI_TAB_MIN_READS maps (roi_tabs_pay: the boxes
 * of a detection call read each map cell many times over); the scan runs on both values-only
 * paths. roi_prep_row does one map row of both, fused.
 * Parallel split: by map rows (the omp kernel shares them out, then one barrier before the
 * regions); afterwards the table is read-only and shared by all threads.
 * Workspace: roi_tab_bytes, one map-sized table for max, none for avg.
 * Weakest: the table is a second map to miss in; when map and table outgrow L2 the finest bins'
 * loads miss, and the build is two more passes over the map per call. */
#ifndef NHWC_ROI_TABLES_H
#define NHWC_ROI_TABLES_H

#include "nhwc_roi_common.h"
#include "nhwc_roi_vec.h"

/* What the values-only path needs to know of the map, found in one pass over C*H*W per call
 * (far less than the boxes' summed areas) instead of a probe per box: does it hold a NaN (then
 * the path does not run), and a -0.0 (then a max of zero may be either zero, and bins whose max
 * is zero are rescanned for the first one; without one, e.g. a ReLU map whose zeros are all
 * +0.0, every max is exact as it comes). */
enum { ROI_MAP_NAN = 1, ROI_MAP_NEGZERO = 2 };
static inline int roi_map_scan(const float *x, int64_t n)
{
    rm a0 = rm_none(), a1 = rm_none(), z0 = rm_none(), z1 = rm_none();
    int64_t i = 0;
    for (; i + 2 * RW <= n; i += 2 * RW) {
        const rv u = rv_loadu(x + i), v = rv_loadu(x + i + RW);
        a0 = rm_or(a0, rm_nan(u));
        a1 = rm_or(a1, rm_nan(v));
        z0 = rm_or(z0, rm_negzero(u));
        z1 = rm_or(z1, rm_negzero(v));
    }
    int nan = rm_any(rm_or(a0, a1)), negzero = rm_any(rm_or(z0, z1));
    for (; i < n; i++) {
        nan |= x[i] != x[i];
        negzero |= x[i] == 0.0f && __builtin_signbit(x[i]);
    }
    return (nan ? ROI_MAP_NAN : 0) | (negzero ? ROI_MAP_NEGZERO : 0);
}

/* The max table of the map, shared by every box of a call: at [y][x] the max of the map's
 * cells (y..y+1) x (x..x+1), same layout as the map, for y <= H-2 and x <= W-2. Built per call
 * in one pass over the map, fused with roi_map_scan (roi_prep_row). Signed zeros may come out
 * of it either way: bins whose max is zero are rescanned from the map when the map holds a
 * -0.0. Bytes: one map for max, none for avg. */
static inline size_t roi_tab_bytes(const spp_region_plan *pl)
{
    return pl->p.pool == SPP_POOL_MAX ? roi_align((size_t)spp_region_map_elems(&pl->p) * 4)
                                      : 0;
}

/* Row y of the table from the map x: the max of x at (y, x), (y, x+1), (y+1, x), (y+1, x+1).
 * The last row and column (past H-2, W-2) are not built. */
static inline void roi_tab_row(const float *x, float *tab, int64_t H, int64_t W, int64_t C,
                               int64_t y)
{
    if (y + 2 > H || 2 > W)
        return;
    const int64_t rw = W * C, n = (W - 1) * C, o = C;
    const float *a = x + y * rw, *b = a + rw;
    float *out = tab + y * rw;
    int64_t i = 0;
    for (; i + RW <= n; i += RW) {
        const rv u = rv_max(rv_loadu(a + i), rv_loadu(a + i + o));
        const rv v = rv_max(rv_loadu(b + i), rv_loadu(b + i + o));
        rv_storeu(out + i, rv_max(u, v));
    }
    for (; i < n; i++) {
        const float u = a[i] > a[i + o] ? a[i] : a[i + o], v = b[i] > b[i + o] ? b[i] : b[i + o];
        out[i] = u > v ? u : v;
    }
}

/* Rows [h0,h1) x cols [w0,w1) of the map folded in row-major order into acc, values only
 * (max, a map without NaN), RW channels a vector (nhwc_roi_vec.h):
 *  ROI_MAX        the max, one op per loaded vector (against compare, max, blend and a NaN probe
 *                 with positions);
 *  ROI_FIRST_MAX  the first maximum's bits by strict >: for a bin whose max is zero, where
 *                 -0.0 == +0.0 and a plain max may return either sign; strict > keeps the first,
 *                 as roi__naive does. */
enum { ROI_MAX, ROI_FIRST_MAX };
static inline __attribute__((always_inline)) void
roi_rect_fold(const float *x, int64_t C, int64_t W, int64_t c0, int64_t h0, int64_t h1,
              int64_t w0, int64_t w1, int nv, int masked, const rk *mask, int op, rv *acc)
{
    for (int k = 0; k < nv; k++)
        acc[k] = rv_set1(-__builtin_inff());
    for (int64_t h = h0; h < h1; h++) {
        const float *row = x + (h * W) * C + c0;
        for (int64_t w = w0; w < w1; w++) {
            const float *cell = row + w * C;
            for (int k = 0; k < nv; k++) {
                const rv v = rv_load_m(cell + RW * k, masked, mask[k]);
                acc[k] = op == ROI_MAX ? rv_max(acc[k], v) : rv_first_gt(acc[k], v);
            }
        }
    }
}

/* Values-only max of rows [h0,h1) x cols [w0,w1): from the table when the bin has at least
 * k x k cells (k = 2) and the table was built (tab not NULL), else from the map. The last row
 * and column of table cells start at h1-k and w1-k, overlapping the previous ones. */
static inline __attribute__((always_inline)) void
roi_rect_max_tab(const float *x, const float *tab, int64_t C, int64_t W, int64_t c0, int64_t h0,
                 int64_t h1, int64_t w0, int64_t w1, int nv, int masked, const rk *mask,
                 rv *best)
{
    const int64_t side = h1 - h0 < w1 - w0 ? h1 - h0 : w1 - w0;
    if (!tab || side < 2) {
        roi_rect_fold(x, C, W, c0, h0, h1, w0, w1, nv, masked, mask, ROI_MAX, best);
        return;
    }
    const int64_t k = 2;
    const float *q = tab;
    for (int j = 0; j < nv; j++)
        best[j] = rv_set1(-__builtin_inff());
    for (int64_t h = h0;; h += k) {
        h = h < h1 - k ? h : h1 - k;
        const float *row = q + (h * W) * C + c0;
        for (int64_t w = w0;; w += k) {
            w = w < w1 - k ? w : w1 - k;
            const float *cell = row + w * C;
            for (int j = 0; j < nv; j++)
                best[j] = rv_max(best[j], rv_load_m(cell + RW * j, masked, mask[j]));
            if (w + k >= w1)
                break;
        }
        if (h + k >= h1)
            break;
    }
}

/* Whether the boxes read the map often enough to pay for the table: their summed area at
 * least ROI_TAB_MIN_READS maps. Building it costs about two map passes. Only roi_choose_path
 * asks; the table is correct either way, so both sides of the threshold can be forced. */
enum { ROI_TAB_MIN_READS = 4 };
static inline int roi_tabs_pay(const spp_region_plan *pl)
{
    int64_t area = 0;
    for (int64_t r = 0; r < pl->nboxes; r++) {
        const spp_box b = pl->boxes[r];
        area += (int64_t)(b.x1 - b.x0) * (b.y1 - b.y0);
    }
    return area >= ROI_TAB_MIN_READS * pl->p.h * pl->p.w;
}
/* Map row y of a values-only call's preparation: scans the row (returns roi_map_scan flags)
 * and, with build, fills row y of the table. Rows are independent. */
static inline int roi_prep_row(const spp_region_plan *pl, const float *x, float *tab, int build,
                               int64_t y)
{
    const spp_region_problem *p = &pl->p;
    const int flags = roi_map_scan(x + y * p->w * p->c, p->w * p->c);
    if (build)
        roi_tab_row(x, tab, p->h, p->w, p->c, y);
    return flags;
}

#endif
