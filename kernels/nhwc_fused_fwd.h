/* nhwc_fused_fwd.h: the fused NHWC forward (fz_forward): the whole pyramid in one pass over
 * the input, OpenMP over tasks. Not a kernel; nhwc__fused_avx2.c and nhwc__fused_avx512.c
 * include it.
 *
 * Per call: the plan (the operation's prepared state, or spp_fz_build into the workspace
 *    now: fz_plan_for, nhwc_fused_ws.h), then tasks
 *    (sample, channel group; nhwc_fused_ws.h), schedule(dynamic,1) with num_threads(threads),
 *    no OpenMP region for one thread or one task. A task runs the path's code: the 2-D
 *    blocks (nhwc_fused_blocks.h), or the two-phase or row-at-a-time row path
 *    (nhwc_fused_rows.h), block by block or row by row, so each input row is read front to
 *    back. Tasks write disjoint outputs: no races, no atomics.
 * Max: first with the fast folds and a NaN probe; a possible NaN reruns the task with the
 *    exact folds, so NaN costs time, never correctness: first maximum on ties (-0.0 ==
 *    +0.0), last NaN, all -inf -> first element, y == x[argmax] bitwise, equal to naive's
 *    (docs/spec.md#3-max-and-avg). Without argmax, values only.
 * Avg: float sums in a fixed order per channel, times the reciprocal of the two divisors'
 *    product in double, so the result does not depend on the thread count or on which task
 *    holds a channel.
 * Write-out: the [bin][channel] accumulators to y's [channel][bin] runs with 8x8 and 4x8
 *    register transposes (avx2_transpose.h; a one-bin level is a plain copy); avg means are
 *    scaled a vector at a time first (one float multiply; two-phase: as fz_bins folds the
 *    bins). Path scalar runs naive's loops. */
#ifndef NHWC_FUSED_FWD_H
#define NHWC_FUSED_FWD_H

#include <omp.h>

#include "avx2_transpose.h"
#include "nhwc_fused_blocks.h"
#include "nhwc_fused_rows.h"
#include "nhwc_fused_ws.h"

/* CALL(m) with the block's form m (fz_block_form, nhwc_simd.h) as a constant: 0 whole, 1 a
 * tail of more than one vector, 2 a tail of at most one, 3 whole vectors and a tail of at most
 * one (16-lane builds only: no copy of the code for it elsewhere). */
#define FZ_BY_FORM(form, CALL)                                                                   \
    do {                                                                                         \
        if ((form) == 0)                                                                         \
            CALL(0);                                                                             \
        else if ((form) == 2)                                                                    \
            CALL(2);                                                                             \
        else if (NVX > NV && (form) == 3)                                                        \
            CALL(3);                                                                             \
        else                                                                                     \
            CALL(1);                                                                             \
    } while (0)

/* One task: sample b (xb: its first element), channel blocks [k0, k1), rows in order and,
 * inside a row, the blocks in order, so the row is read front to back. Accumulators of block
 * k are at Av/Ap + (k - k0) * bins * FZ_SLOT. Returns 1 if the fast max path saw a possible NaN. */
NHWC_INLINE int fz_task(const fz_plan *fp, const int32_t *rr, const spp_plan *pl,
                        const float *xb, int64_t k0, int64_t k1, int mode, int fast,
                        float *Pv, int32_t *Pp, float *Av, int32_t *Ap)
{
    const spp_problem *p = &pl->p;
    const int64_t H = p->h, abin = pl->bins_per_channel * FZ_SLOT;
    vf tot = vf_zero();
    if (fp->blk && mode != MODE_SUM && fast) { /* the 2-D blocks, block by block */
        const int pos = mode == MODE_MAXPOS;
        int tie = 0;
        for (int64_t kb = k0; kb < k1; kb++) {
            int cnt[NVX];
            const int masked = fz_block_form(p->c, kb, cnt);
            const float *xs = xb + kb * CBW;
            float *av = Av + (kb - k0) * abin;
            int32_t *ap = Ap + (kb - k0) * abin;
#define FZ_BLK(m) tie |= fz_blocks(fp, pl, xs, cnt, m, pos, Pv, Pp, av, ap, &tot)
            FZ_BY_FORM(masked, FZ_BLK);
#undef FZ_BLK
        }
        return tie || vf_anynan(tot);
    }
    if (fp->two) { /* block by block: all rows' partials, then the bins */
        const int64_t rs = (int64_t)fp->nq * FZ_SLOT;
        if (fp->two == 2 && k0 < k1)
            fz_prefetch(xb + k0 * CBW, p->c, p->w, 0, FZ_PD < H ? FZ_PD : H);
        for (int64_t kb = k0; kb < k1; kb++) {
            int cnt[NVX];
            const int masked = fz_block_form(p->c, kb, cnt);
            const float *xs = xb + kb * CBW, *xn = kb + 1 < k1 ? xb + (kb + 1) * CBW : NULL;
            if (fp->two == 2) { /* interval by interval */
#define FZ_ALL(m) fz_cols_all(fp, pl, xs, xn, kb == k0, cnt, m, mode, fast, Pv, Pp, &tot)
                FZ_BY_FORM(masked, FZ_ALL);
#undef FZ_ALL
            } else { /* row by row */
                for (int64_t h = 0; h < H; h++) {
                    if (!fp->rowon[h])
                        continue;
#define FZ_ROW(m) fz_cols(fp, pl, xs, h, 1, cnt, m, mode, fast, Pv + h * rs, Pp + h * rs, &tot, NULL)
                    FZ_BY_FORM(masked, FZ_ROW);
#undef FZ_ROW
                }
            }
            float *av = Av + (kb - k0) * abin;
            int32_t *ap = Ap + (kb - k0) * abin;
#define FZ_BINS(m) fz_bins(fp, pl, NVM(m), mode, fast, Pv, Pp, av, ap)
            FZ_BY_FORM(masked, FZ_BINS);
#undef FZ_BINS
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
         * a row consume about a row), so the fetches spread evenly over the row (file header of
         * nhwc_fused_rows.h). */
        fz_cursor cur = {NULL, NULL, 0, 0, 0};
        if (h + FZ_PF_ROWS < H) {
            const int64_t cg = fz_block_end(p->c, k1 - 1) - k0 * CBW;
            cur.px = (const char *)(xb + k0 * CBW + (h + FZ_PF_ROWS) * p->w * p->c);
            cur.stride = p->c * 4;
            cur.end = cur.px + p->w * cur.stride;
            cur.gb = cg * 4;
        }
        for (int64_t kb = k0; kb < k1; kb++) {
            int cnt[NVX];
            const int masked = fz_block_form(p->c, kb, cnt);
            float *av = Av + (kb - k0) * abin;
            int32_t *ap = Ap + (kb - k0) * abin;
#define FZ_ROW(m) fz_cols(fp, pl, xb + kb * CBW, h, 0, cnt, m, mode, fast, Pv, Pp, &tot, &cur)
            FZ_BY_FORM(masked, FZ_ROW);
#undef FZ_ROW
#define FZ_FOLD(m) fz_rowfold(fp, rr, pl, h, NVM(m), mode, fast, Pv, Pp, av, ap)
            FZ_BY_FORM(masked, FZ_FOLD);
#undef FZ_FOLD
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
                                      (size_t)fp->pslots * FZ_SLOT * 4);
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
        const int64_t c0 = kb * CBW, cw = fz_block_end(C, kb) - c0;
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n, st = n * n;
            const int64_t o0 = spp_y_index(pl, b, l, c0, 0, 0);
            float *av = Av + (kb - k0) * abin + (int64_t)fp->lbin[l] * FZ_SLOT;
            const int32_t *ap = Ap + (kb - k0) * abin + (int64_t)fp->lbin[l] * FZ_SLOT;
            if (mode == MODE_SUM && !fp->two) { /* the means (fz_mean), in place, a vector
                                       at a time over the block's channels (lanes past them are
                                       the accumulators' spare lanes); two-phase stored them
                                       as it folded the bins */
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        const vf r = vf_set1(spp_avg_scale(lv, i, j));
                        float *a = av + (int64_t)(i * n + j) * FZ_SLOT;
                        for (int e = 0; e < cw; e += VW)
                            vf_storeu(a + e, fz_mean(vf_loadu(a + e), r));
                    }
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
                    avx2_t8x8(av + (int64_t)k * FZ_SLOT + ch, FZ_SLOT, y + o0 + ch * st + k, st);
                    if (mode == MODE_MAXPOS)
                        avx2_t8x8((const float *)(const void *)(ap + (int64_t)k * FZ_SLOT + ch),
                                  FZ_SLOT, (float *)(void *)(argmax + o0 + ch * st + k), st);
                }
                if (k4 > k8) {
                    avx2_t4x8(av + (int64_t)k8 * FZ_SLOT + ch, FZ_SLOT, y + o0 + ch * st + k8, st);
                    if (mode == MODE_MAXPOS)
                        avx2_t4x8((const float *)(const void *)(ap + (int64_t)k8 * FZ_SLOT + ch),
                                  FZ_SLOT, (float *)(void *)(argmax + o0 + ch * st + k8), st);
                }
            }
            for (int64_t ch = k4 < st ? 0 : c8; ch < cw; ch++) {
                float *yo = y + o0 + ch * st;
                int32_t *ao = mode == MODE_MAXPOS ? argmax + o0 + ch * st : NULL;
                for (int k = ch < c8 ? k4 : 0; k < st; k++) {
                    yo[k] = av[(int64_t)k * FZ_SLOT + ch];
                    if (mode == MODE_MAXPOS)
                        ao[k] = ap[(int64_t)k * FZ_SLOT + ch];
                }
            }
        }
    }
}

/* The forward on a path the caller resolved (nhwc_fused_plan.h): scalar, or a row path or the
 * 2-D blocks (the kernel files run the small-plane core themselves). */
static spp_status fz_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                             const spp_exec *ex, int path)
{
    const spp_problem *p = &pl->p;
    if (path == FZP_SCALAR)
        return spp_kernel_naive.forward(pl, x, y, argmax, ex);
    char *ws = ex->workspace;
    fz_ctx cx;
    cx.pl = pl;
    cx.x = x;
    cx.y = y;
    cx.argmax = argmax;
    cx.mode = p->pool == SPP_POOL_AVG ? MODE_SUM : argmax ? MODE_MAXPOS : MODE_MAXVAL;
    const fz_plan *fp = fz_plan_for(pl, ex, path, &cx.rr);
    cx.fp = fp;
    char *tws = ws + fz_plan_bytes(pl);
    const size_t tb = fz_thread_bytes(pl, fp->pslots, path); /* as declared: same plan and path */
    const int T = ex->threads < 1 ? 1 : ex->threads;
    cx.nblk = fz_fwd_blocks(p->c);
    cx.gsz = fz_group(pl, T, cx.nblk);
    cx.ngrp = (cx.nblk + cx.gsz - 1) / cx.gsz;
    cx.abin = pl->bins_per_channel * FZ_SLOT;
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

#endif
