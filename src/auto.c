/* The `auto` kernel choice (docs/kernels.md#auto): an ordered rule, as oneDNN's list of
 * implementations, no timing at creation. The first entry whose kernel takes the problem's
 * layout, runs on this CPU (within SPP_MAX_ISA) and whose condition holds is chosen. The
 * conditions come from the benchmark tables (docs/results/); `make bench` times an `auto` row
 * beside the kernels so the rule is checked on every run (goal `auto`, harness/goals.py). */
#include <stddef.h>

#include "spp_internal.h"

/* Planes of at most this many cells: SPP-net's 13x13 conv5 maps and smaller, where the
 * small-plane core of the AVX2 fused kernels leads (kernels/small_cells_avx2.h). */
#define AUTO_SMALL_HW 196

static int always(const spp_problem *p) { (void)p; return 1; }

/* A small plane whose pyramid nests (every level divides the finest, so one level is read
 * from the input and the others merged from it): where the AVX2 small-plane core runs. */
static int small_nested(const spp_problem *p)
{
    int finest = 0;
    for (int l = 0; l < p->nlevels; l++)
        finest = p->levels[l] > finest ? p->levels[l] : finest;
    for (int l = 0; l < p->nlevels; l++)
        if (finest % p->levels[l])
            return 0;
    return p->h * p->w <= AUTO_SMALL_HW;
}
static int not_small_nested(const spp_problem *p) { return !small_nested(p); }

typedef struct {
    const char *kernel;
    int (*when)(const spp_problem *p);
    const char *why;
} auto_rule;

static const auto_rule rules[] = {
    {"nhwc__fused_avx512", not_small_nested,
     "NHWC, not a small nested pyramid: the 16-lane fused kernel"},
    {"nhwc__fused_avx2", always, "NHWC: the fused kernel (its small-plane core on small maps)"},
    {"nhwc__chlast", always, "NHWC without AVX2"},
    {"nchw__fused_avx2", always, "NCHW: the fused kernel"},
    {"nchw__tiled", always, "NCHW without AVX2"},
    {"naive", always, "the reference, when nothing else applies"},
};

const spp_kernel *spp_kernel_auto(const spp_problem *p, const char **why)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const spp_kernel *k = spp_kernel_find(rules[i].kernel);
        if (k && spp_kernel_has_layout(k, p->layout) && !spp_isa_unavailable(k->isa) &&
            rules[i].when(p)) {
            if (why)
                *why = rules[i].why;
            return k;
        }
    }
    return NULL; /* unreachable while naive is registered: it takes every layout */
}
