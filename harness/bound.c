/* Read-once and read+write bounds (bound.h): portable kernels and the threaded dispatchers. */
#include <emmintrin.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

#include "bound.h"
#include "spp.h"

/* Eight lanes written so that -O3 vectorizes it with baseline SSE (maxps). */
float bench_bound_max_portable(const float *x, size_t n)
{
    float m[8];
    for (int j = 0; j < 8; j++)
        m[j] = -__builtin_inff();
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            m[j] = x[i + j] > m[j] ? x[i + j] : m[j];
    float r = m[0];
    for (int j = 1; j < 8; j++)
        r = m[j] > r ? m[j] : r;
    for (; i < n; i++)
        r = x[i] > r ? x[i] : r;
    return r;
}

int32_t bench_bound_imax_portable(const int32_t *x, size_t n)
{
    int32_t m[8];
    for (int j = 0; j < 8; j++)
        m[j] = INT32_MIN;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++)
            m[j] = x[i + j] > m[j] ? x[i + j] : m[j];
    int32_t r = m[0];
    for (int j = 1; j < 8; j++)
        r = m[j] > r ? m[j] : r;
    for (; i < n; i++)
        r = x[i] > r ? x[i] : r;
    return r;
}

/* SSE2 (baseline x86-64) 16-byte stores, streamed (movntdq) or not. */
void bench_bound_zero_portable(void *p, size_t n, int stream)
{
    uint32_t *d = (uint32_t *)p;
    size_t i = 0;
    for (; i < n && ((uintptr_t)(d + i) & 15); i++)
        d[i] = 0;
    const __m128i z = _mm_setzero_si128();
    if (stream)
        for (; i + 4 <= n; i += 4)
            _mm_stream_si128((__m128i *)(d + i), z);
    else
        for (; i + 4 <= n; i += 4)
            _mm_store_si128((__m128i *)(d + i), z);
    for (; i < n; i++)
        d[i] = 0;
}

static int use_avx2(void)
{
    static int v = -1; /* benign race: every thread computes the same value */
    if (v < 0)
        v = spp_cpu_supports(SPP_ISA_AVX2);
    return v;
}

const char *bench_bound_impl(void)
{
    return use_avx2() ? "avx2" : "portable";
}

float bench_bound_max(const float *x, size_t n, int threads)
{
    float (*fn)(const float *, size_t) =
        use_avx2() ? bench_bound_max_avx2 : bench_bound_max_portable;
    if (threads <= 1)
        return fn(x, n);
    float part[256];
    if (threads > 256)
        threads = 256;
    for (int t = 0; t < threads; t++)
        part[t] = -__builtin_inff();
#pragma omp parallel num_threads(threads)
    {
        /* the runtime may give fewer threads than asked: split by what it gave */
        const size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        /* chunks are multiples of 16 floats (64 bytes): no cache line is shared by two threads */
        const size_t chunk = ((n + nt - 1) / nt + 15) / 16 * 16;
        const size_t lo = t * chunk < n ? t * chunk : n;
        const size_t hi = lo + chunk < n ? lo + chunk : n;
        part[t] = hi > lo ? fn(x + lo, hi - lo) : -__builtin_inff();
    }
    float r = part[0];
    for (int t = 1; t < threads; t++)
        r = part[t] > r ? part[t] : r;
    return r;
}

/* [lo, hi) of thread t of nt over n 4-byte elements: chunks are multiples of 16 elements
 * (64 bytes), so no cache line of a 64-byte-aligned buffer is shared by two threads. */
static void rw_chunk(size_t n, size_t nt, size_t t, size_t *lo, size_t *hi)
{
    const size_t chunk = ((n + nt - 1) / nt + 15) / 16 * 16;
    *lo = t * chunk < n ? t * chunk : n;
    *hi = *lo + chunk < n ? *lo + chunk : n;
}

/* n 32-bit zeros by memset (the C library picks the stores; stream is 0 here) */
static void zero_libc(void *p, size_t n, int stream)
{
    (void)stream;
    memset(p, 0, n * sizeof(uint32_t));
}

static float rw_part(const bench_rw *j, size_t nt, size_t t)
{
    const int avx2 = use_avx2();
    float r = -__builtin_inff();
    size_t lo, hi;
    rw_chunk(j->nrf, nt, t, &lo, &hi);
    if (hi > lo)
        r = (avx2 ? bench_bound_max_avx2 : bench_bound_max_portable)(j->rf + lo, hi - lo);
    rw_chunk(j->nri, nt, t, &lo, &hi);
    if (hi > lo) { /* folded into the result so the reduction is not dead */
        const int32_t m = (avx2 ? bench_bound_imax_avx2 : bench_bound_imax_portable)(j->ri + lo, hi - lo);
        r = (float)m > r ? (float)m : r;
    }
    void (*zero)(void *, size_t, int) = j->libc && !j->stream ? zero_libc
                                        : avx2                 ? bench_bound_zero_avx2
                                                               : bench_bound_zero_portable;
    rw_chunk(j->nwf, nt, t, &lo, &hi);
    if (hi > lo)
        zero(j->wf + lo, hi - lo, j->stream);
    rw_chunk(j->nwi, nt, t, &lo, &hi);
    if (hi > lo)
        zero(j->wi + lo, hi - lo, j->stream);
    if (j->stream)
        _mm_sfence();
    return r;
}

float bench_bound_rw(const bench_rw *job, int threads)
{
    if (threads <= 1)
        return rw_part(job, 1, 0);
    float part[256];
    if (threads > 256)
        threads = 256;
    for (int t = 0; t < threads; t++)
        part[t] = -__builtin_inff();
#pragma omp parallel num_threads(threads)
    {
        /* the runtime may give fewer threads than asked: split by what it gave */
        const size_t nt = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        part[t] = rw_part(job, nt, t);
    }
    float r = part[0];
    for (int t = 1; t < threads; t++)
        r = part[t] > r ? part[t] : r;
    return r;
}
