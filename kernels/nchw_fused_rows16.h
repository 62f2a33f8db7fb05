/* nchw_fused_rows16.h: the max row path of nchw__fused_avx512 ("rows", "rows-tall"), 16
 * channel planes per group, one per lane. Not a kernel; nchw_fused.h includes it when its
 * includer asks for 16-lane rows (NCHW_FUSED_ROWS16).
 *
 * The algorithm of the 8-lane row path (nchw_fused_bins_avx2.h, the fused_group of
 * nchw_fused.h) at 16 lanes, written over vec_vocab.h's 16-lane vocabulary so tests/emu512/
 * runs it on AVX2 too:
 *  - each input row of the 16 planes is loaded once into a row buffer R (column w at
 *    R + w * 16) by 16 x 16 register transposes (scz_t16_rows of transpose16.h; the
 *    column tail by masked loads), whose loaded rows are summed on the way as the row's NaN
 *    probe;
 *  - per level read from the input and column bin, the row partial (value and column, the
 *    columns in increasing order) stays in registers and is merged at once into every bin
 *    row that holds the row: stored where the bin starts at it, else merged under the scan
 *    rule (v > b) | isnan(v), which reduces to v > b for a row without NaN;
 *  - levels covered by runs of finer bins: merged from them by the per-call program under
 *    spp_max_better's full (value, position) order (NaN terms only if a row held a NaN);
 *  - inference (argmax NULL): values only, b = max(v, b) everywhere (ties keep the earlier
 *    element); exact while no row holds a NaN and the bins other levels merge from hold no
 *    -0.0 (a merge by value cannot tell which zero came first). Otherwise the group runs
 *    again with positions. The same y either way;
 *  - write-out: a level's bins [bin][16 lanes] to y's [channel][bin] by scz_store.
 * Compare results are mask registers and the blends single instructions, where the AVX2 path
 * pays a vblendvps per value and per position. y and argmax bitwise naive's. */
#ifndef NCHW_FUSED_ROWS16_H
#define NCHW_FUSED_ROWS16_H

#include "small_cells_avx512.h"
#include "nchw_fused_plan.h"
#include "nchw_fused_bins_avx2.h" /* col_bins */

#define R16_INLINE static inline __attribute__((always_inline))
#define R16 16 /* lanes: channels of a group */

/* Row `off` (floats into each plane) of the group's planes (the first at p0, plane stride ps,
 * `valid` of them; the other lanes zero, never stored) -> R[w * 16 + lane]; returns 1 if a
 * lane may be NaN (the loaded values' sum is NaN, or meets inf - inf: only a slower rule). */
R16_INLINE int r16_row(const float *p0, int64_t ps, int valid, int64_t off, int64_t W, float *R)
{
    return scz_t16_rows(p0 + off, ps, valid, W, R);
}

/* (v, p) into a bin: stored at its first row, else merged as a later element. Modes: 0 values
 * only (no NaN; P untouched), 1 positions without NaN, 2 the NaN-aware scan rule. */
R16_INLINE void r16_merge(float *A, int32_t *P, vf v, vi p, int first, const int mode)
{
    const int nan_rule = mode == 2;
    if (mode == 0) {
        vf_storeu(A, first ? v : vf_max(v, vf_loadu(A)));
    } else if (first) {
        vf_storeu(A, v);
        vi_storeu(P, p);
    } else {
        const vf a = vf_loadu(A);
        const vm u = nan_rule ? vm_or(vm_gt(v, a), vm_nan(v)) : vm_gt(v, a);
        vf_storeu(A, vf_blend(a, v, u));
        vi_storeu(P, vi_blend(vi_loadu(P), p, u));
    }
}

/* Row h (in R) into the nb bin rows of one level that hold it (A, P: the first of them; bin
 * row k starts at h when bit k of first is set). nbc, f0, f1, uw: compile-time forms, as
 * max_row_v of nchw_fused_bins_avx2.h. */
R16_INLINE void r16_max_row_v(const col_bins *restrict cb, int n, int32_t hw,
                              const float *restrict R, const int32_t *restrict CI,
                              float *restrict A, int32_t *restrict P, int nb, uint64_t first,
                              const int mode, const int nbc, const int f0, const int f1,
                              const int uw)
{
    const vi hwv = vi_set1(hw);
    for (int j = 0; j < n; j++) {
        const int32_t qs = cb->qs[j], qn = uw ? uw : cb->qn[j];
        const float *r = R + (int64_t)qs * R16;
        const int32_t *ci = CI + (int64_t)qs * R16; /* column qs + w in every lane */
        vf best = vf_loadu(r);
        vi bc = mode ? vi_loadu(ci) : vi_set1(0);
        for (int32_t w = 1; w < qn; w++) {
            const vf v = vf_loadu(r + w * R16);
            if (mode == 0) {
                best = vf_max(v, best);
                continue;
            }
            const vm u = mode == 2 ? vm_or(vm_gt(v, best), vm_nan(v)) : vm_gt(v, best);
            best = vf_blend(best, v, u);
            bc = vi_blend(bc, vi_loadu(ci + w * R16), u);
        }
        const vi bp = vi_add(bc, hwv);
        float *a = A + j * R16;
        int32_t *p = P + j * R16;
        if (nbc) {
            r16_merge(a, p, best, bp, f0, mode);
            if (nbc > 1)
                r16_merge(a + n * R16, p + n * R16, best, bp, f1, mode);
        } else {
            for (int k = 0; k < nb; k++)
                r16_merge(a + k * n * R16, p + k * n * R16, best, bp, (first >> k) & 1, mode);
        }
    }
}

/* Row h into the bins of one level, in the form NCHW_ROW_FORMS (nchw_fused_bins_avx2.h)
 * picks, as max_row does at 8 lanes. */
R16_INLINE void r16_max_row(const col_bins *restrict cb, int n, int32_t hw,
                            const float *restrict R, const int32_t *restrict CI,
                            float *restrict A, int32_t *restrict P, int nb, uint64_t first,
                            const int mode)
{
#define R16_W(nbc, f0, f1, uw) r16_max_row_v(cb, n, hw, R, CI, A, P, nb, first, mode, nbc, f0, f1, uw)
    NCHW_ROW_FORMS(R16_W, nb, first, cb->uw, mode == 2);
#undef R16_W
}

/* The covered levels from finer finished bins: the per-call program of fused_forward (per
 * coarse bin: its float offset, the count, the sources' float offsets), under the full
 * (value, position) order; the NaN terms only when a row of the group held a NaN. */
static __attribute__((noinline)) void r16_coarse(const int32_t *restrict cp, int64_t ncp,
                                                  float *restrict AV, int32_t *restrict AP,
                                                  int nan)
{
    const int32_t *const end = cp + ncp;
    while (cp < end) {
        const int32_t dst = cp[0], cnt = cp[1];
        const int32_t *src = cp + 2;
        vf best = vf_loadu(AV + src[0]);
        vi bp = vi_loadu(AP + src[0]);
        for (int32_t m = 1; m < cnt; m++) {
            const vf v = vf_loadu(AV + src[m]);
            const vi pv = vi_loadu(AP + src[m]);
            if (nan)
                scz_merge(&best, &bp, v, pv);
            else
                v_merge_fast(&best, &bp, v, pv);
        }
        vf_storeu(AV + dst, best);
        vi_storeu(AP + dst, bp);
        cp = src + cnt;
    }
}

/* The same program by value only: exact when no source bin holds a NaN or a -0.0. */
static __attribute__((noinline)) void r16_coarse_vals(const int32_t *restrict cp, int64_t ncp,
                                                       float *restrict AV)
{
    const int32_t *const end = cp + ncp;
    while (cp < end) {
        const int32_t dst = cp[0], cnt = cp[1];
        const int32_t *src = cp + 2;
        vf best = vf_loadu(AV + src[0]);
        for (int32_t m = 1; m < cnt; m++)
            best = vf_max(vf_loadu(AV + src[m]), best);
        vf_storeu(AV + dst, best);
        cp = src + cnt;
    }
}

/* Everything the groups share, read-only (built by fused_forward before its threads). */
typedef struct {
    const nchw_sched *s;
    const col_bins *cbs;
    const int32_t *CI, *cp;
    int64_t ncp;
    const row_ent *tab; /* NULL: the row lists are computed per row ("rows-tall") */
    const unsigned char *tcnt;
    int64_t pf_step;
} r16_ctx;

/* Group (sample b, channels c0..c0+15) into y and argmax; R, AV, AP: the thread's row buffer
 * and bins. next/next_bytes: the next group's input, prefetched a slice per row. */
static void r16_group(const spp_plan *pl, const r16_ctx *cx, int64_t b, int64_t c0,
                      const float *x, float *y, int32_t *argmax, float *R, float *AV,
                      int32_t *AP, const char *next, int64_t next_bytes)
{
    const spp_problem *p = &pl->p;
    const int64_t H = p->h, W = p->w, C = p->c;
    const int valid = C - c0 < R16 ? (int)(C - c0) : R16;
    const float *p0 = x + (b * C + c0) * H * W; /* the group's first plane */
    int inl[SPP_MAX_LEVELS];
    const int nin = input_levels(pl, cx->s, inl);
    int mode = argmax ? 1 : 0; /* 0 values only, 1 positions; a NaN row: 2 for that row */
    int group_nan, runs = 0;
again:
    group_nan = 0;
    runs++;
    int cur[SPP_MAX_LEVELS] = {0};
    for (int64_t h = 0; h < H; h++) {
        row_ent own[SPP_MAX_LEVELS];
        const row_ent *ent = own;
        int nent;
        if (cx->tab) {
            ent = cx->tab + h * nin;
            nent = cx->tcnt[h];
        } else {
            nent = row_entries(pl, cx->s, inl, nin, h, cur, own, R16);
        }
        if (nent == 0)
            continue; /* a row no bin pools (sppnet) */
        if (runs == 1) { /* a second run reads planes the first brought in */
            const int64_t o1 = (h + 1) * cx->pf_step < next_bytes ? (h + 1) * cx->pf_step : next_bytes;
            for (int64_t off = h * cx->pf_step; off < o1; off += 64)
                _mm_prefetch(next + off, _MM_HINT_T0);
        }
        const int row_nan = r16_row(p0, H * W, valid, h * W, W, R);
        if (row_nan && mode == 0) { /* values only cannot order a NaN: again with positions */
            mode = 1;
            goto again;
        }
        group_nan |= row_nan;
        for (int t = 0; t < nent; t++) {
            const row_ent *e = &ent[t];
            float *A = AV + e->k0;
            int32_t *P = AP + e->k0;
            const int n = pl->lv[e->l].n;
            const int32_t hw = (int32_t)(h * W);
            if (mode == 0)
                r16_max_row(&cx->cbs[e->l], n, hw, R, cx->CI, A, P, e->nb, e->first, 0);
            else if (!row_nan)
                r16_max_row(&cx->cbs[e->l], n, hw, R, cx->CI, A, P, e->nb, e->first, 1);
            else
                r16_max_row(&cx->cbs[e->l], n, hw, R, cx->CI, A, P, e->nb, e->first, 2);
        }
    }
    if (mode == 0) { /* a -0.0 in a bin that others merge from: again with positions */
        for (int l = 0; l < p->nlevels; l++) {
            const int f = cx->s->src[l];
            if (f >= 0 && scz_negzero(AV + cx->s->bin_off[f] * R16,
                                      (int64_t)pl->lv[f].n * pl->lv[f].n)) {
                mode = 1;
                goto again;
            }
        }
        r16_coarse_vals(cx->cp, cx->ncp, AV);
    } else {
        r16_coarse(cx->cp, cx->ncp, AV, AP, group_nan);
    }
    for (int l = 0; l < p->nlevels; l++) {
        const int64_t nn = (int64_t)pl->lv[l].n * pl->lv[l].n;
        const int64_t o = b * pl->out_per_sample + pl->lv[l].out_offset + c0 * nn;
        scz_store(AV + cx->s->bin_off[l] * R16, scz_cols_to(y + o, valid), nn);
        if (argmax)
            scz_store((const float *)(const void *)(AP + cx->s->bin_off[l] * R16),
                      scz_cols_to((float *)(void *)(argmax + o), valid), nn);
    }
}

#endif
