/* nchw_fused_bins_avx2.h: how the NCHW fused kernels' 8-lane row paths fill one group's bins
 * (nchw_fused.h, in builds with -mavx2 -mfma or wider). Not a kernel.
 *
 * Input: the row buffer R of input row h (column w of the group's 8 planes at R[w*8]).
 * Avg (avg_rows_into_bins): per level reduced from the input, the row's column sums (row
 * partials) are stored into the bin rows that start at h and added to the others.
 * Max (max_row): per column bin, the row partial (value and column, columns in increasing
 * order) stays in registers and is merged at once into every bin row that holds h: stored
 * where the bin starts at h, else merged under upd_later (v > best alone for a row without
 * NaN). Positions are column ids (a shared table of W vectors) plus h*W, added once per
 * partial. The bodies are specialised at compile time for 1 or 2 bin rows per input row (with
 * their first-row flags) and for uniform column widths 2 and 3 (rows without NaN only, which
 * bounds the number of copies).
 * coarse_max: the levels merged from finer finished bins, by a flat per-call program (per
 * coarse bin: its float offset, the count, the sources' float offsets; sources come before
 * their users), under the full (value, position) order, since positions are not in scan order
 * across fine bins; without the NaN terms when no row of the group held a NaN. */
#ifndef NCHW_FUSED_BINS_AVX2_H
#define NCHW_FUSED_BINS_AVX2_H

#include <immintrin.h>

#include "nchw_common.h"
#include "nchw_fused_vec_avx2.h"


/* Avg: row h (in R) into the bins of every level reduced from the input that hold it: row
 * partials (column sums), then added to the bins (stored at a bin's first row). */
static inline void avg_rows_into_bins(const spp_plan *pl, const nchw_sched *s, int64_t h,
                                      const float *R, float *AV, const unsigned char *lo,
                                      const unsigned char *hi)
{
    const int L = pl->p.nlevels;
    __m256 PV[SPP_MAX_LEVEL];
    for (int t = 0; t < L; t++) {
        const int l = s->order[t];
        if (hi[l] == lo[l])
            continue;
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        for (int j = 0; j < n; j++) {
            const spp_interval q = lv->cols[j];
            __m256 sum = _mm256_load_ps(R + q.start * 8);
            for (int64_t w = q.start + 1; w < q.end; w++)
                sum = _mm256_add_ps(sum, _mm256_load_ps(R + w * 8));
            PV[j] = sum;
        }
        for (int i = lo[l]; i < hi[l]; i++) {
            float *A = AV + (s->bin_off[l] + (int64_t)i * n) * 8;
            if (h == lv->rows[i].start)
                for (int j = 0; j < n; j++)
                    _mm256_store_ps(A + j * 8, PV[j]);
            else
                for (int j = 0; j < n; j++)
                    _mm256_store_ps(A + j * 8, _mm256_add_ps(_mm256_load_ps(A + j * 8), PV[j]));
        }
    }
}

/* Column bins of one level, compact (copied from the plan once per call). */
typedef struct {
    int32_t qs[SPP_MAX_LEVEL], qn[SPP_MAX_LEVEL];
    int32_t uw; /* 2 or 3 when every column bin has that width (unrolled code), else 0 */
} col_bins;

/* (v, p) into a bin: store when it is the bin's first row, else merge (later rows). */
static inline __attribute__((always_inline)) void
merge_bin(float *A, int32_t *P, __m256 v, __m256i p, int first, const int nan_rule)
{
    if (first) {
        _mm256_store_ps(A, v);
        _mm256_store_si256((__m256i *)P, p);
    } else {
        const __m256 a = _mm256_load_ps(A);
        const __m256 u = (nan_rule ? upd_later(v, a) : _mm256_cmp_ps(v, a, _CMP_GT_OQ));
        _mm256_store_ps(A, blendv(a, v, u));
        _mm256_store_si256((__m256i *)P, blend_i(_mm256_load_si256((const __m256i *)P), p, u));
    }
}

/* Max: row h (in R) into the nb bin rows of one level that hold it (A, P: the first of them;
 * bin row k is the first row of its bin when bit k of first is set). Per column bin j the row
 * partial (columns in increasing order), merged at once into the bins: it stays in registers.
 */
static inline __attribute__((always_inline)) void
max_row_v(const col_bins *restrict cb, int n, int32_t hw, const float *restrict R,
          const int32_t *restrict CI, float *restrict A, int32_t *restrict P, int nb,
          uint64_t first, const int nan_rule, const int nbc, const int f0, const int f1,
          const int uw)
{
    const __m256i hwv = _mm256_set1_epi32(hw);
    for (int j = 0; j < n; j++) {
        const int32_t qs = cb->qs[j], qn = uw ? uw : cb->qn[j];
        const float *r = R + (int64_t)qs * 8;
        const int32_t *ci = CI + (int64_t)qs * 8; /* ci[w*8..]: column qs + w in every lane */
        __m256 best = _mm256_load_ps(r);
        __m256i bc = _mm256_load_si256((const __m256i *)ci); /* column of the best */
#define MAX_ROW_STEP(w)                                                                        \
    do {                                                                                       \
        const __m256 v = _mm256_load_ps(r + (w) * 8);                                          \
        const __m256 u = (nan_rule ? upd_later(v, best) : _mm256_cmp_ps(v, best, _CMP_GT_OQ)); \
        best = blendv(best, v, u);                                                   \
        bc = blend_i(bc, _mm256_load_si256((const __m256i *)(ci + (w) * 8)), u);               \
    } while (0)
        /* widths are small: the first three steps unrolled */
        if (qn > 1)
            MAX_ROW_STEP(1);
        if (qn > 2)
            MAX_ROW_STEP(2);
        if (qn > 3)
            MAX_ROW_STEP(3);
        for (int32_t w = 4; !uw && w < qn; w++)
            MAX_ROW_STEP(w);
#undef MAX_ROW_STEP
        const __m256i bp = _mm256_add_epi32(bc, hwv);
        float *a = A + j * 8;
        int32_t *p = P + j * 8;
        if (nbc) { /* nb == nbc (1 or 2), first-row flags f0, f1: compile-time */
            merge_bin(a, p, best, bp, f0, nan_rule);
            if (nbc > 1)
                merge_bin(a + n * 8, p + n * 8, best, bp, f1, nan_rule);
        } else {
            for (int k = 0; k < nb; k++)
                merge_bin(a + k * n * 8, p + k * n * 8, best, bp, (first >> k) & 1, nan_rule);
        }
    }
}

/* The compile-time forms of a row body W(nbc, f0, f1, uw), one per (bin rows holding the
 * row: 1, 2 or more; which of them start at it) and, for rows without NaN (exact false), per
 * uniform column width 2 or 3 (adaptive levels 6 and 4 of 10..16 wide maps), the common cases
 * without per-bin branches; the NaN rule keeps the generic width to bound the number of
 * copies. Shared by the 8-lane max_row and the 16-lane r16_max_row (nchw_fused_rows16.h). */
#define NCHW_ROW_FORMS(W, nb, first, uwc, exact)                                               \
    do {                                                                                       \
        const int uw_ = (exact) ? 0 : (uwc);                                                   \
        if ((nb) == 1) {                                                                       \
            if ((first) & 1)                                                                   \
                NCHW_ROW_WIDTHS(W, uw_, 1, 1, 0);                                              \
            else                                                                               \
                NCHW_ROW_WIDTHS(W, uw_, 1, 0, 0);                                              \
        } else if ((nb) == 2) {                                                                \
            switch ((first) & 3) {                                                             \
            case 0: NCHW_ROW_WIDTHS(W, uw_, 2, 0, 0); break;                                   \
            case 1: NCHW_ROW_WIDTHS(W, uw_, 2, 1, 0); break;                                   \
            case 2: NCHW_ROW_WIDTHS(W, uw_, 2, 0, 1); break;                                   \
            default: NCHW_ROW_WIDTHS(W, uw_, 2, 1, 1); break;                                  \
            }                                                                                  \
        } else {                                                                               \
            NCHW_ROW_WIDTHS(W, uw_, 0, 0, 0);                                                  \
        }                                                                                      \
    } while (0)
#define NCHW_ROW_WIDTHS(W, uw, nbc, f0, f1)                                                    \
    do {                                                                                       \
        if ((uw) == 3)                                                                         \
            W(nbc, f0, f1, 3);                                                                 \
        else if ((uw) == 2)                                                                    \
            W(nbc, f0, f1, 2);                                                                 \
        else                                                                                   \
            W(nbc, f0, f1, 0);                                                                 \
    } while (0)

/* Max: row h into the bins of one level, in the form NCHW_ROW_FORMS picks. */
static inline __attribute__((always_inline)) void
max_row(const col_bins *restrict cb, int n, int32_t hw, const float *restrict R,
        const int32_t *restrict CI, float *restrict A, int32_t *restrict P, int nb,
        uint64_t first, const int nan_rule)
{
#define MAX_ROW_W(nbc, f0, f1, uw) \
    max_row_v(cb, n, hw, R, CI, A, P, nb, first, nan_rule, nbc, f0, f1, uw)
    NCHW_ROW_FORMS(MAX_ROW_W, nb, first, cb->uw, nan_rule);
#undef MAX_ROW_W
}

/* Max: the coarse levels from finer finished bins, as a flat program (per coarse bin: float
 * offset of the bin, count, float offsets of the source bins; coarse levels after their
 * sources). Merged under the full (value, position) order: positions are not in scan order
 * across fine bins. Not inlined: keeps its state in registers. */
static __attribute__((noinline)) void
coarse_max(const int32_t *restrict cp, int64_t ncp, float *restrict AV, int32_t *restrict AP,
           int nan)
{
    const int32_t *const end = cp + ncp;
    while (cp < end) {
        const int32_t dst = cp[0], cnt = cp[1];
        const int32_t *src = cp + 2;
        __m256 best = _mm256_load_ps(AV + src[0]);
        __m256i bp = _mm256_load_si256((const __m256i *)(AP + src[0]));
        for (int32_t m = 1; m < cnt; m++) {
            const __m256 v = _mm256_load_ps(AV + src[m]);
            const __m256i pv = _mm256_load_si256((const __m256i *)(AP + src[m]));
            const __m256 u =
                (nan ? upd_any(v, pv, best, bp) : upd_any_nonan(v, pv, best, bp));
            best = blendv(best, v, u);
            bp = blend_i(bp, pv, u);
        }
        _mm256_store_ps(AV + dst, best);
        _mm256_store_si256((__m256i *)(AP + dst), bp);
        cp = src + cnt;
    }
}

#endif
