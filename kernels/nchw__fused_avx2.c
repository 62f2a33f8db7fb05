/* nchw__fused_avx2: the single-pass pyramid for NCHW, 8 channels per AVX2 vector, OpenMP.
 *
 * Layout: nchw only. Pools: max and avg. Conventions: all three, from the plan.
 * ISA: AVX2 + FMA (checked at run time by spp_forward; SPP_ERR_ISA otherwise).
 * Data flow: channels go to the vector lanes. For a group of 8 channel planes of one sample,
 *      each input row is loaded once (8 rows of 8 columns, transposed in registers, the column
 *      tail by masked loads: nothing outside the tensor is read) into a row buffer of W
 *      vectors, one vector per column holding 8 channels. Every level reduced from the input
 *      takes its column bins from that buffer (row partials) and merges them into the bins
 *      whose row interval holds the row: the separable rectangle reduction, valid for every
 *      convention. Levels whose bins are exactly covered by runs of finer bins (checked from
 *      the plan per level pair at run time, nchw_sched_init; e.g. adaptive 13 with 6 -> 3 -> 1)
 *      are merged from the finer level's finished bins instead. All vertical ops: no lane
 *      crosses, so 8 channels behave exactly like 8 scalar runs. Channel tail (C % 8): the
 *      missing lanes re-read the last channel's plane and their outputs are not stored.
 * Parallel split: `omp for schedule(static)` over (sample, group of 8 channels); each group is
 *      computed from its own planes in a fixed order, so results are bitwise identical for
 *      every thread count. Backward: each thread owns whole dx planes (zero, then add): no
 *      races, no atomics.
 * Max: per lane a (value, position) pair. Row partials scan columns in increasing order and
 *      rows merge in increasing order, so update = (v > best) | isnan(v): strict > keeps the
 *      first maximum (-0.0 == +0.0 is not greater, so the first zero stays), a NaN best is
 *      never replaced by a number (ordered compare is false) but a later NaN replaces it (last
 *      NaN wins), all -inf keeps the first element. A row whose lanes hold no NaN (probed
 *      with a sum while loading; inf - inf only sends the row down the general path) uses
 *      v > best alone. Merging finer bins (positions not ordered) uses the full total order
 *      of spp_max_better in vector form:
 *      (v > b) | (v == b & p < bp) | (isnan v & (!isnan b | p > bp)),
 *      without the NaN terms when no row of the group held a NaN.
 *      y and argmax are bitwise equal to naive. Avg: float sums (row partials, rows, finer
 *      bins) in a fixed order, divided in double by the product of the axis divisors; within
 *      SPEC's bound for any summation order.
 * Output: bins are transposed back 8 x 8 in registers, so each channel's bins are stored as
 *      contiguous vectors. Planes of <= 4 KiB: the next group's input is prefetched a slice
 *      per row (8 interleaved short streams defeat the hardware prefetchers).
 * Backward: per plane, zero it and add the outputs' gradients in output order (dy at argmax;
 *      dy/(float)divisor over the bin): dx bitwise equal to naive's (nchw_backward_planes; a
 *      max backward with dx >= 32 MiB zeroes dx with streaming stores first, then scatters).
 * Workspace: per thread, a row buffer (32*W bytes) and one group's bins (64 * sum(n^2) bytes).
 * Against naive (1 thread, preliminary): forward max 11-19x, avg 4.4-11x; backward (the
 *      shared per-plane one) 1.4-3x. Margin smallest for C < 8 (idle lanes: a 1-channel map
 *      does 8x the vector work it needs; 2.2x on n1c1h64w64) and for avg with overlapping
 *      levels (each reduced from the rows). Against the read-once bound (1 thread): ~1.5x on
 *      `large`, ~3x on vgg16-600, ~12x on zf5-224 N=64: 13x13 planes with 50 bins per channel
 *      cost more in per-bin and transpose work (and in writing y and argmax, 60 % of the
 *      input's bytes) than in reading the input. */
#include <immintrin.h>
#include <omp.h>

#include "nchw_common.h"

typedef struct { size_t v_off, p_off, slice; } fused_ws;

static fused_ws fused_layout(const spp_plan *pl)
{
    fused_ws f;
    f.v_off = nchw_align64((size_t)pl->p.w * 8 * sizeof(float));
    f.p_off = f.v_off + nchw_align64((size_t)pl->bins_per_channel * 8 * sizeof(float));
    f.slice = f.p_off + nchw_align64((size_t)pl->bins_per_channel * 8 * sizeof(int32_t));
    return f;
}

static size_t fused_workspace(const spp_plan *pl, int threads)
{
    return (size_t)threads * fused_layout(pl).slice;
}

static inline void tr8(__m256 *r)
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* (v, p) later in row-major order than (b, bp): replace if v > b or v is NaN. */
static inline __m256 upd_later(__m256 v, __m256 b)
{
    return _mm256_or_ps(_mm256_cmp_ps(v, b, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* Full (value, position) order of spp_max_better, per lane. */
static inline __m256 upd_any(__m256 v, __m256i p, __m256 b, __m256i bp)
{
    const __m256 nv = _mm256_cmp_ps(v, v, _CMP_UNORD_Q), nb = _mm256_cmp_ps(b, b, _CMP_UNORD_Q);
    const __m256 gt = _mm256_cmp_ps(v, b, _CMP_GT_OQ), eq = _mm256_cmp_ps(v, b, _CMP_EQ_OQ);
    const __m256 plt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(bp, p));
    const __m256 pgt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(p, bp));
    return _mm256_or_ps(_mm256_or_ps(gt, _mm256_and_ps(eq, plt)),
                        _mm256_or_ps(_mm256_andnot_ps(nb, nv), _mm256_and_ps(nv, pgt)));
}

/* The same order when neither side is NaN. */
static inline __m256 upd_any_nonan(__m256 v, __m256i p, __m256 b, __m256i bp)
{
    const __m256 plt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(bp, p));
    return _mm256_or_ps(_mm256_cmp_ps(v, b, _CMP_GT_OQ),
                        _mm256_and_ps(_mm256_cmp_ps(v, b, _CMP_EQ_OQ), plt));
}

/* Pairwise sum of 8 vectors: NaN if any lane of any input is NaN (or on inf - inf, which
 * only sends a row down the general path). */
static inline __m256 nan_probe(const __m256 *r)
{
    return _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(r[0], r[1]), _mm256_add_ps(r[2], r[3])),
                         _mm256_add_ps(_mm256_add_ps(r[4], r[5]), _mm256_add_ps(r[6], r[7])));
}

static inline int any_nan(__m256 v)
{
    return !_mm256_testz_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

static inline __m256i blend_i(__m256i a, __m256i b, __m256 m)
{
    return _mm256_castps_si256(
        _mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m));
}

/* Bins (nn vectors, lane k = channel k) -> out[k * nn + e] for k < valid: 8 bins at a time
 * transposed in registers. Moves 32-bit patterns only, so it serves y and argmax alike. */
static inline void store_bins(const float *A, void *outv, int64_t nn, int valid)
{
    float *out = (float *)outv; /* written only by vector stores and memcpy (may alias) */
    int64_t e0 = 0;
    for (; e0 + 8 <= nn; e0 += 8) {
        __m256 r[8];
        for (int k = 0; k < 8; k++)
            r[k] = _mm256_load_ps(A + (e0 + k) * 8);
        tr8(r);
        for (int k = 0; k < valid; k++)
            _mm256_storeu_ps(out + k * nn + e0, r[k]);
    }
    const int m = (int)(nn - e0);
    if (m >= 3) {
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(m),
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 r[8];
        for (int k = 0; k < 8; k++)
            r[k] = k < m ? _mm256_load_ps(A + (e0 + k) * 8) : _mm256_setzero_ps();
        tr8(r);
        for (int k = 0; k < valid; k++)
            _mm256_maskstore_ps(out + k * nn + e0, mask, r[k]);
    } else {
        for (int k = 0; k < valid; k++)
            for (int e = 0; e < m; e++)
                memcpy(out + k * nn + e0 + e, A + (e0 + e) * 8 + k, sizeof(float));
    }
}

/* Row h (in R) into the bins of every level reduced from the input that hold it. is_max and
 * nan_rule are compile-time constants at each call site; nan_rule = 0 only for a row without
 * NaN, where the update rule (v > best) | isnan(v) reduces to v > best. */
static inline __attribute__((always_inline)) void
rows_into_bins(const spp_plan *pl, const nchw_sched *s, int64_t h, const float *R, float *AV,
               int32_t *AP, const int *lo, const int *hi, const int is_max, const int nan_rule)
{
    const int L = pl->p.nlevels;
    const int64_t W = pl->p.w;
    __m256 PV[SPP_MAX_LEVEL];
    __m256i PP[SPP_MAX_LEVEL];
    for (int t = 0; t < L; t++) {
        const int l = s->order[t];
        if (hi[l] == lo[l])
            continue;
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        for (int j = 0; j < n; j++) {
            const spp_interval q = lv->cols[j];
            __m256 best = _mm256_load_ps(R + q.start * 8);
            if (is_max) {
                const __m256i one = _mm256_set1_epi32(1);
                __m256i pos = _mm256_set1_epi32((int32_t)(h * W + q.start)), bp = pos;
                for (int64_t w = q.start + 1; w < q.end; w++) {
                    const __m256 v = _mm256_load_ps(R + w * 8);
                    pos = _mm256_add_epi32(pos, one);
                    const __m256 u =
                        nan_rule ? upd_later(v, best) : _mm256_cmp_ps(v, best, _CMP_GT_OQ);
                    best = _mm256_blendv_ps(best, v, u);
                    bp = blend_i(bp, pos, u);
                }
                PP[j] = bp;
            } else {
                for (int64_t w = q.start + 1; w < q.end; w++)
                    best = _mm256_add_ps(best, _mm256_load_ps(R + w * 8));
            }
            PV[j] = best;
        }
        for (int i = lo[l]; i < hi[l]; i++) {
            float *A = AV + (s->bin_off[l] + (int64_t)i * n) * 8;
            int32_t *P = AP + (s->bin_off[l] + (int64_t)i * n) * 8;
            if (h == lv->rows[i].start) {
                for (int j = 0; j < n; j++) {
                    _mm256_store_ps(A + j * 8, PV[j]);
                    if (is_max)
                        _mm256_store_si256((__m256i *)(P + j * 8), PP[j]);
                }
            } else if (is_max) {
                for (int j = 0; j < n; j++) {
                    const __m256 a = _mm256_load_ps(A + j * 8);
                    const __m256i ap = _mm256_load_si256((const __m256i *)(P + j * 8));
                    const __m256 u = nan_rule ? upd_later(PV[j], a)
                                             : _mm256_cmp_ps(PV[j], a, _CMP_GT_OQ);
                    _mm256_store_ps(A + j * 8, _mm256_blendv_ps(a, PV[j], u));
                    _mm256_store_si256((__m256i *)(P + j * 8), blend_i(ap, PP[j], u));
                }
            } else {
                for (int j = 0; j < n; j++)
                    _mm256_store_ps(A + j * 8,
                                    _mm256_add_ps(_mm256_load_ps(A + j * 8), PV[j]));
            }
        }
    }
}

/* One group of 8 channels (c0..c0+7) of sample b. is_max is a compile-time constant at each
 * call site (always inlined), so the max and avg bodies are separate loops. */
static inline __attribute__((always_inline)) void
fused_group(const spp_plan *pl, const nchw_sched *s, int64_t b, int64_t c0, const float *x,
            float *y, int32_t *argmax, float *R, float *AV, int32_t *AP, const char *next,
            int64_t next_bytes, const int is_max)
{
    const spp_problem *p = &pl->p;
    const int64_t H = p->h, W = p->w, C = p->c;
    const int L = p->nlevels;
    const int valid = C - c0 < 8 ? (int)(C - c0) : 8;
    const float *pk[8];
    for (int k = 0; k < 8; k++)
        pk[k] = x + (b * C + (c0 + k < C ? c0 + k : C - 1)) * H * W;
    const int64_t wfull = W / 8 * 8;
    const int rem = (int)(W - wfull);
    const __m256i tailmask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    int ilo[SPP_MAX_LEVELS] = {0}, group_nan = 0;

    for (int64_t h = 0; h < H; h++) {
        /* bins holding row h, per level reduced from the input: [lo, hi) */
        int lo[SPP_MAX_LEVELS], hi[SPP_MAX_LEVELS], any = 0;
        for (int l = 0; l < L; l++) {
            lo[l] = hi[l] = 0;
            if (s->src[l] >= 0)
                continue;
            const spp_level_plan *lv = &pl->lv[l];
            int a = ilo[l];
            while (a < lv->n && lv->rows[a].end <= h)
                a++;
            ilo[l] = lo[l] = hi[l] = a;
            while (hi[l] < lv->n && lv->rows[hi[l]].start <= h)
                hi[l]++;
            any |= hi[l] > lo[l];
        }
        if (!any)
            continue; /* a row no bin pools (sppnet) */

        /* the next group's input, a slice per row: its planes follow ours in memory, and
         * the hardware prefetchers do not follow 8 interleaved short streams well */
        for (int64_t off = next_bytes * h / H; off < next_bytes * (h + 1) / H; off += 64)
            _mm_prefetch(next + off, _MM_HINT_T0);
        /* row h of the 8 planes -> R[w*8 + lane]; probe for NaN on the way */
        __m256 probe = _mm256_setzero_ps();
        for (int64_t w0 = 0; w0 < wfull; w0 += 8) {
            __m256 r[8];
            for (int k = 0; k < 8; k++)
                r[k] = _mm256_loadu_ps(pk[k] + h * W + w0);
            if (is_max)
                probe = _mm256_add_ps(probe, nan_probe(r));
            tr8(r);
            for (int k = 0; k < 8; k++)
                _mm256_store_ps(R + (w0 + k) * 8, r[k]);
        }
        if (rem) {
            __m256 r[8];
            for (int k = 0; k < 8; k++)
                r[k] = _mm256_maskload_ps(pk[k] + h * W + wfull, tailmask);
            if (is_max)
                probe = _mm256_add_ps(probe, nan_probe(r));
            tr8(r);
            for (int k = 0; k < rem; k++)
                _mm256_store_ps(R + (wfull + k) * 8, r[k]);
        }
        /* no NaN in the row: the update rule reduces to v > best */
        const int row_nan = is_max && any_nan(probe);
        group_nan |= row_nan;

        if (!is_max)
            rows_into_bins(pl, s, h, R, AV, AP, lo, hi, 0, 0);
        else if (row_nan)
            rows_into_bins(pl, s, h, R, AV, AP, lo, hi, 1, 1);
        else
            rows_into_bins(pl, s, h, R, AV, AP, lo, hi, 1, 0);
    }

    /* coarse levels from the finer bins covering them (finest first: sources are done) */
    for (int t = 0; t < L; t++) {
        const int l = s->order[t], f = s->src[l];
        if (f < 0)
            continue;
        const int n = pl->lv[l].n, nf = pl->lv[f].n;
        const float *FV = AV + s->bin_off[f] * 8;
        const int32_t *FP = AP + s->bin_off[f] * 8;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                const int64_t k0 = ((int64_t)s->ra[l][i] * nf + s->ca[l][j]) * 8;
                __m256 best = _mm256_load_ps(FV + k0);
                __m256i bp = _mm256_load_si256((const __m256i *)(FP + k0));
                if (!is_max)
                    best = _mm256_setzero_ps();
                for (int fi = s->ra[l][i]; fi <= s->rb[l][i]; fi++)
                    for (int fj = s->ca[l][j]; fj <= s->cb[l][j]; fj++) {
                        const int64_t k = ((int64_t)fi * nf + fj) * 8;
                        const __m256 v = _mm256_load_ps(FV + k);
                        if (is_max) {
                            const __m256i pv = _mm256_load_si256((const __m256i *)(FP + k));
                            const __m256 u = group_nan ? upd_any(v, pv, best, bp)
                                                       : upd_any_nonan(v, pv, best, bp);
                            best = _mm256_blendv_ps(best, v, u);
                            bp = blend_i(bp, pv, u);
                        } else {
                            best = _mm256_add_ps(best, v);
                        }
                    }
                const int64_t k = (s->bin_off[l] + (int64_t)i * n + j) * 8;
                _mm256_store_ps(AV + k, best);
                if (is_max)
                    _mm256_store_si256((__m256i *)(AP + k), bp);
            }
    }

    /* bins -> y (and argmax): lane k is channel c0 + k. For avg, the division first (one
     * divisor per bin for all lanes; in double, as (float)((double)sum / divisor)). */
    for (int l = 0; l < L; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n, nn = n * n;
        float *A = AV + s->bin_off[l] * 8;
        const int64_t o = b * pl->out_per_sample + lv->out_offset + c0 * nn;
        if (!is_max)
            for (int e = 0; e < nn; e++) {
                const __m256d d = _mm256_set1_pd((double)(lv->rows[e / n].div * lv->cols[e % n].div));
                const __m256 v = _mm256_load_ps(A + e * 8);
                const __m128 lo = _mm256_cvtpd_ps(_mm256_div_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), d));
                const __m128 hi = _mm256_cvtpd_ps(_mm256_div_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), d));
                _mm256_store_ps(A + e * 8, _mm256_set_m128(hi, lo));
            }
        store_bins(A, y + o, nn, valid);
        if (is_max && argmax)
            store_bins((const float *)(AP + s->bin_off[l] * 8), argmax + o, nn, valid);
    }
}

static spp_status fused_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                                const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t groups_per_sample = (p->c + 7) / 8, groups = p->n * groups_per_sample;
    const int64_t planes = p->n * p->c, HW = p->h * p->w;
    const fused_ws f = fused_layout(pl);
    const int is_max = p->pool == SPP_POOL_MAX;
    nchw_sched s;
    nchw_sched_init(&s, pl);
#pragma omp parallel num_threads(ex->threads) if (ex->threads > 1)
    {
        char *ws = (char *)ex->workspace + (size_t)omp_get_thread_num() * f.slice;
        float *R = (float *)ws, *AV = (float *)(ws + f.v_off);
        int32_t *AP = (int32_t *)(ws + f.p_off);
#pragma omp for schedule(static)
        for (int64_t g = 0; g < groups; g++) {
            const int64_t b = g / groups_per_sample, c0 = g % groups_per_sample * 8;
            /* planes of group g + 1 (when it is in this thread's static chunk, it is next) */
            const int64_t n0 = b * p->c + c0 + 8 < planes ? b * p->c + c0 + 8 : planes;
            const int64_t n1 = n0 + 8 < planes ? n0 + 8 : planes;
            const char *next = (const char *)(x + n0 * HW);
            /* long planes stream well by themselves; prefetch only short ones */
            const int64_t nb = HW * (int64_t)sizeof(float) <= 4096 ? (n1 - n0) * HW * (int64_t)sizeof(float) : 0;
            if (is_max)
                fused_group(pl, &s, b, c0, x, y, argmax, R, AV, AP, next, nb, 1);
            else
                fused_group(pl, &s, b, c0, x, y, argmax, R, AV, AP, next, nb, 0);
        }
    }
    return SPP_OK;
}

static spp_status fused_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                                 float *dx, const spp_exec *ex)
{
    nchw_backward_planes(pl, dy, argmax, dx, ex->threads);
    return SPP_OK;
}

const spp_kernel spp_kernel_nchw__fused_avx2 = {
    .name = "nchw__fused_avx2",
    .layouts = SPP_LAYOUT_BIT(SPP_LAYOUT_NCHW),
    .isa = SPP_ISA_AVX2,
    .threaded = 1,
    .summary = "single pass, 8 channels per AVX2 vector, separable bins, nested levels merged",
    .forward = fused_forward,
    .backward = fused_backward,
    .workspace_size = fused_workspace,
};
