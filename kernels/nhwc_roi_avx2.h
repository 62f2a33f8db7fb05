/* Shared core of the channel-last AVX2 region kernels (nhwc_roi__avx2, nhwc_roi__omp_avx2).
 * Included only by files ending in avx2.c (compiled with -mavx2 -mfma); not a kernel itself.
 *
 * Read-once forward. For one box, the row (column) starts and ends of every level's bins, taken
 * from the plan's interval table, cut the box into elementary row (column) segments; every bin
 * of every level is a union of consecutive segments. The kernel reduces each (row segment x
 * column segment) block once, 32 channels at a time (four ymm of channels, two cache lines per
 * cell), then builds each bin by merging its blocks. So every map cell of a box is read once
 * for all levels, instead of once per level and again for overlapping adaptive bins.
 *
 * Max: inside a block, cells go in row-major order and a cell replaces the best when
 * v > best or v is NaN: that keeps the first maximum, lets a NaN beat numbers and the last NaN
 * win; the best starts at -inf with the block's first position, so an all -inf block gives -inf
 * at its first cell. The blocks of a chunk first run without the NaN term (max, compare,
 * blend), summing the inputs; a NaN in that sum reruns them with it. A bin without NaN takes
 * the max of its blocks and the smallest position holding it (roi_grid_max_nonan: 4 vector ops
 * per block, not the 7 of a pairwise merge); with a NaN, or a max of zero (-0.0 == +0.0), the
 * blocks merge pairwise with the full SPEC.md section 3 total order (value, then position, NaN
 * rules). Either way the bin result and argmax equal roi__naive bit for bit. Measured (same
 * run, det-688, 1 thread): 1.2-1.4x faster than the pairwise-only version.
 * Avg: float sums per block, merged in (row segment, column segment) order, divided by the
 * float product of the two divisors: one fixed order, within SPEC's bound.
 * Max without argmax (argmax NULL: inference, e.g. SPP-net detection at test time): one scan of the
 * map for NaN and -0.0 per call; with no NaN, max-only folds (one vmaxps per loaded vector, no
 * positions, no probe). When every coarser level of a box derives from a finer one (adaptive
 * pyramids), the finest level's bins are reduced straight from the map and the rest built from
 * them; otherwise from max-only segment blocks. When the boxes' areas sum to at least four maps (a
 * detection call: det-688 sums to 125), the call first builds a max table of the map (each cell's
 * 2x2 neighbourhood maximum, roi_tab_row; up to 2026-11-22 also a 4x4 one, see below) and the
 * finest bins of 2x2 cells or more read it; a finest bin whose intervals repeat its neighbour's (boxes narrower than the level) is
 * copied, not recomputed. det-688 reads 0.57 table cells per box cell (0.46 with the 4x4 table too)
 * against 1.70 map cells before
 * (1.41 with the copies alone; adaptive bins share and repeat cells). Measured (det-688, inference,
 * interleaved rounds of 5-repetition medians, fastest and median round): 1 thread 18.7 and 23.7 ms
 * against 21.2 and 23.8 ms without, 2 threads 10.7 and 12.2 against 12.6 and 13.1; the output
 * write, not the reads, is now most of the time (stubbing it out: 12-14.5 of 19-23 ms left). Equal
 * nonzero maxima are bitwise equal, so y is roi__naive's; when the map holds a -0.0 (the same scan
 * tells), a bin whose max is zero is rescanned for the first zero's sign (a ReLU map's zeros are
 * all +0.0: no rescans; measured on det-688 clamped at 0, 1 thread, same run: 1.1-1.2x faster than
 * rescanning every zero bin). With a NaN in the map, the argmax path runs and only y is stored. The
 * direct path takes 64 channels a chunk (8 ymm: 256 contiguous bytes a cell, half the loop overhead
 * per vector). Measured, det-688 at 1 thread, same runs: 30-34 ms with 32-channel chunks against
 * 55-60 ms with argmax and 40-42 ms from blocks; 64-channel chunks 1.1-1.3x faster again (25-30
 * ms); a row-streaming variant (each row once per 64-channel slab, bins accumulated in L1), row
 * segments shared by overlapping bin rows, a chunk-outer order (every box per channel chunk, to
 * keep the chunk's map slice in L2) and streaming each chunk's output spans instead of the whole
 * row all measured slower (the last two 1.3-1.7x). Also measured and not kept (same-run A/B,
 * det-688, 1 thread): row max tables of the map (pairs and quads of cells, so a bin row costs 1-3
 * loads: 0.47x the loads, but three maps' worth of lines, 1.2-1.5x slower); software prefetch of
 * the next chunk, the next box or the next bin row (1.03-1.33x slower); the finest bins over all
 * channels at once (a bin row band no longer fits L1, 1.3-1.4x slower); the previous region's rows
 * streamed a few lines per bin during the next one (no gain at 1 thread, slower with argmax).
 * Without the output write the inference path ran in 18-20 ms against 25-27 ms with it: the writes
 * do not overlap the reads whichever way they are issued. Again with the tables (above), same-run
 * A/B: streaming each finished row's 51 KB from the next row's chunk loop and prefetching the next
 * row's pages (TLB) were no faster; chunk-local staging with per-chunk spans and plain stores
 * instead of streamed ones (1.1-1.2x) were slower. A stand-alone loop of L1 compute plus 51 KB
 * streamed per window took the sum of the two, and 1.4x that with the stores spread one line at a
 * time: this machine does not hide streamed stores behind compute. Also measured and not kept
 * (2026-11-22, det-688 inference, 1 thread): boxes taken in another order (Morton order of their
 * centres, by finest-bin size class, by area) so that neighbouring boxes share table lines in L2:
 * 0.99-1.04x over 5 interleaved rounds; channel blocks outermost over all boxes, from a copy of
 * the map and tables blocked by 16 (or 8) channels so that a block's slice (470 KB) stays in L2:
 * 2.2x (3.2x) slower, the per-box work repeated per block and the output spans scattered;
 * the max tables stored blocked by 64 channels, box order unchanged, so that a chunk's table
 * cells along a bin row are 256 bytes apart instead of C * 4: 0.99x at 1 thread and 1.01x at 2
 * (6 interleaved rounds). Also measured and not kept (same day, det-688 inference, 1 thread,
 * 5-6 interleaved rounds): the finest bins' cell lists built once per box for all chunks (6 %
 * fewer instructions, 1.05x the time); 128-channel chunks (0.97x, within the noise); the row
 * copied out with rep movsb instead of streamed stores (1.26x); the level-3 bin tail transposed
 * by an overlapping 4-bin transpose instead of moved one by one (1.01x). Where the time goes
 * (4 rounds, medians): 22.6 ms as is; 13.5 with the output write stubbed out; 10.7 with the table
 * reads also pointed at a few L1-resident cells, 9.7 with the map reads too (15.7 with the write):
 * about 9.5 ms is instruction work at an IPC near 3 (callgrind: about 50k instructions a box).
 * Huge pages for the map, tables and output (spp_alloc, src/alloc.c) took 0.83x the time.
 * On an AMD Zen 4 (AVX-512, 2026-11-22; 6 interleaved rounds, det-688 inference): the direct
 * path as 4 zmm per 64-channel chunk instead of 8 ymm (a separate AVX-512 kernel, verified
 * bitwise) took 0.99x at 1 thread and 1.01x at 2, so it was not kept: Zen 4 splits 512-bit
 * operations in two and the path is not bound by instruction count. Parts of the time there
 * (5 interleaved rounds, stubbing each part out): output write about 3 ms of 14-15, the
 * transposes into the staged row 1.6-3 ms, the coarser levels from the finest 3.5 ms, the finest
 * bins with the table build 5 ms; the read-once bound is 4.0-4.4 ms on that machine. Also not
 * kept there: each 64-channel chunk's four level spans transposed into an L1 stage and streamed
 * at once (1.0-1.15x), the bin stages of the levels padded apart against 4K aliasing
 * (0.97-1.05x). perf (cpu-clock) puts about 45 % of the samples on the finest bins' table and
 * map loads (L2 misses: the map and the tables outgrow the 1 MiB L2) and about 22 % on the
 * streamed row copy. Kept there: the 2x2 table alone (ROI_NTAB 1; the 4x4 one dropped): 5 MB
 * of map and table to miss in instead of 7.5 and one build pass fewer, against more loads for
 * bins of 4 cells or more; same-run A/B, 5 interleaved rounds, 1 and 2 threads: det-688
 * 0.95x and 0.96x the time, det-864 0.93x and 0.99x, det-1200 0.84x and 0.82x, fast-rcnn 0.94x
 * and 0.96x, det-480 0.98x and 1.0x (two earlier A/Bs on det-688: 0.91-0.97x and 0.89-0.99x);
 * no table at all was 1.08-1.12x slower than the 2x2 one. Not kept after it (4 interleaved
 * rounds, det-688 inference, 1 and 2 threads): channel chunks outermost over all boxes, so that
 * a chunk's slice of map and table stays in L2 (32 channels: 627 KB), each box's level spans
 * streamed per chunk: 1.29x and 1.23x the time with 32-channel chunks, 1.04x and 0.92x with 64.
 * Kept after that (same-run A/B, det-688 inference, 4-6 interleaved rounds): each region's row
 * streamed a few lines per finest bin of the next region (roi_drain), 0.88-0.94x the time at 1
 * thread and 0.80-0.83x at 2; on this machine, unlike the Zen 3, stores spread that way drain
 * under the loads. Where the time goes after it (1 thread, stubbing parts out, 4 rounds): 10.75
 * ms in all, 8.5 without the output stores, 5.5-6.2 without the transposes into the staged row
 * too, 4.5 without the coarser levels too: the finest bins alone run at 1.15x the read-once
 * bound (3.85 ms). Not kept (same-run A/B, 4-6 rounds, 1 and 2 threads): the 8 x 8 transpose
 * from 128-bit halves (16 shuffles, not 24): 0.94x and 1.0x, within the noise; the previous
 * chunk's transposes done one 8-channel group per finest bin of the next chunk, so that they
 * fill the finest bins' load stalls: 1.24x and 1.37x (their stores into the staged row, which
 * is not in L1, then wait among the loads); each chunk's level spans transposed into an L1
 * stage and streamed during the next chunk instead of the whole row during the next region:
 * 1.11x and 1.19x; the stores also spread over the coarser levels and the transposes: within
 * the noise. The argmax path's two rows (y and argmax) streamed the same way, a few lines per
 * segment block of the next region, through a general list of pending rows: with argmax 0.96x
 * and 0.89x the time, but the inference path 1.07x and 1.11x (the list's bookkeeping on every
 * finest bin; 4 rounds), so not kept as it was.
 * Kept on 2026-11-22 (same-run A/B, det-688 inference, 4-6 interleaved rounds, 1 and 2 threads):
 * the level write-out specialised for the usual bin counts (roi_store_level), 0.88x and 0.98x.
 * Not kept that day (same kind of A/B): the 8 x 8 transpose's first stage from 128-bit
 * broadcasts and blends (16 shuffles; 0.98x and 1.09x; in a stand-alone loop 15 TSC ticks a
 * block against 10 for the 24-shuffle one, and 14.5 with vinsertf128 from memory: this Zen 4
 * runs the shuffles faster than the alternatives); the transposes writing into an L1 buffer
 * instead of the staged row (a timing probe: 1.05x and 0.98x, so the row's L2 lines are not
 * their cost); the row streamed partly during the coarser levels and the write-out too (40 % or
 * 30 % of its lines there: 1.02-1.08x and 1.05-1.07x); the drain quota set per box from its
 * computed (non-repeated) finest bins, nothing streamed on repeated ones (1.06x and 1.04x);
 * part of each bin's quota streamed before its loads (1.04x and 1.02x, or 0.99x and 1.03x with
 * all of it); a prefetch of the row's next lines into L1 (1.0x and 1.06x); the coarser levels
 * in their own unswitched loop (1.05x and 1.02x); the same code compiled for AVX-512VL (32 ymm
 * registers, no spills: 1.02x and 0.98x); at 2 threads, each thread taking half the channels
 * of every region instead of half the regions (one run: 13.0 ms against 8.2-8.9); the drain
 * quota scaled by 0.8 or 1.4 (1.01x and 1.01x, 1.05x and 1.04x: within the noise).
 * Backward: one pass over (region, level, bin row, bin column) in output order per channel,
 * the same order as roi__naive, so dx equals roi__naive's bitwise; threads (omp variant) own
 * disjoint channel ranges, so there are no atomics and no thread-count dependence. */
#ifndef NHWC_ROI_AVX2_H
#define NHWC_ROI_AVX2_H

#include <immintrin.h>
#include <string.h>

#include "avx2_transpose.h"
#include "spp_internal.h"

#define ROI_CB 32  /* channels per chunk: 4 ymm */
#define ROI_VCB 64 /* per chunk of the values-only direct path: 8 ymm, 256 bytes a cell */

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
    const float *tab; /* shared by all threads: the map's max tables (roi_tab_row), or NULL
                       * (not built: argmax asked, avg, or too few box reads to pay) */
    int64_t tstride;  /* floats from one table to the next */
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
    w.tstride = roi_align((size_t)spp_region_map_elems(&pl->p) * 4) / 4;
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

/* Max over block rows [h0,h1) x cols [w0,w1) for chunk channels c0.., NV vectors; masked
 * chunks (channel tail) load with maskload (lanes past C read as 0 and are never stored). */
static inline __attribute__((always_inline)) void
roi_block_max(const float *x, int64_t C, int64_t W, int64_t c0, int64_t h0, int64_t h1,
              int64_t w0, int64_t w1, int nv, int masked, const __m256i *mask, float *bv,
              int32_t *bp, int fast, __m256 *tot)
{
    __m256 best[4];
    __m256i pos[4];
    const __m256i first = _mm256_set1_epi32((int32_t)(h0 * W + w0));
    for (int k = 0; k < nv; k++) {
        best[k] = _mm256_set1_ps(-__builtin_inff());
        pos[k] = first;
    }
    for (int64_t h = h0; h < h1; h++) {
        const float *row = x + (h * W) * C + c0;
        for (int64_t w = w0; w < w1; w++) {
            const float *cell = row + w * C;
            const __m256i here = _mm256_set1_epi32((int32_t)(h * W + w));
            for (int k = 0; k < nv; k++) {
                const __m256 v = masked ? _mm256_maskload_ps(cell + 8 * k, mask[k])
                                        : _mm256_loadu_ps(cell + 8 * k);
                if (fast) { /* no NaN: max(v, best) is best unless v > best; *tot sees NaN */
                    const __m256 m = _mm256_cmp_ps(v, best[k], _CMP_GT_OQ);
                    *tot = _mm256_add_ps(*tot, v);
                    best[k] = _mm256_max_ps(v, best[k]);
                    pos[k] = _mm256_castps_si256(_mm256_blendv_ps(
                        _mm256_castsi256_ps(pos[k]), _mm256_castsi256_ps(here), m));
                    continue;
                }
                const __m256 m = _mm256_or_ps(_mm256_cmp_ps(v, best[k], _CMP_GT_OQ),
                                              _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                best[k] = _mm256_blendv_ps(best[k], v, m);
                pos[k] = _mm256_castps_si256(_mm256_blendv_ps(
                    _mm256_castsi256_ps(pos[k]), _mm256_castsi256_ps(here), m));
            }
        }
    }
    for (int k = 0; k < nv; k++) {
        _mm256_store_ps(bv + 8 * k, best[k]);
        _mm256_store_si256((__m256i *)(bp + 8 * k), pos[k]);
    }
}

/* Rows [h0,h1) x cols [w0,w1) folded in row-major order into acc:
 *  ROI_SUM        the sum (avg blocks);
 *  ROI_MAX        values only (no argmax asked, max, a map without NaN): the max, one op per
 *                 loaded vector (against compare, max, blend and a NaN probe with positions);
 *  ROI_FIRST_MAX  the same without NaN, but the first maximum's bits: for a bin whose max is
 *                 zero, where -0.0 == +0.0 and a plain max may return either sign; strict >
 *                 keeps the first, as roi__naive does. */
enum { ROI_SUM, ROI_MAX, ROI_FIRST_MAX };
static inline __attribute__((always_inline)) void
roi_rect_fold(const float *x, int64_t C, int64_t W, int64_t c0, int64_t h0, int64_t h1,
              int64_t w0, int64_t w1, int nv, int masked, const __m256i *mask, int op,
              __m256 *acc)
{
    for (int k = 0; k < nv; k++)
        acc[k] = op == ROI_SUM ? _mm256_setzero_ps() : _mm256_set1_ps(-__builtin_inff());
    for (int64_t h = h0; h < h1; h++) {
        const float *row = x + (h * W) * C + c0;
        for (int64_t w = w0; w < w1; w++) {
            const float *cell = row + w * C;
            for (int k = 0; k < nv; k++) {
                const __m256 v = masked ? _mm256_maskload_ps(cell + 8 * k, mask[k])
                                        : _mm256_loadu_ps(cell + 8 * k);
                acc[k] = op == ROI_SUM ? _mm256_add_ps(acc[k], v)
                         : op == ROI_MAX
                             ? _mm256_max_ps(acc[k], v)
                             : _mm256_blendv_ps(acc[k], v, _mm256_cmp_ps(v, acc[k], _CMP_GT_OQ));
            }
        }
    }
}

static inline __attribute__((always_inline)) void
roi_rect_max(const float *x, int64_t C, int64_t W, int64_t c0, int64_t h0, int64_t h1,
             int64_t w0, int64_t w1, int nv, int masked, const __m256i *mask, __m256 *best)
{
    roi_rect_fold(x, C, W, c0, h0, h1, w0, w1, nv, masked, mask, ROI_MAX, best);
}

/* What the values-only path needs to know of the map, found in one pass over C*H*W per call
 * (far less than the boxes' summed areas) instead of a probe per box: does it hold a NaN (then
 * the path does not run), and a -0.0 (then a max of zero may be either zero, and bins whose max
 * is zero are rescanned for the first one; without one, e.g. a ReLU map whose zeros are all
 * +0.0, every max is exact as it comes). */
enum { ROI_MAP_NAN = 1, ROI_MAP_NEGZERO = 2 };
static inline int roi_map_scan(const float *x, int64_t n)
{
    const __m256i nz = _mm256_set1_epi32((int32_t)0x80000000u);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256i z0 = _mm256_setzero_si256(), z1 = _mm256_setzero_si256();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 u = _mm256_loadu_ps(x + i), v = _mm256_loadu_ps(x + i + 8);
        a0 = _mm256_or_ps(a0, _mm256_cmp_ps(u, u, _CMP_UNORD_Q));
        a1 = _mm256_or_ps(a1, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        z0 = _mm256_or_si256(z0, _mm256_cmpeq_epi32(_mm256_castps_si256(u), nz));
        z1 = _mm256_or_si256(z1, _mm256_cmpeq_epi32(_mm256_castps_si256(v), nz));
    }
    a0 = _mm256_or_ps(a0, a1);
    z0 = _mm256_or_si256(z0, z1);
    int nan = !_mm256_testz_ps(a0, a0), negzero = !_mm256_testz_si256(z0, z0);
    for (; i < n; i++) {
        nan |= x[i] != x[i];
        negzero |= x[i] == 0.0f && __builtin_signbit(x[i]);
    }
    return (nan ? ROI_MAP_NAN : 0) | (negzero ? ROI_MAP_NEGZERO : 0);
}

/* Max tables of the map, shared by every box of a call: table t (k = 2 << t cells a side)
 * holds at [y][x] the max of the map's cells (y..y+k-1) x (x..x+k-1), same layout as the
 * map, for y <= H-k and x <= W-k. Max is exact and order-free on a map without NaN, so a bin
 * of at least k x k cells is the max of ceil(h/k) x ceil(w/k) overlapping table cells: for
 * 2 x 2 a quarter of the loads and cache lines of reading its cells. Built per call (one pass
 * over the map each, the first fused with roi_map_scan; a 4 x 4 table would be built from the
 * 2 x 2 one: ROI_NTAB 2, slower on the Zen 4, see the top of this file);
 * the boxes of a detection call read each map cell about a hundred times. Signed zeros may
 * come out of a table either way: bins whose max is zero are rescanned from the map when the
 * map holds a -0.0, as before. */
#define ROI_NTAB 1
static inline size_t roi_tab_bytes(const spp_region_plan *pl)
{
    return pl->p.pool == SPP_POOL_MAX
               ? ROI_NTAB * roi_align((size_t)spp_region_map_elems(&pl->p) * 4)
               : 0;
}

/* Row y of table dst (cells k = 2d a side) from src (cells d a side; the map for d = 1):
 * the max of src at (y, x), (y, x+d), (y+d, x), (y+d, x+d). Rows past H-k are not built. */
static inline void roi_tab_row(const float *src, float *dst, int64_t H, int64_t W, int64_t C,
                               int64_t y, int64_t d)
{
    if (y + 2 * d > H || 2 * d > W)
        return;
    const int64_t rw = W * C, n = (W - 2 * d + 1) * C, o = d * C;
    const float *a = src + y * rw, *b = a + d * rw;
    float *out = dst + y * rw;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 u = _mm256_max_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(a + i + o));
        const __m256 v = _mm256_max_ps(_mm256_loadu_ps(b + i), _mm256_loadu_ps(b + i + o));
        _mm256_storeu_ps(out + i, _mm256_max_ps(u, v));
    }
    for (; i < n; i++) {
        const float u = a[i] > a[i + o] ? a[i] : a[i + o], v = b[i] > b[i + o] ? b[i] : b[i + o];
        out[i] = u > v ? u : v;
    }
}

/* Values-only max of rows [h0,h1) x cols [w0,w1): from the largest table whose cells fit in
 * the bin (tab NULL: none), else from the map. The last row and column of table cells start
 * at h1-k and w1-k, overlapping the previous ones. */
static inline __attribute__((always_inline)) void
roi_rect_max_tab(const float *x, const float *tab, int64_t tstride, int64_t C, int64_t W,
                 int64_t c0, int64_t h0, int64_t h1, int64_t w0, int64_t w1, int nv, int masked,
                 const __m256i *mask, __m256 *best)
{
    const int64_t side = h1 - h0 < w1 - w0 ? h1 - h0 : w1 - w0;
    if (!tab || side < 2) {
        roi_rect_max(x, C, W, c0, h0, h1, w0, w1, nv, masked, mask, best);
        return;
    }
    int64_t k = 2;
    const float *q = tab;
    for (int t = 1; t < ROI_NTAB && side >= 2 * k; t++)
        k *= 2, q += tstride;
    for (int j = 0; j < nv; j++)
        best[j] = _mm256_set1_ps(-__builtin_inff());
    for (int64_t h = h0;; h += k) {
        h = h < h1 - k ? h : h1 - k;
        const float *row = q + (h * W) * C + c0;
        for (int64_t w = w0;; w += k) {
            w = w < w1 - k ? w : w1 - k;
            const float *cell = row + w * C;
            for (int j = 0; j < nv; j++)
                best[j] = _mm256_max_ps(best[j], masked ? _mm256_maskload_ps(cell + 8 * j, mask[j])
                                                        : _mm256_loadu_ps(cell + 8 * j));
            if (w + k >= w1)
                break;
        }
        if (h + k >= h1)
            break;
    }
}

/* a better than b by SPEC section 3's total order (lane-wise mask). */
static inline __m256 roi_better(__m256 av, __m256i ap, __m256 bv, __m256i bp)
{
    const __m256 anan = _mm256_cmp_ps(av, av, _CMP_UNORD_Q);
    const __m256 bnan = _mm256_cmp_ps(bv, bv, _CMP_UNORD_Q);
    const __m256 gt = _mm256_cmp_ps(av, bv, _CMP_GT_OQ);
    const __m256 eq = _mm256_cmp_ps(av, bv, _CMP_EQ_OQ);
    const __m256 alt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(bp, ap)); /* a.pos < b.pos */
    const __m256 agt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(ap, bp)); /* a.pos > b.pos */
    const __m256 num = _mm256_or_ps(gt, _mm256_and_ps(eq, alt));
    const __m256 ones = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    const __m256 nan = _mm256_and_ps(anan, _mm256_or_ps(_mm256_andnot_ps(bnan, ones), agt));
    return _mm256_or_ps(num, nan);
}

/* The same order when neither side holds a NaN (the common case, checked per chunk). */
static inline __m256 roi_better_nonan(__m256 av, __m256i ap, __m256 bv, __m256i bp)
{
    const __m256 gt = _mm256_cmp_ps(av, bv, _CMP_GT_OQ);
    const __m256 eq = _mm256_cmp_ps(av, bv, _CMP_EQ_OQ);
    const __m256 alt = _mm256_castsi256_ps(_mm256_cmpgt_epi32(bp, ap));
    return _mm256_or_ps(gt, _mm256_and_ps(eq, alt));
}

/* acc = better of (acc, cand) over 8 lanes at offset o of the two (value, pos) arrays. */
#define ROI_MERGE(BETTER, av, ap, vals, poss, o)                                             \
    do {                                                                                     \
        const __m256 v_ = _mm256_load_ps((vals) + (o));                                      \
        const __m256i q_ = _mm256_load_si256((const __m256i *)((poss) + (o)));               \
        const __m256 m_ = BETTER(v_, q_, av, ap);                                            \
        av = _mm256_blendv_ps(av, v_, m_);                                                   \
        ap = _mm256_castps_si256(                                                            \
            _mm256_blendv_ps(_mm256_castsi256_ps(ap), _mm256_castsi256_ps(q_), m_));         \
    } while (0)

/* Merge of a grid of ra x cb sources (value, position), source (a, b) at vals/poss +
 * (o0 + a * rs + b) * ROI_CB, when no source holds a NaN: the value is the max and the position
 * the smallest position holding it (SPEC section 3: the first maximum in row-major order, as
 * positions h*W + w grow in that order). Four ops per source and vector (max; compare, or,
 * unsigned min) instead of the seven of a pairwise total-order merge. Equal nonzero floats
 * are equal bit for bit; -0.0 == +0.0 is not, so a max of zero in any lane returns 0 and the
 * caller merges pairwise. */
static inline __attribute__((always_inline)) int
roi_grid_max_nonan(const float *vals, const int32_t *poss, int64_t o0, int64_t rs, int ra,
                   int cb, int nv, float *ov, int32_t *op)
{
    __m256 m[4], z = _mm256_setzero_ps();
    __m256i p[4];
    for (int k = 0; k < nv; k++)
        m[k] = _mm256_load_ps(vals + o0 * ROI_CB + 8 * k);
    for (int a = 0; a < ra; a++)
        for (int b = a ? 0 : 1; b < cb; b++)
            for (int k = 0; k < nv; k++)
                m[k] = _mm256_max_ps(m[k], _mm256_load_ps(vals + (o0 + a * rs + b) * ROI_CB + 8 * k));
    for (int k = 0; k < nv; k++)
        z = _mm256_or_ps(z, _mm256_cmp_ps(m[k], _mm256_setzero_ps(), _CMP_EQ_OQ));
    if (!_mm256_testz_ps(z, z))
        return 0;
    for (int k = 0; k < nv; k++)
        p[k] = _mm256_set1_epi32(-1);
    for (int a = 0; a < ra; a++)
        for (int b = 0; b < cb; b++)
            for (int k = 0; k < nv; k++) {
                const int64_t o = (o0 + a * rs + b) * ROI_CB + 8 * k;
                const __m256 ne = _mm256_cmp_ps(_mm256_load_ps(vals + o), m[k], _CMP_NEQ_UQ);
                p[k] = _mm256_min_epu32(p[k], _mm256_or_si256(_mm256_load_si256((const __m256i *)(poss + o)),
                                                              _mm256_castps_si256(ne)));
            }
    for (int k = 0; k < nv; k++) {
        _mm256_store_ps(ov + 8 * k, m[k]);
        _mm256_store_si256((__m256i *)(op + 8 * k), p[k]);
    }
    return 1;
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

/* mx = max over the m x m grid of staged bins at g (m a constant at the call: the compiler
 * unrolls it), the first bin already in mx */
static inline __attribute__((always_inline)) void roi_grid_fold(const float *g, int64_t rstride,
                                                                int64_t cstride, int m, int nv,
                                                                __m256 *mx)
{
    for (int a = 0; a < m; a++)
        for (int b = a ? 0 : 1; b < m; b++)
            for (int k = 0; k < nv; k++)
                mx[k] = _mm256_max_ps(mx[k], _mm256_load_ps(g + a * rstride + b * cstride + 8 * k));
}

/* Staged bin-major results st[b][c] (nn bins, `valid` channels, 4-byte elements: float y or
 * int32 argmax, moved as bits) -> out[c * nn + b]: the canonical channel-major order. Scalar
 * moves use memcpy so no type is read through another. */
static inline __attribute__((always_inline)) void
roi_store_level_n(const void *stv, int64_t stride, void *outv, int64_t nn, int valid)
{
    const char *st = stv;
    char *out = outv;
    if (nn == 1) { /* one bin: channels are contiguous in the output already */
        int c = 0;
        for (; c + 8 <= valid; c += 8)
            _mm256_storeu_ps((float *)(out + 4 * c), _mm256_load_ps((const float *)(st + 4 * c)));
        memcpy(out + 4 * c, st + 4 * c, (size_t)(valid - c) * 4);
        return;
    }
    /* 8 bins x 8 channels, then 4 bins x 8 channels, per register transpose; a tail of 1-3
     * bins (levels of 9 or 49 bins) by a 4-bin transpose overlapping the bins before it (they
     * are rewritten with the same values); levels of 2 or 3 bins and the channel tail one by one */
    const float *sf = stv;
    float *of = outv;
    const int c8end = valid & ~7;
    const int64_t b8end = nn & ~(int64_t)7, b4end = nn - b8end >= 4 ? b8end + 4 : b8end;
    for (int c = 0; c < c8end; c += 8) {
        for (int64_t b = 0; b < b8end; b += 8)
            avx2_t8x8(sf + b * stride + c, stride, of + c * nn + b, nn);
        if (b4end > b8end)
            avx2_t4x8(sf + b8end * stride + c, stride, of + c * nn + b8end, nn);
        else if (nn > b8end && nn >= 4)
            avx2_t4x8(sf + (nn - 4) * stride + c, stride, of + c * nn + nn - 4, nn);
    }
    const int64_t done = nn >= 4 ? nn : b4end; /* bins already out for channels below c8end */
    for (int c = 0; c < valid; c++)
        for (int64_t b = c < c8end ? done : 0; b < nn; b++)
            memcpy(out + 4 * (c * nn + b), st + 4 * (b * stride + c), 4);
}
/* roi_store_level_n with the bin count a constant for the levels of the usual pyramids ({6,3,2,1},
 * {4,2,1}, {7}: 36, 9, 4, 1, 16, 49 bins), so the compiler unrolls the bin loop and the eight
 * output rows of each transpose are constant offsets, not strides reloaded from the stack.
 * Measured (det-688 inference, same-run A/B, 6 interleaved rounds of 5-repetition medians):
 * 0.88x the time at 1 thread, 0.98x at 2 (within the noise there). */
static inline __attribute__((always_inline)) void roi_store_level(const void *stv, int64_t stride,
                                                                  void *outv, int64_t nn, int valid)
{
    switch (nn) {
    case 36: roi_store_level_n(stv, stride, outv, 36, valid); return;
    case 9: roi_store_level_n(stv, stride, outv, 9, valid); return;
    case 4: roi_store_level_n(stv, stride, outv, 4, valid); return;
    case 1: roi_store_level_n(stv, stride, outv, 1, valid); return;
    case 16: roi_store_level_n(stv, stride, outv, 16, valid); return;
    case 49: roi_store_level_n(stv, stride, outv, 49, valid); return;
    default: roi_store_level_n(stv, stride, outv, nn, valid);
    }
}

/* Streaming the row while the next region computes: each region's row (51 KB on det-688)
 * left as one burst of streamed stores at the region's end stalls the core until the write
 * buffers drain, and the next region's loads wait behind it; a few lines after each finest
 * bin of the next region keep the stores in flight under the loads instead. Measured
 * (det-688, inference, Zen 4, same-run interleaved rounds of 5-repetition medians): 0.88-0.94x
 * the time at 1 thread, 0.80-0.83x at 2; whole 64-byte AVX-512 lines instead of ymm pairs gave
 * the same. */
static inline void roi_nt_lines(float *d, const float *s, int64_t lines)
{
    int64_t i = 0;
    for (; i + 2 <= lines; i += 2) {
        const __m256 a = _mm256_loadu_ps(s + 16 * i), b = _mm256_loadu_ps(s + 16 * i + 8);
        const __m256 c = _mm256_loadu_ps(s + 16 * i + 16), e = _mm256_loadu_ps(s + 16 * i + 24);
        _mm256_stream_ps(d + 16 * i, a);
        _mm256_stream_ps(d + 16 * i + 8, b);
        _mm256_stream_ps(d + 16 * i + 16, c);
        _mm256_stream_ps(d + 16 * i + 24, e);
    }
    if (i < lines) {
        _mm256_stream_ps(d + 16 * i, _mm256_loadu_ps(s + 16 * i));
        _mm256_stream_ps(d + 16 * i + 8, _mm256_loadu_ps(s + 16 * i + 8));
    }
}

/* Elements (4 bytes) before dst's first 64-byte boundary, at most n: stored plainly, so that
 * the streamed stores cover whole lines. */
static inline int64_t roi_line_head(const void *dst, int64_t n)
{
    const int64_t head = (int64_t)((64 - ((uintptr_t)dst & 63)) & 63) / 4;
    return head < n ? head : n;
}

/* n 4-byte elements (float y or int32 argmax, moved as bits) src -> dst at once: the head and
 * the partial last line plainly, the whole lines streamed. The output (R x C x sum n^2, far
 * larger than the caches) is written once and never read back here, so streaming it avoids
 * reading every output line from memory before overwriting it. */
static inline void roi_stream_copy(void *dstv, const void *srcv, int64_t n)
{
    float *dst = dstv;
    const float *src = srcv;
    const int64_t head = roi_line_head(dst, n), lines = (n - head) / 16, done = head + 16 * lines;
    memcpy(dst, src, (size_t)head * 4);
    roi_nt_lines(dst + head, src + head, lines);
    memcpy(dst + done, src + done, (size_t)(n - done) * 4);
}

/* Up to `lines` more 64-byte lines of the pending row. */
static inline void roi_drain(roi_ws *w, int64_t lines)
{
    const int64_t left = (w->pn - w->pi) / 16;
    if (lines > left)
        lines = left;
    if (lines > 0) {
        roi_nt_lines(w->pdst + w->pi, w->psrc + w->pi, lines);
        w->pi += 16 * lines;
    }
}

/* The rest of the pending row, its partial last line included. Kernels call it after their
 * last region, before the fence. */
static inline void roi_drain_all(roi_ws *w)
{
    roi_drain(w, (w->pn - w->pi) / 16);
    if (w->pi < w->pn)
        memcpy(w->pdst + w->pi, w->psrc + w->pi, (size_t)(w->pn - w->pi) * 4);
    w->pi = w->pn;
}

/* Row src (n floats, staged) becomes the pending one, to go to dst; the previous one is
 * finished first. The floats before dst's first 64-byte boundary go out at once. */
static inline void roi_pend(roi_ws *w, float *dst, const float *src, int64_t n)
{
    roi_drain_all(w);
    const int64_t head = roi_line_head(dst, n);
    memcpy(dst, src, (size_t)head * 4);
    w->pdst = dst, w->psrc = src, w->pn = n, w->pi = head;
}

/* Level l of the chunk (channels [c0, c0+valid)) from its bin-major stage into the region's
 * staged row, canonical order. The row is streamed out whole (roi_region_forward; the direct
 * path's during the next region): streaming each level's span per chunk instead measured
 * 1.3x slower on det-688. */
static inline __attribute__((always_inline)) void
roi_emit_level(const spp_region_plan *pl, int l, const void *stage_bins, int64_t stride,
               void *stage_row, int64_t c0, int valid)
{
    const int64_t nn = (int64_t)pl->p.levels[l] * pl->p.levels[l];
    roi_store_level(stage_bins, stride, (char *)stage_row + 4 * (pl->out_offset[l] + c0 * nn),
                    nn, valid);
}

/* Forward for one region and one channel chunk [c0, c0 + valid). */
static inline __attribute__((always_inline)) void
roi_region_chunk(const spp_region_plan *pl, int64_t r, const float *x, int want_argmax,
                 roi_ws *w, int nrs, int ncs, int64_t c0, int valid, int nv, int masked)
{
    const spp_region_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w;
    const int is_max = p->pool == SPP_POOL_MAX;
    __m256i mask[4];
    for (int k = 0; k < nv; k++)
        mask[k] = roi_lane_mask(valid - 8 * k);
    /* 1: every block once. Max first runs the cheaper fold that assumes no NaN, summing the
     * inputs; a NaN in that sum (or an inf - inf) reruns the blocks with the NaN rules. */
    __m256 anynan = _mm256_setzero_ps();
    if (is_max) {
        __m256 tot = _mm256_setzero_ps();
        for (int a = 0; a < nrs; a++)
            for (int b = 0; b < ncs; b++)
                roi_block_max(x, C, W, c0, w->rbrk[a], w->rbrk[a + 1], w->cbrk[b],
                              w->cbrk[b + 1], nv, masked, mask,
                              w->bv + ((int64_t)a * ncs + b) * ROI_CB,
                              w->bp + ((int64_t)a * ncs + b) * ROI_CB, 1, &tot);
        if (!_mm256_testz_ps(_mm256_cmp_ps(tot, tot, _CMP_UNORD_Q),
                             _mm256_cmp_ps(tot, tot, _CMP_UNORD_Q)))
            for (int a = 0; a < nrs; a++)
                for (int b = 0; b < ncs; b++) {
                    float *bv = w->bv + ((int64_t)a * ncs + b) * ROI_CB;
                    roi_block_max(x, C, W, c0, w->rbrk[a], w->rbrk[a + 1], w->cbrk[b],
                                  w->cbrk[b + 1], nv, masked, mask, bv,
                                  w->bp + ((int64_t)a * ncs + b) * ROI_CB, 0, &tot);
                    for (int k = 0; k < nv; k++) {
                        const __m256 v = _mm256_load_ps(bv + 8 * k);
                        anynan = _mm256_or_ps(anynan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                    }
                }
    } else
        for (int a = 0; a < nrs; a++)
            for (int b = 0; b < ncs; b++) {
                __m256 sum[4];
                roi_rect_fold(x, C, W, c0, w->rbrk[a], w->rbrk[a + 1], w->cbrk[b],
                              w->cbrk[b + 1], nv, masked, mask, ROI_SUM, sum);
                for (int k = 0; k < nv; k++)
                    _mm256_store_ps(w->bv + ((int64_t)a * ncs + b) * ROI_CB + 8 * k, sum[k]);
            }
    const int nan_seen = !_mm256_testz_ps(anynan, anynan);
    /* 2: every bin of every level, finest first, into the bin-major stage */
    const spp_interval *box_iv = pl->iv + r * pl->iv_per_box;
    for (int t = 0; t < p->nlevels; t++) {
        const int l = w->src[SPP_MAX_LEVELS - 1 - t]; /* level order: finest first */
        const int n = p->levels[l];
        const int64_t boff = pl->out_offset[l] / C;
        const int64_t ri = pl->iv_offset[l], ci = ri + n;
        float *sv = w->sv + boff * ROI_CB;
        int32_t *sp = w->sp + boff * ROI_CB;
        const int f = is_max ? w->from[l] : -1;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                float *ov = sv + ((int64_t)i * n + j) * ROI_CB;
                int32_t *op = sp + ((int64_t)i * n + j) * ROI_CB;
                /* merges run over blocks (or finer bins) with the nv channel vectors
                 * innermost: nv independent dependency chains instead of one */
                __m256 av[4];
                __m256i ap[4];
                if (f >= 0) { /* merge m x m bins of level f */
                    const int nf = p->levels[f], m = nf / n;
                    const float *fv = w->sv + pl->out_offset[f] / C * ROI_CB;
                    const int32_t *fp = w->sp + pl->out_offset[f] / C * ROI_CB;
                    if (!nan_seen && roi_grid_max_nonan(fv, fp, (int64_t)(m * i) * nf + m * j,
                                                        nf, m, m, nv, ov, op))
                        continue;
                    const int64_t o0 = ((int64_t)(m * i) * nf + m * j) * ROI_CB;
                    for (int k = 0; k < nv; k++) {
                        av[k] = _mm256_load_ps(fv + o0 + 8 * k);
                        ap[k] = _mm256_load_si256((const __m256i *)(fp + o0 + 8 * k));
                    }
                    for (int a = 0; a < m; a++)
                        for (int b = a ? 0 : 1; b < m; b++) {
                            const int64_t o = ((int64_t)(m * i + a) * nf + m * j + b) * ROI_CB;
                            if (nan_seen)
                                for (int k = 0; k < nv; k++)
                                    ROI_MERGE(roi_better, av[k], ap[k], fv, fp, o + 8 * k);
                            else
                                for (int k = 0; k < nv; k++)
                                    ROI_MERGE(roi_better_nonan, av[k], ap[k], fv, fp, o + 8 * k);
                        }
                    for (int k = 0; k < nv; k++) {
                        _mm256_store_ps(ov + 8 * k, av[k]);
                        _mm256_store_si256((__m256i *)(op + 8 * k), ap[k]);
                    }
                    continue;
                }
                const int alo = w->lohi[2 * (ri + i)], ahi = w->lohi[2 * (ri + i) + 1];
                const int blo = w->lohi[2 * (ci + j)], bhi = w->lohi[2 * (ci + j) + 1];
                if (is_max) {
                    if (!nan_seen && roi_grid_max_nonan(w->bv, w->bp, (int64_t)alo * ncs + blo,
                                                        ncs, ahi - alo, bhi - blo, nv, ov, op))
                        continue;
                    const int64_t b0 = ((int64_t)alo * ncs + blo) * ROI_CB;
                    for (int k = 0; k < nv; k++) {
                        av[k] = _mm256_load_ps(w->bv + b0 + 8 * k);
                        ap[k] = _mm256_load_si256((const __m256i *)(w->bp + b0 + 8 * k));
                    }
                    for (int a = alo; a < ahi; a++)
                        for (int b = (a == alo ? blo + 1 : blo); b < bhi; b++) {
                            const int64_t o = ((int64_t)a * ncs + b) * ROI_CB;
                            if (nan_seen)
                                for (int k = 0; k < nv; k++)
                                    ROI_MERGE(roi_better, av[k], ap[k], w->bv, w->bp, o + 8 * k);
                            else
                                for (int k = 0; k < nv; k++)
                                    ROI_MERGE(roi_better_nonan, av[k], ap[k], w->bv, w->bp,
                                              o + 8 * k);
                        }
                    for (int k = 0; k < nv; k++) {
                        _mm256_store_ps(ov + 8 * k, av[k]);
                        _mm256_store_si256((__m256i *)(op + 8 * k), ap[k]);
                    }
                } else {
                    const __m256 div = _mm256_set1_ps(
                        (float)(box_iv[ri + i].div * box_iv[ci + j].div));
                    for (int k = 0; k < nv; k++) {
                        __m256 sum = _mm256_setzero_ps();
                        for (int a = alo; a < ahi; a++)
                            for (int b = blo; b < bhi; b++)
                                sum = _mm256_add_ps(sum, _mm256_load_ps(
                                    w->bv + ((int64_t)a * ncs + b) * ROI_CB + 8 * k));
                        _mm256_store_ps(ov + 8 * k, _mm256_div_ps(sum, div));
                    }
                }
            }
    }
    /* 3: canonical order into the region's staged row, level by level */
    for (int l = 0; l < p->nlevels; l++) {
        const int64_t boff = pl->out_offset[l] / C;
        roi_emit_level(pl, l, w->sv + boff * ROI_CB, ROI_CB, w->yst, c0, valid);
        if (want_argmax)
            roi_emit_level(pl, l, w->sp + boff * ROI_CB, ROI_CB, w->ast, c0, valid);
    }
}

/* Max forward without argmax (inference) for one region and channel chunk of a map without
 * NaN, y only. Sources are max-only: with `direct`, the finest level's bins straight from the
 * map (every other level of this box derives from a finer one: adaptive pyramids), else the
 * segment blocks; coarser bins take the max of their sources. Equal nonzero floats are equal
 * bit for bit, so the max of maxima is roi__naive's value; a bin whose max is zero in a lane
 * (-0.0 == +0.0) is rescanned for the first maximum (roi_rect_fold, ROI_FIRST_MAX). */
static inline __attribute__((always_inline)) void
roi_region_chunk_vals(const spp_region_plan *pl, int64_t r, const float *x, roi_ws *w, int nrs,
                      int ncs, int64_t c0, int valid, int nv, int masked, int direct, int64_t cb,
                      int zchk)
{
    const spp_region_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w;
    __m256i mask[ROI_VCB / 8];
    for (int k = 0; k < nv; k++)
        mask[k] = roi_lane_mask(valid - 8 * k);
    if (!direct)
        for (int a = 0; a < nrs; a++)
            for (int b = 0; b < ncs; b++) {
                __m256 m[ROI_VCB / 8];
                roi_rect_max(x, C, W, c0, w->rbrk[a], w->rbrk[a + 1], w->cbrk[b],
                             w->cbrk[b + 1], nv, masked, mask, m);
                for (int k = 0; k < nv; k++)
                    _mm256_store_ps(w->bv + ((int64_t)a * ncs + b) * cb + 8 * k, m[k]);
            }
    const spp_interval *box_iv = pl->iv + r * pl->iv_per_box;
    for (int t = 0; t < p->nlevels; t++) {
        const int l = w->src[SPP_MAX_LEVELS - 1 - t]; /* finest first */
        const int n = p->levels[l];
        const int64_t ri = pl->iv_offset[l], ci = ri + n;
        float *sv = w->sv + pl->out_offset[l] / C * cb;
        const int f = w->from[l];
        /* sources: an ra x cb grid with row stride rs, from the blocks or from level f */
        const float *src = f >= 0 ? w->sv + pl->out_offset[f] / C * cb : w->bv;
        const int64_t rs = f >= 0 ? p->levels[f] : ncs;
        const int m = f >= 0 ? p->levels[f] / n : 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                __m256 mx[ROI_VCB / 8], z = _mm256_setzero_ps();
                /* a box narrower than the level repeats intervals: the bin equals its
                 * neighbour above or to the left, already final */
                const int rdup = f < 0 && direct && i &&
                                 box_iv[ri + i].start == box_iv[ri + i - 1].start &&
                                 box_iv[ri + i].end == box_iv[ri + i - 1].end;
                const int cdup = f < 0 && direct && j && !rdup &&
                                 box_iv[ci + j].start == box_iv[ci + j - 1].start &&
                                 box_iv[ci + j].end == box_iv[ci + j - 1].end;
                if (rdup || cdup) {
                    const float *from = sv + ((int64_t)(i - rdup) * n + j - cdup) * cb;
                    float *to = sv + ((int64_t)i * n + j) * cb;
                    for (int k = 0; k < nv; k++)
                        _mm256_store_ps(to + 8 * k, _mm256_load_ps(from + 8 * k));
                    roi_drain(w, w->quota);
                    continue;
                }
                if (f < 0 && direct) { /* the finest level, from the map */
                    roi_rect_max_tab(x, w->tab, w->tstride, C, W, c0, box_iv[ri + i].start,
                                     box_iv[ri + i].end, box_iv[ci + j].start,
                                     box_iv[ci + j].end, nv, masked, mask, mx);
                    roi_drain(w, w->quota);
                } else { /* a grid of sources: finer bins, or the segment blocks */
                    const int64_t a0 = f >= 0 ? (int64_t)m * i : w->lohi[2 * (ri + i)];
                    const int64_t b0 = f >= 0 ? (int64_t)m * j : w->lohi[2 * (ci + j)];
                    const int ra = f >= 0 ? m : w->lohi[2 * (ri + i) + 1] - (int)a0;
                    const int nc = f >= 0 ? m : w->lohi[2 * (ci + j) + 1] - (int)b0;
                    const float *g = src + (a0 * rs + b0) * cb;
                    for (int k = 0; k < nv; k++)
                        mx[k] = _mm256_load_ps(g + 8 * k);
                    if (f >= 0 && m == 2) /* the usual pyramids: constant grids, unrolled */
                        roi_grid_fold(g, rs * cb, cb, 2, nv, mx);
                    else if (f >= 0 && m == 3)
                        roi_grid_fold(g, rs * cb, cb, 3, nv, mx);
                    else
                        for (int a = 0; a < ra; a++)
                            for (int b = a ? 0 : 1; b < nc; b++)
                                for (int k = 0; k < nv; k++)
                                    mx[k] = _mm256_max_ps(mx[k], _mm256_load_ps(
                                        g + ((int64_t)a * rs + b) * cb + 8 * k));
                }
                if (zchk) /* lanes past C are not outputs */
                    for (int k = 0; k < nv; k++)
                        z = _mm256_or_ps(z, _mm256_and_ps(_mm256_castsi256_ps(mask[k]),
                                                          _mm256_cmp_ps(mx[k], _mm256_setzero_ps(),
                                                                        _CMP_EQ_OQ)));
                if (!_mm256_testz_ps(z, z)) /* the first zero's sign */
                    roi_rect_fold(x, C, W, c0, box_iv[ri + i].start, box_iv[ri + i].end,
                                  box_iv[ci + j].start, box_iv[ci + j].end, nv, masked, mask,
                                  ROI_FIRST_MAX, mx);
                float *ov = sv + ((int64_t)i * n + j) * cb;
                for (int k = 0; k < nv; k++)
                    _mm256_store_ps(ov + 8 * k, mx[k]);
            }
    }
    for (int l = 0; l < p->nlevels; l++)
        roi_emit_level(pl, l, w->sv + pl->out_offset[l] / C * cb, cb, w->yst, c0, valid);
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

/* The values-only path's condition for a whole call: max, no argmax asked, no NaN in x.
 * roi_vals_of turns roi_map_scan flags into 0 (the path does not run), ROI_VALS, or
 * ROI_VALS_ZCHECK (it runs and the map holds a -0.0, so maxima of zero are checked); the
 * flags come from roi_prep_row's step 0 over every map row. */
enum { ROI_VALS = 1, ROI_VALS_ZCHECK = 2 };
static inline int roi_vals_of(int m)
{
    return m & ROI_MAP_NAN ? 0 : m & ROI_MAP_NEGZERO ? ROI_VALS_ZCHECK : ROI_VALS;
}
static inline int roi_wants_vals(const spp_region_plan *pl, const int32_t *argmax)
{
    return !argmax && pl->p.pool == SPP_POOL_MAX;
}
/* Whether the boxes read the map often enough to pay for the tables: their summed area at
 * least ROI_TAB_MIN_READS maps (det-688: 125). Building them costs about two map passes. */
enum { ROI_TAB_MIN_READS = 4 };
static inline int roi_tabs_pay(const spp_region_plan *pl)
{
    int64_t area = 0;
    for (int64_t r = 0; r < pl->nboxes; r++) {
        const spp_box b = pl->boxes[r];
        area += (int64_t)(b.x1 - b.x0) * (b.y1 - b.y0);
    }
    return area >= ROI_TAB_MIN_READS * pl->p.h * pl->p.w;
}
/* Preparation step t of map row y, for a values-only call: step 0 scans the row
 * (roi_map_scan flags) and, with build, fills row y of the 2 x 2 table; step t > 0 fills row
 * y of table t from table t-1, which must be complete. Steps: roi_prep_steps. */
static inline int roi_prep_steps(int build) { return build ? ROI_NTAB : 1; }
static inline int roi_prep_row(const spp_region_plan *pl, const float *x, float *tab,
                               int64_t tstride, int build, int t, int64_t y)
{
    const spp_region_problem *p = &pl->p;
    if (t == 0) {
        const int flags = roi_map_scan(x + y * p->w * p->c, p->w * p->c);
        if (build)
            roi_tab_row(x, tab, p->h, p->w, p->c, y, 1);
        return flags;
    }
    roi_tab_row(tab + (t - 1) * tstride, tab + t * tstride, p->h, p->w, p->c, y, 1 << t);
    return 0;
}

/* Forward of one whole region (all channel chunks). vals: roi_vals_of's answer; nonzero
 * lets the values-only path run (max, argmax NULL, a map without NaN). */
static inline void roi_region_forward(const spp_region_plan *pl, int64_t r, const float *x,
                                      float *y, int32_t *argmax, roi_ws *w, int vals)
{
    const spp_region_problem *p = &pl->p;
    const spp_box bx = pl->boxes[r];
    roi_level_order(pl, w);
    int64_t c0 = 0;
    const int derivable = roi_box_sources(pl, r, w);
    const int direct = vals && derivable, zchk = vals == ROI_VALS_ZCHECK;
    /* the segment blocks (not needed by the direct path) */
    const int nrs = direct ? 0 : roi_axis_segments(pl, r, 0, bx.y0, bx.y1 - bx.y0, w, w->rbrk);
    const int ncs = direct ? 0 : roi_axis_segments(pl, r, 1, bx.x0, bx.x1 - bx.x0, w, w->cbrk);
    float *yrow = y + r * pl->out_per_region;
    int32_t *arow = argmax ? argmax + r * pl->out_per_region : NULL;
    if (direct) /* 64 channels a chunk: 256 contiguous bytes a cell, half the loop overhead */
        for (; c0 < p->c; c0 += ROI_VCB) {
            const int valid = p->c - c0 < ROI_VCB ? (int)(p->c - c0) : ROI_VCB;
            if (valid == ROI_VCB) /* constants: the compiler specializes the loops */
                roi_region_chunk_vals(pl, r, x, w, nrs, ncs, c0, ROI_VCB, ROI_VCB / 8, 0, 1,
                                      ROI_VCB, zchk);
            else
                roi_region_chunk_vals(pl, r, x, w, nrs, ncs, c0, valid, (valid + 7) / 8,
                                      valid % 8 != 0, 1, ROI_VCB, zchk);
        }
    for (; c0 + ROI_CB <= p->c; c0 += ROI_CB)
        if (vals)
            roi_region_chunk_vals(pl, r, x, w, nrs, ncs, c0, ROI_CB, 4, 0, 0, ROI_CB, zchk);
        else
            roi_region_chunk(pl, r, x, arow != NULL, w, nrs, ncs, c0, ROI_CB, 4, 0);
    for (; c0 < p->c; c0 += 8) {
        const int valid = p->c - c0 < 8 ? (int)(p->c - c0) : 8;
        if (vals)
            roi_region_chunk_vals(pl, r, x, w, nrs, ncs, c0, valid, 1, valid < 8, 0, ROI_CB,
                                  zchk);
        else
            roi_region_chunk(pl, r, x, arow != NULL, w, nrs, ncs, c0, valid, 1, valid < 8);
    }
    if (direct) { /* streamed during the next region (roi_drain); ast is free without argmax */
        roi_pend(w, yrow, w->yst, pl->out_per_region);
        float *next = (float *)w->ast;
        w->ast = (int32_t *)w->yst, w->yst = next;
        return;
    }
    roi_drain_all(w);
    roi_stream_copy(yrow, w->yst, pl->out_per_region);
    if (arow)
        roi_stream_copy(arow, w->ast, pl->out_per_region);
}

/* Backward for channels [cb0, cb1) over all regions, in roi__naive's per-element order.
 * dx must already be zero on those channels. */
static inline void roi_backward_channels(const spp_region_plan *pl, const float *dy,
                                         const int32_t *argmax, float *dx, int64_t cb0,
                                         int64_t cb1)
{
    const spp_region_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w;
    float g[ROI_CB] __attribute__((aligned(32)));
    for (int64_t r = 0; r < pl->nboxes; r++) {
        const spp_interval *box_iv = pl->iv + r * pl->iv_per_box;
        for (int l = 0; l < p->nlevels; l++) {
            const int n = p->levels[l];
            const int64_t nn = (int64_t)n * n;
            const spp_interval *rows = box_iv + pl->iv_offset[l], *cols = rows + n;
            const int64_t base = r * pl->out_per_region + pl->out_offset[l];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const int64_t o = base + (int64_t)i * n + j;
                    if (p->pool == SPP_POOL_MAX) {
                        for (int64_t c = cb0; c < cb1; c++)
                            dx[(int64_t)argmax[o + c * nn] * C + c] += dy[o + c * nn];
                        continue;
                    }
                    const spp_interval q = rows[i], s = cols[j];
                    const float div = (float)(q.div * s.div);
                    for (int64_t c0 = cb0; c0 < cb1; c0 += ROI_CB) {
                        const int valid = cb1 - c0 < ROI_CB ? (int)(cb1 - c0) : ROI_CB;
                        for (int c = 0; c < valid; c++)
                            g[c] = dy[o + (c0 + c) * nn] / div;
                        for (int64_t h = q.start; h < q.end; h++)
                            for (int64_t w = s.start; w < s.end; w++) {
                                float *d = dx + (h * W + w) * C + c0;
                                int c = 0;
                                for (; c + 8 <= valid; c += 8)
                                    _mm256_storeu_ps(d + c, _mm256_add_ps(_mm256_loadu_ps(d + c),
                                                                          _mm256_load_ps(g + c)));
                                for (; c < valid; c++)
                                    d[c] += g[c];
                            }
                    }
                }
        }
    }
}

#endif
