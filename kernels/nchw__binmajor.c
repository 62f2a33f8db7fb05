/* nchw__binmajor: bins outermost. For each level, bin row i and bin column j the bin's bounds
 * are read once from the plan and applied to every (sample, channel) plane of a block.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * Paths (binmajor_choose, the one place they are chosen; each forcible wherever valid):
 *  - "bins" (every pass): planes in blocks (at least one plane), inside a block: level, bin
 *    row, bin column, then every plane of the block; strict bin-major order over the whole
 *    tensor would re-stream the input once per bin, a block stays in cache while all its bins
 *    are pooled. Forward over L1-sized blocks (BINMAJOR_FWD_BLOCK_BYTES): taken for max, and
 *    avg with H*W > NCHW_SMALL_MAX_HW. Backward over L2-sized blocks (BINMAJOR_BWD_BLOCK_BYTES),
 *    each output adds dy/(float)divisor over its bin (avg) or dy at its argmax (max): taken
 *    for avg with H*W > NCHW_SMALL_MAX_HW; valid for max too (per plane still output order).
 *  - "small-avg" (avg forward and backward): blocks of 8 planes, the plane loop unrolled in
 *    each bin (nchw_small.h: one double chain per plane in naive's order); the generic plane
 *    loop around a bin of a few elements costs as much as the bin. Taken for H*W <=
 *    NCHW_SMALL_MAX_HW; valid for avg only, any plane size.
 *  - "scatter" (backward): max reads no bin bounds, so bin-major order only makes the dy and
 *    argmax reads strided: each plane's outputs in output order over L1-sized blocks. Taken
 *    for max with dx < NCHW_STREAM_BYTES; max only.
 *  - "stream" (backward): each plane built in an L1 buffer and written with streaming stores
 *    (nchw_plane_backward_staged). Taken for max with dx >= NCHW_STREAM_BYTES; max only.
 * Max (nchw_rect_max; docs/spec.md#3-max-and-avg): bins of at most NCHW_TWO_PASS_MAX elements
 *      take the max and a NaN flag, then the first element equal to it; with a NaN, or larger,
 *      naive's scan. y and argmax bitwise naive's. Avg (nchw_rect_avg): double sums, four
 *      interleaved partial sums in a fixed order, divided by the product of the axis divisors.
 *      dx is bitwise naive's on every backward path.
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

enum { BM_BINS, BM_SMALL_AVG, BM_SCATTER, BM_STREAM };

static const spp_path nchw__binmajor_paths[] = {
    {"bins", SPP_PASSES_ALL,
     "forward: max, avg with H*W > 256; backward: avg with H*W > 256 (forcible for max)"},
    {"small-avg", SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_BACKWARD),
     "avg with H*W <= 256 (avg only)"},
    {"scatter", SPP_PASS_BIT(SPP_PASS_BACKWARD), "max backward with dx < 32 MiB or within the L3 (max only)"},
    {"stream", SPP_PASS_BIT(SPP_PASS_BACKWARD),
     "max backward with dx >= 32 MiB and > L3: each plane staged in L1, streamed to dx (max only)"},
};

static int binmajor_choose(const spp_plan *pl, int threads, spp_pass pass, int force)
{
    (void)threads; /* runs on one thread whatever the caller asks */
    const spp_problem *p = &pl->p;
    const int avg = p->pool == SPP_POOL_AVG;
    if (force >= 0) {
        if (force == BM_BINS)
            return force;
        if (force == BM_SMALL_AVG)
            return avg ? force : -1;
        return (force == BM_SCATTER || force == BM_STREAM) && pass == SPP_PASS_BACKWARD && !avg
                   ? force
                   : -1;
    }
    if (avg)
        return p->h * p->w <= NCHW_SMALL_MAX_HW ? BM_SMALL_AVG : BM_BINS;
    if (pass != SPP_PASS_BACKWARD)
        return BM_BINS;
    return nchw_bwd_streams(p, 1) ? BM_STREAM : BM_SCATTER;
}

static spp_status binmajor_forward(const spp_plan *pl, const float *x, float *y,
                                   int32_t *argmax, const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t HW = p->h * p->w, W = p->w, planes = p->n * p->c, blk = block_planes(p, BINMAJOR_FWD_BLOCK_BYTES);
    if (SPP_EXEC_PATH(ex, binmajor_choose, pl, spp_forward_pass(p, argmax)) == BM_SMALL_AVG) {
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
    const spp_problem *p = &pl->p;
    const int64_t HW = p->h * p->w, W = p->w, planes = p->n * p->c, blk = block_planes(p, BINMAJOR_BWD_BLOCK_BYTES);
    const int path = SPP_EXEC_PATH(ex, binmajor_choose, pl, SPP_PASS_BACKWARD);
    if (path == BM_SMALL_AVG) {
        nchw_small_avg_backward(pl, dy, dx, 1); /* bin-major over blocks of 8 planes */
        return SPP_OK;
    }
    if (path == BM_STREAM) {
        for (int64_t pi = 0; pi < planes; pi++)
            nchw_plane_backward_staged(pl, pi / p->c, pi % p->c, dy, argmax, dx);
        nchw_stream_fence();
        return SPP_OK;
    }
    if (path != BM_BINS) {
        /* max: no bin bounds to share, so each plane's outputs in output order (sequential dy
         * and argmax), over L1-sized blocks */
        const int64_t mblk = block_planes(p, BINMAJOR_FWD_BLOCK_BYTES);
        for (int64_t p0 = 0; p0 < planes; p0 += mblk) {
            const int64_t p1 = p0 + mblk < planes ? p0 + mblk : planes;
            memset(dx + p0 * HW, 0, (size_t)((p1 - p0) * HW) * sizeof *dx);
            for (int64_t pi = p0; pi < p1; pi++) {
                float *plane = dx + pi * HW;
                const int64_t b = pi / p->c, c = pi % p->c;
                for (int l = 0; l < p->nlevels; l++) {
                    const int64_t nn = (int64_t)pl->lv[l].n * pl->lv[l].n;
                    const int64_t o = b * pl->out_per_sample + pl->lv[l].out_offset + c * nn;
                    nchw_scatter(plane, argmax + o, dy + o, nn);
                }
            }
        }
        return SPP_OK;
    }
    for (int64_t p0 = 0; p0 < planes; p0 += blk) {
        const int64_t p1 = p0 + blk < planes ? p0 + blk : planes;
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
                            const float g = dy[o] / spp_avg_grad_div(r, q);
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
    .paths = nchw__binmajor_paths,
    .npaths = (int)(sizeof nchw__binmajor_paths / sizeof nchw__binmajor_paths[0]),
    .choose_path = binmajor_choose,
};
