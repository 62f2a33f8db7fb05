/* avx2_transpose.h: register transposes of 32-bit lanes, the write-out of bin-major results
 * into SPP's channel-major output (whole-map NHWC kernels, region kernels). AVX2 only, so the
 * AVX-512 builds use them too. Not a kernel by itself. */
#ifndef AVX2_TRANSPOSE_H
#define AVX2_TRANSPOSE_H

#include <immintrin.h>
#include <stdint.h>

/* 8 x 8 transpose of 32-bit lanes: src rows r = 0..7 at src + r*ss, dst rows c = 0..7 at
 * dst + c*ds. Writes bin-major [bin][channel] results out as y's [channel][bin]; bit
 * patterns move unchanged, so it serves int32 argmax too. */
static inline void avx2_t8x8(const float *src, int64_t ss, float *dst, int64_t ds)
{
    __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ss),
           r2 = _mm256_loadu_ps(src + 2 * ss), r3 = _mm256_loadu_ps(src + 3 * ss),
           r4 = _mm256_loadu_ps(src + 4 * ss), r5 = _mm256_loadu_ps(src + 5 * ss),
           r6 = _mm256_loadu_ps(src + 6 * ss), r7 = _mm256_loadu_ps(src + 7 * ss);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
           t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
           t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
           u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
           u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* 4 x 8 transpose: src rows r = 0..3 (8 lanes each, row stride ss) -> dst rows c = 0..7 of 4
 * lanes each (row stride ds); 4-bin tails and levels of 4 bins. */
static inline void avx2_t4x8(const float *src, int64_t ss, float *dst, int64_t ds)
{
    const __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + ss),
                 r2 = _mm256_loadu_ps(src + 2 * ss), r3 = _mm256_loadu_ps(src + 3 * ss);
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
                 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    _mm_storeu_ps(dst, _mm256_castps256_ps128(u0));
    _mm_storeu_ps(dst + ds, _mm256_castps256_ps128(u1));
    _mm_storeu_ps(dst + 2 * ds, _mm256_castps256_ps128(u2));
    _mm_storeu_ps(dst + 3 * ds, _mm256_castps256_ps128(u3));
    _mm_storeu_ps(dst + 4 * ds, _mm256_extractf128_ps(u0, 1));
    _mm_storeu_ps(dst + 5 * ds, _mm256_extractf128_ps(u1, 1));
    _mm_storeu_ps(dst + 6 * ds, _mm256_extractf128_ps(u2, 1));
    _mm_storeu_ps(dst + 7 * ds, _mm256_extractf128_ps(u3, 1));
}

#endif
