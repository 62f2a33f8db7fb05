/* Forward core of the channel-last region kernels: roi_region_forward, one region over all
 * channel chunks. Included by files ending in avx2.c (-mavx2 -mfma) and, with ROI_AVX512 defined
 * first, avx512.c (the values-only path at 16 lanes, nhwc_roi_vec.h; the rest the same AVX2
 * code); not a kernel itself. Parts: nhwc_roi_common.h
 * (workspace, segments, level sources, folds), nhwc_roi_tables.h (map scan, max table),
 * nhwc_roi_row.h (level write-out, streamed row), nhwc_roi_argmax.h and nhwc_roi_vals.h (the
 * two chunk paths); the backward is nhwc_roi_backward.h.
 * Layout: nhwc. Pools: max and avg. Conventions: all, from the plan's per-box interval table.
 * Routes, per call (vals: the kernel's path, nhwc_roi_paths.h, and its map scan) and per box:
 *  - values-only direct (nhwc_roi_vals.h): the vals-table or vals path, no NaN in the map, and
 *    every coarser level of the box derivable from a finer one: 64-channel chunks from the map
 *    or the max table; the row streamed during the next region (roi_pend, roi_drain).
 *  - values-only from segment blocks: the same call without the derivable levels.
 *  - argmax code (nhwc_roi_argmax.h): the avg and argmax paths, and a map holding a NaN.
 *  The last two run 32-channel chunks and a masked tail of one vector (8 lanes; 16 on the
 *  AVX-512 values-only path), and stream the row at the region's end.
 * Ties and NaN: max y and argmax equal roi__naive's bit for bit (docs/spec.md#3-max-and-avg);
 * avg is one fixed order of float sums, within the spec's bound.
 * Parallel split: none here; the omp kernel hands each thread whole regions and its own roi_ws,
 * so a region's outputs never depend on the thread count or the schedule.
 * Workspace: roi_ws per thread (roi_ws_bytes) and, for max, the shared table (roi_tab_bytes).
 * Weakest: see each part; overall the values-only path is bound by the output write and the
 * work around the finest bins, the argmax path by per-vector position bookkeeping. */
#ifndef NHWC_ROI_AVX2_H
#define NHWC_ROI_AVX2_H

#include "nhwc_roi_argmax.h"
#include "nhwc_roi_common.h"
#include "nhwc_roi_row.h"
#include "nhwc_roi_tables.h"
#include "nhwc_roi_vals.h"

/* Forward of one whole region (all channel chunks). vals: roi_vals_of's answer; nonzero
 * lets the values-only path run (max, argmax NULL, a map without NaN). */
static inline void roi_region_forward(const spp_region_plan *pl, int64_t r, const float *x,
                                      float *y, int32_t *argmax, roi_ws *w, int vals)
{
    const spp_region_problem *p = &pl->p;
    const spp_box bx = pl->boxes[r];
    roi_level_order(pl, w);
    int64_t c0 = 0;
    const int derivable = roi_box_sources(pl, r, w);
    const int direct = vals && derivable, zchk = vals == ROI_VALS_ZCHECK;
    /* the segment blocks (not needed by the direct path) */
    const int nrs = direct ? 0 : roi_axis_segments(pl, r, 0, bx.y0, bx.y1 - bx.y0, w, w->rbrk);
    const int ncs = direct ? 0 : roi_axis_segments(pl, r, 1, bx.x0, bx.x1 - bx.x0, w, w->cbrk);
    float *yrow = y + r * pl->out_per_region;
    int32_t *arow = argmax ? argmax + r * pl->out_per_region : NULL;
    if (direct) /* 64 channels a chunk: 256 contiguous bytes a cell, half the loop overhead */
        for (; c0 < p->c; c0 += ROI_VCB) {
            const int valid = p->c - c0 < ROI_VCB ? (int)(p->c - c0) : ROI_VCB;
            if (valid == ROI_VCB) /* constants: the compiler specializes the loops */
                roi_region_chunk_vals(pl, r, x, w, nrs, ncs, c0, ROI_VCB, ROI_VCB / RW, 0, 1,
                                      ROI_VCB, zchk);
            else
                roi_region_chunk_vals(pl, r, x, w, nrs, ncs, c0, valid, (valid + RW - 1) / RW,
                                      valid % RW != 0, 1, ROI_VCB, zchk);
        }
    for (; c0 + ROI_CB <= p->c; c0 += ROI_CB)
        if (vals)
            roi_region_chunk_vals(pl, r, x, w, nrs, ncs, c0, ROI_CB, ROI_CB / RW, 0, 0, ROI_CB,
                                  zchk);
        else
            roi_region_chunk(pl, r, x, arow != NULL, w, nrs, ncs, c0, ROI_CB, 4, 0);
    /* the tail: one vector a step, RW lanes on the values-only path, 8 on the argmax path */
    for (const int step = vals ? RW : 8; c0 < p->c; c0 += step) {
        const int valid = p->c - c0 < step ? (int)(p->c - c0) : step;
        if (vals)
            roi_region_chunk_vals(pl, r, x, w, nrs, ncs, c0, valid, 1, valid < step, 0, ROI_CB,
                                  zchk);
        else
            roi_region_chunk(pl, r, x, arow != NULL, w, nrs, ncs, c0, valid, 1, valid < 8);
    }
    if (direct) { /* streamed during the next region (roi_drain); ast is free without argmax */
        roi_pend(w, yrow, w->yst, pl->out_per_region);
        float *next = (float *)w->ast;
        w->ast = (int32_t *)w->yst, w->yst = next;
        return;
    }
    roi_drain_all(w);
    roi_stream_copy(yrow, w->yst, pl->out_per_region);
    if (arow)
        roi_stream_copy(arow, w->ast, pl->out_per_region);
}

#endif
