/* nhwc_fused_plan.h: the plan and the paths of the fused NHWC kernels (nhwc__fused_avx2,
 * nhwc__fused_avx512), built by nhwc_fused_plan.c (scalar, compiled once). Not a kernel.
 *
 * Paths (fz_path; spp_fz_paths names them): both kernels have the same ones and choose them
 *    the same way, in one function, spp_fz_choose_path: every size and cache threshold of
 *    these kernels is used there and nowhere else. The plan below is built per call for the
 *    path the caller resolved.
 * Column intervals: the distinct column intervals of all levels (qs, qe; colq maps a level's
 *    column bin to one), in computation order (ord: shorter first). An interval that is an
 *    exact union of shorter ones (for max any cover whose pieces advance left to right, for
 *    sums an exact partition) is merged from their partials (np pieces) instead of re-read
 *    from the input (np = 0). Where levels do not nest (sppnet windows), the elementary
 *    segments between all interval ends are added when that is cheaper, so each column of a
 *    row is scanned once (a plan choice within every row path, not a path of its own; test
 *    builds add them always with FZ_FORCE_SEGMENTS). The choice does not depend on the pool.
 * Row ranges (rr): the bins of level l containing row h are rr[2*(l*H+h)] .. rr[2*(l*H+h)+1]
 *    (bin starts and ends never decrease with the bin index in any convention).
 * Two-phase (two): 1 (path two-phase) or 2 (two-phase-cols): a block's partials of all rows
 *    kept (H * nq slots), then every bin folds its rows; rowon flags the rows some bin holds.
 * 2-D blocks (blk, ra, ca, need; path blocks-2d, max forward): the elementary row and
 *    column segments of all levels (leaves) cut the map into disjoint blocks; every other row
 *    or column item is merged from shorter ones. Impossible when a leaf is not elementary or
 *    an axis has more than FZ2_MAXI / 3 distinct intervals (spp_fz_choose_path then refuses
 *    the path). Its exact rerun (a possible NaN; values only, a +0.0/-0.0 tie between side-by-side
 *    pieces) takes the row path the kernel would choose. */
#ifndef NHWC_FUSED_PLAN_H
#define NHWC_FUSED_PLAN_H

#include <stdint.h>

#include "spp_internal.h"

#define FZ_MAXQ (SPP_MAX_LEVELS * SPP_MAX_LEVEL)
#define FZ_MAXP 16

/* The paths, in the order of spp_fz_paths (nhwc_fused_plan.c); the int a path index is. */
enum {
    FZP_SCALAR,     /* naive's loops */
    FZP_SMALL,      /* the small-plane core (small_cells_avx2.h / small_cells_avx512.h) */
    FZP_ROWS,       /* one row at a time (nhwc_fused_rows.h) */
    FZP_TWO,        /* two-phase, partials row by row */
    FZP_TWO_COLS,   /* two-phase, partials interval by interval */
    FZP_BLOCKS,     /* 2-D blocks (nhwc_fused_blocks.h) */
    FZP_BT,         /* max backward: L1 tile written to dx once */
    FZP_BT_PFW,     /* the same, the copy-out prefetching dx for writing */
    FZP_SCATTER,    /* max backward: zero-fill (memset), then scatter */
    FZP_SCATTER_NT, /* the same, zero-fill by streaming stores */
    FZP_BWD_AVG,    /* avg backward, row by row */
    FZP_BWD_WIN,    /* max or avg backward, bins' windows in an L1 tile */
    FZP_COUNT
};
extern const spp_path spp_fz_paths[FZP_COUNT];
/* The kernels' choose_path (include/spp.h: spp_choose_path_fn): nhwc__fused_avx2's and
 * nhwc__fused_avx512's (they differ in the row path only, nhwc_fused_plan.c). FZ_CHOOSE is
 * the one of the kernel being compiled. */
int spp_fz_choose_path(const spp_plan *pl, int threads, spp_pass pass, int force);
int spp_fz512_choose_path(const spp_plan *pl, int threads, spp_pass pass, int force);
#ifdef NHWC_AVX512
#define FZ_CHOOSE spp_fz512_choose_path
#else
#define FZ_CHOOSE spp_fz_choose_path
#endif
/* Whether path serves pass (spp_fz_paths[path].passes). */
static inline int fz_serves(int path, spp_pass pass)
{
    return path >= 0 && path < FZP_COUNT && (spp_fz_paths[path].passes & SPP_PASS_BIT(pass));
}

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
    int two;                                  /* 2: two-phase-cols, 1: two-phase, 0: rows */
    uint8_t *rowon;                           /* two-phase: row h lies in some bin (H flags,
                                                 after rr in the workspace) */
    int64_t qs[FZ_MAXQ], qe[FZ_MAXQ];         /* [qs, qe) */
    int16_t ord[FZ_MAXQ];                     /* computation order: shorter first */
    int16_t np[FZ_MAXQ];                      /* 0: scan the input; else pieces to merge */
    int16_t piece[FZ_MAXQ][FZ_MAXP];
    int16_t colq[SPP_MAX_LEVELS][SPP_MAX_LEVEL]; /* level l, column bin j -> interval */
    int32_t lbin[SPP_MAX_LEVELS];             /* first accumulator of level l */
    int64_t pslots;                           /* partial slots per thread of the path */
    int blk;                                  /* max, no NaN: the 2-D blocks */
    fz_axis ra, ca;                           /* 2-D blocks: row and column items */
    uint64_t need[FZ2_MAXI];                  /* row item -> the column items its bins need */
} fz_plan;


static inline size_t fz_round(size_t b) { return (b + 63) / 64 * 64; }
/* The workspace's plan part: the fz_plan, the row ranges rr, the row flags rowon. */
static inline size_t fz_plan_bytes(const spp_plan *pl)
{
    return spp_page_round(fz_round(sizeof(fz_plan)) +
                          fz_round((size_t)pl->p.h * pl->p.nlevels * 2 * sizeof(int32_t)) +
                          fz_round((size_t)pl->p.h)); /* the threads' slices start a page */
}

/* The tile of the tiled max backward: FZ_BT_LANES channels per pixel. */
#define FZ_BT_LANES 16

/* The plan (fp), row ranges (rr) and row flags (rowon: fz_plan_bytes' second and third parts)
 * for pl and a row path or the 2-D blocks (FZP_ROWS, FZP_TWO, FZP_TWO_COLS, FZP_BLOCKS; any
 * other path gets rr and lbin and no partial slots); sums: avg (the intervals' pieces must
 * then partition them). The path must be valid (spp_fz_choose_path). */
void spp_fz_build(fz_plan *fp, int32_t *rr, uint8_t *rowon, const spp_plan *pl, int sums, int path);
/* The partial slots per thread that spp_fz_build will ask for (fz_plan.pslots) on this path,
 * for sizing the workspace before a plan exists. */
int64_t spp_fz_count_slots(const spp_plan *pl, int path);

#endif
