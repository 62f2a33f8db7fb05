/* roi__naive: the region SPP reference loops (docs/spec.md#5-regions), the baseline for every
 * region kernel.
 *
 * Layouts: nchw and nhwc (one element at a time). Pools: max and avg. Conventions: all three,
 * from the region plan's per-box interval table (no boundary math here).
 * Order: region, level, channel, bin row, bin column; inside a bin, row-major.
 * Max: ties to the first maximum, NaN propagates with the last NaN as argmax, all -inf gives
 *      -inf at the bin's first element (spp_max_better, docs/spec.md#3-max-and-avg); argmax is
 *      h*W+w in the map's plane.
 * Avg: double accumulation in row-major order, divided by the product of the axis divisors.
 * Backward: zero dx, then every output, in output order, adds its dy at its argmax (max) or
 *      dy/divisor (float) over its bin (avg) (docs/spec.md#4-gradients). Single-threaded, no
 *      SIMD, no workspace.
 * Paths: one, "reference", every pass, pool, layout and plan.
 * Weakest: by design; every bin re-reads its cells per level and channel, and nhwc maps are read
 *      with a stride of C. */
#include <string.h>

#include "spp_internal.h"

static inline int64_t map_index(const spp_region_problem *p, int64_t c, int64_t h, int64_t w)
{
    return p->layout == SPP_LAYOUT_NCHW ? (c * p->h + h) * p->w + w : (h * p->w + w) * p->c + c;
}

static spp_status roi_naive_forward(const spp_region_plan *pl, const float *x, float *y,
                                    int32_t *argmax, const spp_exec *ex)
{
    (void)ex;
    const spp_region_problem *p = &pl->p;
    for (int64_t r = 0; r < pl->nboxes; r++)
        for (int l = 0; l < p->nlevels; l++) {
            const int n = p->levels[l];
            const spp_interval *rows = pl->iv + r * pl->iv_per_box + pl->iv_offset[l];
            const spp_interval *cols = rows + n;
            for (int64_t c = 0; c < p->c; c++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        const spp_interval q = rows[i], s = cols[j];
                        const int64_t o = r * pl->out_per_region + pl->out_offset[l] +
                                          c * n * n + (int64_t)i * n + j;
                        if (p->pool == SPP_POOL_MAX) {
                            float best = x[map_index(p, c, q.start, s.start)];
                            int64_t best_pos = q.start * p->w + s.start;
                            for (int64_t h = q.start; h < q.end; h++)
                                for (int64_t w = s.start; w < s.end; w++) {
                                    const float v = x[map_index(p, c, h, w)];
                                    if (spp_max_better(v, h * p->w + w, best, best_pos)) {
                                        best = v;
                                        best_pos = h * p->w + w;
                                    }
                                }
                            y[o] = best;
                            if (argmax)
                                argmax[o] = (int32_t)best_pos;
                        } else {
                            double sum = 0.0;
                            for (int64_t h = q.start; h < q.end; h++)
                                for (int64_t w = s.start; w < s.end; w++)
                                    sum += x[map_index(p, c, h, w)];
                            y[o] = (float)(sum / (double)spp_bin_div(q, s));
                        }
                    }
        }
    return SPP_OK;
}

static spp_status roi_naive_backward(const spp_region_plan *pl, const float *dy,
                                     const int32_t *argmax, float *dx, const spp_exec *ex)
{
    (void)ex;
    const spp_region_problem *p = &pl->p;
    memset(dx, 0, (size_t)spp_region_map_elems(p) * sizeof *dx);
    for (int64_t r = 0; r < pl->nboxes; r++)
        for (int l = 0; l < p->nlevels; l++) {
            const int n = p->levels[l];
            const spp_interval *rows = pl->iv + r * pl->iv_per_box + pl->iv_offset[l];
            const spp_interval *cols = rows + n;
            for (int64_t c = 0; c < p->c; c++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        const spp_interval q = rows[i], s = cols[j];
                        const int64_t o = r * pl->out_per_region + pl->out_offset[l] +
                                          c * n * n + (int64_t)i * n + j;
                        if (p->pool == SPP_POOL_MAX) {
                            const int64_t a = argmax[o];
                            dx[map_index(p, c, a / p->w, a % p->w)] += dy[o];
                        } else {
                            const float g = dy[o] / spp_avg_grad_div(q, s);
                            for (int64_t h = q.start; h < q.end; h++)
                                for (int64_t w = s.start; w < s.end; w++)
                                    dx[map_index(p, c, h, w)] += g;
                        }
                    }
        }
    return SPP_OK;
}

static const spp_path roi__naive_paths[] = {
    {"reference", SPP_PASSES_ALL, "always (one path)"},
};

const spp_region_kernel spp_region_kernel_roi__naive = {
    .name = "roi__naive",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW) | SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_SCALAR,
    .threaded = 0,
    .summary = "region reference loops, one element at a time, every layout",
    .forward = roi_naive_forward,
    .backward = roi_naive_backward,
    .workspace_size = NULL,
    .paths = roi__naive_paths,
    .npaths = 1,
    .choose_path = NULL,
};
