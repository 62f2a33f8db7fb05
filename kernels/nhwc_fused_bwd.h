/* nhwc_fused_bwd.h: the fused NHWC backward (fz_backward, docs/spec.md#4-gradients). Not a
 * kernel; nhwc__fused_avx2.c and nhwc__fused_avx512.c include it.
 *
 * Tasks: (sample, channel group; nhwc_fused_ws.h), schedule(dynamic,1) with
 *    num_threads(threads); a task owns dx[b, :, :, its channels] alone and zero-fills and
 *    accumulates it in one pass: no races, no atomics. Every dx element gets its terms in
 *    naive's order (level, bin row, bin column), so dx is bitwise naive's for every thread
 *    count.
 * Paths (nhwc_fused_plan.h; the caller resolved one):
 *  - bwd-tile (max): per FZ_BT_LANES channels, dy is added into a tile of them per pixel in
 *    L1 and the tile is written to dx once (no zero-fill of dx, no read-modify-write in L2).
 *  - bwd-tile-pfw: the same, the copy-out prefetching dx's lines for writing FZ_BT_PFW pixels
 *    ahead: its stores are one 64-byte line per pixel, C * 4 bytes apart, which no hardware
 *    prefetcher fetches for writing (a large dx is not in cache).
 *  - bwd-scatter (max): the task's dx zeroed (memset), then dy scattered at argmax.
 *  - bwd-scatter-nt: the same, zeroed by streaming stores where the task covers all of C.
 *  - bwd-avg: the task's dy / divisor per bin and channel block into the workspace (G), then
 *    dx row by row: zeroed, then every bin containing the row adds its gradient over its
 *    columns (masked stores in the channel tail). The plan (spp_fz_build) gives the row
 *    ranges.
 *  - bwd-window (max or avg): per VW channels, each bin's dy added over its window in an L1
 *    tile, written to dx once (nhwc_fused_bwd_window.h).
 *  - scalar: naive's loops. */
#ifndef NHWC_FUSED_BWD_H
#define NHWC_FUSED_BWD_H

#include <omp.h>

#include "nhwc_fused_bwd_window.h"
#include "nhwc_fused_ws.h"

#define FZ_BT_PFW 32
/* prefetchw by hand: the AVX2 files are built without -mprfchw, so __builtin_prefetch(p, 1)
 * would not emit it (Intel CPUs before Broadwell execute it as a NOP). */
static inline void fz_prefetchw(const float *p) { __asm__ volatile("prefetchw %0" ::"m"(*p)); }

/* Zero n floats. With nt (path bwd-scatter-nt: a dx too large to stay in L3), streaming
 * stores skip the read-for-ownership of lines a max backward mostly never touches again
 * (glibc's memset does this only for single calls above a larger size); the sfence orders
 * them before the scatter that follows and before other threads' reads. */
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
 * stack on every element. (The untiled scatter below stays inline: out of line it is slower
 * when called per channel on levels of few bins.) */
static __attribute__((noinline)) void fz_bt_scatter(const float *dyc, const int32_t *amc, float *g, int st)
{
    for (int k = 0; k < st; k++)
        g[(int64_t)amc[k] * FZ_BT_LANES] += dyc[k];
}

/* One backward task: sample b, channel blocks [k0, k1) (channels [c0, c1)); dxs points at
 * channel 0 of sample b. It owns dx[b, :, :, c0:c1] alone: zero-fill and accumulate. path:
 * one of the backward paths but scalar (fp and rr: the plan, built for bwd-avg only). */
NHWC_INLINE void fz_back_task(const fz_plan *fp, const int32_t *rr, const spp_plan *pl,
                              int64_t b, int64_t k0, int64_t k1, const float *dy,
                              const int32_t *argmax, float *dxs, float *G, int path)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    const int64_t c0 = k0 * CBW, c1 = k1 * CBW < C ? k1 * CBW : C, cw = c1 - c0;
    const int64_t abin = pl->bins_per_channel * CBW;
    const int full = c0 == 0 && c1 == C; /* the task's region is contiguous */
    if (path == FZP_BWD_WIN) {
        fz_back_window(pl, b, c0, c1, dy, argmax, dxs, G);
        return;
    }
    if (fz_tiled(path)) { /* G: the tile, [pixel][FZ_BT_LANES channels] */
        const int64_t HW = H * W;
        const int pfw = path == FZP_BT_PFW;
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
    if (path != FZP_BWD_AVG) {
        if (full)
            fz_zero(dxs, H * W * C, path == FZP_SCATTER_NT);
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
                const float div = spp_avg_grad_div(lv->rows[k / n], lv->cols[k % n]);
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

/* The backward on a path the caller resolved (nhwc_fused_plan.h). */
static spp_status fz_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                              float *dx, const spp_exec *ex, int path)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    if (path == FZP_SCALAR)
        return spp_kernel_naive.backward(pl, dy, argmax, dx, ex);
    char *ws = ex->workspace;
    const int32_t *rr = NULL;
    const fz_plan *fp = fz_planned(SPP_PASS_BACKWARD, path) ? fz_plan_for(pl, ex, path, &rr) : NULL;
    char *tws = ws + fz_plan_bytes(pl);
    /* as declared: the backward paths have no partial slots */
    const size_t tb = fz_thread_bytes(pl, 0, path);
    const int T = ex->threads < 1 ? 1 : ex->threads;
    const int64_t nblk = (C + CBW - 1) / CBW, gsz = fz_group(pl, T, nblk);
    const int64_t ngrp = (nblk + gsz - 1) / gsz, ntask = p->n * ngrp;
    if (T == 1 || ntask == 1) {
        for (int64_t t = 0; t < ntask; t++) {
            const int64_t b = t / ngrp, k0 = (t % ngrp) * gsz;
            const int64_t k1 = k0 + gsz < nblk ? k0 + gsz : nblk;
            fz_back_task(fp, rr, pl, b, k0, k1, dy, argmax, dx + b * H * W * C,
                         (float *)(void *)tws, path);
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
            fz_back_task(fp, rr, pl, b, k0, k1, dy, argmax, dx + b * H * W * C, G, path);
        }
    }
    return SPP_OK;
}

#endif
