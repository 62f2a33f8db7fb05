/* The bin plan: the one place bin boundaries are computed (docs/spec.md#2-bins).
 * All arithmetic is 64-bit integer; kernels only read the plan. */
#include <string.h>

#include "spp_internal.h"

spp_status spp_axis_bins(int64_t A, int n, spp_bins conv, const char *axis, spp_interval *out,
                         spp_error *err)
{
    if (!axis)
        axis = "axis";
    if (A < 1)
        return spp_fail(err, SPP_ERR_SHAPE, "%s=%lld: must be >= 1", axis, (long long)A);
    /* (i+1)*A + n and k*n stay far below INT64_MAX for n <= SPP_MAX_LEVEL = 64 */
    if (A > SPP_MAX_AXIS)
        return spp_fail(err, SPP_ERR_OVERFLOW, "%s=%lld: an axis must be at most 2^56=%lld",
                        axis, (long long)A, (long long)SPP_MAX_AXIS);
    if (n < 1 || n > SPP_MAX_LEVEL)
        return spp_fail(err, SPP_ERR_LEVELS, "level=%d: must be in 1..%d", n, SPP_MAX_LEVEL);
    switch (conv) {
    case SPP_BINS_ADAPTIVE: {
        /* start floor(i*A/n), end ceil((i+1)*A/n), stepped with the quotient and remainder of
         * A/n: one division per axis, not two per bin (the region plan does R x sum(2n) bins,
         * 48,000 on det-688, per call) */
        const int64_t q = A / n, rem = A % n;
        int64_t s = 0, r = 0; /* floor(i*A/n) and i*A mod n */
        for (int64_t i = 0; i < n; i++) {
            out[i].start = s;
            s += q, r += rem;
            if (r >= n)
                s++, r -= n;
            out[i].end = s + (r != 0);
            out[i].div = out[i].end - out[i].start;
        }
        return SPP_OK;
    }
    case SPP_BINS_SPPNET: {
        if (A < n)
            return spp_fail(err, SPP_ERR_CONVENTION,
                            "%s=%lld with level %d: sppnet bins need %s >= n (window ceil(%s/n), "
                            "stride floor(%s/n))",
                            axis, (long long)A, n, axis, axis, axis);
        const int64_t stride = A / n, win = (A + n - 1) / n;
        for (int64_t i = 0; i < n; i++) {
            out[i].start = i * stride;
            out[i].end = out[i].start + win;
            out[i].div = win;
        }
        return SPP_OK;
    }
    case SPP_BINS_CAFFE: {
        const int64_t k = (A + n - 1) / n, pad = (k * n - A + 1) / 2;
        if (pad >= k)
            return spp_fail(err, SPP_ERR_CONVENTION,
                            "%s=%lld with level %d: caffe bins need pad < kernel, got kernel "
                            "ceil(%s/n)=%lld, pad (k*n-%s+1)/2=%lld",
                            axis, (long long)A, n, axis, (long long)k, axis, (long long)pad);
        for (int64_t i = 0; i < n; i++) {
            const int64_t s = i * k - pad, e = s + k;
            out[i].start = s > 0 ? s : 0;
            out[i].end = e < A ? e : A;
            out[i].div = (e < A + pad ? e : A + pad) - s;
        }
        return SPP_OK;
    }
    }
    return spp_fail(err, SPP_ERR_ENUM, "bins=%d: expected 0 (adaptive), 1 (sppnet) or 2 (caffe)",
                    (int)conv);
}

spp_status spp_plan_init(spp_plan *plan, const spp_problem *p, spp_error *err)
{
    if (!plan)
        return spp_fail(err, SPP_ERR_NULL, "plan=NULL: a plan to fill is required");
    spp_status st = spp_problem_validate(p, err);
    if (st != SPP_OK)
        return st;
    spp_plan_fill(plan, p);
    return SPP_OK;
}

void spp_plan_fill(spp_plan *plan, const spp_problem *p)
{
    spp_error *err = NULL; /* p is valid: spp_axis_bins cannot fail */
    memset(plan, 0, sizeof *plan);
    plan->p = *p;
    int64_t off = 0;
    for (int l = 0; l < p->nlevels; l++) {
        spp_level_plan *lv = &plan->lv[l];
        lv->n = p->levels[l];
        lv->out_offset = off * p->c;
        off += (int64_t)lv->n * lv->n;
        /* validated above, so these cannot fail */
        spp_axis_bins(p->h, lv->n, p->bins, "H", lv->rows, err);
        spp_axis_bins(p->w, lv->n, p->bins, "W", lv->cols, err);
    }
    plan->bins_per_channel = off;
    plan->out_per_sample = off * p->c;
}
