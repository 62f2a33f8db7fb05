/* nchw__omp: OpenMP over (sample, channel) planes, each bin reduced directly from the plane.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * Parallel split: forward, `omp parallel for schedule(static)` over the N*C planes; a plane's
 *      outputs (every level, bin row, bin column) are computed by the thread that owns it,
 *      from the plane alone, so results do not depend on the thread count. Backward: the same
 *      split; each thread owns whole dx planes: it zeroes them and adds its planes' gradients,
 *      so no two threads write one element (no races, no atomics).
 * Max (nchw_rect_max; docs/spec.md#3-max-and-avg): a bin of at most NCHW_TWO_PASS_MAX
 *      elements takes its max value and a NaN flag, then its first element equal to that value
 *      (naive's first maximum; -0.0 == +0.0 keeps the first); with a NaN in the bin, or a larger
 *      bin, naive's scan: a later element replaces the best only if it is NaN or strictly
 *      greater than a non-NaN best (the last NaN is the argmax), all -inf gives the first
 *      element. y and argmax bitwise naive's. Avg (nchw_rect_avg): double sums, four
 *      interleaved partial sums per bin in a fixed order, divided by the product of the axis
 *      divisors: within the spec's bound, identical for every run and thread count.
 * Backward (nchw_backward): per plane, zero it, then add the outputs' gradients in output order
 *      (level, i, j): dx bitwise naive's. A max backward with dx >= NCHW_STREAM_BYTES zeroes dx
 *      with streaming stores first (nchw_backward_planes).
 * Small planes: a bin of a tiny plane is a handful of elements, so a per-plane sum (one
 *      dependent add chain, or four partial sums its short rows never fill) is bound by add
 *      latency. Avg forward with H*W <= OMP_SMALL_FWD_MAX_HW and avg backward with
 *      H*W <= NCHW_SMALL_MAX_HW pool 8 planes at a time, bin by bin, their chains overlapping
 *      (nchw_small.h; per plane naive's exact order, so y and dx are bitwise naive's).
 * Scalar (the compiler may vectorize), no workspace.
 * Weakest: every level re-reads the plane (no nesting); bins above NCHW_TWO_PASS_MAX elements
 *      scan as naive does, so there only the threads help; with one plane (N*C = 1) only one
 *      thread has work, and the OpenMP fork is paid for nothing. */
#include "nchw_common.h"
#include "nchw_small.h"

/* Avg forward pools 8 planes at a time while those planes fit in 24 KiB of L1; on larger planes
 * the direct bins win. */
#define OMP_SMALL_FWD_MAX_HW 768

static spp_status omp_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                              const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t planes = p->n * p->c;
    if (p->pool == SPP_POOL_AVG && p->h * p->w <= OMP_SMALL_FWD_MAX_HW) {
        nchw_small_avg_forward(pl, x, y, ex->threads);
        return SPP_OK;
    }
#pragma omp parallel for schedule(static) num_threads(ex->threads) if (ex->threads > 1)
    for (int64_t pi = 0; pi < planes; pi++)
        nchw_plane_forward_direct(pl, pi / p->c, pi % p->c, x, y, argmax);
    return SPP_OK;
}

static spp_status omp_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                               float *dx, const spp_exec *ex)
{
    nchw_backward(pl, dy, argmax, dx, ex->threads);
    return SPP_OK;
}

static const spp_path nchw__omp_paths[] = {
    {"default", SPP_PASSES_ALL, "always (one path)"},
};

const spp_kernel spp_kernel_nchw__omp = {
    .name = "nchw__omp",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_SCALAR,
    .threaded = 1,
    .summary = "OpenMP over (sample, channel) planes, direct bins; backward owns whole planes",
    .forward = omp_forward,
    .backward = omp_backward,
    .workspace_size = NULL,
    .paths = nchw__omp_paths,
    .npaths = 1,
    .choose_path = NULL,
};
