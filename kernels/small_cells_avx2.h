/* small_cells_avx2.h: forward max of small planes (H*W <= SC_MAX_HW), with or without argmax,
 * the one core of nhwc__fused_avx2 and nchw__fused_avx2 there. Included only by *avx2.c files
 * (built with -mavx2 -mfma). Not a kernel by itself; its plan is fused_cells_plan.h.
 *
 * Why: on small planes with many bins per channel the generic fused loops spend most of their
 * instructions on loop and plan decoding. Here a per-call program fixes the structure once,
 * and a task runs short fixed-shape folds over a cell-major tile in L1, 16 channels (two
 * vectors sharing loop and position work) at a time:
 *  - the tile: pixel (h, w) of 16 channels is 64 contiguous bytes at T + (h*W + w) * 16.
 *    NHWC copies a chunk of channel groups pixel by pixel in address order (pixels C floats
 *    apart fall into a few L1 sets); NCHW transposes 16 planes with 8x8 register transposes.
 *  - input levels: per row the partial of every column bin (columns in increasing order),
 *    then per bin its rows' partials in increasing order, with the scan rule
 *    upd = (v > best) | isnan(v), exact there (a later candidate replaces only a strictly
 *    greater one, a NaN a number, a later NaN an earlier one).
 *  - covered levels: merged from a finer level's bins by the merge program with the full
 *    order of spp_max_better, (v > b) | (v == b & p < bp) (plus the NaN terms on the exact
 *    path), keeping the chosen element's value, so a -0.0/+0.0 tie keeps the first zero.
 *  - fast path: b = max(v, b) (ties keep b); four running sums over the tile probe for NaN;
 *    if one is NaN (or inf - inf) the task runs the exact NaN-aware folds instead.
 *  - values only (argmax NULL, no NaN): no positions at all, merges too are b = max(v, b):
 *    exact while the merged bins hold no -0.0 (equal values are then the same bits); a -0.0
 *    in a bin some level merges from reruns the group with positions. Same y either way.
 *  - output: a level's bins [bin][16 channels] go to y[channel][bin] through 8x8 and 4x8
 *    register transposes (argmax, as 32-bit patterns, the same way).
 * All paths give naive's bits (docs/spec.md#3-max-and-avg). Threads: OpenMP over tasks
 * (sample, chunk of groups), schedule(static); a group's arithmetic does not depend on the
 * task or thread, so outputs are the same for every thread count. Workspace, state: sc_layout.
 * Weakest: levels that do not nest are each read from the tile (two or three scans of it). */
#ifndef SMALL_CELLS_AVX2_H
#define SMALL_CELLS_AVX2_H

#include <immintrin.h>
#include <omp.h>
#include <string.h>

#include "avx2_transpose.h"
#include "fused_cells_plan.h"
#include "spp_internal.h"

#define SC_INLINE static inline __attribute__((always_inline))

/* vblendvps in asm: GCC otherwise rebuilds a compare mask with an extra vpcmpgtd per blend */
SC_INLINE __m256 sc_blend(__m256 a, __m256 b, __m256 m) /* sign of m ? b : a */
{
    __m256 r;
    __asm__("vblendvps %3, %2, %1, %0" : "=x"(r) : "x"(a), "xm"(b), "x"(m));
    return r;
}
SC_INLINE __m256i sc_blendi(__m256i a, __m256i b, __m256 m)
{
    return _mm256_castps_si256(sc_blend(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m));
}

/* (v, p) later in row-major order than (b, bp): the scan rule. */
SC_INLINE void sc_fold(__m256 *b, __m256i *bp, __m256 v, __m256i p, int fast)
{
    if (fast) {
        const __m256 u = _mm256_cmp_ps(v, *b, _CMP_GT_OQ);
        *b = _mm256_max_ps(v, *b);
        *bp = sc_blendi(*bp, p, u);
    } else {
        const __m256 u = _mm256_or_ps(_mm256_cmp_ps(v, *b, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        *b = sc_blend(*b, v, u);
        *bp = sc_blendi(*bp, p, u);
    }
}

/* (v, p) anywhere relative to (b, bp): the total order of spp_max_better. */
SC_INLINE void sc_merge(__m256 *b, __m256i *bp, __m256 v, __m256i p, int fast)
{
    const __m256 plt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(*bp, p));
    __m256 u = _mm256_or_ps(_mm256_cmp_ps(v, *b, _CMP_GT_OQ),
                            _mm256_and_ps(_mm256_cmp_ps(v, *b, _CMP_EQ_OQ), plt));
    if (!fast) {
        const __m256 nv = _mm256_cmp_ps(v, v, _CMP_UNORD_Q), nb = _mm256_cmp_ps(*b, *b, _CMP_UNORD_Q);
        const __m256 pgt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(p, *bp));
        u = _mm256_or_ps(u, _mm256_or_ps(_mm256_andnot_ps(nb, nv), _mm256_and_ps(nv, pgt)));
    }
    *b = sc_blend(*b, v, u);
    *bp = sc_blendi(*bp, p, u);
}

/* NCHW: prefetch of the next group's planes (contiguous, `end` bytes), `step` bytes per
 * scanned row (all at once would overrun the miss buffers; 16 interleaved plane streams
 * defeat the hardware prefetchers). */
typedef struct { const char *base; int64_t step, end; } sc_pf;

SC_INLINE void sc_prefetch_row(const sc_pf *pf, int64_t h)
{
    if (!pf->base)
        return;
    const int64_t e1 = (h + 1) * pf->step < pf->end ? (h + 1) * pf->step : pf->end;
    for (int64_t a = h * pf->step; a < e1; a += 64)
        _mm_prefetch(pf->base + a, _MM_HINT_T0);
}

#define SC_LANES 16 /* channels per task: two vectors share the loop and the positions */

SC_INLINE __m256i sc_ldi(const int32_t *p) { return _mm256_load_si256((const __m256i *)(const void *)p); }
SC_INLINE void sc_sti(int32_t *p, __m256i v) { _mm256_store_si256((__m256i *)(void *)p, v); }

/* A row partial: len pixels from p (stride ss floats), positions from pt (stride 8), in
 * column order (the scan rule); the result to rv/rp (16 lanes). len is a constant where the
 * caller switches on it. pos = 0: values only (fast only): rp is not touched. */
SC_INLINE void sc_part(const float *p, int64_t ss, const int32_t *pt, int len, float *rv,
                       int32_t *rp, int fast, int pos)
{
    __m256 b0 = _mm256_loadu_ps(p), b1 = _mm256_loadu_ps(p + 8);
    if (!pos) {
        for (int w = 1; w < len; w++) {
            p += ss;
            b0 = _mm256_max_ps(_mm256_loadu_ps(p), b0);
            b1 = _mm256_max_ps(_mm256_loadu_ps(p + 8), b1);
        }
        _mm256_store_ps(rv, b0);
        _mm256_store_ps(rv + 8, b1);
        return;
    }
    __m256i q0 = sc_ldi(pt), q1 = q0;
    for (int w = 1; w < len; w++) {
        p += ss;
        pt += 8;
        const __m256i q = sc_ldi(pt);
        sc_fold(&b0, &q0, _mm256_loadu_ps(p), q, fast);
        sc_fold(&b1, &q1, _mm256_loadu_ps(p + 8), q, fast);
    }
    _mm256_store_ps(rv, b0);
    _mm256_store_ps(rv + 8, b1);
    sc_sti(rp, q0);
    sc_sti(rp + 8, q1);
}

/* A bin of an input level: its rows' partials (len of them, stride rs) in increasing row
 * order (the scan rule again: a later row's elements all come later). */
SC_INLINE void sc_rows(const float *rv, const int32_t *rp, int64_t rs, int len, float *bv,
                       int32_t *bp, int fast, int pos)
{
    __m256 b0 = _mm256_load_ps(rv), b1 = _mm256_load_ps(rv + 8);
    if (!pos) {
        for (int h = 1; h < len; h++) {
            rv += rs;
            b0 = _mm256_max_ps(_mm256_load_ps(rv), b0);
            b1 = _mm256_max_ps(_mm256_load_ps(rv + 8), b1);
        }
        _mm256_store_ps(bv, b0);
        _mm256_store_ps(bv + 8, b1);
        return;
    }
    __m256i q0 = sc_ldi(rp), q1 = sc_ldi(rp + 8);
    for (int h = 1; h < len; h++) {
        rv += rs;
        rp += rs;
        sc_fold(&b0, &q0, _mm256_load_ps(rv), sc_ldi(rp), fast);
        sc_fold(&b1, &q1, _mm256_load_ps(rv + 8), sc_ldi(rp + 8), fast);
    }
    _mm256_store_ps(bv, b0);
    _mm256_store_ps(bv + 8, b1);
    sc_sti(bp, q0);
    sc_sti(bp + 8, q1);
}

/* Whether n bins of 16 lanes at bv hold a -0.0 (bit pattern INT32_MIN). */
SC_INLINE int sc_negzero(const float *bv, int64_t n)
{
    const __m256i nz = _mm256_set1_epi32(INT32_MIN);
    __m256i z = _mm256_setzero_si256();
    for (int64_t e = 0; e < n * 2; e++)
        z = _mm256_or_si256(z, _mm256_cmpeq_epi32(sc_ldi((const int32_t *)(const void *)(bv + e * 8)), nz));
    return !_mm256_testz_si256(z, z);
}

/* One task's bins into BV/BP ([bin][16 lanes]): pixel (h, w) of the 16 channels at
 * src + (h*W + w) * ss (two vectors); PT: the position table (pixel e: 8 lanes of e).
 * pos = 0 (values only, fast only): BP is not touched; returns 1, leaving the bins
 * unfinished, when a level that others merge from holds a -0.0 (rerun with positions). */
SC_INLINE int sc_task(const spp_plan *pl, const sc_plan *sp, const int32_t *prog,
                      const int32_t *PT, const float *src, int64_t ss, float *RV,
                      int32_t *RP, float *BV, int32_t *BP, int fast, int pos, const sc_pf *pf)
{
    const int64_t W = pl->p.w;
    const int32_t *pq = prog;
    for (int t = 0; t < pl->p.nlevels; t++) {
        const int l = sp->order[t];
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        if (sp->src[l] >= 0) { /* covered: its bins' programs come next, in order */
            for (int e = 0; e < n * n; e++) {
                const int32_t dst = pq[0], k = pq[1];
                const float *s0 = BV + (int64_t)pq[2] * SC_LANES;
                const int32_t *p0 = BP + (int64_t)pq[2] * SC_LANES;
                __m256 b0 = _mm256_load_ps(s0), b1 = _mm256_load_ps(s0 + 8);
                if (!pos) { /* no -0.0 and no NaN: equal values are equal bits */
                    for (int32_t s = 1; s < k; s++) {
                        const float *sv = BV + (int64_t)pq[2 + s] * SC_LANES;
                        b0 = _mm256_max_ps(_mm256_load_ps(sv), b0);
                        b1 = _mm256_max_ps(_mm256_load_ps(sv + 8), b1);
                    }
                    _mm256_store_ps(BV + (int64_t)dst * SC_LANES, b0);
                    _mm256_store_ps(BV + (int64_t)dst * SC_LANES + 8, b1);
                    pq += 2 + k;
                    continue;
                }
                __m256i q0 = sc_ldi(p0), q1 = sc_ldi(p0 + 8);
                for (int32_t s = 1; s < k; s++) {
                    const float *sv = BV + (int64_t)pq[2 + s] * SC_LANES;
                    const int32_t *spp = BP + (int64_t)pq[2 + s] * SC_LANES;
                    sc_merge(&b0, &q0, _mm256_load_ps(sv), sc_ldi(spp), fast);
                    sc_merge(&b1, &q1, _mm256_load_ps(sv + 8), sc_ldi(spp + 8), fast);
                }
                _mm256_store_ps(BV + (int64_t)dst * SC_LANES, b0);
                _mm256_store_ps(BV + (int64_t)dst * SC_LANES + 8, b1);
                sc_sti(BP + (int64_t)dst * SC_LANES, q0);
                sc_sti(BP + (int64_t)dst * SC_LANES + 8, q1);
                pq += 2 + k;
            }
            continue;
        }
        /* row partials of every row some bin holds (starts and ends never decrease) */
        int64_t hdone = 0;
        for (int i = 0; i < n; i++) {
            const int64_t h0 = lv->rows[i].start > hdone ? lv->rows[i].start : hdone;
            for (int64_t h = h0; h < lv->rows[i].end; h++) {
                sc_prefetch_row(pf, h);
                float *rv = RV + h * n * SC_LANES;
                int32_t *rp = RP + h * n * SC_LANES;
                for (int j = 0; j < n; j++, rv += SC_LANES, rp += SC_LANES) {
                    const int64_t e0 = h * W + lv->cols[j].start;
                    const int len = (int)(lv->cols[j].end - lv->cols[j].start);
                    const float *p = src + e0 * ss;
                    const int32_t *pt = PT + e0 * 8;
                    switch (len) { /* constant lengths unroll */
                    case 1: sc_part(p, ss, pt, 1, rv, rp, fast, pos); break;
                    case 2: sc_part(p, ss, pt, 2, rv, rp, fast, pos); break;
                    case 3: sc_part(p, ss, pt, 3, rv, rp, fast, pos); break;
                    case 4: sc_part(p, ss, pt, 4, rv, rp, fast, pos); break;
                    default: sc_part(p, ss, pt, len, rv, rp, fast, pos); break;
                    }
                }
            }
            if (lv->rows[i].end > hdone)
                hdone = lv->rows[i].end;
        }
        /* bins: their rows' partials in increasing row order */
        float *bv = BV + (int64_t)sp->boff[l] * SC_LANES;
        int32_t *bp = BP + (int64_t)sp->boff[l] * SC_LANES;
        const int64_t rs = (int64_t)n * SC_LANES;
        for (int i = 0; i < n; i++) {
            const int len = (int)(lv->rows[i].end - lv->rows[i].start);
            const float *rv = RV + lv->rows[i].start * rs;
            const int32_t *rp = RP + lv->rows[i].start * rs;
            for (int j = 0; j < n; j++, bv += SC_LANES, bp += SC_LANES) {
                switch (len) {
                case 1: sc_rows(rv + j * SC_LANES, rp + j * SC_LANES, rs, 1, bv, bp, fast, pos); break;
                case 2: sc_rows(rv + j * SC_LANES, rp + j * SC_LANES, rs, 2, bv, bp, fast, pos); break;
                case 3: sc_rows(rv + j * SC_LANES, rp + j * SC_LANES, rs, 3, bv, bp, fast, pos); break;
                case 4: sc_rows(rv + j * SC_LANES, rp + j * SC_LANES, rs, 4, bv, bp, fast, pos); break;
                default: sc_rows(rv + j * SC_LANES, rp + j * SC_LANES, rs, len, bv, bp, fast, pos); break;
                }
            }
        }
        if (!pos) { /* covered levels merge by value alone: only without -0.0 */
            int merged = 0;
            for (int u = 0; u < pl->p.nlevels; u++)
                merged |= sp->src[u] == l;
            if (merged && sc_negzero(BV + (int64_t)sp->boff[l] * SC_LANES, (int64_t)n * n))
                return 1;
        }
    }
    return 0;
}

/* Copies the HW pixels at src (two vectors each, stride ss floats) to the tile T (stride
 * 16), unless src is T; returns 1 if some lane is NaN (or the sums meet inf - inf: only a
 * slower exact run). The copy matters for NHWC: pixels C floats apart fall into a few L1
 * sets (C = 256: 4 sets, 32 lines), so the scans must not re-read x. Four sums: one chain
 * of adds would be bound by the add latency. */
SC_INLINE int sc_probe(const float *src, int64_t ss, int64_t HW, float *T)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int64_t e = 0;
    const int copy = src != T;
    for (; e + 2 <= HW; e += 2) {
        const __m256 a = _mm256_loadu_ps(src + e * ss), b = _mm256_loadu_ps(src + e * ss + 8);
        const __m256 c = _mm256_loadu_ps(src + (e + 1) * ss), d = _mm256_loadu_ps(src + (e + 1) * ss + 8);
        s0 = _mm256_add_ps(s0, a);
        s1 = _mm256_add_ps(s1, b);
        s2 = _mm256_add_ps(s2, c);
        s3 = _mm256_add_ps(s3, d);
        if (copy) {
            _mm256_store_ps(T + e * SC_LANES, a);
            _mm256_store_ps(T + e * SC_LANES + 8, b);
            _mm256_store_ps(T + (e + 1) * SC_LANES, c);
            _mm256_store_ps(T + (e + 1) * SC_LANES + 8, d);
        }
    }
    if (e < HW) {
        const __m256 a = _mm256_loadu_ps(src + e * ss), b = _mm256_loadu_ps(src + e * ss + 8);
        s0 = _mm256_add_ps(s0, a);
        s1 = _mm256_add_ps(s1, b);
        if (copy) {
            _mm256_store_ps(T + e * SC_LANES, a);
            _mm256_store_ps(T + e * SC_LANES + 8, b);
        }
    }
    const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    const __m256 u = _mm256_cmp_ps(s, s, _CMP_UNORD_Q);
    return !_mm256_testz_ps(u, u);
}

/* nn bins of 16 lanes at A (lane k = channel k) -> out[k * nn + e] for the first `valid`
 * channels; 32-bit patterns only, so it serves argmax too. */
static inline void sc_store(const float *A, float *out, int64_t nn, int valid)
{
    if (nn == 1) {
        if (valid == SC_LANES) {
            _mm256_storeu_ps(out, _mm256_load_ps(A));
            _mm256_storeu_ps(out + 8, _mm256_load_ps(A + 8));
        } else {
            memcpy(out, A, (size_t)valid * 4);
        }
        return;
    }
    int64_t e0 = 0;
    if (valid == SC_LANES) {
        for (; e0 + 8 <= nn; e0 += 8) {
            avx2_t8x8(A + e0 * SC_LANES, SC_LANES, out + e0, nn);
            avx2_t8x8(A + e0 * SC_LANES + 8, SC_LANES, out + 8 * nn + e0, nn);
        }
        if (e0 + 4 <= nn) {
            avx2_t4x8(A + e0 * SC_LANES, SC_LANES, out + e0, nn);
            avx2_t4x8(A + e0 * SC_LANES + 8, SC_LANES, out + 8 * nn + e0, nn);
            e0 += 4;
        }
    }
    for (int k = 0; k < valid; k++)
        for (int64_t e = e0; e < nn; e++)
            memcpy(out + k * nn + e, A + e * SC_LANES + k, 4);
}

/* Everything a task needs, read-only and shared by the threads. */
typedef struct {
    const spp_plan *pl;
    const sc_plan *sp;
    const int32_t *prog, *PT;
    const float *x;
    float *y;
    int32_t *argmax;
    char *ws; /* the threads' slices */
    sc_ws w;
    int64_t G, gc, nch; /* groups per sample, per task, tasks per sample */
} sc_ctx;

/* NHWC: groups [g0, g1) of sample b into their tiles (T + (g - g0) * HW * 16), pixel by
 * pixel in address order (runs of 64 * (g1 - g0) bytes: the hardware prefetchers follow; C
 * floats apart, one group's pixels would also fall into a few L1 sets); the channel tail is
 * zero-padded (those lanes are never stored). Returns 1 if a lane is NaN (or the sums meet
 * inf - inf: only a slower exact run). Four sums: one chain would wait on the add latency. */
static int sc_fill_nhwc(const sc_ctx *cx, int64_t b, int64_t g0, int64_t g1, float *T)
{
    const spp_problem *p = &cx->pl->p;
    const int64_t C = p->c, HW = p->h * p->w;
    const float *xs = cx->x + b * HW * C + g0 * 16;
    const int64_t full = (g1 * 16 <= C ? g1 : g1 - 1) - g0; /* groups of 16 live lanes */
    const int rem = (int)(C - (g0 + full) * 16);           /* lanes of a last partial group */
    const __m256i i8 = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), i8);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem - 8), i8);
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t e = 0; e < HW; e++) {
        const float *px = xs + e * C;
        float *t = T + e * 16;
        int64_t k = 0;
        for (; k + 2 <= full; k += 2) {
            const __m256 a = _mm256_loadu_ps(px + k * 16), c = _mm256_loadu_ps(px + k * 16 + 8);
            const __m256 d = _mm256_loadu_ps(px + k * 16 + 16), f = _mm256_loadu_ps(px + k * 16 + 24);
            s0 = _mm256_add_ps(s0, a);
            s1 = _mm256_add_ps(s1, c);
            s2 = _mm256_add_ps(s2, d);
            s3 = _mm256_add_ps(s3, f);
            _mm256_store_ps(t + k * HW * 16, a);
            _mm256_store_ps(t + k * HW * 16 + 8, c);
            _mm256_store_ps(t + (k + 1) * HW * 16, d);
            _mm256_store_ps(t + (k + 1) * HW * 16 + 8, f);
        }
        if (k < full) {
            const __m256 a = _mm256_loadu_ps(px + k * 16), c = _mm256_loadu_ps(px + k * 16 + 8);
            s0 = _mm256_add_ps(s0, a);
            s1 = _mm256_add_ps(s1, c);
            _mm256_store_ps(t + k * HW * 16, a);
            _mm256_store_ps(t + k * HW * 16 + 8, c);
            k++;
        }
        if (k < g1 - g0) { /* the partial last group */
            const __m256 a = _mm256_maskload_ps(px + k * 16, m0);
            const __m256 c = _mm256_maskload_ps(px + k * 16 + 8, m1);
            s2 = _mm256_add_ps(s2, a);
            s3 = _mm256_add_ps(s3, c);
            _mm256_store_ps(t + k * HW * 16, a);
            _mm256_store_ps(t + k * HW * 16 + 8, c);
        }
    }
    const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    const __m256 u = _mm256_cmp_ps(s, s, _CMP_UNORD_Q);
    return !_mm256_testz_ps(u, u);
}

/* Task t = (sample, chunk of groups): the tiles, the NaN probe, each group's bins (fast, or
 * exact if the probe saw a NaN) and their write-out. */
static void sc_run_task(const sc_ctx *cx, int64_t t, char *mine)
{
    const spp_plan *pl = cx->pl;
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, HW = p->h * p->w, G = cx->G;
    const int64_t b = t / cx->nch, g0 = t % cx->nch * cx->gc;
    const int64_t g1 = g0 + cx->gc < G ? g0 + cx->gc : G;
    float *T = (float *)(void *)(mine + cx->w.tile_off);
    float *RV = (float *)(void *)(mine + cx->w.rp_off);
    int32_t *RP = (int32_t *)(void *)(mine + cx->w.rp_off + (size_t)cx->sp->nrp * SC_LANES * 4);
    float *BV = (float *)(void *)(mine + cx->w.bin_off);
    int32_t *BP = (int32_t *)(void *)(mine + cx->w.bin_off + (size_t)cx->sp->nbins * SC_LANES * 4);
    const int nhwc = p->layout == SPP_LAYOUT_NHWC;
    int nan = nhwc ? sc_fill_nhwc(cx, b, g0, g1, T) : 0;
    for (int64_t g = g0; g < g1; g++) {
        const int64_t c0 = g * SC_LANES;
        const int valid = C - c0 < SC_LANES ? (int)(C - c0) : SC_LANES;
        float *Tg = T + (g - g0) * HW * SC_LANES;
        sc_pf pf = {NULL, 0, 0};
        if (!nhwc) { /* 16 planes -> [pixel][channel]; missing planes repeat the last one */
            const float *x0 = cx->x + (b * C + c0) * HW;
            int64_t e0 = 0;
            if (valid == SC_LANES)
                for (; e0 + 8 <= HW; e0 += 8) {
                    avx2_t8x8(x0 + e0, HW, Tg + e0 * SC_LANES, SC_LANES);
                    avx2_t8x8(x0 + 8 * HW + e0, HW, Tg + e0 * SC_LANES + 8, SC_LANES);
                }
            for (int64_t e = e0; e < HW; e++)
                for (int k = 0; k < SC_LANES; k++)
                    Tg[e * SC_LANES + k] = x0[(k < valid ? k : valid - 1) * HW + e];
            nan = sc_probe(Tg, SC_LANES, HW, Tg);
            if (t + 1 < p->n * cx->nch) { /* the next group (this thread's next task) */
                const int64_t b1 = (t + 1) / cx->nch, c1 = (t + 1) % cx->nch * SC_LANES;
                pf.base = (const char *)(cx->x + (b1 * C + c1) * HW);
                pf.end = (C - c1 < SC_LANES ? C - c1 : SC_LANES) * HW * 4;
                pf.step = (pf.end / p->h + 63) / 64 * 64;
            }
        }
        /* values only, else (or on a -0.0 it cannot order) fast with positions, else exact */
        int run = nan ? 2 : cx->argmax ? 1 : 0;
        if (run == 0 && sc_task(pl, cx->sp, cx->prog, cx->PT, Tg, SC_LANES, RV, RP, BV, BP, 1, 0, &pf))
            run = 1;
        if (run == 1)
            sc_task(pl, cx->sp, cx->prog, cx->PT, Tg, SC_LANES, RV, RP, BV, BP, 1, 1, &pf);
        else if (run == 2)
            sc_task(pl, cx->sp, cx->prog, cx->PT, Tg, SC_LANES, RV, RP, BV, BP, 0, 1, &pf);
        for (int l = 0; l < p->nlevels; l++) {
            const int64_t nn = (int64_t)pl->lv[l].n * pl->lv[l].n;
            const int64_t o = spp_y_index(pl, b, l, c0, 0, 0);
            sc_store(BV + (int64_t)cx->sp->boff[l] * SC_LANES, cx->y + o, nn, valid);
            if (cx->argmax)
                sc_store((const float *)(const void *)(BP + (int64_t)cx->sp->boff[l] * SC_LANES),
                         (float *)(void *)(cx->argmax + o), nn, valid);
        }
    }
}

/* The state (fused_cells_plan.h) for this core: the plan and merge program and the position
 * table (pixel e: 8 lanes of e). */
static void sc_prepare(const spp_plan *pl, void *state)
{
    char *st = state;
    sc_build((sc_plan *)(void *)st, pl, (int32_t *)(void *)(st + sc_prog_off(pl)));
    int32_t *PT = (int32_t *)(void *)(st + sc_pt_off());
    for (int64_t e = 0; e < pl->p.h * pl->p.w; e++)
        sc_sti(PT + e * 8, _mm256_set1_epi32((int32_t)e));
}

/* The forward of a max problem (any plane size, any number of levels read from the input):
 * the state (the operation's, or written into the workspace), then the tasks over OpenMP. */
static void sc_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                       const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    char *ws = ex->workspace;
    if (!ex->state)
        sc_prepare(pl, ws);
    const char *st = ex->state ? (const char *)ex->state : ws;
    const sc_plan *sp = (const sc_plan *)(const void *)st;
    const int T = ex->threads < 1 ? 1 : ex->threads;
    sc_ctx cx;
    cx.w = sc_layout(pl, sp, T);
    cx.pl = pl;
    cx.sp = sp;
    cx.prog = (const int32_t *)(const void *)(st + sc_prog_off(pl));
    cx.PT = (const int32_t *)(const void *)(st + sc_pt_off());
    cx.x = x;
    cx.y = y;
    cx.argmax = argmax;
    cx.ws = ws + cx.w.slices;
    cx.G = (p->c + SC_LANES - 1) / SC_LANES;
    cx.gc = sc_chunk(pl, T);
    cx.nch = (cx.G + cx.gc - 1) / cx.gc;
    const int64_t ntask = p->n * cx.nch;
    if (T == 1 || ntask == 1) { /* no team start-up for one thread */
        for (int64_t g = 0; g < ntask; g++)
            sc_run_task(&cx, g, cx.ws);
        return;
    }
#pragma omp parallel num_threads(T)
    {
        char *mine = cx.ws + (size_t)omp_get_thread_num() * cx.w.slice;
#pragma omp for schedule(static)
        for (int64_t g = 0; g < ntask; g++)
            sc_run_task(&cx, g, mine);
    }
}

#endif
