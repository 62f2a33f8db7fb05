/* libFuzzer target: the kernel API. The bytes choose a small problem (N, C, H, W, levels,
 * pool, convention, layout, threads, pointer offsets) and the input values (small integers,
 * fractions, +-inf, NaNs with payloads); every kernel but naive that can run it is checked
 * against naive: max y bitwise and argmax exact, avg within the bound of
 * docs/spec.md#3-max-and-avg, backward dx within max(1e-6, 2(k+2)2^-24) * sum|terms|
 * (tests/check_common.c explains both bounds).
 * Then the bytes after the whole-map ones choose 1 to 6 boxes on sample 0 of the same input as
 * a region map (same C, H, W, levels, pool, convention, layout; the convention need not be valid
 * for the whole map, only for the boxes), and the region dy: every region kernel but roi__naive
 * is checked against roi__naive the same way, forward with and without argmax, and backward;
 * boxes the convention rejects must be rejected by every region kernel with roi__naive's status,
 * writing nothing. Inputs shorter than that read zeros, so older seeds pool one cell.
 * Buffers are exactly sized heap blocks, so ASan reports any out-of-bounds access; a mismatch
 * aborts.
 * Build and run: make fuzz (mk/check.mk). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spp.h"

#define U (1.0 / 16777216.0)

typedef struct {
    const uint8_t *d;
    size_t n, i;
} reader;

static unsigned next(reader *r) { return r->i < r->n ? r->d[r->i++] : 0; }

static int64_t xi(const spp_problem *p, int64_t b, int64_t c, int64_t h, int64_t w)
{
    return p->layout == SPP_LAYOUT_NCHW ? ((b * p->c + c) * p->h + h) * p->w + w
                                        : ((b * p->h + h) * p->w + w) * p->c + c;
}

static void mismatch(const char *k, const spp_problem *p, const char *what, long long at,
                     double e, double g)
{
    char s[160];
    spp_problem_format(p, s, sizeof s);
    fprintf(stderr, "fuzz_kernels: mismatch: kernel %s problem %s %s at %lld: expected %.9g got %.9g\n",
            k, s, what, at, e, g);
    abort();
}

static uint32_t bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* Avg y within its bound (NaN: a NaN; non-finite bound or reference: equal); max bitwise. */
static int y_ok(int max, float y, float ref, double tol)
{
    if (max)
        return bits(y) == bits(ref);
    if (ref != ref)
        return y != y && bits(y) != 0xffffffffu;
    if (!isfinite(ref) || !isfinite(tol))
        return y == ref;
    return fabs((double)y - (double)ref) <= tol;
}

/* The whole-map problem p on x and dy: every kernel but naive against naive. */
static void fuzz_whole(const spp_problem *p, const float *x, const float *dy, int threads,
                       int off)
{
    spp_plan pl;
    spp_plan_init(&pl, p, NULL);
    const int max = p->pool == SPP_POOL_MAX;
    const size_t nx = (size_t)spp_input_elems(p), ny = (size_t)spp_output_elems(p);
    float *y0 = malloc(ny * 4), *dx0 = malloc(nx * 4);
    int32_t *a0 = malloc(ny * 4);
    double *ytol = calloc(ny, 8), *dxtol = calloc(nx, 8);
    int *cnt = calloc(nx, sizeof(int));
    float *yb = malloc((ny + 1) * 4), *dxb = malloc((nx + 1) * 4);
    int32_t *ab = malloc((ny + 1) * 4);

    const spp_kernel *naive = spp_kernel_find("naive");
    if (spp_forward(naive, p, x, y0, max ? a0 : NULL, 1, NULL) != SPP_OK ||
        spp_backward(naive, p, dy, max ? a0 : NULL, dx0, 1, NULL) != SPP_OK)
        abort();
    for (int64_t b = 0; b < p->n; b++)
        for (int l = 0; l < p->nlevels; l++) {
            const spp_level_plan *lv = &pl.lv[l];
            for (int64_t c = 0; c < p->c; c++)
                for (int i = 0; i < lv->n; i++)
                    for (int j = 0; j < lv->n; j++) {
                        const spp_interval rr = lv->rows[i], q = lv->cols[j];
                        const int64_t o = b * pl.out_per_sample + lv->out_offset +
                                          c * lv->n * lv->n + (int64_t)i * lv->n + j;
                        if (max) {
                            const int64_t k = xi(p, b, c, a0[o] / p->w, a0[o] % p->w);
                            dxtol[k] += fabs((double)dy[o]);
                            cnt[k]++;
                            continue;
                        }
                        const double div = (double)(rr.div * q.div);
                        double s = 0;
                        for (int64_t h = rr.start; h < rr.end; h++)
                            for (int64_t w = q.start; w < q.end; w++) {
                                const int64_t k = xi(p, b, c, h, w);
                                s += fabs((double)x[k]);
                                dxtol[k] += fabs((double)dy[o]) / div;
                                cnt[k]++;
                            }
                        const double count = (double)((rr.end - rr.start) * (q.end - q.start));
                        ytol[o] = 4 * count * U * s / div + U * fabs((double)y0[o]);
                    }
        }
    for (size_t k = 0; k < nx; k++) {
        const double rel = 2.0 * (cnt[k] + 2) * U;
        dxtol[k] *= rel > 1e-6 ? rel : 1e-6;
    }

    for (int ki = 0; ki < spp_kernel_count(); ki++) {
        const spp_kernel *k = spp_kernel_at(ki);
        if (k == naive || !spp_cpu_supports(k->isa) || !spp_kernel_has_layout(k, p->layout))
            continue;
        float *y = yb + off, *dx = dxb + off;
        int32_t *a = ab + off;
        memset(yb, 0xff, (ny + 1) * 4);
        memset(ab, 0xff, (ny + 1) * 4);
        spp_error err;
        if (spp_forward(k, p, x, y, max ? a : NULL, threads, &err) != SPP_OK) {
            fprintf(stderr, "fuzz_kernels: %s forward failed: %s\n", k->name, err.msg);
            abort();
        }
        for (size_t o = 0; o < ny; o++)
            if (!y_ok(max, y[o], y0[o], ytol[o]) || (max && a[o] != a0[o]))
                mismatch(k->name, p, max && a[o] != a0[o] ? "argmax(as y)" : "y", (long long)o,
                         max && a[o] != a0[o] ? a0[o] : y0[o], max && a[o] != a0[o] ? a[o] : y[o]);
        memset(dxb, 0xff, (nx + 1) * 4);
        if (spp_backward(k, p, dy, max ? a0 : NULL, dx, threads, &err) != SPP_OK) {
            fprintf(stderr, "fuzz_kernels: %s backward failed: %s\n", k->name, err.msg);
            abort();
        }
        for (size_t i = 0; i < nx; i++)
            if (!(fabs((double)dx[i] - (double)dx0[i]) <= dxtol[i]))
                mismatch(k->name, p, "dx", (long long)i, dx0[i], dx[i]);
    }
    free(y0), free(dx0), free(a0), free(ytol), free(dxtol), free(cnt);
    free(yb), free(dxb), free(ab);
}

static void rmismatch(const char *k, const spp_problem *m, const spp_box *b, int64_t nb,
                      const char *what, long long at, double e, double g)
{
    char s[160];
    spp_problem_format(m, s, sizeof s);
    fprintf(stderr, "fuzz_kernels: region mismatch: kernel %s map %s boxes", k, s);
    for (int64_t r = 0; r < nb; r++)
        fprintf(stderr, " (%d,%d,%d,%d)", b[r].x0, b[r].y0, b[r].x1, b[r].y1);
    fprintf(stderr, " %s at %lld: expected %.9g got %.9g\n", what, at, e, g);
    abort();
}

#define MAXBOX 6

/* Region problems on sample 0 of x (the map m: p with N = 1): boxes and dy from the reader. */
static void fuzz_regions(reader *rd, const spp_problem *p, const float *x, int threads, int off)
{
    spp_problem m = *p;
    m.n = 1;
    spp_region_problem rp = {.c = p->c, .h = p->h, .w = p->w, .layout = p->layout,
                             .nlevels = p->nlevels, .pool = p->pool, .bins = p->bins};
    memcpy(rp.levels, p->levels, sizeof p->levels);
    const int64_t nb = 1 + next(rd) % MAXBOX;
    spp_box bx[MAXBOX];
    for (int64_t r = 0; r < nb; r++) {
        const unsigned a = next(rd), b = next(rd), c = next(rd), d = next(rd);
        bx[r].x0 = (int32_t)(a % (unsigned)p->w);
        bx[r].x1 = bx[r].x0 + 1 + (int32_t)(b % (unsigned)(p->w - bx[r].x0));
        bx[r].y0 = (int32_t)(c % (unsigned)p->h);
        bx[r].y1 = bx[r].y0 + 1 + (int32_t)(d % (unsigned)(p->h - bx[r].y0));
    }
    const int max = p->pool == SPP_POOL_MAX;
    const size_t nx = (size_t)spp_region_map_elems(&rp), ny = (size_t)spp_region_output_elems(&rp, nb);
    float *yb = malloc((ny + 1) * 4), *dxb = malloc((nx + 1) * 4);
    int32_t *ab = malloc((ny + 1) * 4);
    const spp_region_kernel *ref = spp_region_kernel_at(0);
    spp_error err;
    const spp_status want = spp_region_validate_boxes(&rp, bx, nb, &err);
    if (want != SPP_OK) {
        if (want != SPP_ERR_CONVENTION)
            abort(); /* the boxes are built inside the map */
        for (int ki = 0; ki < spp_region_kernel_count(); ki++) {
            const spp_region_kernel *k = spp_region_kernel_at(ki);
            if (!spp_cpu_supports(k->isa) || !spp_region_kernel_has_layout(k, p->layout))
                continue;
            memset(yb, 0xff, (ny + 1) * 4);
            memset(ab, 0xff, (ny + 1) * 4);
            const spp_status st =
                spp_region_forward(k, &rp, bx, nb, x, yb + off, max ? ab + off : NULL, threads, &err);
            for (size_t o = 0; o < ny + 1; o++)
                if (bits(yb[o]) != 0xffffffffu || (uint32_t)ab[o] != 0xffffffffu)
                    rmismatch(k->name, &m, bx, nb, "written although rejected", (long long)o, 0, 1);
            if (st != want)
                rmismatch(k->name, &m, bx, nb, "status", 0, want, st);
        }
        free(yb), free(dxb), free(ab);
        return;
    }
    float *dy = malloc(ny * 4), *y0 = malloc(ny * 4), *dx0 = malloc(nx * 4);
    int32_t *a0 = malloc(ny * 4);
    double *ytol = calloc(ny, 8), *dxtol = calloc(nx, 8);
    int *cnt = calloc(nx, sizeof(int));
    for (size_t i = 0; i < ny; i++)
        dy[i] = (float)((int)(next(rd) % 7) - 3) * ((i & 1) ? 0.3f : 1.0f);
    spp_region_plan pl;
    if (spp_region_plan_init(&pl, &rp, bx, nb, NULL) != SPP_OK ||
        spp_region_forward(ref, &rp, bx, nb, x, y0, max ? a0 : NULL, 1, NULL) != SPP_OK ||
        spp_region_backward(ref, &rp, bx, nb, dy, max ? a0 : NULL, dx0, 1, NULL) != SPP_OK)
        abort();
    for (int64_t r = 0; r < nb; r++)
        for (int l = 0; l < rp.nlevels; l++) {
            const int n = rp.levels[l];
            const spp_interval *rows = pl.iv + r * pl.iv_per_box + pl.iv_offset[l], *cols = rows + n;
            for (int64_t c = 0; c < rp.c; c++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++) {
                        const spp_interval q = rows[i], s = cols[j];
                        const int64_t o = r * pl.out_per_region + pl.out_offset[l] + c * n * n +
                                          (int64_t)i * n + j;
                        if (max) {
                            const int64_t k = xi(&m, 0, c, a0[o] / p->w, a0[o] % p->w);
                            dxtol[k] += fabs((double)dy[o]);
                            cnt[k]++;
                            continue;
                        }
                        const double div = (double)(q.div * s.div);
                        double sum = 0;
                        for (int64_t h = q.start; h < q.end; h++)
                            for (int64_t w = s.start; w < s.end; w++) {
                                const int64_t k = xi(&m, 0, c, h, w);
                                sum += fabs((double)x[k]);
                                dxtol[k] += fabs((double)dy[o]) / div;
                                cnt[k]++;
                            }
                        const double count = (double)((q.end - q.start) * (s.end - s.start));
                        ytol[o] = 4 * count * U * sum / div + U * fabs((double)y0[o]);
                    }
        }
    spp_region_plan_free(&pl);
    for (size_t k = 0; k < nx; k++) {
        const double rel = 2.0 * (cnt[k] + 2) * U;
        dxtol[k] *= rel > 1e-6 ? rel : 1e-6;
    }
    for (int ki = 1; ki < spp_region_kernel_count(); ki++) { /* 0 is roi__naive */
        const spp_region_kernel *k = spp_region_kernel_at(ki);
        if (!spp_cpu_supports(k->isa) || !spp_region_kernel_has_layout(k, p->layout))
            continue;
        float *y = yb + off, *dx = dxb + off;
        int32_t *a = ab + off;
        for (int withargmax = max; withargmax >= 0; withargmax--) {
            memset(yb, 0xff, (ny + 1) * 4);
            memset(ab, 0xff, (ny + 1) * 4);
            if (spp_region_forward(k, &rp, bx, nb, x, y, withargmax ? a : NULL, threads, &err) !=
                SPP_OK) {
                fprintf(stderr, "fuzz_kernels: %s forward failed: %s\n", k->name, err.msg);
                abort();
            }
            for (size_t o = 0; o < ny; o++) {
                if (!y_ok(max, y[o], y0[o], ytol[o]))
                    rmismatch(k->name, &m, bx, nb, withargmax ? "y" : "y (argmax=NULL)",
                              (long long)o, y0[o], y[o]);
                if (withargmax && a[o] != a0[o])
                    rmismatch(k->name, &m, bx, nb, "argmax", (long long)o, a0[o], a[o]);
            }
        }
        memset(dxb, 0xff, (nx + 1) * 4);
        if (spp_region_backward(k, &rp, bx, nb, dy, max ? a0 : NULL, dx, threads, &err) != SPP_OK) {
            fprintf(stderr, "fuzz_kernels: %s backward failed: %s\n", k->name, err.msg);
            abort();
        }
        for (size_t i = 0; i < nx; i++)
            if (!(fabs((double)dx[i] - (double)dx0[i]) <= dxtol[i]))
                rmismatch(k->name, &m, bx, nb, "dx", (long long)i, dx0[i], dx[i]);
    }
    free(dy), free(y0), free(dx0), free(a0), free(ytol), free(dxtol), free(cnt);
    free(yb), free(dxb), free(ab);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader r = {data, size, 0};
    spp_problem p;
    memset(&p, 0, sizeof p);
    p.n = 1 + next(&r) % 3;
    p.c = 1 + next(&r) % 19;
    p.h = 1 + next(&r) % 20;
    p.w = 1 + next(&r) % 20;
    p.nlevels = 1 + (int)(next(&r) % 3);
    for (int l = 0; l < p.nlevels; l++)
        p.levels[l] = 1 + (int)(next(&r) % 8);
    const unsigned mode = next(&r);
    p.pool = (spp_pool)(mode & 1);
    p.bins = (spp_bins)((mode >> 1) % 3);
    p.layout = (spp_layout)((mode >> 3) & 1);
    const int threads = 1 + (int)((mode >> 4) % 3);
    const int off = (mode >> 6) & 1; /* one float past the allocation start: unaligned */
    const size_t nx = (size_t)spp_input_elems(&p), ny = (size_t)spp_output_elems(&p);

    float *x = malloc(nx * 4), *dy = malloc(ny * 4);
    for (size_t i = 0; i < nx; i++) {
        const unsigned b = next(&r);
        float v;
        if (b < 180)
            v = (float)((int)(b % 9) - 4);
        else if (b < 220)
            v = (float)(b - 200) * 0.1f;
        else if (b < 230)
            v = -INFINITY;
        else if (b < 235)
            v = INFINITY;
        else {
            const uint32_t u = 0x7fc00000u | (b << 8) | (uint32_t)i;
            memcpy(&v, &u, 4);
        }
        x[i] = v;
    }
    for (size_t i = 0; i < ny; i++)
        dy[i] = (float)((int)(next(&r) % 7) - 3) * ((i & 1) ? 0.3f : 1.0f);
    /* an invalid convention only for the whole map: the region boxes may still take it */
    if (spp_problem_validate(&p, NULL) == SPP_OK)
        fuzz_whole(&p, x, dy, threads, off);
    fuzz_regions(&r, &p, x, threads, off);
    free(x), free(dy);
    return 0;
}
