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
 * Max fast path (instruction count is what limits small planes): per row, per input level,
 *      a list of the bin rows holding the row and which of them start there (row_ent: a
 *      table built once per call for planes of <= 4096 rows, else computed per row); each
 *      column bin's row partial is merged at once into those bins (stays in registers), with
 *      bodies specialized for 1 or 2 bins per row and for uniform column widths 2 and 3;
 *      positions as column ids (a shared table of W vectors) plus h*W once per partial;
 *      coarse levels from a flat per-call program of source bins; blendv in asm (GCC
 *      otherwise adds a vpcmpgtd per blend).
 * Small planes, forward max with argmax (H*W <= 400, SC_MAX_HW): small_cells_avx2.h, the core
 *      shared with nhwc__fused_avx2: 16 planes transposed into a cell-major tile, row partials
 *      + row folds for the levels no finer level covers, the others merged from exact covers
 *      by finer bins (total-order merges), NaN probe -> exact rerun; same bits as below. Max
 *      without argmax, avg and backward keep the paths described here. Same-run A/B against
 *      the previous commit, 1 thread, medians of 2 interleaved rounds (spp-bench, 5
 *      repetitions): zf5-224 N=1 1.28x, N=64 1.35x, sppnet N=1 1.44x, N=64 1.31x, zf5-180
 *      1.31x, zf5-3lvl 1.77x, odd 1.51x. The figures below predate it.
 * Output: bins are transposed back 8 x 8 in registers, so each channel's bins are stored as
 *      contiguous vectors (a level of 1 bin: the lanes directly). Planes of <= 4 KiB: the next
 *      group's input is prefetched a slice per row (8 interleaved short streams defeat the
 *      hardware prefetchers).
 * Backward: per plane, zero it and add the outputs' gradients in output order (dy at argmax;
 *      dy/(float)divisor over the bin): dx bitwise equal to naive's (nchw_backward_planes; a
 *      max backward with dx >= 32 MiB zeroes dx with streaming stores first, then scatters).
 * Workspace: shared: the row_ent table (24 B per row and input level, H <= 4096), the coarse
 *      program, the column ids (32*W bytes); per thread, a row buffer (32*W bytes) and one
 *      group's bins (64 * sum(n^2) bytes).
 * Against naive (1 thread, preliminary): forward max 11-19x, avg 4.4-11x; backward (the
 *      shared per-plane one) 1.4-3x. Against the read-once bound (1 thread, preliminary, a
 *      loaded machine): ~1.1-1.5x on `large`, ~2.7x on vgg16-600, ~6-8x on zf5-224 N=64
 *      (8.5k instructions per group of 8 channels, 6.3 per input element; was 14.3k): 13x13
 *      planes with 50 bins per channel cost more in per-bin and transpose work (and in
 *      writing y and argmax, 60 % of the input's bytes) than in reading the input.
 * Measured (`make bench CONFIG=configs/paper.ini`, quiet machine, 2026-11-21, 1 thread):
 *      1.3x the bound on `large`, 3.1x on vgg16-600, 13x on zf5-224 N=64. The avg backward of
 *      planes up to 16x16 pools 8 planes at a time (nchw_small.h, as nchw__omp): the shared
 *      per-plane backward lost to naive on `odd` (7x5 planes, 0.87x), its per-plane setup
 *      costing more than naive's loop over 35 elements. */
#include <immintrin.h>
#include <omp.h>

#include "nchw_common.h"
#include "nchw_small.h"
#include "small_cells_avx2.h"

/* Per row, one level reduced from the input that pools it: its bins rows lo..lo+nb-1,
 * starting at float offset k0 of a group's bins (< 2^18); bit k of first: the row is bin
 * row lo+k's first. */
typedef struct { int32_t l, nb, lo, k0; uint64_t first; } row_ent;

/* Planes of at most this many rows get the row_ent lists as a table, built once per call;
 * taller ones compute them per group and row (bounded workspace). Overridable for tests. */
#ifndef FUSED_ROWTAB_MAX_ROWS
#define FUSED_ROWTAB_MAX_ROWS 4096
#endif

/* Levels reduced from the input, finest first (the order the schedule visits them). */
static int input_levels(const spp_plan *pl, const nchw_sched *s, int *inl)
{
    int nin = 0;
    for (int t = 0; t < pl->p.nlevels; t++)
        if (s->src[s->order[t]] < 0)
            inl[nin++] = s->order[t];
    return nin;
}

/* The row_ent list of row h (rows visited in increasing order; cur: a cursor per input
 * level, zero before row 0: the plan's interval starts and ends never decrease). */
static inline int row_entries(const spp_plan *pl, const nchw_sched *s, const int *inl, int nin,
                              int64_t h, int *cur, row_ent *ent)
{
    int nent = 0;
    for (int u = 0; u < nin; u++) {
        const int l = inl[u];
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        int a = cur[u];
        while (a < n && lv->rows[a].end <= h)
            a++;
        cur[u] = a;
        int z = a;
        uint64_t first = 0; /* z - a <= n <= 64 bits */
        while (z < n && lv->rows[z].start <= h) {
            first |= (uint64_t)(lv->rows[z].start == h) << (z - a);
            z++;
        }
        if (z > a) {
            ent[nent].l = l;
            ent[nent].nb = z - a;
            ent[nent].lo = a;
            ent[nent].k0 = (int32_t)((s->bin_off[l] + (int64_t)a * n) * 8);
            ent[nent].first = first;
            nent++;
        }
    }
    return nent;
}

typedef struct {
    size_t tab_off, cnt_off, cp_off, ci_off, shared; /* shared tables (one copy) */
    size_t v_off, p_off, slice;                      /* per thread */
    int64_t ncp;                                     /* int32s in the coarse program */
} fused_ws;

/* Coarse program length: per coarse bin, dst, count and the count source bins. */
static int64_t coarse_prog_len(const spp_plan *pl, const nchw_sched *s)
{
    int64_t len = 0;
    for (int l = 0; l < pl->p.nlevels; l++) {
        if (s->src[l] < 0)
            continue;
        const int n = pl->lv[l].n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                len += 2 + (int64_t)(s->rb[l][i] - s->ra[l][i] + 1) * (s->cb[l][j] - s->ca[l][j] + 1);
    }
    return len;
}

static fused_ws fused_layout(const spp_plan *pl)
{
    fused_ws f;
    nchw_sched s;
    nchw_sched_init(&s, pl);
    f.ncp = coarse_prog_len(pl, &s);
    int inl[SPP_MAX_LEVELS];
    const size_t nin = (size_t)input_levels(pl, &s, inl);
    const size_t H = pl->p.h <= FUSED_ROWTAB_MAX_ROWS ? (size_t)pl->p.h : 0;
    /* shared, written before the parallel region, read-only in it: the row_ent table (nin
     * per row) and its counts, if the plane is short enough; the coarse program (int32, at
     * most 2 + 127^2 per coarse bin); the column ids (W vectors) */
    f.tab_off = 0;
    f.cnt_off = nchw_align64(H * nin * sizeof(row_ent));
    f.cp_off = f.cnt_off + nchw_align64(H);
    f.ci_off = f.cp_off + nchw_align64((size_t)f.ncp * sizeof(int32_t));
    f.shared = f.ci_off + nchw_align64((size_t)pl->p.w * 8 * sizeof(int32_t)); /* column ids */
    f.v_off = nchw_align64((size_t)pl->p.w * 8 * sizeof(float));
    f.p_off = f.v_off + nchw_align64((size_t)pl->bins_per_channel * 8 * sizeof(float));
    f.slice = f.p_off + nchw_align64((size_t)pl->bins_per_channel * 8 * sizeof(int32_t));
    return f;
}

static size_t fused_workspace(const spp_plan *pl, int threads)
{
    const fused_ws f = fused_layout(pl);
    const size_t a = f.shared + (size_t)threads * f.slice, b = sc_workspace(pl, threads);
    return a > b ? a : b; /* either path (argmax is not known here) */
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

/* blendv(a, b, m): lane = sign of m ? b : a. In asm because GCC rewrites the intrinsic with a
 * compare mask as a select and rebuilds the mask with an extra vpcmpgtd per blend. */
static inline __m256 blendv(__m256 a, __m256 b, __m256 m)
{
    __m256 r;
    __asm__("vblendvps %3, %2, %1, %0" : "=x"(r) : "x"(a), "xm"(b), "x"(m));
    return r;
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
    return _mm256_castps_si256(blendv(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m));
}

/* Bins (nn vectors, lane k = channel k) -> out[k * nn + e] for k < valid: 8 bins at a time
 * transposed in registers. Moves 32-bit patterns only, so it serves y and argmax alike. */
static inline void store_bins(const float *A, void *outv, int64_t nn, int valid)
{
    float *out = (float *)outv; /* written only by vector stores and memcpy (may alias) */
    int64_t e0 = 0;
    if (nn == 1) { /* one bin per channel: the lanes are already in output order */
        if (valid == 8)
            _mm256_storeu_ps(out, _mm256_load_ps(A));
        else
            _mm256_maskstore_ps(out,
                                _mm256_cmpgt_epi32(_mm256_set1_epi32(valid),
                                                   _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)),
                                _mm256_load_ps(A));
        return;
    }
    for (; e0 + 8 <= nn; e0 += 8) {
        __m256 r[8];
        for (int k = 0; k < 8; k++)
            r[k] = _mm256_load_ps(A + (e0 + k) * 8);
        tr8(r);
        if (valid == 8)
            for (int k = 0; k < 8; k++)
                _mm256_storeu_ps(out + k * nn + e0, r[k]);
        else
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
        if (valid == 8)
            for (int k = 0; k < 8; k++)
                _mm256_maskstore_ps(out + k * nn + e0, mask, r[k]);
        else
            for (int k = 0; k < valid; k++)
                _mm256_maskstore_ps(out + k * nn + e0, mask, r[k]);
    } else {
        for (int e = 0; e < m; e++) {
            const __m256 v = _mm256_load_ps(A + (e0 + e) * 8);
            const __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
            float *o = out + e0 + e;
            /* lane k -> o[k * nn], a 32-bit pattern each */
            _mm_store_ss(o, lo);
            if (valid > 1) _mm_store_ss(o + nn, _mm_shuffle_ps(lo, lo, 1));
            if (valid > 2) _mm_store_ss(o + 2 * nn, _mm_shuffle_ps(lo, lo, 2));
            if (valid > 3) _mm_store_ss(o + 3 * nn, _mm_shuffle_ps(lo, lo, 3));
            if (valid > 4) _mm_store_ss(o + 4 * nn, hi);
            if (valid > 5) _mm_store_ss(o + 5 * nn, _mm_shuffle_ps(hi, hi, 1));
            if (valid > 6) _mm_store_ss(o + 6 * nn, _mm_shuffle_ps(hi, hi, 2));
            if (valid > 7) _mm_store_ss(o + 7 * nn, _mm_shuffle_ps(hi, hi, 3));
        }
    }
}

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

/* One specialized body per (bins holding the row, which of them start at it): the common
 * nb = 1 and nb = 2 cases without per-bin branches. */
static inline __attribute__((always_inline)) void
max_row(const col_bins *restrict cb, int n, int32_t hw, const float *restrict R,
        const int32_t *restrict CI, float *restrict A, int32_t *restrict P, int nb,
        uint64_t first, const int nan_rule)
{
#define MAX_ROW_W(nbc, f0, f1, uw) \
    max_row_v(cb, n, hw, R, CI, A, P, nb, first, nan_rule, nbc, f0, f1, uw)
    /* uniform widths 2 and 3 (adaptive levels 6 and 4 of 10..16 wide maps) unrolled; only
     * for rows without NaN, the common case, to bound the number of copies */
#define MAX_ROW_V(nbc, f0, f1)                                                                 \
    do {                                                                                       \
        if (!nan_rule && cb->uw == 3)                                                          \
            MAX_ROW_W(nbc, f0, f1, 3);                                                         \
        else if (!nan_rule && cb->uw == 2)                                                     \
            MAX_ROW_W(nbc, f0, f1, 2);                                                         \
        else                                                                                   \
            MAX_ROW_W(nbc, f0, f1, 0);                                                         \
    } while (0)
    if (nb == 1) {
        if (first & 1)
            MAX_ROW_V(1, 1, 0);
        else
            MAX_ROW_V(1, 0, 0);
    } else if (nb == 2) {
        switch (first & 3) {
        case 0: MAX_ROW_V(2, 0, 0); break;
        case 1: MAX_ROW_V(2, 1, 0); break;
        case 2: MAX_ROW_V(2, 0, 1); break;
        default: MAX_ROW_V(2, 1, 1); break;
        }
    } else {
        MAX_ROW_V(0, 0, 0);
    }
#undef MAX_ROW_W
#undef MAX_ROW_V
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

/* One group of 8 channels (c0..c0+7) of sample b. is_max is a compile-time constant at each
 * call site (always inlined), so the max and avg bodies are separate loops. */
static inline __attribute__((always_inline)) void
fused_group(const spp_plan *pl, const nchw_sched *s, int64_t b, int64_t c0, const float *x,
            float *y, int32_t *argmax, float *R, float *AV, int32_t *AP, const col_bins *cbs,
            const int32_t *CI, const int32_t *cp, int64_t ncp, const row_ent *tab,
            const unsigned char *tcnt,
            const char *next, int64_t next_bytes, int64_t pf_step, const int is_max)
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
    int group_nan = 0;
    int inl[SPP_MAX_LEVELS], cur[SPP_MAX_LEVELS] = {0};
    const int nin = input_levels(pl, s, inl);

    for (int64_t h = 0; h < H; h++) {
        /* the bins of each input level that hold row h: from the table, else computed */
        row_ent own[SPP_MAX_LEVELS];
        const row_ent *ent = own;
        int nent;
        if (tab) {
            ent = tab + h * nin;
            nent = tcnt[h];
        } else {
            nent = row_entries(pl, s, inl, nin, h, cur, own);
        }
        if (nent == 0)
            continue; /* a row no bin pools (sppnet) */

        /* the next group's input, a slice per row: its planes follow ours in memory, and
         * the hardware prefetchers do not follow 8 interleaved short streams well */
        {
            const int64_t o1 = (h + 1) * pf_step < next_bytes ? (h + 1) * pf_step : next_bytes;
            for (int64_t off = h * pf_step; off < o1; off += 64)
                _mm_prefetch(next + off, _MM_HINT_T0);
        }
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

        if (!is_max) {
            unsigned char lo[SPP_MAX_LEVELS] = {0}, hi[SPP_MAX_LEVELS] = {0}; /* n <= 64 */
            for (int t = 0; t < nent; t++) {
                lo[ent[t].l] = (unsigned char)ent[t].lo;
                hi[ent[t].l] = (unsigned char)(ent[t].lo + ent[t].nb);
            }
            avg_rows_into_bins(pl, s, h, R, AV, lo, hi);
        } else {
            const row_ent *e = ent;
            for (int t = 0; t < nent; t++)
                max_row(&cbs[e[t].l], pl->lv[e[t].l].n, (int32_t)(h * W), R, CI, AV + e[t].k0,
                        AP + e[t].k0, e[t].nb, e[t].first, row_nan);
        }
    }

    /* coarse levels from the finer bins covering them (finest first: sources are done) */
    if (is_max)
        coarse_max(cp, ncp, AV, AP, group_nan);
    for (int t = 0; t < L && !is_max; t++) {
        const int l = s->order[t], f = s->src[l];
        if (f < 0)
            continue;
        const int n = pl->lv[l].n, nf = pl->lv[f].n;
        const float *FV = AV + s->bin_off[f] * 8;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                __m256 sum = _mm256_setzero_ps();
                for (int fi = s->ra[l][i]; fi <= s->rb[l][i]; fi++)
                    for (int fj = s->ca[l][j]; fj <= s->cb[l][j]; fj++)
                        sum = _mm256_add_ps(sum, _mm256_load_ps(FV + ((int64_t)fi * nf + fj) * 8));
                _mm256_store_ps(AV + (s->bin_off[l] + (int64_t)i * n + j) * 8, sum);
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
    /* small planes: the cell-major core (small_cells_avx2.h) */
    if (argmax && sc_takes(pl) && sc_forward(pl, x, y, argmax, ex, SPP_MAX_LEVELS))
        return SPP_OK;
    const int64_t groups_per_sample = (p->c + 7) / 8, groups = p->n * groups_per_sample;
    const int64_t planes = p->n * p->c, HW = p->h * p->w;
    const fused_ws f = fused_layout(pl);
    const int is_max = p->pool == SPP_POOL_MAX;
    nchw_sched s;
    nchw_sched_init(&s, pl);
    /* the row_ent table (see fused_layout) */
    row_ent *tab = NULL;
    unsigned char *tcnt = NULL;
    if (p->h <= FUSED_ROWTAB_MAX_ROWS) {
        int inl[SPP_MAX_LEVELS], cur[SPP_MAX_LEVELS] = {0};
        const int nin = input_levels(pl, &s, inl);
        tab = (row_ent *)((char *)ex->workspace + f.tab_off);
        tcnt = (unsigned char *)ex->workspace + f.cnt_off;
        for (int64_t h = 0; h < p->h; h++)
            tcnt[h] = (unsigned char)row_entries(pl, &s, inl, nin, h, cur, tab + h * nin);
    }
    /* the coarse program (see coarse_max) */
    int32_t *cp = (int32_t *)((char *)ex->workspace + f.cp_off);
    {
        int64_t q = 0;
        for (int u = 0; u < p->nlevels; u++) {
            const int l = s.order[u], fl = s.src[l];
            if (fl < 0)
                continue;
            const int n = pl->lv[l].n, nf = pl->lv[fl].n;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    cp[q] = (int32_t)((s.bin_off[l] + (int64_t)i * n + j) * 8);
                    cp[q + 1] = (int32_t)((s.rb[l][i] - s.ra[l][i] + 1) * (s.cb[l][j] - s.ca[l][j] + 1));
                    q += 2;
                    for (int fi = s.ra[l][i]; fi <= s.rb[l][i]; fi++)
                        for (int fj = s.ca[l][j]; fj <= s.cb[l][j]; fj++)
                            cp[q++] = (int32_t)((s.bin_off[fl] + (int64_t)fi * nf + fj) * 8);
                }
        }
    }
    /* column w in all 8 lanes, per w (max positions: h*W + w) */
    int32_t *CI = (int32_t *)((char *)ex->workspace + f.ci_off);
    for (int64_t w = 0; w < p->w; w++)
        for (int k = 0; k < 8; k++)
            CI[w * 8 + k] = (int32_t)w;
    col_bins cbs[SPP_MAX_LEVELS];
    for (int l = 0; l < p->nlevels; l++)
        for (int j = 0; j < pl->lv[l].n; j++) {
            cbs[l].qs[j] = (int32_t)pl->lv[l].cols[j].start;
            cbs[l].qn[j] = (int32_t)(pl->lv[l].cols[j].end - pl->lv[l].cols[j].start);
        }
    for (int l = 0; l < p->nlevels; l++) {
        int32_t uw = cbs[l].qn[0];
        for (int j = 1; j < pl->lv[l].n; j++)
            if (cbs[l].qn[j] != uw)
                uw = 0;
        cbs[l].uw = uw == 2 || uw == 3 ? uw : 0;
    }
    /* prefetch slice per row: the next group's bytes spread over the H rows, whole lines */
    const int64_t pf_bytes = 8 * HW * (int64_t)sizeof(float);
    const int64_t pf_step = (pf_bytes / p->h + 63) / 64 * 64;
#pragma omp parallel num_threads(ex->threads) if (ex->threads > 1)
    {
        char *ws = (char *)ex->workspace + f.shared + (size_t)omp_get_thread_num() * f.slice;
        float *R = (float *)ws, *AV = (float *)(ws + f.v_off);
        int32_t *AP = (int32_t *)(ws + f.p_off);
#pragma omp for schedule(static)
        for (int64_t g = 0; g < groups; g++) {
            const int64_t b = g / groups_per_sample, c0 = g % groups_per_sample * 8;
            /* planes of group g + 1 (when it is in this thread's static chunk, it is next) */
            const int64_t n0 = b * p->c + c0 + 8 < planes ? b * p->c + c0 + 8 : planes;
            const int64_t n1 = n0 + 8 < planes ? n0 + 8 : planes;
            const char *next = (const char *)(x + n0 * HW);
            /* long planes stream well by themselves; prefetch only short ones (prefetching
             * `large`'s 16 KiB planes too: 1.28x the time at 1 thread, 1.24x at 2) */
            const int64_t nb = HW * (int64_t)sizeof(float) <= 4096 ? (n1 - n0) * HW * (int64_t)sizeof(float) : 0;
            if (is_max)
                fused_group(pl, &s, b, c0, x, y, argmax, R, AV, AP, cbs, CI, cp, f.ncp, tab, tcnt, next, nb, pf_step, 1);
            else
                fused_group(pl, &s, b, c0, x, y, argmax, R, AV, AP, cbs, CI, cp, f.ncp, tab, tcnt, next, nb, pf_step, 0);
        }
    }
    return SPP_OK;
}

static spp_status fused_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                                 float *dx, const spp_exec *ex)
{
    nchw_backward(pl, dy, argmax, dx, ex->threads);
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
