/* The emulated AVX-512 region kernels as spp-check's extra region kernels (the weak hook
 * spp_check_extra_region_kernels of tests/check_regions.c), under their own names so they are
 * told apart from the registry's (skipped) AVX-512 region kernels. */
#include "spp.h"

const spp_region_kernel *const *spp_check_extra_region_kernels(void);

extern const spp_region_kernel spp_emu512_roi_nhwc, spp_emu512_roi_nchw;

static spp_region_kernel named(spp_region_kernel k, const char *name)
{
    k.name = name;
    return k;
}

const spp_region_kernel *const *spp_check_extra_region_kernels(void)
{
    static spp_region_kernel ks[2];
    static const spp_region_kernel *list[3];
    if (!list[0]) {
        ks[0] = named(spp_emu512_roi_nhwc, "emu512:nhwc_roi__omp_avx512");
        ks[1] = named(spp_emu512_roi_nchw, "emu512:nchw_roi__nhwc_omp_avx512");
        list[0] = &ks[0];
        list[1] = &ks[1];
        list[2] = NULL;
    }
    return list;
}
