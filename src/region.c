/* Region SPP (docs/spec.md#5-regions): problem and box validation, the per-box interval table,
 * and the SPP-net window projection (the checked entry points are in region_op.c).
 *
 * Boundaries come only from spp_axis_bins: a box's bins are the convention applied to the box
 * height and width, then offset by y0 / x0. The table is built once per call, outside every
 * kernel's hot loop. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spp_internal.h"

int spp_region_kernel_has_layout(const spp_region_kernel *k, spp_layout l)
{
    return k && (unsigned)l <= SPP_LAYOUT_NHWC && (k->layouts & SPP_LAYOUT_BIT(l)) != 0;
}

static int64_t bins_per_channel(const spp_region_problem *p)
{
    int64_t s = 0;
    for (int l = 0; l < p->nlevels; l++)
        s += (int64_t)p->levels[l] * p->levels[l];
    return s;
}

int64_t spp_region_map_elems(const spp_region_problem *p) { return p->c * p->h * p->w; }

int64_t spp_region_output_elems(const spp_region_problem *p, int64_t nboxes)
{
    return nboxes * p->c * bins_per_channel(p);
}

spp_status spp_region_problem_validate(const spp_region_problem *p, spp_error *err)
{
    if (!p)
        return spp_fail(err, SPP_ERR_NULL, "region problem=NULL: a problem is required");
    spp_status st = spp_check_enums(p->pool, p->bins, p->layout, err);
    if (st != SPP_OK)
        return st;
    const struct { const char *name; int64_t v; } dims[] = {{"C", p->c}, {"H", p->h}, {"W", p->w}};
    for (int i = 0; i < 3; i++)
        if (dims[i].v < 1)
            return spp_fail(err, SPP_ERR_SHAPE, "%s=%lld: must be >= 1", dims[i].name,
                            (long long)dims[i].v);
    if ((st = spp_check_levels(p->levels, p->nlevels, err)) != SPP_OK ||
        (st = spp_check_plane(p->h, p->w, err)) != SPP_OK)
        return st;
    const int64_t f[3] = {p->c, p->h, p->w};
    if (!spp_mul_size(f, 3, sizeof(float)))
        return spp_fail(err, SPP_ERR_OVERFLOW, "C*H*W=%lld*%lld*%lld: map byte count overflows",
                        (long long)p->c, (long long)p->h, (long long)p->w);
    return SPP_OK;
}

/* One box: coordinates, then the convention for its height and width at every level. */
static spp_status check_box(const spp_region_problem *p, const spp_box *b, int64_t r,
                            spp_interval *scratch, spp_error *err)
{
    const char *rule = NULL;
    if (!(0 <= b->x0 && b->x0 < b->x1 && b->x1 <= p->w))
        rule = b->x0 < 0 ? "x0 must be >= 0" : b->x0 >= b->x1 ? "x0 < x1 required (empty box)"
                                                                : "x1 must be <= W";
    else if (!(0 <= b->y0 && b->y0 < b->y1 && b->y1 <= p->h))
        rule = b->y0 < 0 ? "y0 must be >= 0" : b->y0 >= b->y1 ? "y0 < y1 required (empty box)"
                                                                : "y1 must be <= H";
    if (rule)
        return spp_fail(err, SPP_ERR_ARG,
                        "boxes[%lld]=(x0=%d,y0=%d,x1=%d,y1=%d): %s (need 0 <= x0 < x1 <= W=%lld, "
                        "0 <= y0 < y1 <= H=%lld)",
                        (long long)r, b->x0, b->y0, b->x1, b->y1, rule, (long long)p->w,
                        (long long)p->h);
    if (p->bins == SPP_BINS_ADAPTIVE)
        return SPP_OK; /* valid for every size */
    for (int l = 0; l < p->nlevels; l++) {
        spp_error why;
        spp_status st = spp_axis_bins(b->y1 - b->y0, p->levels[l], p->bins, "box height", scratch,
                                      &why);
        if (st == SPP_OK)
            st = spp_axis_bins(b->x1 - b->x0, p->levels[l], p->bins, "box width", scratch, &why);
        if (st != SPP_OK)
            return spp_fail(err, st, "boxes[%lld]=(x0=%d,y0=%d,x1=%d,y1=%d): %s", (long long)r,
                            b->x0, b->y0, b->x1, b->y1, why.msg);
    }
    return SPP_OK;
}

spp_status spp_region_validate_boxes(const spp_region_problem *p, const spp_box *boxes,
                                     int64_t nboxes, spp_error *err)
{
    spp_status st = spp_region_problem_validate(p, err);
    return st != SPP_OK ? st : spp_region_check_boxes(p, boxes, nboxes, err);
}

spp_status spp_region_check_boxes(const spp_region_problem *p, const spp_box *boxes,
                                  int64_t nboxes, spp_error *err)
{
    spp_status st;
    if (nboxes < 1)
        return spp_fail(err, SPP_ERR_ARG, "nboxes=%lld: at least one box is required",
                        (long long)nboxes);
    if (!boxes)
        return spp_fail(err, SPP_ERR_NULL, "boxes=NULL: %lld boxes expected", (long long)nboxes);
    spp_interval scratch[SPP_MAX_LEVEL];
    for (int64_t r = 0; r < nboxes; r++)
        if ((st = check_box(p, &boxes[r], r, scratch, err)) != SPP_OK)
            return st;
    return SPP_OK;
}

void spp_region_plan_free(spp_region_plan *plan)
{
    if (plan) {
        free(plan->iv);
        plan->iv = NULL;
    }
}

size_t spp_region_output_bytes(const spp_region_problem *p, int64_t nboxes, spp_error *err)
{
    const int64_t fo[3] = {nboxes, p->c, bins_per_channel(p)};
    const size_t bytes = spp_mul_size(fo, 3, sizeof(float));
    if (!bytes)
        spp_fail(err, SPP_ERR_OVERFLOW,
                 "R*C*sum(n^2)=%lld*%lld*%lld: output byte count overflows size_t",
                 (long long)nboxes, (long long)p->c, (long long)bins_per_channel(p));
    return bytes;
}

spp_status spp_region_plan_init(spp_region_plan *plan, const spp_region_problem *p,
                                const spp_box *boxes, int64_t nboxes, spp_error *err)
{
    if (!plan)
        return spp_fail(err, SPP_ERR_NULL, "plan=NULL: a plan to fill is required");
    memset(plan, 0, sizeof *plan);
    spp_status st = spp_region_validate_boxes(p, boxes, nboxes, err);
    if (st != SPP_OK)
        return st;
    if (!spp_region_output_bytes(p, nboxes, err))
        return SPP_ERR_OVERFLOW;
    int64_t ivo = 0;
    for (int l = 0; l < p->nlevels; l++)
        ivo += 2 * (int64_t)p->levels[l];
    const int64_t fi[2] = {nboxes, ivo};
    size_t bytes = spp_mul_size(fi, 2, sizeof(spp_interval));
    spp_interval *iv = bytes ? malloc(bytes) : NULL;
    if (!iv)
        return spp_fail(err, SPP_ERR_NOMEM, "region plan: %lld boxes x %lld intervals: out of memory",
                        (long long)nboxes, (long long)ivo);
    spp_region_plan_fill(plan, p, boxes, nboxes, iv);
    return SPP_OK;
}

void spp_region_plan_fill(spp_region_plan *plan, const spp_region_problem *p,
                          const spp_box *boxes, int64_t nboxes, spp_interval *iv)
{
    spp_error *err = NULL; /* problem and boxes are valid: spp_axis_bins cannot fail */
    memset(plan, 0, sizeof *plan);
    plan->p = *p;
    plan->nboxes = nboxes;
    plan->boxes = boxes;
    plan->iv = iv;
    int64_t off = 0, ivo = 0;
    for (int l = 0; l < p->nlevels; l++) {
        plan->out_offset[l] = off * p->c;
        plan->iv_offset[l] = ivo;
        off += (int64_t)p->levels[l] * p->levels[l];
        ivo += 2 * (int64_t)p->levels[l];
    }
    plan->bins_per_channel = off;
    plan->out_per_region = off * p->c;
    plan->iv_per_box = ivo;
    for (int64_t r = 0; r < nboxes; r++) {
        const spp_box b = boxes[r];
        for (int l = 0; l < p->nlevels; l++) {
            const int n = p->levels[l];
            spp_interval *rows = plan->iv + r * ivo + plan->iv_offset[l], *cols = rows + n;
            spp_axis_bins(b.y1 - b.y0, n, p->bins, "box height", rows, err);
            spp_axis_bins(b.x1 - b.x0, n, p->bins, "box width", cols, err);
            for (int i = 0; i < n; i++) {
                rows[i].start += b.y0;
                rows[i].end += b.y0;
                cols[i].start += b.x0;
                cols[i].end += b.x0;
            }
        }
    }
}

spp_status spp_region_check_kernel(const spp_region_kernel *k, const spp_region_problem *p,
                                   spp_error *err)
{
    if (!k)
        return spp_fail(err, SPP_ERR_NULL, "region kernel=NULL: a kernel is required");
    spp_status st = spp_region_problem_validate(p, err);
    if (st != SPP_OK)
        return st;
    if (!spp_region_kernel_has_layout(k, p->layout))
        return spp_fail(err, SPP_ERR_LAYOUT, "layout=%s: region kernel %s does not take this layout",
                        spp_layout_name(p->layout), k->name);
    const char *why = spp_isa_unavailable(k->isa);
    if (why)
        return spp_fail(err, SPP_ERR_ISA, "kernel=%s: %s", k->name, why);
    return SPP_OK;
}


/* ---- window projection ---- */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* floor(v/S)+1 or ceil(v/S)-1 as an integer, saturated far outside any map (clamped later) */
static int64_t edge(double v, int stride, int left)
{
    double q = left ? floor(v / stride) + 1.0 : ceil(v / stride) - 1.0;
    if (q < -1e15)
        return -(int64_t)1e15;
    if (q > 1e15)
        return (int64_t)1e15;
    return (int64_t)q;
}

spp_status spp_roi_project(const double *img, int64_t nboxes, int stride, int64_t h, int64_t w,
                           spp_box *out, spp_error *err)
{
    if (stride < 1)
        return spp_fail(err, SPP_ERR_ARG, "stride=%d: must be >= 1", stride);
    if (h < 1 || h > INT32_MAX)
        return spp_fail(err, SPP_ERR_SHAPE, "H=%lld: must be in 1..%d", (long long)h, INT32_MAX);
    if (w < 1 || w > INT32_MAX)
        return spp_fail(err, SPP_ERR_SHAPE, "W=%lld: must be in 1..%d", (long long)w, INT32_MAX);
    if (nboxes < 0)
        return spp_fail(err, SPP_ERR_ARG, "nboxes=%lld: must be >= 0", (long long)nboxes);
    if (nboxes > 0 && (!img || !out))
        return spp_fail(err, SPP_ERR_NULL, "boxes: NULL image or output box array");
    /* check everything before writing anything */
    for (int64_t r = 0; r < nboxes; r++) {
        const double *b = img + 4 * r;
        for (int k = 0; k < 4; k++)
            if (!isfinite(b[k]))
                return spp_fail(err, SPP_ERR_ARG,
                                "image boxes[%lld]=(%g,%g,%g,%g): coordinate %d is not finite",
                                (long long)r, b[0], b[1], b[2], b[3], k);
        if (b[2] < b[0] || b[3] < b[1])
            return spp_fail(err, SPP_ERR_ARG,
                            "image boxes[%lld]=(x0=%g,y0=%g,x1=%g,y1=%g): need x0 <= x1 and "
                            "y0 <= y1",
                            (long long)r, b[0], b[1], b[2], b[3]);
    }
    for (int64_t r = 0; r < nboxes; r++) {
        const double *b = img + 4 * r;
        int64_t left = clamp64(edge(b[0], stride, 1), 0, w - 1);
        int64_t top = clamp64(edge(b[1], stride, 1), 0, h - 1);
        int64_t right = clamp64(edge(b[2], stride, 0), 0, w - 1);
        int64_t bottom = clamp64(edge(b[3], stride, 0), 0, h - 1);
        if (right < left)
            right = left;
        if (bottom < top)
            bottom = top;
        out[r].x0 = (int32_t)left;
        out[r].y0 = (int32_t)top;
        out[r].x1 = (int32_t)(right + 1);
        out[r].y1 = (int32_t)(bottom + 1);
    }
    return SPP_OK;
}
