/* The kernel registry: one table built from kernels/kernels.inc. */
#include <stdio.h>
#include <stdlib.h>
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

/* What this CPU and OS can run, before SPP_MAX_ISA. */
static int cpu_has(spp_isa isa)
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

/* SPP_MAX_ISA: -1 unset (or empty), -2 not an ISA name, else the cap. Read on every call, so a
 * test can change it between calls. */
static int isa_cap(void)
{
    const char *v = getenv("SPP_MAX_ISA");
    if (!v || !*v)
        return -1;
    for (int i = SPP_ISA_SCALAR; i <= SPP_ISA_AVX512; i++)
        if (strcmp(v, spp_isa_name((spp_isa)i)) == 0)
            return i;
    return -2;
}

int spp_cpu_supports(spp_isa isa) { return spp_isa_unavailable(isa) == NULL; }

const char *spp_isa_unavailable(spp_isa isa)
{
    static _Thread_local char why[160];
    const int cap = isa_cap();
    if (cap == -2 && isa != SPP_ISA_SCALAR)
        snprintf(why, sizeof why, "SPP_MAX_ISA=%.64s: expected scalar, avx2 or avx512",
                 getenv("SPP_MAX_ISA"));
    else if (cap >= 0 && (int)isa > cap)
        snprintf(why, sizeof why, "needs %s, above SPP_MAX_ISA=%s", spp_isa_name(isa),
                 spp_isa_name((spp_isa)cap));
    else if (!cpu_has(isa))
        snprintf(why, sizeof why, "needs %s, which this CPU lacks", spp_isa_name(isa));
    else
        return NULL;
    return why;
}
