/* nchw__binmajor: bins outermost. For each level, bin row i and bin column j the bin's bounds
 * are read once from the plan and applied to every (sample, channel) plane.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * Order: the planes are taken in blocks of about 24 KiB (128 KiB in avg backward; at least one
 *      plane); inside a block:
 *      level, bin row, bin column, then every plane of the block. Strict bin-major order over
 *      the whole tensor would re-stream the input from memory once per bin; the block keeps it
 *      in L1 while all of the block's bins are pooled, so the input is read from memory once.
 * Max (nchw_rect_max): the bin's max value and a NaN flag, then its first element equal to
 *      that value (naive's first maximum; -0.0 == +0.0 keeps the first); with a NaN in the bin,
 *      naive's scan: a later element replaces the best only if it is NaN or strictly greater
 *      than a non-NaN best (the last NaN is the argmax), all -inf gives the first element.
 *      Output and argmax bitwise equal to naive. Avg: double sums (four interleaved partial
 *      sums per bin, fixed order; nchw_rect_avg), divided by the product of the axis divisors:
 *      within SPEC's bound, identical for every run and thread count.
 * Backward: per block, zero the block's dx planes. Avg: the same bin-major order adds each
 *      output's dy/(float)divisor over its bin. Max reads no bin bounds (dy at argmax), so
 *      bin-major order has nothing to share and only made dy/argmax reads strided: it was
 *      0.93-1.0x naive on zf5-180 and `large`. So a max backward walks each plane's outputs in
 *      output order over L1-sized (24 KiB) blocks. Either way every dx element receives its
 *      additions in naive's order, so dx is bitwise equal to naive's. A max backward with
 *      dx >= 32 MiB zeroes all of dx with streaming stores first (as naive's large memset
 *      does), since the scatter then touches few lines.
 * Small planes (H*W <= 256, avg): the blocks are 8 planes and the plane loop is unrolled
 *      inside each bin (nchw_small.h: one double chain per plane in naive's order, so y and dx
 *      are bitwise naive's): the generic plane loop around a 2-element bin cost as much as the
 *      bin, and was 1.0-1.4x naive forward, 0.90-1.36x backward on `odd`; now 3.0-4.2x.
 * Single-threaded, scalar, no workspace. Against naive (1 thread, same-run medians, noisy
 *      2-core VM): forward max 1.1-1.7x (1.0-1.4x with naive's one-pass bin scan), avg 2.5x
 *      (13x13); max backward 2.6-3.6x on odd,
 *      zf5-180 and zf5-224, 1.7x on 38x50, 1.5x on `large` (bin-major order: 1.35x, 0.95x,
 *      1.0x, 1.4x, 1.0x). */
#include <string.h>

#include "nchw_common.h"
#include "nchw_small.h"

/* Forward blocks (and max backward blocks) fit L1 (the bins re-read the block once per level);
 * avg backward blocks fit L2. */
#define BINMAJOR_FWD_BLOCK_BYTES (24 * 1024)
#define BINMAJOR_BWD_BLOCK_BYTES (128 * 1024)

static int64_t block_planes(const spp_problem *p, int64_t bytes)
{
    const int64_t plane = p->h * p->w * (int64_t)sizeof(float);
    const int64_t k = bytes / plane;
    return k < 1 ? 1 : k;
}

static spp_status binmajor_forward(const spp_plan *pl, const float *x, float *y,
                                   int32_t *argmax, const spp_exec *ex)
{
    (void)ex;
    const spp_problem *p = &pl->p;
    const int64_t HW = p->h * p->w, W = p->w, planes = p->n * p->c, blk = block_planes(p, BINMAJOR_FWD_BLOCK_BYTES);
    if (p->pool == SPP_POOL_AVG && p->h * p->w <= NCHW_SMALL_MAX_HW) {
        nchw_small_avg_forward(pl, x, y, 1); /* bin-major over blocks of 8 planes */
        return SPP_OK;
    }
    for (int64_t p0 = 0; p0 < planes; p0 += blk) {
        const int64_t p1 = p0 + blk < planes ? p0 + blk : planes;
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n;
            for (int i = 0; i < n; i++) {
                const spp_interval r = lv->rows[i];
                for (int j = 0; j < n; j++) {
                    const spp_interval q = lv->cols[j];
                    int64_t b = p0 / p->c, c = p0 % p->c;
                    for (int64_t pi = p0; pi < p1; pi++) {
                        const float *plane = x + pi * HW;
                        const int64_t o = b * pl->out_per_sample + lv->out_offset +
                                          c * n * n + (int64_t)i * n + j;
                        if (p->pool == SPP_POOL_MAX) {
                            float v;
                            int32_t a;
                            nchw_rect_max(plane, W, r, q, &v, &a);
                            y[o] = v;
                            if (argmax)
                                argmax[o] = a;
                        } else {
                            y[o] = nchw_rect_avg(plane, W, r, q);
                        }
                        if (++c == p->c) {
                            c = 0;
                            b++;
                        }
                    }
                }
            }
        }
    }
    return SPP_OK;
}

static spp_status binmajor_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                                    float *dx, const spp_exec *ex)
{
    (void)ex;
    const spp_problem *p = &pl->p;
    const int64_t HW = p->h * p->w, W = p->w, planes = p->n * p->c, blk = block_planes(p, BINMAJOR_BWD_BLOCK_BYTES);
    if (p->pool == SPP_POOL_AVG && p->h * p->w <= NCHW_SMALL_MAX_HW) {
        nchw_small_avg_backward(pl, dy, dx, 1); /* bin-major over blocks of 8 planes */
        return SPP_OK;
    }
    const int stream = nchw_bwd_streams(p);
    if (stream) {
        nchw_zero_stream(dx, planes * HW);
        nchw_stream_fence();
    }
    if (p->pool == SPP_POOL_MAX) {
        /* max: no bin bounds to share, so each plane's outputs in output order (sequential dy
         * and argmax), over L1-sized blocks */
        const int64_t mblk = block_planes(p, BINMAJOR_FWD_BLOCK_BYTES);
        for (int64_t p0 = 0; p0 < planes; p0 += mblk) {
            const int64_t p1 = p0 + mblk < planes ? p0 + mblk : planes;
            if (!stream)
                memset(dx + p0 * HW, 0, (size_t)((p1 - p0) * HW) * sizeof *dx);
            for (int64_t pi = p0; pi < p1; pi++) {
                float *plane = dx + pi * HW;
                const int64_t b = pi / p->c, c = pi % p->c;
                for (int l = 0; l < p->nlevels; l++) {
                    const int64_t nn = (int64_t)pl->lv[l].n * pl->lv[l].n;
                    const int64_t o = b * pl->out_per_sample + pl->lv[l].out_offset + c * nn;
                    nchw_plane_scatter(plane, argmax + o, dy + o, nn, stream);
                }
            }
        }
        return SPP_OK;
    }
    for (int64_t p0 = 0; p0 < planes; p0 += blk) {
        const int64_t p1 = p0 + blk < planes ? p0 + blk : planes;
        if (!stream)
            memset(dx + p0 * HW, 0, (size_t)((p1 - p0) * HW) * sizeof *dx);
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n;
            for (int i = 0; i < n; i++) {
                const spp_interval r = lv->rows[i];
                for (int j = 0; j < n; j++) {
                    const spp_interval q = lv->cols[j];
                    int64_t b = p0 / p->c, c = p0 % p->c;
                    for (int64_t pi = p0; pi < p1; pi++) {
                        float *plane = dx + pi * HW;
                        const int64_t o = b * pl->out_per_sample + lv->out_offset +
                                          c * n * n + (int64_t)i * n + j;
                        if (p->pool == SPP_POOL_MAX) {
                            plane[argmax[o]] += dy[o];
                        } else {
                            const float g = dy[o] / (float)(r.div * q.div);
                            for (int64_t h = r.start; h < r.end; h++)
                                for (int64_t w = q.start; w < q.end; w++)
                                    plane[h * W + w] += g;
                        }
                        if (++c == p->c) {
                            c = 0;
                            b++;
                        }
                    }
                }
            }
        }
    }
    return SPP_OK;
}

const spp_kernel spp_kernel_nchw__binmajor = {
    .name = "nchw__binmajor",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_SCALAR,
    .threaded = 0,
    .summary = "bins outermost (level, row, col) over L1/L2-sized blocks of planes, scalar",
    .forward = binmajor_forward,
    .backward = binmajor_backward,
    .workspace_size = NULL,
};
