/* The values-only forward path of the channel-last region kernels (nhwc_roi_avx2.h): max, argmax
 * NULL (inference, e.g. SPP-net detection at test time), a map without NaN; y only. One source
 * at two widths: RW = 8 (ymm) or, with ROI_AVX512, 16 (zmm, __mmask16 tails and compares).
 * When: the vals-table and vals paths (nhwc_roi_paths.h: max, no argmax) when roi_vals_of
 * (the map scan of nhwc_roi_tables.h) found no NaN, per call; roi_region_chunk_vals runs one
 * region and one chunk.
 * Direct, when every coarser level of the box derives from a finer one (adaptive pyramids):
 * chunks of ROI_VCB channels; the finest level's bins from the map, or from the max table for
 * bins of 2 x 2 cells or more; a finest bin whose intervals repeat its neighbour's (a box
 * narrower than the level) is copied; coarser levels are the max of their m x m finer bins
 * (2 x 2 and 3 x 3 unrolled). After each finest bin, w->quota lines of the previous region's
 * row are streamed (roi_drain, nhwc_roi_row.h).
 * Otherwise: max-only segment blocks of ROI_CB channels (nhwc_roi_common.h), bins from them or
 * from finer bins: the argmax path's structure without positions.
 * Max: one vmaxps per loaded vector, no positions. Equal nonzero floats are equal bit for bit,
 * so the max of maxima is roi__naive's value; when the map holds a -0.0 (ROI_VALS_ZCHECK), a bin
 * whose max is zero in a valid lane is rescanned from the map for its first maximum by strict >
 * (ROI_FIRST_MAX), which gives roi__naive's sign (docs/spec.md#3-max-and-avg).
 * Workspace: w->bv (blocks), w->sv (bin stage, ROI_VCB wide), w->yst and w->ast (the staged row
 * and the pending one, swapped per region), and the shared max table.
 * Weakest: past the read-once bound the time goes to the output stores, the transposes into the
 * staged row and the coarser levels; a map holding a -0.0 rescans every zero bin. */
#ifndef NHWC_ROI_VALS_H
#define NHWC_ROI_VALS_H

#include "nhwc_roi_common.h"
#include "nhwc_roi_row.h"
#include "nhwc_roi_tables.h"

/* mx = max over the m x m grid of staged bins at g (m a constant at the call: the compiler
 * unrolls it), the first bin already in mx */
static inline __attribute__((always_inline)) void roi_grid_fold(const float *g, int64_t rstride,
                                                                int64_t cstride, int m, int nv,
                                                                rv *mx)
{
    for (int a = 0; a < m; a++)
        for (int b = a ? 0 : 1; b < m; b++)
            for (int k = 0; k < nv; k++)
                mx[k] = rv_max(mx[k], rv_load(g + a * rstride + b * cstride + RW * k));
}

/* The values-only path's condition for a whole call: max, no argmax asked, no NaN in x.
 * roi_vals_of turns roi_map_scan flags into 0 (the path does not run), ROI_VALS, or
 * ROI_VALS_ZCHECK (it runs and the map holds a -0.0, so maxima of zero are checked); the
 * flags come from roi_prep_row's step 0 over every map row. */
enum { ROI_VALS = 1, ROI_VALS_ZCHECK = 2 };
static inline int roi_vals_of(int m)
{
    return m & ROI_MAP_NAN ? 0 : m & ROI_MAP_NEGZERO ? ROI_VALS_ZCHECK : ROI_VALS;
}
static inline int roi_wants_vals(const spp_region_plan *pl, const int32_t *argmax)
{
    return !argmax && pl->p.pool == SPP_POOL_MAX;
}

/* Max forward without argmax (inference) for one region and channel chunk of a map without
 * NaN, y only. Sources are max-only: with `direct`, the finest level's bins straight from the
 * map (every other level of this box derives from a finer one: adaptive pyramids), else the
 * segment blocks; coarser bins take the max of their sources. Equal nonzero floats are equal
 * bit for bit, so the max of maxima is roi__naive's value; a bin whose max is zero in a lane
 * (-0.0 == +0.0) is rescanned for the first maximum (roi_rect_fold, ROI_FIRST_MAX). */
static inline __attribute__((always_inline)) void
roi_region_chunk_vals(const spp_region_plan *pl, int64_t r, const float *x, roi_ws *w, int nrs,
                      int ncs, int64_t c0, int valid, int nv, int masked, int direct, int64_t cb,
                      int zchk)
{
    const spp_region_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w;
    rk mask[ROI_VCB / RW];
    for (int k = 0; k < nv; k++)
        mask[k] = rk_lanes(valid - RW * k);
    if (!direct)
        for (int a = 0; a < nrs; a++)
            for (int b = 0; b < ncs; b++) {
                rv m[ROI_VCB / RW];
                roi_rect_fold(x, C, W, c0, w->rbrk[a], w->rbrk[a + 1], w->cbrk[b],
                              w->cbrk[b + 1], nv, masked, mask, ROI_MAX, m);
                for (int k = 0; k < nv; k++)
                    rv_store(w->bv + ((int64_t)a * ncs + b) * cb + RW * k, m[k]);
            }
    const spp_interval *box_iv = pl->iv + r * pl->iv_per_box;
    for (int t = 0; t < p->nlevels; t++) {
        const int l = w->src[SPP_MAX_LEVELS - 1 - t]; /* finest first */
        const int n = p->levels[l];
        const int64_t ri = pl->iv_offset[l], ci = ri + n;
        float *sv = w->sv + pl->out_offset[l] / C * cb;
        const int f = w->from[l];
        /* sources: an ra x cb grid with row stride rs, from the blocks or from level f */
        const float *src = f >= 0 ? w->sv + pl->out_offset[f] / C * cb : w->bv;
        const int64_t rs = f >= 0 ? p->levels[f] : ncs;
        const int m = f >= 0 ? p->levels[f] / n : 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                rv mx[ROI_VCB / RW];
                rm z = rm_none();
                /* a box narrower than the level repeats intervals: the bin equals its
                 * neighbour above or to the left, already final */
                const int rdup = f < 0 && direct && i &&
                                 box_iv[ri + i].start == box_iv[ri + i - 1].start &&
                                 box_iv[ri + i].end == box_iv[ri + i - 1].end;
                const int cdup = f < 0 && direct && j && !rdup &&
                                 box_iv[ci + j].start == box_iv[ci + j - 1].start &&
                                 box_iv[ci + j].end == box_iv[ci + j - 1].end;
                if (rdup || cdup) {
                    const float *from = sv + ((int64_t)(i - rdup) * n + j - cdup) * cb;
                    float *to = sv + ((int64_t)i * n + j) * cb;
                    for (int k = 0; k < nv; k++)
                        rv_store(to + RW * k, rv_load(from + RW * k));
                    roi_drain(w, w->quota);
                    continue;
                }
                if (f < 0 && direct) { /* the finest level, from the map */
                    roi_rect_max_tab(x, w->tab, C, W, c0, box_iv[ri + i].start,
                                     box_iv[ri + i].end, box_iv[ci + j].start,
                                     box_iv[ci + j].end, nv, masked, mask, mx);
                    roi_drain(w, w->quota);
                } else { /* a grid of sources: finer bins, or the segment blocks */
                    const int64_t a0 = f >= 0 ? (int64_t)m * i : w->lohi[2 * (ri + i)];
                    const int64_t b0 = f >= 0 ? (int64_t)m * j : w->lohi[2 * (ci + j)];
                    const int ra = f >= 0 ? m : w->lohi[2 * (ri + i) + 1] - (int)a0;
                    const int nc = f >= 0 ? m : w->lohi[2 * (ci + j) + 1] - (int)b0;
                    const float *g = src + (a0 * rs + b0) * cb;
                    for (int k = 0; k < nv; k++)
                        mx[k] = rv_load(g + RW * k);
                    if (f >= 0 && m == 2) /* the usual pyramids: constant grids, unrolled */
                        roi_grid_fold(g, rs * cb, cb, 2, nv, mx);
                    else if (f >= 0 && m == 3)
                        roi_grid_fold(g, rs * cb, cb, 3, nv, mx);
                    else
                        for (int a = 0; a < ra; a++)
                            for (int b = a ? 0 : 1; b < nc; b++)
                                for (int k = 0; k < nv; k++)
                                    mx[k] = rv_max(mx[k], rv_load(
                                        g + ((int64_t)a * rs + b) * cb + RW * k));
                }
                if (zchk) /* lanes past C are not outputs */
                    for (int k = 0; k < nv; k++)
                        z = rm_or(z, rm_zero(mx[k], mask[k]));
                if (rm_any(z)) /* the first zero's sign */
                    roi_rect_fold(x, C, W, c0, box_iv[ri + i].start, box_iv[ri + i].end,
                                  box_iv[ci + j].start, box_iv[ci + j].end, nv, masked, mask,
                                  ROI_FIRST_MAX, mx);
                float *ov = sv + ((int64_t)i * n + j) * cb;
                for (int k = 0; k < nv; k++)
                    rv_store(ov + RW * k, mx[k]);
            }
    }
    for (int l = 0; l < p->nlevels; l++)
        roi_emit_level(pl, l, w->sv + pl->out_offset[l] / C * cb, cb, w->yst, c0, valid);
}

#endif
