/* nchw__binmajor: bins outermost. For each level, bin row i and bin column j the bin's bounds
 * are read once from the plan and applied to every (sample, channel) plane of a block.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * Order: the planes go in blocks of BINMAJOR_FWD_BLOCK_BYTES (L1-sized; at least one plane);
 *      inside a block: level, bin row, bin column, then every plane of the block. Strict
 *      bin-major order over the whole tensor would re-stream the input from memory once per
 *      bin; the block stays in L1 while all its bins are pooled, so the input is read once.
 * Max (nchw_rect_max; docs/spec.md#3-max-and-avg): a bin of at most NCHW_TWO_PASS_MAX
 *      elements takes its max value and a NaN flag, then its first element equal to that value
 *      (naive's first maximum; -0.0 == +0.0 keeps the first); with a NaN in the bin, or a larger
 *      bin, naive's scan: a later element replaces the best only if it is NaN or strictly
 *      greater than a non-NaN best (the last NaN is the argmax), all -inf gives the first
 *      element. y and argmax bitwise naive's. Avg (nchw_rect_avg): double sums, four
 *      interleaved partial sums per bin in a fixed order, divided by the product of the axis
 *      divisors: within the spec's bound, identical for every run.
 * Backward: per block, zero the block's dx planes. Avg: the same bin-major order, over blocks of
 *      BINMAJOR_BWD_BLOCK_BYTES (L2-sized), adds each output's dy/(float)divisor over its bin.
 *      Max reads no bin bounds (dy at argmax), so bin-major order has nothing to share and only
 *      makes the dy and argmax reads strided: each plane's outputs in output order over
 *      L1-sized blocks (nchw_plane_scatter). Either way dx is bitwise naive's. A max backward
 *      with dx >= NCHW_STREAM_BYTES zeroes all of dx with streaming stores first.
 * Small planes (avg, H*W <= NCHW_SMALL_MAX_HW): blocks of 8 planes, the plane loop unrolled
 *      inside each bin (nchw_small.h: one double chain per plane in naive's order, so y and dx
 *      are bitwise naive's); the generic plane loop around a bin of a few elements costs as much
 *      as the bin.
 * Single-threaded, scalar, no workspace.
 * Weakest: max forward, which does naive's per-bin scalar work with only better locality and
 *      fewer mispredicted branches, and large bins (one-pass scan, as naive). */
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

static const spp_path nchw__binmajor_paths[] = {
    {"default", SPP_PASSES_ALL, "always (one path)"},
};

const spp_kernel spp_kernel_nchw__binmajor = {
    .name = "nchw__binmajor",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_SCALAR,
    .threaded = 0,
    .summary = "bins outermost (level, row, col) over L1/L2-sized blocks of planes, scalar",
    .forward = binmajor_forward,
    .backward = binmajor_backward,
    .workspace_size = NULL,
    .paths = nchw__binmajor_paths,
    .npaths = 1,
    .choose_path = NULL,
};
