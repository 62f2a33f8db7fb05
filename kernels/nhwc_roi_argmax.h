/* The general forward path of the channel-last AVX2 region kernels (nhwc_roi_avx2.h): avg, max
 * with argmax, and max without argmax on a map holding a NaN (y only). roi_region_chunk runs
 * one region and one chunk of ROI_CB channels (or a masked tail of 8):
 *  1. every (row segment x column segment) block of the box reduced once (nhwc_roi_common.h):
 *     max by value and first position, avg by float sum;
 *  2. every bin of every level, finest first, from its blocks or, for max, from m x m bins of a
 *     finer level (w->from), into the chunk's bin-major stage;
 *  3. each level transposed into the region's staged rows (nhwc_roi_row.h).
 * Max, ties and NaN (docs/spec.md#3-max-and-avg): inside a block cells go in row-major order and
 * a cell replaces the best when v > best or v is NaN: the first maximum stays, a NaN beats
 * numbers and the last NaN wins; the best starts at -inf with the block's first position, so an
 * all -inf block gives -inf at its first cell. The blocks of a chunk first run without the NaN
 * term (max, compare, blend), summing the inputs; a NaN in that sum (or an inf - inf) reruns
 * them with it. A bin without NaN takes the max of its sources and the smallest position holding
 * it (roi_grid_max_nonan); with a NaN, or a max of zero (-0.0 == +0.0), its sources merge
 * pairwise in the full total order (value, then position, NaN rules). Either way y and argmax
 * equal roi__naive's bit for bit.
 * Avg: block sums merged in (row segment, column segment) order, divided by the float product of
 * the two divisors: one fixed order, within the spec's bound, not roi__naive's bits.
 * Workspace: w->bv and w->bp (blocks), w->sv and w->sp (bin stage), w->yst and w->ast (rows).
 * Weakest: positions, blends and a NaN probe per loaded vector, and no table: each box reads
 * its cells from the map; it is the slower of the two paths for max. */
#ifndef NHWC_ROI_ARGMAX_H
#define NHWC_ROI_ARGMAX_H

#include "nhwc_roi_common.h"
#include "nhwc_roi_row.h"

/* Max over block rows [h0,h1) x cols [w0,w1) for chunk channels c0.., NV vectors; masked
 * chunks (channel tail) load with maskload (lanes past C read as 0 and are never stored). */
static inline __attribute__((always_inline)) void
roi_block_max(const float *x, int64_t C, int64_t W, int64_t c0, int64_t h0, int64_t h1,
              int64_t w0, int64_t w1, int nv, int masked, const __m256i *mask, float *bv,
              int32_t *bp, int fast, __m256 *tot)
{
    __m256 best[4];
    __m256i pos[4];
    const __m256i first = _mm256_set1_epi32((int32_t)(h0 * W + w0));
    for (int k = 0; k < nv; k++) {
        best[k] = _mm256_set1_ps(-__builtin_inff());
        pos[k] = first;
    }
    for (int64_t h = h0; h < h1; h++) {
        const float *row = x + (h * W) * C + c0;
        for (int64_t w = w0; w < w1; w++) {
            const float *cell = row + w * C;
            const __m256i here = _mm256_set1_epi32((int32_t)(h * W + w));
            for (int k = 0; k < nv; k++) {
                const __m256 v = masked ? _mm256_maskload_ps(cell + 8 * k, mask[k])
                                        : _mm256_loadu_ps(cell + 8 * k);
                if (fast) { /* no NaN: max(v, best) is best unless v > best; *tot sees NaN */
                    const __m256 m = _mm256_cmp_ps(v, best[k], _CMP_GT_OQ);
                    *tot = _mm256_add_ps(*tot, v);
                    best[k] = _mm256_max_ps(v, best[k]);
                    pos[k] = _mm256_castps_si256(_mm256_blendv_ps(
                        _mm256_castsi256_ps(pos[k]), _mm256_castsi256_ps(here), m));
                    continue;
                }
                const __m256 m = _mm256_or_ps(_mm256_cmp_ps(v, best[k], _CMP_GT_OQ),
                                              _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                best[k] = _mm256_blendv_ps(best[k], v, m);
                pos[k] = _mm256_castps_si256(_mm256_blendv_ps(
                    _mm256_castsi256_ps(pos[k]), _mm256_castsi256_ps(here), m));
            }
        }
    }
    for (int k = 0; k < nv; k++) {
        _mm256_store_ps(bv + 8 * k, best[k]);
        _mm256_store_si256((__m256i *)(bp + 8 * k), pos[k]);
    }
}

/* a better than b by the total order of docs/spec.md#3-max-and-avg (lane-wise mask). */
static inline __m256 roi_better(__m256 av, __m256i ap, __m256 bv, __m256i bp)
{
    const __m256 anan = _mm256_cmp_ps(av, av, _CMP_UNORD_Q);
    const __m256 bnan = _mm256_cmp_ps(bv, bv, _CMP_UNORD_Q);
    const __m256 gt = _mm256_cmp_ps(av, bv, _CMP_GT_OQ);
    const __m256 eq = _mm256_cmp_ps(av, bv, _CMP_EQ_OQ);
    const __m256 alt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(bp, ap)); /* a.pos < b.pos */
    const __m256 agt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(ap, bp)); /* a.pos > b.pos */
    const __m256 num = _mm256_or_ps(gt, _mm256_and_ps(eq, alt));
    const __m256 ones = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    const __m256 nan = _mm256_and_ps(anan, _mm256_or_ps(_mm256_andnot_ps(bnan, ones), agt));
    return _mm256_or_ps(num, nan);
}

/* The same order when neither side holds a NaN (the common case, checked per chunk). */
static inline __m256 roi_better_nonan(__m256 av, __m256i ap, __m256 bv, __m256i bp)
{
    const __m256 gt = _mm256_cmp_ps(av, bv, _CMP_GT_OQ);
    const __m256 eq = _mm256_cmp_ps(av, bv, _CMP_EQ_OQ);
    const __m256 alt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(bp, ap));
    return _mm256_or_ps(gt, _mm256_and_ps(eq, alt));
}

/* acc = better of (acc, cand) over 8 lanes at offset o of the two (value, pos) arrays. */
#define ROI_MERGE(BETTER, av, ap, vals, poss, o)                                             \
    do {                                                                                     \
        const __m256 v_ = _mm256_load_ps((vals) + (o));                                      \
        const __m256i q_ = _mm256_load_si256((const __m256i *)((poss) + (o)));               \
        const __m256 m_ = BETTER(v_, q_, av, ap);                                            \
        av = _mm256_blendv_ps(av, v_, m_);                                                   \
        ap = _mm256_castps_si256(                                                            \
            _mm256_blendv_ps(_mm256_castsi256_ps(ap), _mm256_castsi256_ps(q_), m_));         \
    } while (0)

/* Merge of a grid of ra x cb sources (value, position), source (a, b) at vals/poss +
 * (o0 + a * rs + b) * ROI_CB, when no source holds a NaN: the value is the max and the position
 * the smallest position holding it (docs/spec.md#3-max-and-avg: the first maximum in row-major
 * order, as positions h*W + w grow in that order). Four ops per source and vector (max;
 * compare, or, unsigned min) instead of the seven of a pairwise total-order merge. Equal
 * nonzero floats are equal bit for bit; -0.0 == +0.0 is not, so a max of zero in any lane
 * returns 0 and the caller merges pairwise. */
static inline __attribute__((always_inline)) int
roi_grid_max_nonan(const float *vals, const int32_t *poss, int64_t o0, int64_t rs, int ra,
                   int cb, int nv, float *ov, int32_t *op)
{
    __m256 m[4], z = _mm256_setzero_ps();
    __m256i p[4];
    for (int k = 0; k < nv; k++)
        m[k] = _mm256_load_ps(vals + o0 * ROI_CB + 8 * k);
    for (int a = 0; a < ra; a++)
        for (int b = a ? 0 : 1; b < cb; b++)
            for (int k = 0; k < nv; k++)
                m[k] = _mm256_max_ps(m[k], _mm256_load_ps(vals + (o0 + a * rs + b) * ROI_CB + 8 * k));
    for (int k = 0; k < nv; k++)
        z = _mm256_or_ps(z, _mm256_cmp_ps(m[k], _mm256_setzero_ps(), _CMP_EQ_OQ));
    if (!_mm256_testz_ps(z, z))
        return 0;
    for (int k = 0; k < nv; k++)
        p[k] = _mm256_set1_epi32(-1);
    for (int a = 0; a < ra; a++)
        for (int b = 0; b < cb; b++)
            for (int k = 0; k < nv; k++) {
                const int64_t o = (o0 + a * rs + b) * ROI_CB + 8 * k;
                const __m256 ne = _mm256_cmp_ps(_mm256_load_ps(vals + o), m[k], _CMP_NEQ_UQ);
                p[k] = _mm256_min_epu32(p[k], _mm256_or_si256(_mm256_load_si256((const __m256i *)(poss + o)),
                                                              _mm256_castps_si256(ne)));
            }
    for (int k = 0; k < nv; k++) {
        _mm256_store_ps(ov + 8 * k, m[k]);
        _mm256_store_si256((__m256i *)(op + 8 * k), p[k]);
    }
    return 1;
}

/* Forward for one region and one channel chunk [c0, c0 + valid). */
static inline __attribute__((always_inline)) void
roi_region_chunk(const spp_region_plan *pl, int64_t r, const float *x, int want_argmax,
                 roi_ws *w, int nrs, int ncs, int64_t c0, int valid, int nv, int masked)
{
    const spp_region_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w;
    const int is_max = p->pool == SPP_POOL_MAX;
    __m256i mask[4];
    for (int k = 0; k < nv; k++)
        mask[k] = roi_lane_mask(valid - 8 * k);
    /* 1: every block once. Max first runs the cheaper fold that assumes no NaN, summing the
     * inputs; a NaN in that sum (or an inf - inf) reruns the blocks with the NaN rules. */
    __m256 anynan = _mm256_setzero_ps();
    if (is_max) {
        __m256 tot = _mm256_setzero_ps();
        for (int a = 0; a < nrs; a++)
            for (int b = 0; b < ncs; b++)
                roi_block_max(x, C, W, c0, w->rbrk[a], w->rbrk[a + 1], w->cbrk[b],
                              w->cbrk[b + 1], nv, masked, mask,
                              w->bv + ((int64_t)a * ncs + b) * ROI_CB,
                              w->bp + ((int64_t)a * ncs + b) * ROI_CB, 1, &tot);
        if (!_mm256_testz_ps(_mm256_cmp_ps(tot, tot, _CMP_UNORD_Q),
                             _mm256_cmp_ps(tot, tot, _CMP_UNORD_Q)))
            for (int a = 0; a < nrs; a++)
                for (int b = 0; b < ncs; b++) {
                    float *bv = w->bv + ((int64_t)a * ncs + b) * ROI_CB;
                    roi_block_max(x, C, W, c0, w->rbrk[a], w->rbrk[a + 1], w->cbrk[b],
                                  w->cbrk[b + 1], nv, masked, mask, bv,
                                  w->bp + ((int64_t)a * ncs + b) * ROI_CB, 0, &tot);
                    for (int k = 0; k < nv; k++) {
                        const __m256 v = _mm256_load_ps(bv + 8 * k);
                        anynan = _mm256_or_ps(anynan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                    }
                }
    } else
        for (int a = 0; a < nrs; a++)
            for (int b = 0; b < ncs; b++) {
                __m256 sum[4];
                roi_rect_sum(x, C, W, c0, w->rbrk[a], w->rbrk[a + 1], w->cbrk[b],
                             w->cbrk[b + 1], nv, masked, mask, sum);
                for (int k = 0; k < nv; k++)
                    _mm256_store_ps(w->bv + ((int64_t)a * ncs + b) * ROI_CB + 8 * k, sum[k]);
            }
    const int nan_seen = !_mm256_testz_ps(anynan, anynan);
    /* 2: every bin of every level, finest first, into the bin-major stage */
    const spp_interval *box_iv = pl->iv + r * pl->iv_per_box;
    for (int t = 0; t < p->nlevels; t++) {
        const int l = w->src[SPP_MAX_LEVELS - 1 - t]; /* level order: finest first */
        const int n = p->levels[l];
        const int64_t boff = pl->out_offset[l] / C;
        const int64_t ri = pl->iv_offset[l], ci = ri + n;
        float *sv = w->sv + boff * ROI_CB;
        int32_t *sp = w->sp + boff * ROI_CB;
        const int f = is_max ? w->from[l] : -1;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                float *ov = sv + ((int64_t)i * n + j) * ROI_CB;
                int32_t *op = sp + ((int64_t)i * n + j) * ROI_CB;
                /* merges run over blocks (or finer bins) with the nv channel vectors
                 * innermost: nv independent dependency chains instead of one */
                __m256 av[4];
                __m256i ap[4];
                if (f >= 0) { /* merge m x m bins of level f */
                    const int nf = p->levels[f], m = nf / n;
                    const float *fv = w->sv + pl->out_offset[f] / C * ROI_CB;
                    const int32_t *fp = w->sp + pl->out_offset[f] / C * ROI_CB;
                    if (!nan_seen && roi_grid_max_nonan(fv, fp, (int64_t)(m * i) * nf + m * j,
                                                        nf, m, m, nv, ov, op))
                        continue;
                    const int64_t o0 = ((int64_t)(m * i) * nf + m * j) * ROI_CB;
                    for (int k = 0; k < nv; k++) {
                        av[k] = _mm256_load_ps(fv + o0 + 8 * k);
                        ap[k] = _mm256_load_si256((const __m256i *)(fp + o0 + 8 * k));
                    }
                    for (int a = 0; a < m; a++)
                        for (int b = a ? 0 : 1; b < m; b++) {
                            const int64_t o = ((int64_t)(m * i + a) * nf + m * j + b) * ROI_CB;
                            if (nan_seen)
                                for (int k = 0; k < nv; k++)
                                    ROI_MERGE(roi_better, av[k], ap[k], fv, fp, o + 8 * k);
                            else
                                for (int k = 0; k < nv; k++)
                                    ROI_MERGE(roi_better_nonan, av[k], ap[k], fv, fp, o + 8 * k);
                        }
                    for (int k = 0; k < nv; k++) {
                        _mm256_store_ps(ov + 8 * k, av[k]);
                        _mm256_store_si256((__m256i *)(op + 8 * k), ap[k]);
                    }
                    continue;
                }
                const int alo = w->lohi[2 * (ri + i)], ahi = w->lohi[2 * (ri + i) + 1];
                const int blo = w->lohi[2 * (ci + j)], bhi = w->lohi[2 * (ci + j) + 1];
                if (is_max) {
                    if (!nan_seen && roi_grid_max_nonan(w->bv, w->bp, (int64_t)alo * ncs + blo,
                                                        ncs, ahi - alo, bhi - blo, nv, ov, op))
                        continue;
                    const int64_t b0 = ((int64_t)alo * ncs + blo) * ROI_CB;
                    for (int k = 0; k < nv; k++) {
                        av[k] = _mm256_load_ps(w->bv + b0 + 8 * k);
                        ap[k] = _mm256_load_si256((const __m256i *)(w->bp + b0 + 8 * k));
                    }
                    for (int a = alo; a < ahi; a++)
                        for (int b = (a == alo ? blo + 1 : blo); b < bhi; b++) {
                            const int64_t o = ((int64_t)a * ncs + b) * ROI_CB;
                            if (nan_seen)
                                for (int k = 0; k < nv; k++)
                                    ROI_MERGE(roi_better, av[k], ap[k], w->bv, w->bp, o + 8 * k);
                            else
                                for (int k = 0; k < nv; k++)
                                    ROI_MERGE(roi_better_nonan, av[k], ap[k], w->bv, w->bp,
                                              o + 8 * k);
                        }
                    for (int k = 0; k < nv; k++) {
                        _mm256_store_ps(ov + 8 * k, av[k]);
                        _mm256_store_si256((__m256i *)(op + 8 * k), ap[k]);
                    }
                } else {
                    const __m256 div = _mm256_set1_ps(
                        spp_avg_grad_div(box_iv[ri + i], box_iv[ci + j]));
                    for (int k = 0; k < nv; k++) {
                        __m256 sum = _mm256_setzero_ps();
                        for (int a = alo; a < ahi; a++)
                            for (int b = blo; b < bhi; b++)
                                sum = _mm256_add_ps(sum, _mm256_load_ps(
                                    w->bv + ((int64_t)a * ncs + b) * ROI_CB + 8 * k));
                        _mm256_store_ps(ov + 8 * k, _mm256_div_ps(sum, div));
                    }
                }
            }
    }
    /* 3: canonical order into the region's staged row, level by level */
    for (int l = 0; l < p->nlevels; l++) {
        const int64_t boff = pl->out_offset[l] / C;
        roi_emit_level(pl, l, w->sv + boff * ROI_CB, ROI_CB, w->yst, c0, valid);
        if (want_argmax)
            roi_emit_level(pl, l, w->sp + boff * ROI_CB, ROI_CB, w->ast, c0, valid);
    }
}

#endif
