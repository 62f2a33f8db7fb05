/* nhwc_fused_plan.h: the plan of the fused NHWC kernels (nhwc__fused_avx2, nhwc__fused_avx512),
 * built per call by nhwc_fused_plan.c (scalar, compiled once) into the workspace. Not a kernel.
 *
 * Column intervals: the distinct column intervals of all levels (qs, qe; colq maps a level's
 *    column bin to one), in computation order (ord: shorter first). An interval that is an
 *    exact union of shorter ones (for max any cover whose pieces advance left to right, for
 *    sums an exact partition) is merged from their partials (np pieces) instead of re-read
 *    from the input (np = 0). Where levels do not nest (sppnet windows), the elementary
 *    segments between all interval ends are added when that is cheaper, so each column of a
 *    row is scanned once. The choice does not depend on the pool, so the forward and the
 *    backward of one plan agree on nq (the workspace is sized from it).
 * Row ranges (rr): the bins of level l containing row h are rr[2*(l*H+h)] .. rr[2*(l*H+h)+1]
 *    (bin starts and ends never decrease with the bin index in any convention).
 * Two-phase (two): 1 or 2 when H * nq partial slots are at most FZ_TWO_SLOTS, so a block's
 *    partials of all rows stay in L2 (2: built interval by interval when they fit L1).
 * 2-D blocks (blk, ra, ca, need): for max with argmax on maps of at least 600 cells whose
 *    input stays in L3, the elementary row and column segments of all levels (leaves) cut the
 *    map into disjoint blocks; every other row or column item is merged from shorter ones.
 *    Not used when a leaf is not elementary or an axis has too many items.
 * Tile backward (fz_back_tiled): max backward of small maps with at least one output per 4
 *    pixels adds dy into a tile of FZ_BT_LANES channels per pixel in L1, then writes it to dx;
 *    with fewer outputs the tile's writes cost more than the scatter into dx saves.
 * Test builds force choices: FZ_FORCE_SEGMENTS, FZ_FORCE_BLOCKS, FZ_FORCE_BACK_TILE, and
 *    FZ_BT_MAX_HW (mk/check.mk). */
#ifndef NHWC_FUSED_PLAN_H
#define NHWC_FUSED_PLAN_H

#include <stdint.h>

#include "spp_internal.h"

#define FZ_MAXQ (SPP_MAX_LEVELS * SPP_MAX_LEVEL)
#define FZ_MAXP 16
#define FZ_TWO_SLOTS 320

/* One axis of the 2-D blocks (fz_blocks): items [qs, qe) read from the input (leaves, np = 0)
 * or merged from shorter ones, as in the column intervals of the row path. */
#define FZ2_MAXI 64 /* items per axis: fz_plan.need is a 64-bit mask of column items */
typedef struct {
    int nq, nleaf;
    int64_t qs[FZ2_MAXI], qe[FZ2_MAXI];
    int16_t ord[FZ2_MAXI], np[FZ2_MAXI], piece[FZ2_MAXI][FZ_MAXP];
    int16_t leaf[FZ2_MAXI]; /* the leaves by position */
    int16_t lix[FZ2_MAXI];  /* leaf item -> its index in leaf[] */
    int16_t map[SPP_MAX_LEVELS][SPP_MAX_LEVEL]; /* level l, bin row/column i -> item */
} fz_axis;

typedef struct {
    int nq;                                   /* distinct column intervals */
    int two;                                  /* two-phase (fz_two_phase): 2, 1; else 0 */
    int64_t qs[FZ_MAXQ], qe[FZ_MAXQ];         /* [qs, qe) */
    int16_t ord[FZ_MAXQ];                     /* computation order: shorter first */
    int16_t np[FZ_MAXQ];                      /* 0: scan the input; else pieces to merge */
    int16_t piece[FZ_MAXQ][FZ_MAXP];
    int16_t colq[SPP_MAX_LEVELS][SPP_MAX_LEVEL]; /* level l, column bin j -> interval */
    int32_t lbin[SPP_MAX_LEVELS];             /* first accumulator of level l */
    uint8_t rowon[FZ_TWO_SLOTS];              /* two-phase: row h lies in some bin */
    int64_t pslots;                           /* partial slots per thread, either path */
    int blk;                                  /* max with argmax, no NaN: the 2-D blocks */
    fz_axis ra, ca;                           /* 2-D blocks: row and column items */
    uint64_t need[FZ2_MAXI];                  /* row item -> the column items its bins need */
} fz_plan;


static inline size_t fz_round(size_t b) { return (b + 63) / 64 * 64; }
/* The workspace's plan part: the fz_plan, then the row ranges rr. */
static inline size_t fz_plan_bytes(const spp_plan *pl)
{
    return fz_round(sizeof(fz_plan)) + fz_round((size_t)pl->p.h * pl->p.nlevels * 2 * sizeof(int32_t));
}

/* The tile backward (file header): maps of at most FZ_BT_MAX_HW pixels. */
#ifndef FZ_BT_MAX_HW
#define FZ_BT_MAX_HW 400
#endif
#define FZ_BT_LANES 16
#ifdef FZ_FORCE_BACK_TILE /* test builds: the tile on every max shape */
#define FZ_BT_FORCED 1
#else
#define FZ_BT_FORCED 0
#endif
static inline int fz_back_tiled(const spp_plan *pl)
{
    const int64_t hw = pl->p.h * pl->p.w;
    return pl->p.pool == SPP_POOL_MAX &&
           (FZ_BT_FORCED || (hw <= FZ_BT_MAX_HW && 4 * pl->bins_per_channel >= hw));
}

/* The plan (fp) and row ranges (rr, fz_plan_bytes' second part) for pl; sums: avg (the
 * intervals' pieces must then partition them). */
void spp_fz_build(fz_plan *fp, int32_t *rr, const spp_plan *pl, int sums);
/* The partial slots per thread that spp_fz_build will ask for (fz_plan.pslots), for sizing
 * the workspace before a plan exists. */
int64_t spp_fz_count_slots(const spp_plan *pl);

#endif
