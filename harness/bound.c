/* Read-once bound (bound.h): portable reduction and the threaded dispatcher. */
#include <omp.h>

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
