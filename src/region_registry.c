/* The region kernel registry: one table built from kernels/regions.inc (same pattern as
 * src/registry.c and kernels/kernels.inc). */
#include <string.h>

#include "spp_internal.h"

#define SPP_REGION_KERNEL(sym) extern const spp_region_kernel spp_region_kernel_##sym;
#include "regions.inc"
#undef SPP_REGION_KERNEL

static const spp_region_kernel *const TABLE[] = {
#define SPP_REGION_KERNEL(sym) &spp_region_kernel_##sym,
#include "regions.inc"
#undef SPP_REGION_KERNEL
};

int spp_region_kernel_count(void) { return (int)(sizeof TABLE / sizeof TABLE[0]); }

const spp_region_kernel *spp_region_kernel_at(int i)
{
    return i >= 0 && i < spp_region_kernel_count() ? TABLE[i] : NULL;
}

const spp_region_kernel *spp_region_kernel_find(const char *name)
{
    for (int i = 0; name && i < spp_region_kernel_count(); i++)
        if (strcmp(TABLE[i]->name, name) == 0)
            return TABLE[i];
    return NULL;
}
