/* nchw_fused_vec_avx2.h: the 8-lane vocabulary of the NCHW fused kernels' AVX2 paths
 * (nchw_fused.h, in builds with -mavx2 -mfma or wider). Not a kernel.
 *
 * Lane k holds channel c0 + k of a group. Every operation is vertical except the 8x8
 * transposes, so 8 channels behave exactly like 8 scalar runs. tr8: 8x8 transpose in registers.
 * blendv: in asm, because GCC rewrites the intrinsic with a compare mask as a select and
 * rebuilds the mask with an extra vpcmpgtd per blend. The max order of docs/spec.md#3-max-and-avg
 * per lane: upd_later for an element later in row-major order ((v > b) | isnan v: first
 * maximum, -0.0 == +0.0 keeps the first, a NaN best is replaced only by a later NaN);
 * upd_any for spp_max_better's full (value, position) order,
 *      (v > b) | (v == b & p < bp) | (isnan v & (!isnan b | p > bp));
 * upd_any_nonan for the same order when neither side is NaN. nan_probe and any_nan: a pairwise
 * sum of a row's vectors is NaN if any lane of any input is (inf - inf is NaN too, which only
 * sends a row down the general path). store_bins: a level's bins back to the channel-major
 * output, 8 bins per transpose, the channel tail and bin tail masked; it moves 32-bit patterns
 * only, so it serves y and argmax alike. */
#ifndef NCHW_FUSED_VEC_AVX2_H
#define NCHW_FUSED_VEC_AVX2_H

#include <immintrin.h>
#include <stdint.h>


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

#endif
