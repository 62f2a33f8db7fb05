/* Shared helpers for the library and the kernels (not installed). */
#ifndef SPP_INTERNAL_H
#define SPP_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include "spp.h"

/* Record a message in err (may be NULL) and return status. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline spp_status spp_fail(spp_error *err, spp_status st, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Validation rules shared by the whole-map and region problems (problem.c): the enum values,
 * 1..SPP_MAX_LEVELS levels each in 1..SPP_MAX_LEVEL, and H*W <= INT32_MAX. */
spp_status spp_check_enums(spp_pool pool, spp_bins bins, spp_layout layout, spp_error *err);
spp_status spp_check_levels(const int *levels, int nlevels, spp_error *err);
spp_status spp_check_plane(int64_t h, int64_t w, spp_error *err);
/* Product of the factors times e in size_t; 0 on overflow or a negative factor. */
size_t spp_mul_size(const int64_t *f, int nf, size_t e);

/* The bin plan of a problem already validated (spp_plan_init without the validation). */
void spp_plan_fill(spp_plan *plan, const spp_problem *p);
/* The region plan of a validated problem and validated boxes, its interval table in the
 * caller's iv (nboxes * sum 2n entries): spp_region_plan_init without validation or malloc. */
void spp_region_plan_fill(spp_region_plan *plan, const spp_region_problem *p,
                          const spp_box *boxes, int64_t nboxes, spp_interval *iv);
/* spp_region_validate_boxes for a problem already validated. */
spp_status spp_region_check_boxes(const spp_region_problem *p, const spp_box *boxes,
                                  int64_t nboxes, spp_error *err);
/* Output bytes R*C*sum(n^2)*4 of a valid region problem, 0 on overflow (the message in err). */
size_t spp_region_output_bytes(const spp_region_problem *p, int64_t nboxes, spp_error *err);

/* Paths (paths.c). The passes a problem with this pool has (SPP_PASS_BIT mask). */
int spp_passes_of(spp_pool pool);
/* "a, b, c": the names of paths[i] with valid[i] set (every path when valid is NULL). */
void spp_path_list(char *buf, size_t cap, const spp_path *paths, const int *valid, int npaths);
/* The path a kernel entry point runs: the one the caller resolved (ex->path, set by the
 * prepared operations), else the kernel's own choice, from choose (its choose_path). */
#define SPP_EXEC_PATH(ex, choose, plan, pass)                                                 \
    ((ex)->path > 0 ? (ex)->path - 1 : (choose)((plan), (ex)->threads, (pass), -1))

/* A caller's buffer, for the checked entry points (api.c, region.c). */
typedef struct { const char *name; const void *ptr; size_t bytes; } spp_buffer;
/* Every buffer non-NULL and no two overlapping; the message names them. */
spp_status spp_check_buffers(const spp_buffer *b, int nb, spp_error *err);

/* Index of input element (b, c, h, w) for either layout. */
static inline int64_t spp_x_index(const spp_problem *p, int64_t b, int64_t c, int64_t h,
                                  int64_t w)
{
    return p->layout == SPP_LAYOUT_NCHW ? ((b * p->c + c) * p->h + h) * p->w + w
                                        : ((b * p->h + h) * p->w + w) * p->c + c;
}

/* Index of output (b, level l, c, i, j) in canonical order. */
static inline int64_t spp_y_index(const spp_plan *pl, int64_t b, int l, int64_t c, int i, int j)
{
    const int n = pl->lv[l].n;
    return b * pl->out_per_sample + pl->lv[l].out_offset + c * n * n + (int64_t)i * n + j;
}

/* The divisor of a 2-D avg bin: its row divisor times its column divisor, in integers
 * (docs/spec.md#2-bins; caffe's divisors count padding). The one place kernels multiply them. */
static inline int64_t spp_bin_div(spp_interval r, spp_interval q)
{
    return r.div * q.div;
}

/* The avg backward's divisor of a bin as a float: every kernel's dx term is
 * dy / spp_avg_grad_div (a float divide, naive's quotient), so that avg dx is bitwise naive's
 * in every kernel (docs/spec.md#4-gradients). */
static inline float spp_avg_grad_div(spp_interval r, spp_interval q)
{
    return (float)spp_bin_div(r, q);
}

/* The avg scale of bin (i, j) of a level: the float nearest 1 / (row divisor * column
 * divisor). The SIMD kernels' means are sum * scale in float, one multiply rather than a divide
 * or a trip through double: the scale and the product are each rounded once (relative error
 * at most 2^-24 each), inside the avg bound's 4 * count * 2^-24 (docs/spec.md#3-max-and-avg),
 * and every kernel that takes the scale from here gets the same bits. */
static inline float spp_avg_scale(const spp_level_plan *lv, int i, int j)
{
    return 1.0f / spp_avg_grad_div(lv->rows[i], lv->cols[j]);
}

/* Max backward of one NHWC sample and level: every output adds its dy at its argmax, in
 * naive's order (channel, bin row, bin column), so dx is bitwise naive's. dxs: the sample's
 * dx, already zeroed. */
static inline void spp_nhwc_max_scatter(const spp_plan *pl, int64_t b, int l, const float *dy,
                                        const int32_t *argmax, float *dxs)
{
    const int64_t C = pl->p.c, stride = (int64_t)pl->lv[l].n * pl->lv[l].n;
    const int64_t o0 = spp_y_index(pl, b, l, 0, 0, 0);
    for (int64_t c = 0; c < C; c++)
        for (int64_t k = 0; k < stride; k++) {
            const int64_t o = o0 + c * stride + k;
            dxs[(int64_t)argmax[o] * C + c] += dy[o];
        }
}

/* Max-pool reduction state shared by all kernels, so every kernel breaks ties and NaN the
 * same way (docs/spec.md#3-max-and-avg): first maximum in row-major order; a NaN wins over any
 * number; among NaNs the last one wins. pos is the element's offset h*W+w, which grows in
 * row-major order inside a bin, so the rule is a total order and any reduction order gives one
 * answer. */
static inline int spp_max_better(float v, int64_t pos, float best, int64_t best_pos)
{
    if (v != v)
        return best != best ? pos > best_pos : 1;
    if (best != best)
        return 0;
    return v > best || (v == best && pos < best_pos);
}

/* Channel groups per task for kernels that split (sample, group of channel blocks): g blocks,
 * lowered when a call has few samples so each of the threads still gets >= 2 tasks (total:
 * blocks per sample). */
static inline int64_t spp_group_for_threads(int64_t g, int64_t total, int64_t n, int threads)
{
    if (threads > 1 && n < 2 * (int64_t)threads) {
        const int64_t want = (2 * (int64_t)threads + n - 1) / n; /* tasks per sample */
        const int64_t g2 = (total + want - 1) / want;
        if (g2 < g)
            g = g2 < 1 ? 1 : g2;
    }
    return g;
}

/* Whether a max backward zeroes its dx (dx_bytes) with streaming stores: on one thread, from
 * the layout's threshold (min_bytes: NCHW_STREAM_BYTES, FZ_NT_BYTES), and only for a dx larger
 * than the last-level cache (spp_llc_bytes). A dx that fits the cache is faster zeroed plainly
 * (the scatter then finds its lines in cache), and with two threads plain stores measured
 * faster whatever the size (docs/perf-log.md, 2026-12-06). */
static inline int spp_bwd_streams(int64_t dx_bytes, int64_t min_bytes, int threads)
{
    return threads == 1 && dx_bytes >= min_bytes && dx_bytes > spp_llc_bytes();
}

/* Workspace parts that different threads use (each thread's slice, and the tables the threads
 * share) start on their own 4 KiB page, and the prepared operations allocate workspaces page
 * aligned (spp_alloc_workspace). Why: with 64-byte separation alone, one thread's hot lines
 * shared a page with lines the other thread kept writing, and nchw__fused_avx2 ran each group
 * 1.4x slower on two threads than on one; page separation removed it (docs/perf-log.md,
 * 2026-12-06, "Per-thread workspace parts on pages of their own"). The cost is under 4 KiB
 * per part. */
#define SPP_PAGE_BYTES ((size_t)4096)
static inline size_t spp_page_round(size_t bytes)
{
    return (bytes + SPP_PAGE_BYTES - 1) / SPP_PAGE_BYTES * SPP_PAGE_BYTES;
}

/* spp_alloc for kernel workspaces: as spp_alloc, but at least 4 KiB aligned. */
void *spp_alloc_workspace(size_t bytes);

#endif
