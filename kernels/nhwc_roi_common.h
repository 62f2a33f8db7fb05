/* What both forward paths of the channel-last region kernels share (nhwc_roi_avx2.h; the AVX2
 * and AVX-512 builds): the per-thread workspace, a box's segments and level sources, the sum.
 * Layout: nhwc, cell (h, w) at (h * W + w) * C, its channels contiguous. Pools: max and avg.
 * Conventions: all, from the plan's per-box interval table (no boundary math here).
 * Chunks: ROI_CB channels (4 ymm, 2 zmm) for the segment blocks and the argmax path, ROI_VCB
 * (8 ymm, 4 zmm) for the values-only direct path; a channel tail goes one vector at a time (8
 * lanes, 16 on the AVX-512 values-only path) with masked loads (lanes past C read 0, never
 * stored).
 * Segments (roi_axis_segments): the row (column) starts and ends of every level's bins cut the
 * box into elementary segments; every bin of every level is a union of consecutive segments,
 * so a (row segment x column segment) block reduced once serves every level, and each map cell
 * of the box is read once for all levels. lohi holds each interval's first and one-past-last
 * segment.
 * Level sources (max only): a coarser level whose bins are exact unions of m x m bins of a finer
 * one is built from it (roi_derivable: always for adaptive bins, checked on the intervals for
 * the other conventions); levels run finest first (roi_level_order), and roi_box_sources picks
 * each level's source once per box, for every chunk.
 * Folds: roi_rect_sum, over a rectangle of cells in row-major order (avg blocks); the max folds
 * of the values-only path are in nhwc_roi_tables.h.
 * Workspace (roi_ws_bytes, roi_ws_carve): one roi_ws per thread: segment scratch sized for the
 * plan's largest box, one chunk's block and bin stages, the region's two staged rows, and the
 * streamed row's pending state and drain quota (nhwc_roi_row.h). No state crosses calls.
 * Weakest: a box whose levels' breakpoints rarely coincide makes up to (2 * sum n)^2 blocks. */
#ifndef NHWC_ROI_COMMON_H
#define NHWC_ROI_COMMON_H

#include <immintrin.h>
#include <string.h>

#include "spp_internal.h"

#define ROI_CB 32  /* channels per chunk: 4 ymm (2 zmm) */
#define ROI_VCB 64 /* per chunk of the values-only direct path: 8 ymm (4 zmm), 256 bytes a cell */

/* Per-thread workspace layout (bytes are computed by roi_ws_bytes). */
typedef struct {
    int32_t *idx;   /* max(H, W) + 1: position -> segment index scratch */
    int32_t *rbrk;  /* H + 1 row breakpoints (absolute rows) */
    int32_t *cbrk;  /* W + 1 column breakpoints */
    int32_t *lohi;  /* 2 per interval of one box: first and one-past-last segment */
    int32_t *src;   /* level order: src[SPP_MAX_LEVELS-1-t] is the t-th by decreasing n */
    int32_t from[SPP_MAX_LEVELS]; /* per level of the current box (max): the finer level its
                                   * bins are merged from, or -1 (reduced from the input) */
    float *bv;      /* max_blocks * ROI_CB block values (max) or sums (avg) */
    int32_t *bp;    /* max_blocks * ROI_CB block argmax */
    float *sv;      /* sum n^2 * ROI_VCB: every bin's result for the chunk, bin-major */
    int32_t *sp;
    float *yst;     /* C * sum n^2: one region's output row, canonical order */
    int32_t *ast;   /* its argmax row */
    const float *tab; /* shared by all threads: the map's max table (roi_tab_row), or NULL
                       * (not built: argmax asked, avg, or too few box reads to pay) */
    /* values-only direct path: the previous region's staged row, streamed out a few lines per
     * finest bin of the next region (roi_drain); yst and ast alternate as its two rows */
    float *pdst;
    const float *psrc;
    int64_t pn, pi; /* its floats, and the next one to stream */
    int quota;      /* lines streamed per finest bin: the row drains within one region */
} roi_ws;

static inline size_t roi_align(size_t b) { return (b + 63) / 64 * 64; }

/* Largest number of blocks any box of the plan can need: at most min(extent, 2 * sum n)
 * segments per axis (each interval adds at most two breakpoints). */
static inline int64_t roi_max_blocks(const spp_region_plan *pl)
{
    const int64_t cap = pl->iv_per_box; /* = 2 * sum n */
    int64_t best = 1;
    for (int64_t r = 0; r < pl->nboxes; r++) {
        const spp_box b = pl->boxes[r];
        int64_t nr = b.y1 - b.y0, nc = b.x1 - b.x0;
        nr = nr < cap ? nr : cap;
        nc = nc < cap ? nc : cap;
        if (nr * nc > best)
            best = nr * nc;
    }
    return best;
}

static inline size_t roi_ws_bytes(const spp_region_plan *pl)
{
    const spp_region_problem *p = &pl->p;
    const int64_t hw = (p->h > p->w ? p->h : p->w) + 1;
    const int64_t nb = roi_max_blocks(pl);
    return roi_align((size_t)hw * 4) + roi_align((size_t)(p->h + 1) * 4) +
           roi_align((size_t)(p->w + 1) * 4) + roi_align((size_t)pl->iv_per_box * 8) +
           roi_align(SPP_MAX_LEVELS * 4) + 2 * roi_align((size_t)nb * ROI_CB * 4) +
           roi_align((size_t)pl->bins_per_channel * ROI_VCB * 4) +
           roi_align((size_t)pl->bins_per_channel * ROI_CB * 4) +
           2 * roi_align((size_t)pl->out_per_region * 4);
}

static inline roi_ws roi_ws_carve(const spp_region_plan *pl, void *base)
{
    const spp_region_problem *p = &pl->p;
    const int64_t hw = (p->h > p->w ? p->h : p->w) + 1;
    const int64_t nb = roi_max_blocks(pl);
    char *q = base;
    roi_ws w;
    w.idx = (int32_t *)q, q += roi_align((size_t)hw * 4);
    w.rbrk = (int32_t *)q, q += roi_align((size_t)(p->h + 1) * 4);
    w.cbrk = (int32_t *)q, q += roi_align((size_t)(p->w + 1) * 4);
    w.lohi = (int32_t *)q, q += roi_align((size_t)pl->iv_per_box * 8);
    w.src = (int32_t *)q, q += roi_align(SPP_MAX_LEVELS * 4);
    w.bv = (float *)q, q += roi_align((size_t)nb * ROI_CB * 4);
    w.bp = (int32_t *)q, q += roi_align((size_t)nb * ROI_CB * 4);
    w.sv = (float *)q, q += roi_align((size_t)pl->bins_per_channel * ROI_VCB * 4);
    w.sp = (int32_t *)q, q += roi_align((size_t)pl->bins_per_channel * ROI_CB * 4);
    w.yst = (float *)q, q += roi_align((size_t)pl->out_per_region * 4);
    w.ast = (int32_t *)q;
    w.tab = NULL;
    w.pdst = NULL, w.psrc = NULL, w.pn = w.pi = 0;
    int64_t nmax = 1;
    for (int l = 0; l < p->nlevels; l++)
        nmax = p->levels[l] > nmax ? p->levels[l] : nmax;
    const int64_t bins = nmax * nmax * ((p->c + ROI_VCB - 1) / ROI_VCB); /* finest, per region */
    w.quota = (int)((pl->out_per_region / 16 + bins - 1) / bins);
    return w;
}

/* Segments of one axis of box r: fills brk (absolute breakpoints) and lohi for that axis's
 * intervals; returns the number of segments. cols selects the column intervals. */
static inline int roi_axis_segments(const spp_region_plan *pl, int64_t r, int cols,
                                    int64_t origin, int64_t extent, roi_ws *w, int32_t *brk)
{
    const spp_region_problem *p = &pl->p;
    const spp_interval *box_iv = pl->iv + r * pl->iv_per_box;
    int32_t *idx = w->idx;
    memset(idx, 0, (size_t)(extent + 1) * sizeof *idx);
    for (int l = 0; l < p->nlevels; l++) {
        const int n = p->levels[l];
        const spp_interval *v = box_iv + pl->iv_offset[l] + (cols ? n : 0);
        for (int i = 0; i < n; i++) {
            idx[v[i].start - origin] = 1;
            idx[v[i].end - origin] = 1;
        }
    }
    int k = 0;
    for (int64_t q = 0; q <= extent; q++)
        if (idx[q]) {
            brk[k] = (int32_t)(origin + q);
            idx[q] = k++;
        }
    for (int l = 0; l < p->nlevels; l++) {
        const int n = p->levels[l];
        const int64_t first = pl->iv_offset[l] + (cols ? n : 0);
        for (int i = 0; i < n; i++) {
            const spp_interval v = box_iv[first + i];
            w->lohi[2 * (first + i)] = idx[v.start - origin];
            w->lohi[2 * (first + i) + 1] = idx[v.end - origin];
        }
    }
    return k - 1;
}

/* Lane mask for channels c0 + 8*k .. of a chunk that has `valid` channels. */
static inline __m256i roi_lane_mask(int valid_in_vec)
{
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(valid_in_vec), lanes);
}

/* The sum of rows [h0,h1) x cols [w0,w1) in row-major order (avg blocks of the argmax path);
 * the values-only path's max folds are nhwc_roi_tables.h's roi_rect_fold. */
static inline __attribute__((always_inline)) void
roi_rect_sum(const float *x, int64_t C, int64_t W, int64_t c0, int64_t h0, int64_t h1,
             int64_t w0, int64_t w1, int nv, int masked, const __m256i *mask, __m256 *acc)
{
    for (int k = 0; k < nv; k++)
        acc[k] = _mm256_setzero_ps();
    for (int64_t h = h0; h < h1; h++) {
        const float *row = x + (h * W) * C + c0;
        for (int64_t w = w0; w < w1; w++) {
            const float *cell = row + w * C;
            for (int k = 0; k < nv; k++)
                acc[k] = _mm256_add_ps(acc[k], masked ? _mm256_maskload_ps(cell + 8 * k, mask[k])
                                                      : _mm256_loadu_ps(cell + 8 * k));
        }
    }
}

/* Can coarse level l be built from finer level f of this box? Its bins must be exact unions
 * of m x m of f's bins (n_f = m * n_l, no gaps). Adaptive bins always are: f's bin m*i starts
 * at floor(m*i*A/(m*n)) = floor(i*A/n), its bin m*i+m-1 ends at ceil((i+1)*A/n), and adaptive
 * bins never leave a gap (each starts at or before the previous one's end); other conventions
 * are checked on the plan's intervals, box by box. Max only (union is idempotent). */
static inline int roi_derivable(const spp_region_plan *pl, const spp_interval *box_iv, int l,
                                int f)
{
    const int n = pl->p.levels[l], nf = pl->p.levels[f];
    if (nf % n)
        return 0;
    if (pl->p.bins == SPP_BINS_ADAPTIVE)
        return 1;
    const int m = nf / n;
    for (int axis = 0; axis < 2; axis++) {
        const spp_interval *c = box_iv + pl->iv_offset[l] + (axis ? n : 0);
        const spp_interval *fi = box_iv + pl->iv_offset[f] + (axis ? nf : 0);
        for (int i = 0; i < n; i++) {
            const spp_interval *g = fi + m * i;
            if (g[0].start != c[i].start || g[m - 1].end != c[i].end)
                return 0;
            for (int a = 0; a + 1 < m; a++)
                if (g[a + 1].start > g[a].end)
                    return 0;
        }
    }
    return 1;
}

/* Per level of box r, the finer level (already staged when levels go finest first) its bins
 * are merged from, fewest bins merged, or -1: into w->from, once per box for every chunk.
 * Returns 1 when every level but the finest has one (then the values-only path reads the map
 * once per finest bin and builds the rest from those). Needs roi_level_order's w->src. */
static inline int roi_box_sources(const spp_region_plan *pl, int64_t r, roi_ws *w)
{
    const spp_interval *box_iv = pl->iv + r * pl->iv_per_box;
    int all = 1;
    for (int t = 0; t < pl->p.nlevels; t++) {
        const int l = w->src[SPP_MAX_LEVELS - 1 - t];
        int f = -1;
        for (int u = 0; u < t; u++) {
            const int g = w->src[SPP_MAX_LEVELS - 1 - u];
            if (roi_derivable(pl, box_iv, l, g) &&
                (f < 0 || pl->p.levels[g] < pl->p.levels[f]))
                f = g;
        }
        w->from[l] = f;
        all &= t == 0 || f >= 0;
    }
    return all;
}

/* Level order for derivation: w->src[SPP_MAX_LEVELS-1-t] is the t-th level by decreasing n
 * (stable), so a coarse level can reuse any finer one already staged. */
static inline void roi_level_order(const spp_region_plan *pl, roi_ws *w)
{
    const int L = pl->p.nlevels;
    int ord[SPP_MAX_LEVELS];
    for (int l = 0; l < L; l++)
        ord[l] = l;
    for (int a = 1; a < L; a++) /* insertion sort, stable, by decreasing n */
        for (int b = a; b > 0 && pl->p.levels[ord[b]] > pl->p.levels[ord[b - 1]]; b--) {
            const int t = ord[b];
            ord[b] = ord[b - 1];
            ord[b - 1] = t;
        }
    for (int t = 0; t < L; t++)
        w->src[SPP_MAX_LEVELS - 1 - t] = ord[t];
}

#endif
