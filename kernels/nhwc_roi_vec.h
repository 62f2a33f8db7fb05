/* nhwc_roi_vec.h: the vector vocabulary of the region kernels' values-only path (max, argmax
 * NULL: nhwc_roi_vals.h, the map scan and max table of nhwc_roi_tables.h, the streamed row of
 * nhwc_roi_row.h), so that path is one source compiled at two widths. Not a kernel.
 * The includer selects the width before the first region header:
 *  - ROI_AVX512 (files ending in avx512.c): RW = 16 lanes of zmm; lane masks (rk) and compare
 *    masks (rm) are __mmask16 bits; masked loads are maskz (lanes past C read 0, never fault).
 *  - default (files ending in avx2.c): RW = 8 lanes of ymm; rk is a lane vector for vmaskmovps,
 *    rm a compare result (all ones or zero per lane). These are the AVX2 form's instructions as
 *    they were before the path was made width-generic.
 *  - ROI_VEC_EXTERNAL (tests/emu512/roi_vec_emu512.h): the includer has defined RW = 16 and
 *    everything above but rv_load_m, and roi_t8x16 / roi_t4x16 of nhwc_roi_row.h, on AVX2, so
 *    the 16-lane code runs on a CPU without AVX-512 (`make test-emu512`).
 * Semantics shared by both: rv_max(a, b) is a > b ? a : b (vmaxps: b on ties, and on NaN,
 * which this path never sees); rv_first_gt(a, v) is v > a ? v : a (strict, ordered: the first
 * maximum stays); rm_zero(v, k) marks the lanes in k where v == 0 (either sign); rm_nan and
 * rm_negzero mark NaN and -0.0 bits.
 * The argmax path, the avg blocks and the backward stay AVX2 in both builds (nhwc_roi_argmax.h,
 * nhwc_roi_backward.h); the level write-out (nhwc_roi_row.h) serves both paths, with 8 x 16
 * and 4 x 16 register transposes when RW is 16. */
#ifndef NHWC_ROI_VEC_H
#define NHWC_ROI_VEC_H

#include <immintrin.h>
#include <stdint.h>

#if defined(ROI_VEC_EXTERNAL)
/* provided by the includer */
#elif defined(ROI_AVX512)
#define RW 16
typedef __m512 rv;
typedef __mmask16 rk;
typedef __mmask16 rm;
/* lanes [0, n) of a vector, n clamped to 0..16 (a chunk's vector k gets valid - 16 * k) */
static inline rk rk_lanes(int n)
{
    return (rk)(n <= 0 ? 0u : n >= 16 ? 0xFFFFu : (1u << n) - 1u);
}
static inline rv rv_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline rv rv_load(const float *p) { return _mm512_load_ps(p); }
static inline rv rv_load_k(const float *p, rk k) { return _mm512_maskz_loadu_ps(k, p); }
static inline void rv_store(float *p, rv v) { _mm512_store_ps(p, v); }
static inline void rv_storeu(float *p, rv v) { _mm512_storeu_ps(p, v); }
static inline void rv_stream(float *p, rv v) { _mm512_stream_ps(p, v); }
static inline rv rv_set1(float a) { return _mm512_set1_ps(a); }
/* the all-ones masked form: gcc 12 warns maybe-uninitialized through _mm512_undefined_ps */
static inline rv rv_max(rv a, rv b) { return _mm512_mask_max_ps(a, 0xFFFF, a, b); }
static inline rv rv_first_gt(rv a, rv v)
{
    return _mm512_mask_mov_ps(a, _mm512_cmp_ps_mask(v, a, _CMP_GT_OQ), v);
}
static inline rm rm_none(void) { return 0; }
static inline rm rm_or(rm a, rm b) { return (rm)(a | b); }
static inline int rm_any(rm a) { return a != 0; }
static inline rm rm_zero(rv v, rk k)
{
    return _mm512_mask_cmp_ps_mask(k, v, _mm512_setzero_ps(), _CMP_EQ_OQ);
}
static inline rm rm_nan(rv v) { return _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q); }
static inline rm rm_negzero(rv v)
{
    return _mm512_cmpeq_epi32_mask(_mm512_castps_si512(v), _mm512_set1_epi32((int32_t)0x80000000u));
}
#else
#define RW 8
typedef __m256 rv;
typedef __m256i rk;
typedef __m256 rm;
static inline rk rk_lanes(int n) /* lanes [0, n) of a vector, any n */
{
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}
static inline rv rv_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline rv rv_load(const float *p) { return _mm256_load_ps(p); }
static inline rv rv_load_k(const float *p, rk k) { return _mm256_maskload_ps(p, k); }
static inline void rv_store(float *p, rv v) { _mm256_store_ps(p, v); }
static inline void rv_storeu(float *p, rv v) { _mm256_storeu_ps(p, v); }
static inline void rv_stream(float *p, rv v) { _mm256_stream_ps(p, v); }
static inline rv rv_set1(float a) { return _mm256_set1_ps(a); }
static inline rv rv_max(rv a, rv b) { return _mm256_max_ps(a, b); }
static inline rv rv_first_gt(rv a, rv v)
{
    return _mm256_blendv_ps(a, v, _mm256_cmp_ps(v, a, _CMP_GT_OQ));
}
static inline rm rm_none(void) { return _mm256_setzero_ps(); }
static inline rm rm_or(rm a, rm b) { return _mm256_or_ps(a, b); }
static inline int rm_any(rm a) { return !_mm256_testz_ps(a, a); }
static inline rm rm_zero(rv v, rk k)
{
    return _mm256_and_ps(_mm256_castsi256_ps(k), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_EQ_OQ));
}
static inline rm rm_nan(rv v) { return _mm256_cmp_ps(v, v, _CMP_UNORD_Q); }
static inline rm rm_negzero(rv v)
{
    return _mm256_castsi256_ps(
        _mm256_cmpeq_epi32(_mm256_castps_si256(v), _mm256_set1_epi32((int32_t)0x80000000u)));
}
#endif

/* A loaded vector of a chunk: masked (the channel tail) or whole. */
static inline __attribute__((always_inline)) rv rv_load_m(const float *p, int masked, rk k)
{
    return masked ? rv_load_k(p, k) : rv_loadu(p);
}

#endif
