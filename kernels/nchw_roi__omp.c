/* nchw_roi__omp: region SPP on an NCHW map, OpenMP over channels, plain C (no intrinsics).
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the region plan's
 * per-box interval table (no boundary math here).
 * Paths (nro_choose, every one valid on every plan of its pool; none depends on threads or
 *      boxes): max (max forward, argmax written when asked: one loop for forward and infer),
 *      avg (avg forward), backward (both pools).
 * Parallel split: channels, for forward and backward. One channel's plane (H*W floats) stays in
 * L1/L2 while every region and level is pooled from it, and every output element and every dx
 * element is owned by exactly one thread: deterministic with no atomics, and identical for
 * every thread count.
 * Max: each bin scanned in row-major order; a cell replaces the best when v > best or v is NaN,
 *      starting from -inf at the bin's first cell: first maximum wins, a NaN beats numbers and
 *      the last NaN wins, all -inf gives the first cell (docs/spec.md#3-max-and-avg), bitwise
 *      equal to roi__naive, argmax h*W+w in the map's plane.
 * Avg: double accumulation in row-major order divided by the product of the axis divisors:
 *      the same arithmetic as roi__naive, so the same bits.
 * Backward: zero the thread's planes, then regions, levels, bin rows, bin columns in output
 *      order: roi__naive's per-element order, so dx equals roi__naive's bitwise
 *      (docs/spec.md#4-gradients). No workspace.
 * Weakest: scalar, and every bin re-reads its cells per level (no segment sharing); fewer
 *      channels than threads leaves threads idle. */
#include <string.h>

#include "spp_internal.h"

enum { NRO_MAX, NRO_AVG, NRO_BACKWARD, NRO_NPATHS };

/* The kernel's one path decision: the pool picks the forward loop. A forced forward path of the
 * other pool would pool with the wrong operation: not valid (-1). */
static int nro_choose(const spp_region_plan *pl, int threads, spp_pass pass, int force)
{
    (void)threads;
    const int fwd = pl->p.pool == SPP_POOL_MAX ? NRO_MAX : NRO_AVG;
    const int path = pass == SPP_PASS_BACKWARD ? NRO_BACKWARD : fwd;
    return force < 0 || force == path ? path : -1;
}

static spp_status roi_nchw_omp_forward(const spp_region_plan *pl, const float *x, float *y,
                                       int32_t *argmax, const spp_exec *ex)
{
    const spp_region_problem *p = &pl->p;
    const int64_t W = p->w, plane = p->h * p->w;
    const spp_pass pass = p->pool == SPP_POOL_MAX && !argmax ? SPP_PASS_INFER : SPP_PASS_FORWARD;
    const int max = SPP_EXEC_PATH(ex, nro_choose, pl, pass) == NRO_MAX;
#pragma omp parallel for num_threads(ex->threads) schedule(static)
    for (int64_t c = 0; c < p->c; c++) {
        const float *xc = x + c * plane;
        for (int64_t r = 0; r < pl->nboxes; r++)
            for (int l = 0; l < p->nlevels; l++) {
                const int n = p->levels[l];
                const int64_t nn = (int64_t)n * n;
                const spp_interval *rows = pl->iv + r * pl->iv_per_box + pl->iv_offset[l];
                const spp_interval *cols = rows + n;
                const int64_t o0 = r * pl->out_per_region + pl->out_offset[l] + c * nn;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        const spp_interval q = rows[i], s = cols[j];
                        const int64_t o = o0 + (int64_t)i * n + j;
                        if (max) {
                            float best = -__builtin_inff();
                            int64_t pos = q.start * W + s.start;
                            for (int64_t h = q.start; h < q.end; h++) {
                                const float *row = xc + h * W;
                                for (int64_t w = s.start; w < s.end; w++) {
                                    const float v = row[w];
                                    if (v > best || v != v) {
                                        best = v;
                                        pos = h * W + w;
                                    }
                                }
                            }
                            y[o] = best;
                            if (argmax)
                                argmax[o] = (int32_t)pos;
                        } else {
                            double sum = 0.0;
                            for (int64_t h = q.start; h < q.end; h++)
                                for (int64_t w = s.start; w < s.end; w++)
                                    sum += xc[h * W + w];
                            y[o] = (float)(sum / (double)spp_bin_div(q, s));
                        }
                    }
            }
    }
    return SPP_OK;
}

static spp_status roi_nchw_omp_backward(const spp_region_plan *pl, const float *dy,
                                        const int32_t *argmax, float *dx, const spp_exec *ex)
{
    const spp_region_problem *p = &pl->p;
    const int64_t W = p->w, plane = p->h * p->w;
#pragma omp parallel for num_threads(ex->threads) schedule(static)
    for (int64_t c = 0; c < p->c; c++) {
        float *dc = dx + c * plane;
        memset(dc, 0, (size_t)plane * sizeof *dc);
        for (int64_t r = 0; r < pl->nboxes; r++)
            for (int l = 0; l < p->nlevels; l++) {
                const int n = p->levels[l];
                const int64_t nn = (int64_t)n * n;
                const spp_interval *rows = pl->iv + r * pl->iv_per_box + pl->iv_offset[l];
                const spp_interval *cols = rows + n;
                const int64_t o0 = r * pl->out_per_region + pl->out_offset[l] + c * nn;
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        const int64_t o = o0 + (int64_t)i * n + j;
                        if (p->pool == SPP_POOL_MAX) {
                            dc[argmax[o]] += dy[o];
                            continue;
                        }
                        const spp_interval q = rows[i], s = cols[j];
                        const float g = dy[o] / spp_avg_grad_div(q, s);
                        for (int64_t h = q.start; h < q.end; h++)
                            for (int64_t w = s.start; w < s.end; w++)
                                dc[h * W + w] += g;
                    }
            }
    }
    return SPP_OK;
}

/* indexed by NRO_* */
static const spp_path nchw_roi__omp_paths[] = {
    {"max", SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_INFER),
     "max forward, with or without argmax"},
    {"avg", SPP_PASS_BIT(SPP_PASS_FORWARD), "avg forward"},
    {"backward", SPP_PASS_BIT(SPP_PASS_BACKWARD), "always: both pools, threads own channels"},
};
_Static_assert(sizeof nchw_roi__omp_paths / sizeof nchw_roi__omp_paths[0] == NRO_NPATHS,
               "one name per NRO_*");

const spp_region_kernel spp_region_kernel_nchw_roi__omp = {
    .name = "nchw_roi__omp",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_SCALAR,
    .threaded = 1,
    .summary = "NCHW, OpenMP over channels (plane stays in cache), plain C, deterministic",
    .forward = roi_nchw_omp_forward,
    .backward = roi_nchw_omp_backward,
    .workspace_size = NULL,
    .paths = nchw_roi__omp_paths,
    .npaths = NRO_NPATHS,
    .choose_path = nro_choose,
};
