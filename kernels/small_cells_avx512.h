/* small_cells_avx512.h: forward max of small planes (H*W <= SC_MAX_HW), with or without
 * argmax, and avg (SCZ_SUM), for nhwc__fused_avx512 and nchw__fused_avx512: the core of
 * small_cells_avx2.h with the 16 channels of a tile pixel in one vector. Written over
 * vec_vocab.h's 16-lane vocabulary (vf, vi, vm with VW = 16), so tests/emu512/ runs it on
 * AVX2 too; only the transposes (transpose16.h) have an AVX-512 form of their own, replaced
 * by plain copies in the emulation. Not a kernel by itself; its plan is fused_cells_plan.h.
 *
 * Per task (NHWC: sample, chunk of 16-channel groups; NCHW: 16 consecutive planes of the
 * N * C, which may span samples; scz_write stores to each sample): NHWC reads the groups in
 * place when C is a multiple of 16 and one level is read from the input (the probe summed
 * from the pixels read: a NaN reruns the group exact), else copies the groups pixel by pixel
 * in address order into cell-major tiles (64 bytes per pixel; a partial last group by a
 * masked load, the rest of its lanes zero and never stored), with four running sums
 * probing for NaN; NCHW transposes the group's 16 planes into its tile (scz_t16_rows, the
 * loaded rows summed as the probe; a partial group's missing planes are zero, never stored).
 * Per wave of groups (sc_wave: NHWC values-only passes; else one group), every step of the
 * plan for each group of the wave before the next, with the rules of the AVX2 form:
 *  - input levels: row partials (columns in increasing order), then per bin its rows'
 *    partials in increasing order, scan rule (v > b) | isnan(v), from the fold program;
 *  - covered levels: merged from a finer level's bins by the merge program with the total
 *    order of spp_max_better, (v > b) | (v == b & p < bp), plus the NaN terms when exact;
 *  - fast path (no NaN in the probe): b = max(v, b), the position following v > b (a mask);
 *  - values only (argmax NULL, no NaN): no positions; merges by value too, exact while the
 *    merged-from bins hold no -0.0, else the whole wave reruns with positions;
 *  - NaN in the wave's probe: the exact folds with positions; avg: sums, then the means.
 * Ties keep the first element in row-major order, NaN the last NaN, -0.0 == +0.0 (the first
 * zero's bits): naive's y and argmax bitwise (docs/spec.md#3-max-and-avg).
 * Threads: OpenMP over tasks, schedule(static), num_threads(threads); every mode gives
 * naive's bits, so outputs do not depend on the wave, the task or the thread count.
 * Workspace, state: the AVX2 form's. Weakest: levels that do not nest each read the tile. */
#ifndef SMALL_CELLS_AVX512_H
#define SMALL_CELLS_AVX512_H

#include <omp.h>
#include <string.h>

#include "fused_cells_plan.h"
#include "nhwc_simd.h"
#include "transpose16.h"

#if VW != 16
#error "small_cells_avx512.h needs the 16-lane vocabulary"
#endif

#define SCZ_INLINE static inline __attribute__((always_inline))
#define SCZ_LANES 16

/* (v, p) anywhere relative to (b, bp), NaN-aware: the total order of spp_max_better. */
SCZ_INLINE void scz_merge(vf *b, vi *bp, vf v, vi p)
{
    const vm nv = vm_nan(v), nb = vm_nan(*b);
    const vm num = vm_or(vm_gt(v, *b), vm_and(vm_eq(v, *b), vi_gt(*bp, p)));
    const vm u = (vm)(num | (nv & (vm)~nb) | (nv & vi_gt(p, *bp)));
    *b = vf_blend(*b, v, u);
    *bp = vi_blend(*bp, p, u);
}

/* Modes: 0 max values only, 1 max fast with positions, 2 max exact, SCZ_SUM avg sums. */
#define SCZ_SUM 3

/* A row partial of len pixels from p (pixel stride ps floats), positions from pt (stride
 * 16), in column order, by the mode. pr (or NULL): the pixels' sum is added to it, the NaN
 * probe of input read in place (no tile). */
SCZ_INLINE void scz_part(const float *p, int64_t ps, const int32_t *pt, int len, float *rv,
                         int32_t *rp, int mode, vf *pr)
{
    vf b = vf_loadu(p), s = b;
    if (mode == SCZ_SUM) {
        for (int w = 1; w < len; w++)
            b = vf_add(b, vf_loadu(p + w * ps));
        vf_storeu(rv, b);
        return;
    }
    if (mode == 0) {
        for (int w = 1; w < len; w++) {
            const vf v = vf_loadu(p + w * ps);
            b = vf_max(v, b);
            if (pr)
                s = vf_add(s, v);
        }
        vf_storeu(rv, b);
        if (pr)
            *pr = vf_add(*pr, s);
        return;
    }
    vi q = vi_loadu(pt);
    for (int w = 1; w < len; w++) {
        const vf v = vf_loadu(p + w * ps);
        if (mode == 1)
            v_fold_fast(&b, &q, v, vi_loadu(pt + w * SCZ_LANES));
        else
            v_fold(&b, &q, v, vi_loadu(pt + w * SCZ_LANES));
        if (pr)
            s = vf_add(s, v);
    }
    vf_storeu(rv, b);
    vi_storeu(rp, q);
    if (pr)
        *pr = vf_add(*pr, s);
}

/* A bin of an input level: len rows' partials (stride rs) in increasing row order. */
SCZ_INLINE void scz_rows(const float *rv, const int32_t *rp, int64_t rs, int len, float *bv,
                         int32_t *bp, int mode)
{
    vf b = vf_loadu(rv);
    if (mode == SCZ_SUM) {
        for (int h = 1; h < len; h++)
            b = vf_add(b, vf_loadu(rv + h * rs));
        vf_storeu(bv, b);
        return;
    }
    if (mode == 0) {
        for (int h = 1; h < len; h++)
            b = vf_max(vf_loadu(rv + h * rs), b);
        vf_storeu(bv, b);
        return;
    }
    vi q = vi_loadu(rp);
    for (int h = 1; h < len; h++) {
        if (mode == 1)
            v_fold_fast(&b, &q, vf_loadu(rv + h * rs), vi_loadu(rp + h * rs));
        else
            v_fold(&b, &q, vf_loadu(rv + h * rs), vi_loadu(rp + h * rs));
    }
    vf_storeu(bv, b);
    vi_storeu(bp, q);
}

/* Whether n bins of 16 lanes at bv hold a -0.0 (bits INT32_MIN: the only int below
 * INT32_MIN + 1). */
SCZ_INLINE int scz_negzero(const float *bv, int64_t n)
{
    const vi lim = vi_set1(INT32_MIN + 1);
    vm z = 0;
    for (int64_t e = 0; e < n; e++)
        z = vm_or(z, vi_gt(lim, vi_loadu((const int32_t *)(const void *)(bv + e * SCZ_LANES))));
    return z != 0;
}

/* The runs of a fold program at fq (sc_fold_runs), fq left past them: per run M(L) over its
 * cnt entries e (pairs), L the run's length, a constant up to 4 (those loops unroll). */
#define SCZ_RUNS(M)                                                                            \
    for (int32_t runs = *fq++; runs > 0; runs--) {                                             \
        const int32_t len = fq[0], cnt = fq[1];                                                \
        const int32_t *e = fq + 2;                                                             \
        fq = e + 2 * cnt;                                                                      \
        switch (len) {                                                                         \
        case 1: M(1) break;                                                                    \
        case 2: M(2) break;                                                                    \
        case 3: M(3) break;                                                                    \
        case 4: M(4) break;                                                                    \
        default: M(len) break;                                                                 \
        }                                                                                      \
    }

/* A wave's bins: for each of its ng groups k, the bins into BV/BP + k * bgs ([bin][16 lanes])
 * from its pixels T + k * gs (pixel e at + e * ps: a tile, ps = 16, or an NHWC sample in
 * place, ps = C), row partials in RV/RP + k * rgs. Every step of the plan runs for all the
 * groups before the next (independent chains, the plan read once). PT: pixel e's 16 lanes
 * of e. Mode as scz_part (modes 0 and SCZ_SUM leave BP alone), and pr its probe; mode 0
 * returns 1, with the bins unfinished, when a level that others merge from holds a -0.0. */
SCZ_INLINE int scz_task(const spp_plan *pl, const sc_plan *sp, const int32_t *prog,
                        const int32_t *PT, const float *T, int64_t ps, int64_t gs, int64_t ng,
                        float *RV, int32_t *RP, float *BV, int32_t *BP, int mode, vf *pr)
{
    const int64_t rgs = (int64_t)sp->nrp * SCZ_LANES;
    const int64_t bgs = (int64_t)sp->nbins * SCZ_LANES;
    const int32_t *pq = prog;
    for (int t = 0; t < pl->p.nlevels; t++) {
        const int l = sp->order[t];
        const spp_level_plan *lv = &pl->lv[l];
        const int n = lv->n;
        if (sp->src[l] >= 0) { /* covered: its bins' programs come next, in order */
            for (int e = 0; e < n * n; e++) {
                const int32_t dst = pq[0], k = pq[1];
                for (int64_t g = 0; g < ng; g++) {
                    float *bv = BV + g * bgs;
                    int32_t *bp = BP + g * bgs;
                    vf b = vf_loadu(bv + (int64_t)pq[2] * SCZ_LANES);
                    if (mode == SCZ_SUM) { /* a disjoint cover (sc_build): each cell once */
                        for (int32_t s = 1; s < k; s++)
                            b = vf_add(b, vf_loadu(bv + (int64_t)pq[2 + s] * SCZ_LANES));
                    } else if (mode == 0) { /* no -0.0 and no NaN: equal values are equal bits */
                        for (int32_t s = 1; s < k; s++)
                            b = vf_max(vf_loadu(bv + (int64_t)pq[2 + s] * SCZ_LANES), b);
                    } else {
                        vi q = vi_loadu(bp + (int64_t)pq[2] * SCZ_LANES);
                        for (int32_t s = 1; s < k; s++) {
                            const vf v = vf_loadu(bv + (int64_t)pq[2 + s] * SCZ_LANES);
                            const vi p = vi_loadu(bp + (int64_t)pq[2 + s] * SCZ_LANES);
                            if (mode == 1)
                                v_merge_fast(&b, &q, v, p);
                            else
                                scz_merge(&b, &q, v, p);
                        }
                        vi_storeu(bp + (int64_t)dst * SCZ_LANES, q);
                    }
                    vf_storeu(bv + (int64_t)dst * SCZ_LANES, b);
                }
                pq += 2 + k;
            }
            continue;
        }
        /* its fold program (sc_fold_runs): row partials, then bins, in runs of one length */
        const int32_t *fq = prog + sp->fold[l];
#define SCZ_PARTS(L)                                                                           \
    for (int32_t k = 0; k < cnt; k++) {                                                        \
        const float *p = T + e[2 * k] * ps;                                                    \
        const int32_t *pt = PT + e[2 * k] * SCZ_LANES;                                         \
        float *rv = RV + e[2 * k + 1] * SCZ_LANES;                                             \
        int32_t *rp = RP + e[2 * k + 1] * SCZ_LANES;                                           \
        for (int64_t g = 0; g < ng; g++)                                                       \
            scz_part(p + g * gs, ps, pt, L, rv + g * rgs, rp + g * rgs, mode, pr);            \
    }
        SCZ_RUNS(SCZ_PARTS)
#undef SCZ_PARTS
        const int64_t rs = (int64_t)n * SCZ_LANES; /* a bin's rows: partial slots n apart */
#define SCZ_ROWS(L)                                                                            \
    for (int32_t k = 0; k < cnt; k++) {                                                        \
        const float *r0 = RV + e[2 * k] * SCZ_LANES;                                           \
        const int32_t *p0 = RP + e[2 * k] * SCZ_LANES;                                         \
        float *bv = BV + e[2 * k + 1] * SCZ_LANES;                                             \
        int32_t *bp = BP + e[2 * k + 1] * SCZ_LANES;                                           \
        for (int64_t g = 0; g < ng; g++)                                                       \
            scz_rows(r0 + g * rgs, p0 + g * rgs, rs, L, bv + g * bgs, bp + g * bgs, mode);     \
    }
        SCZ_RUNS(SCZ_ROWS)
#undef SCZ_ROWS
        if (mode == 0) { /* covered levels merge by value alone: only without -0.0 */
            int merged = 0;
            for (int u = 0; u < pl->p.nlevels; u++)
                merged |= sp->src[u] == l;
            for (int64_t g = 0; merged && g < ng; g++)
                if (scz_negzero(BV + g * bgs + (int64_t)sp->boff[l] * SCZ_LANES, (int64_t)n * n))
                    return 1;
        }
    }
    return 0;
}

/* Avg: per bin (in BV's order) its scale (spp_avg_scale), once per call. */
static void scz_rcp(const spp_plan *pl, const sc_plan *sp, float *rcp)
{
    for (int l = 0; l < pl->p.nlevels; l++) {
        const spp_level_plan *lv = &pl->lv[l];
        float *r = rcp + sp->boff[l];
        for (int i = 0; i < lv->n; i++)
            for (int j = 0; j < lv->n; j++)
                *r++ = spp_avg_scale(lv, i, j);
    }
}

/* Avg: the nb bins' sums -> means in place, sum * rcp per lane: one float multiply, inside
 * the avg bound (spp_avg_scale, docs/spec.md#3-max-and-avg). */
SCZ_INLINE void scz_means(const float *rcp, int64_t nb, float *BV)
{
    for (int64_t e = 0; e < nb; e++)
        vf_storeu(BV + e * SCZ_LANES, vf_mul(vf_loadu(BV + e * SCZ_LANES), vf_set1(rcp[e])));
}

/* Everything a task needs, read-only and shared by the threads. */
typedef struct {
    const spp_plan *pl;
    const sc_plan *sp;
    const int32_t *prog, *PT;
    const float *rcp; /* avg: the bins' scales */
    int inplace;       /* NHWC groups of 16 live channels read from x (see scz_run_task) */
    const float *x;
    float *y;
    int32_t *argmax;
    char *ws; /* the threads' slices */
    sc_ws w;
    int64_t G, gc, nch; /* groups per sample, per task, tasks per sample */
    int64_t wave;       /* groups per wave (sc_wave) */
} scz_ctx;

/* Groups [g0, g1) of sample b into their tiles (T + (g - g0) * HW * 16), pixel by pixel in
 * address order. Returns 1 if a lane is NaN (or the sums meet inf - inf: only a slower exact
 * run). Four sums: one chain would wait on the add latency. */
static int scz_fill(const scz_ctx *cx, int64_t b, int64_t g0, int64_t g1, float *T)
{
    const spp_problem *p = &cx->pl->p;
    const int64_t C = p->c, HW = p->h * p->w;
    const float *xs = cx->x + b * HW * C + g0 * 16;
    const int64_t full = (g1 * 16 <= C ? g1 : g1 - 1) - g0; /* groups of 16 live lanes */
    const int rem = (int)(C - (g0 + full) * 16);           /* lanes of a last partial group */
    vf s0 = vf_zero(), s1 = s0, s2 = s0, s3 = s0;
    for (int64_t e = 0; e < HW; e++) {
        const float *px = xs + e * C;
        float *t = T + e * 16;
        int64_t k = 0;
        for (; k + 4 <= full; k += 4) {
            const vf a = vf_loadu(px + k * 16), c = vf_loadu(px + k * 16 + 16);
            const vf d = vf_loadu(px + k * 16 + 32), f = vf_loadu(px + k * 16 + 48);
            s0 = vf_add(s0, a);
            s1 = vf_add(s1, c);
            s2 = vf_add(s2, d);
            s3 = vf_add(s3, f);
            vf_storeu(t + k * HW * 16, a);
            vf_storeu(t + (k + 1) * HW * 16, c);
            vf_storeu(t + (k + 2) * HW * 16, d);
            vf_storeu(t + (k + 3) * HW * 16, f);
        }
        for (; k < full; k++) {
            const vf a = vf_loadu(px + k * 16);
            s0 = vf_add(s0, a);
            vf_storeu(t + k * HW * 16, a);
        }
        if (k < g1 - g0) { /* the partial last group: its other lanes read nothing, are 0 */
            const vf a = vf_load_n(px + k * 16, rem);
            s1 = vf_add(s1, a);
            vf_storeu(t + k * HW * 16, a);
        }
    }
    return vf_anynan(vf_add(vf_add(s0, s1), vf_add(s2, s3)));
}

/* NCHW: the 16 planes from plane q0 of the N * C (contiguous in x, so a group may span
 * samples) -> the tile Tg, pixel e at Tg + e * 16, by 16 x 16 register transposes (the pixel
 * tail by masked loads, the NaN probe summed on the way); the missing planes of a partial last
 * group are zero lanes (never stored). Returns 1 if a lane is NaN (or the sums meet inf - inf:
 * only a slower exact run). */
static int scz_fill_nchw(const scz_ctx *cx, int64_t q0, int valid, float *Tg)
{
    const int64_t HW = cx->pl->p.h * cx->pl->p.w;
    return scz_t16_rows(cx->x + q0 * HW, HW, valid, HW, Tg);
}

/* A group's bins (BV/BP: [bin][16 lanes]) to y and argmax: lanes [0, valid) are the channels
 * from c0 of sample b on, continued into the next samples' first channels (an NCHW group of
 * planes that spans samples). Per level one transpose serves two samples' runs of channels
 * (more calls only when C < 16 puts three samples in a group). Offsets as if the group's first
 * lane were at them: they stay within y, whose earlier samples hold those lanes' outputs. */
static void scz_write(const scz_ctx *cx, const float *BV, const int32_t *BP, int64_t b,
                      int64_t c0, int valid)
{
    const spp_plan *pl = cx->pl;
    const int64_t C = pl->p.c;
    for (int l = 0; l < pl->p.nlevels; l++) {
        const int64_t nn = (int64_t)pl->lv[l].n * pl->lv[l].n;
        const int64_t bo = (int64_t)cx->sp->boff[l] * SCZ_LANES;
        int64_t bb = b, cc = c0;
        for (int k = 0; k < valid;) {
            const int r0 = C - cc < valid - k ? (int)(C - cc) : valid - k;
            const int64_t oa = spp_y_index(pl, bb, l, cc, 0, 0) - k * nn;
            int64_t ob = oa;
            int hi = k + r0, split = hi; /* one run: every column to a */
            if (hi < valid) { /* the next sample's first channels */
                const int r1 = C < valid - hi ? (int)C : valid - hi;
                ob = spp_y_index(pl, bb + 1, l, 0, 0, 0) - hi * nn;
                split = hi;
                hi += r1;
            }
            const scz_cols dy = {cx->y + oa, cx->y + ob, k, split, hi};
            scz_store(BV + bo, dy, nn);
            if (cx->argmax) {
                float *am = (float *)(void *)cx->argmax;
                const scz_cols da = {am + oa, am + ob, k, split, hi};
                scz_store((const float *)(const void *)(BP + bo), da, nn);
            }
            bb += 2;
            cc = 0;
            k = hi;
        }
    }
}

/* A wave's bins (scz_task) by the mode rule: avg sums; max values only (argmax NULL), fast
 * with positions, or exact when a group of the wave may hold a NaN. nan: the tiles' probe,
 * or -1 for pixels read in place, probed on the way (a NaN then reruns the wave exact). */
SCZ_INLINE void scz_wave_bins(const scz_ctx *cx, const float *Tg, int64_t ps, int64_t gs,
                              int64_t ng, int nan, float *RV, int32_t *RP, float *BV,
                              int32_t *BP)
{
    const spp_plan *pl = cx->pl;
    const sc_plan *sp = cx->sp;
    if (pl->p.pool == SPP_POOL_AVG) {
        scz_task(pl, sp, cx->prog, cx->PT, Tg, ps, gs, ng, RV, RP, BV, BP, SCZ_SUM, NULL);
        for (int64_t g = 0; g < ng; g++)
            scz_means(cx->rcp, sp->nbins, BV + g * sp->nbins * SCZ_LANES);
        return;
    }
    vf pr = vf_zero();
    vf *const prp = nan < 0 ? &pr : NULL;
    int mode = nan > 0 ? 2 : cx->argmax ? 1 : 0;
    if (mode == 0 &&
        scz_task(pl, sp, cx->prog, cx->PT, Tg, ps, gs, ng, RV, RP, BV, BP, 0, prp)) {
        mode = 1; /* a -0.0 the values-only merge cannot order */
        pr = vf_zero();
    }
    if (mode == 1)
        scz_task(pl, sp, cx->prog, cx->PT, Tg, ps, gs, ng, RV, RP, BV, BP, 1, prp);
    if (prp && vf_anynan(pr))
        mode = 2;
    if (mode == 2)
        scz_task(pl, sp, cx->prog, cx->PT, Tg, ps, gs, ng, RV, RP, BV, BP, 2, NULL);
}

/* scz_wave_bins, not inlined, and the probe pointer a run-time value: one copy of each mode's
 * folds serves both forms. One-group max waves (every NHWC pass with argmax, every NCHW pass)
 * take a function of their own, without the wave loops, which cost up to 1.12x the time
 * there, and so does avg where every wave is one group (NCHW). NHWC avg does not: a sum's
 * NaN payload follows the operand order each copy was compiled with, and its last wave's
 * width depends on the thread count. */
static __attribute__((noinline)) void scz_group1(const scz_ctx *cx, const float *Tg, int64_t ps,
                                                 int nan, float *RV, int32_t *RP, float *BV,
                                                 int32_t *BP)
{
    scz_wave_bins(cx, Tg, ps, 0, 1, nan, RV, RP, BV, BP);
}

static __attribute__((noinline)) void scz_groupn(const scz_ctx *cx, const float *Tg, int64_t ps,
                                                 int64_t gs, int64_t ng, int nan, float *RV,
                                                 int32_t *RP, float *BV, int32_t *BP)
{
    scz_wave_bins(cx, Tg, ps, gs, ng, nan, RV, RP, BV, BP);
}

static inline void scz_group(const scz_ctx *cx, const float *Tg, int64_t ps, int64_t gs,
                             int64_t ng, int nan, float *RV, int32_t *RP, float *BV, int32_t *BP)
{
    if (ng == 1 && (cx->pl->p.pool == SPP_POOL_MAX || cx->pl->p.layout != SPP_LAYOUT_NHWC))
        scz_group1(cx, Tg, ps, nan, RV, RP, BV, BP);
    else
        scz_groupn(cx, Tg, ps, gs, ng, nan, RV, RP, BV, BP);
}

/* NCHW task t: the group of 16 planes from plane 16 t of the N * C: its tile, bins and
 * write-out. */
static void scz_run_nchw(const scz_ctx *cx, int64_t t, char *mine)
{
    const spp_problem *p = &cx->pl->p;
    const int64_t q0 = t * SCZ_LANES, NC = p->n * p->c;
    const int valid = NC - q0 < SCZ_LANES ? (int)(NC - q0) : SCZ_LANES;
    float *T = (float *)(void *)(mine + cx->w.tile_off);
    float *RV = (float *)(void *)(mine + cx->w.rp_off);
    int32_t *RP = (int32_t *)(void *)(RV + (int64_t)cx->sp->nrp * SCZ_LANES);
    float *BV = (float *)(void *)(mine + cx->w.bin_off);
    int32_t *BP = (int32_t *)(void *)(BV + (int64_t)cx->sp->nbins * SCZ_LANES);
    scz_group(cx, T, SCZ_LANES, p->h * p->w * SCZ_LANES, 1, scz_fill_nchw(cx, q0, valid, T), RV,
              RP, BV, BP);
    scz_write(cx, BV, BP, q0 / p->c, q0 % p->c, valid);
}

/* NHWC groups are read in place (pixel stride C) when C is a multiple of 16 and one level is
 * read from the input: the tile's copy then costs more than it saves (13x13 N=1 with 256
 * channels: 0.72x the time, 10x10 and 13x13 N=64 0.86-0.92x at one thread). With two input
 * levels the tile is read twice from L1 where x would be read twice from L2 (zf5-3lvl:
 * 1.02-1.05x in place), and a pixel stride not a multiple of 64 bytes splits every load
 * over two lines (odd, C = 67: 1.03-1.08x). docs/perf-log.md, 2026-12-06. */

/* NHWC task t = (sample, chunk of groups): its pixels (in place, or copied into tiles), then
 * per wave of groups its bins (scz_group) and per group their write-out. */
static void scz_run_task(const scz_ctx *cx, int64_t t, char *mine)
{
    const spp_plan *pl = cx->pl;
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, HW = p->h * p->w, G = cx->G;
    const int64_t b = t / cx->nch, g0 = t % cx->nch * cx->gc;
    const int64_t g1 = g0 + cx->gc < G ? g0 + cx->gc : G;
    const int64_t rgs = (int64_t)cx->sp->nrp * SCZ_LANES, bgs = (int64_t)cx->sp->nbins * SCZ_LANES;
    float *T = (float *)(void *)(mine + cx->w.tile_off);
    float *RV = (float *)(void *)(mine + cx->w.rp_off);
    int32_t *RP = (int32_t *)(void *)(RV + cx->wave * rgs);
    float *BV = (float *)(void *)(mine + cx->w.bin_off);
    int32_t *BP = (int32_t *)(void *)(BV + cx->wave * bgs);
    const int nan = cx->inplace ? 0 : scz_fill(cx, b, g0, g1, T);
    for (int64_t w0 = g0; w0 < g1; w0 += cx->wave) {
        const int64_t ng = w0 + cx->wave < g1 ? cx->wave : g1 - w0;
        if (cx->inplace) /* every group has 16 live channels */
            scz_group(cx, cx->x + (b * HW * C + w0 * SCZ_LANES), C, SCZ_LANES, ng, -1, RV, RP,
                      BV, BP);
        else /* the chunk's tiles, filled pixel by pixel in address order */
            scz_group(cx, T + (w0 - g0) * HW * SCZ_LANES, SCZ_LANES, HW * SCZ_LANES, ng, nan,
                      RV, RP, BV, BP);
        for (int64_t k = 0; k < ng; k++) {
            const int64_t c0 = (w0 + k) * SCZ_LANES;
            scz_write(cx, BV + k * bgs, BP + k * bgs, b, c0,
                      C - c0 < SCZ_LANES ? (int)(C - c0) : SCZ_LANES);
        }
    }
}

/* The state (fused_cells_plan.h) for this core: the plan and merge program, the position
 * table (pixel e: 16 lanes of e) and, for avg, the bins' reciprocal divisors. */
static void scz_prepare(const spp_plan *pl, void *state)
{
    char *st = state;
    sc_plan *sp = (sc_plan *)(void *)st;
    sc_build(sp, pl, (int32_t *)(void *)(st + sc_prog_off(pl)));
    int32_t *PT = (int32_t *)(void *)(st + sc_pt_off());
    for (int64_t e = 0; e < pl->p.h * pl->p.w; e++)
        vi_storeu(PT + e * SCZ_LANES, vi_set1((int32_t)e));
    if (pl->p.pool == SPP_POOL_AVG)
        scz_rcp(pl, sp, (float *)(void *)(st + sc_rcp_off(pl, sp)));
}

/* The forward of a small-plane problem (any plane size, any number of levels read from the
 * input): the state (the operation's, or written into the workspace), then the tasks over
 * OpenMP. */
static void scz_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                        const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    char *ws = ex->workspace;
    if (!ex->state)
        scz_prepare(pl, ws);
    const char *st = ex->state ? (const char *)ex->state : ws;
    const sc_plan *sp = (const sc_plan *)(const void *)st;
    const int T = ex->threads < 1 ? 1 : ex->threads;
    scz_ctx cx;
    cx.w = sc_layout(pl, sp, T);
    cx.rcp = (const float *)(const void *)(st + sc_rcp_off(pl, sp));
    int nin = 0;
    for (int l = 0; l < p->nlevels; l++)
        nin += sp->src[l] < 0;
    cx.inplace = p->layout == SPP_LAYOUT_NHWC && p->c % SCZ_LANES == 0 && nin == 1;
    cx.pl = pl;
    cx.sp = sp;
    cx.prog = (const int32_t *)(const void *)(st + sc_prog_off(pl));
    cx.PT = (const int32_t *)(const void *)(st + sc_pt_off());
    cx.x = x;
    cx.y = y;
    cx.argmax = argmax;
    cx.ws = ws + cx.w.slices;
    cx.G = (p->c + SCZ_LANES - 1) / SCZ_LANES;
    cx.gc = sc_chunk(pl, T);
    cx.nch = (cx.G + cx.gc - 1) / cx.gc;
    cx.wave = sc_wave(pl, sp, T, p->pool == SPP_POOL_MAX && argmax);
    const int nchw = p->layout != SPP_LAYOUT_NHWC; /* NCHW: groups over the N * C planes */
    const int64_t ntask = nchw ? (p->n * p->c + SCZ_LANES - 1) / SCZ_LANES : p->n * cx.nch;
    if (T == 1 || ntask == 1) { /* no team start-up for one thread */
        for (int64_t g = 0; g < ntask; g++)
            nchw ? scz_run_nchw(&cx, g, cx.ws) : scz_run_task(&cx, g, cx.ws);
        return;
    }
#pragma omp parallel num_threads(T)
    {
        char *mine = cx.ws + (size_t)omp_get_thread_num() * cx.w.slice;
#pragma omp for schedule(static)
        for (int64_t g = 0; g < ntask; g++)
            nchw ? scz_run_nchw(&cx, g, mine) : scz_run_task(&cx, g, mine);
    }
}

#endif
