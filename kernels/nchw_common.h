/* nchw_common.h: helpers shared by the NCHW kernels (kernels/nchw__*.c). Not a kernel.
 *
 * - direct per-bin reductions on one (sample, channel) plane, in row-major order;
 * - the per-plane backward (zero the plane, then every output of the plane adds its gradient in
 *   output order: level, bin row, bin column), which gives every dx element the same sequence of
 *   float additions as naive, so dx is bitwise equal to naive's for any thread count;
 * - the pyramid schedule of the single-pass kernels: which levels are reduced from the input
 *   and which are combined from the bins of another level that covers them exactly.
 * Everything reads boundaries from the plan; nothing here computes a bin boundary. */
#ifndef NCHW_COMMON_H
#define NCHW_COMMON_H

#include <string.h>

#include "spp_internal.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Bins of at most this many elements take nchw_rect_max's two passes: one pass costs about
 * ln(count) mispredicted branches, two cost about 1.5 reads of the bin, so above ~100 elements
 * one pass is cheaper. */
#define NCHW_TWO_PASS_MAX 96

/* Max over rows r x cols q of one plane, scanned in increasing position: a later element wins
 * only if it is NaN (last NaN wins) or strictly greater than a non-NaN best (first max wins;
 * -0.0 == +0.0 keeps the first; v > NaN is false so a NaN best stays). */

static inline void nchw_rect_max(const float *pl, int64_t W, spp_interval r, spp_interval q,
                                 float *out_v, int32_t *out_p)
{
    /* Two passes, no data-dependent branch per element: the max value (v > m ? v : m is one
     * maxss) and a NaN flag, then the first element equal to it. Without NaN that is naive's
     * first maximum (strict > keeps the first of equal values, -0.0 == +0.0 included) and y is
     * its bits. A new maximum in the one-pass scan is a mispredicted branch, about ln(count)
     * times per bin on unordered data. With a NaN, or a bin larger than NCHW_TWO_PASS_MAX, the
     * one-pass scan below. */
    if ((r.end - r.start) * (q.end - q.start) <= NCHW_TWO_PASS_MAX) {
        float m = pl[r.start * W + q.start];
        int nan = 0;
        for (int64_t h = r.start; h < r.end; h++) {
            const float *row = pl + h * W;
            for (int64_t w = q.start; w < q.end; w++) {
                const float v = row[w];
                m = v > m ? v : m;
                nan |= v != v;
            }
        }
        if (!nan)
            for (int64_t h = r.start; h < r.end; h++) {
                const float *row = pl + h * W;
                for (int64_t w = q.start; w < q.end; w++)
                    if (row[w] == m) {
                        *out_v = row[w];
                        *out_p = (int32_t)(h * W + w);
                        return;
                    }
            }
    }
    int64_t bp = r.start * W + q.start;
    float best = pl[bp];
    for (int64_t h = r.start; h < r.end; h++) {
        const float *row = pl + h * W;
        for (int64_t w = q.start; w < q.end; w++) {
            const float v = row[w];
            if (v > best || v != v) {
                best = v;
                bp = h * W + w;
            }
        }
    }
    *out_v = best;
    *out_p = (int32_t)bp;
}

/* Sum over the bin in double, as four interleaved partial sums (columns w, w+1, w+2, w+3 of
 * each row) added in a fixed order: one dependent add chain would bound the loop by the add
 * latency. Error ~count * 2^-53 * sum|x| before the one float rounding: far inside the bound
 * of docs/spec.md#3-max-and-avg, and the same for every run and thread count (not bitwise naive's single chain). */
static inline float nchw_rect_avg(const float *pl, int64_t W, spp_interval r, spp_interval q)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int64_t h = r.start; h < r.end; h++) {
        const float *row = pl + h * W;
        int64_t w = q.start;
        for (; w + 4 <= q.end; w += 4) {
            s0 += row[w];
            s1 += row[w + 1];
            s2 += row[w + 2];
            s3 += row[w + 3];
        }
        for (; w < q.end; w++)
            s0 += row[w];
    }
    return (float)(((s0 + s1) + (s2 + s3)) / (double)spp_bin_div(r, q));
}

/* All levels of plane (b, c), bins computed directly. */
static inline void nchw_plane_forward_direct(const spp_plan *pl, int64_t b, int64_t c,
                                             const float *x, float *y, int32_t *argmax)
{
    const spp_problem *p = &pl->p;
    const int64_t W = p->w;
    const float *plane = x + (b * p->c + c) * p->h * W;
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        const int64_t o = b * pl->out_per_sample + lv->out_offset + c * n * n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                const int64_t k = o + (int64_t)i * n + j;
                if (p->pool == SPP_POOL_MAX) {
                    float v;
                    int32_t a;
                    nchw_rect_max(plane, W, lv->rows[i], lv->cols[j], &v, &a);
                    y[k] = v;
                    if (argmax)
                        argmax[k] = a;
                } else {
                    y[k] = nchw_rect_avg(plane, W, lv->rows[i], lv->cols[j]);
                }
            }
    }
}

/* A max backward whose dx streams (spp_bwd_streams from NCHW_STREAM_BYTES) builds each plane
 * in an L1 buffer and writes it with streaming stores (nchw_plane_backward_staged: dx written
 * once, no read-for-ownership, no cache miss in the scatter); otherwise each plane is zeroed
 * and scattered in place while it is in cache (67 MB on the suite's Intel VM, 480 MiB L3: in
 * place 0.75x the staged route's time). The kernels' choose_path functions are the only
 * callers of nchw_bwd_streams: the route runs wherever a "stream" path is chosen or forced,
 * whatever the size and thread count. */
#define NCHW_STREAM_BYTES ((int64_t)32 << 20)

static inline int nchw_bwd_streams(const spp_problem *p, int threads)
{
    return p->pool == SPP_POOL_MAX &&
           spp_bwd_streams(spp_input_elems(p) * (int64_t)sizeof(float), NCHW_STREAM_BYTES, threads);
}

/* dst[0..n) = src[0..n) with non-temporal stores where dst is 16-byte aligned; the caller
 * issues nchw_stream_fence() once after. */
static inline void nchw_copy_stream(float *dst, const float *src, int64_t n)
{
    int64_t i = 0;
#if defined(__SSE2__)
    for (; i < n && ((uintptr_t)(dst + i) & 15); i++)
        dst[i] = src[i];
    for (; i + 4 <= n; i += 4)
        _mm_stream_ps(dst + i, _mm_loadu_ps(src + i));
#endif
    for (; i < n; i++)
        dst[i] = src[i];
}

static inline void nchw_stream_fence(void)
{
#if defined(__SSE2__)
    _mm_sfence();
#endif
}

/* One plane's max scatter of one level (st outputs), in naive's order. Out of line: inlined
 * into the kernels' OpenMP bodies the loop reloaded its pointers from the stack on every
 * element. */
static __attribute__((noinline)) void nchw_scatter(float *plane, const int32_t *am, const float *dy,
                                                   int64_t st)
{
    for (int64_t k = 0; k < st; k++)
        plane[am[k]] += dy[k];
}

/* The staged max backward of plane (b, c) (the "stream" paths): the plane is built in chunks
 * of NCHW_STAGE_FLOATS in a stack buffer that stays in L1 (zeroed, then every output whose
 * argmax falls in the chunk adds its gradient, in output order, as naive) and each chunk is
 * copied to dx with streaming stores. Per element the same additions in the same order as
 * naive, so dx is bitwise naive's; a plane larger than one chunk rescans its outputs once per
 * chunk (a few hundred at most per plane on the paper's pyramids). */
#define NCHW_STAGE_FLOATS 4096

static inline void nchw_plane_backward_staged(const spp_plan *pl, int64_t b, int64_t c,
                                              const float *dy, const int32_t *argmax, float *dx)
{
    const spp_problem *p = &pl->p;
    const int64_t HW = p->h * p->w;
    float *plane = dx + (b * p->c + c) * HW;
    float stage[NCHW_STAGE_FLOATS] __attribute__((aligned(64)));
    for (int64_t s = 0; s < HW; s += NCHW_STAGE_FLOATS) {
        const int64_t len = HW - s < NCHW_STAGE_FLOATS ? HW - s : NCHW_STAGE_FLOATS;
        memset(stage, 0, (size_t)len * sizeof *stage);
        for (int l = 0; l < p->nlevels; l++) {
            const int64_t nn = (int64_t)pl->lv[l].n * pl->lv[l].n;
            const int64_t o = b * pl->out_per_sample + pl->lv[l].out_offset + c * nn;
            for (int64_t k = 0; k < nn; k++) {
                const int64_t e = (int64_t)argmax[o + k] - s;
                if ((uint64_t)e < (uint64_t)len)
                    stage[e] += dy[o + k];
            }
        }
        nchw_copy_stream(plane + s, stage, len);
    }
}

/* Backward of plane (b, c) in place: zero the plane of dx, then add the gradients.
 * Per element the additions come in output order (level, i, j), as in naive; the gradient of
 * avg is dy / (float)divisor, as in naive. */
static inline void nchw_plane_backward(const spp_plan *pl, int64_t b, int64_t c, const float *dy,
                                       const int32_t *argmax, float *dx)
{
    const spp_problem *p = &pl->p;
    const int64_t W = p->w, HW = p->h * p->w;
    float *plane = dx + (b * p->c + c) * HW;
    memset(plane, 0, (size_t)HW * sizeof *plane);
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        const int64_t o = b * pl->out_per_sample + lv->out_offset + c * n * n;
        if (p->pool == SPP_POOL_MAX) {
            nchw_scatter(plane, argmax + o, dy + o, (int64_t)n * n);
            continue;
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                const spp_interval r = lv->rows[i], q = lv->cols[j];
                const float g = dy[o + (int64_t)i * n + j] / spp_avg_grad_div(r, q);
                for (int64_t h = r.start; h < r.end; h++) {
                    float *row = plane + h * W;
                    for (int64_t w = q.start; w < q.end; w++)
                        row[w] += g;
                }
            }
    }
}

/* The threaded backward of nchw__omp, nchw__tiled and nchw__fused_*; stream: each plane staged
 * and streamed (nchw_plane_backward_staged, max only; the "stream" paths), else zeroed and
 * scattered in place. Each thread owns whole dx planes, so no element is written by two
 * threads; per element the additions come in naive's order, so dx is bitwise equal to
 * naive's for every thread count. */
static inline void nchw_backward_planes(const spp_plan *pl, const float *dy,
                                        const int32_t *argmax, float *dx, int threads,
                                        int stream)
{
    const spp_problem *p = &pl->p;
    const int64_t planes = p->n * p->c;
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
#pragma omp for schedule(static)
        for (int64_t pi = 0; pi < planes; pi++) {
            if (stream)
                nchw_plane_backward_staged(pl, pi / p->c, pi % p->c, dy, argmax, dx);
            else
                nchw_plane_backward(pl, pi / p->c, pi % p->c, dy, argmax, dx);
        }
        if (stream)
            nchw_stream_fence();
    }
}

/* ---- the pyramid schedule of the single-pass kernels ----
 * Levels are visited finest first. A level whose every bin is exactly covered by a range of
 * bins of an already-visited level (per axis: a run of consecutive fine intervals from the
 * coarse start to the coarse end; for max, runs may overlap, since max is idempotent under the
 * (value, position) total order; for avg they must tile the interval exactly, no overlap) is
 * combined from that level's finished bins; the others are reduced from the input. Nesting is
 * checked here, from the plan, for each pair of levels: never assumed from the level numbers. */
typedef struct {
    int order[SPP_MAX_LEVELS];  /* visiting order: level indices, largest n first */
    int src[SPP_MAX_LEVELS];    /* per level: -1 = reduced from the input, else source level */
    int64_t bin_off[SPP_MAX_LEVELS]; /* first bin of the level in a plane's bin array */
    /* per level and bin row (col): the inclusive range of source bin rows (cols) */
    unsigned char ra[SPP_MAX_LEVELS][SPP_MAX_LEVEL], rb[SPP_MAX_LEVELS][SPP_MAX_LEVEL];
    unsigned char ca[SPP_MAX_LEVELS][SPP_MAX_LEVEL], cb[SPP_MAX_LEVELS][SPP_MAX_LEVEL];
} nchw_sched;

/* Run of fine intervals f[a..b] exactly covering [s, e): 1 if found. */
static inline int nchw_cover(const spp_interval *f, int m, spp_interval t, int exact_tiling,
                             unsigned char *a_out, unsigned char *b_out)
{
    int a = 0;
    while (a < m && f[a].start != t.start)
        a++;
    if (a == m)
        return 0;
    int b = a;
    while (f[b].end != t.end) {
        if (f[b].end > t.end || b + 1 == m)
            return 0;
        const int64_t ns = f[b + 1].start;
        if (exact_tiling ? ns != f[b].end : ns > f[b].end)
            return 0;
        b++;
    }
    for (int k = a; k <= b; k++)
        if (f[k].start < t.start || f[k].end > t.end)
            return 0;
    *a_out = (unsigned char)a;
    *b_out = (unsigned char)b;
    return 1;
}

static inline void nchw_sched_init(nchw_sched *s, const spp_plan *pl)
{
    const spp_problem *p = &pl->p;
    const int L = p->nlevels, tiling = p->pool == SPP_POOL_AVG;
    int64_t off = 0;
    for (int l = 0; l < L; l++) {
        s->bin_off[l] = off;
        off += (int64_t)pl->lv[l].n * pl->lv[l].n;
        /* stable insertion by decreasing n */
        int k = l;
        while (k > 0 && pl->lv[s->order[k - 1]].n < pl->lv[l].n) {
            s->order[k] = s->order[k - 1];
            k--;
        }
        s->order[k] = l;
    }
    for (int t = 0; t < L; t++) {
        const int l = s->order[t];
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        int64_t sr = 0, sc = 0, best_cost = -1;
        for (int i = 0; i < n; i++) {
            sr += lv->rows[i].end - lv->rows[i].start;
            sc += lv->cols[i].end - lv->cols[i].start;
        }
        const int64_t area = sr * sc; /* elements read when reducing the level directly */
        s->src[l] = -1;
        for (int u = 0; u < t; u++) {
            const int f = s->order[u];
            const spp_level_plan *fv = &pl->lv[f];
            unsigned char ra[SPP_MAX_LEVEL], rb[SPP_MAX_LEVEL], ca[SPP_MAX_LEVEL],
                cb[SPP_MAX_LEVEL];
            int ok = 1;
            int64_t nr = 0, nc = 0;
            for (int i = 0; ok && i < n; i++) {
                ok = nchw_cover(fv->rows, fv->n, lv->rows[i], tiling, &ra[i], &rb[i]) &&
                     nchw_cover(fv->cols, fv->n, lv->cols[i], tiling, &ca[i], &cb[i]);
                if (ok) {
                    nr += rb[i] - ra[i] + 1;
                    nc += cb[i] - ca[i] + 1;
                }
            }
            /* combining costs nr*nc bin merges; worth it only below the direct reduction */
            const int64_t cost = nr * nc;
            if (ok && 2 * cost <= area && (best_cost < 0 || cost < best_cost)) {
                best_cost = cost;
                s->src[l] = f;
                memcpy(s->ra[l], ra, (size_t)n);
                memcpy(s->rb[l], rb, (size_t)n);
                memcpy(s->ca[l], ca, (size_t)n);
                memcpy(s->cb[l], cb, (size_t)n);
            }
        }
    }
}

/* Most bins of one level that hold a common row (or column): the number of per-bin row
 * states a streaming kernel keeps live (2 when A >= n for every convention; more for A < n). */
static inline int nchw_max_active(const spp_interval *iv, int n, int64_t A)
{
    int lo = 0, hi = 0, most = 1;
    for (int64_t h = 0; h < A; h++) {
        while (lo < n && iv[lo].end <= h)
            lo++;
        if (hi < lo)
            hi = lo;
        while (hi < n && iv[hi].start <= h)
            hi++;
        if (hi - lo > most)
            most = hi - lo;
    }
    return most;
}

/* bytes rounded up to a multiple of 64: workspace regions and per-thread slices start on a
 * cache line. */
static inline size_t nchw_align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

#endif
