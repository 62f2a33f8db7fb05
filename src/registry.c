/* The kernel registry: one table built from kernels/kernels.inc. */
#include <string.h>

#include "spp_internal.h"

#define SPP_KERNEL(sym) extern const spp_kernel spp_kernel_##sym;
#include "kernels.inc"
#undef SPP_KERNEL

static const spp_kernel *const TABLE[] = {
#define SPP_KERNEL(sym) &spp_kernel_##sym,
#include "kernels.inc"
#undef SPP_KERNEL
};

int spp_kernel_count(void) { return (int)(sizeof TABLE / sizeof TABLE[0]); }

const spp_kernel *spp_kernel_at(int i)
{
    return i >= 0 && i < spp_kernel_count() ? TABLE[i] : NULL;
}

const spp_kernel *spp_kernel_find(const char *name)
{
    for (int i = 0; name && i < spp_kernel_count(); i++)
        if (strcmp(TABLE[i]->name, name) == 0)
            return TABLE[i];
    return NULL;
}

int spp_kernel_has_layout(const spp_kernel *k, spp_layout l)
{
    return k && (unsigned)l <= SPP_LAYOUT_NHWC && (k->layouts & SPP_LAYOUT_BIT(l)) != 0;
}

int spp_cpu_supports(spp_isa isa)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    switch (isa) {
    case SPP_ISA_SCALAR:
        return 1;
    case SPP_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SPP_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    }
    return 0;
#else
    return isa == SPP_ISA_SCALAR;
#endif
}
