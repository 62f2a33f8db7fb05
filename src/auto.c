/* The `auto` kernel choice (docs/kernels.md#auto): an ordered rule, as oneDNN's list of
 * implementations, no timing at creation. The first entry whose kernel takes the problem's
 * layout and runs on this CPU (within SPP_MAX_ISA) is chosen. The order comes from the
 * benchmark tables (docs/results/); `make bench` times an `auto` row beside the kernels so the
 * rule is checked on every run (goal `auto`, harness/goals.py). A condition on the problem's
 * shape joins an entry when a table shows a kernel winning only on some shapes. */
#include <stddef.h>

#include "spp_internal.h"

typedef struct {
    const char *kernel;
    const char *why;
} auto_rule;

static const auto_rule rules[] = {
    {"nhwc__fused_avx512", "NHWC with AVX-512: the 16-lane fused kernel"},
    {"nhwc__fused_avx2", "NHWC with AVX2: the fused kernel"},
    {"nhwc__chlast", "NHWC without AVX2"},
    {"nchw__fused_avx2", "NCHW: the fused kernel"},
    {"nchw__tiled", "NCHW without AVX2"},
    {"naive", "the reference, when nothing else applies"},
};

const spp_kernel *spp_kernel_auto(const spp_problem *p, const char **why)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const spp_kernel *k = spp_kernel_find(rules[i].kernel);
        if (k && spp_kernel_has_layout(k, p->layout) && !spp_isa_unavailable(k->isa)) {
            if (why)
                *why = rules[i].why;
            return k;
        }
    }
    return NULL; /* unreachable while naive is registered: it takes every layout */
}
