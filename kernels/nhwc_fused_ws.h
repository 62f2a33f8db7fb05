/* nhwc_fused_ws.h: the fused NHWC kernels' tasks and workspace, per ISA (they depend on the
 * channel block CBW of nhwc_simd.h). Not a kernel.
 *
 * Tasks: (sample, group of consecutive CBW-channel blocks). A group is as wide as keeps its
 *    accumulators within FZ_GROUP_BYTES (L2), usually all of C, so a task walks each input
 *    row front to back instead of reading CBW channels out of every C; groups are split
 *    further (spp_group_for_threads) so there are >= 2 tasks per thread when N is small.
 * Workspace: the plan (nhwc_fused_plan.h: fz_plan_bytes), then per thread the accumulators
 *    of a group (sum n^2 bins x CBW channels x 8 bytes: value and position, or the backward's
 *    gradients) and the partial slots (one row of column partials, all rows for two-phase,
 *    or the 2-D blocks', whichever is most), or the max backward's tile when that is more
 *    (H*W x FZ_BT_LANES x 4 bytes).
 * Inputs of at most FZ_MIN_ELEMS elements run naive's loops: the per-call plan would cost
 *    more than the whole problem there. */
#ifndef NHWC_FUSED_WS_H
#define NHWC_FUSED_WS_H

#include "nhwc_fused_plan.h"
#include "nhwc_simd.h"

#define FZ_MIN_ELEMS 512
#define FZ_GROUP_BYTES (256u << 10)

/* Channel blocks per task (a "group"): as many as keep the group's accumulators within
 * FZ_GROUP_BYTES; fz_group splits further when samples alone give too few tasks. */
static int64_t fz_group_max(const spp_plan *pl)
{
    const int64_t nblk = (pl->p.c + CBW - 1) / CBW;
    int64_t g = (int64_t)(FZ_GROUP_BYTES / ((size_t)pl->bins_per_channel * CBW * 8));
    return g < 1 ? 1 : g > nblk ? nblk : g;
}
static int64_t fz_group(const spp_plan *pl, int threads)
{
    const int64_t nblk = (pl->p.c + CBW - 1) / CBW, n = pl->p.n;
    return spp_group_for_threads(fz_group_max(pl), nblk, n, threads);
}
/* Per thread: a group's accumulators and pslots partial slots, or the backward's tile. */
static size_t fz_thread_bytes_for(const spp_plan *pl, int64_t pslots)
{
    const size_t a = fz_round(((size_t)fz_group_max(pl) * pl->bins_per_channel + (size_t)pslots) * CBW * 8);
    const size_t t = fz_back_tiled(pl) ? (size_t)(pl->p.h * pl->p.w) * FZ_BT_LANES * 4 : 0;
    return a > t ? a : t;
}
static size_t fz_thread_bytes(const spp_plan *pl)
{
    return fz_thread_bytes_for(pl, spp_fz_count_slots(pl));
}
static size_t fz_workspace(const spp_plan *pl, int threads)
{
    return fz_plan_bytes(pl) + (size_t)(threads < 1 ? 1 : threads) * fz_thread_bytes(pl);
}

#endif
