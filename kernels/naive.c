/* naive: the reference loops, the baseline every speed-up is quoted against.
 *
 * Layouts: nchw and nhwc (one element at a time through spp_x_index).
 * Pools: max and avg. Conventions: all three, from the plan (no boundary math here).
 * Order: sample, level, channel, bin row, bin column; inside a bin, row-major.
 * Max (docs/spec.md#3-max-and-avg): ties to the first maximum, NaN propagates with the last
 *      NaN as argmax, all -inf gives -inf at the first element (spp_max_better). Avg: double
 *      accumulation in row-major order, divided by the product of the two axis divisors.
 * Backward (docs/spec.md#4-gradients): zero dx, then every output adds its dy at its argmax
 *      (max) or dy/divisor over its bin (avg), in output order. Single-threaded, no SIMD
 *      intrinsics, no workspace. Slow by design (it is the baseline): an index computation per
 *      element, and in NHWC consecutive reads of a bin are C floats apart.
 * Paths: one, "reference" (no choose_path; its entry points ignore spp_exec.path, which lets
 *      other kernels run these loops as their "scalar" path with their own spp_exec). */
#include <string.h>

#include "spp_internal.h"

static spp_status naive_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                                const spp_exec *ex)
{
    (void)ex;
    const spp_problem *p = &pl->p;
    for (int64_t b = 0; b < p->n; b++)
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            for (int64_t c = 0; c < p->c; c++)
                for (int i = 0; i < lv->n; i++)
                    for (int j = 0; j < lv->n; j++) {
                        const spp_interval r = lv->rows[i], q = lv->cols[j];
                        const int64_t o = spp_y_index(pl, b, l, c, i, j);
                        if (p->pool == SPP_POOL_MAX) {
                            float best = x[spp_x_index(p, b, c, r.start, q.start)];
                            int64_t best_pos = r.start * p->w + q.start;
                            for (int64_t h = r.start; h < r.end; h++)
                                for (int64_t w = q.start; w < q.end; w++) {
                                    const float v = x[spp_x_index(p, b, c, h, w)];
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
                            for (int64_t h = r.start; h < r.end; h++)
                                for (int64_t w = q.start; w < q.end; w++)
                                    sum += x[spp_x_index(p, b, c, h, w)];
                            y[o] = (float)(sum / (double)spp_bin_div(r, q));
                        }
                    }
        }
    return SPP_OK;
}

static spp_status naive_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                                 float *dx, const spp_exec *ex)
{
    (void)ex;
    const spp_problem *p = &pl->p;
    memset(dx, 0, (size_t)spp_input_elems(p) * sizeof *dx);
    for (int64_t b = 0; b < p->n; b++)
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            for (int64_t c = 0; c < p->c; c++)
                for (int i = 0; i < lv->n; i++)
                    for (int j = 0; j < lv->n; j++) {
                        const spp_interval r = lv->rows[i], q = lv->cols[j];
                        const int64_t o = spp_y_index(pl, b, l, c, i, j);
                        if (p->pool == SPP_POOL_MAX) {
                            const int64_t a = argmax[o];
                            dx[spp_x_index(p, b, c, a / p->w, a % p->w)] += dy[o];
                        } else {
                            const float g = dy[o] / spp_avg_grad_div(r, q);
                            for (int64_t h = r.start; h < r.end; h++)
                                for (int64_t w = q.start; w < q.end; w++)
                                    dx[spp_x_index(p, b, c, h, w)] += g;
                        }
                    }
        }
    return SPP_OK;
}

static const spp_path naive_paths[] = {
    {"reference", SPP_PASSES_ALL, "always (one path)"},
};

const spp_kernel spp_kernel_naive = {
    .name = "naive",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW) | SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_SCALAR,
    .threaded = 0,
    .summary = "reference loops, one element at a time, every layout",
    .forward = naive_forward,
    .backward = naive_backward,
    .workspace_size = NULL,
    .paths = naive_paths,
    .npaths = 1,
    .choose_path = NULL,
};
