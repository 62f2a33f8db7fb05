/* nchw_backward.c: the one compiled copy of the NCHW backward routes (nchw_small.h) that
 * nchw__omp, nchw__tiled and nchw__fused_avx2 run as their paths "planes", "small-avg" and
 * "stream". Not a kernel. Compiled for the baseline ISA and out of line, so the three kernels'
 * backward passes are the same machine code: inlined into each kernel's object, the copies sat
 * at different code addresses (the AVX2 kernel's also built with AVX2), and a kernel's
 * backward ran up to 1.1x slower than another kernel's identical source in one run
 * (docs/perf-log.md, 2026-12-06, one NCHW backward). */
#include "nchw_small.h"

void nchw_backward(const spp_plan *pl, const float *dy, const int32_t *argmax, float *dx,
                   int threads, nchw_bwd_route r)
{
    if (r == NCHW_BWD_SMALL_AVG)
        nchw_small_avg_backward(pl, dy, dx, threads);
    else
        nchw_backward_planes(pl, dy, argmax, dx, threads, r == NCHW_BWD_STREAM);
}
