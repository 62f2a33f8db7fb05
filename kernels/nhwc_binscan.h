/* nhwc_binscan.h: the bin-scan NHWC kernels' body (nhwc__avx2, nhwc__avx512): every bin read
 * directly from the input, level by level, one channel block at a time. Not a kernel.
 *
 * Forward: per sample, level, bin row, bin column, then channel blocks of CBW; inside a bin,
 *    row-major over its elements. Max keeps a value and a position vector per VW channels
 *    with the scan rule (nhwc_simd.h), so ties, NaN and -0.0 follow docs/spec.md#3-max-and-avg
 *    and y == x[argmax] bitwise; without argmax the positions are not kept. Avg accumulates
 *    floats in row-major order and divides in double by the two divisors. Results go through
 *    a CBW-lane staging buffer on the stack to y's channel-strided outputs.
 * Backward (docs/spec.md#4-gradients): dx zeroed, then max scatters dy at argmax in naive's
 *    order; avg adds dy/divisor over the bin, a channel block at a time (masked in the tail).
 *    dx is bitwise naive's. Single-threaded, no workspace.
 * Paths: "vector" (the above) and "scalar" (naive's loops, for C < NHWC_MIN_C), chosen in
 *    bs_choose alone. */
#ifndef NHWC_BINSCAN_H
#define NHWC_BINSCAN_H

#include "nhwc_simd.h"

/* The bin-scan kernels' paths: "vector", the loops below, and "scalar", naive's loops, taken
 * for C < NHWC_MIN_C (one live lane per block does several times naive's work per element).
 * Both give naive's results on every plan (max, argmax and dx bitwise; avg within the bound),
 * so either is forcible anywhere. */
enum { BS_VECTOR, BS_SCALAR };

static const spp_path bs_paths[] = {
    {"vector", SPP_PASSES_ALL, "C >= 2"},
    {"scalar", SPP_PASSES_ALL, "C < 2: naive's loops"},
};
#define BS_NPATHS ((int)(sizeof bs_paths / sizeof bs_paths[0]))

static int bs_choose(const spp_plan *pl, int threads, spp_pass pass, int force)
{
    (void)threads;
    (void)pass;
    if (force >= 0)
        return force;
    return pl->p.c < NHWC_MIN_C ? BS_SCALAR : BS_VECTOR;
}

/* One bin of one channel block: results to ov (and op) as CBW lanes. */
NHWC_INLINE void bs_bin(const float *xs, int64_t C, int64_t W, spp_interval r, spp_interval q,
                        const int *cnt, int masked, int mode, float *ov, int32_t *op)
{
    vf b[NV];
    vi bp[NV];
    if (mode == MODE_SUM) {
        for (int k = 0; k < NV; k++)
            b[k] = vf_zero();
        for (int64_t h = r.start; h < r.end; h++)
            for (int64_t w = q.start; w < q.end; w++) {
                const float *xe = xs + (h * W + w) * C;
                for (int k = 0; k < NV; k++)
                    b[k] = vf_add(b[k], v_ld(xe + k * VW, masked, cnt[k]));
            }
    } else {
        const float *x0 = xs + (r.start * W + q.start) * C;
        for (int k = 0; k < NV; k++) {
            b[k] = v_ld(x0 + k * VW, masked, cnt[k]);
            bp[k] = vi_set1((int32_t)(r.start * W + q.start));
        }
        for (int64_t h = r.start; h < r.end; h++)
            for (int64_t w = (h == r.start ? q.start + 1 : q.start); w < q.end; w++) {
                const float *xe = xs + (h * W + w) * C;
                const vi pv = vi_set1((int32_t)(h * W + w));
                for (int k = 0; k < NV; k++) {
                    const vf v = v_ld(xe + k * VW, masked, cnt[k]);
                    if (mode == MODE_MAXPOS)
                        v_fold(&b[k], &bp[k], v, pv);
                    else
                        b[k] = v_fold_val(b[k], v);
                }
            }
    }
    for (int k = 0; k < NV; k++) {
        vf_storeu(ov + k * VW, b[k]);
        if (mode == MODE_MAXPOS)
            vi_storeu(op + k * VW, bp[k]);
    }
}

static spp_status bs_forward(const spp_plan *pl, const float *x, float *y, int32_t *argmax,
                             const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    if (SPP_EXEC_PATH(ex, bs_choose, pl, spp_forward_pass(p, argmax)) == BS_SCALAR)
        return spp_kernel_naive.forward(pl, x, y, argmax, ex);
    _Alignas(64) float ov[CBW];
    _Alignas(64) int32_t op[CBW];
    const int mode = p->pool == SPP_POOL_AVG ? MODE_SUM : argmax ? MODE_MAXPOS : MODE_MAXVAL;
    for (int64_t b = 0; b < p->n; b++) {
        const float *xs = x + b * H * W * C;
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n;
            const int64_t stride = (int64_t)n * n;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const spp_interval r = lv->rows[i], q = lv->cols[j];
                    const double div = (double)spp_bin_div(r, q);
                    for (int64_t c0 = 0; c0 < C; c0 += CBW) {
                        int cnt[NV];
                        const int masked = block_counts(C, c0, cnt);
                        const float *xb = xs + c0;
                        if (!masked) {
                            if (mode == MODE_MAXPOS)
                                bs_bin(xb, C, W, r, q, cnt, 0, MODE_MAXPOS, ov, op);
                            else if (mode == MODE_MAXVAL)
                                bs_bin(xb, C, W, r, q, cnt, 0, MODE_MAXVAL, ov, op);
                            else
                                bs_bin(xb, C, W, r, q, cnt, 0, MODE_SUM, ov, op);
                        } else {
                            if (mode == MODE_MAXPOS)
                                bs_bin(xb, C, W, r, q, cnt, 1, MODE_MAXPOS, ov, op);
                            else if (mode == MODE_MAXVAL)
                                bs_bin(xb, C, W, r, q, cnt, 1, MODE_MAXVAL, ov, op);
                            else
                                bs_bin(xb, C, W, r, q, cnt, 1, MODE_SUM, ov, op);
                        }
                        const int64_t cw = C - c0 < CBW ? C - c0 : CBW;
                        const int64_t o = spp_y_index(pl, b, l, c0, i, j);
                        for (int64_t ch = 0; ch < cw; ch++) {
                            if (mode == MODE_SUM)
                                y[o + ch * stride] = (float)((double)ov[ch] / div);
                            else
                                y[o + ch * stride] = ov[ch];
                        }
                        if (mode == MODE_MAXPOS)
                            for (int64_t ch = 0; ch < cw; ch++)
                                argmax[o + ch * stride] = op[ch];
                    }
                }
        }
    }
    return SPP_OK;
}

static spp_status bs_backward(const spp_plan *pl, const float *dy, const int32_t *argmax,
                              float *dx, const spp_exec *ex)
{
    const spp_problem *p = &pl->p;
    const int64_t C = p->c, H = p->h, W = p->w;
    if (SPP_EXEC_PATH(ex, bs_choose, pl, SPP_PASS_BACKWARD) == BS_SCALAR)
        return spp_kernel_naive.backward(pl, dy, argmax, dx, ex);
    _Alignas(64) float g[CBW];
    memset(dx, 0, (size_t)spp_input_elems(p) * sizeof *dx);
    for (int64_t b = 0; b < p->n; b++) {
        float *dxs = dx + b * H * W * C;
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl->lv[l];
            const int n = lv->n;
            const int64_t stride = (int64_t)n * n;
            if (p->pool == SPP_POOL_MAX) {
                spp_nhwc_max_scatter(pl, b, l, dy, argmax, dxs);
                continue;
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) {
                    const spp_interval r = lv->rows[i], q = lv->cols[j];
                    const float div = spp_avg_grad_div(r, q);
                    for (int64_t c0 = 0; c0 < C; c0 += CBW) {
                        int cnt[NV];
                        const int masked = block_counts(C, c0, cnt);
                        const int64_t o = spp_y_index(pl, b, l, c0, i, j);
                        vf gv[NV];
                        for (int k = 0; k < NV; k++) {
                            for (int e = 0; e < VW; e++)
                                g[k * VW + e] = e < cnt[k] ? dy[o + (k * VW + e) * stride] / div
                                                           : 0.0f;
                            gv[k] = vf_loadu(g + k * VW);
                        }
                        for (int64_t h = r.start; h < r.end; h++)
                            for (int64_t w = q.start; w < q.end; w++) {
                                float *d = dxs + (h * W + w) * C + c0;
                                for (int k = 0; k < NV; k++) {
                                    if (masked) {
                                        if (cnt[k])
                                            vf_store_n(d + k * VW,
                                                       vf_add(vf_load_n(d + k * VW, cnt[k]), gv[k]),
                                                       cnt[k]);
                                    } else {
                                        vf_storeu(d + k * VW, vf_add(vf_loadu(d + k * VW), gv[k]));
                                    }
                                }
                            }
                    }
                }
        }
    }
    return SPP_OK;
}

#endif
