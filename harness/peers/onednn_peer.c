/* spp-peer-onednn, spp-peer-onednn3: oneDNN's pooling primitive as a peer for the `sppnet` bin
 * convention. One source, built twice (mk/peers.mk): against Debian's oneDNN 2.x
 * (spp-peer-onednn, rows `onednn/...`) and against PyPI's oneDNN 3.x (spp-peer-onednn3, rows
 * `onednn3/...`); the API calls that differ are in onednn_compat.h.
 *
 *   spp-peer-onednn[3] --points FILE --repetitions R --out OUT.json [--min-time SECONDS]
 *
 * FILE: one point per line, `<problem string> <threads> <direction>` (direction fwd|bwd|fwdbwd;
 * blank lines and lines starting with '#' are ignored). Only `sppnet` points are timed; the
 * others are skipped with a note on stderr. Each max `fwd` point also gets an inference row
 * (`.../infer`, like spp-bench's): the same pipeline with prop_kind forward_inference, so oneDNN
 * writes no workspace.
 *
 * What is timed, per point: for every level one oneDNN pooling primitive (pooling_max, or
 * pooling_avg_include_padding for avg) with kernel ceil(A/n) and stride floor(A/n) per axis on the
 * input in the point's layout (tag nchw or nhwc), then one reorder per level that writes the
 * level's n x n bins into the canonical output (N, C*sum n^2): the concatenation is timed too.
 * Why no right padding: with k = ceil(A/n), s = floor(A/n) the last sppnet bin
 * (docs/spec.md#2-bins) ends at (n-1)s+k <= A, so oneDNN produces floor((A-k)/s)+1 >= n windows
 * and would need a NEGATIVE padding_r to stop at n, which oneDNN rejects; a strided view of the
 * first (n-1)s+k rows is accepted but runs the slow `ref` implementation. So the primitive runs
 * on the whole dense input and the reorder keeps the first n x n windows, which are exactly the
 * sppnet bins (window i starts at i*s). No window touches padding, so every avg divisor is kh*kw
 * = ceil(H/n)*ceil(W/n), the sppnet divisor.
 * Max runs with prop_kind forward_training, so oneDNN also writes its argmax workspace, as our
 * kernels write argmax and PyTorch computes indices.
 * Backward (rows `/bwd`: backward alone, given the forward's workspace; `/fwdbwd`: both): per
 * level a reorder puts dy's n x n block into the first windows of a zeroed diff_dst (the extra
 * windows get no gradient), the pooling backward primitive writes that level's diff_src (max:
 * from the workspace), and one in-place sum primitive adds the levels' diff_src into dx.
 *
 * Before timing, the output on the same input is checked against libspp's `naive` kernel: max
 * bitwise, avg within the bound of docs/spec.md#3-max-and-avg, 4*count*2^-24*sum|x|/divisor (+
 * naive's own final rounding). Gradients are checked against naive's backward within the bound of
 * check_grad().
 * A mismatch prints the first differing element and no row is emitted for that point.
 *
 * Timing: each point's iteration count grows until one batch takes >= --min-time (the warm-up);
 * then the R repetitions run round-robin over the file's points (repetition r of each before
 * r + 1 of any), with omp_set_num_threads(T) before each batch.
 * Output: Google-Benchmark-format JSON (per-repetition rows
 * `{peer}/{problem}/t{T}[/infer|/bwd|/fwdbwd]`, peer = onednn or onednn3, plus mean/median/
 * stddev/cv aggregates; the context has the library's version and git hash and the
 * implementations oneDNN dispatched), written to a temporary file and renamed. Times: real time
 * from CLOCK_MONOTONIC, cpu time from CLOCK_PROCESS_CPUTIME_ID (all threads), ns per iteration.
 * Exit: 0 ok, 1 if any point failed its check or oneDNN failed, 2 on bad arguments. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "onednn_compat.h"
#include "spp.h"

#define PFX "spp-peer-" PEER_NAME ": "
#define MAX_POINTS 8192 /* the file's points and their inference twins */

_Static_assert(SPP_MAX_LEVELS <= SUM_MAX_SRCS, "onednn_compat.h's sum_pd holds too few sources");

typedef struct {
    char problem[256];
    spp_problem p;
    int threads;
    char direction[8];
    int infer;                 /* the inference row added after a max fwd point */
} point;

typedef struct {
    char *buf;
    size_t len, cap;
} strbuf;

static void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *sb, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(sb->buf + sb->len, sb->cap - sb->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            fprintf(stderr, PFX "formatting failed\n");
            exit(1);
        }
        if (sb->len + (size_t)n < sb->cap) {
            sb->len += (size_t)n;
            return;
        }
        size_t cap = sb->cap ? sb->cap * 2 : 65536;
        while (cap <= sb->len + (size_t)n)
            cap *= 2;
        char *nb = realloc(sb->buf, cap);
        if (!nb) {
            fprintf(stderr, PFX "out of memory for the JSON text\n");
            exit(1);
        }
        sb->buf = nb;
        sb->cap = cap;
    }
}

static double now_ns(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void usage_exit(const char *msg)
{
    fprintf(stderr, PFX "%s\n"
                    "usage: spp-peer-" PEER_NAME " --points FILE --repetitions R --out OUT.json "
                    "[--min-time SECONDS]\n",
            msg);
    exit(2);
}

/* Reads and validates every point before any work, so a bad file writes nothing. A max fwd
 * point is followed by its inference twin (infer = 1). */
static int read_points(const char *path, point *pts)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, PFX "--points %s: cannot open: %s\n", path, strerror(errno));
        exit(2);
    }
    char line[1024];
    int n = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == 0)
            continue;
        if (n >= MAX_POINTS - 1) {
            fprintf(stderr, PFX "--points %s: more than %d points (inference twins of max "
                            "fwd points included)\n", path, MAX_POINTS);
            exit(2);
        }
        point *pt = &pts[n];
        char extra[8];
        int got = sscanf(s, "%255s %d %7s %7s", pt->problem, &pt->threads, pt->direction, extra);
        if (got != 3) {
            fprintf(stderr,
                    PFX "--points %s line %d: '%.*s': expected '<problem> <threads> "
                    "<fwd|bwd|fwdbwd>'\n",
                    path, lineno, (int)strcspn(s, "\r\n"), s);
            exit(2);
        }
        spp_error e;
        if (spp_problem_parse(pt->problem, &pt->p, &e) != SPP_OK ||
            spp_problem_validate(&pt->p, &e) != SPP_OK) {
            fprintf(stderr, PFX "--points %s line %d: %s\n", path, lineno, e.msg);
            exit(2);
        }
        if (pt->threads < 1 || pt->threads > 1024) {
            fprintf(stderr,
                    PFX "--points %s line %d: threads=%d: expected 1..1024\n", path,
                    lineno, pt->threads);
            exit(2);
        }
        if (strcmp(pt->direction, "fwd") && strcmp(pt->direction, "bwd") &&
            strcmp(pt->direction, "fwdbwd")) {
            fprintf(stderr,
                    PFX "--points %s line %d: direction=%s: expected fwd, bwd or "
                    "fwdbwd\n",
                    path, lineno, pt->direction);
            exit(2);
        }
        pt->infer = 0;
        n++;
        if (!strcmp(pt->direction, "fwd") && pt->p.pool == SPP_POOL_MAX) {
            pts[n] = *pt;
            pts[n].infer = 1;
            n++;
        }
    }
    fclose(f);
    return n;
}

#define DNNL_TRY(call)                                                                            \
    do {                                                                                          \
        dnnl_status_t st_ = (call);                                                               \
        if (st_ != dnnl_success) {                                                                \
            fprintf(stderr, PFX "%s: oneDNN %s failed with status %d\n", pt->problem, \
                    #call, (int)st_);                                                             \
            goto fail;                                                                            \
        }                                                                                         \
    } while (0)

typedef struct {
    dnnl_primitive_t pool, reorder;           /* forward: pooling, then its n x n into y */
    dnnl_memory_t src, dst, ws, sub, out;
    dnnl_primitive_t pool_bwd, split;         /* backward: dy's n x n into diff_dst, pooling */
    dnnl_memory_t dy_view, ddst, ddst_sub, dsrc;
    char impl[128], impl_bwd[128];            /* pooling, as dnnl_query_impl_info_str says */
    char impl_cat[128], impl_split[128];      /* the reorders */
} level_prims;

typedef struct {
    int nlevels, backward;
    level_prims lv[SPP_MAX_LEVELS];
    dnnl_primitive_t sum;                     /* dx = sum of the levels' diff_src (in place) */
    dnnl_memory_t sum_src[SPP_MAX_LEVELS];
    float *scratch[SPP_MAX_LEVELS];           /* diff_src of levels 1.. (level 0 writes dx) */
    char impl_sum[128];
} pipeline;

static void pd_impl(const_dnnl_primitive_desc_t pd, char *out, size_t cap)
{
    const char *impl = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(out, cap, "%s", impl);
}

static void pipeline_free(pipeline *pp)
{
    for (int l = 0; l < pp->nlevels; l++) {
        level_prims *q = &pp->lv[l];
        dnnl_primitive_t prims[4] = {q->pool, q->reorder, q->pool_bwd, q->split};
        dnnl_memory_t mems[9] = {q->src, q->dst, q->ws, q->sub, q->out,
                                 q->dy_view, q->ddst, q->ddst_sub, q->dsrc};
        for (int i = 0; i < 4; i++)
            if (prims[i])
                dnnl_primitive_destroy(prims[i]);
        for (int i = 0; i < 9; i++)
            if (mems[i])
                dnnl_memory_destroy(mems[i]);
        if (pp->sum_src[l])
            dnnl_memory_destroy(pp->sum_src[l]);
        spp_free(pp->scratch[l]);
    }
    if (pp->sum)
        dnnl_primitive_destroy(pp->sum);
    memset(pp, 0, sizeof *pp);
}

/* Builds the per-level primitives on the caller's buffers. Forward: pooling + reorder of the
 * first n x n windows into y. Backward (when dy/dx are given): reorder of dy's level block into
 * the first n x n of a zeroed diff_dst (the extra windows keep zero gradient), pooling backward
 * (max: with the forward's workspace) into a per-level diff_src, then one in-place sum primitive
 * dx = diff_src_0 + ... (level 0's diff_src is dx itself). */
static int pipeline_build(pipeline *pp, const point *pt, const spp_plan *plan, dnnl_engine_t eng,
                          float *x, float *y, float *dy, float *dx)
{
    const spp_problem *p = &pt->p;
    const dnnl_format_tag_t tag = p->layout == SPP_LAYOUT_NCHW ? dnnl_nchw : dnnl_nhwc;
    const dnnl_alg_kind_t alg =
        p->pool == SPP_POOL_MAX ? dnnl_pooling_max : dnnl_pooling_avg_include_padding;
    const dnnl_prop_kind_t prop = pt->infer ? dnnl_forward_inference : dnnl_forward_training;
    dnnl_primitive_desc_t ppd = NULL, bpd = NULL, rpd = NULL;
    md_t smd = MD_NONE, dmd = MD_NONE, sub_md = MD_NONE, out_md = MD_NONE;
    dnnl_dims_t sdims = {p->n, p->c, p->h, p->w};
    memset(pp, 0, sizeof *pp);
    pp->nlevels = p->nlevels;
    pp->backward = dy != NULL;
    DNNL_TRY(md_tag(&smd, 4, sdims, tag));
    for (int l = 0; l < p->nlevels; l++) {
        level_prims *q = &pp->lv[l];
        const int n = plan->lv[l].n;
        const dnnl_dim_t kh = (p->h + n - 1) / n, sh = p->h / n;
        const dnnl_dim_t kw = (p->w + n - 1) / n, sw = p->w / n;
        const dnnl_dim_t oh = (p->h - kh) / sh + 1, ow = (p->w - kw) / sw + 1;
        /* The plan is the single source of bin boundaries; the primitive's geometry must agree. */
        for (int i = 0; i < n; i++)
            if (plan->lv[l].rows[i].start != i * sh || plan->lv[l].rows[i].end != i * sh + kh ||
                plan->lv[l].cols[i].start != i * sw || plan->lv[l].cols[i].end != i * sw + kw ||
                plan->lv[l].rows[i].div != kh || plan->lv[l].cols[i].div != kw) {
                fprintf(stderr,
                        PFX "%s: level %d bin %d: the plan disagrees with kernel "
                        "(%ld,%ld) stride (%ld,%ld)\n",
                        pt->problem, n, i, (long)kh, (long)kw, (long)sh, (long)sw);
                goto fail;
            }
        md_reset(&dmd), md_reset(&sub_md), md_reset(&out_md); /* the previous level's */
        dnnl_dims_t ddims = {p->n, p->c, oh, ow};
        DNNL_TRY(md_tag(&dmd, 4, ddims, tag));
        dnnl_dims_t strides = {sh, sw}, kernel = {kh, kw}, dil = {0, 0}, pad_l = {0, 0},
                    pad_r = {0, 0};
        DNNL_TRY(pool_fwd_pd(&ppd, eng, prop, alg, MD(smd), MD(dmd), strides, kernel, dil, pad_l,
                             pad_r));
        pd_impl(ppd, q->impl, sizeof q->impl);
        const md_cref wmd = dnnl_primitive_desc_query_md(ppd, dnnl_query_workspace_md, 0);
        DNNL_TRY(dnnl_primitive_create(&q->pool, ppd));
        if (wmd && dnnl_memory_desc_get_size(wmd) > 0) /* none on inference */
            DNNL_TRY(dnnl_memory_create(&q->ws, wmd, eng, DNNL_MEMORY_ALLOCATE));
        DNNL_TRY(dnnl_memory_create(&q->src, MD(smd), eng, x));
        DNNL_TRY(dnnl_memory_create(&q->dst, MD(dmd), eng, DNNL_MEMORY_ALLOCATE));
        /* Concatenation: the first n x n windows, into y[b, off_l + c*n*n + i*n + j]. */
        dnnl_dims_t nn = {p->n, p->c, n, n}, zero = {0, 0, 0, 0};
        DNNL_TRY(md_sub(&sub_md, MD(dmd), nn, zero));
        dnnl_dims_t ostr = {plan->out_per_sample, (dnnl_dim_t)n * n, n, 1};
        DNNL_TRY(md_strides(&out_md, 4, nn, ostr));
        void *handle = NULL;
        DNNL_TRY(dnnl_memory_get_data_handle(q->dst, &handle));
        DNNL_TRY(dnnl_memory_create(&q->sub, MD(sub_md), eng, handle));
        DNNL_TRY(dnnl_memory_create(&q->out, MD(out_md), eng, y + plan->lv[l].out_offset));
        DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, MD(sub_md), eng, MD(out_md), eng, NULL));
        pd_impl(rpd, q->impl_cat, sizeof q->impl_cat);
        DNNL_TRY(dnnl_primitive_create(&q->reorder, rpd));
        dnnl_primitive_desc_destroy(rpd);
        rpd = NULL;
        if (pp->backward) {
            DNNL_TRY(pool_bwd_pd(&bpd, eng, alg, MD(smd), MD(dmd), strides, kernel, dil, pad_l,
                                 pad_r, ppd));
            pd_impl(bpd, q->impl_bwd, sizeof q->impl_bwd);
            DNNL_TRY(dnnl_primitive_create(&q->pool_bwd, bpd));
            dnnl_primitive_desc_destroy(bpd);
            bpd = NULL;
            DNNL_TRY(dnnl_memory_create(&q->ddst, MD(dmd), eng, DNNL_MEMORY_ALLOCATE));
            DNNL_TRY(dnnl_memory_get_data_handle(q->ddst, &handle));
            memset(handle, 0, dnnl_memory_desc_get_size(MD(dmd))); /* extra windows: no gradient */
            DNNL_TRY(dnnl_memory_create(&q->ddst_sub, MD(sub_md), eng, handle));
            DNNL_TRY(dnnl_memory_create(&q->dy_view, MD(out_md), eng, dy + plan->lv[l].out_offset));
            DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, MD(out_md), eng, MD(sub_md), eng,
                                                        NULL));
            pd_impl(rpd, q->impl_split, sizeof q->impl_split);
            DNNL_TRY(dnnl_primitive_create(&q->split, rpd));
            dnnl_primitive_desc_destroy(rpd);
            rpd = NULL;
            float *ds = dx;
            if (l > 0) {
                const size_t bytes = (dnnl_memory_desc_get_size(MD(smd)) + 63) / 64 * 64;
                ds = pp->scratch[l] = spp_alloc(bytes);
                if (!ds) {
                    fprintf(stderr, PFX "%s: out of memory\n", pt->problem);
                    goto fail;
                }
            }
            DNNL_TRY(dnnl_memory_create(&q->dsrc, MD(smd), eng, ds));
        }
        dnnl_primitive_desc_destroy(ppd);
        ppd = NULL;
    }
    if (pp->backward && p->nlevels > 1) {
        float scales[SPP_MAX_LEVELS];
        for (int l = 0; l < p->nlevels; l++) {
            scales[l] = 1.0f;
            DNNL_TRY(dnnl_memory_create(&pp->sum_src[l], MD(smd), eng, l ? pp->scratch[l] : dx));
        }
        dnnl_primitive_desc_t spd;
        DNNL_TRY(sum_pd(&spd, eng, MD(smd), p->nlevels, scales, MD(smd)));
        pd_impl(spd, pp->impl_sum, sizeof pp->impl_sum);
        dnnl_status_t st = dnnl_primitive_create(&pp->sum, spd);
        dnnl_primitive_desc_destroy(spd);
        DNNL_TRY(st);
    }
    md_reset(&smd), md_reset(&dmd), md_reset(&sub_md), md_reset(&out_md);
    return 0;
fail:
    md_reset(&smd), md_reset(&dmd), md_reset(&sub_md), md_reset(&out_md);
    if (ppd)
        dnnl_primitive_desc_destroy(ppd);
    if (bpd)
        dnnl_primitive_desc_destroy(bpd);
    if (rpd)
        dnnl_primitive_desc_destroy(rpd);
    return -1;
}

static int pipeline_forward(pipeline *pp, dnnl_stream_t s)
{
    for (int l = 0; l < pp->nlevels; l++) {
        level_prims *q = &pp->lv[l];
        dnnl_exec_arg_t pargs[3] = {
            {DNNL_ARG_SRC, q->src}, {DNNL_ARG_DST, q->dst}, {DNNL_ARG_WORKSPACE, q->ws}};
        if (dnnl_primitive_execute(q->pool, s, q->ws ? 3 : 2, pargs) != dnnl_success)
            return -1;
        dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, q->sub}, {DNNL_ARG_TO, q->out}};
        if (dnnl_primitive_execute(q->reorder, s, 2, rargs) != dnnl_success)
            return -1;
    }
    return dnnl_stream_wait(s) == dnnl_success ? 0 : -1;
}

static int pipeline_backward(pipeline *pp, dnnl_stream_t s)
{
    for (int l = 0; l < pp->nlevels; l++) {
        level_prims *q = &pp->lv[l];
        dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, q->dy_view}, {DNNL_ARG_TO, q->ddst_sub}};
        if (dnnl_primitive_execute(q->split, s, 2, rargs) != dnnl_success)
            return -1;
        dnnl_exec_arg_t bargs[3] = {{DNNL_ARG_DIFF_DST, q->ddst},
                                    {DNNL_ARG_DIFF_SRC, q->dsrc},
                                    {DNNL_ARG_WORKSPACE, q->ws}};
        if (dnnl_primitive_execute(q->pool_bwd, s, q->ws ? 3 : 2, bargs) != dnnl_success)
            return -1;
    }
    if (pp->sum) {
        dnnl_exec_arg_t sargs[SPP_MAX_LEVELS + 1];
        for (int l = 0; l < pp->nlevels; l++)
            sargs[l] = (dnnl_exec_arg_t){DNNL_ARG_MULTIPLE_SRC + l, pp->sum_src[l]};
        sargs[pp->nlevels] = (dnnl_exec_arg_t){DNNL_ARG_DST, pp->sum_src[0]}; /* in place */
        if (dnnl_primitive_execute(pp->sum, s, pp->nlevels + 1, sargs) != dnnl_success)
            return -1;
    }
    return dnnl_stream_wait(s) == dnnl_success ? 0 : -1;
}

/* One timed iteration of the point's direction. */
static int pipeline_step(pipeline *pp, dnnl_stream_t s, int dir)
{
    if (dir != 1 && pipeline_forward(pp, s) != 0)
        return -1;
    return dir == 0 ? 0 : pipeline_backward(pp, s);
}

/* Max: bitwise. Avg: the docs/spec.md#3-max-and-avg bound against naive (double accumulation, so within one
 * float rounding of exact). Reports the first mismatch with its coordinates. */
static int check_output(const point *pt, const spp_plan *plan, const float *x, const float *got,
                        const float *want)
{
    const spp_problem *p = &pt->p;
    for (int64_t b = 0; b < p->n; b++)
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &plan->lv[l];
            for (int64_t c = 0; c < p->c; c++)
                for (int i = 0; i < lv->n; i++)
                    for (int j = 0; j < lv->n; j++) {
                        const int64_t o = b * plan->out_per_sample + lv->out_offset +
                                          c * lv->n * lv->n + (int64_t)i * lv->n + j;
                        const float g = got[o], w = want[o];
                        int bad;
                        double tol = 0;
                        if (p->pool == SPP_POOL_MAX) {
                            bad = memcmp(&g, &w, sizeof g) != 0;
                        } else {
                            const spp_interval r = lv->rows[i], q = lv->cols[j];
                            double asum = 0;
                            for (int64_t h = r.start; h < r.end; h++)
                                for (int64_t x_ = q.start; x_ < q.end; x_++) {
                                    const int64_t idx =
                                        p->layout == SPP_LAYOUT_NCHW
                                            ? ((b * p->c + c) * p->h + h) * p->w + x_
                                            : ((b * p->h + h) * p->w + x_) * p->c + c;
                                    asum += fabs((double)x[idx]);
                                }
                            const double count =
                                (double)(r.end - r.start) * (double)(q.end - q.start);
                            tol = 4.0 * count * ldexp(1.0, -24) * asum / (double)(r.div * q.div) +
                                  fabs((double)w) * ldexp(1.0, -24);
                            bad = !(fabs((double)g - (double)w) <= tol);
                        }
                        if (bad) {
                            fprintf(stderr,
                                    PFX "%s: CHECK FAILED vs naive at [b=%ld,c=%ld,"
                                    "level=%d,i=%d,j=%d]: expected %.9g got %.9g (tol %.3g); "
                                    "no row emitted\n",
                                    pt->problem, (long)b, (long)c, lv->n, i, j, (double)w,
                                    (double)g, tol);
                            return -1;
                        }
                    }
        }
    return 0;
}

/* dx vs naive's dx: both sum up to m = 4 * levels terms per element in different orders
 * (a sppnet window overlaps at most one neighbour per axis), each within 2m roundings of the
 * exact sum, so |dx - dxref| <= 8 m 2^-24 sum|terms|, sum|terms| being naive's dx of |dy|. */
static int check_grad(const point *pt, const float *dx, const float *dxref, const float *dxabs,
                      int64_t nin)
{
    const double m = 4.0 * pt->p.nlevels;
    for (int64_t i = 0; i < nin; i++) {
        const double tol = 8.0 * m * ldexp(1.0, -24) * (double)dxabs[i];
        if (!(fabs((double)dx[i] - (double)dxref[i]) <= tol)) {
            fprintf(stderr,
                    PFX "%s %s: CHECK FAILED vs naive backward at input element "
                    "%ld: expected %.9g got %.9g (tol %.3g); no row emitted\n",
                    pt->problem, pt->direction, (long)i, (double)dxref[i], (double)dx[i], tol);
            return -1;
        }
    }
    return 0;
}

static void emit_row(strbuf *js, int *first, const char *name, const char *run_type,
                     const char *agg, int reps, int rep_index, int64_t iters, double real,
                     double cpu, double in_bytes, const char *label)
{
    sb_printf(js, "%s\n    {\n      \"name\": \"%s%s%s\",\n      \"run_name\": \"%s\",\n"
                  "      \"run_type\": \"%s\",\n      \"repetitions\": %d,\n",
              *first ? "" : ",", name, agg ? "_" : "", agg ? agg : "", name, run_type, reps);
    if (!agg)
        sb_printf(js, "      \"repetition_index\": %d,\n", rep_index);
    sb_printf(js, "      \"threads\": 1,\n");
    if (agg)
        sb_printf(js, "      \"aggregate_name\": \"%s\",\n      \"aggregate_unit\": \"%s\",\n", agg,
                  strcmp(agg, "cv") ? "time" : "percentage");
    sb_printf(js, "      \"iterations\": %ld,\n      \"real_time\": %.17g,\n"
                  "      \"cpu_time\": %.17g,\n      \"time_unit\": \"ns\",\n"
                  "      \"in_bytes\": %.17g,\n      \"label\": \"%s\"\n    }",
              (long)iters, real, cpu, in_bytes, label);
    *first = 0;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(const double *v, int n)
{
    double *s = malloc((size_t)n * sizeof *s);
    if (!s)
        return NAN;
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    const double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return m;
}

/* mean, median, stddev (sample, n-1 as GB), cv = stddev/mean, like Google Benchmark. */
static void stats(const double *v, int n, double out[4])
{
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++)
        mean += v[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (v[i] - mean) * (v[i] - mean);
    var = n > 1 ? var / (n - 1) : 0;
    out[0] = mean;
    out[1] = median_of(v, n);
    out[2] = sqrt(var);
    out[3] = mean != 0 ? out[2] / mean : 0;
}

/* Fixed-seed uniform floats in [-1, 1): every run times the same data. */
static void fill(float *x, int64_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (int64_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = (float)((double)(s >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
    }
}

static void cpu_model(char *out, size_t cap)
{
    snprintf(out, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            if (c) {
                c++;
                while (*c == ' ')
                    c++;
                c[strcspn(c, "\n")] = 0;
                snprintf(out, cap, "%s", c);
            }
            break;
        }
    fclose(f);
}

/* JSON string content: the strings written here come from oneDNN and /proc, escape anyway. */
static void json_clean(char *s)
{
    for (; *s; s++)
        if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
            *s = '_';
}

/* Adds "<what>=<impl>" to the comma-separated list unless it is there already. */
static void add_impl(char *list, size_t cap, const char *what, const char *impl)
{
    char item[200];
    snprintf(item, sizeof item, "%s=%s", what, impl);
    json_clean(item);
    const size_t n = strlen(item);
    for (const char *s = list; *s;) {
        const size_t len = strcspn(s, ",");
        if (len == n && !strncmp(s, item, n))
            return;
        s += len;
        s += strspn(s, ", ");
    }
    const size_t used = strlen(list);
    if (used + n + 3 < cap)
        snprintf(list + used, cap - used, "%s%s", used ? ", " : "", item);
}

/* One point kept alive across the phases of main: its buffers, plan and primitives, and the
 * repetitions' times. */
typedef struct {
    const point *pt;
    spp_plan plan;
    pipeline pp;
    int dir, ok;
    float *x, *y, *yref, *dy, *dx, *dxref, *dyabs, *dxabs;
    int32_t *am;
    int64_t iters;
    double *real, *cpu, *rate;
} live;

static void live_free(live *L)
{
    pipeline_free(&L->pp);
    spp_free(L->x), spp_free(L->y), free(L->yref);
    spp_free(L->dy), spp_free(L->dx), free(L->dxref), free(L->dyabs), free(L->dxabs), free(L->am);
    free(L->real), free(L->cpu), free(L->rate);
    L->x = L->y = L->yref = L->dy = L->dx = L->dxref = L->dyabs = L->dxabs = NULL;
    L->am = NULL;
    L->real = L->cpu = L->rate = NULL;
}

/* Buffers, primitives, one execution checked against naive (output; gradient for bwd and
 * fwdbwd). 0 when the point can be timed; else a message on stderr. */
static int live_setup(live *L, int k, long reps, dnnl_engine_t eng, dnnl_stream_t stream,
                      const spp_kernel *naive)
{
    const point *pt = L->pt;
    const spp_problem *p = &pt->p;
    spp_error e;
    L->dir = !strcmp(pt->direction, "fwd") ? 0 : !strcmp(pt->direction, "bwd") ? 1 : 2;
    if (spp_plan_init(&L->plan, p, &e) != SPP_OK) {
        fprintf(stderr, PFX "%s: %s\n", pt->problem, e.msg);
        return -1;
    }
    const int64_t nin = spp_input_elems(p), nout = spp_output_elems(p);
    L->x = spp_alloc((size_t)nin * 4);
    L->y = spp_alloc((size_t)nout * 4);
    L->yref = malloc((size_t)nout * 4);
    L->real = malloc((size_t)reps * sizeof *L->real);
    L->cpu = malloc((size_t)reps * sizeof *L->cpu);
    L->rate = malloc((size_t)reps * sizeof *L->rate);
    /* backward only: dy, dx (oneDNN), and naive's dx, |dy| and dx of |dy| for the bound */
    if (L->dir) {
        L->dy = spp_alloc((size_t)nout * 4);
        L->dx = spp_alloc((size_t)nin * 4);
        L->dxref = malloc((size_t)nin * 4);
        L->dxabs = malloc((size_t)nin * 4);
        L->dyabs = malloc((size_t)nout * 4);
        L->am = malloc((size_t)nout * 4);
    }
    if (!L->x || !L->y || !L->yref || !L->real || !L->cpu || !L->rate ||
        (L->dir && !(L->dy && L->dx && L->dxref && L->dxabs && L->dyabs && L->am))) {
        fprintf(stderr, PFX "%s: out of memory\n", pt->problem);
        return -1;
    }
    fill(L->x, nin, (uint64_t)k + 1);
    memset(L->y, 0xff, (size_t)nout * 4); /* NaN: a bin the pipeline misses cannot pass */
    if (L->dir) {
        fill(L->dy, nout, (uint64_t)k + 7777);
        for (int64_t i = 0; i < nout; i++)
            L->dyabs[i] = fabsf(L->dy[i]);
        memset(L->dx, 0xff, (size_t)nin * 4);
    }
    omp_set_num_threads(pt->threads);
    if (pipeline_build(&L->pp, pt, &L->plan, eng, L->x, L->y, L->dy, L->dx) != 0 ||
        pipeline_step(&L->pp, stream, L->dir ? 2 : 0) != 0) {
        fprintf(stderr, PFX "%s: oneDNN setup or execution failed\n", pt->problem);
        return -1;
    }
    if (spp_forward(naive, p, L->x, L->yref, L->am, 1, &e) != SPP_OK) {
        fprintf(stderr, PFX "%s: naive failed: %s\n", pt->problem, e.msg);
        return -1;
    }
    if (check_output(pt, &L->plan, L->x, L->y, L->yref) != 0)
        return -1;
    if (L->dir && (spp_backward(naive, p, L->dy, L->am, L->dxref, 1, &e) != SPP_OK ||
                   spp_backward(naive, p, L->dyabs, L->am, L->dxabs, 1, &e) != SPP_OK)) {
        fprintf(stderr, PFX "%s: naive backward failed: %s\n", pt->problem, e.msg);
        return -1;
    }
    if (L->dir && check_grad(pt, L->dx, L->dxref, L->dxabs, nin) != 0)
        return -1;
    return 0;
}

/* One batch of L->iters iterations: its real and (cpu, when asked) time in ns. */
static int live_batch(live *L, dnnl_stream_t stream, double *real, double *cpu)
{
    const double c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), t0 = now_ns(CLOCK_MONOTONIC);
    for (int64_t it = 0; it < L->iters; it++)
        if (pipeline_step(&L->pp, stream, L->dir) != 0)
            return -1;
    const double t1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    *real = t1 - t0;
    if (cpu)
        *cpu = c1 - c0;
    return 0;
}

int main(int argc, char **argv)
{
    const char *points_path = NULL, *out_path = NULL;
    long reps = -1;
    double min_time = 0.1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) {
            char m[300];
            snprintf(m, sizeof m, "%.200s: missing value (or unknown argument)", a);
            usage_exit(m);
        }
        const char *v = argv[++i];
        char *end;
        if (!strcmp(a, "--points"))
            points_path = v;
        else if (!strcmp(a, "--out"))
            out_path = v;
        else if (!strcmp(a, "--repetitions")) {
            errno = 0;
            reps = strtol(v, &end, 10);
            if (errno || *end || reps < 1 || reps > 1000) {
                fprintf(stderr,
                        PFX "--repetitions %s: expected an integer 1..1000\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--min-time")) {
            errno = 0;
            min_time = strtod(v, &end);
            if (errno || *end || !(min_time > 0 && min_time <= 100)) {
                fprintf(stderr,
                        PFX "--min-time %s: expected seconds in (0, 100]\n", v);
                return 2;
            }
        } else {
            char m[300];
            snprintf(m, sizeof m, "%.200s: unknown argument", a);
            usage_exit(m);
        }
    }
    if (!points_path || !out_path || reps < 0)
        usage_exit("--points, --repetitions and --out are required");

    static point pts[MAX_POINTS];
    const int npts = read_points(points_path, pts);

    dnnl_engine_t eng;
    dnnl_stream_t stream;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&stream, eng, dnnl_stream_default_flags) != dnnl_success) {
        fprintf(stderr, PFX "cannot create the oneDNN CPU engine\n");
        return 1;
    }
    const dnnl_version_t *ver = dnnl_version();
    const spp_kernel *naive = spp_kernel_find("naive");
    if (!naive) {
        fprintf(stderr, PFX "libspp has no 'naive' kernel to check against\n");
        return 1;
    }

    /* Phase 1: every sppnet point set up and checked against naive; the live ones are kept
     * (buffers and primitives) so that their repetitions can alternate. */
    live *lv = calloc((size_t)(npts > 0 ? npts : 1), sizeof *lv);
    if (!lv) {
        fprintf(stderr, PFX "out of memory\n");
        return 1;
    }
    int failures = 0, timed = 0;
    for (int k = 0; k < npts; k++) {
        lv[k].pt = &pts[k];
        if (pts[k].p.bins != SPP_BINS_SPPNET) {
            if (pts[k].infer) /* its fwd point said so already */
                continue;
            fprintf(stderr, PFX "skip %s: only the sppnet convention has a oneDNN "
                            "equivalent\n", pts[k].problem);
            continue;
        }
        if (live_setup(&lv[k], k, reps, eng, stream, naive) == 0)
            lv[k].ok = 1;
        else
            failures++, live_free(&lv[k]);
    }

    /* Phase 2: each live point's iteration count grows until one batch takes >= min_time (this
     * also warms up caches and oneDNN's JIT). */
    for (int k = 0; k < npts; k++) {
        live *L = &lv[k];
        if (!L->ok)
            continue;
        omp_set_num_threads(L->pt->threads);
        L->iters = 1;
        for (;;) {
            double dt;
            if (live_batch(L, stream, &dt, NULL) != 0) {
                fprintf(stderr, PFX "%s: execution failed while calibrating\n",
                        L->pt->problem);
                L->ok = 0;
                failures++;
                break;
            }
            if (dt * 1e-9 >= min_time || L->iters >= (1ll << 40))
                break;
            double grow = dt > 0 ? 1.4 * min_time / (dt * 1e-9) : 10.0;
            grow = grow < 2 ? 2 : grow > 10 ? 10 : grow;
            L->iters = (int64_t)ceil((double)L->iters * grow);
        }
    }

    /* Phase 3: R repetitions round-robin, repetition r of every point before r + 1 of any: a
     * burst of this shared machine's noise then hits one repetition of several points, not
     * every repetition of one (as spp-bench's random interleaving and peer_timing.py). */
    for (long r = 0; r < reps; r++)
        for (int k = 0; k < npts; k++) {
            live *L = &lv[k];
            if (!L->ok)
                continue;
            omp_set_num_threads(L->pt->threads);
            double real, cpu;
            if (live_batch(L, stream, &real, &cpu) != 0) {
                fprintf(stderr, PFX "%s: execution failed while timing\n",
                        L->pt->problem);
                L->ok = 0;
                failures++;
                continue;
            }
            L->real[r] = real / (double)L->iters;
            L->cpu[r] = cpu / (double)L->iters;
            L->rate[r] = (double)spp_input_elems(&L->pt->p) * 4.0 / (L->real[r] * 1e-9);
        }

    /* Phase 4: rows, in the points' order. */
    strbuf rows = {0};
    int first = 1;
    char impls[2048] = ""; /* the implementations oneDNN dispatched, over every timed point */
    for (int k = 0; k < npts; k++) {
        live *L = &lv[k];
        if (L->ok) {
            const point *pt = L->pt;
            char name[300], label[600] = "";
            snprintf(name, sizeof name, PEER_NAME "/%s/t%d%s%s", pt->problem, pt->threads,
                     L->dir || pt->infer ? "/" : "",
                     L->dir ? pt->direction : pt->infer ? "infer" : "");
            for (int l = 0; l < L->pp.nlevels; l++) {
                size_t used = strlen(label);
                snprintf(label + used, sizeof label - used, "%sl%d:%s%s%s", l ? " " : "",
                         L->plan.lv[l].n, L->dir == 1 ? L->pp.lv[l].impl_bwd : L->pp.lv[l].impl,
                         L->dir == 2 ? "+" : "", L->dir == 2 ? L->pp.lv[l].impl_bwd : "");
            }
            json_clean(label);
            /* the distinct implementations, for the context */
            for (int l = 0; l < L->pp.nlevels; l++)
                for (int b = 0; b < 2; b++)
                    if (b ? L->dir != 0 : L->dir != 1) {
                        const level_prims *q = &L->pp.lv[l];
                        add_impl(impls, sizeof impls, b ? "bwd" : L->pt->infer ? "infer" : "fwd",
                                 b ? q->impl_bwd : q->impl);
                        add_impl(impls, sizeof impls, b ? "reorder_split" : "reorder_concat",
                                 b ? q->impl_split : q->impl_cat);
                        if (b && L->pp.sum)
                            add_impl(impls, sizeof impls, "sum", L->pp.impl_sum);
                    }
            for (long r = 0; r < reps; r++)
                emit_row(&rows, &first, name, "iteration", NULL, (int)reps, (int)r, L->iters,
                         L->real[r], L->cpu[r], L->rate[r], label);
            double sr[4], sc[4], sb[4];
            stats(L->real, (int)reps, sr);
            stats(L->cpu, (int)reps, sc);
            stats(L->rate, (int)reps, sb);
            static const char *agg[4] = {"mean", "median", "stddev", "cv"};
            for (int a = 0; a < 4; a++)
                emit_row(&rows, &first, name, "aggregate", agg[a], (int)reps, 0, reps, sr[a],
                         sc[a], sb[a], label);
            timed++;
            fprintf(stderr, PFX "%s t%d %s: checked vs naive, median %.4g ns (%s)\n",
                    pt->problem, pt->threads, pt->infer ? "infer" : pt->direction, sr[1], label);
        }
        live_free(L);
    }
    free(lv);

    char host[256] = "unknown", cpu[256], date[64];
    gethostname(host, sizeof host - 1);
    cpu_model(cpu, sizeof cpu);
    json_clean(host);
    json_clean(cpu);
    time_t tnow = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S+00:00", gmtime(&tnow));
    char hash[64];
    snprintf(hash, sizeof hash, "%s", ver->hash ? ver->hash : "unknown");
    json_clean(hash);
    strbuf js = {0};
    sb_printf(&js,
              "{\n  \"context\": {\n    \"date\": \"%s\",\n    \"host_name\": \"%s\",\n"
              "    \"executable\": \"spp-peer-" PEER_NAME "\",\n    \"num_cpus\": %ld,\n"
              "    \"cpu_model\": \"%s\",\n    \"peer\": \"" PEER_NAME "\",\n"
              "    \"onednn_version\": \"%d.%d.%d\",\n    \"onednn_hash\": \"%s\",\n"
              "    \"onednn_cpu_runtime\": \"%s\",\n    \"onednn_impls\": \"%s\",\n"
              "    \"repetitions\": %ld,\n    \"min_time_s\": %g,\n"
              "    \"repetition_order\": \"round-robin over this call's points\",\n"
              "    \"timing\": \"real: CLOCK_MONOTONIC, cpu: CLOCK_PROCESS_CPUTIME_ID, per "
              "iteration; one iteration = every level's pooling + reorder into the concatenated "
              "output\"\n  },\n  \"benchmarks\": [",
              date, host, sysconf(_SC_NPROCESSORS_ONLN), cpu, ver->major, ver->minor, ver->patch,
              hash, ver->cpu_runtime == DNNL_RUNTIME_OMP ? "omp" : "other", impls, reps,
              min_time);
    sb_printf(&js, "%s\n  ]\n}\n", rows.len ? rows.buf : "");

    /* Atomic write: temp file in the output's directory, then rename. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, PFX "--out %s: cannot write %s: %s\n", out_path, tmp,
                strerror(errno));
        return 2;
    }
    const int werr = fwrite(js.buf, 1, js.len, f) != js.len;
    if (fclose(f) != 0 || werr || rename(tmp, out_path) != 0) {
        fprintf(stderr, PFX "--out %s: write failed: %s\n", out_path, strerror(errno));
        unlink(tmp);
        return 1;
    }
    fprintf(stderr, PFX "%d point(s) timed, %d failed, wrote %s\n", timed, failures,
            out_path);
    free(rows.buf);
    free(js.buf);
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    return failures ? 1 : 0;
}
