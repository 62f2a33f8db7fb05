/* vec_vocab.h: the vector vocabulary of the NHWC SIMD kernels, one per ISA. Not a kernel.
 *
 * Types vf (floats), vi (int32 positions), vm (compare masks) and VW lanes, with the few
 * operations the kernels use (loads and stores, whole or of the first n lanes; add, max,
 * ordered compares, NaN test, blends). The includer selects the ISA:
 *  - NHWC_AVX512: 16 lanes of zmm, __mmask16 bit masks; masked-off lanes of vf_load_n read
 *    nothing and are zero (maskz), vf_store_n writes only the first n lanes.
 *  - default: AVX2, 8 lanes of ymm, masks as lane vectors (all ones / zero); vf_load_n and
 *    vf_store_n are vmaskmovps, so masked-off lanes neither fault nor are written.
 *  - NHWC_VOCAB_EXTERNAL: the includer supplies the vocabulary (tests/emu512/ emulates the
 *    16-lane one on AVX2, so the AVX-512 kernels' code also runs where AVX-512 is missing).
 * Semantics shared by all three: vm_gt/vm_eq are ordered (false when either side is NaN),
 * vf_max(a, b) is a > b ? a : b (vmaxps: the second operand on ties and NaN), vf_blend and
 * vi_blend take b where the mask is set, vi_upd(p, c, m) is m ? c : p; vf_mul is a float
 * multiply (an avg mean: the sum times the bin's float scale, spp_avg_scale). */
#ifndef VEC_VOCAB_H
#define VEC_VOCAB_H

#include <immintrin.h>
#include <stdint.h>

#if defined(NHWC_VOCAB_EXTERNAL)
/* supplied by the includer */
#elif defined(NHWC_AVX512)
#define VW 16
typedef __m512 vf;
typedef __m512i vi;
typedef __mmask16 vm;
static inline __mmask16 vm_first(int n) { return (__mmask16)((1u << n) - 1u); } /* n in 0..16 */
static inline vf vf_loadu(const float *p) { return _mm512_loadu_ps(p); }
static inline vf vf_load_n(const float *p, int n) { return _mm512_maskz_loadu_ps(vm_first(n), p); }
static inline void vf_storeu(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline void vf_store_n(float *p, vf v, int n) { _mm512_mask_storeu_ps(p, vm_first(n), v); }
static inline vi vi_loadu(const int32_t *p) { return _mm512_loadu_si512((const void *)p); }
static inline void vi_storeu(int32_t *p, vi v) { _mm512_storeu_si512((void *)p, v); }
static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_bits(int32_t b) { return _mm512_castsi512_ps(_mm512_set1_epi32(b)); }
static inline vi vi_set1(int32_t a) { return _mm512_set1_epi32(a); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_set1(float a) { return _mm512_set1_ps(a); }
static inline vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
static inline vm vm_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline vm vm_nan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
static inline vm vm_or(vm a, vm b) { return (vm)(a | b); }
static inline vm vm_and(vm a, vm b) { return (vm)(a & b); }
static inline vm vm_eq(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
static inline vm vi_gt(vi a, vi b) { return _mm512_cmpgt_epi32_mask(a, b); }
static inline vm vi_eq(vi a, vi b) { return _mm512_cmpeq_epi32_mask(a, b); }
static inline vf vf_blend(vf a, vf b, vm m) { return _mm512_mask_blend_ps(m, a, b); } /* m ? b : a */
static inline vi vi_blend(vi a, vi b, vm m) { return _mm512_mask_blend_epi32(m, a, b); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); } /* a > b ? a : b */
/* m ? c : p, for lanes where the candidate position c is known to exceed p */
static inline vi vi_upd(vi p, vi c, vm m) { return _mm512_mask_mov_epi32(p, m, c); }
static inline int vf_anynan(vf a) { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q) != 0; }
static inline vm vm_zero_tie(vf a, vf b)
{
    return _mm512_mask_cmpneq_epi32_mask(_mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ), _mm512_castps_si512(a),
                                         _mm512_castps_si512(b));
}
static inline int vm_any(vm m) { return m != 0; }
static inline unsigned vm_bits(vm m) { return m; } /* bit i: lane i */
#else
#define VW 8
typedef __m256 vf;
typedef __m256i vi;
typedef __m256 vm;
static const int32_t nhwc_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
static inline __m256i vm_first(int n) /* n in 0..8: the first n lanes */
{
    return _mm256_loadu_si256((const __m256i *)(const void *)(nhwc_mask_table + 8 - n));
}
static inline vf vf_loadu(const float *p) { return _mm256_loadu_ps(p); }
static inline vf vf_load_n(const float *p, int n) { return _mm256_maskload_ps(p, vm_first(n)); }
static inline void vf_storeu(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline void vf_store_n(float *p, vf v, int n) { _mm256_maskstore_ps(p, vm_first(n), v); }
static inline vi vi_loadu(const int32_t *p) { return _mm256_loadu_si256((const __m256i *)(const void *)p); }
static inline void vi_storeu(int32_t *p, vi v) { _mm256_storeu_si256((__m256i *)(void *)p, v); }
static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_bits(int32_t b) { return _mm256_castsi256_ps(_mm256_set1_epi32(b)); }
static inline vi vi_set1(int32_t a) { return _mm256_set1_epi32(a); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
static inline vf vf_set1(float a) { return _mm256_set1_ps(a); }
static inline vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
static inline vm vm_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline vm vm_nan(vf a) { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
static inline vm vm_or(vm a, vm b) { return _mm256_or_ps(a, b); }
static inline vm vm_and(vm a, vm b) { return _mm256_and_ps(a, b); }
static inline vm vm_eq(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_EQ_OQ); }
static inline vm vi_gt(vi a, vi b) { return _mm256_castsi256_ps(_mm256_cmpgt_epi32(a, b)); }
static inline vm vi_eq(vi a, vi b) { return _mm256_castsi256_ps(_mm256_cmpeq_epi32(a, b)); }
static inline vf vf_blend(vf a, vf b, vm m) { return _mm256_blendv_ps(a, b, m); } /* m ? b : a */
static inline vi vi_blend(vi a, vi b, vm m)
{
    return _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(a), _mm256_castsi256_ps(b), m));
}
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); } /* a > b ? a : b */
/* m ? c : p (for lanes where the candidate position c is known to exceed p): one vblendvps */
static inline vi vi_upd(vi p, vi c, vm m)
{
    return vi_blend(p, c, m);
}
static inline int vf_anynan(vf a) { return _mm256_movemask_ps(_mm256_cmp_ps(a, a, _CMP_UNORD_Q)) != 0; }
static inline vm vm_zero_tie(vf a, vf b)
{
    const __m256i same = _mm256_cmpeq_epi32(_mm256_castps_si256(a), _mm256_castps_si256(b));
    return _mm256_andnot_ps(_mm256_castsi256_ps(same), _mm256_cmp_ps(a, b, _CMP_EQ_OQ));
}
static inline int vm_any(vm m) { return _mm256_movemask_ps(m) != 0; }
static inline unsigned vm_bits(vm m) { return (unsigned)_mm256_movemask_ps(m); } /* bit i: lane i */
#endif

#endif
