/* roi_vec_emu512.h: nhwc_roi_vec.h's 16-lane AVX-512 vocabulary of the region kernels emulated
 * with AVX2, for ROI_VEC_EXTERNAL builds of nhwc_roi__omp_avx512 and nchw_roi__nhwc_omp_avx512
 * (emu512_roi_*.c, `make test-emu512`).
 *
 * Why: on a CPU without AVX-512 (or with SPP_MAX_ISA below it) the region AVX-512 kernels are
 * skipped everywhere else, yet their values-only paths run code of their own at RW = 16: 64-lane
 * chunk splits, __mmask16 tails and compare masks, the 8 x 16 level write-out. Each operation
 * here gives, lane for lane, what the intrinsic of nhwc_roi_vec.h's AVX-512 branch documents
 * (maskz loads read nothing past the mask, vmaxps returns its second operand on ties), so those
 * routes run and are checked against roi__naive. It says nothing about the real encodings.
 * Include before the kernel file: nhwc_roi_vec.h then leaves the definitions to this header. */
#ifndef ROI_VEC_EMU512_H
#define ROI_VEC_EMU512_H

#define ROI_VEC_EXTERNAL 1

#include <immintrin.h>
#include <stdint.h>

#include "avx2_transpose.h"

#define RW 16
typedef struct { __m256 lo, hi; } rv;
typedef uint16_t rk; /* bit i: lane i, as __mmask16 */
typedef uint16_t rm;

/* lanes 8h..8h+7 of k as an AVX2 lane mask */
static inline __m256i roi_emu_lanes(rk k, int h)
{
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i b = _mm256_and_si256(_mm256_set1_epi32((k >> (8 * h)) & 0xff), bit);
    return _mm256_cmpeq_epi32(b, bit);
}
static inline rm roi_emu_bits(__m256 lo, __m256 hi)
{
    return (rm)(_mm256_movemask_ps(lo) | (_mm256_movemask_ps(hi) << 8));
}

static inline rk rk_lanes(int n) /* lanes [0, n), n clamped to 0..16 */
{
    return (rk)(n <= 0 ? 0u : n >= 16 ? 0xFFFFu : (1u << n) - 1u);
}
static inline rv rv_loadu(const float *p)
{
    return (rv){_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
}
/* _mm512_load_ps faults off 64 bytes; each half checks its 32 */
static inline rv rv_load(const float *p) { return (rv){_mm256_load_ps(p), _mm256_load_ps(p + 8)}; }
static inline rv rv_load_k(const float *p, rk k) /* maskz: masked-off lanes read nothing, 0 */
{
    return (rv){_mm256_maskload_ps(p, roi_emu_lanes(k, 0)),
                _mm256_maskload_ps(p + 8, roi_emu_lanes(k, 1))};
}
static inline void rv_store(float *p, rv v)
{
    _mm256_store_ps(p, v.lo);
    _mm256_store_ps(p + 8, v.hi);
}
static inline void rv_storeu(float *p, rv v)
{
    _mm256_storeu_ps(p, v.lo);
    _mm256_storeu_ps(p + 8, v.hi);
}
static inline void rv_stream(float *p, rv v)
{
    _mm256_stream_ps(p, v.lo);
    _mm256_stream_ps(p + 8, v.hi);
}
static inline rv rv_set1(float a) { return (rv){_mm256_set1_ps(a), _mm256_set1_ps(a)}; }
static inline rv rv_max(rv a, rv b) /* a > b ? a : b, as vmaxps */
{
    return (rv){_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)};
}
static inline rv rv_first_gt(rv a, rv v) /* v > a ? v : a, ordered */
{
    return (rv){_mm256_blendv_ps(a.lo, v.lo, _mm256_cmp_ps(v.lo, a.lo, _CMP_GT_OQ)),
                _mm256_blendv_ps(a.hi, v.hi, _mm256_cmp_ps(v.hi, a.hi, _CMP_GT_OQ))};
}
static inline rm rm_none(void) { return 0; }
static inline rm rm_or(rm a, rm b) { return (rm)(a | b); }
static inline int rm_any(rm a) { return a != 0; }
static inline rm rm_zero(rv v, rk k) /* lanes of k where v == 0, either sign */
{
    const __m256 z = _mm256_setzero_ps();
    return (rm)(k & roi_emu_bits(_mm256_cmp_ps(v.lo, z, _CMP_EQ_OQ),
                                 _mm256_cmp_ps(v.hi, z, _CMP_EQ_OQ)));
}
static inline rm rm_nan(rv v)
{
    return roi_emu_bits(_mm256_cmp_ps(v.lo, v.lo, _CMP_UNORD_Q),
                        _mm256_cmp_ps(v.hi, v.hi, _CMP_UNORD_Q));
}
static inline rm rm_negzero(rv v)
{
    const __m256i nz = _mm256_set1_epi32((int32_t)0x80000000u);
    return roi_emu_bits(_mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_castps_si256(v.lo), nz)),
                        _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_castps_si256(v.hi), nz)));
}

/* nhwc_roi_row.h's 8 x 16 and 4 x 16 write-out transposes: the same result (src rows of 16
 * lanes -> dst rows 0..15), as two 8-lane transposes for channels 0-7 and 8-15. */
static inline void roi_t8x16(const float *src, int64_t ss, float *dst, int64_t ds)
{
    avx2_t8x8(src, ss, dst, ds);
    avx2_t8x8(src + 8, ss, dst + 8 * ds, ds);
}
static inline void roi_t4x16(const float *src, int64_t ss, float *dst, int64_t ds)
{
    avx2_t4x8(src, ss, dst, ds);
    avx2_t4x8(src + 8, ss, dst + 8 * ds, ds);
}

#endif
