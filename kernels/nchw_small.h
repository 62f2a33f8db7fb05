/* nchw_small.h: the small-plane avg paths of nchw__omp, nchw__tiled and nchw__binmajor, and the
 * backward routes of nchw__omp, nchw__tiled and nchw__fused_avx2 (nchw_backward: the route is
 * the caller's path, chosen in its choose_path). Not a kernel.
 *
 * On tiny planes (the `odd` workload's 7x5) an avg bin holds 1 to 35 elements, and a bin's sum
 * is one dependent chain of double adds: its latency, not the loads, bounds naive, and any
 * per-plane setup (row states, four partial sums that the short rows never fill) only adds to
 * it. Here NCHW_SMALL_G consecutive planes are pooled together, bin by bin: the same bin of
 * the G planes is summed as G independent chains, so the adds overlap. Each plane's sum is
 * still one double chain in row-major order, divided in double by the product of the axis
 * divisors, exactly as naive does: the result is bitwise naive's, independent of the grouping
 * and so of the thread count. Boundaries come from the plan. */
#ifndef NCHW_SMALL_H
#define NCHW_SMALL_H

#include <string.h>

#include "nchw_common.h"
#include "spp_internal.h"

#define NCHW_SMALL_G 8

/* Planes of at most this many elements (16x16) take the grouped paths below by default
 * (nchw__omp's avg forward uses its own larger limit, OMP_SMALL_FWD_MAX_HW); forced, they take
 * any plane size. */
#define NCHW_SMALL_MAX_HW 256

/* Planes g0 .. g0+g-1 (g <= NCHW_SMALL_G; a constant g lets the compiler keep the sums in
 * registers). */
static inline __attribute__((always_inline)) void
nchw_small_avg_group(const spp_plan *pl, const float *x, float *y, int64_t g0, const int g)
{
    const spp_problem *p = &pl->p;
    const int64_t HW = p->h * p->w, W = p->w;
    const float *base = x + g0 * HW;
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        int64_t o[NCHW_SMALL_G];
        for (int k = 0; k < g; k++)
            o[k] = spp_y_index(pl, (g0 + k) / p->c, l, (g0 + k) % p->c, 0, 0);
        for (int i = 0; i < n; i++) {
            const spp_interval r = lv->rows[i];
            for (int j = 0; j < n; j++) {
                const spp_interval q = lv->cols[j];
                double s[NCHW_SMALL_G];
                for (int k = 0; k < g; k++)
                    s[k] = 0.0;
                for (int64_t h = r.start; h < r.end; h++)
                    for (int64_t w = q.start; w < q.end; w++) {
                        const float *e = base + h * W + w;
                        for (int k = 0; k < g; k++)
                            s[k] += e[k * HW];
                    }
                const double d = (double)spp_bin_div(r, q);
                for (int k = 0; k < g; k++)
                    y[o[k] + (int64_t)i * n + j] = (float)(s[k] / d);
            }
        }
    }
}

/* Avg forward, OpenMP over groups of NCHW_SMALL_G planes (schedule(static)). */
static inline void nchw_small_avg_forward(const spp_plan *pl, const float *x, float *y,
                                          int threads)
{
    const int64_t planes = pl->p.n * pl->p.c, full = planes / NCHW_SMALL_G;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (int64_t gi = 0; gi < full; gi++)
        nchw_small_avg_group(pl, x, y, gi * NCHW_SMALL_G, NCHW_SMALL_G);
    if (full * NCHW_SMALL_G < planes)
        nchw_small_avg_group(pl, x, y, full * NCHW_SMALL_G, (int)(planes - full * NCHW_SMALL_G));
}

/* Avg backward of planes g0 .. g0+g-1: zero them, then every output adds dy / (float)divisor
 * over its bin in output order (level, bin row, bin column), as naive does, so each dx element
 * receives naive's additions in naive's order (bitwise naive's dx); the G planes' additions to
 * one bin are independent, so they overlap. */
static inline __attribute__((always_inline)) void
nchw_small_avg_bwd_group(const spp_plan *pl, const float *dy, float *dx, int64_t g0, const int g)
{
    const spp_problem *p = &pl->p;
    const int64_t HW = p->h * p->w, W = p->w;
    float *base = dx + g0 * HW;
    memset(base, 0, (size_t)(g * HW) * sizeof *base);
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        int64_t o[NCHW_SMALL_G];
        for (int k = 0; k < g; k++)
            o[k] = spp_y_index(pl, (g0 + k) / p->c, l, (g0 + k) % p->c, 0, 0);
        for (int i = 0; i < n; i++) {
            const spp_interval r = lv->rows[i];
            for (int j = 0; j < n; j++) {
                const spp_interval q = lv->cols[j];
                const float d = spp_avg_grad_div(r, q);
                float gr[NCHW_SMALL_G];
                for (int k = 0; k < g; k++)
                    gr[k] = dy[o[k] + (int64_t)i * n + j] / d;
                for (int64_t h = r.start; h < r.end; h++)
                    for (int64_t w = q.start; w < q.end; w++) {
                        float *e = base + h * W + w;
                        for (int k = 0; k < g; k++)
                            e[k * HW] += gr[k];
                    }
            }
        }
    }
}

/* Avg backward, OpenMP over groups of NCHW_SMALL_G planes; a thread owns its groups' dx
 * planes (no races, no atomics). */
static inline void nchw_small_avg_backward(const spp_plan *pl, const float *dy, float *dx,
                                           int threads)
{
    const int64_t planes = pl->p.n * pl->p.c, full = planes / NCHW_SMALL_G;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
    for (int64_t gi = 0; gi < full; gi++)
        nchw_small_avg_bwd_group(pl, dy, dx, gi * NCHW_SMALL_G, NCHW_SMALL_G);
    if (full * NCHW_SMALL_G < planes)
        nchw_small_avg_bwd_group(pl, dy, dx, full * NCHW_SMALL_G,
                                 (int)(planes - full * NCHW_SMALL_G));
}

/* The backward routes of nchw__omp, nchw__tiled and nchw__fused_avx2 (each kernel names them
 * as paths "planes", "small-avg" and "stream"): dx is naive's on every route. */
typedef enum {
    NCHW_BWD_PLANES = 0, /* per plane: zero it, then its outputs' gradients (nchw_common.h) */
    NCHW_BWD_SMALL_AVG,  /* avg only: 8 planes at a time (above) */
    NCHW_BWD_STREAM      /* max only: per plane, built in L1 and streamed (nchw_common.h) */
} nchw_bwd_route;

/* The routes' default choice, for the kernels' choose_path only: avg planes of at most
 * NCHW_SMALL_MAX_HW elements 8 at a time, a max dx of NCHW_STREAM_BYTES or more streamed on one
 * thread (nchw_bwd_streams). */
static inline nchw_bwd_route nchw_bwd_default(const spp_problem *p, int threads)
{
    if (p->pool == SPP_POOL_AVG && p->h * p->w <= NCHW_SMALL_MAX_HW)
        return NCHW_BWD_SMALL_AVG;
    return nchw_bwd_streams(p, threads) ? NCHW_BWD_STREAM : NCHW_BWD_PLANES;
}

/* Whether a route gives naive's dx for this problem: the small-plane groups and the per-plane
 * route take any plane size; the grouped route has only an avg body and the streamed one only
 * the max scatter after it, so each is valid for its pool alone. */
static inline int nchw_bwd_valid(const spp_problem *p, nchw_bwd_route r)
{
    if (r == NCHW_BWD_SMALL_AVG)
        return p->pool == SPP_POOL_AVG;
    if (r == NCHW_BWD_STREAM)
        return p->pool == SPP_POOL_MAX;
    return r == NCHW_BWD_PLANES;
}

/* The one compiled copy of the routes, in kernels/nchw_backward.c. */
void nchw_backward(const spp_plan *pl, const float *dy, const int32_t *argmax, float *dx,
                   int threads, nchw_bwd_route r);

#endif
