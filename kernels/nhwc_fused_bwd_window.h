/* nhwc_fused_bwd_window.h: the fused NHWC backward's bwd-window path (16 lanes only), max and
 * avg, for small planes. Not a kernel; nhwc_fused_bwd.h includes it when VW == 16.
 *
 * Per 16 channels of a task, an L1 tile T[pixel][16 lanes] starts at zero; per level, the
 * channels' dy (and argmax) are transposed to one vector per bin (transpose16.h), and each bin
 * adds its vector over its window, pixel by pixel:
 *  - avg: dy / divisor (a vector divide: naive's quotient) to every cell of the window;
 *  - max: to the lanes whose argmax is that cell (a compare, a masked add); a lane whose
 *    argmax lies outside the bin's window (an argmax the caller made up: any cell of the
 *    plane is valid) is added by itself, at that bin's turn.
 * Bins go in naive's order (level, bin row, bin column), so every dx element gets naive's
 * terms in naive's order: dx bitwise naive's. Adding the masked-off lanes' zero instead would
 * be exact too (a tile element that starts at +0.0 never holds -0.0), but a masked add is one
 * instruction. The tile is then written to dx once, one 64-byte line per pixel.
 * Cost: a vector add per window cell per 16 channels, and one vector divide per bin, where
 * bwd-avg divides one float at a time; so avg takes it where windows are small
 * (nhwc_fused_plan.c). Max pays a compare and a masked add per cell, which lost to bwd-tile's
 * one scalar read-modify-write per output even on 7x5: max runs it only when forced. */
#ifndef NHWC_FUSED_BWD_WINDOW_H
#define NHWC_FUSED_BWD_WINDOW_H

#include "nhwc_fused_ws.h"
#include "transpose16.h"

/* One bin of a max level: g (dy of 16 lanes) to the tile's cells of the window whose lanes'
 * argmax a names; the live lanes with an argmax outside the window one by one. */
NHWC_INLINE void fz_win_max_bin(float *T, int64_t W, const spp_interval *r,
                                const spp_interval *q, vf g, vi a, const float *gk,
                                const int32_t *ak, vm live)
{
    const int64_t r0 = r->start, r1 = r->end, q0 = q->start, q1 = q->end;
    const vi one = vi_set1(1);
    vm hit = 0;
    for (int64_t h = r0; h < r1; h++) {
        vi cell = vi_set1((int32_t)(h * W + q0));
        float *t = T + (h * W + q0) * 16;
        for (int64_t w = q0; w < q1; w++, t += 16, cell = vi_add(cell, one)) {
            const vm m = vi_eq(a, cell);
            const vf v = vf_loadu(t);
            vf_storeu(t, vf_blend(v, vf_add(v, g), m));
            hit = vm_or(hit, m);
        }
    }
    for (unsigned miss = (unsigned)live & ~(unsigned)hit; miss; miss &= miss - 1) {
        const int k = __builtin_ctz(miss);
        T[(int64_t)ak[k] * 16 + k] += gk[k];
    }
}

/* Channels [c0, c1) of sample b (dxs: its channel 0), 16 at a time; ws: fz_win_bytes. */
static void fz_back_window(const spp_plan *pl, int64_t b, int64_t c0, int64_t c1,
                           const float *dy, const int32_t *argmax, float *dxs, float *ws)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, W = p->w, HW = p->h * W;
    float *T = ws, *D = ws + HW * 16;
    int32_t *A = (int32_t *)(void *)(D + fz_win_bins(pl) * 16);
    for (int64_t cs = c0; cs < c1; cs += 16) {
        const int nr = c1 - cs < 16 ? (int)(c1 - cs) : 16;
        const vm live = vm_first(nr);
        for (int64_t e = 0; e < HW; e++)
            vf_storeu(T + e * 16, vf_zero());
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n, st = n * n;
            const int64_t o0 = spp_y_index(pl, b, l, cs, 0, 0);
            if (st == 1) { /* one bin: the 16 channels' values are contiguous */
                vf_storeu(D, vf_load_n(dy + o0, nr));
                if (argmax) /* bits only: loaded and stored, never computed with */
                    vf_storeu((float *)(void *)A,
                              vf_load_n((const float *)(const void *)(argmax + o0), nr));
            } else { /* lanes nr..15 zero: never stored */
                scz_t16_bits(dy + o0, st, nr, st, D);
                if (argmax)
                    scz_t16_bits(argmax + o0, st, nr, st, A);
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const int k = i * n + j;
                    const spp_interval *r = &lv->rows[i], *q = &lv->cols[j];
                    if (argmax) {
                        fz_win_max_bin(T, W, r, q, vf_loadu(D + k * 16), vi_loadu(A + k * 16),
                                       D + k * 16, A + k * 16, live);
                        continue;
                    }
                    const vf g = vf_div(vf_loadu(D + k * 16), vf_set1(spp_avg_grad_div(*r, *q)));
                    const int64_t q0 = q->start, nq = q->end - q0, r1 = r->end;
                    for (int64_t h = r->start; h < r1; h++) {
                        float *t = T + (h * W + q0) * 16;
                        for (int64_t w = 0; w < nq; w++, t += 16)
                            vf_storeu(t, vf_add(vf_loadu(t), g));
                    }
                }
        }
        for (int64_t e = 0; e < HW; e++) {
            if (nr == 16)
                vf_storeu(dxs + e * C + cs, vf_loadu(T + e * 16));
            else
                vf_store_n(dxs + e * C + cs, vf_loadu(T + e * 16), nr);
        }
    }
}

#endif
