/* The emulated AVX-512 kernels as spp-check's extra kernels (tests/spp_check.c), under their
 * own names so they are told apart from the registry's (skipped) AVX-512 kernels. */
#include "spp.h"

extern const spp_kernel spp_emu512_binscan, spp_emu512_fused;

static spp_kernel named(spp_kernel k, const char *name)
{
    k.name = name;
    return k;
}

const spp_kernel *const *spp_check_extra_kernels(void)
{
    static spp_kernel ks[2];
    static const spp_kernel *list[3];
    if (!list[0]) {
        ks[0] = named(spp_emu512_binscan, "emu512:nhwc__avx512");
        ks[1] = named(spp_emu512_fused, "emu512:nhwc__fused_avx512");
        list[0] = &ks[0];
        list[1] = &ks[1];
        list[2] = NULL;
    }
    return list;
}
