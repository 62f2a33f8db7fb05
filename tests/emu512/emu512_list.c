/* The emulated AVX-512 kernels as spp-check's extra kernels (tests/spp_check.c), under their
 * own names so they are told apart from the registry's (skipped) AVX-512 kernels. */
#include "spp.h"

extern const spp_kernel spp_emu512_binscan, spp_emu512_fused, spp_emu512_nchw_fused;

static spp_kernel named(spp_kernel k, const char *name)
{
    k.name = name;
    return k;
}

const spp_kernel *const *spp_check_extra_kernels(void)
{
    static spp_kernel ks[3];
    static const spp_kernel *list[4];
    if (!list[0]) {
        ks[0] = named(spp_emu512_binscan, "emu512:nhwc__avx512");
        ks[1] = named(spp_emu512_fused, "emu512:nhwc__fused_avx512");
        ks[2] = named(spp_emu512_nchw_fused, "emu512:nchw__fused_avx512");
        for (int i = 0; i < 3; i++)
            list[i] = &ks[i];
        list[3] = NULL;
    }
    return list;
}
