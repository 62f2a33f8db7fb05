/* libFuzzer target: the kernel API. The bytes choose a small problem (N, C, H, W, levels,
 * pool, convention, layout, threads, pointer offsets) and the input values (small integers,
 * fractions, +-inf, NaNs with payloads); every kernel that can run it is checked against naive:
 * max y bitwise and argmax exact, avg within the bound of docs/spec.md#3-max-and-avg, backward
 * dx within max(1e-6, 2(k+2)2^-24) * sum|terms| (tests/spp_check.c explains both bounds).
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
    if (spp_problem_validate(&p, NULL) != SPP_OK)
        return 0;
    spp_plan pl;
    spp_plan_init(&pl, &p, NULL);
    const int max = p.pool == SPP_POOL_MAX;
    const size_t nx = (size_t)spp_input_elems(&p), ny = (size_t)spp_output_elems(&p);

    float *x = malloc(nx * 4), *dy = malloc(ny * 4), *y0 = malloc(ny * 4), *dx0 = malloc(nx * 4);
    int32_t *a0 = malloc(ny * 4);
    double *ytol = calloc(ny, 8), *dxtol = calloc(nx, 8);
    int *cnt = calloc(nx, sizeof(int));
    float *yb = malloc((ny + 1) * 4), *dxb = malloc((nx + 1) * 4);
    int32_t *ab = malloc((ny + 1) * 4);
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

    const spp_kernel *naive = spp_kernel_find("naive");
    if (spp_forward(naive, &p, x, y0, max ? a0 : NULL, 1, NULL) != SPP_OK ||
        spp_backward(naive, &p, dy, max ? a0 : NULL, dx0, 1, NULL) != SPP_OK)
        abort();
    for (int64_t b = 0; b < p.n; b++)
        for (int l = 0; l < p.nlevels; l++) {
            const spp_level_plan *lv = &pl.lv[l];
            for (int64_t c = 0; c < p.c; c++)
                for (int i = 0; i < lv->n; i++)
                    for (int j = 0; j < lv->n; j++) {
                        const spp_interval rr = lv->rows[i], q = lv->cols[j];
                        const int64_t o = b * pl.out_per_sample + lv->out_offset +
                                          c * lv->n * lv->n + (int64_t)i * lv->n + j;
                        if (max) {
                            const int64_t k = xi(&p, b, c, a0[o] / p.w, a0[o] % p.w);
                            dxtol[k] += fabs((double)dy[o]);
                            cnt[k]++;
                            continue;
                        }
                        const double div = (double)(rr.div * q.div);
                        double s = 0;
                        for (int64_t h = rr.start; h < rr.end; h++)
                            for (int64_t w = q.start; w < q.end; w++) {
                                const int64_t k = xi(&p, b, c, h, w);
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
        if (!spp_cpu_supports(k->isa) || !spp_kernel_has_layout(k, p.layout))
            continue;
        float *y = yb + off, *dx = dxb + off;
        int32_t *a = ab + off;
        memset(yb, 0xff, (ny + 1) * 4);
        memset(ab, 0xff, (ny + 1) * 4);
        spp_error err;
        if (spp_forward(k, &p, x, y, max ? a : NULL, threads, &err) != SPP_OK) {
            fprintf(stderr, "fuzz_kernels: %s forward failed: %s\n", k->name, err.msg);
            abort();
        }
        for (size_t o = 0; o < ny; o++) {
            int ok;
            if (max)
                ok = bits(y[o]) == bits(y0[o]) && a[o] == a0[o];
            else if (y0[o] != y0[o])
                ok = y[o] != y[o] && bits(y[o]) != 0xffffffffu;
            else if (!isfinite(y0[o]) || !isfinite(ytol[o]))
                ok = y[o] == y0[o];
            else
                ok = fabs((double)y[o] - (double)y0[o]) <= ytol[o];
            if (!ok)
                mismatch(k->name, &p, max && a[o] != a0[o] ? "argmax(as y)" : "y", (long long)o,
                         max && a[o] != a0[o] ? a0[o] : y0[o], max && a[o] != a0[o] ? a[o] : y[o]);
        }
        memset(dxb, 0xff, (nx + 1) * 4);
        if (spp_backward(k, &p, dy, max ? a0 : NULL, dx, threads, &err) != SPP_OK) {
            fprintf(stderr, "fuzz_kernels: %s backward failed: %s\n", k->name, err.msg);
            abort();
        }
        for (size_t i = 0; i < nx; i++)
            if (!(fabs((double)dx[i] - (double)dx0[i]) <= dxtol[i]))
                mismatch(k->name, &p, "dx", (long long)i, dx0[i], dx[i]);
    }
    free(x), free(dy), free(y0), free(dx0), free(a0), free(ytol), free(dxtol), free(cnt);
    free(yb), free(dxb), free(ab);
    return 0;
}
