/* nhwc__chlast: channel-last loops in plain C, vectorized by the compiler over channels.
 *
 * Layouts: nhwc only. Pools: max and avg. Conventions: all three, from the plan.
 * Paths (chlast_choose, the one place they are chosen; both valid on every plan):
 *  - "channels" (every pass): sample, level, bin row, bin column; inside a bin, row-major over
 *    its elements, and for every element the innermost loop runs over the C contiguous
 *    channels, updating the per-channel state best[c], pos[c] (or sum[c]) in the workspace.
 *    The update is a select, so gcc -O3 vectorizes it for the baseline ISA (SSE2). Taken for
 *    C >= CHLAST_MIN_C.
 *  - "scalar" (every pass): naive's loops. Taken for C < CHLAST_MIN_C, where the channel loop
 *    is too short to pay for itself.
 * Max: elements in increasing row-major order, so upd = (v > best) | isnan(v) is the total
 *      order of spp_max_better: strict > keeps the first maximum (-0.0 == +0.0), a NaN best is
 *      replaced only by a later NaN (last NaN wins), an all -inf bin keeps its first element.
 *      y is the selected element itself, so y == x[argmax] bitwise.
 * Avg: float accumulation in row-major order (error <= count * 2^-24 * sum|x|, inside the bound
 *      of docs/spec.md#3-max-and-avg), divided in double by the product of the two axis
 *      divisors; deterministic.
 * Backward: zero dx, then in output order (level, bin row, bin column) add dy at argmax (max)
 *      or dy/divisor over the bin (avg, channel-contiguous adds): for every dx element naive's
 *      order, so dx is bitwise naive's.
 * Threads: none (single-threaded). Workspace: 8*C bytes (best and pos, or sum and gradient).
 * Versus naive: naive walks channel planes with stride C in NHWC, one element per bin visit;
 *      this walks contiguous channel rows. Weakest with few channels. */
#include <string.h>

#include "spp_internal.h"

/* Below this many channels the channel loop is too short to pay for itself, so those problems
 * run naive's loops by default. */
#define CHLAST_MIN_C 3
extern const spp_kernel spp_kernel_naive;

enum { CHLAST_CHANNELS, CHLAST_SCALAR };

static const spp_path nhwc__chlast_paths[] = {
    {"channels", SPP_PASSES_ALL, "C >= 3"},
    {"scalar", SPP_PASSES_ALL, "C < 3: naive's loops"},
};

static int chlast_choose(const spp_plan *pl, int threads, spp_pass pass, int force)
{
    (void)threads;
    (void)pass;
    if (force >= 0) /* either path gives naive's results on every plan */
        return force;
    return pl->p.c < CHLAST_MIN_C ? CHLAST_SCALAR : CHLAST_CHANNELS;
}

static size_t chlast_workspace(const spp_plan *pl, int threads, int path)
{
    (void)path; /* "channels" needs it, "scalar" none */
    (void)threads;
    return (size_t)pl->p.c * 8;
}

static void bin_max(const float *restrict xs, int64_t C, int64_t W, spp_interval r,
                    spp_interval q, float *restrict best, int32_t *restrict pos)
{
    const float *x0 = xs + (r.start * W + q.start) * C;
    const int32_t p0 = (int32_t)(r.start * W + q.start);
    for (int64_t c = 0; c < C; c++) {
        best[c] = x0[c];
        pos[c] = p0;
    }
    for (int64_t h = r.start; h < r.end; h++)
        for (int64_t w = (h == r.start ? q.start + 1 : q.start); w < q.end; w++) {
            const float *restrict xr = xs + (h * W + w) * C;
            const int32_t p = (int32_t)(h * W + w);
            for (int64_t c = 0; c < C; c++) {
                const float v = xr[c];
                const int upd = (v > best[c]) | (v != v);
                best[c] = upd ? v : best[c];
                pos[c] = upd ? p : pos[c];
            }
        }
}

static void bin_sum(const float *restrict xs, int64_t C, int64_t W, spp_interval r,
                    spp_interval q, float *restrict sum)
{
    for (int64_t c = 0; c < C; c++)
        sum[c] = 0.0f;
    for (int64_t h = r.start; h < r.end; h++)
        for (int64_t w = q.start; w < q.end; w++) {
            const float *restrict xr = xs + (h * W + w) * C;
            for (int64_t c = 0; c < C; c++)
                sum[c] += xr[c];
        }
}

static spp_status chlast_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                                 const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    if (SPP_EXEC_PATH(ex, chlast_choose, pl, spp_forward_pass(p, argmax)) == CHLAST_SCALAR)
        return spp_kernel_naive.forward(pl, x, y, argmax, ex);
    float *acc = ex->workspace;
    int32_t *pos = (int32_t *)(acc + C);
    for (int64_t b = 0; b < p->n; b++) {
        const float *xs = x + b * H * W * C;
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const spp_interval r = lv->rows[i], q = lv->cols[j];
                    const int64_t o = spp_y_index(pl, b, l, 0, i, j), stride = (int64_t)n * n;
                    if (p->pool == SPP_POOL_MAX) {
                        bin_max(xs, C, W, r, q, acc, pos);
                        for (int64_t c = 0; c < C; c++)
                            y[o + c * stride] = acc[c];
                        if (argmax)
                            for (int64_t c = 0; c < C; c++)
                                argmax[o + c * stride] = pos[c];
                    } else {
                        bin_sum(xs, C, W, r, q, acc);
                        const double div = (double)spp_bin_div(r, q);
                        for (int64_t c = 0; c < C; c++)
                            y[o + c * stride] = (float)((double)acc[c] / div);
                    }
                }
        }
    }
    return SPP_OK;
}

static spp_status chlast_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                                  float *dx, const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    if (SPP_EXEC_PATH(ex, chlast_choose, pl, SPP_PASS_BACKWARD) == CHLAST_SCALAR)
        return spp_kernel_naive.backward(pl, dy, argmax, dx, ex);
    float *restrict g = ex->workspace;
    memset(dx, 0, (size_t)spp_input_elems(p) * sizeof *dx);
    for (int64_t b = 0; b < p->n; b++) {
        float *dxs = dx + b * H * W * C;
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n;
            const int64_t stride = (int64_t)n * n;
            if (p->pool == SPP_POOL_MAX) {
                spp_nhwc_max_scatter(pl, b, l, dy, argmax, dxs);
                continue;
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const spp_interval r = lv->rows[i], q = lv->cols[j];
                    const int64_t o = spp_y_index(pl, b, l, 0, i, j);
                    const float div = spp_avg_grad_div(r, q);
                    for (int64_t c = 0; c < C; c++)
                        g[c] = dy[o + c * stride] / div;
                    for (int64_t h = r.start; h < r.end; h++)
                        for (int64_t w = q.start; w < q.end; w++) {
                            float *restrict d = dxs + (h * W + w) * C;
                            for (int64_t c = 0; c < C; c++)
                                d[c] += g[c];
                        }
                }
        }
    }
    return SPP_OK;
}

const spp_kernel spp_kernel_nhwc__chlast = {
    .name = "nhwc__chlast",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NHWC),
    .isa = SPP_ISA_SCALAR,
    .threaded = 0,
    .summary = "NHWC, per bin a compiler-vectorized loop over contiguous channels",
    .forward = chlast_forward,
    .backward = chlast_backward,
    .workspace_size = chlast_workspace,
    .paths = nhwc__chlast_paths,
    .npaths = (int)(sizeof nhwc__chlast_paths / sizeof nhwc__chlast_paths[0]),
    .choose_path = chlast_choose,
};
