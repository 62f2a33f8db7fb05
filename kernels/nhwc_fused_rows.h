/* nhwc_fused_rows.h: the fused NHWC forward's row path, per channel block (CBW channels).
 * Not a kernel; nhwc_fused_fwd.h runs it.
 *
 * One row at a time: for row h, the column partials of every interval of the plan
 *    (nhwc_fused_plan.h), shorter first: scanned from the input (fz_scan) or merged from the
 *    partials of shorter ones (fz_merge); then every bin whose row interval contains h folds
 *    its column's partial into its accumulator (fz_rowfold; the first row of a bin stores
 *    it). Rows arrive in increasing order, so the scan rule (nhwc_simd.h) is exact.
 * Two-phase (small maps): the partials of all rows first, row by row (fz_cols) or interval
 *    by interval over all rows (fz_cols_all: the plan decoded once per block), then every
 *    bin folds its rows in registers and is stored once (fz_bins). Same folds in the same
 *    order as the row-at-a-time form: same bits.
 * Modes (MODE_MAXPOS, MODE_MAXVAL, MODE_SUM) and fast are compile-time constants at every
 *    call. fast: max folds are v_fold_fast / vf_max and the raw inputs are summed into *tot;
 *    a NaN there (or inf - inf) makes the caller rerun the task with the exact folds.
 * Memory: the row after next of a block that is CBW channels out of every C is prefetched
 *    FZ_PD rows ahead; the group's next row is fetched in address order by a cursor
 *    (fz_cursor) the scans advance, so the fetches spread evenly over the row instead of
 *    walking it at a stride of C floats in bursts that stall on the miss buffers. */
#ifndef NHWC_FUSED_ROWS_H
#define NHWC_FUSED_ROWS_H

#include "nhwc_fused_plan.h"
#include "nhwc_simd.h"

/* Rows prefetched ahead of the one being reduced (blocks fetched by themselves). */
#define FZ_PD 2
/* Rows ahead of the prefetch cursor. */
#define FZ_PF_ROWS 1

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
            _mm_prefetch(pc->px + pc->off + k, _MM_HINT_T1);
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
    vf b[NVX], sum[NVX];
    vi bp[NVX];
    for (int k = 0; k < NVM(masked); k++) {
        b[k] = v_ld(xr + s * C + k * VW, FZ_MASKED(masked, k), cnt[k]);
        sum[k] = b[k];
        if (mode == MODE_MAXPOS)
            bp[k] = vi_set1(hw + (int32_t)s);
    }
    /* the position as a running vector (one vpaddd per pixel, not a broadcast from a
     * general register) */
    vi pv = vi_set1(hw + (int32_t)s);
    const vi one = vi_set1(1);
    for (int64_t w = s + 1; w < e; w++) {
        const float *xe = xr + w * C;
        pv = vi_add(pv, one);
        if (pc)
            fz_cursor_step(pc);
        for (int k = 0; k < NVM(masked); k++) {
            const vf v = v_ld(xe + k * VW, FZ_MASKED(masked, k), cnt[k]);
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
        for (int k = 0; k < NVM(masked); k++)
            *tot = vf_add(*tot, sum[k]);
    for (int k = 0; k < NVM(masked); k++) {
        vf_storeu(dv + k * VW, b[k]);
        if (mode == MODE_MAXPOS)
            vi_storeu(dp + k * VW, bp[k]);
    }
}

/* One column interval merged from its np pieces pc[] (slots of the same row: Pv, Pp) into the
 * slot (dv, dp); the pieces advance left to right (max) or partition it (sums). */
NHWC_INLINE void fz_merge(const float *Pv, const int32_t *Pp, const int16_t *pc, int np,
                          const int nv, int mode, int fast, float *dv, int32_t *dp)
{
    vf b[NVX];
    vi bp[NVX];
    for (int k = 0; k < nv; k++) {
        b[k] = vf_loadu(Pv + pc[0] * FZ_SLOT + k * VW);
        if (mode == MODE_MAXPOS)
            bp[k] = vi_loadu(Pp + pc[0] * FZ_SLOT + k * VW);
    }
    for (int m = 1; m < np; m++)
        for (int k = 0; k < nv; k++) {
            const vf v = vf_loadu(Pv + pc[m] * FZ_SLOT + k * VW);
            if (mode == MODE_MAXPOS) {
                const vi vp = vi_loadu(Pp + pc[m] * FZ_SLOT + k * VW);
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
    for (int k = 0; k < nv; k++) {
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
            _mm_prefetch((const char *)(xs + e * C) + k, _MM_HINT_T0);
}
/* Prefetch rows [h0, h1) of one channel block. */
NHWC_INLINE void fz_prefetch(const float *xs, int64_t C, int64_t W, int64_t h0, int64_t h1)
{
    fz_prefetch_px(xs, C, h0 * W, h1 * W);
}

/* Row h of one channel block (xs: the block's channel c0 in sample b): the column partials
 * into P (nq slots of FZ_SLOT lanes), shorter intervals first. */
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
                    Pv + q * FZ_SLOT, Pp + q * FZ_SLOT, tot, pc);
        else
            fz_merge(Pv, Pp, fp->piece[q], fp->np[q], NVM(masked), mode, fast, Pv + q * FZ_SLOT,
                     Pp + q * FZ_SLOT);
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
    const int64_t rs = (int64_t)nq * FZ_SLOT;
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
                            Pv + h * rs + q * FZ_SLOT, Pp + h * rs + q * FZ_SLOT, tot, NULL);
            }
        } else {
            int16_t pc[FZ_MAXP];
            for (int m = 0; m < np; m++)
                pc[m] = fp->piece[q][m];
            for (int64_t h = 0; h < H; h++)
                if (fp->rowon[h])
                    fz_merge(Pv + h * rs, Pp + h * rs, pc, np, NVM(masked), mode, fast,
                             Pv + h * rs + q * FZ_SLOT, Pp + h * rs + q * FZ_SLOT);
        }
    }
}

/* Row h's partials P folded into the accumulators of every bin containing the row (rows
 * arrive in increasing order; the first row of a bin initializes it). */
NHWC_INLINE void fz_rowfold(const fz_plan *fp, const int32_t *rr, const spp_plan *pl,
                            int64_t h, const int nv, int mode, int fast, const float *Pv,
                            const int32_t *Pp, float *Av, int32_t *Ap)
{
    const spp_problem *p = &pl->p;
    const int64_t H = p->h;
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n, lo = rr[2 * (l * H + h)], hi = rr[2 * (l * H + h) + 1];
        for (int i = lo; i <= hi; i++) {
            const int first = lv->rows[i].start == h;
            float *av = Av + (int64_t)(fp->lbin[l] + i * n) * FZ_SLOT;
            int32_t *ap = Ap + (int64_t)(fp->lbin[l] + i * n) * FZ_SLOT;
            for (int j = 0; j < n; j++, av += FZ_SLOT, ap += FZ_SLOT) {
                const int q = fp->colq[l][j];
                const float *pv = Pv + q * FZ_SLOT;
                const int32_t *pp = Pp + q * FZ_SLOT;
                for (int k = 0; k < nv; k++) {
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

/* An avg mean: the sum times the bin's float scale (spp_avg_scale), one multiply, not a
 * divide nor a trip through double, the same on every thread count. A NaN mean becomes the
 * default NaN: a sum of two NaNs keeps its first operand's, and the compiler may order an
 * addition's operands differently in the one- and multi-thread copies of this code (it did,
 * in the coverage build), which would break the bitwise determinism across thread counts. */
NHWC_INLINE vf fz_mean(vf sum, vf scale)
{
    const vf m = vf_mul(sum, scale);
    return vf_blend(m, vf_bits(0x7fc00000), vm_nan(m));
}

/* Two-phase, second phase: every bin of one block folds its rows' partials (P: all rows, row
 * h at slot h * nq) in registers, rows in increasing order as in fz_rowfold (same arithmetic,
 * same results), and is stored once; sums as their means (fz_mean), so the write-out does not
 * pass over them again. */
NHWC_INLINE void fz_bins(const fz_plan *fp, const spp_plan *pl, const int nv, int mode, int fast,
                         const float *Pv, const int32_t *Pp, float *Av, int32_t *Ap)
{
    const spp_problem *p = &pl->p;
    const int64_t rs = (int64_t)fp->nq * FZ_SLOT; /* one row of partials */
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        for (int i = 0; i < n; i++) {
            const int64_t r0 = lv->rows[i].start, r1 = lv->rows[i].end;
            float *av = Av + (int64_t)(fp->lbin[l] + i * n) * FZ_SLOT;
            int32_t *ap = Ap + (int64_t)(fp->lbin[l] + i * n) * FZ_SLOT;
            for (int j = 0; j < n; j++, av += FZ_SLOT, ap += FZ_SLOT) {
                const int64_t q = fp->colq[l][j];
                const float *pv = Pv + r0 * rs + q * FZ_SLOT;
                const int32_t *pp = Pp + r0 * rs + q * FZ_SLOT;
                vf b[NVX];
                vi bp[NVX];
                for (int k = 0; k < nv; k++) {
                    b[k] = vf_loadu(pv + k * VW);
                    if (mode == MODE_MAXPOS)
                        bp[k] = vi_loadu(pp + k * VW);
                }
                for (int64_t h = r0 + 1; h < r1; h++) {
                    pv += rs;
                    pp += rs;
                    for (int k = 0; k < nv; k++) {
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
                const vf sc = mode == MODE_SUM ? vf_set1(spp_avg_scale(lv, i, j)) : vf_zero();
                for (int k = 0; k < nv; k++) {
                    vf_storeu(av + k * VW, mode == MODE_SUM ? fz_mean(b[k], sc) : b[k]);
                    if (mode == MODE_MAXPOS)
                        vi_storeu(ap + k * VW, bp[k]);
                }
            }
        }
    }
}

#endif
