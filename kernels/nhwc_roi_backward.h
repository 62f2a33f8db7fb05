/* Backward of the channel-last AVX2 region kernels (nhwc_roi__avx2, nhwc_roi__omp_avx2):
 * roi_backward_channels, channels [cb0, cb1) of every region. Layout nhwc; pools max and avg.
 * Order: region, level, bin row, bin column in output order, per channel: roi__naive's
 * per-element order, so dx equals roi__naive's bit for bit (docs/spec.md#4-gradients).
 * Max: dy added at the forward's argmax (required). Avg: dy divided by the float product of the
 * two divisors, added over the bin, 8 channels a vector in chunks of ROI_CB (tail scalar).
 * Parallel split: the caller zeroes dx on [cb0, cb1) first; the omp kernel gives each thread a
 * contiguous channel range (multiples of 8), so every dx element has one writer: no atomics and
 * no dependence on the thread count.
 * Workspace: none.
 * Weakest: max scatters one element at a time (dy strided by n^2, dx by C); avg adds over the
 * cells of overlapping bins once per bin. */
#ifndef NHWC_ROI_BACKWARD_H
#define NHWC_ROI_BACKWARD_H

#include "nhwc_roi_common.h"

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
                    const float div = spp_avg_grad_div(q, s);
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
