/* nhwc_fused_bwd_window.h: the fused NHWC backward's bwd-window path, max and avg, for small
 * planes, at the vocabulary's width VW (16 or 8 lanes). Not a kernel; nhwc_fused_bwd.h
 * includes it.
 *
 * Per VW channels of a task, an L1 tile T[pixel][VW lanes] starts at zero; per level, the
 * channels' dy (and argmax) are transposed to one vector per bin (16 lanes: transpose16.h; 8:
 * avx2_t8x8 blocks, edges element by element), and each bin adds its vector over its window,
 * pixel by pixel:
 *  - avg: dy / divisor (a vector divide: naive's quotient) to every cell of the window;
 *  - max: to the lanes whose argmax is that cell (a compare, a masked add); a lane whose
 *    argmax lies outside the bin's window (an argmax the caller made up: any cell of the
 *    plane is valid) is added by itself, at that bin's turn.
 * Bins go in naive's order (level, bin row, bin column), so every dx element gets naive's
 * terms in naive's order: dx bitwise naive's. Adding the masked-off lanes' zero instead would
 * be exact too (a tile element that starts at +0.0 never holds -0.0), but a masked add is one
 * instruction. The tile is then written to dx once, VW floats per pixel.
 * Cost: a vector add per window cell per VW channels, and one vector divide per bin, where
 * bwd-avg divides one float at a time; so avg takes it where windows are small
 * (nhwc_fused_plan.c). Max pays a compare and a masked add per cell, which lost to bwd-tile's
 * one scalar read-modify-write per output even on 7x5: max runs it only when forced. */
#ifndef NHWC_FUSED_BWD_WINDOW_H
#define NHWC_FUSED_BWD_WINDOW_H

#include "nhwc_fused_ws.h"
#if VW == 16
#include "transpose16.h"
#else
#include "avx2_transpose.h"
#endif

/* nr rows of n 32-bit lanes (row k at src + k * ss: a channel's bins) -> dst[c * VW + k], c < n,
 * lanes nr..VW-1 zero: bit patterns only (argmax too). */
NHWC_INLINE void fz_win_rows(const void *src, int64_t ss, int nr, int64_t n, void *dst)
{
#if VW == 16
    scz_t16_bits(src, ss, nr, n, dst);
#else
    int64_t c0 = 0;
    if (nr == 8) /* whole 8 x 8 blocks; rows past nr would read other channels */
        for (; c0 + 8 <= n; c0 += 8)
            avx2_t8x8((const float *)src + c0, ss, (float *)dst + c0 * 8, 8);
    for (int64_t c = c0; c < n; c++)
        for (int k = 0; k < 8; k++) {
            const int32_t z = 0;
            memcpy((char *)dst + (c * 8 + k) * 4,
                   k < nr ? (const char *)src + (k * ss + c) * 4 : (const char *)&z, 4);
        }
#endif
}

/* One bin of a max level: g (dy of VW lanes) to the tile's cells of the window whose lanes'
 * argmax a names; the live lanes (bits) with an argmax outside the window one by one. */
NHWC_INLINE void fz_win_max_bin(float *T, int64_t W, const spp_interval *r,
                                const spp_interval *q, vf g, vi a, const float *gk,
                                const int32_t *ak, unsigned live)
{
    const int64_t r0 = r->start, r1 = r->end, q0 = q->start, q1 = q->end;
    const vi one = vi_set1(1);
    unsigned hit = 0;
    for (int64_t h = r0; h < r1; h++) {
        vi cell = vi_set1((int32_t)(h * W + q0));
        float *t = T + (h * W + q0) * VW;
        for (int64_t w = q0; w < q1; w++, t += VW, cell = vi_add(cell, one)) {
            const vm m = vi_eq(a, cell);
            const vf v = vf_loadu(t);
            vf_storeu(t, vf_blend(v, vf_add(v, g), m));
            hit |= vm_bits(m);
        }
    }
    for (unsigned miss = live & ~hit; miss; miss &= miss - 1) {
        const int k = __builtin_ctz(miss);
        T[(int64_t)ak[k] * VW + k] += gk[k];
    }
}

/* Channels [c0, c1) of sample b (dxs: its channel 0), VW at a time; ws: fz_win_bytes. */
static void fz_back_window(const spp_plan *pl, int64_t b, int64_t c0, int64_t c1,
                           const float *dy, const int32_t *argmax, float *dxs, float *ws)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w, HW = p->h * W;
    float *T = ws, *D = ws + HW * VW;
    int32_t *A = (int32_t *)(void *)(D + fz_win_bins(pl) * VW);
    for (int64_t cs = c0; cs < c1; cs += VW) {
        const int nr = c1 - cs < VW ? (int)(c1 - cs) : VW;
        const unsigned live = (1u << nr) - 1u;
        for (int64_t e = 0; e < HW; e++)
            vf_storeu(T + e * VW, vf_zero());
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n, st = n * n;
            const int64_t o0 = spp_y_index(pl, b, l, cs, 0, 0);
            if (st == 1) { /* one bin: the VW channels' values are contiguous */
                vf_storeu(D, vf_load_n(dy + o0, nr));
                if (argmax) /* bits only: loaded and stored, never computed with */
                    vf_storeu((float *)(void *)A,
                              vf_load_n((const float *)(const void *)(argmax + o0), nr));
            } else { /* lanes nr..VW-1 zero: never stored */
                fz_win_rows(dy + o0, st, nr, st, D);
                if (argmax)
                    fz_win_rows(argmax + o0, st, nr, st, A);
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const int k = i * n + j;
                    const spp_interval *r = &lv->rows[i], *q = &lv->cols[j];
                    if (argmax) {
                        fz_win_max_bin(T, W, r, q, vf_loadu(D + k * VW), vi_loadu(A + k * VW),
                                       D + k * VW, A + k * VW, live);
                        continue;
                    }
                    const vf g = vf_div(vf_loadu(D + k * VW), vf_set1(spp_avg_grad_div(*r, *q)));
                    const int64_t q0 = q->start, nq = q->end - q0, r1 = r->end;
                    for (int64_t h = r->start; h < r1; h++) {
                        float *t = T + (h * W + q0) * VW;
                        for (int64_t w = 0; w < nq; w++, t += VW)
                            vf_storeu(t, vf_add(vf_loadu(t), g));
                    }
                }
        }
        for (int64_t e = 0; e < HW; e++) {
            if (nr == VW)
                vf_storeu(dxs + e * C + cs, vf_loadu(T + e * VW));
            else
                vf_store_n(dxs + e * C + cs, vf_loadu(T + e * VW), nr);
        }
    }
}

#endif
