/* nchw__tiled: one pass over each plane for all levels (cache-tiled, separable), OpenMP.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * Paths (tiled_choose, the one place they are chosen; each forcible wherever valid):
 *  - "rows" (forward, infer): the tile is one row of one (sample, channel) plane plus a small
 *    per-level state. Each input row is read once, while in L1, for every level: per level it
 *    updates, column by column, the row state of each bin row whose interval holds it (running
 *    max and its row, or running sum: an elementwise loop the compiler vectorizes); a complete
 *    bin row's column bins are reduced from that state (the separable rectangle reduction).
 *    The state is a ring of as many rows as bins of a level can share a row (2 when A >= n),
 *    so the input streams from memory once. Levels exactly covered by runs of finer bins
 *    (nchw_sched_init, from the plan per level pair) are merged from those bins. Taken for
 *    max, and avg with H*W > NCHW_SMALL_MAX_HW. Valid on every plan.
 *  - "small-avg" (avg forward and backward): the per-row setup costs more than the pooling on
 *    tiny planes, so 8 planes at a time, bin by bin, in double (nchw_small.h; bitwise naive's).
 *    Taken for H*W <= NCHW_SMALL_MAX_HW; avg only, any plane size.
 *  - "planes" (backward): per plane, zero it, then add the outputs' gradients in output order;
 *    threads own whole dx planes. Taken for max unless "stream" and for larger avg.
 *  - "stream" (backward): each plane built in an L1 buffer, then streamed to dx.
 *    Taken for max on one thread with dx >= NCHW_STREAM_BYTES; max only, any size.
 * Parallel split: `omp for schedule(static)` over the N*C planes; each plane is computed from
 *      itself alone, in a fixed order: bitwise identical results for every thread count.
 * Max (docs/spec.md#3-max-and-avg): rows merge in increasing order (a later row wins only if
 *      NaN or strictly greater than a non-NaN state); column reductions and finer-bin merges
 *      use spp_max_better's (value, position) order. y, argmax and dx bitwise naive's. Avg:
 *      float sums in a fixed order, divided in double by the axis divisors (spec's bound).
 * Workspace: per thread, one plane's bins (value, position) and the row-state rings; the
 *      same for every path (the others use none).
 * Weakest: small planes for max (per-row level setup, scalar column reductions); the backward
 *      is the shared per-plane one (on a DRAM-sized dx, all write). */
#include <omp.h>

#include "nchw_common.h"
#include "nchw_small.h"

/* Per-thread workspace: one plane's bins (value + position), then per level a ring of
 * row states (value + row of the value, W each) for the bins that hold the current row. */
typedef struct { size_t ring_off[SPP_MAX_LEVELS], slice; int active[SPP_MAX_LEVELS]; } tiled_ws;

static tiled_ws tiled_layout(const spp_plan *pl)
{
    tiled_ws t;
    size_t off = nchw_align64((size_t)pl->bins_per_channel * (sizeof(float) + sizeof(int32_t)));
    for (int l = 0; l < pl->p.nlevels; l++) {
        t.active[l] = nchw_max_active(pl->lv[l].rows, pl->lv[l].n, pl->p.h);
        t.ring_off[l] = off;
        off += nchw_align64((size_t)t.active[l] * (size_t)pl->p.w * 2 * sizeof(float));
    }
    t.slice = spp_page_round(off); /* a page of its own per thread */
    return t;
}

static size_t tiled_workspace(const spp_plan *pl, int threads, int path)
{
    (void)path; /* "rows" needs this, the other paths none */
    return (size_t)threads * tiled_layout(pl).slice;
}

static void tiled_plane(const spp_plan *pl, const nchw_sched *s, const tiled_ws *tw, int64_t b,
                        int64_t c, const float *x, float *y, int32_t *argmax, char *ws)
{
    const spp_problem *p = &pl->p;
    const int64_t H = p->h, W = p->w;
    const int is_max = p->pool == SPP_POOL_MAX, L = p->nlevels;
    const float *plane = x + (b * p->c + c) * H * W;
    float *av = (float *)ws;
    int32_t *ap = (int32_t *)(ws + (size_t)pl->bins_per_channel * sizeof(float));
    int ilo[SPP_MAX_LEVELS] = {0};

    /* Rows first: each row is read once; for every level reduced from the input, it updates
     * the row state (elementwise over columns, which the compiler vectorizes) of every bin
     * whose row interval holds it. When a bin row is complete, its column bins are reduced
     * from the row state. */
    for (int64_t h = 0; h < H; h++) {
        const float *row = plane + h * W;
        for (int l = 0; l < L; l++) {
            if (s->src[l] >= 0)
                continue;
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n, K = tw->active[l];
            int lo = ilo[l];
            while (lo < n && lv->rows[lo].end <= h)
                lo++;
            ilo[l] = lo;
            for (int i = lo; i < n && lv->rows[i].start <= h; i++) {
                float *V = (float *)(ws + tw->ring_off[l]) + (size_t)(i % K) * 2 * W;
                int32_t *P = (int32_t *)(V + W);
                const int32_t h32 = (int32_t)h;
                if (h == lv->rows[i].start) {
                    memcpy(V, row, (size_t)W * sizeof *V);
                    if (is_max)
                        for (int64_t w = 0; w < W; w++)
                            P[w] = h32;
                } else if (is_max) {
                    /* later row: replace if NaN or strictly greater than a non-NaN state */
                    for (int64_t w = 0; w < W; w++) {
                        const float v = row[w];
                        const int u = (v > V[w]) | (v != v);
                        V[w] = u ? v : V[w];
                        P[w] = u ? h32 : P[w];
                    }
                } else {
                    for (int64_t w = 0; w < W; w++)
                        V[w] += row[w];
                }
                if (h != lv->rows[i].end - 1)
                    continue;
                /* bin row i complete: reduce each column bin (positions not monotone in w:
                 * the full total order) */
                float *A = av + s->bin_off[l] + (int64_t)i * n;
                int32_t *AP = ap + s->bin_off[l] + (int64_t)i * n;
                for (int j = 0; j < n; j++) {
                    const spp_interval q = lv->cols[j];
                    if (is_max) {
                        float best = V[q.start];
                        int64_t bp = P[q.start] * W + q.start;
                        for (int64_t w = q.start + 1; w < q.end; w++)
                            if (spp_max_better(V[w], P[w] * W + w, best, bp)) {
                                best = V[w];
                                bp = P[w] * W + w;
                            }
                        A[j] = best;
                        AP[j] = (int32_t)bp;
                    } else {
                        float sum = 0.0f;
                        for (int64_t w = q.start; w < q.end; w++)
                            sum += V[w];
                        A[j] = sum;
                    }
                }
            }
        }
    }

    /* coarse levels from the finer bins that cover them (finest first, so sources are done) */
    for (int t = 0; t < L; t++) {
        const int l = s->order[t], f = s->src[l];
        if (f < 0)
            continue;
        const int n = pl->lv[l].n, nf = pl->lv[f].n;
        const float *FV = av + s->bin_off[f];
        const int32_t *FP = ap + s->bin_off[f];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                const int64_t k0 = (int64_t)s->ra[l][i] * nf + s->ca[l][j];
                float best = FV[k0];
                int32_t bp = FP[k0];
                float sum = 0.0f;
                for (int fi = s->ra[l][i]; fi <= s->rb[l][i]; fi++)
                    for (int fj = s->ca[l][j]; fj <= s->cb[l][j]; fj++) {
                        const int64_t k = (int64_t)fi * nf + fj;
                        if (is_max) {
                            if (spp_max_better(FV[k], FP[k], best, bp)) {
                                best = FV[k];
                                bp = FP[k];
                            }
                        } else {
                            sum += FV[k];
                        }
                    }
                const int64_t k = s->bin_off[l] + (int64_t)i * n + j;
                av[k] = is_max ? best : sum;
                ap[k] = bp;
            }
    }

    for (int l = 0; l < L; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        const int64_t o = b * pl->out_per_sample + lv->out_offset + c * n * n;
        const float *A = av + s->bin_off[l];
        const int32_t *P = ap + s->bin_off[l];
        if (is_max) {
            memcpy(y + o, A, (size_t)n * n * sizeof *y);
            if (argmax)
                memcpy(argmax + o, P, (size_t)n * n * sizeof *argmax);
        } else {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    y[o + i * n + j] = (float)((double)A[i * n + j] /
                                               (double)spp_bin_div(lv->rows[i], lv->cols[j]));
        }
    }
}

enum { TILED_ROWS, TILED_SMALL_AVG, TILED_PLANES, TILED_STREAM };

static const spp_path nchw__tiled_paths[] = {
    {"rows", SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_INFER),
     "forward: max, avg with H*W > 256"},
    {"small-avg", SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_BACKWARD),
     "avg with H*W <= 256 (avg only)"},
    {"planes", SPP_PASS_BIT(SPP_PASS_BACKWARD),
     "backward: max with dx < 32 MiB, within the L3 or threads > 1, avg with H*W > 256"},
    {"stream", SPP_PASS_BIT(SPP_PASS_BACKWARD),
     "max backward, dx >= 32 MiB and > L3, 1 thread: each plane staged in L1, streamed to dx (max only)"},
};

static int tiled_choose(const spp_plan *pl, int threads, spp_pass pass, int force)
{
    (void)threads;
    const spp_problem *p = &pl->p;
    const int avg = p->pool == SPP_POOL_AVG;
    if (pass == SPP_PASS_BACKWARD) {
        static const nchw_bwd_route route[] = {NCHW_BWD_PLANES, NCHW_BWD_SMALL_AVG,
                                               NCHW_BWD_PLANES, NCHW_BWD_STREAM};
        if (force >= 0)
            return force != TILED_ROWS && nchw_bwd_valid(p, route[force]) ? force : -1;
        const nchw_bwd_route r = nchw_bwd_default(p, threads);
        return r == NCHW_BWD_SMALL_AVG ? TILED_SMALL_AVG : r == NCHW_BWD_STREAM ? TILED_STREAM
                                                                                : TILED_PLANES;
    }
    if (force >= 0)
        return force == TILED_ROWS || (force == TILED_SMALL_AVG && avg) ? force : -1;
    return avg && p->h * p->w <= NCHW_SMALL_MAX_HW ? TILED_SMALL_AVG : TILED_ROWS;
}

static spp_status tiled_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                                const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t planes = p->n * p->c;
    if (SPP_EXEC_PATH(ex, tiled_choose, pl, spp_forward_pass(p, argmax)) == TILED_SMALL_AVG) {
        nchw_small_avg_forward(pl, x, y, ex->threads);
        return SPP_OK;
    }
    const tiled_ws tw = tiled_layout(pl);
    nchw_sched s;
    nchw_sched_init(&s, pl);
#pragma omp parallel num_threads(ex->threads) if (ex->threads > 1)
    {
        char *ws = (char *)ex->workspace + (size_t)omp_get_thread_num() * tw.slice;
#pragma omp for schedule(static)
        for (int64_t pi = 0; pi < planes; pi++)
            tiled_plane(pl, &s, &tw, pi / p->c, pi % p->c, x, y, argmax, ws);
    }
    return SPP_OK;
}

static spp_status tiled_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                                 float *dx, const spp_exec *ex)
{
    const int path = SPP_EXEC_PATH(ex, tiled_choose, pl, SPP_PASS_BACKWARD);
    nchw_backward(pl, dy, argmax, dx, ex->threads,
                  path == TILED_SMALL_AVG ? NCHW_BWD_SMALL_AVG
                  : path == TILED_STREAM  ? NCHW_BWD_STREAM
                                          : NCHW_BWD_PLANES);
    return SPP_OK;
}

const spp_kernel spp_kernel_nchw__tiled = {
    .name = "nchw__tiled",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_SCALAR,
    .threaded = 1,
    .summary = "one pass per plane: rows then columns for every level, nested levels merged, OpenMP",
    .forward = tiled_forward,
    .backward = tiled_backward,
    .workspace_size = tiled_workspace,
    .paths = nchw__tiled_paths,
    .npaths = (int)(sizeof nchw__tiled_paths / sizeof nchw__tiled_paths[0]),
    .choose_path = tiled_choose,
};
