/* nhwc_common.h: the fused NHWC kernels' body (nhwc__fused_avx2, nhwc__fused_avx512), over
 * the channel blocks and vector folds of nhwc_simd.h. Not a kernel by itself. */
#ifndef NHWC_COMMON_H
#define NHWC_COMMON_H

#include "avx2_transpose.h"
#include "nhwc_fused_plan.h"
#include "nhwc_simd.h"

#define FZ_MIN_ELEMS 512

/* ---------------- fused pyramid: one pass over the input for all levels ----------------
 * A task is (sample, group of consecutive CBW-channel blocks); the group is as wide as keeps
 * its accumulators within FZ_GROUP_BYTES (usually all of C), so each input row is walked
 * front to back. For every row h, and in it every block:
 *  1. column partials: for every distinct column interval of every level, the reduction of
 *     row h over that interval (max+pos, max, or sum), a CBW-lane vector set in P. An interval
 *     that is an exact union of shorter ones (checked from the plan at run time: for max any
 *     cover whose pieces advance left to right, for sums an exact partition) is merged from
 *     their partials instead of re-read; otherwise it is scanned from the input. This is where
 *     nesting pays: adaptive levels that divide each other share all their column work. Where
 *     levels do not nest (sppnet windows), elementary segments between all interval ends are
 *     added as extra intervals when that is cheaper (fz_intervals), so each column of a row is
 *     scanned once.
 *  2. row fold: every bin (level l, row bin i containing h, column bin j) folds P[col(l,j)]
 *     into its accumulator A (the first row of the bin initializes it). Rows arrive in
 *     increasing order, so the scan rule is exact (file header).
 * Two-phase variant (small maps, fz_two_phase; zf5, vgg16-600): a block keeps the partials of
 * all its rows, then every bin folds its rows in registers and is stored once (no accumulator
 * load/store per row); on the smallest maps the partials are built interval by interval over
 * all rows, so the plan is decoded once per block. Same folds in the same order: same bits.
 * 2-D blocks (max with argmax, fast path, maps of FZ2_MIN_HW cells or more; fz_blocks): the
 * elementary row and column segments cut the map into disjoint blocks, each read once into
 * registers; rows and then columns of the levels' intervals are merged from them per block,
 * no per-row partials or row folds. A NaN reruns the task on the row path below.
 * Then A is written out per channel (contiguous n*n runs of y, 8x8 and 4x8 register
 * transposes; avg divides 4 lanes at a time in double first).
 * Max runs first with v_fold_fast and a running lane sum of the inputs; if that sum is NaN the
 * task is redone with the exact NaN-aware folds, so NaN costs time, never correctness.
 * Backward per task: zero and update the task's dx region row by row (avg), or zero it and
 * scatter at argmax (max), in naive's per-element order, so dx is bitwise naive's. */
#include <omp.h>

#ifndef FZ_GROUP_BYTES
#define FZ_GROUP_BYTES (256u << 10)
#endif
/* Channel blocks per task (a "group"): as many as keep the group's accumulators within
 * FZ_GROUP_BYTES (L2), so that a task walks each input row contiguously instead of reading
 * CBW channels out of every C; split further when samples alone give too few tasks. */
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
/* Per thread: accumulators of a group (or the backward's gradients) and one row of column
 * partials. */
/* The tile's copy-out writes one 64-byte line per pixel, C * 4 bytes apart: no hardware
 * prefetcher fetches those lines for writing, so on a dx larger than L2 each store waited for
 * its line. There it prefetchw's FZ_BT_PFW pixels ahead (past the plane, the task's next
 * group's first pixels). Same-run A/B (`spp-bench --direction bwd`, two sets of 8 and 10
 * interleaved rounds of 5-repetition medians, ratio of times): zf5-224 N=64 0.74x at 1 thread
 * and 0.75-0.83x at 2, zf5-180 0.78-0.82x and 0.75-0.81x (64 pixels ahead: the same; 16:
 * 0.72-0.91x). On a dx that fits in L2 (zf5-224 N=1, 173 KB; odd, 300 KB) it cost 1.12-1.37x,
 * so below FZ_BT_PFW_BYTES of dx the copy-out runs without it (0.94-0.99x: unchanged). Test
 * builds that force the tile force this path too. */
#ifndef FZ_BT_PFW
#define FZ_BT_PFW 32
#endif
#define FZ_BT_PFW_BYTES (1u << 20)
/* prefetchw by hand: the AVX2 files are built without -mprfchw, so __builtin_prefetch(p, 1)
 * would not emit it (Intel CPUs before Broadwell execute it as a NOP). */
static inline void fz_prefetchw(const float *p) { __asm__ volatile("prefetchw %0" ::"m"(*p)); }
/* Partial slots per thread: one row of column partials, all rows (two-phase), or the 2-D
 * blocks' (fz_slots), whichever is most; at least the backward's tile. */
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

/* Rows prefetched ahead of the one being reduced. */
#ifndef FZ_PD
#define FZ_PD 2
#endif
#ifndef FZ_PX_HINT
#define FZ_PX_HINT _MM_HINT_T0
#endif
#ifndef FZ_PF_ROWS /* rows ahead of the prefetch cursor (2 was 7 % slower on large, det-688) */
#define FZ_PF_ROWS 1
#endif
#ifndef FZ_PF_HINT
#define FZ_PF_HINT _MM_HINT_T1
#endif

/* Prefetch cursor over one row of a task's group: pixel px (at stride bytes from the next),
 * offset off into the group's gb contiguous bytes of it; NULL px: nothing to fetch. */
typedef struct {
    const char *px, *end;
    int64_t off, gb, stride;
} fz_cursor;
/* One step: CBW floats of the row, in address order. */
NHWC_INLINE void fz_cursor_step(fz_cursor *pc)
{
    if (pc->px < pc->end) {
        for (int k = 0; k < CBW * 4; k += 64)
            _mm_prefetch(pc->px + pc->off + k, FZ_PF_HINT);
        pc->off += CBW * 4;
        if (pc->off >= pc->gb) {
            pc->off = 0;
            pc->px += pc->stride;
        }
    }
}

/* One column interval [s, e) of one row (xr: the row at the block's first channel; hw = h*W)
 * scanned from the input into the slot (dv, dp). With fast set, max uses v_fold_fast and adds
 * the raw inputs into *tot, whose NaN says the input may hold a NaN (an inf - inf trips it too,
 * harmlessly): the caller then reruns the task exactly. */
NHWC_INLINE void fz_scan(const float *xr, int64_t C, int64_t s, int64_t e, int32_t hw,
                         const int *cnt, int masked, int mode, int fast, float *dv, int32_t *dp,
                         vf *tot, fz_cursor *pc)
{
    const int fmax = fast && mode != MODE_SUM;
    vf b[NV], sum[NV];
    vi bp[NV];
    for (int k = 0; k < NV; k++) {
        b[k] = v_ld(xr + s * C + k * VW, masked, cnt[k]);
        sum[k] = b[k];
        if (mode == MODE_MAXPOS)
            bp[k] = vi_set1(hw + (int32_t)s);
    }
    /* the position as a running vector: a broadcast from a general register per pixel cost
     * more (vmovd + vpbroadcastd) */
    vi pv = vi_set1(hw + (int32_t)s);
    const vi one = vi_set1(1);
    for (int64_t w = s + 1; w < e; w++) {
        const float *xe = xr + w * C;
        pv = vi_add(pv, one);
        if (pc)
            fz_cursor_step(pc);
        for (int k = 0; k < NV; k++) {
            const vf v = v_ld(xe + k * VW, masked, cnt[k]);
            if (fmax)
                sum[k] = vf_add(sum[k], v);
            if (mode == MODE_MAXPOS) {
                if (fast)
                    v_fold_fast(&b[k], &bp[k], v, pv);
                else
                    v_fold(&b[k], &bp[k], v, pv);
            } else if (mode == MODE_MAXVAL) {
                b[k] = fast ? vf_max(v, b[k]) : v_fold_val(b[k], v);
            } else {
                b[k] = vf_add(b[k], v);
            }
        }
    }
    if (fmax)
        for (int k = 0; k < NV; k++)
            *tot = vf_add(*tot, sum[k]);
    for (int k = 0; k < NV; k++) {
        vf_storeu(dv + k * VW, b[k]);
        if (mode == MODE_MAXPOS)
            vi_storeu(dp + k * VW, bp[k]);
    }
}

/* One column interval merged from its np pieces pc[] (slots of the same row: Pv, Pp) into the
 * slot (dv, dp); the pieces advance left to right (max) or partition it (sums). */
NHWC_INLINE void fz_merge(const float *Pv, const int32_t *Pp, const int16_t *pc, int np,
                          int mode, int fast, float *dv, int32_t *dp)
{
    vf b[NV];
    vi bp[NV];
    for (int k = 0; k < NV; k++) {
        b[k] = vf_loadu(Pv + pc[0] * CBW + k * VW);
        if (mode == MODE_MAXPOS)
            bp[k] = vi_loadu(Pp + pc[0] * CBW + k * VW);
    }
    for (int m = 1; m < np; m++)
        for (int k = 0; k < NV; k++) {
            const vf v = vf_loadu(Pv + pc[m] * CBW + k * VW);
            if (mode == MODE_MAXPOS) {
                const vi vp = vi_loadu(Pp + pc[m] * CBW + k * VW);
                if (fast)
                    v_fold_fast(&b[k], &bp[k], v, vp);
                else
                    v_fold(&b[k], &bp[k], v, vp);
            } else if (mode == MODE_MAXVAL) {
                b[k] = fast ? vf_max(v, b[k]) : v_fold_val(b[k], v);
            } else {
                b[k] = vf_add(b[k], v);
            }
        }
    for (int k = 0; k < NV; k++) {
        vf_storeu(dv + k * VW, b[k]);
        if (mode == MODE_MAXPOS)
            vi_storeu(dp + k * VW, bp[k]);
    }
}

/* Prefetch pixels [e0, e1) (e = h*W + w) of one channel block (xs: its first channel). */
NHWC_INLINE void fz_prefetch_px(const float *xs, int64_t C, int64_t e0, int64_t e1)
{
    for (int64_t e = e0; e < e1; e++)
        for (int k = 0; k < CBW * 4; k += 64)
            _mm_prefetch((const char *)(xs + e * C) + k, FZ_PX_HINT);
}
/* Prefetch rows [h0, h1) of one channel block. */
NHWC_INLINE void fz_prefetch(const float *xs, int64_t C, int64_t W, int64_t h0, int64_t h1)
{
    fz_prefetch_px(xs, C, h0 * W, h1 * W);
}

/* Row h of one channel block (xs: the block's channel c0 in sample b): the column partials
 * into P (nq slots of CBW lanes), shorter intervals first. */
NHWC_INLINE void fz_cols(const fz_plan *fp, const spp_plan *pl, const float *xs, int64_t h,
                         int pf, const int *cnt, int masked, int mode, int fast, float *Pv,
                         int32_t *Pp, vf *tot, fz_cursor *pc)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    const float *xr = xs + h * W * C;
    /* pf: the block is CBW channels out of every C: fetch its row FZ_PD rows ahead */
    if (pf && h + FZ_PD < H)
        fz_prefetch(xs, C, W, h + FZ_PD, h + FZ_PD + 1);
    for (int t = 0; t < fp->nq; t++) {
        const int q = fp->ord[t];
        if (fp->np[q] == 0)
            fz_scan(xr, C, fp->qs[q], fp->qe[q], (int32_t)(h * W), cnt, masked, mode, fast,
                    Pv + q * CBW, Pp + q * CBW, tot, pc);
        else
            fz_merge(Pv, Pp, fp->piece[q], fp->np[q], mode, fast, Pv + q * CBW, Pp + q * CBW);
    }
}

/* Two-phase, first phase: the column partials of every row of one block (row h at slot
 * h * nq), interval by interval (shorter first) and, inside, row by row, so the plan is decoded
 * once per block rather than once per row; each slot gets the same arithmetic as fz_cols.
 * xn: the next block to prefetch (or NULL). */
NHWC_INLINE void fz_cols_all(const fz_plan *fp, const spp_plan *pl, const float *xs,
                             const float *xn, int first, const int *cnt, int masked, int mode, int fast,
                             float *Pv, int32_t *Pp, vf *tot)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    const int nq = fp->nq;
    const int64_t rs = (int64_t)nq * CBW;
    /* memory: the first block of a task fetches its own rows FZ_PD ahead during the first
     * interval; every block fetches the next one a few pixels per scanned (interval, row),
     * spread over its whole run (a burst of prefetches stalls on the miss buffers) */
    int nscan = 0;
    for (int t = 0; t < nq; t++)
        nscan += fp->np[t] == 0;
    const int64_t pstep = W / nscan + 1;
    int64_t pf = 0;
    for (int t = 0; t < nq; t++) {
        const int q = fp->ord[t], np = fp->np[q];
        if (np == 0) {
            const int64_t s = fp->qs[q], e = fp->qe[q];
            for (int64_t h = 0; h < H; h++) {
                if (first && t == 0 && h + FZ_PD < H)
                    fz_prefetch(xs, C, W, h + FZ_PD, h + FZ_PD + 1);
                if (xn && pf < H * W) {
                    fz_prefetch_px(xn, C, pf, pf + pstep < H * W ? pf + pstep : H * W);
                    pf += pstep;
                }
                if (fp->rowon[h])
                    fz_scan(xs + h * W * C, C, s, e, (int32_t)(h * W), cnt, masked, mode, fast,
                            Pv + h * rs + q * CBW, Pp + h * rs + q * CBW, tot, NULL);
            }
        } else {
            int16_t pc[FZ_MAXP];
            for (int m = 0; m < np; m++)
                pc[m] = fp->piece[q][m];
            for (int64_t h = 0; h < H; h++)
                if (fp->rowon[h])
                    fz_merge(Pv + h * rs, Pp + h * rs, pc, np, mode, fast, Pv + h * rs + q * CBW,
                             Pp + h * rs + q * CBW);
        }
    }
}

/* Row h's partials P folded into the accumulators of every bin containing the row (rows
 * arrive in increasing order; the first row of a bin initializes it). */
NHWC_INLINE void fz_rowfold(const fz_plan *fp, const int32_t *rr, const spp_plan *pl,
                            int64_t h, int mode, int fast, const float *Pv, const int32_t *Pp,
                            float *Av, int32_t *Ap)
{
    const spp_problem *p = &pl->p;
    const int64_t H = p->h;
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n, lo = rr[2 * (l * H + h)], hi = rr[2 * (l * H + h) + 1];
        for (int i = lo; i <= hi; i++) {
            const int first = lv->rows[i].start == h;
            float *av = Av + (int64_t)(fp->lbin[l] + i * n) * CBW;
            int32_t *ap = Ap + (int64_t)(fp->lbin[l] + i * n) * CBW;
            for (int j = 0; j < n; j++, av += CBW, ap += CBW) {
                const int q = fp->colq[l][j];
                const float *pv = Pv + q * CBW;
                const int32_t *pp = Pp + q * CBW;
                for (int k = 0; k < NV; k++) {
                    const vf v = vf_loadu(pv + k * VW);
                    if (first) {
                        vf_storeu(av + k * VW, v);
                        if (mode == MODE_MAXPOS)
                            vi_storeu(ap + k * VW, vi_loadu(pp + k * VW));
                    } else if (mode == MODE_MAXPOS) {
                        vf a = vf_loadu(av + k * VW);
                        vi ai = vi_loadu(ap + k * VW);
                        if (fast)
                            v_fold_fast(&a, &ai, v, vi_loadu(pp + k * VW));
                        else
                            v_fold(&a, &ai, v, vi_loadu(pp + k * VW));
                        vf_storeu(av + k * VW, a);
                        vi_storeu(ap + k * VW, ai);
                    } else if (mode == MODE_MAXVAL) {
                        const vf a = vf_loadu(av + k * VW);
                        vf_storeu(av + k * VW, fast ? vf_max(v, a) : v_fold_val(a, v));
                    } else {
                        vf_storeu(av + k * VW, vf_add(vf_loadu(av + k * VW), v));
                    }
                }
            }
        }
    }
}

/* Two-phase, second phase: every bin of one block folds its rows' partials (P: all rows, row
 * h at slot h * nq) in registers, rows in increasing order as in fz_rowfold (same arithmetic,
 * same results), and is stored once. */
NHWC_INLINE void fz_bins(const fz_plan *fp, const spp_plan *pl, int mode, int fast,
                         const float *Pv, const int32_t *Pp, float *Av, int32_t *Ap)
{
    const spp_problem *p = &pl->p;
    const int64_t rs = (int64_t)fp->nq * CBW; /* one row of partials */
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        for (int i = 0; i < n; i++) {
            const int64_t r0 = lv->rows[i].start, r1 = lv->rows[i].end;
            float *av = Av + (int64_t)(fp->lbin[l] + i * n) * CBW;
            int32_t *ap = Ap + (int64_t)(fp->lbin[l] + i * n) * CBW;
            for (int j = 0; j < n; j++, av += CBW, ap += CBW) {
                const int64_t q = fp->colq[l][j];
                const float *pv = Pv + r0 * rs + q * CBW;
                const int32_t *pp = Pp + r0 * rs + q * CBW;
                vf b[NV];
                vi bp[NV];
                for (int k = 0; k < NV; k++) {
                    b[k] = vf_loadu(pv + k * VW);
                    if (mode == MODE_MAXPOS)
                        bp[k] = vi_loadu(pp + k * VW);
                }
                for (int64_t h = r0 + 1; h < r1; h++) {
                    pv += rs;
                    pp += rs;
                    for (int k = 0; k < NV; k++) {
                        const vf v = vf_loadu(pv + k * VW);
                        if (mode == MODE_MAXPOS) {
                            if (fast)
                                v_fold_fast(&b[k], &bp[k], v, vi_loadu(pp + k * VW));
                            else
                                v_fold(&b[k], &bp[k], v, vi_loadu(pp + k * VW));
                        } else if (mode == MODE_MAXVAL) {
                            b[k] = fast ? vf_max(v, b[k]) : v_fold_val(b[k], v);
                        } else {
                            b[k] = vf_add(b[k], v);
                        }
                    }
                }
                for (int k = 0; k < NV; k++) {
                    vf_storeu(av + k * VW, b[k]);
                    if (mode == MODE_MAXPOS)
                        vi_storeu(ap + k * VW, bp[k]);
                }
            }
        }
    }
}

/* 2-D blocks (fz_blocks_plan), one channel block, max with argmax, fast path (no NaN; the
 * caller reruns the task on the row path when *tot says there may be one):
 *  1. every leaf block (row leaf x column leaf, both elementary, so each input element is read
 *     exactly once) scanned in row-major order with the scan rule into its slot;
 *  2. every row item merged from its pieces for every column leaf: pieces advance downwards,
 *     so the scan rule is exact (file header);
 *  3. for every row item some bin row uses, the column items its bins need, merged from
 *     their pieces side by side with v_merge_fast (the earlier position among equal maxima),
 *     and the bins copied into the accumulators (Av, Ap) that fz_fwd_one writes out.
 * Slots: row item r and column leaf k at r * ncl + k, then one per column item (S: pslots).
 * No software prefetch: fetching FZ2_PD elements ahead in scan order (T0 or T1), or the task's
 * next block an element per element read, was slower than the hardware prefetchers alone
 * (det-688 and 30x40 sppnet, 1 thread: 0.77x and 0.69x the time of the row path without it,
 * 0.90x and 0.71x with it). */
NHWC_INLINE void fz_blocks(const fz_plan *fp, const spp_plan *pl, const float *xs,
                           const int *cnt, int masked, float *Sv, int32_t *Sp, float *Av,
                           int32_t *Ap, vf *tot)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w;
    const fz_axis *ra = &fp->ra, *ca = &fp->ca;
    const int ncl = ca->nleaf;
    vf sum[NV];
    for (int k = 0; k < NV; k++)
        sum[k] = vf_zero();
    for (int a = 0; a < ra->nleaf; a++) {
        const int r = ra->leaf[a];
        const int64_t h0 = ra->qs[r], h1 = ra->qe[r];
        for (int kl = 0; kl < ncl; kl++) {
            const int c = ca->leaf[kl];
            const int64_t w0 = ca->qs[c], w1 = ca->qe[c];
            vf b[NV];
            vi bp[NV];
            const float *x0 = xs + (h0 * W + w0) * C;
            for (int k = 0; k < NV; k++) {
                b[k] = v_ld(x0 + k * VW, masked, cnt[k]);
                bp[k] = vi_set1((int32_t)(h0 * W + w0));
            }
            const vi one = vi_set1(1);
            for (int64_t h = h0; h < h1; h++) {
                const int64_t ws = h == h0 ? w0 + 1 : w0;
                vi pv = vi_set1((int32_t)(h * W + ws));
                for (int64_t w = ws; w < w1; w++) {
                    const float *xe = xs + (h * W + w) * C;
                    for (int k = 0; k < NV; k++) {
                        const vf v = v_ld(xe + k * VW, masked, cnt[k]);
                        sum[k] = vf_add(sum[k], v);
                        v_fold_fast(&b[k], &bp[k], v, pv);
                    }
                    pv = vi_add(pv, one);
                }
            }
            const int64_t o = ((int64_t)r * ncl + kl) * CBW;
            for (int k = 0; k < NV; k++) {
                sum[k] = vf_add(sum[k], b[k]); /* the first element */
                vf_storeu(Sv + o + k * VW, b[k]);
                vi_storeu(Sp + o + k * VW, bp[k]);
            }
        }
    }
    for (int k = 0; k < NV; k++)
        *tot = vf_add(*tot, sum[k]);
    for (int t = 0; t < ra->nq; t++) {
        const int r = ra->ord[t], np = ra->np[r];
        if (np == 0)
            continue;
        for (int kl = 0; kl < ncl; kl++) {
            vf b[NV];
            vi bp[NV];
            int64_t o = ((int64_t)ra->piece[r][0] * ncl + kl) * CBW;
            for (int k = 0; k < NV; k++) {
                b[k] = vf_loadu(Sv + o + k * VW);
                bp[k] = vi_loadu(Sp + o + k * VW);
            }
            for (int m = 1; m < np; m++) {
                o = ((int64_t)ra->piece[r][m] * ncl + kl) * CBW;
                for (int k = 0; k < NV; k++)
                    v_fold_fast(&b[k], &bp[k], vf_loadu(Sv + o + k * VW), vi_loadu(Sp + o + k * VW));
            }
            o = ((int64_t)r * ncl + kl) * CBW;
            for (int k = 0; k < NV; k++) {
                vf_storeu(Sv + o + k * VW, b[k]);
                vi_storeu(Sp + o + k * VW, bp[k]);
            }
        }
    }
    const int64_t cbase = (int64_t)ra->nq * ncl;
    for (int r = 0; r < ra->nq; r++) {
        const uint64_t need = fp->need[r];
        if (!need)
            continue;
        int64_t slot[FZ2_MAXI]; /* column item -> its slot for this row item */
        for (int t = 0; t < ca->nq; t++) {
            const int c = ca->ord[t], np = ca->np[c];
            if (!(need >> c & 1))
                continue;
            if (np == 0) {
                slot[c] = (int64_t)r * ncl + ca->lix[c];
                continue;
            }
            slot[c] = cbase + c;
            vf b[NV];
            vi bp[NV];
            int64_t o = slot[ca->piece[c][0]] * CBW;
            for (int k = 0; k < NV; k++) {
                b[k] = vf_loadu(Sv + o + k * VW);
                bp[k] = vi_loadu(Sp + o + k * VW);
            }
            for (int m = 1; m < np; m++) {
                o = slot[ca->piece[c][m]] * CBW;
                for (int k = 0; k < NV; k++)
                    v_merge_fast(&b[k], &bp[k], vf_loadu(Sv + o + k * VW), vi_loadu(Sp + o + k * VW));
            }
            o = slot[c] * CBW;
            for (int k = 0; k < NV; k++) {
                vf_storeu(Sv + o + k * VW, b[k]);
                vi_storeu(Sp + o + k * VW, bp[k]);
            }
        }
        for (int l = 0; l < p->nlevels; l++) {
            const int n = pl->lv[l].n;
            for (int i = 0; i < n; i++) {
                if (ra->map[l][i] != r)
                    continue;
                for (int j = 0; j < n; j++) {
                    const int64_t o = slot[ca->map[l][j]] * CBW;
                    const int64_t d = (int64_t)(fp->lbin[l] + i * n + j) * CBW;
                    memcpy(Av + d, Sv + o, CBW * sizeof *Av);
                    memcpy(Ap + d, Sp + o, CBW * sizeof *Ap);
                }
            }
        }
    }
}

/* One task: sample b (xb: its first element), channel blocks [k0, k1), rows in order and,
 * inside a row, the blocks in order, so the row is read front to back. Accumulators of block
 * k are at Av/Ap + (k - k0) * bins * CBW. Returns 1 if the fast max path saw a possible NaN. */
NHWC_INLINE int fz_task(const fz_plan *fp, const int32_t *rr, const spp_plan *pl,
                        const float *xb, int64_t k0, int64_t k1, int mode, int fast,
                        float *Pv, int32_t *Pp, float *Av, int32_t *Ap)
{
    const spp_problem *p = &pl->p;
    const int64_t H = p->h, abin = pl->bins_per_channel * CBW;
    vf tot = vf_zero();
    if (fp->blk && mode == MODE_MAXPOS && fast) { /* the 2-D blocks, block by block */
        for (int64_t kb = k0; kb < k1; kb++) {
            int cnt[NV];
            const int masked = block_counts(p->c, kb * CBW, cnt);
            const float *xs = xb + kb * CBW;
            if (!masked)
                fz_blocks(fp, pl, xs, cnt, 0, Pv, Pp, Av + (kb - k0) * abin, Ap + (kb - k0) * abin, &tot);
            else
                fz_blocks(fp, pl, xs, cnt, 1, Pv, Pp, Av + (kb - k0) * abin, Ap + (kb - k0) * abin, &tot);
        }
        return vf_anynan(tot);
    }
    if (fp->two) { /* block by block: all rows' partials, then the bins */
        const int64_t rs = (int64_t)fp->nq * CBW;
        if (fp->two == 2 && k0 < k1)
            fz_prefetch(xb + k0 * CBW, p->c, p->w, 0, FZ_PD < H ? FZ_PD : H);
        for (int64_t kb = k0; kb < k1; kb++) {
            int cnt[NV];
            const int masked = block_counts(p->c, kb * CBW, cnt);
            const float *xs = xb + kb * CBW, *xn = kb + 1 < k1 ? xb + (kb + 1) * CBW : NULL;
            if (fp->two == 2) { /* interval by interval */
                if (!masked)
                    fz_cols_all(fp, pl, xs, xn, kb == k0, cnt, 0, mode, fast, Pv, Pp, &tot);
                else
                    fz_cols_all(fp, pl, xs, xn, kb == k0, cnt, 1, mode, fast, Pv, Pp, &tot);
            } else { /* row by row */
                for (int64_t h = 0; h < H; h++) {
                    if (!fp->rowon[h])
                        continue;
                    if (!masked)
                        fz_cols(fp, pl, xs, h, 1, cnt, 0, mode, fast, Pv + h * rs, Pp + h * rs, &tot, NULL);
                    else
                        fz_cols(fp, pl, xs, h, 1, cnt, 1, mode, fast, Pv + h * rs, Pp + h * rs, &tot, NULL);
                }
            }
            fz_bins(fp, pl, mode, fast, Pv, Pp, Av + (kb - k0) * abin, Ap + (kb - k0) * abin);
        }
        return fast && mode != MODE_SUM && vf_anynan(tot);
    }
    for (int64_t h = 0; h < H; h++) {
        int any = 0;
        for (int l = 0; l < p->nlevels; l++)
            any |= rr[2 * (l * H + h)] <= rr[2 * (l * H + h) + 1];
        if (!any)
            continue;
        /* Row h + FZ_PF_ROWS (the group's channels of each pixel) is fetched in address
         * order by a cursor that every scanned pixel step advances by CBW floats (the scans of
         * a row consume about a row), so the fetches spread evenly over the row. Fetching a
         * block's CBW floats of every pixel instead walks the row at a stride of C floats in
         * bursts: with rows of 128 KiB that stalled on the miss buffers and ran at a third of
         * DRAM speed (measured). */
        fz_cursor cur = {NULL, NULL, 0, 0, 0};
        if (h + FZ_PF_ROWS < H) {
            const int64_t cg = p->c - k0 * CBW < (k1 - k0) * CBW ? p->c - k0 * CBW : (k1 - k0) * CBW;
            cur.px = (const char *)(xb + k0 * CBW + (h + FZ_PF_ROWS) * p->w * p->c);
            cur.stride = p->c * 4;
            cur.end = cur.px + p->w * cur.stride;
            cur.gb = cg * 4;
        }
        for (int64_t kb = k0; kb < k1; kb++) {
            int cnt[NV];
            const int masked = block_counts(p->c, kb * CBW, cnt);
            float *av = Av + (kb - k0) * abin;
            int32_t *ap = Ap + (kb - k0) * abin;
            if (!masked)
                fz_cols(fp, pl, xb + kb * CBW, h, 0, cnt, 0, mode, fast, Pv, Pp, &tot, &cur);
            else
                fz_cols(fp, pl, xb + kb * CBW, h, 0, cnt, 1, mode, fast, Pv, Pp, &tot, &cur);
            fz_rowfold(fp, rr, pl, h, mode, fast, Pv, Pp, av, ap);
        }
    }
    return fast && mode != MODE_SUM && vf_anynan(tot);
}

/* The task with the mode as a compile-time constant; a possible NaN -> exact rerun. */
NHWC_INLINE void fz_task_run(const fz_plan *fp, const int32_t *rr, const spp_plan *pl,
                             const float *xb, int64_t k0, int64_t k1, int mode, float *Pv,
                             int32_t *Pp, float *Av, int32_t *Ap)
{
    if (mode == MODE_SUM)
        fz_task(fp, rr, pl, xb, k0, k1, MODE_SUM, 0, Pv, Pp, Av, Ap);
    else if (fz_task(fp, rr, pl, xb, k0, k1, mode, 1, Pv, Pp, Av, Ap))
        fz_task(fp, rr, pl, xb, k0, k1, mode, 0, Pv, Pp, Av, Ap);
}

/* Everything a forward task needs, shared read-only by the threads. */
typedef struct {
    const spp_plan *pl;
    const fz_plan *fp;
    const int32_t *rr;
    const float *x;
    float *y;
    int32_t *argmax;
    int mode;
    int64_t nblk, gsz, ngrp, abin;
} fz_ctx;

/* Forward task t (sample, channel group) with the thread's workspace `mine`. */
static void fz_fwd_one(const fz_ctx *cx, int64_t t, char *mine)
{
    const spp_plan *pl = cx->pl;
    const spp_problem *p = &pl->p;
    const fz_plan *fp = cx->fp;
    const int32_t *rr = cx->rr;
    const int64_t C = p->c, H = p->h, W = p->w;
    const int64_t nblk = cx->nblk, gsz = cx->gsz, ngrp = cx->ngrp, abin = cx->abin;
    const int mode = cx->mode;
    const float *x = cx->x;
    float *y = cx->y;
    int32_t *argmax = cx->argmax;
    float *Av = (float *)(void *)mine;
    int32_t *Ap = (int32_t *)(void *)(mine + (size_t)gsz * abin * 4);
    float *Pv = (float *)(void *)(mine + (size_t)gsz * abin * 8);
    int32_t *Pp = (int32_t *)(void *)(mine + (size_t)gsz * abin * 8 +
                                      (size_t)fp->pslots * CBW * 4);
    const int64_t b = t / ngrp, k0 = (t % ngrp) * gsz;
    const int64_t k1 = k0 + gsz < nblk ? k0 + gsz : nblk;
    const float *xb = x + b * H * W * C;
    if (mode == MODE_MAXPOS)
        fz_task_run(fp, rr, pl, xb, k0, k1, MODE_MAXPOS, Pv, Pp, Av, Ap);
    else if (mode == MODE_MAXVAL)
        fz_task_run(fp, rr, pl, xb, k0, k1, MODE_MAXVAL, Pv, Pp, Av, Ap);
    else
        fz_task_run(fp, rr, pl, xb, k0, k1, MODE_SUM, Pv, Pp, Av, Ap);
    for (int64_t kb = k0; kb < k1; kb++) {
        /* write out: per channel, the level's n*n bins are contiguous in y */
        const int64_t c0 = kb * CBW, cw = C - c0 < CBW ? C - c0 : CBW;
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n, st = n * n;
            const int64_t o0 = spp_y_index(pl, b, l, c0, 0, 0);
            float *av = Av + (kb - k0) * abin + (int64_t)fp->lbin[l] * CBW;
            const int32_t *ap = Ap + (kb - k0) * abin + (int64_t)fp->lbin[l] * CBW;
            if (mode == MODE_SUM) /* the means, in place: (float)((double)sum / divisor), 4 lanes
                                     at a time (vdivpd and vcvtpd2ps round as the scalar casts
                                     do), then written out like the maxima */
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        const __m256d d = _mm256_set1_pd((double)(lv->rows[i].div * lv->cols[j].div));
                        float *a = av + (int64_t)(i * n + j) * CBW;
                        for (int e = 0; e < CBW; e += 4)
                            _mm_storeu_ps(a + e, _mm256_cvtpd_ps(_mm256_div_pd(
                                                     _mm256_cvtps_pd(_mm_loadu_ps(a + e)), d)));
                    }
            if (st == 1) { /* one bin: the block's outputs are contiguous channels */
                memcpy(y + o0, av, (size_t)cw * sizeof *y);
                if (mode == MODE_MAXPOS)
                    memcpy(argmax + o0, ap, (size_t)cw * sizeof *argmax);
                continue;
            }
            /* 8 (then 4) bins x 8 channels at a time through register transposes, the rest
             * (bin and channel tails) one by one */
            const int k8 = st / 8 * 8, k4 = st - k8 >= 4 ? k8 + 4 : k8;
            const int64_t c8 = cw / 8 * 8;
            for (int64_t ch = 0; ch < c8; ch += 8) {
                for (int k = 0; k < k8; k += 8) {
                    avx2_t8x8(av + (int64_t)k * CBW + ch, CBW, y + o0 + ch * st + k, st);
                    if (mode == MODE_MAXPOS)
                        avx2_t8x8((const float *)(const void *)(ap + (int64_t)k * CBW + ch),
                                  CBW, (float *)(void *)(argmax + o0 + ch * st + k), st);
                }
                if (k4 > k8) {
                    avx2_t4x8(av + (int64_t)k8 * CBW + ch, CBW, y + o0 + ch * st + k8, st);
                    if (mode == MODE_MAXPOS)
                        avx2_t4x8((const float *)(const void *)(ap + (int64_t)k8 * CBW + ch),
                                  CBW, (float *)(void *)(argmax + o0 + ch * st + k8), st);
                }
            }
            for (int64_t ch = k4 < st ? 0 : c8; ch < cw; ch++) {
                float *yo = y + o0 + ch * st;
                int32_t *ao = mode == MODE_MAXPOS ? argmax + o0 + ch * st : NULL;
                for (int k = ch < c8 ? k4 : 0; k < st; k++) {
                    yo[k] = av[(int64_t)k * CBW + ch];
                    if (mode == MODE_MAXPOS)
                        ao[k] = ap[(int64_t)k * CBW + ch];
                }
            }
        }
    }
}

static spp_status fz_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                             const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    if (spp_input_elems(p) <= FZ_MIN_ELEMS)
        return spp_kernel_naive.forward(pl, x, y, argmax, ex);
    char *ws = ex->workspace;
    fz_ctx cx;
    cx.pl = pl;
    cx.x = x;
    cx.y = y;
    cx.argmax = argmax;
    cx.mode = p->pool == SPP_POOL_AVG ? MODE_SUM : argmax ? MODE_MAXPOS : MODE_MAXVAL;
    fz_plan *fp = (fz_plan *)(void *)ws;
    int32_t *rr = (int32_t *)(void *)(ws + fz_round(sizeof(fz_plan)));
    spp_fz_build(fp, rr, pl, cx.mode == MODE_SUM);
    cx.fp = fp;
    cx.rr = rr;
    char *tws = ws + fz_plan_bytes(pl);
    const size_t tb = fz_thread_bytes_for(pl, fp->pslots); /* as declared: same plan */
    const int T = ex->threads < 1 ? 1 : ex->threads;
    cx.nblk = (p->c + CBW - 1) / CBW;
    cx.gsz = fz_group(pl, T);
    cx.ngrp = (cx.nblk + cx.gsz - 1) / cx.gsz;
    cx.abin = pl->bins_per_channel * CBW;
    const int64_t ntask = p->n * cx.ngrp;
    if (T == 1 || ntask == 1) { /* no OpenMP region: small problems pay no team start-up */
        for (int64_t t = 0; t < ntask; t++)
            fz_fwd_one(&cx, t, tws);
        return SPP_OK;
    }
#pragma omp parallel num_threads(T)
    {
        char *mine = tws + (size_t)omp_get_thread_num() * tb;
        /* dynamic: on a busy machine a descheduled thread does not hold the others up; every
         * task's arithmetic is the same whichever thread runs it */
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntask; t++)
            fz_fwd_one(&cx, t, mine);
    }
    return SPP_OK;
}

/* Zero n floats. When the whole dx is FZ_NT_BYTES or more (it cannot stay in the 32 MiB L3),
 * streaming stores skip the read-for-ownership of lines a max backward mostly never touches
 * again (glibc's memset does this only for single calls above a larger size); the sfence
 * orders them before the scatter that follows and before other threads' reads. */
#ifndef FZ_NT_BYTES
#define FZ_NT_BYTES (16u << 20)
#endif
static void fz_zero(float *d, int64_t n, int nt)
{
    if (!nt) {
        memset(d, 0, (size_t)n * sizeof *d);
        return;
    }
    int64_t i = 0;
    while (i < n && ((uintptr_t)(d + i) & 31u))
        d[i++] = 0.0f;
    const __m256 z = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8)
        _mm256_stream_ps(d + i, z);
    for (; i < n; i++)
        d[i] = 0.0f;
    _mm_sfence();
}

/* One channel's dy of one level (st bins, argmax amc) added into its tile lane g, in bin
 * order. Out of line: inlined into fz_back_task, the loop reloaded its pointers from the
 * stack on every element. (The untiled scatter below stays inline: called per channel on
 * vgg16-600's 16, 4 and 1 bins, an out-of-line loop was 1.2x slower.) */
static __attribute__((noinline)) void fz_bt_scatter(const float *dyc, const int32_t *amc, float *g, int st)
{
    for (int k = 0; k < st; k++)
        g[(int64_t)amc[k] * FZ_BT_LANES] += dyc[k];
}

/* One backward task: sample b, channel blocks [k0, k1) (channels [c0, c1)); dxs points at
 * channel 0 of sample b. It owns dx[b, :, :, c0:c1] alone: zero-fill and accumulate. */
NHWC_INLINE void fz_back_task(const fz_plan *fp, const int32_t *rr, const spp_plan *pl,
                              int64_t b, int64_t k0, int64_t k1, const float *dy,
                              const int32_t *argmax, float *dxs, float *G)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    const int64_t c0 = k0 * CBW, c1 = k1 * CBW < C ? k1 * CBW : C, cw = c1 - c0;
    const int64_t abin = pl->bins_per_channel * CBW;
    const int full = c0 == 0 && c1 == C; /* the task's region is contiguous */
    if (fz_back_tiled(pl)) { /* G: the tile, [pixel][FZ_BT_LANES channels] */
        const int64_t HW = H * W;
        const int pfw =
            FZ_BT_FORCED || (uint64_t)spp_input_elems(p) * sizeof(float) >= FZ_BT_PFW_BYTES;
        for (int64_t cs = c0; cs < c1; cs += FZ_BT_LANES) {
            const int64_t ce = cs + FZ_BT_LANES < c1 ? cs + FZ_BT_LANES : c1;
            memset(G, 0, (size_t)HW * FZ_BT_LANES * sizeof *G);
            /* naive's order per element: level, then bin row and column */
            for (int l = 0; l < p->nlevels; l++) {
                const int st = pl->lv[l].n * pl->lv[l].n;
                const int64_t o0 = spp_y_index(pl, b, l, 0, 0, 0);
                for (int64_t c = cs; c < ce; c++)
                    fz_bt_scatter(dy + o0 + c * st, argmax + o0 + c * st, G + (c - cs), st);
            }
            if (ce - cs == FZ_BT_LANES && pfw)
                for (int64_t e = 0; e < HW; e++) {
                    /* dx's line FZ_BT_PFW pixels ahead, or past the plane the next group's
                     * first ones, owned for writing before the stores reach it */
                    const int64_t q = e + FZ_BT_PFW;
                    if (q < HW)
                        fz_prefetchw(dxs + q * C + cs);
                    else if (q < 2 * HW && ce + FZ_BT_LANES <= c1)
                        fz_prefetchw(dxs + (q - HW) * C + ce);
                    for (int j = 0; j < FZ_BT_LANES; j += VW)
                        vf_storeu(dxs + e * C + cs + j, vf_loadu(G + e * FZ_BT_LANES + j));
                }
            else if (ce - cs == FZ_BT_LANES)
                for (int64_t e = 0; e < HW; e++)
                    for (int j = 0; j < FZ_BT_LANES; j += VW)
                        vf_storeu(dxs + e * C + cs + j, vf_loadu(G + e * FZ_BT_LANES + j));
            else
                for (int64_t e = 0; e < HW; e++)
                    memcpy(dxs + e * C + cs, G + e * FZ_BT_LANES, (size_t)(ce - cs) * sizeof *G);
        }
        return;
    }
    if (p->pool == SPP_POOL_MAX) {
        if (full)
            fz_zero(dxs, H * W * C, (uint64_t)spp_input_elems(p) * sizeof *dxs >= FZ_NT_BYTES);
        else
            for (int64_t e = 0; e < H * W; e++)
                memset(dxs + e * C + c0, 0, (size_t)cw * sizeof *dxs);
        /* naive's order per channel (level, bin row, bin column): dx bitwise naive's */
        for (int l = 0; l < p->nlevels; l++) {
            const int st = pl->lv[l].n * pl->lv[l].n;
            const int64_t o0 = spp_y_index(pl, b, l, 0, 0, 0);
            for (int64_t c = c0; c < c1; c++)
                for (int k = 0; k < st; k++) {
                    const int64_t o = o0 + c * st + k;
                    dxs[(int64_t)argmax[o] * C + c] += dy[o];
                }
        }
        return;
    }
    for (int64_t kb = k0; kb < k1; kb++)
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n, st = n * n;
            const int64_t o0 = spp_y_index(pl, b, l, kb * CBW, 0, 0);
            const int64_t bw = C - kb * CBW < CBW ? C - kb * CBW : CBW;
            for (int k = 0; k < st; k++) {
                float *g = G + (kb - k0) * abin + (int64_t)(fp->lbin[l] + k) * CBW;
                const float div = (float)(lv->rows[k / n].div * lv->cols[k % n].div);
                for (int64_t ch = 0; ch < CBW; ch++)
                    g[ch] = ch < bw ? dy[o0 + ch * st + k] / div : 0.0f;
            }
        }
    for (int64_t h = 0; h < H; h++) {
        float *dr = dxs + h * W * C;
        if (full)
            memset(dr, 0, (size_t)(W * C) * sizeof *dr);
        else
            for (int64_t w = 0; w < W; w++)
                memset(dr + w * C + c0, 0, (size_t)cw * sizeof *dr);
        for (int64_t kb = k0; kb < k1; kb++) {
            int cnt[NV];
            const int masked = block_counts(C, kb * CBW, cnt);
            float *db = dr + kb * CBW;
            /* for each element: level, bin row, bin column ascending, as naive adds them */
            for (int l = 0; l < p->nlevels; l++) {
                const spp_level_plan *lv = &pl->lv[l];
                const int n = lv->n, lo = rr[2 * (l * H + h)], hi = rr[2 * (l * H + h) + 1];
                for (int i = lo; i <= hi; i++)
                    for (int j = 0; j < n; j++) {
                        const float *g = G + (kb - k0) * abin + (int64_t)(fp->lbin[l] + i * n + j) * CBW;
                        vf gv[NV];
                        for (int k = 0; k < NV; k++)
                            gv[k] = vf_loadu(g + k * VW);
                        for (int64_t w = lv->cols[j].start; w < lv->cols[j].end; w++) {
                            float *d = db + w * C;
                            for (int k = 0; k < NV; k++) {
                                if (!masked)
                                    vf_storeu(d + k * VW, vf_add(vf_loadu(d + k * VW), gv[k]));
                                else if (cnt[k])
                                    vf_store_n(d + k * VW,
                                               vf_add(vf_load_n(d + k * VW, cnt[k]), gv[k]), cnt[k]);
                            }
                        }
                    }
            }
        }
    }
}

static spp_status fz_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                              float *dx, const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    if (spp_input_elems(p) <= FZ_MIN_ELEMS)
        return spp_kernel_naive.backward(pl, dy, argmax, dx, ex);
    char *ws = ex->workspace;
    fz_plan *fp = (fz_plan *)(void *)ws;
    int32_t *rr = (int32_t *)(void *)(ws + fz_round(sizeof(fz_plan)));
    if (!fz_back_tiled(pl)) /* the tile needs no plan */
        spp_fz_build(fp, rr, pl, 1);
    char *tws = ws + fz_plan_bytes(pl);
    /* within the declared size (same plan; the tile fits whatever the slots) */
    const size_t tb = fz_thread_bytes_for(pl, fz_back_tiled(pl) ? 0 : fp->pslots);
    const int T = ex->threads < 1 ? 1 : ex->threads;
    const int64_t nblk = (C + CBW - 1) / CBW, gsz = fz_group(pl, T);
    const int64_t ngrp = (nblk + gsz - 1) / gsz, ntask = p->n * ngrp;
    if (T == 1 || ntask == 1) {
        for (int64_t t = 0; t < ntask; t++) {
            const int64_t b = t / ngrp, k0 = (t % ngrp) * gsz;
            const int64_t k1 = k0 + gsz < nblk ? k0 + gsz : nblk;
            fz_back_task(fp, rr, pl, b, k0, k1, dy, argmax, dx + b * H * W * C, (float *)(void *)tws);
        }
        return SPP_OK;
    }
#pragma omp parallel num_threads(T)
    {
        float *G = (float *)(void *)(tws + (size_t)omp_get_thread_num() * tb);
#pragma omp for schedule(dynamic, 1)
        for (int64_t t = 0; t < ntask; t++) {
            const int64_t b = t / ngrp, k0 = (t % ngrp) * gsz;
            const int64_t k1 = k0 + gsz < nblk ? k0 + gsz : nblk;
            fz_back_task(fp, rr, pl, b, k0, k1, dy, argmax, dx + b * H * W * C, G);
        }
    }
    return SPP_OK;
}

#endif
