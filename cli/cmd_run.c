/* spp run: one kernel on a .npy feature map, through one prepared operation (spp_op_create,
 * then spp_op_forward and spp_op_backward). Every argument, file and shape is checked before
 * anything is written; all
 * outputs are staged to temporary names and renamed only when every one was written. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "npy.h"

enum {
    O_KERNEL, O_LEVELS, O_POOL, O_BINS, O_LAYOUT, O_INPUT, O_OUTPUT, O_ARGMAX, O_GRAD_OUT,
    O_GRAD_IN, O_THREADS, O_VERBOSE, O_PATH, O_COUNT
};

typedef struct {
    npy_array x, dy;
    float *y, *dx;
    int32_t *argmax;
    npy_staged staged[3];
    int nstaged;
    spp_op *op;
} run_state;

static void cleanup(run_state *s)
{
    npy_free(&s->x);
    npy_free(&s->dy);
    spp_free(s->y);
    spp_free(s->dx);
    spp_free(s->argmax);
    spp_op_destroy(s->op);
    for (int i = 0; i < s->nstaged; i++)
        npy_discard(&s->staged[i]); /* removes any temporary file not yet renamed */
}

/* " (auto: <the rule's reason>)" for a pass of an auto operation; nothing otherwise */
static void print_auto_reason(int is_auto, const spp_problem *p, int threads, spp_pass pass)
{
    const char *why = NULL;
    if (is_auto && spp_kernel_auto(p, threads, pass, &why))
        printf(" (auto: %s)", why);
}

static int run(cli_opt *o, run_state *s)
{
    /* ---- flags ---- */
    static const char *const required[] = {"--levels", "--input", "--output", NULL};
    if (cli_require("run", o, O_COUNT, required) != 0)
        return CLI_EXIT_USAGE;
    spp_problem p;
    memset(&p, 0, sizeof p);
    cli_pyramid_args a;
    /* --kernel auto (the default) is resolved once the problem is known */
    const int is_auto = !o[O_KERNEL].given || strcmp(o[O_KERNEL].value, "auto") == 0;
    const spp_kernel *k = is_auto ? NULL : cli_kernel("--kernel", o[O_KERNEL].value);
    if ((!is_auto && !k) || cli_pyramid_flags(o, O_COUNT, &a) != 0)
        return CLI_EXIT_USAGE;
    memcpy(p.levels, a.levels, sizeof p.levels);
    p.nlevels = a.nlevels;
    p.pool = a.pool;
    p.bins = a.bins;
    p.layout = a.layout;
    const long long threads = a.threads;
    const int backward = a.backward;

    /* ---- input and problem ---- */
    npy_error ne;
    if (npy_read(o[O_INPUT].value, NPY_BIT(NPY_F32), 0, NPY_MAX_RANK, &s->x, &ne) != 0)
        return cli_error("--input %s", ne.msg);
    if (s->x.rank != 4) {
        char sh[NPY_MAX_RANK * 24 + 8];
        npy_shape_str(s->x.shape, s->x.rank, sh, sizeof sh);
        return cli_error("--input %s: shape %s: expected 4 dimensions %s for --layout %s",
                         o[O_INPUT].value, sh,
                         p.layout == SPP_LAYOUT_NCHW ? "(N,C,H,W)" : "(N,H,W,C)",
                         spp_layout_name(p.layout));
    }
    const int64_t *xs = s->x.shape;
    p.n = xs[0];
    if (p.layout == SPP_LAYOUT_NCHW) {
        p.c = xs[1];
        p.h = xs[2];
        p.w = xs[3];
    } else {
        p.h = xs[1];
        p.w = xs[2];
        p.c = xs[3];
    }
    char ps[256];
    spp_problem_format(&p, ps, sizeof ps);
    spp_error e;
    /* problem rules (docs/spec.md#6-validation), the kernel's layout and this CPU's ISA, the
     * plan and the workspace: the prepared operation, once for forward and backward (auto: the
     * rule's kernel per pass) */
    if ((is_auto ? spp_op_create_auto(&s->op, &p, (int)threads, &e)
                 : spp_op_create(&s->op, k, &p, (int)threads, &e)) != SPP_OK)
        return cli_error("problem %s (kernel %s, --input %s): %s", ps, is_auto ? "auto" : k->name,
                         o[O_INPUT].value, e.msg);
    k = spp_op_kernel(s->op);
    if (o[O_PATH].given && spp_op_force_path(s->op, o[O_PATH].value, &e) != SPP_OK)
        return cli_error("--path %s (problem %s): %s", o[O_PATH].value, ps, e.msg);
    const int64_t out_elems = spp_output_elems(&p);
    const int64_t yshape[2] = {p.n, out_elems / p.n};
    char ys[96];
    npy_shape_str(yshape, 2, ys, sizeof ys);
    if (backward) {
        if (npy_read(o[O_GRAD_OUT].value, NPY_BIT(NPY_F32), 0, NPY_MAX_RANK, &s->dy, &ne) != 0)
            return cli_error("--grad-output %s", ne.msg);
        if (s->dy.rank != 2 || s->dy.shape[0] != yshape[0] || s->dy.shape[1] != yshape[1]) {
            char gs[NPY_MAX_RANK * 24 + 8];
            npy_shape_str(s->dy.shape, s->dy.rank, gs, sizeof gs);
            return cli_error("--grad-output %s: shape %s: expected the output's shape %s "
                             "(problem %s)",
                             o[O_GRAD_OUT].value, gs, ys, ps);
        }
    }

    /* ---- compute ---- */
    const size_t out_bytes = (size_t)out_elems * sizeof(float);
    const int need_argmax = p.pool == SPP_POOL_MAX && (o[O_ARGMAX].given || backward);
    s->y = spp_alloc(out_bytes);
    s->argmax = need_argmax ? spp_alloc(out_bytes) : NULL;
    s->dx = backward ? spp_alloc(s->x.bytes) : NULL;
    if (!s->y || (need_argmax && !s->argmax) || (backward && !s->dx))
        return cli_error("problem %s: out of memory: expected %zu bytes for the outputs", ps,
                         out_bytes * (need_argmax ? 2 : 1) + (backward ? s->x.bytes : 0));
    if (spp_op_forward(s->op, s->x.data, s->y, s->argmax, &e) != SPP_OK)
        return cli_error("problem %s (kernel %s, forward): %s", ps, k->name, e.msg);
    if (backward && spp_op_backward(s->op, s->dy.data, s->argmax, s->dx, &e) != SPP_OK)
        return cli_error("problem %s (kernel %s, backward): %s", ps,
                         spp_op_pass_kernel(s->op, SPP_PASS_BACKWARD)->name, e.msg);

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
    /* Outputs were checked not to be directories and the temporaries sit in the same
     * directories, so a rename can only fail if the tree changed under us since the checks;
     * the remaining temporaries are then removed by cleanup. */
    for (int i = 0; i < s->nstaged; i++)
        if (npy_commit(&s->staged[i], &ne) != 0)
            return cli_error("rename: %s", ne.msg);
    if (o[O_VERBOSE].given) {
        /* the kernel (auto: and why) and the path of each pass that ran (docs/kernels.md#paths) */
        const spp_pass fp = spp_forward_pass(&p, s->argmax);
        printf("%s kernel=%s", ps, spp_op_pass_kernel(s->op, fp)->name);
        print_auto_reason(is_auto, &p, (int)threads, fp);
        printf(" path=%s", spp_op_path(s->op, fp));
        if (backward) {
            const spp_kernel *kb = spp_op_pass_kernel(s->op, SPP_PASS_BACKWARD);
            if (kb != spp_op_pass_kernel(s->op, fp)) {
                printf(" backward-kernel=%s", kb->name);
                print_auto_reason(is_auto, &p, (int)threads, SPP_PASS_BACKWARD);
            }
            printf(" backward-path=%s", spp_op_path(s->op, SPP_PASS_BACKWARD));
        }
        if (o[O_PATH].given)
            printf(" (forced)");
        printf(" threads=%lld: wrote %s %s float32", threads, o[O_OUTPUT].value, ys);
        if (o[O_ARGMAX].given)
            printf(", %s %s int32", o[O_ARGMAX].value, ys);
        if (backward) {
            char xsh[160];
            npy_shape_str(s->x.shape, 4, xsh, sizeof xsh);
            printf(", %s %s float32", o[O_GRAD_IN].value, xsh);
        }
        printf("\n");
    }
    return CLI_EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
    cli_opt o[O_COUNT] = {
        [O_KERNEL] = {"--kernel", "K",
                      "kernel name (see spp list), or auto (the default): the rule of "
                      "docs/kernels.md#auto picks one for the problem and this CPU", NULL, 0},
        [O_LEVELS] = {"--levels", "L", "pyramid levels in order, e.g. 6,3,2,1", NULL, 0},
        [O_POOL] = {"--pool", "P", "max (default) or avg", NULL, 0},
        [O_BINS] = {"--bins", "CONV", "adaptive (default), sppnet or caffe", NULL, 0},
        [O_LAYOUT] = {"--layout", "LAYOUT",
                      "nchw (default; input (N,C,H,W)) or nhwc (input (N,H,W,C))", NULL, 0},
        [O_INPUT] = {"--input", "X.npy", "float32 input feature map, C order, little-endian",
                     NULL, 0},
        [O_OUTPUT] = {"--output", "Y.npy", "written: float32 (N, C*sum n^2), canonical order",
                      NULL, 0},
        [O_ARGMAX] = {"--argmax", "A.npy", "written: int32 argmax (h*W+w), same shape (max only)",
                      NULL, 0},
        [O_GRAD_OUT] = {"--grad-output", "GY.npy",
                        "float32 gradient of the output, shape of Y: runs the backward pass",
                        NULL, 0},
        [O_GRAD_IN] = {"--grad-input", "GX.npy",
                       "written: float32 input gradient, the input's shape and layout", NULL, 0},
        [O_THREADS] = {"--threads", "T", "threads for threaded kernels, 1..1024 (default 1)",
                       NULL, 0},
        [O_VERBOSE] = {"--verbose", NULL,
                       "print a one-line summary on stdout: the kernel (and why, for auto), "
                       "the path each pass took", NULL, 0},
        [O_PATH] = {"--path", "NAME",
                    "force this path of the kernel for the passes it serves (testing and "
                    "study; the paths: spp list --paths)", NULL, 0},
    };
    int st = cli_parse(argc, argv, o, O_COUNT,
                       "spp run --levels L --input X.npy --output Y.npy [--kernel K|auto] [--pool max|avg]"
                       "\n           [--bins adaptive|sppnet|caffe] [--layout nchw|nhwc] "
                       "[--argmax A.npy]\n           [--grad-output GY.npy --grad-input GX.npy] "
                       "[--threads T] [--verbose] [--path NAME]",
                       "Runs kernel K forward on X (and backward with --grad-output; max uses "
                       "the forward's argmax).\nEverything is checked before any file is "
                       "written; outputs are written to temporary names\nand renamed when all "
                       "succeeded. Semantics: docs/spec.md.");
    if (st != CLI_PARSED)
        return st == CLI_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    run_state s;
    memset(&s, 0, sizeof s);
    int rc = run(o, &s);
    cleanup(&s);
    return rc;
}
