/* spp run-regions and spp roi-project: region SPP (docs/spec.md#5-regions) from the command
 * line.
 *
 * run-regions: one region kernel on one .npy feature map and an (R, 4) box file, through one
 * prepared region operation (spp_region_op_create, then its forward and backward; the box file
 * is checked first so that its errors name it). roi-project: the SPP-net
 * window projection (spp_roi_project) of image boxes to feature-map boxes.
 * Both check every argument, file, shape and box before writing anything, stage their outputs
 * to temporary names and rename them only when every one was written (cli.h's convention). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "npy.h"

/* A region kernel by name; the error lists the registered names. */
static const spp_region_kernel *region_kernel(const char *flag, const char *s)
{
    const spp_region_kernel *k = spp_region_kernel_find(s);
    if (k)
        return k;
    char want[1024] = "";
    size_t o = 0;
    for (int i = 0; i < spp_region_kernel_count() && o < sizeof want; i++)
        o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", i ? ", " : "",
                              spp_region_kernel_at(i)->name);
    cli_error("%s: '%s': unknown region kernel, expected one of %s", flag, s, want);
    return NULL;
}

/* (R, 4) integer boxes, int32 or int64, into spp_box; values must fit int32. */
static int read_boxes(const char *path, spp_box **out, int64_t *nboxes)
{
    npy_array a;
    npy_error ne;
    memset(&a, 0, sizeof a);
    if (npy_read(path, NPY_BIT(NPY_I32) | NPY_BIT(NPY_I64), 0, NPY_MAX_RANK, &a, &ne) != 0)
        return cli_error("--boxes %s", ne.msg);
    if (a.rank != 2 || a.shape[1] != 4 || a.shape[0] < 1) {
        char sh[NPY_MAX_RANK * 24 + 8];
        npy_shape_str(a.shape, a.rank, sh, sizeof sh);
        npy_free(&a);
        return cli_error("--boxes %s: shape %s: expected (R, 4) with R >= 1, rows x0, y0, x1, y1 "
                         "in feature-map cells (half-open)",
                         path, sh);
    }
    const int64_t R = a.shape[0];
    spp_box *b = spp_alloc((size_t)R * sizeof *b);
    if (!b) {
        npy_free(&a);
        return cli_error("--boxes %s: out of memory for %lld boxes", path, (long long)R);
    }
    for (int64_t r = 0; r < R; r++) {
        int64_t v[4];
        for (int k = 0; k < 4; k++)
            v[k] = a.dtype == NPY_I32 ? ((const int32_t *)a.data)[4 * r + k]
                                      : ((const int64_t *)a.data)[4 * r + k];
        for (int k = 0; k < 4; k++)
            if (v[k] < INT32_MIN || v[k] > INT32_MAX) {
                spp_free(b);
                npy_free(&a);
                return cli_error("--boxes %s: boxes[%lld]=(x0=%lld,y0=%lld,x1=%lld,y1=%lld): "
                                 "coordinate %d out of the int32 range",
                                 path, (long long)r, (long long)v[0], (long long)v[1],
                                 (long long)v[2], (long long)v[3], k);
            }
        b[r] = (spp_box){(int32_t)v[0], (int32_t)v[1], (int32_t)v[2], (int32_t)v[3]};
    }
    npy_free(&a);
    *out = b;
    *nboxes = R;
    return 0;
}

/* ---------------------------------- run-regions ---------------------------------- */

enum {
    O_KERNEL, O_LEVELS, O_POOL, O_BINS, O_LAYOUT, O_INPUT, O_BOXES, O_OUTPUT, O_ARGMAX,
    O_GRAD_OUT, O_GRAD_IN, O_THREADS, O_VERBOSE, O_PATH, O_COUNT
};

typedef struct {
    npy_array x, dy;
    spp_box *boxes;
    float *y, *dx;
    int32_t *argmax;
    npy_staged staged[3];
    int nstaged;
    spp_region_op *op;
} rr_state;

static void rr_cleanup(rr_state *s)
{
    npy_free(&s->x);
    npy_free(&s->dy);
    spp_free(s->boxes);
    spp_free(s->y);
    spp_free(s->dx);
    spp_free(s->argmax);
    spp_region_op_destroy(s->op);
    for (int i = 0; i < s->nstaged; i++)
        npy_discard(&s->staged[i]);
}

static int run_regions(cli_opt *o, rr_state *s)
{
    static const char *const required[] = {"--kernel", "--levels", "--input", "--boxes",
                                           "--output", NULL};
    if (cli_require("run-regions", o, O_COUNT, required) != 0)
        return CLI_EXIT_USAGE;
    spp_region_problem p;
    memset(&p, 0, sizeof p);
    cli_pyramid_args a;
    const spp_region_kernel *k = region_kernel("--kernel", o[O_KERNEL].value);
    if (!k || cli_pyramid_flags(o, O_COUNT, &a) != 0)
        return CLI_EXIT_USAGE;
    memcpy(p.levels, a.levels, sizeof p.levels);
    p.nlevels = a.nlevels;
    p.pool = a.pool;
    p.bins = a.bins;
    p.layout = a.layout;
    const long long threads = a.threads;
    const int backward = a.backward;

    /* ---- map, boxes, problem ---- */
    npy_error ne;
    if (npy_read(o[O_INPUT].value, NPY_BIT(NPY_F32), 0, NPY_MAX_RANK, &s->x, &ne) != 0)
        return cli_error("--input %s", ne.msg);
    const int64_t *xs = s->x.shape;
    if (s->x.rank != 4 || xs[0] != 1) {
        char sh[NPY_MAX_RANK * 24 + 8];
        npy_shape_str(s->x.shape, s->x.rank, sh, sizeof sh);
        return cli_error("--input %s: shape %s: expected one map %s for --layout %s",
                         o[O_INPUT].value, sh,
                         p.layout == SPP_LAYOUT_NCHW ? "(1,C,H,W)" : "(1,H,W,C)",
                         spp_layout_name(p.layout));
    }
    if (p.layout == SPP_LAYOUT_NCHW) {
        p.c = xs[1];
        p.h = xs[2];
        p.w = xs[3];
    } else {
        p.h = xs[1];
        p.w = xs[2];
        p.c = xs[3];
    }
    spp_error e;
    if (spp_region_op_create(&s->op, k, &p, (int)threads, &e) != SPP_OK)
        return cli_error("region kernel %s, --input %s: %s", k->name, o[O_INPUT].value, e.msg);
    if (o[O_PATH].given && spp_region_op_force_path(s->op, o[O_PATH].value, &e) != SPP_OK)
        return cli_error("--path %s: %s", o[O_PATH].value, e.msg);
    int64_t R = 0;
    if (read_boxes(o[O_BOXES].value, &s->boxes, &R) != 0)
        return CLI_EXIT_USAGE;
    if (spp_region_validate_boxes(&p, s->boxes, R, &e) != SPP_OK)
        return cli_error("--boxes %s: %s", o[O_BOXES].value, e.msg);
    const int64_t out_elems = spp_region_output_elems(&p, R);
    const int64_t yshape[2] = {R, out_elems / R};
    char ys[96];
    npy_shape_str(yshape, 2, ys, sizeof ys);
    if (backward) {
        if (npy_read(o[O_GRAD_OUT].value, NPY_BIT(NPY_F32), 0, NPY_MAX_RANK, &s->dy, &ne) != 0)
            return cli_error("--grad-output %s", ne.msg);
        if (s->dy.rank != 2 || s->dy.shape[0] != yshape[0] || s->dy.shape[1] != yshape[1]) {
            char gs[NPY_MAX_RANK * 24 + 8];
            npy_shape_str(s->dy.shape, s->dy.rank, gs, sizeof gs);
            return cli_error("--grad-output %s: shape %s: expected the output's shape %s",
                             o[O_GRAD_OUT].value, gs, ys);
        }
    }

    /* ---- compute ---- */
    const size_t out_bytes = (size_t)out_elems * sizeof(float);
    const int need_argmax = p.pool == SPP_POOL_MAX && (o[O_ARGMAX].given || backward);
    s->y = spp_alloc(out_bytes);
    s->argmax = need_argmax ? spp_alloc(out_bytes) : NULL;
    s->dx = backward ? spp_alloc(s->x.bytes) : NULL;
    if (!s->y || (need_argmax && !s->argmax) || (backward && !s->dx))
        return cli_error("--output %s: out of memory: expected %zu bytes for the outputs",
                         o[O_OUTPUT].value, out_bytes * (need_argmax ? 2 : 1));
    if (spp_region_op_forward(s->op, s->boxes, R, s->x.data, s->y, s->argmax, &e))
        return cli_error("region kernel %s (forward): %s", k->name, e.msg);
    if (backward &&
        spp_region_op_backward(s->op, s->boxes, R, s->dy.data, s->argmax, s->dx, &e))
        return cli_error("region kernel %s (backward): %s", k->name, e.msg);

    /* ---- stage every output, then rename them all ---- */
    struct { int want; const char *flag, *path; npy_dtype dt; int rank; const int64_t *shape;
             const void *data; } outs[3] = {
        {1, "--output", o[O_OUTPUT].value, NPY_F32, 2, yshape, s->y},
        {o[O_ARGMAX].given, "--argmax", o[O_ARGMAX].value, NPY_I32, 2, yshape, s->argmax},
        {backward, "--grad-input", o[O_GRAD_IN].value, NPY_F32, 4, s->x.shape, s->dx},
    };
    for (int i = 0; i < 3; i++) {
        if (!outs[i].want)
            continue;
        if (npy_stage(outs[i].path, outs[i].dt, outs[i].rank, outs[i].shape, outs[i].data,
                      &s->staged[s->nstaged], &ne) != 0)
            return cli_error("%s %s", outs[i].flag, ne.msg);
        s->nstaged++;
    }
    for (int i = 0; i < s->nstaged; i++)
        if (npy_commit(&s->staged[i], &ne) != 0)
            return cli_error("rename: %s", ne.msg);
    if (o[O_VERBOSE].given)
        printf("region kernel=%s path=%s%s%s%s layout=%s boxes=%lld threads=%lld: wrote %s %s "
               "float32%s%s%s\n", k->name,
               spp_region_op_path(s->op, p.pool == SPP_POOL_MAX && !s->argmax ? SPP_PASS_INFER
                                                                              : SPP_PASS_FORWARD),
               backward ? " backward-path=" : "",
               backward ? spp_region_op_path(s->op, SPP_PASS_BACKWARD) : "",
               o[O_PATH].given ? " (forced)" : "",
               spp_layout_name(p.layout), (long long)R, threads, o[O_OUTPUT].value, ys,
               o[O_ARGMAX].given ? ", argmax " : "", o[O_ARGMAX].given ? o[O_ARGMAX].value : "",
               backward ? ", grad-input written" : "");
    return CLI_EXIT_OK;
}

int cmd_run_regions(int argc, char **argv)
{
    cli_opt o[O_COUNT] = {
        [O_KERNEL] = {"--kernel", "K", "region kernel name (roi__naive, nhwc_roi__avx2, ...)",
                      NULL, 0},
        [O_LEVELS] = {"--levels", "L", "pyramid levels in order, e.g. 6,3,2,1", NULL, 0},
        [O_POOL] = {"--pool", "P", "max (default) or avg", NULL, 0},
        [O_BINS] = {"--bins", "CONV", "adaptive (default), sppnet or caffe (per box)", NULL, 0},
        [O_LAYOUT] = {"--layout", "LAYOUT", "nchw (default; map (1,C,H,W)) or nhwc ((1,H,W,C))",
                      NULL, 0},
        [O_INPUT] = {"--input", "MAP.npy", "float32 feature map, N = 1", NULL, 0},
        [O_BOXES] = {"--boxes", "BOXES.npy",
                     "int32 or int64 (R, 4): x0, y0, x1, y1 in map cells, half-open", NULL, 0},
        [O_OUTPUT] = {"--output", "Y.npy", "written: float32 (R, C*sum n^2), canonical order",
                      NULL, 0},
        [O_ARGMAX] = {"--argmax", "A.npy", "written: int32 argmax (h*W+w in the map), max only",
                      NULL, 0},
        [O_GRAD_OUT] = {"--grad-output", "GY.npy", "float32 (R, C*sum n^2): runs backward",
                        NULL, 0},
        [O_GRAD_IN] = {"--grad-input", "GX.npy", "written: float32 map gradient, map's shape",
                       NULL, 0},
        [O_THREADS] = {"--threads", "T", "threads for threaded kernels, 1..1024 (default 1)",
                       NULL, 0},
        [O_VERBOSE] = {"--verbose", NULL,
                       "print a one-line summary on stdout: the kernel, the path each pass took",
                       NULL, 0},
        [O_PATH] = {"--path", "NAME",
                    "force this path of the kernel for the passes it serves (testing and "
                    "study; the paths: spp list --paths)", NULL, 0},
    };
    int st = cli_parse(argc, argv, o, O_COUNT,
                       "spp run-regions --kernel K --levels L --input MAP.npy --boxes B.npy "
                       "--output Y.npy\n           [--pool max|avg] [--bins adaptive|sppnet|caffe] "
                       "[--layout nchw|nhwc] [--argmax A.npy]\n           [--grad-output GY.npy "
                       "--grad-input GX.npy] [--threads T] [--verbose] [--path NAME]",
                       "Region SPP (docs/spec.md#5-regions): pools every box of B from the one map "
                       "into the full pyramid.\nA bad box is reported with its index, its "
                       "coordinates and the rule; nothing is written then.");
    if (st != CLI_PARSED)
        return st == CLI_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    rr_state s;
    memset(&s, 0, sizeof s);
    int rc = run_regions(o, &s);
    rr_cleanup(&s);
    return rc;
}

/* ---------------------------------- roi-project ---------------------------------- */

enum { P_STRIDE, P_HEIGHT, P_WIDTH, P_BOXES, P_OUTPUT, P_VERBOSE, P_COUNT };

int cmd_roi_project(int argc, char **argv)
{
    cli_opt o[P_COUNT] = {
        [P_STRIDE] = {"--stride", "S", "total stride of the map (16 for ZF-5 conv5)", NULL, 0},
        [P_HEIGHT] = {"--height", "H", "feature map height in cells", NULL, 0},
        [P_WIDTH] = {"--width", "W", "feature map width in cells", NULL, 0},
        [P_BOXES] = {"--boxes", "IMG.npy",
                     "image boxes (R, 4) x0, y0, x1, y1 in pixels: float32, int32 or int64",
                     NULL, 0},
        [P_OUTPUT] = {"--output", "FM.npy", "written: int32 (R, 4) feature-map boxes, half-open",
                      NULL, 0},
        [P_VERBOSE] = {"--verbose", NULL, "print a one-line summary on stdout", NULL, 0},
    };
    int st = cli_parse(argc, argv, o, P_COUNT,
                       "spp roi-project --stride S --height H --width W --boxes IMG.npy "
                       "--output FM.npy [--verbose]",
                       "SPP-net window projection (docs/spec.md#5-regions): left = floor(x0/S)+1, "
                       "right = ceil(x1/S)-1\n(top/bottom alike), clamped to the map; an empty "
                       "window becomes the single cell at its\nclamped left/top edge; output "
                       "x1 = right+1, y1 = bottom+1 (half-open, for run-regions).");
    if (st != CLI_PARSED)
        return st == CLI_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    static const char *const required[] = {"--stride", "--height", "--width", "--boxes",
                                           "--output", NULL};
    if (cli_require("roi-project", o, P_COUNT, required) != 0)
        return CLI_EXIT_USAGE;
    long long stride, h, w;
    if (cli_int("--stride", o[P_STRIDE].value, 1, 1 << 20, &stride) != 0 ||
        cli_int("--height", o[P_HEIGHT].value, 1, INT32_MAX, &h) != 0 ||
        cli_int("--width", o[P_WIDTH].value, 1, INT32_MAX, &w) != 0)
        return CLI_EXIT_USAGE;
    {
        const char *flags[] = {"--output"};
        const char *paths[] = {o[P_OUTPUT].value};
        if (cli_check_outputs(1, flags, paths) != 0)
            return CLI_EXIT_USAGE;
    }
    npy_array a;
    npy_error ne;
    memset(&a, 0, sizeof a);
    if (npy_read(o[P_BOXES].value, NPY_BIT(NPY_F32) | NPY_BIT(NPY_I32) | NPY_BIT(NPY_I64), 0,
                 NPY_MAX_RANK, &a, &ne) != 0)
        return cli_error("--boxes %s", ne.msg);
    if (a.rank != 2 || a.shape[1] != 4) {
        char sh[NPY_MAX_RANK * 24 + 8];
        npy_shape_str(a.shape, a.rank, sh, sizeof sh);
        npy_free(&a);
        return cli_error("--boxes %s: shape %s: expected (R, 4) rows x0, y0, x1, y1 in pixels",
                         o[P_BOXES].value, sh);
    }
    const int64_t R = a.shape[0];
    double *img = spp_alloc((size_t)R * 4 * sizeof *img);
    spp_box *out = spp_alloc((size_t)R * sizeof *out);
    int rc = CLI_EXIT_OK;
    if (!img || !out) {
        rc = cli_error("--boxes %s: out of memory for %lld boxes", o[P_BOXES].value, (long long)R);
        goto done;
    }
    for (int64_t i = 0; i < 4 * R; i++)
        img[i] = a.dtype == NPY_F32   ? (double)((const float *)a.data)[i]
                 : a.dtype == NPY_I32 ? (double)((const int32_t *)a.data)[i]
                                      : (double)((const int64_t *)a.data)[i];
    spp_error e;
    if (spp_roi_project(img, R, (int)stride, h, w, out, &e) != SPP_OK) {
        rc = cli_error("--boxes %s: %s", o[P_BOXES].value, e.msg);
        goto done;
    }
    const int64_t shape[2] = {R, 4};
    if (npy_write(o[P_OUTPUT].value, NPY_I32, 2, shape, out, &ne) != 0) {
        rc = cli_error("--output %s", ne.msg);
        goto done;
    }
    if (o[P_VERBOSE].given)
        printf("projected %lld boxes at stride %lld onto a %lldx%lld map: wrote %s\n",
               (long long)R, stride, h, w, o[P_OUTPUT].value);
done:
    npy_free(&a);
    spp_free(img);
    spp_free(out);
    return rc;
}
