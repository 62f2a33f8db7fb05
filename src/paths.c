/* Named kernel paths (include/spp.h, docs/kernels.md#paths): the rule that applies a forced
 * path only to the passes it serves, shared by the whole-map and the region kernels. */
#include <string.h>

#include "spp_internal.h"

spp_pass spp_forward_pass(const spp_problem *p, const int32_t *argmax)
{
    return p->pool == SPP_POOL_MAX && !argmax ? SPP_PASS_INFER : SPP_PASS_FORWARD;
}

const char *spp_pass_name(spp_pass pass)
{
    switch (pass) {
    case SPP_PASS_FORWARD:
        return "forward";
    case SPP_PASS_INFER:
        return "infer";
    case SPP_PASS_BACKWARD:
        return "backward";
    }
    return "?";
}

static int find(const spp_path *paths, int npaths, const char *name)
{
    for (int i = 0; name && i < npaths; i++)
        if (strcmp(paths[i].name, name) == 0)
            return i;
    return -1;
}

int spp_kernel_path_find(const spp_kernel *k, const char *name)
{
    return k ? find(k->paths, k->npaths, name) : -1;
}

int spp_region_kernel_path_find(const spp_region_kernel *k, const char *name)
{
    return k ? find(k->paths, k->npaths, name) : -1;
}

/* force as the kernel's choose_path receives it: -1 unless the path serves this pass */
static int force_for(const spp_path *paths, int npaths, spp_pass pass, int force)
{
    return force >= 0 && force < npaths && (paths[force].passes & SPP_PASS_BIT(pass)) ? force
                                                                                        : -1;
}

int spp_kernel_path(const spp_kernel *k, const spp_plan *plan, int threads, spp_pass pass,
                    int force)
{
    const int f = force_for(k->paths, k->npaths, pass, force);
    return k->choose_path ? k->choose_path(plan, threads, pass, f) : 0;
}

int spp_region_kernel_path(const spp_region_kernel *k, const spp_region_plan *plan,
                           int threads, spp_pass pass, int force)
{
    const int f = force_for(k->paths, k->npaths, pass, force);
    return k->choose_path ? k->choose_path(plan, threads, pass, f) : 0;
}

int spp_passes_of(spp_pool pool)
{
    return pool == SPP_POOL_MAX ? (int)SPP_PASSES_ALL
                                : (int)(SPP_PASS_BIT(SPP_PASS_FORWARD) |
                                        SPP_PASS_BIT(SPP_PASS_BACKWARD));
}

void spp_path_list(char *buf, size_t cap, const spp_path *paths, const int *valid, int npaths)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < npaths && len + 1 < cap; i++)
        if (!valid || valid[i]) {
            const int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", paths[i].name);
            if (n < 0)
                break;
            len += (size_t)n;
        }
    if (len >= cap && cap > 4)
        strcpy(buf + cap - 4, "...");
}
