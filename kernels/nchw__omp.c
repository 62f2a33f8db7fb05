/* nchw__omp: OpenMP over (sample, channel) planes.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * Parallel split: forward, `omp parallel for schedule(static)` over the N*C planes; a plane's
 *      outputs (every level, bin row, bin column) are computed by the thread that owns it,
 *      from the plane alone, so results do not depend on the thread count. Backward: the same
 *      split; each thread owns whole dx planes: it zeroes them and adds its planes' gradients,
 *      so no two threads write one element (no races, no atomics).
 * Max: row-major scan inside the bin; a later element replaces the best only if it is NaN or
 *      strictly greater than a non-NaN best: first maximum wins ties (-0.0 == +0.0 keeps the
 *      first), a NaN propagates with the last NaN as argmax, all -inf gives the first element.
 *      Output and argmax bitwise equal to naive. Avg: double sums (four interleaved partial
 *      sums per bin, fixed order; nchw_rect_avg), divided by the product of the axis divisors:
 *      within SPEC's bound, identical for every run and thread count.
 * Backward: per plane, zero it, then add the outputs' gradients in output order (level, i, j):
 *      each dx element receives naive's additions in naive's order, so dx equals naive's.
 * Scalar (the compiler may vectorize), no workspace. Against naive (1 thread, preliminary):
 *      forward max 1.2-1.8x, avg 1.1-2.8x; backward 1.1-2.9x (a max backward with dx >= 32 MiB
 *      zeroes dx with streaming stores first, nchw_backward_planes). With one plane (N*C = 1)
 *      only one thread has work, and the OpenMP fork is paid for nothing.
 * Measured losses (`make bench CONFIG=configs/paper.ini`, quiet machine, 2026-11-21): avg forward and backward on `odd` (7x5 planes) 0.87-0.90x
 *      naive: four partial double sums per 1-to-2-cell bin cost more than naive's single sum. */
#include "nchw_common.h"

static spp_status omp_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                              const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t planes = p->n * p->c;
#pragma omp parallel for schedule(static) num_threads(ex->threads) if (ex->threads > 1)
    for (int64_t pi = 0; pi < planes; pi++)
        nchw_plane_forward_direct(pl, pi / p->c, pi % p->c, x, y, argmax);
    return SPP_OK;
}

static spp_status omp_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                               float *dx, const spp_exec *ex)
{
    nchw_backward_planes(pl, dy, argmax, dx, ex->threads);
    return SPP_OK;
}

const spp_kernel spp_kernel_nchw__omp = {
    .name = "nchw__omp",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_SCALAR,
    .threaded = 1,
    .summary = "OpenMP over (sample, channel) planes, direct bins; backward owns whole planes",
    .forward = omp_forward,
    .backward = omp_backward,
    .workspace_size = NULL,
};
