/* nhwc_fused_blocks.h: the fused NHWC forward's 2-D blocks, for max (with argmax or values
 * only) on the maps the plan gives them to (nhwc_fused_plan.h: detection-sized maps whose input
 * stays in L3). Not a kernel; nhwc_fused_fwd.h runs it.
 *
 * The elementary row and column segments of all levels cut the map into disjoint blocks;
 * each block is read once into registers (row-major, the scan rule), row intervals are merged
 * from blocks downwards (the scan rule again: pieces advance downwards), column intervals
 * side by side with the position-aware v_merge_fast (the earlier position wins between equal
 * maxima), so there are no per-row partials or row folds. Values only, the side-by-side merge
 * has no positions to break a tie with, and only +0.0 against -0.0 makes the choice visible:
 * such a tie is reported and the task rerun on the exact row path, as a NaN is (the raw inputs
 * are summed into *tot; a NaN there makes the caller rerun). Same bits as the row path
 * (docs/spec.md#3-max-and-avg). No software prefetch: the hardware prefetchers alone do better
 * on this access pattern. */
#ifndef NHWC_FUSED_BLOCKS_H
#define NHWC_FUSED_BLOCKS_H

#include "nhwc_fused_plan.h"
#include "nhwc_simd.h"

/* 2-D blocks (planned by spp_fz_build), one channel block, max with argmax (pos) or values
 * only, fast path (no NaN; the caller reruns the task on the row path when *tot says there may
 * be one, or this returns 1: a values-only tie of +0.0 and -0.0 between side-by-side pieces):
 *  1. every leaf block (row leaf x column leaf, both elementary, so each input element is read
 *     exactly once) scanned in row-major order with the scan rule into its slot;
 *  2. every row item merged from its pieces for every column leaf: pieces advance downwards,
 *     so the scan rule is exact (nhwc_simd.h);
 *  3. for every row item some bin row uses, the column items its bins need, merged from
 *     their pieces side by side with v_merge_fast (the earlier position among equal maxima),
 *     and the bins copied into the accumulators (Av, Ap) that fz_fwd_one writes out.
 * Slots: row item r and column leaf k at r * ncl + k, then one per column item (S: pslots). */
NHWC_INLINE int fz_blocks(const fz_plan *fp, const spp_plan *pl, const float *xs,
                          const int *cnt, int masked, const int pos, float *Sv, int32_t *Sp,
                          float *Av, int32_t *Ap, vf *tot)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w;
    const fz_axis *ra = &fp->ra, *ca = &fp->ca;
    const int ncl = ca->nleaf;
    vf sum[NVX];
    vm tie = vm_nan(vf_zero()); /* no lane set */
    for (int k = 0; k < NVM(masked); k++)
        sum[k] = vf_zero();
    for (int a = 0; a < ra->nleaf; a++) {
        const int r = ra->leaf[a];
        const int64_t h0 = ra->qs[r], h1 = ra->qe[r];
        for (int kl = 0; kl < ncl; kl++) {
            const int c = ca->leaf[kl];
            const int64_t w0 = ca->qs[c], w1 = ca->qe[c];
            vf b[NVX];
            vi bp[NVX];
            const float *x0 = xs + (h0 * W + w0) * C;
            for (int k = 0; k < NVM(masked); k++) {
                b[k] = v_ld(x0 + k * VW, FZ_MASKED(masked, k), cnt[k]);
                if (pos)
                    bp[k] = vi_set1((int32_t)(h0 * W + w0));
            }
            const vi one = vi_set1(1);
            for (int64_t h = h0; h < h1; h++) {
                const int64_t ws = h == h0 ? w0 + 1 : w0;
                vi pv = vi_set1((int32_t)(h * W + ws));
                for (int64_t w = ws; w < w1; w++) {
                    const float *xe = xs + (h * W + w) * C;
                    for (int k = 0; k < NVM(masked); k++) {
                        const vf v = v_ld(xe + k * VW, FZ_MASKED(masked, k), cnt[k]);
                        sum[k] = vf_add(sum[k], v);
                        if (pos)
                            v_fold_fast(&b[k], &bp[k], v, pv);
                        else
                            b[k] = vf_max(v, b[k]);
                    }
                    if (pos)
                        pv = vi_add(pv, one);
                }
            }
            const int64_t o = ((int64_t)r * ncl + kl) * FZ_SLOT;
            for (int k = 0; k < NVM(masked); k++) {
                sum[k] = vf_add(sum[k], b[k]); /* the first element */
                vf_storeu(Sv + o + k * VW, b[k]);
                if (pos)
                    vi_storeu(Sp + o + k * VW, bp[k]);
            }
        }
    }
    for (int k = 0; k < NVM(masked); k++)
        *tot = vf_add(*tot, sum[k]);
    for (int t = 0; t < ra->nq; t++) {
        const int r = ra->ord[t], np = ra->np[r];
        if (np == 0)
            continue;
        for (int kl = 0; kl < ncl; kl++) {
            vf b[NVX];
            vi bp[NVX];
            int64_t o = ((int64_t)ra->piece[r][0] * ncl + kl) * FZ_SLOT;
            for (int k = 0; k < NVM(masked); k++) {
                b[k] = vf_loadu(Sv + o + k * VW);
                if (pos)
                    bp[k] = vi_loadu(Sp + o + k * VW);
            }
            for (int m = 1; m < np; m++) {
                o = ((int64_t)ra->piece[r][m] * ncl + kl) * FZ_SLOT;
                for (int k = 0; k < NVM(masked); k++)
                    if (pos)
                        v_fold_fast(&b[k], &bp[k], vf_loadu(Sv + o + k * VW), vi_loadu(Sp + o + k * VW));
                    else
                        b[k] = vf_max(vf_loadu(Sv + o + k * VW), b[k]);
            }
            o = ((int64_t)r * ncl + kl) * FZ_SLOT;
            for (int k = 0; k < NVM(masked); k++) {
                vf_storeu(Sv + o + k * VW, b[k]);
                if (pos)
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
            vf b[NVX];
            vi bp[NVX];
            int64_t o = slot[ca->piece[c][0]] * FZ_SLOT;
            for (int k = 0; k < NVM(masked); k++) {
                b[k] = vf_loadu(Sv + o + k * VW);
                if (pos)
                    bp[k] = vi_loadu(Sp + o + k * VW);
            }
            for (int m = 1; m < np; m++) {
                o = slot[ca->piece[c][m]] * FZ_SLOT;
                for (int k = 0; k < NVM(masked); k++) {
                    const vf v = vf_loadu(Sv + o + k * VW);
                    if (pos) {
                        v_merge_fast(&b[k], &bp[k], v, vi_loadu(Sp + o + k * VW));
                    } else {
                        tie = vm_or(tie, vm_zero_tie(v, b[k]));
                        b[k] = vf_max(v, b[k]);
                    }
                }
            }
            o = slot[c] * FZ_SLOT;
            for (int k = 0; k < NVM(masked); k++) {
                vf_storeu(Sv + o + k * VW, b[k]);
                if (pos)
                    vi_storeu(Sp + o + k * VW, bp[k]);
            }
        }
        for (int l = 0; l < p->nlevels; l++) {
            const int n = pl->lv[l].n;
            for (int i = 0; i < n; i++) {
                if (ra->map[l][i] != r)
                    continue;
                for (int j = 0; j < n; j++) {
                    const int64_t o = slot[ca->map[l][j]] * FZ_SLOT;
                    const int64_t d = (int64_t)(fp->lbin[l] + i * n + j) * FZ_SLOT;
                    memcpy(Av + d, Sv + o, FZ_SLOT * sizeof *Av);
                    if (pos)
                        memcpy(Ap + d, Sp + o, FZ_SLOT * sizeof *Ap);
                }
            }
        }
    }
    return vm_any(tie);
}

#endif
