/* The machine's bounds for the benchmark tables: a vectorized max-reduction over a buffer, the
 * least work any SPP forward must do (read the input once), and the read+write bound (read some
 * buffers once, write others once). The AVX2 versions are chosen at run time (bound_avx2.c is
 * the only file built with -mavx2); threads split every buffer with OpenMP. */
#ifndef BENCH_BOUND_H
#define BENCH_BOUND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* max of x[0..n) with `threads` OpenMP threads, each reducing one contiguous 64-byte-aligned
 * chunk (so a repeated call finds each chunk warm in the same core's cache). */
float bench_bound_max(const float *x, size_t n, int threads);
/* "avx2" or "portable": the implementation bench_bound_max and bench_bound_rw use on this CPU. */
const char *bench_bound_impl(void);

/* One pass of the read+write bound: read rf[0..nrf) (floats) and ri[0..nri) (int32) once each
 * (max-reductions), write wf[0..nwf) and wi[0..nwi) once each (zeros); a count of 0 skips that
 * buffer. stream: the writes are non-temporal stores (one sfence per thread after them);
 * libc: memset's (the C library picks its stores: the kernels' ordinary zero-fill of dx);
 * neither: ordinary vector stores. Buffers must not overlap. */
typedef struct bench_rw {
    const float *rf;
    size_t nrf;
    const int32_t *ri;
    size_t nri;
    float *wf;
    size_t nwf;
    int32_t *wi;
    size_t nwi;
    int stream;
    int libc;
} bench_rw;

/* The pass with `threads` OpenMP threads, thread t taking the t-th contiguous chunk (a multiple
 * of 64 bytes) of every buffer, reads first, then writes. Returns the max read, so the reads
 * stay live. */
float bench_bound_rw(const bench_rw *job, int threads);

/* single-thread kernels (bound.c, bound_avx2.c): float max, int32 max, 32-bit zero fill */
float bench_bound_max_portable(const float *x, size_t n);
float bench_bound_max_avx2(const float *x, size_t n);
int32_t bench_bound_imax_portable(const int32_t *x, size_t n);
int32_t bench_bound_imax_avx2(const int32_t *x, size_t n);
void bench_bound_zero_portable(void *p, size_t n, int stream);
void bench_bound_zero_avx2(void *p, size_t n, int stream);

#ifdef __cplusplus
}
#endif
#endif
