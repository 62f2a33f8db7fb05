/* spp-api-check: the library's C API refuses what it must, with the status and a message that
 * names the argument, and writes nothing then (docs/spec.md#6-validation,
 * docs/design.md#error-messages). The kernels' results are the C driver's business
 * (tests/spp_check.c); this checks the entry points around them: NULL handles, pointers and
 * names only a C caller can pass, out-of-range indices, threads, path names, boxes, buffers
 * and the window projection, for the whole-map and the region operations alike; and the
 * environment switches SPP_HUGE_PAGES and SPP_MAX_ISA (auto falls back to scalar kernels).
 * Output: one line per failed expectation, then `api: N checks, N failed`; exit 1 on a failure. */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spp.h"

static int g_checks, g_failed;
#define SENTINEL 7.0f /* what a refused run must leave in its outputs */

/* One expectation: status st == want and, when want != SPP_OK, the message holds `has`. */
static void expect(const char *what, spp_status st, spp_status want, const spp_error *e,
                   const char *has)
{
    g_checks++;
    if (st == want && (want == SPP_OK || !has || strstr(e->msg, has)))
        return;
    g_failed++;
    printf("FAIL %s: got %s '%s', expected %s with '%s'\n", what, spp_status_name(st),
           st == SPP_OK ? "" : e->msg, spp_status_name(want), has ? has : "");
}

static void truth(const char *what, int ok)
{
    g_checks++;
    if (!ok) {
        g_failed++;
        printf("FAIL %s\n", what);
    }
}

/* every element still the fill: nothing was written */
static int untouched(const float *a, size_t n, float fill)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &fill, sizeof fill) != 0)
            return 0;
    return 1;
}

/* The buffers of a run: x, dy and am zeroed; y and dx filled with SENTINEL, so that a refused
 * run can be seen to have written nothing (untouched). */
typedef struct {
    float *x, *y, *dx, *dy;
    int32_t *am;
} io_bufs;

static io_bufs io_alloc(size_t nx, size_t ny)
{
    io_bufs b = {calloc(nx, 4), malloc(ny * 4), malloc(nx * 4), calloc(ny, 4), calloc(ny, 4)};
    if (!b.x || !b.y || !b.dx || !b.dy || !b.am)
        exit(2);
    for (size_t i = 0; i < ny; i++)
        b.y[i] = SENTINEL;
    for (size_t i = 0; i < nx; i++)
        b.dx[i] = SENTINEL;
    return b;
}

static void io_free(io_bufs *b) { free(b->x), free(b->y), free(b->dx), free(b->dy), free(b->am); }

static void names_and_registries(void)
{
    spp_error e;
    spp_pool pool;
    spp_bins bins;
    spp_layout layout;
    expect("pool name NULL", spp_pool_from_name(NULL, &pool, &e), SPP_ERR_ENUM, &e, "pool=(null)");
    expect("bins name", spp_bins_from_name("square", &bins, &e), SPP_ERR_ENUM, &e, "bins=square");
    expect("layout name", spp_layout_from_name("chwn", &layout, &e), SPP_ERR_ENUM, &e,
           "layout=chwn");
    truth("enum names out of range are '?'",
          !strcmp(spp_pool_name((spp_pool)9), "?") && !strcmp(spp_bins_name((spp_bins)-1), "?") &&
              !strcmp(spp_layout_name((spp_layout)5), "?") &&
              !strcmp(spp_isa_name((spp_isa)7), "?") && !strcmp(spp_pass_name((spp_pass)3), "?"));
    truth("status name out of range", spp_status_name((spp_status)99) != NULL);
    truth("registry indices out of range give NULL",
          !spp_kernel_at(-1) && !spp_kernel_at(spp_kernel_count()) && !spp_region_kernel_at(-1) &&
              !spp_region_kernel_at(spp_region_kernel_count()));
    truth("find NULL name", !spp_kernel_find(NULL) && !spp_region_kernel_find(NULL));
    truth("has_layout on NULL or a bad layout",
          !spp_kernel_has_layout(NULL, SPP_LAYOUT_NCHW) &&
              !spp_kernel_has_layout(spp_kernel_find("naive"), (spp_layout)7) &&
              !spp_region_kernel_has_layout(NULL, SPP_LAYOUT_NHWC) &&
              !spp_region_kernel_has_layout(spp_region_kernel_find("roi__naive"), (spp_layout)7));
    truth("path_find on NULL kernel or name",
          spp_kernel_path_find(NULL, "reference") == -1 &&
              spp_kernel_path_find(spp_kernel_find("naive"), NULL) == -1 &&
              spp_region_kernel_path_find(NULL, "reference") == -1);
    truth("auto always names a kernel", spp_kernel_auto(&(spp_problem){.layout = SPP_LAYOUT_NCHW},
                                                        1, SPP_PASS_BACKWARD, NULL) != NULL);
}

/* The environment switches, read on every call: SPP_HUGE_PAGES and SPP_MAX_ISA. */
static void environment(void)
{
    setenv("SPP_HUGE_PAGES", "0", 1);
    truth("SPP_HUGE_PAGES=0 turns the advice off", spp_huge_pages() == 0);
    void *big = spp_alloc((size_t)3 << 20); /* above the huge-page size, without the advice */
    truth("a large allocation without huge pages", big != NULL && ((uintptr_t)big & 63) == 0);
    spp_free(big);
    unsetenv("SPP_HUGE_PAGES");
    truth("huge pages advised by default", spp_huge_pages() == 1);
    spp_free(NULL);
    setenv("SPP_MAX_ISA", "", 1);
    truth("an empty SPP_MAX_ISA caps nothing", spp_isa_unavailable(SPP_ISA_SCALAR) == NULL);
    setenv("SPP_MAX_ISA", "sse9", 1);
    const char *why = spp_isa_unavailable(SPP_ISA_AVX2);
    truth("a bad SPP_MAX_ISA names itself", why && strstr(why, "SPP_MAX_ISA=sse9"));
    setenv("SPP_MAX_ISA", "scalar", 1);
    why = spp_isa_unavailable(SPP_ISA_AVX2);
    truth("SPP_MAX_ISA=scalar excludes avx2", why && strstr(why, "above SPP_MAX_ISA=scalar"));
    spp_error e;
    spp_op *op = NULL;
    spp_problem p = {.n = 1, .c = 2, .h = 3, .w = 3, .nlevels = 1, .levels = {2},
                     .pool = SPP_POOL_MAX, .bins = SPP_BINS_ADAPTIVE, .layout = SPP_LAYOUT_NHWC};
    expect("an avx2 kernel under SPP_MAX_ISA=scalar",
           spp_op_create(&op, spp_kernel_find("nhwc__avx2"), &p, 1, &e), SPP_ERR_ISA, &e,
           "SPP_MAX_ISA=scalar");
    expect("auto under SPP_MAX_ISA=scalar", spp_op_create_auto(&op, &p, 1, &e), SPP_OK, &e, NULL);
    truth("auto under SPP_MAX_ISA=scalar runs a scalar kernel",
          op && spp_op_kernel(op)->isa == SPP_ISA_SCALAR &&
              spp_op_pass_kernel(op, SPP_PASS_BACKWARD)->isa == SPP_ISA_SCALAR);
    spp_op_destroy(op);
    unsetenv("SPP_MAX_ISA");
}

static void bins(void)
{
    spp_error e;
    spp_interval iv[SPP_MAX_LEVEL];
    expect("bins A=0, axis NULL", spp_axis_bins(0, 2, SPP_BINS_ADAPTIVE, NULL, iv, &e),
           SPP_ERR_SHAPE, &e, "axis=0");
    expect("bins A past 2^56", spp_axis_bins(SPP_MAX_AXIS + 1, 2, SPP_BINS_ADAPTIVE, "H", iv, &e),
           SPP_ERR_OVERFLOW, &e, "H=");
    expect("bins n=65", spp_axis_bins(9, 65, SPP_BINS_ADAPTIVE, "W", iv, &e), SPP_ERR_LEVELS, &e,
           "level=65");
    expect("bins bad convention", spp_axis_bins(9, 2, (spp_bins)9, "W", iv, &e), SPP_ERR_ENUM, &e,
           NULL);
}

/* a max NHWC problem of 2 x 3 x 6 x 5 with levels {2, 1} */
static spp_problem problem(spp_pool pool)
{
    spp_problem p = {.n = 2, .c = 3, .h = 6, .w = 5, .nlevels = 2, .levels = {2, 1},
                     .pool = pool, .bins = SPP_BINS_ADAPTIVE, .layout = SPP_LAYOUT_NHWC};
    return p;
}

static void operations(void)
{
    spp_error e;
    const spp_kernel *naive = spp_kernel_find("naive");
    spp_problem p = problem(SPP_POOL_MAX);
    spp_op *op = (spp_op *)&e; /* must be reset to NULL on failure */
    expect("op_create op=NULL", spp_op_create(NULL, naive, &p, 1, &e), SPP_ERR_NULL, &e, "op=NULL");
    expect("op_create kernel=NULL", spp_op_create(&op, NULL, &p, 1, &e), SPP_ERR_NULL, &e,
           "kernel=NULL");
    truth("op reset to NULL on failure", op == NULL);
    expect("op_create threads=0", spp_op_create(&op, naive, &p, 0, &e), SPP_ERR_ARG, &e,
           "threads=0");
    expect("op_create_auto op=NULL", spp_op_create_auto(NULL, &p, 1, &e), SPP_ERR_NULL, &e,
           "op=NULL");
    expect("op_create_auto problem=NULL", spp_op_create_auto(&op, NULL, 1, &e), SPP_ERR_NULL, &e,
           "problem=NULL");
    spp_problem bad = p;
    bad.layout = (spp_layout)4;
    expect("op_create_auto bad layout", spp_op_create_auto(&op, &bad, 1, &e), SPP_ERR_ENUM, &e,
           "layout");
    truth("NULL op accessors", !spp_op_kernel(NULL) && !spp_op_pass_kernel(NULL, SPP_PASS_FORWARD) &&
                                   !spp_op_plan(NULL) && !spp_op_workspace_bytes(NULL) &&
                                   !spp_op_path(NULL, SPP_PASS_FORWARD));
    expect("op_forward op=NULL", spp_op_forward(NULL, NULL, NULL, NULL, &e), SPP_ERR_NULL, &e,
           "op=NULL");
    expect("op_backward op=NULL", spp_op_backward(NULL, NULL, NULL, NULL, &e), SPP_ERR_NULL, &e,
           "op=NULL");
    expect("op_force_path op=NULL", spp_op_force_path(NULL, "reference", &e), SPP_ERR_NULL, &e,
           "op=NULL");
    spp_op_destroy(NULL);

    const size_t nx = (size_t)spp_input_elems(&p), ny = (size_t)spp_output_elems(&p);
    io_bufs b = io_alloc(nx, ny); /* no call here passes x */
    float *y = b.y, *dx = b.dx, *dy = b.dy;
    int32_t *am = b.am;
    expect("op_create_auto", spp_op_create_auto(&op, &p, 2, &e), SPP_OK, &e, NULL);
    truth("accessors of a live op",
          spp_op_kernel(op) && spp_op_plan(op) && spp_op_path(op, SPP_PASS_INFER) &&
              !spp_op_path(op, (spp_pass)5) && !spp_op_pass_kernel(op, (spp_pass)5));
    expect("op_forward x=NULL", spp_op_forward(op, NULL, y, am, &e), SPP_ERR_NULL, &e, "x=NULL");
    truth("op_forward x=NULL wrote nothing", untouched(y, ny, SENTINEL));
    expect("op_backward dx=NULL", spp_op_backward(op, dy, am, NULL, &e), SPP_ERR_NULL, &e,
           "dx=NULL");
    am[1] = -1;
    expect("op_backward argmax out of its plane", spp_op_backward(op, dy, am, dx, &e), SPP_ERR_ARG,
           &e, "argmax[1]=-1");
    truth("op_backward bad argmax wrote nothing", untouched(dx, nx, SENTINEL));
    am[1] = 0;
    expect("op_force_path unknown", spp_op_force_path(op, "warp-drive", &e), SPP_ERR_ARG, &e,
           "path=warp-drive");
    expect("op_force_path NULL (the kernels' choices)", spp_op_force_path(op, NULL, &e), SPP_OK,
           &e, NULL);
    spp_op_destroy(op);

    /* a path of the other pool: refused, naming the pool */
    spp_problem pa = problem(SPP_POOL_AVG);
    const spp_kernel *omp = spp_kernel_find("nchw__omp");
    pa.layout = SPP_LAYOUT_NCHW;
    expect("op_create nchw__omp avg", spp_op_create(&op, omp, &pa, 1, &e), SPP_OK, &e, NULL);
    expect("force a max-only path on avg", spp_op_force_path(op, "stream", &e), SPP_ERR_ARG, &e,
           "path=stream");
    truth("avg has no infer path", spp_op_path(op, SPP_PASS_INFER) == NULL);
    spp_op_destroy(op);
    const spp_kernel *tiled = spp_kernel_find("nchw__tiled");
    p.layout = SPP_LAYOUT_NCHW;
    expect("op_create nchw__tiled max", spp_op_create(&op, tiled, &p, 1, &e), SPP_OK, &e, NULL);
    expect("force an avg-only path on max", spp_op_force_path(op, "small-avg", &e), SPP_ERR_ARG, &e,
           "path=small-avg");
    spp_op_destroy(op);
    io_free(&b);
}

static void regions(void)
{
    spp_error e;
    const spp_region_kernel *ref = spp_region_kernel_find("roi__naive");
    spp_region_problem p = {.c = 3, .h = 6, .w = 5, .layout = SPP_LAYOUT_NCHW, .nlevels = 2,
                            .levels = {2, 1}, .pool = SPP_POOL_MAX, .bins = SPP_BINS_ADAPTIVE};
    expect("region problem NULL", spp_region_problem_validate(NULL, &e), SPP_ERR_NULL, &e,
           "region problem=NULL");
    spp_region_problem q = p;
    q.w = 0;
    expect("region W=0", spp_region_problem_validate(&q, &e), SPP_ERR_SHAPE, &e, "W=0");
    q = p;
    q.pool = (spp_pool)3;
    expect("region bad pool", spp_region_problem_validate(&q, &e), SPP_ERR_ENUM, &e, "pool");
    q = p;
    q.nlevels = 0;
    expect("region no levels", spp_region_problem_validate(&q, &e), SPP_ERR_LEVELS, &e, NULL);
    q = p;
    q.c = INT64_C(1) << 61;
    q.h = q.w = 4;
    expect("region map bytes overflow", spp_region_problem_validate(&q, &e), SPP_ERR_OVERFLOW, &e,
           "overflows");
    const spp_box box = {0, 0, 5, 6}, outside = {0, 0, 6, 6};
    expect("boxes nboxes=0", spp_region_validate_boxes(&p, &box, 0, &e), SPP_ERR_ARG, &e,
           "nboxes=0");
    expect("boxes NULL", spp_region_validate_boxes(&p, NULL, 2, &e), SPP_ERR_NULL, &e,
           "boxes=NULL");
    spp_region_plan pl;
    expect("region plan=NULL", spp_region_plan_init(NULL, &p, &box, 1, &e), SPP_ERR_NULL, &e,
           "plan=NULL");
    expect("region plan bad box", spp_region_plan_init(&pl, &p, &outside, 1, &e), SPP_ERR_ARG, &e,
           "boxes[0]");
    spp_region_plan_free(&pl);
    spp_region_plan_free(NULL);
    expect("region check_kernel NULL", spp_region_check_kernel(NULL, &p, &e), SPP_ERR_NULL, &e,
           "kernel=NULL");
    q = p;
    q.layout = SPP_LAYOUT_NHWC;
    const spp_region_kernel *nr = spp_region_kernel_find("nchw_roi__omp");
    expect("region kernel lacks the layout", spp_region_check_kernel(nr, &q, &e), SPP_ERR_LAYOUT,
           &e, "layout=nhwc");

    spp_region_op *op = NULL;
    expect("region op=NULL", spp_region_op_create(NULL, ref, &p, 1, &e), SPP_ERR_NULL, &e,
           "op=NULL");
    expect("region threads=0", spp_region_op_create(&op, ref, &p, 0, &e), SPP_ERR_ARG, &e,
           "threads=0");
    truth("NULL region op accessors",
          !spp_region_op_kernel(NULL) && !spp_region_op_path(NULL, SPP_PASS_FORWARD));
    expect("region forward op=NULL", spp_region_op_forward(NULL, &box, 1, NULL, NULL, NULL, &e),
           SPP_ERR_NULL, &e, "op=NULL");
    expect("region backward op=NULL", spp_region_op_backward(NULL, &box, 1, NULL, NULL, NULL, &e),
           SPP_ERR_NULL, &e, "op=NULL");
    expect("region force op=NULL", spp_region_op_force_path(NULL, "reference", &e), SPP_ERR_NULL,
           &e, "op=NULL");
    spp_region_op_destroy(NULL);

    const size_t nx = (size_t)spp_region_map_elems(&p), ny = (size_t)spp_region_output_elems(&p, 1);
    io_bufs b = io_alloc(nx, ny);
    float *x = b.x, *y = b.y, *dx = b.dx, *dy = b.dy;
    int32_t *am = b.am;
    const spp_region_kernel *k = spp_region_kernel_find("nchw_roi__omp");
    expect("region op create", spp_region_op_create(&op, k, &p, 2, &e), SPP_OK, &e, NULL);
    truth("no path before a run", spp_region_op_path(op, SPP_PASS_FORWARD) == NULL &&
                                      spp_region_op_path(op, (spp_pass)4) == NULL &&
                                      spp_region_op_kernel(op) == k);
    expect("region forward y=NULL", spp_region_op_forward(op, &box, 1, x, NULL, am, &e),
           SPP_ERR_NULL, &e, "y=NULL");
    expect("region forward box outside", spp_region_op_forward(op, &outside, 1, x, y, am, &e),
           SPP_ERR_ARG, &e, "boxes[0]");
    truth("region forward refused wrote nothing", untouched(y, ny, SENTINEL));
    expect("region backward dy=NULL", spp_region_op_backward(op, &box, 1, NULL, am, dx, &e),
           SPP_ERR_NULL, &e, "dy=NULL");
    expect("region backward box outside", spp_region_op_backward(op, &outside, 1, dy, am, dx, &e),
           SPP_ERR_ARG, &e, "boxes[0]");
    const spp_box small = {1, 1, 3, 3};
    expect("region backward argmax outside its box",
           spp_region_op_backward(op, &small, 1, dy, am, dx, &e), SPP_ERR_ARG, &e,
           "argmax[0]=0");
    truth("region backward refused wrote nothing", untouched(dx, nx, SENTINEL));
    expect("region force unknown", spp_region_op_force_path(op, "teleport", &e), SPP_ERR_ARG, &e,
           "path=teleport");
    /* a forward path of the other pool: accepted (region paths are checked per run, against
     * the run's boxes), and then every run refuses it, writing nothing */
    expect("region force avg path on max", spp_region_op_force_path(op, "avg", &e), SPP_OK, &e,
           NULL);
    expect("region run with the avg path on max", spp_region_op_forward(op, &box, 1, x, y, am, &e),
           SPP_ERR_ARG, &e, "path=avg");
    truth("region run refused wrote nothing", untouched(y, ny, SENTINEL));
    expect("region force NULL", spp_region_op_force_path(op, NULL, &e), SPP_OK, &e, NULL);
    expect("region run on the kernel's choice", spp_region_op_forward(op, &box, 1, x, y, am, &e),
           SPP_OK, &e, NULL);
    truth("region path named after a run", spp_region_op_path(op, SPP_PASS_FORWARD) != NULL);
    spp_region_op_destroy(op);
    io_free(&b);
}

static void projection(void)
{
    spp_error e;
    double img[8] = {0, 0, 32, 32, 10, 10, 5, 40};
    spp_box out[2] = {{-1, -1, -1, -1}, {-1, -1, -1, -1}};
    expect("project stride=0", spp_roi_project(img, 1, 0, 10, 10, out, &e), SPP_ERR_ARG, &e,
           "stride=0");
    expect("project H=0", spp_roi_project(img, 1, 16, 0, 10, out, &e), SPP_ERR_SHAPE, &e, "H=0");
    expect("project W too large", spp_roi_project(img, 1, 16, 10, INT64_C(1) << 32, out, &e),
           SPP_ERR_SHAPE, &e, "W=");
    expect("project nboxes<0", spp_roi_project(img, -1, 16, 10, 10, out, &e), SPP_ERR_ARG, &e,
           "nboxes=-1");
    expect("project NULL output", spp_roi_project(img, 1, 16, 10, 10, NULL, &e), SPP_ERR_NULL, &e,
           "NULL");
    expect("project reversed box", spp_roi_project(img, 2, 16, 10, 10, out, &e), SPP_ERR_ARG, &e,
           "boxes[1]");
    truth("project refused wrote nothing", out[0].x0 == -1 && out[1].x1 == -1);
    img[5] = NAN;
    expect("project NaN", spp_roi_project(img, 2, 16, 10, 10, out, &e), SPP_ERR_ARG, &e,
           "not finite");
    expect("project nothing to do", spp_roi_project(NULL, 0, 16, 10, 10, NULL, &e), SPP_OK, &e,
           NULL);
    double far[4] = {-1e300, -1e300, 1e300, 1e300}; /* saturates, then clamps to the map */
    expect("project far box", spp_roi_project(far, 1, 16, 10, 12, out, &e), SPP_OK, &e, NULL);
    truth("far box is the whole map", out[0].x0 == 0 && out[0].y0 == 0 && out[0].x1 == 12 &&
                                          out[0].y1 == 10);
}

int main(void)
{
    names_and_registries();
    environment();
    bins();
    operations();
    regions();
    projection();
    printf("api: %d checks, %d failed\n", g_checks, g_failed);
    return g_failed ? 1 : 0;
}
