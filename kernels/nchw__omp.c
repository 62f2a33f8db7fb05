/* nchw__omp: OpenMP over (sample, channel) planes, each bin reduced directly from the plane.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * Paths (omp_choose, the one place they are chosen; each forcible wherever it is valid):
 *  - "planes" (every pass): forward, `omp parallel for schedule(static)` over the N*C planes,
 *    every output of a plane from the plane alone; backward, each thread owns whole dx
 *    planes, zeroes them and adds their outputs' gradients in output order (level, i, j): no
 *    races, dx bitwise naive's. Taken for max forward, avg forward with H*W >
 *    OMP_SMALL_FWD_MAX_HW, max backward unless "stream", avg backward with H*W >
 *    NCHW_SMALL_MAX_HW. Valid on every plan.
 *  - "small-avg" (avg forward and backward): a tiny plane's bin is a handful of elements, so a
 *    per-plane sum is bound by add latency; 8 planes are pooled at a time, bin by bin, their
 *    chains overlapping (nchw_small.h; per plane naive's exact order: y and dx bitwise
 *    naive's). Taken for avg forward with H*W <= OMP_SMALL_FWD_MAX_HW and avg backward with
 *    H*W <= NCHW_SMALL_MAX_HW; valid for avg only (no max body), on any plane size.
 *  - "stream" (backward): each plane built in an L1 buffer, then streamed to dx. Taken for
 *    max on one thread with dx >= NCHW_STREAM_BYTES; valid for max only (the avg adds have no
 *    staged form), on any size.
 * Max (nchw_rect_max; docs/spec.md#3-max-and-avg): bins of at most NCHW_TWO_PASS_MAX elements
 *      take the max and a NaN flag, then the first element equal to it; with a NaN, or larger,
 *      naive's scan (a later element wins only if NaN or strictly greater than a non-NaN
 *      best). y and argmax bitwise naive's. Avg (nchw_rect_avg): double sums, four
 *      interleaved partial sums per bin in a fixed order, divided by the product of the axis
 *      divisors: within the spec's bound, identical for every run and thread count.
 * Threads: results do not depend on them (a plane or group is computed by one thread).
 * Scalar (the compiler may vectorize), no workspace.
 * Weakest: every level re-reads the plane (no nesting); bins above NCHW_TWO_PASS_MAX elements
 *      scan as naive does; with one plane (N*C = 1) only one thread has work. */
#include "nchw_common.h"
#include "nchw_small.h"

/* Avg forward pools 8 planes at a time while those planes fit in 24 KiB of L1; on larger planes
 * the direct bins win. */
#define OMP_SMALL_FWD_MAX_HW 768

enum { OMP_PLANES, OMP_SMALL_AVG, OMP_STREAM };

static const spp_path nchw__omp_paths[] = {
    {"planes", SPP_PASSES_ALL,
     "max forward; avg forward with H*W > 768; backward: max with dx < 32 MiB, within the L3 or threads > 1, avg with H*W > 256"},
    {"small-avg", SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_BACKWARD),
     "avg: forward with H*W <= 768, backward with H*W <= 256 (avg only)"},
    {"stream", SPP_PASS_BIT(SPP_PASS_BACKWARD),
     "max backward, dx >= 32 MiB and > L3, 1 thread: each plane staged in L1, streamed to dx (max only)"},
};

static int omp_choose(const spp_plan *pl, int threads, spp_pass pass, int force)
{
    (void)threads;
    const spp_problem *p = &pl->p;
    const int avg = p->pool == SPP_POOL_AVG;
    if (force >= 0) {
        if (force == OMP_PLANES)
            return force;
        if (force == OMP_SMALL_AVG)
            return avg ? force : -1;
        return force == OMP_STREAM && pass == SPP_PASS_BACKWARD && !avg ? force : -1;
    }
    if (pass == SPP_PASS_BACKWARD) {
        const nchw_bwd_route r = nchw_bwd_default(p, threads);
        return r == NCHW_BWD_SMALL_AVG ? OMP_SMALL_AVG : r == NCHW_BWD_STREAM ? OMP_STREAM
                                                                              : OMP_PLANES;
    }
    return avg && p->h * p->w <= OMP_SMALL_FWD_MAX_HW ? OMP_SMALL_AVG : OMP_PLANES;
}

static spp_status omp_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                              const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t planes = p->n * p->c;
    if (SPP_EXEC_PATH(ex, omp_choose, pl, spp_forward_pass(p, argmax)) == OMP_SMALL_AVG) {
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
    const int path = SPP_EXEC_PATH(ex, omp_choose, pl, SPP_PASS_BACKWARD);
    nchw_backward(pl, dy, argmax, dx, ex->threads,
                  path == OMP_SMALL_AVG ? NCHW_BWD_SMALL_AVG
                  : path == OMP_STREAM  ? NCHW_BWD_STREAM
                                        : NCHW_BWD_PLANES);
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
    .paths = nchw__omp_paths,
    .npaths = (int)(sizeof nchw__omp_paths / sizeof nchw__omp_paths[0]),
    .choose_path = omp_choose,
};
