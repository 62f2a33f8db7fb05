/* The `auto` kernel choice (docs/kernels.md#auto): an ordered rule per pass, as oneDNN's list of
 * implementations, no timing at creation. For a pass, the first entry that serves the pass,
 * whose condition holds for the problem and thread count, and whose kernel takes the layout
 * and runs on this CPU (within SPP_MAX_ISA) is chosen. The backward reads only the problem and
 * the canonical argmax, so a pass may use another kernel than the forward. The order and the
 * conditions come from the benchmark tables (docs/results/); `make bench` times an `auto` row
 * beside the kernels at every point, so the rule is checked on every run (goal `auto`,
 * harness/goals.py). */
#include <stddef.h>
#include <string.h>

#include "spp_internal.h"

#define FWD (SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_INFER))
#define BWD SPP_PASS_BIT(SPP_PASS_BACKWARD)

typedef struct {
    const char *kernel;
    unsigned passes;
    /* NULL: always; k is the rule's own kernel, so a condition can ask its path choice */
    int (*when)(const spp_kernel *k, const spp_problem *p, int threads);
    const char *why;
} auto_rule;

static int64_t plane(const spp_problem *p) { return p->h * p->w; }

/* One level on one thread: the fused kernel shares work between levels, and with one level
 * there is none to share, while its plan and row partials still cost; the bin scan reads each
 * element once as well (vgg16-600, {7}: 1.13x faster forward, 1.44x inference). */
static int one_level_t1(const spp_kernel *k, const spp_problem *p, int threads)
{
    (void)k;
    return p->nlevels == 1 && threads == 1;
}

/* NHWC backward of tiny planes on one thread: the per-bin loop over contiguous channels beats
 * the fused kernel's row-wise avg backward (odd, 7x5: 1.7x) and its tiled max backward (odd:
 * the fused kernel 1.10-1.14x the fastest, this one 1.01-1.05x, in two paper runs). */
static int tiny_t1(const spp_kernel *k, const spp_problem *p, int threads)
{
    (void)k;
    return threads == 1 && plane(p) <= 64;
}

/* NHWC avg backward where the rule's fused kernel takes its window path (bwd-window: small
 * planes whose bins' windows are small): its vector divides and L1 tile beat the per-bin loop
 * and the row walk (odd, 7x5: 16 lanes 0.66-0.73x nhwc__chlast's time at 1 thread, 0.57x
 * nhwc__fused_avx2's row walk at 2; 8 lanes 0.79-0.87x nhwc__chlast's at 1 thread, 0.83-0.89x
 * the row walk at 2; docs/perf-log.md, 2026-12-07). The kernel's own rule decides, so the two
 * cannot drift apart; the 8-lane limit is the stricter, so with AVX-512 the 16-lane rule
 * fires first wherever the 8-lane one would. */
static int avg_window(const spp_kernel *k, const spp_problem *p, int threads)
{
    if (p->pool != SPP_POOL_AVG || !k->choose_path)
        return 0;
    spp_plan pl;
    spp_plan_fill(&pl, p);
    const int path = k->choose_path(&pl, threads, SPP_PASS_BACKWARD, -1);
    return path >= 0 && path < k->npaths && strcmp(k->paths[path].name, "bwd-window") == 0;
}

/* NCHW max backward on one thread of a dx of at most AUTO_BINMAJOR_DX_BYTES: the bin-major
 * kernel's scatter, one memset per L1-sized block of planes, beats the per-plane zero-fill
 * and out-of-line scatter of the fused kernel while dx stays in L2 (this VM: 2 MiB). The
 * bin-major kernel's time over the fused kernel's (docs/perf-log.md, 2026-12-06): zf5 13x13
 * at N=1 (173 KB of dx) 0.85-0.88x, N=6 (1.04 MB) 0.88-0.95x, N=8 (1.38 MB) 1.01-1.06x, N=12
 * (2.1 MB) 1.14-1.17x; odd 7x5 (300 KB) 0.81-0.87x in the paper runs of 07:10 and 09:07. */
#define AUTO_BINMAJOR_DX_BYTES ((int64_t)1 << 20)

static int small_max_t1(const spp_kernel *k, const spp_problem *p, int threads)
{
    (void)k;
    return p->pool == SPP_POOL_MAX && threads == 1 &&
           spp_input_elems(p) * (int64_t)sizeof(float) <= AUTO_BINMAJOR_DX_BYTES;
}

static const auto_rule rules[] = {
    {"nhwc__avx512", FWD, one_level_t1, "NHWC, one level, one thread: the AVX-512 bin scan"},
    {"nhwc__fused_avx512", FWD, NULL, "NHWC with AVX-512: the 16-lane fused kernel"},
    {"nhwc__fused_avx512", BWD, avg_window,
     "NHWC avg backward of small windows: the 16-lane fused kernel's bwd-window"},
    {"nhwc__fused_avx2", BWD, avg_window,
     "NHWC avg backward of small windows without AVX-512: the 8-lane fused kernel's bwd-window"},
    {"nhwc__chlast", BWD, tiny_t1, "NHWC backward of tiny planes on one thread"},
    {"nhwc__fused_avx2", BWD, NULL,
     "NHWC backward: the fused kernel's 8-lane backward (at least as fast as the 16-lane one)"},
    {"nhwc__fused_avx2", FWD, NULL, "NHWC with AVX2: the fused kernel"},
    {"nhwc__chlast", FWD | BWD, NULL, "NHWC without AVX2"},
    {"nchw__binmajor", BWD, small_max_t1, "NCHW max backward of a dx of at most 1 MiB, one thread"},
    {"nchw__fused_avx512", FWD, NULL,
     "NCHW forward with AVX-512: the fused kernel's 16-lane rows and small-plane core (its avg "
     "rows of planes over 1200 pixels are nchw__fused_avx2's code)"},
    {"nchw__fused_avx2", FWD | BWD, NULL, "NCHW: the fused kernel"},
    {"nchw__tiled", FWD | BWD, NULL, "NCHW without AVX2"},
    {"naive", FWD | BWD, NULL, "the reference, when nothing else applies"},
};

const spp_kernel *spp_kernel_auto(const spp_problem *p, int threads, spp_pass pass,
                                  const char **why)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const auto_rule *r = &rules[i];
        if (!(r->passes & SPP_PASS_BIT(pass)))
            continue;
        const spp_kernel *k = spp_kernel_find(r->kernel);
        if (k && spp_kernel_has_layout(k, p->layout) && !spp_isa_unavailable(k->isa) &&
            (!r->when || r->when(k, p, threads))) {
            if (why)
                *why = r->why;
            return k;
        }
    }
    return NULL; /* unreachable while naive is registered: it takes every layout and pass */
}
