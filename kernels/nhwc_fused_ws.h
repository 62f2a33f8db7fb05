/* nhwc_fused_ws.h: the fused NHWC kernels' tasks and workspace, per ISA (they depend on the
 * channel block CBW of nhwc_simd.h). Not a kernel.
 *
 * Tasks: (sample, group of consecutive CBW-channel blocks). A group is as wide as keeps its
 *    accumulators within FZ_GROUP_BYTES (L2), usually all of C, so a task walks each input
 *    row front to back instead of reading CBW channels out of every C; groups are split
 *    further (spp_group_for_threads) so there are >= 2 tasks per thread when N is small.
 * Workspace, per path (nhwc_fused_plan.h): none for scalar; the small-plane core's
 *    (sc_workspace_any) for small-cells; else room for the plan (fz_plan_bytes; unused when
 *    the operation keeps it as prepared state, fz_state_size), then per thread the
 *    accumulators of a group (sum n^2 bins x CBW channels x 8 bytes: value and position, or
 *    the avg backward's gradients) and the path's partial slots (one row of column partials,
 *    all rows for two-phase, or the 2-D blocks'), or the tiled max backward's tile when that
 *    is more (H*W x FZ_BT_LANES x 4 bytes). A kernel's workspace is the largest over the
 *    paths its passes run. */
#ifndef NHWC_FUSED_WS_H
#define NHWC_FUSED_WS_H

#include "fused_cells_plan.h"
#include "nhwc_fused_plan.h"
#include "nhwc_simd.h"

#define FZ_GROUP_BYTES (256u << 10)

/* Channel blocks per task (a "group"): as many as keep the group's accumulators within
 * FZ_GROUP_BYTES; fz_group splits further when samples alone give too few tasks. */
static int64_t fz_group_max(const spp_plan *pl)
{
    const int64_t nblk = (pl->p.c + CBW - 1) / CBW;
    int64_t g = (int64_t)(FZ_GROUP_BYTES / ((size_t)pl->bins_per_channel * CBW * 8));
    return g < 1 ? 1 : g > nblk ? nblk : g;
}
static int64_t fz_group(const spp_plan *pl, int threads, int64_t nblk)
{
    const int64_t g = fz_group_max(pl);
    return spp_group_for_threads(g < nblk ? g : nblk, nblk, pl->p.n, threads);
}
static inline int fz_tiled(int path) { return path == FZP_BT || path == FZP_BT_PFW; }
/* The bins of the pyramid's largest level. */
static inline int64_t fz_win_bins(const spp_plan *pl)
{
    int64_t st = 0;
    for (int l = 0; l < pl->p.nlevels; l++)
        st = (int64_t)pl->lv[l].n * pl->lv[l].n > st ? (int64_t)pl->lv[l].n * pl->lv[l].n : st;
    return st;
}
/* The bwd-window path's per-thread bytes (nhwc_fused_bwd_window.h): its tile, then a level's
 * dy and argmax, VW lanes each. */
static inline size_t fz_win_bytes(const spp_plan *pl)
{
    return (size_t)(pl->p.h * pl->p.w + 2 * fz_win_bins(pl)) * VW * 4;
}
/* Per thread, on a path: a group's accumulators and pslots partial slots (FZ_SLOT floats each
 * on the forward's paths, CBW on the backward's), or the tiled max backward's tile if that is
 * more. */
static size_t fz_thread_bytes(const spp_plan *pl, int64_t pslots, int path)
{
    const size_t sw = path >= FZP_BT ? CBW : FZ_SLOT; /* the backward's paths come last */
    const size_t slots = (size_t)fz_group_max(pl) * pl->bins_per_channel + (size_t)pslots;
    const size_t a = fz_round(slots * sw * 8);
    const size_t t = fz_tiled(path) ? (size_t)(pl->p.h * pl->p.w) * FZ_BT_LANES * 4
                     : path == FZP_BWD_WIN ? fz_win_bytes(pl)
                                           : 0;
    return spp_page_round(a > t ? a : t); /* a page of its own per thread */
}

/* The workspace one path needs. */
static size_t fz_path_workspace(const spp_plan *pl, int threads, int path)
{
    if (path == FZP_SCALAR)
        return 0;
    if (path == FZP_SMALL)
        return sc_workspace_any(pl, threads);
    return fz_plan_bytes(pl) + (size_t)(threads < 1 ? 1 : threads) *
                                   fz_thread_bytes(pl, spp_fz_count_slots(pl, path), path);
}

/* The kernels' workspace_size: the most any pass of the problem needs, each pass on its own
 * path or, for the passes it serves, on path (>= 0: forced). */
static size_t fz_workspace(const spp_plan *pl, int threads, int path)
{
    const int passes = spp_passes_of(pl->p.pool);
    size_t most = 0;
    for (int s = 0; s < SPP_NPASSES; s++)
        if (passes & (int)SPP_PASS_BIT(s)) {
            const int q = fz_serves(path, (spp_pass)s)
                              ? path
                              : FZ_CHOOSE(pl, threads, (spp_pass)s, -1);
            const size_t b = fz_path_workspace(pl, threads, q);
            most = b > most ? b : most;
        }
    return most;
}

/* The plan's parts (fz_plan_bytes) at st, a prepared state or the workspace's start: the
 * fz_plan, rr, rowon. */
static inline fz_plan *fz_plan_at(char *st, const spp_plan *pl, int32_t **rr, uint8_t **rowon)
{
    const size_t rb = fz_round((size_t)pl->p.h * pl->p.nlevels * 2 * sizeof(int32_t));
    *rr = (int32_t *)(void *)(st + fz_round(sizeof(fz_plan)));
    *rowon = (uint8_t *)(st + fz_round(sizeof(fz_plan)) + rb);
    return (fz_plan *)(void *)st;
}

/* Whether a path runs on a plan (spp_fz_build): the row paths and the 2-D blocks, and the avg
 * backward; scalar, small-cells and the max backward paths do not. */
static inline int fz_planned(spp_pass pass, int path)
{
    if (path == FZP_SCALAR || path == FZP_SMALL)
        return 0;
    return pass != SPP_PASS_BACKWARD || path == FZP_BWD_AVG;
}

/* The pass's plan at st (fz_plan_bytes; sums for avg, as both passes pool). */
static inline void fz_plan_write(const spp_plan *pl, int path, char *st)
{
    int32_t *rr;
    uint8_t *rowon;
    fz_plan *fp = fz_plan_at(st, pl, &rr, &rowon);
    spp_fz_build(fp, rr, rowon, pl, pl->p.pool == SPP_POOL_AVG, path);
}

/* The plan a call runs on: the operation's state, or written into the workspace ws now. */
static inline const fz_plan *fz_plan_for(const spp_plan *pl, const spp_exec *ex, int path,
                                         const int32_t **rr)
{
    char *st = ex->state ? (char *)(uintptr_t)ex->state : (char *)ex->workspace;
    if (!ex->state)
        fz_plan_write(pl, path, st);
    int32_t *r;
    uint8_t *rowon;
    const fz_plan *fp = fz_plan_at(st, pl, &r, &rowon);
    *rr = r;
    return fp;
}

/* The kernels' state_size: small-cells' state (fused_cells_plan.h), or the plan of a path
 * that runs on one; a prepared operation keeps it, a call without one writes it into the
 * workspace. */
static size_t fz_state_size(const spp_plan *pl, int threads, spp_pass pass, int path)
{
    (void)threads;
    if (path == FZP_SMALL)
        return sc_state_bytes(pl);
    return fz_planned(pass, path) ? fz_plan_bytes(pl) : 0;
}

#endif
