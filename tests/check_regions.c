/* spp-check's region cases (docs/testing.md#the-c-driver): every region kernel of
 * kernels/regions.inc but the reference roi__naive, against roi__naive.
 *
 * Maps: each problem of the shapes files with its N dropped (C, H, W, levels, pool, convention,
 * layout; duplicates once), so the edge shapes (H < n, H = 1, channel tails, 64 levels...) are
 * region maps too; C above 64 becomes 32 + C % 32 (REGION_MAX_C). Boxes come in two sets per map, generated from its size and largest level:
 *   edges  single cells at the four corners and the centre, one-cell strips along each edge,
 *          bands of the largest level's thickness along each edge, corner squares, two small
 *          seeded boxes: on all but the smallest maps too few map reads for the NHWC kernels to
 *          build their per-call max table;
 *   dense  the full map twice (repeated), four overlapping 60% boxes touching the edges, seeded
 *          boxes with one repeated, and the full map again until the boxes cover the map at
 *          least 4 times: the area at which the NHWC kernels build their max table.
 * A candidate box the convention rejects (sppnet and caffe reject small boxes) is not pooled:
 * every kernel must reject it with SPP_ERR_CONVENTION naming it and the convention, forward and
 * backward, writing nothing; a box past the map's edge likewise with SPP_ERR_ARG.
 * A case is (region kernel, map, thread count); per box set, the five fills (FILL_NAMES: the
 * whole-map four and neginf, -inf without NaN) run aligned and offset by one float, and each run
 * checks what a whole-map run checks: forward with argmax (max: y and argmax bitwise, avg within
 * the bound), forward with argmax=NULL (max), backward from roi__naive's argmax (dx within the
 * bound), guards around every buffer (the boxes too), unchanged inputs, garbage-prefilled
 * outputs, bitwise determinism against the kernel's first run (1 thread, aligned).
 * The reference is checked too: on the full-map box roi__naive must give naive's whole-map SPP
 * bitwise, and a map whose reference outputs are mostly zero fails (check_informative). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_common.h"

#define MAXBOX 48  /* boxes in one set */
#define MAXBAD 2   /* convention-rejected boxes checked per map */
#define NSETS 2
/* Region maps keep at most this many channels: every box re-reads the map per level in the
 * reference, so the workloads' 128 and 256 channels would cost most of the driver's time while
 * the region kernels' channel logic (32-channel chunks, 8-channel thread ranges, tails) is
 * exercised by 33 to 64 as well. */
#define REGION_MAX_C 64

static const char *const SET_NAMES[NSETS] = {"edges", "dense"};

typedef struct {
    spp_region_problem rp;
    spp_problem mp; /* the same map as a whole-map problem with N = 1: fills, indexing */
    char str[160];
    const char *label;
    spp_box set[NSETS][MAXBOX];
    int nset[NSETS];
    spp_box bad[MAXBAD + 1]; /* convention-rejected boxes, then one past the map's edge */
    spp_status bad_st[MAXBAD + 1];
    int nbad;
} rmap;

typedef struct {
    gbuf x, y, am, dy, amin, dx, bx;
} rbufs;

typedef struct {
    float *y, *dx;
    int32_t *am;
} routs; /* a kernel's first run, the determinism baseline */

const spp_region_kernel *const *spp_check_extra_region_kernels(void) __attribute__((weak));

int region_kernel_known(const char *name)
{
    if (spp_region_kernel_find(name))
        return 1;
    if (spp_check_extra_region_kernels)
        for (const spp_region_kernel *const *e = spp_check_extra_region_kernels(); *e; e++)
            if (strcmp((*e)->name, name) == 0)
                return 1;
    return 0;
}

int region_kernels_checked(void)
{
    int n = spp_region_kernel_count() - 1;
    if (spp_check_extra_region_kernels)
        for (const spp_region_kernel *const *e = spp_check_extra_region_kernels(); *e; e++)
            n++;
    return n;
}

/* ------------------------------------------------------------------ boxes ------- */

static int64_t area_of(const spp_box *b, int n)
{
    int64_t a = 0;
    for (int i = 0; i < n; i++)
        a += (int64_t)(b[i].x1 - b[i].x0) * (b[i].y1 - b[i].y0);
    return a;
}

/* Adds box (x0, y0, x1, y1), clamped to the map, to set s if the convention takes it; keeps a
 * rejected one (up to MAXBAD) for the rejection checks. */
static void offer(rmap *m, int s, int64_t x0, int64_t y0, int64_t x1, int64_t y1)
{
    const int64_t W = m->rp.w, H = m->rp.h;
    x0 = x0 < 0 ? 0 : x0 >= W ? W - 1 : x0;
    y0 = y0 < 0 ? 0 : y0 >= H ? H - 1 : y0;
    x1 = x1 <= x0 ? x0 + 1 : x1 > W ? W : x1;
    y1 = y1 <= y0 ? y0 + 1 : y1 > H ? H : y1;
    const spp_box b = {(int32_t)x0, (int32_t)y0, (int32_t)x1, (int32_t)y1};
    spp_error err;
    const spp_status st = spp_region_validate_boxes(&m->rp, &b, 1, &err);
    if (st == SPP_OK) {
        if (m->nset[s] < MAXBOX)
            m->set[s][m->nset[s]++] = b;
        return;
    }
    if (st != SPP_ERR_CONVENTION)
        die("region map %s: generated box (%d,%d,%d,%d): %s", m->str, b.x0, b.y0, b.x1, b.y1,
            err.msg);
    for (int i = 0; i < m->nbad; i++)
        if (m->bad_st[i] == st && (m->bad[i].x1 - m->bad[i].x0 == b.x1 - b.x0) &&
            (m->bad[i].y1 - m->bad[i].y0 == b.y1 - b.y0))
            return; /* the same size: the same rejection */
    if (m->nbad < MAXBAD) {
        m->bad[m->nbad] = b;
        m->bad_st[m->nbad++] = st;
    }
}

static void make_boxes(rmap *m, uint32_t seed)
{
    const int64_t W = m->rp.w, H = m->rp.h;
    int L = 1;
    for (int l = 0; l < m->rp.nlevels; l++)
        L = m->rp.levels[l] > L ? m->rp.levels[l] : L;
    /* edges */
    offer(m, 0, 0, 0, 1, 1), offer(m, 0, W - 1, 0, W, 1);
    offer(m, 0, 0, H - 1, 1, H), offer(m, 0, W - 1, H - 1, W, H);
    offer(m, 0, W / 2, H / 2, W / 2 + 1, H / 2 + 1);
    offer(m, 0, 0, 0, W, 1), offer(m, 0, 0, H - 1, W, H);
    offer(m, 0, 0, 0, 1, H), offer(m, 0, W - 1, 0, W, H);
    offer(m, 0, 0, 0, W, L), offer(m, 0, 0, H - L, W, H);
    offer(m, 0, 0, 0, L, H), offer(m, 0, W - L, 0, W, H);
    offer(m, 0, 0, 0, L + 1, L + 1), offer(m, 0, W - L - 1, H - L - 1, W, H);
    for (int i = 0; i < 2; i++) {
        const uint32_t h = mix((uint64_t)i, seed);
        const int64_t bw = 1 + (int64_t)(h % (uint32_t)(L + 2)),
                      bh = 1 + (int64_t)((h >> 8) % (uint32_t)(L + 2));
        const int64_t x0 = (int64_t)((h >> 16) % (uint32_t)W),
                      y0 = (int64_t)((h >> 24) % (uint32_t)H);
        offer(m, 0, x0, y0, x0 + bw, y0 + bh);
    }
    /* dense */
    const int64_t w6 = (W * 3 + 4) / 5, h6 = (H * 3 + 4) / 5;
    offer(m, 1, 0, 0, W, H), offer(m, 1, 0, 0, W, H);
    offer(m, 1, 0, 0, W, h6), offer(m, 1, 0, H - h6, W, H);
    offer(m, 1, 0, 0, w6, H), offer(m, 1, W - w6, 0, W, H);
    spp_box rnd[3];
    for (int i = 0; i < 3; i++) {
        const uint32_t h = mix((uint64_t)i + 7, seed), g = mix((uint64_t)i + 11, seed);
        const int64_t x0 = (int64_t)(h % (uint32_t)W), y0 = (int64_t)(g % (uint32_t)H);
        const int64_t x1 = x0 + 1 + (int64_t)((h >> 12) % (uint32_t)(W - x0));
        const int64_t y1 = y0 + 1 + (int64_t)((g >> 12) % (uint32_t)(H - y0));
        rnd[i] = (spp_box){(int32_t)x0, (int32_t)y0, (int32_t)x1, (int32_t)y1};
        offer(m, 1, x0, y0, x1, y1);
    }
    offer(m, 1, rnd[0].x0, rnd[0].y0, rnd[0].x1, rnd[0].y1); /* repeated, not adjacent */
    while (m->nset[1] < MAXBOX && area_of(m->set[1], m->nset[1]) < 4 * W * H)
        offer(m, 1, 0, 0, W, H);
    /* past the right edge: the coordinate rule, before any convention */
    m->bad[m->nbad] = (spp_box){0, 0, (int32_t)W + 1, (int32_t)H};
    m->bad_st[m->nbad++] = SPP_ERR_ARG;
}

/* ------------------------------------------------------------------ reference --- */

static void ry_coord(const void *cc, int64_t o, char *buf)
{
    const spp_region_plan *pl = cc;
    const int64_t r = o / pl->out_per_region;
    int64_t q = o % pl->out_per_region;
    int l = 0;
    while (l + 1 < pl->p.nlevels && q >= pl->out_offset[l + 1])
        l++;
    const int64_t n = pl->p.levels[l];
    q -= pl->out_offset[l];
    const spp_box b = pl->boxes[r];
    sprintf(buf, "[box %lld (%d,%d,%d,%d), c %lld, level %d, bin %lld,%lld]", (long long)r,
            b.x0, b.y0, b.x1, b.y1, (long long)(q / (n * n)), l, (long long)(q % (n * n) / n),
            (long long)(q % n));
}

/* roi__naive's outputs and the per-element tolerances (as the whole-map ones, per box). */
static int make_ref(ref_t *R, const rmap *m, const spp_region_plan *pl, int fill, uint32_t seed,
                    char *errbuf)
{
    const spp_region_problem *p = &m->rp;
    const int64_t nb = pl->nboxes, nx = spp_region_map_elems(p),
                  ny = spp_region_output_elems(p, nb);
    const int max = p->pool == SPP_POOL_MAX;
    ref_alloc(R, nx, ny);
    int32_t *cnt = calloc((size_t)nx, sizeof(int32_t));
    if (!cnt)
        die("out of memory for references of %lld inputs", (long long)nx);
    make_x(fill, &m->mp, seed, R->x);
    make_dy(fill, ny, seed, R->dy);
    const spp_region_kernel *ref = spp_region_kernel_at(0);
    spp_error err;
    if (spp_region_forward(ref, p, pl->boxes, nb, R->x, R->y, max ? R->am : NULL, 1, &err) !=
            SPP_OK ||
        spp_region_backward(ref, p, pl->boxes, nb, R->dy, max ? R->am : NULL, R->dx, 1, &err) !=
            SPP_OK) {
        snprintf(errbuf, 300, "%s failed: %s", ref->name, err.msg);
        free(cnt);
        return -1;
    }
    double *sumabs = R->dxtol; /* sum|terms| first, the bound after (ref_finish) */
    for (int64_t r = 0; r < nb; r++)
        for (int l = 0; l < p->nlevels; l++) {
            const int n = p->levels[l];
            const spp_interval *rows = pl->iv + r * pl->iv_per_box + pl->iv_offset[l];
            const spp_interval *cols = rows + n;
            for (int64_t c = 0; c < p->c; c++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        const spp_interval q = rows[i], s = cols[j];
                        const int64_t o = r * pl->out_per_region + pl->out_offset[l] +
                                          c * n * n + (int64_t)i * n + j;
                        if (max) {
                            const int64_t a = R->am[o], h = a / p->w, w = a % p->w;
                            if (a < 0 || h < q.start || h >= q.end || w < s.start || w >= s.end) {
                                sprintf(errbuf, "%s argmax %lld outside its bin", ref->name,
                                        (long long)a);
                                free(cnt);
                                return -1;
                            }
                            const int64_t k = xi(&m->mp, 0, c, h, w);
                            sumabs[k] += fabs((double)R->dy[o]);
                            cnt[k]++;
                            continue;
                        }
                        const double div = (double)(q.div * s.div);
                        const double g = fabs((double)R->dy[o]) / div;
                        double sum = 0;
                        int finite = 1;
                        for (int64_t h = q.start; h < q.end; h++)
                            for (int64_t w = s.start; w < s.end; w++) {
                                const int64_t k = xi(&m->mp, 0, c, h, w);
                                finite &= isfinite(R->x[k]) != 0;
                                sum += fabs((double)R->x[k]);
                                sumabs[k] += g;
                                cnt[k]++;
                            }
                        const double count = (double)((q.end - q.start) * (s.end - s.start));
                        R->ytol[o] = avg_tol(count, sum, div, finite, R->y[o]);
                    }
        }
    ref_finish(R, max, nx, ny, cnt);
    free(cnt);
    /* the reference's own check: a full-map box is the whole-map SPP, so roi__naive's row of
     * it must be naive's output bit for bit (the same arithmetic in the same order) */
    const spp_kernel *naive = spp_kernel_find("naive");
    for (int64_t r = 0; naive && r < nb; r++) {
        const spp_box b = pl->boxes[r];
        if (b.x0 || b.y0 || b.x1 != p->w || b.y1 != p->h)
            continue;
        const int64_t per = pl->out_per_region;
        float *y = malloc((size_t)per * 4);
        int32_t *am = malloc((size_t)per * 4);
        if (!y || !am)
            die("out of memory");
        int bad = spp_forward(naive, &m->mp, R->x, y, max ? am : NULL, 1, &err) != SPP_OK;
        for (int64_t o = 0; !bad && o < per; o++)
            bad = fbits(y[o]) != fbits(R->y[r * per + o]) || (max && am[o] != R->am[r * per + o]);
        free(y), free(am);
        if (bad) {
            sprintf(errbuf, "%s on the full-map box %lld differs from naive's whole-map SPP",
                    ref->name, (long long)r);
            return -1;
        }
        break;
    }
    return 0;
}

/* ------------------------------------------------------------------ one run ----- */

/* The region operation of a case: k with `threads`, path `force` forced (-1: none); NULL with
 * the message in err when creation or the force fails. */
static spp_region_op *case_op(const spp_region_kernel *k, const spp_region_problem *p,
                              int threads, int force, spp_error *err)
{
    spp_region_op *op = NULL;
    if (spp_region_op_create(&op, k, p, threads, err) != SPP_OK)
        return NULL;
    if (force >= 0 && spp_region_op_force_path(op, k->paths[force].name, err) != SPP_OK) {
        spp_region_op_destroy(op);
        return NULL;
    }
    return op;
}

/* The path each pass takes on a box set's plan (NULL for a pass the problem lacks); -1 when
 * the forced path is not valid for a pass it serves. */
static int set_paths(const spp_region_kernel *k, const spp_region_plan *pl, int threads,
                     int force, const char *ran[SPP_NPASSES])
{
    const unsigned passes = pl->p.pool == SPP_POOL_MAX ? SPP_PASSES_ALL
                            : SPP_PASS_BIT(SPP_PASS_FORWARD) | SPP_PASS_BIT(SPP_PASS_BACKWARD);
    if (force >= 0 && !(k->paths[force].passes & passes))
        return -1;
    for (int s = 0; s < SPP_NPASSES; s++) {
        ran[s] = NULL;
        if (!(passes & SPP_PASS_BIT(s)))
            continue;
        const int i = spp_region_kernel_path(k, pl, threads, (spp_pass)s, force);
        if (i < 0 || i >= k->npaths)
            return -1;
        ran[s] = k->paths[i].name;
    }
    return 0;
}

static void run_one(case_res *r, const spp_region_kernel *k, int force, const rmap *m,
                    const spp_region_plan *pl, int set, int fill, int threads, int off,
                    rbufs *B, const ref_t *R, routs *baseline, const routs *first)
{
    const spp_region_problem *p = &m->rp;
    const int max = p->pool == SPP_POOL_MAX;
    const int64_t nb = pl->nboxes, nx = spp_region_map_elems(p),
                  ny = spp_region_output_elems(p, nb);
    char ctx[128];
    snprintf(ctx, sizeof ctx, "%s boxes, %s t%d %s%s", SET_NAMES[set], FILL_NAMES[fill], threads,
             off ? "+4B" : "aligned", baseline ? " (first run)" : "");
    spp_error err;
    r->ran++;
    spp_region_op *op = case_op(k, p, threads, force, &err);
    if (!op) {
        note(r, "%s: creating the operation failed: %s", ctx, err.msg);
        return;
    }

    const spp_box *bx = gb_arm(&B->bx, off, m->set[set]);
    float *x = gb_arm(&B->x, off, R->x);
    float *y = gb_arm(&B->y, off, NULL);
    int32_t *am = max ? gb_arm(&B->am, off, NULL) : NULL;
    spp_status st = spp_region_op_forward(op, bx, nb, x, y, am, &err);
    if (st != SPP_OK) {
        spp_region_op_destroy(op);
        note(r, "%s: forward returned '%s': %s", ctx, spp_status_name(st), err.msg);
        return;
    }
    check_guards(r, ctx, "x", &B->x);
    check_guards(r, ctx, "y", &B->y);
    check_guards(r, ctx, "boxes", &B->bx);
    check_unchanged(r, ctx, "x", &B->x, R->x);
    check_unchanged(r, ctx, "boxes", &B->bx, m->set[set]);
    if (max)
        check_guards(r, ctx, "argmax", &B->am);
    if (baseline) {
        memcpy(baseline->y, y, (size_t)ny * 4);
        if (max)
            memcpy(baseline->am, am, (size_t)ny * 4);
    } else {
        cmp_y(r, ctx, max, R, y, am, ny, ry_coord, pl);
        cmp_bits(r, ctx, "y", &m->mp, 0, ry_coord, pl, y, first->y, ny);
        if (max)
            cmp_bits(r, ctx, "argmax", &m->mp, 0, ry_coord, pl, am, first->am, ny);
    }

    if (max && !baseline) { /* inference: argmax NULL takes other paths, y must not change */
        char ctx2[160];
        snprintf(ctx2, sizeof ctx2, "%s argmax=NULL", ctx);
        y = gb_arm(&B->y, off, NULL);
        st = spp_region_op_forward(op, bx, nb, x, y, NULL, &err);
        if (st != SPP_OK)
            note(r, "%s: forward returned '%s': %s", ctx2, spp_status_name(st), err.msg);
        else {
            check_guards(r, ctx2, "y", &B->y);
            cmp_y(r, ctx2, max, R, y, NULL, ny, ry_coord, pl);
            cmp_bits(r, ctx2, "y", &m->mp, 0, ry_coord, pl, y, first->y, ny);
        }
    }

    /* backward from roi__naive's argmax, so dx is compared on equal terms */
    float *dy = gb_arm(&B->dy, off, R->dy);
    int32_t *amin = max ? gb_arm(&B->amin, off, R->am) : NULL;
    float *dx = gb_arm(&B->dx, off, NULL);
    st = spp_region_op_backward(op, bx, nb, dy, amin, dx, &err);
    spp_region_op_destroy(op);
    if (st != SPP_OK) {
        note(r, "%s: backward returned '%s': %s", ctx, spp_status_name(st), err.msg);
        return;
    }
    check_guards(r, ctx, "dx", &B->dx);
    check_guards(r, ctx, "dy", &B->dy);
    check_unchanged(r, ctx, "dy", &B->dy, R->dy);
    check_unchanged(r, ctx, "boxes", &B->bx, m->set[set]);
    if (max) {
        check_guards(r, ctx, "argmax (backward input)", &B->amin);
        check_unchanged(r, ctx, "argmax", &B->amin, R->am);
    }
    if (baseline)
        memcpy(baseline->dx, dx, (size_t)nx * 4);
    else {
        cmp_dx(r, ctx, &m->mp, R, dx);
        cmp_bits(r, ctx, "dx", &m->mp, 1, ry_coord, pl, dx, first->dx, nx);
    }
}

static int untouched(const gbuf *g)
{
    const uint32_t *d = gb_data(g);
    for (size_t i = 0; i < g->n; i++)
        if (d[i] != GARBAGE)
            return 0;
    return 1;
}

/* A valid box then a rejected one: forward and backward must return the rejection's status,
 * name boxes[1] and the rule, and write nothing (docs/spec.md#6-validation). */
static void check_reject(case_res *r, const spp_region_kernel *k, const rmap *m, int bi,
                         const spp_box *good, int threads)
{
    const spp_region_problem *p = &m->rp;
    const int max = p->pool == SPP_POOL_MAX;
    const spp_box two[2] = {*good, m->bad[bi]};
    const spp_box b = m->bad[bi];
    const int64_t ny = spp_region_output_elems(p, 2), nx = spp_region_map_elems(p);
    char rule[64], ctx[160];
    if (m->bad_st[bi] == SPP_ERR_CONVENTION)
        snprintf(rule, sizeof rule, "%s bins need", spp_bins_name(p->bins));
    else
        snprintf(rule, sizeof rule, "x1 must be <= W");
    snprintf(ctx, sizeof ctx, "box (%d,%d,%d,%d) t%d", b.x0, b.y0, b.x1, b.y1, threads);
    gbuf y, am, dx, dy, amin;
    gb_alloc(&y, (size_t)ny), gb_alloc(&am, (size_t)ny), gb_alloc(&dx, (size_t)nx);
    gb_alloc(&dy, (size_t)ny), gb_alloc(&amin, (size_t)ny);
    float *x = calloc((size_t)nx, 4);
    float *dyv = gb_arm(&dy, 0, NULL);
    int32_t *amv = gb_arm(&amin, 0, NULL);
    if (!x)
        die("out of memory");
    for (int64_t o = 0; o < ny; o++)
        dyv[o] = 1.0f, amv[o] = b.y0 * (int32_t)p->w + b.x0; /* inside box 1, not box 0 */
    for (int pass = 0; pass < 2; pass++) {
        spp_error err;
        spp_status st;
        gb_arm(&y, 0, NULL), gb_arm(&am, 0, NULL), gb_arm(&dx, 0, NULL);
        if (pass == 0)
            st = spp_region_forward(k, p, two, 2, x, gb_data(&y), max ? gb_data(&am) : NULL,
                                    threads, &err);
        else
            st = spp_region_backward(k, p, two, 2, dyv, max ? amv : NULL, gb_data(&dx), threads,
                                     &err);
        const char *what = pass ? "backward" : "forward";
        if (st != m->bad_st[bi])
            note(r, "%s: %s returned '%s', expected '%s'%s%s", ctx, what, spp_status_name(st),
                 spp_status_name(m->bad_st[bi]), st ? ": " : "", st ? err.msg : "");
        else if (!strstr(err.msg, "boxes[1]") || !strstr(err.msg, rule))
            note(r, "%s: %s message '%s' does not name boxes[1] and '%s'", ctx, what, err.msg,
                 rule);
        if (!untouched(&y) || !untouched(&am) || !untouched(&dx))
            note(r, "%s: %s wrote to an output although it rejected the boxes", ctx, what);
        check_guards(r, ctx, "y", &y), check_guards(r, ctx, "argmax", &am);
        check_guards(r, ctx, "dx", &dx);
    }
    free(x), free(y.base), free(am.base), free(dx.base), free(dy.base), free(amin.base);
}

/* ------------------------------------------------------------------ one map ----- */

/* A case family: kernel k on its own choices (force -1) or with path `force` forced. */
typedef struct {
    const spp_region_kernel *k;
    int force;
} rvariant;

/* Appends k's variants for map m (its box sets' plans in pl, NULL where a set is empty): its
 * own choices (unless --path), then every path valid on every box set that changes what a
 * pass runs at a forced case's thread counts. Returns the new count. */
static int add_variants(rvariant *run, int nrun, const spp_region_kernel *k,
                        spp_region_plan *const pl[NSETS], const run_opts *o)
{
    if (!o->path && nrun < 256)
        run[nrun++] = (rvariant){k, -1};
    if (o->chosen_only)
        return nrun;
    for (int i = 0; i < k->npaths && nrun < 256; i++) {
        path_tally_declare(k->name, k->paths[i].name);
        if (o->path && strcmp(o->path, k->paths[i].name) != 0)
            continue;
        int valid = 1, differs = 0;
        for (int set = 0; set < NSETS && valid; set++)
            for (int ti = 0; ti < o->nthreads && valid && pl[set]; ti++) {
                if (!forced_thread(o, ti))
                    continue;
                const char *own[SPP_NPASSES], *forced[SPP_NPASSES];
                valid = set_paths(k, pl[set], o->threads[ti], i, forced) == 0;
                if (valid && set_paths(k, pl[set], o->threads[ti], -1, own) == 0)
                    for (int s = 0; s < SPP_NPASSES; s++)
                        differs |= own[s] != forced[s];
            }
        if (valid && (differs || o->path))
            run[nrun++] = (rvariant){k, i};
    }
    return nrun;
}

static void check_map(rmap *m, const spp_region_kernel **kern, int nkern, const run_opts *o,
                      tally *t)
{
    const spp_region_problem *p = &m->rp;
    const int nth = o->nthreads;
    const int64_t nx = spp_region_map_elems(p);
    spp_region_plan plans[NSETS], *pl[NSETS] = {NULL, NULL};
    for (int set = 0; set < NSETS; set++) {
        spp_error err;
        if (!m->nset[set])
            continue; /* the convention took none of its boxes */
        if (spp_region_plan_init(&plans[set], p, m->set[set], m->nset[set], &err) != SPP_OK)
            die("region map %s: %s", m->str, err.msg);
        pl[set] = &plans[set];
    }
    rvariant run[256];
    int nrun = 0;
    for (int ki = 0; ki < nkern; ki++)
        nrun = add_variants(run, nrun, kern[ki], pl, o);
    case_res *res = calloc((size_t)nrun * nth + 1, sizeof *res);
    if (!res)
        die("out of memory");
    long long zeros = 0, compared = 0;
    int nboxes = 0;
    for (int set = 0; set < NSETS; set++) {
        const int64_t nb = m->nset[set];
        if (!pl[set])
            continue;
        nboxes += (int)nb;
        const int64_t ny = spp_region_output_elems(p, nb);
        rbufs B;
        gb_alloc(&B.x, (size_t)nx), gb_alloc(&B.dx, (size_t)nx), gb_alloc(&B.y, (size_t)ny);
        gb_alloc(&B.am, (size_t)ny), gb_alloc(&B.dy, (size_t)ny), gb_alloc(&B.amin, (size_t)ny);
        gb_alloc(&B.bx, (size_t)nb * 4);
        routs first = {calloc((size_t)ny, 4), calloc((size_t)nx, 4), calloc((size_t)ny, 4)};
        if (!first.y || !first.dx || !first.am)
            die("out of memory");
        for (int fill = 0; fill < NFILLS_REGION; fill++) {
            ref_t R;
            char rerr[320] = "";
            const uint32_t seed = str_seed(m->str) + (uint32_t)(fill + NFILLS_REGION * set);
            if (make_ref(&R, m, pl[set], fill, seed, rerr) != 0) {
                for (int c = 0; c < nrun * nth; c++)
                    note(&res[c], "%s boxes, %s: reference: %s", SET_NAMES[set],
                         FILL_NAMES[fill], rerr);
                free_ref(&R);
                continue;
            }
            zeros += R.zeros, compared += R.compared;
            for (int vi = 0; vi < nrun; vi++) {
                const rvariant *v = &run[vi];
                case_res *rk = &res[vi * nth];
                run_one(&rk[0], v->k, v->force, m, pl[set], set, fill, 1, 0, &B, &R, &first,
                        NULL);
                for (int ti = 0; ti < nth; ti++)
                    if (v->force < 0 || forced_thread(o, ti))
                        for (int off = 0; off < 2; off++)
                            run_one(&rk[ti], v->k, v->force, m, pl[set], set, fill,
                                    o->threads[ti], off, &B, &R, NULL, &first);
            }
            free_ref(&R);
        }
        free(B.x.base), free(B.dx.base), free(B.y.base), free(B.am.base), free(B.dy.base),
            free(B.amin.base), free(B.bx.base);
        free(first.y), free(first.dx), free(first.am);
    }
    const spp_box *good = m->nset[1] ? &m->set[1][0] : &m->set[0][0];
    for (int vi = 0; vi < nrun; vi++) {
        const rvariant *v = &run[vi];
        for (int ti = 0; ti < nth; ti++) {
            if (v->force >= 0 && !forced_thread(o, ti))
                continue;
            case_res *r = &res[vi * nth + ti];
            if (v->force < 0) /* the rejections are the operation's, whatever the path */
                for (int bi = 0; bi < m->nbad; bi++)
                    check_reject(r, v->k, m, bi, good, o->threads[ti]);
            check_informative(r, zeros, compared);
            const char *ran[NSETS * SPP_NPASSES] = {NULL};
            for (int set = 0; set < NSETS; set++)
                if (pl[set] && set_paths(v->k, pl[set], o->threads[ti], v->force,
                                         &ran[set * SPP_NPASSES]) != 0)
                    note(r, "t%d: the paths of the %s boxes cannot be named", o->threads[ti],
                         SET_NAMES[set]);
            char what[160];
            snprintf(what, sizeof what, "regions: %d boxes in %d sets, %d rejected; %d runs x fwd+bwd",
                     nboxes, (m->nset[0] > 0) + (m->nset[1] > 0), v->force < 0 ? m->nbad : 0,
                     r->ran);
            report_case(t, o->argv0, v->k->name, v->force >= 0 ? v->k->paths[v->force].name : NULL,
                        ran, NSETS * SPP_NPASSES, m->str, o->threads[ti], m->label, what, r);
        }
    }
    for (int set = 0; set < NSETS; set++)
        if (pl[set])
            spp_region_plan_free(pl[set]);
    fflush(stdout);
    free(res);
}

/* Region kernels a test build links in besides the registry's (NULL-terminated; tests/emu512/:
 * the AVX-512 region kernels' code on an AVX2 emulation, under names of their own). */
const spp_region_kernel *const *spp_check_extra_region_kernels(void) __attribute__((weak));

void check_regions(const problem_entry *probs, int nprobs, const run_opts *o, tally *t)
{
    const spp_region_kernel *ref = spp_region_kernel_at(0);
    if (!ref || strcmp(ref->name, "roi__naive") != 0)
        die("kernels/regions.inc must list roi__naive first: it is the reference");
    char (*seen)[160] = calloc((size_t)nprobs + 1, sizeof *seen);
    rmap *m = malloc(sizeof *m);
    if (!seen || !m)
        die("out of memory");
    int nseen = 0;
    for (int pi = 0; pi < nprobs; pi++) {
        memset(m, 0, sizeof *m);
        const spp_problem *p = &probs[pi].p;
        m->mp = *p;
        m->mp.n = 1;
        if (m->mp.c > REGION_MAX_C) /* keep the tail past the last 32-channel chunk */
            m->mp.c = 32 + m->mp.c % 32;
        spp_problem_format(&m->mp, m->str, sizeof m->str);
        int dup = 0;
        for (int i = 0; i < nseen && !dup; i++)
            dup = strcmp(seen[i], m->str) == 0;
        if (dup)
            continue;
        strcpy(seen[nseen++], m->str);
        m->label = probs[pi].label;
        m->rp = (spp_region_problem){.c = m->mp.c, .h = p->h, .w = p->w, .layout = p->layout,
                                     .nlevels = p->nlevels, .pool = p->pool, .bins = p->bins};
        memcpy(m->rp.levels, p->levels, sizeof p->levels);

        const spp_region_kernel *run[64];
        int nrun = 0;
        const int nreg = spp_region_kernel_count();
        const spp_region_kernel *const *extra =
            spp_check_extra_region_kernels ? spp_check_extra_region_kernels() : NULL;
        for (int ki = 1; ki < nreg || (extra && extra[ki - nreg]); ki++) { /* 0 is roi__naive */
            const spp_region_kernel *k = ki < nreg ? spp_region_kernel_at(ki) : extra[ki - nreg];
            if (!kernel_wanted(o, k->name))
                continue;
            if (!spp_cpu_supports(k->isa)) {
                printf("SKIP %s %s: needs %s\n", k->name, m->str, spp_isa_name(k->isa));
                t->skipped++;
            } else if (!spp_region_kernel_has_layout(k, p->layout)) {
                printf("SKIP %s %s: lacks layout %s\n", k->name, m->str,
                       spp_layout_name(p->layout));
                t->skipped++;
            } else if (nrun < 64)
                run[nrun++] = k;
        }
        if (!nrun)
            continue;
        make_boxes(m, str_seed(m->str));
        check_map(m, run, nrun, o, t);
    }
    free(seen), free(m);
}
