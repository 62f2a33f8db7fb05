/* AVX2 reductions and zero fill for the bounds (bound.h). Built with -mavx2; only called after
 * spp_cpu_supports(SPP_ISA_AVX2). Four independent accumulators hide vmaxps latency, so the
 * loop runs at the load ports' rate (two 32-byte loads per cycle on Zen 3). */
#include <immintrin.h>
#include <stdint.h>

#include "bound.h"

float bench_bound_max_avx2(const float *x, size_t n)
{
    __m256 m0 = _mm256_set1_ps(-__builtin_inff()), m1 = m0, m2 = m0, m3 = m0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
        m1 = _mm256_max_ps(m1, _mm256_loadu_ps(x + i + 8));
        m2 = _mm256_max_ps(m2, _mm256_loadu_ps(x + i + 16));
        m3 = _mm256_max_ps(m3, _mm256_loadu_ps(x + i + 24));
    }
    for (; i + 8 <= n; i += 8)
        m0 = _mm256_max_ps(m0, _mm256_loadu_ps(x + i));
    m0 = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m0), _mm256_extractf128_ps(m0, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    float r = _mm_cvtss_f32(h);
    for (; i < n; i++)
        r = x[i] > r ? x[i] : r;
    return r;
}

int32_t bench_bound_imax_avx2(const int32_t *x, size_t n)
{
    __m256i m0 = _mm256_set1_epi32(INT32_MIN), m1 = m0, m2 = m0, m3 = m0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = _mm256_max_epi32(m0, _mm256_loadu_si256((const __m256i *)(x + i)));
        m1 = _mm256_max_epi32(m1, _mm256_loadu_si256((const __m256i *)(x + i + 8)));
        m2 = _mm256_max_epi32(m2, _mm256_loadu_si256((const __m256i *)(x + i + 16)));
        m3 = _mm256_max_epi32(m3, _mm256_loadu_si256((const __m256i *)(x + i + 24)));
    }
    m0 = _mm256_max_epi32(_mm256_max_epi32(m0, m1), _mm256_max_epi32(m2, m3));
    int32_t lane[8];
    _mm256_storeu_si256((__m256i *)lane, m0);
    int32_t r = lane[0];
    for (int j = 1; j < 8; j++)
        r = lane[j] > r ? lane[j] : r;
    for (; i < n; i++)
        r = x[i] > r ? x[i] : r;
    return r;
}

/* n 32-bit zeros at p: scalar up to a 32-byte boundary, then 32-byte stores (streamed or not),
 * then the tail. */
void bench_bound_zero_avx2(void *p, size_t n, int stream)
{
    uint32_t *d = (uint32_t *)p;
    size_t i = 0;
    for (; i < n && ((uintptr_t)(d + i) & 31); i++)
        d[i] = 0;
    const __m256i z = _mm256_setzero_si256();
    if (stream)
        for (; i + 16 <= n; i += 16) {
            _mm256_stream_si256((__m256i *)(d + i), z);
            _mm256_stream_si256((__m256i *)(d + i + 8), z);
        }
    else
        for (; i + 16 <= n; i += 16) {
            _mm256_store_si256((__m256i *)(d + i), z);
            _mm256_store_si256((__m256i *)(d + i + 8), z);
        }
    for (; i < n; i++)
        d[i] = 0;
}
