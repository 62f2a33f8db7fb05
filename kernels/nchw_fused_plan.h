/* nchw_fused_plan.h: the per-call plan of the NCHW fused kernels (nchw_fused.h). Not a kernel.
 *
 * Scalar, from the bin plan and the pyramid schedule (nchw_sched, nchw_common.h): which levels
 * are reduced from the input (input_levels, finest first); per input row, the bin rows of each
 * such level that hold the row and which of them start at it (row_ent, row_entries; rows are
 * visited in increasing order, so one cursor per level suffices); the length of the coarse
 * levels' merge program (coarse_prog_len); the workspace layout (fused_layout). The row lists
 * come as a table built once per call (paths "rows", "avg"; taken for planes of at most
 * FUSED_ROWTAB_MAX_ROWS rows) or are computed per group and row ("rows-tall", "avg-tall"),
 * so the workspace stays bounded in H. Offsets count floats of groups of `lanes` channels (8 for
 * the AVX2 row path, 16 for the AVX-512 one). Nothing here computes a bin boundary. */
#ifndef NCHW_FUSED_PLAN_H
#define NCHW_FUSED_PLAN_H

#include "nchw_common.h"
#include "spp_internal.h"

/* Per row, one level reduced from the input that pools it: its bins rows lo..lo+nb-1,
 * starting at float offset k0 of a group's bins (< 2^18); bit k of first: the row is bin
 * row lo+k's first. */
typedef struct { int32_t l, nb, lo, k0; uint64_t first; } row_ent;

/* Planes of at most this many rows get the row_ent lists as a table, built once per call, by
 * default; taller ones compute them per group and row (bounded workspace). Either is valid on
 * every plane. */
#define FUSED_ROWTAB_MAX_ROWS 4096

/* Levels reduced from the input, finest first (the order the schedule visits them). */
static int input_levels(const spp_plan *pl, const nchw_sched *s, int *inl)
{
    int nin = 0;
    for (int t = 0; t < pl->p.nlevels; t++)
        if (s->src[s->order[t]] < 0)
            inl[nin++] = s->order[t];
    return nin;
}

/* The row_ent list of row h (rows visited in increasing order; cur: a cursor per input
 * level, zero before row 0: the plan's interval starts and ends never decrease). */
static inline int row_entries(const spp_plan *pl, const nchw_sched *s, const int *inl, int nin,
                              int64_t h, int *cur, row_ent *ent, int lanes)
{
    int nent = 0;
    for (int u = 0; u < nin; u++) {
        const int l = inl[u];
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        int a = cur[u];
        while (a < n && lv->rows[a].end <= h)
            a++;
        cur[u] = a;
        int z = a;
        uint64_t first = 0; /* z - a <= n <= 64 bits */
        while (z < n && lv->rows[z].start <= h) {
            first |= (uint64_t)(lv->rows[z].start == h) << (z - a);
            z++;
        }
        if (z > a) {
            ent[nent].l = l;
            ent[nent].nb = z - a;
            ent[nent].lo = a;
            ent[nent].k0 = (int32_t)((s->bin_off[l] + (int64_t)a * n) * lanes);
            ent[nent].first = first;
            nent++;
        }
    }
    return nent;
}

typedef struct {
    size_t tab_off, cnt_off, cp_off, ci_off, shared; /* shared tables (one copy) */
    size_t v_off, p_off, slice;                      /* per thread */
    int64_t ncp;                                     /* int32s in the coarse program */
} fused_ws;

/* Coarse program length: per coarse bin, dst, count and the count source bins. */
static int64_t coarse_prog_len(const spp_plan *pl, const nchw_sched *s)
{
    int64_t len = 0;
    for (int l = 0; l < pl->p.nlevels; l++) {
        if (s->src[l] < 0)
            continue;
        const int n = pl->lv[l].n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                len += 2 + (int64_t)(s->rb[l][i] - s->ra[l][i] + 1) * (s->cb[l][j] - s->ca[l][j] + 1);
    }
    return len;
}

/* tab: the layout holds the per-call row_ent table (the paths that build one); lanes: the
 * channels of a group (8 or 16). */
static fused_ws fused_layout(const spp_plan *pl, int tab, int lanes)
{
    fused_ws f;
    nchw_sched s;
    nchw_sched_init(&s, pl);
    f.ncp = coarse_prog_len(pl, &s);
    int inl[SPP_MAX_LEVELS];
    const size_t nin = (size_t)input_levels(pl, &s, inl);
    const size_t H = tab ? (size_t)pl->p.h : 0;
    /* shared, written before the parallel region, read-only in it: the row_ent table (nin
     * per row) and its counts, if the path builds one; the coarse program (int32, at
     * most 2 + 127^2 per coarse bin); the column ids (W vectors) */
    f.tab_off = 0;
    f.cnt_off = nchw_align64(H * nin * sizeof(row_ent));
    f.cp_off = f.cnt_off + nchw_align64(H);
    f.ci_off = f.cp_off + nchw_align64((size_t)f.ncp * sizeof(int32_t));
    /* the column ids (W vectors); the slices start on a page of their own (spp_page_round) */
    f.shared = spp_page_round(f.ci_off + nchw_align64((size_t)pl->p.w * lanes * sizeof(int32_t)));
    f.v_off = nchw_align64((size_t)pl->p.w * lanes * sizeof(float));
    f.p_off = f.v_off + nchw_align64((size_t)pl->bins_per_channel * lanes * sizeof(float));
    f.slice = spp_page_round(f.p_off +
                             nchw_align64((size_t)pl->bins_per_channel * lanes * sizeof(int32_t)));
    return f;
}

#endif
