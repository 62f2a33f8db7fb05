/* The machine's bound for the benchmark tables: a vectorized max-reduction over a buffer, the
 * least work any SPP forward must do (read the input once). The AVX2 version is chosen at run
 * time (bound_avx2.c is the only file built with -mavx2); threads split the buffer with OpenMP. */
#ifndef BENCH_BOUND_H
#define BENCH_BOUND_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* max of x[0..n) with `threads` OpenMP threads, each reducing one contiguous 64-byte-aligned
 * chunk (so a repeated call finds each chunk warm in the same core's cache). */
float bench_bound_max(const float *x, size_t n, int threads);
/* "avx2" or "portable": the implementation bench_bound_max uses on this CPU. */
const char *bench_bound_impl(void);

/* single-thread kernels (bound.c, bound_avx2.c) */
float bench_bound_max_portable(const float *x, size_t n);
float bench_bound_max_avx2(const float *x, size_t n);

#ifdef __cplusplus
}
#endif
#endif
