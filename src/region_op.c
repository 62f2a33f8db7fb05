/* Prepared region operations and the checked region entry points (include/spp.h,
 * docs/design.md#prepared-operations). Creation checks what depends on the kernel, the
 * problem and the thread count, once; a run checks its boxes and buffers, fills the per-box
 * interval table into memory the op keeps, and grows the table and the workspace only when
 * its boxes need more than an earlier run did. */
#include <stdlib.h>

#include "spp_internal.h"

struct spp_region_op {
    const spp_region_kernel *k;
    spp_region_problem p;
    int threads;
    spp_region_plan plan;      /* the last run's; its iv points into ivbuf */
    spp_interval *ivbuf;
    size_t iv_cap;             /* entries */
    void *ws;
    size_t ws_cap;             /* bytes */
    int force;                 /* forced path index, -1: the kernel's choices */
    int last[SPP_NPASSES];     /* the path each pass's last run took, -1 before one */
};

spp_status spp_region_op_create(spp_region_op **op, const spp_region_kernel *k,
                                const spp_region_problem *p, int threads, spp_error *err)
{
    if (!op)
        return spp_fail(err, SPP_ERR_NULL, "op=NULL: a place for the operation is required");
    *op = NULL;
    spp_status st = spp_region_check_kernel(k, p, err); /* the problem's validation, once */
    if (st != SPP_OK)
        return st;
    if (threads < 1)
        return spp_fail(err, SPP_ERR_ARG, "threads=%d: must be >= 1", threads);
    spp_region_op *o = calloc(1, sizeof *o);
    if (!o)
        return spp_fail(err, SPP_ERR_NOMEM, "region operation: out of memory");
    o->k = k;
    o->p = *p;
    o->threads = threads;
    o->force = -1;
    for (int s = 0; s < SPP_NPASSES; s++)
        o->last[s] = -1;
    *op = o;
    return SPP_OK;
}

/* The boxes' plan, in memory the op keeps, and a workspace large enough for it. */
static spp_status plan_run(spp_region_op *op, const spp_box *boxes, int64_t nboxes,
                           spp_pass pass, spp_exec *ex, spp_error *err)
{
    const spp_region_problem *p = &op->p;
    int64_t ivo = 0;
    for (int l = 0; l < p->nlevels; l++)
        ivo += 2 * (int64_t)p->levels[l];
    const int64_t fi[2] = {nboxes, ivo};
    const size_t need = spp_mul_size(fi, 2, 1);
    if (!need)
        return spp_fail(err, SPP_ERR_OVERFLOW, "nboxes=%lld: interval table overflows size_t",
                        (long long)nboxes);
    if (need > op->iv_cap) {
        spp_interval *iv = malloc(need * sizeof *iv);
        if (!iv)
            return spp_fail(err, SPP_ERR_NOMEM,
                            "region plan: %lld boxes x %lld intervals: out of memory",
                            (long long)nboxes, (long long)ivo);
        free(op->ivbuf);
        op->ivbuf = iv;
        op->iv_cap = need;
    }
    spp_region_plan_fill(&op->plan, p, boxes, nboxes, op->ivbuf);
    const spp_region_kernel *k = op->k;
    const int path = spp_region_kernel_path(k, &op->plan, op->threads, pass, op->force);
    if (path < 0 || path >= k->npaths) {
        if (op->force < 0)
            return spp_fail(err, SPP_ERR_ARG, "kernel %s: no path for the %s pass", k->name,
                            spp_pass_name(pass));
        return spp_fail(err, SPP_ERR_ARG, "path=%s: not valid for the %s pass on these %lld "
                        "boxes in kernel %s", k->paths[op->force].name, spp_pass_name(pass),
                        (long long)nboxes, k->name);
    }
    const size_t bytes = k->workspace_size ? k->workspace_size(&op->plan, op->threads, op->force) : 0;
    if (bytes > op->ws_cap) {
        void *ws = spp_alloc_workspace(bytes);
        if (!ws)
            return spp_fail(err, SPP_ERR_NOMEM, "workspace: %zu bytes for kernel %s not available",
                            bytes, op->k->name);
        spp_free(op->ws);
        op->ws = ws;
        op->ws_cap = bytes;
    }
    ex->threads = op->threads;
    ex->workspace = bytes ? op->ws : NULL;
    ex->path = 1 + path;
    ex->state = NULL; /* region kernels keep no prepared state */
    op->last[pass] = path;
    return SPP_OK;
}

static spp_status check_op(const spp_region_op *op, spp_error *err)
{
    return op ? SPP_OK : spp_fail(err, SPP_ERR_NULL, "op=NULL: an operation is required");
}

spp_status spp_region_op_forward(spp_region_op *op, const spp_box *boxes, int64_t nboxes,
                                 const float *x, float *y, int32_t *argmax, spp_error *err)
{
    spp_status st = check_op(op, err);
    if (st != SPP_OK || (st = spp_region_check_boxes(&op->p, boxes, nboxes, err)) != SPP_OK)
        return st;
    const size_t out = spp_region_output_bytes(&op->p, nboxes, err);
    if (!out)
        return SPP_ERR_OVERFLOW;
    const size_t in = (size_t)spp_region_map_elems(&op->p) * sizeof(float);
    spp_buffer b[4] = {{"x", x, in}, {"y", y, out}, {"boxes", boxes, (size_t)nboxes * sizeof *boxes},
                       {"argmax", argmax, out}};
    if ((st = spp_check_buffers(b, argmax ? 4 : 3, err)) != SPP_OK)
        return st;
    spp_exec ex;
    const spp_pass pass = op->p.pool == SPP_POOL_MAX && !argmax ? SPP_PASS_INFER : SPP_PASS_FORWARD;
    if ((st = plan_run(op, boxes, nboxes, pass, &ex, err)) != SPP_OK)
        return st;
    return op->k->forward(&op->plan, x, y, op->p.pool == SPP_POOL_MAX ? argmax : NULL, &ex);
}

spp_status spp_region_op_backward(spp_region_op *op, const spp_box *boxes, int64_t nboxes,
                                  const float *dy, const int32_t *argmax, float *dx,
                                  spp_error *err)
{
    spp_status st = check_op(op, err);
    if (st != SPP_OK || (st = spp_region_check_boxes(&op->p, boxes, nboxes, err)) != SPP_OK)
        return st;
    const spp_region_problem *p = &op->p;
    const size_t out = spp_region_output_bytes(p, nboxes, err);
    if (!out)
        return SPP_ERR_OVERFLOW;
    const size_t in = (size_t)spp_region_map_elems(p) * sizeof(float);
    const int need_argmax = p->pool == SPP_POOL_MAX;
    spp_buffer b[4] = {{"dy", dy, out}, {"dx", dx, in},
                       {"boxes", boxes, (size_t)nboxes * sizeof *boxes}, {"argmax", argmax, out}};
    if ((st = spp_check_buffers(b, need_argmax ? 4 : 3, err)) != SPP_OK)
        return st;
    if (need_argmax) {
        /* an argmax outside its box's bin would write outside the map or give a gradient the
         * forward pass cannot have produced: it must lie inside the region's box */
        const size_t per = (size_t)(out / sizeof(float) / (size_t)nboxes);
        for (size_t i = 0; i < out / sizeof(float); i++) {
            const spp_box bx = boxes[i / per];
            const int64_t a = argmax[i], hh = a / p->w, ww = a % p->w;
            if (a < 0 || hh < bx.y0 || hh >= bx.y1 || ww < bx.x0 || ww >= bx.x1)
                return spp_fail(err, SPP_ERR_ARG,
                                "argmax[%zu]=%d: must be an offset h*W+w inside box %zu "
                                "(x0=%d,y0=%d,x1=%d,y1=%d)",
                                i, (int)argmax[i], i / per, bx.x0, bx.y0, bx.x1, bx.y1);
        }
    }
    spp_exec ex;
    if ((st = plan_run(op, boxes, nboxes, SPP_PASS_BACKWARD, &ex, err)) != SPP_OK)
        return st;
    return op->k->backward(&op->plan, dy, need_argmax ? argmax : NULL, dx, &ex);
}

const spp_region_kernel *spp_region_op_kernel(const spp_region_op *op)
{
    return op ? op->k : NULL;
}

const char *spp_region_op_path(const spp_region_op *op, spp_pass pass)
{
    if (!op || (unsigned)pass >= SPP_NPASSES || op->last[pass] < 0)
        return NULL;
    return op->k->paths[op->last[pass]].name;
}

spp_status spp_region_op_force_path(spp_region_op *op, const char *name, spp_error *err)
{
    spp_status st = check_op(op, err);
    if (st != SPP_OK)
        return st;
    const spp_region_kernel *k = op->k;
    int force = -1;
    if (name) {
        if ((force = spp_region_kernel_path_find(k, name)) < 0) {
            char list[200];
            spp_path_list(list, sizeof list, k->paths, NULL, k->npaths);
            return spp_fail(err, SPP_ERR_ARG, "path=%s: kernel %s has no such path; its paths: %s",
                            name, k->name, list);
        }
        if (!(k->paths[force].passes & (unsigned)spp_passes_of(op->p.pool)))
            return spp_fail(err, SPP_ERR_ARG, "path=%s: kernel %s runs it only for %s pooling's "
                            "passes, not %s", name, k->name,
                            op->p.pool == SPP_POOL_MAX ? "avg" : "max", spp_pool_name(op->p.pool));
    }
    op->force = force;
    return SPP_OK;
}

void spp_region_op_destroy(spp_region_op *op)
{
    if (op) {
        spp_free(op->ws);
        free(op->ivbuf);
        free(op);
    }
}

/* The one-shot entry points: an operation created, run once and destroyed. */
spp_status spp_region_forward(const spp_region_kernel *k, const spp_region_problem *p,
                              const spp_box *boxes, int64_t nboxes, const float *x, float *y,
                              int32_t *argmax, int threads, spp_error *err)
{
    spp_region_op *op;
    spp_status st = spp_region_op_create(&op, k, p, threads, err);
    if (st == SPP_OK)
        st = spp_region_op_forward(op, boxes, nboxes, x, y, argmax, err);
    spp_region_op_destroy(op);
    return st;
}

spp_status spp_region_backward(const spp_region_kernel *k, const spp_region_problem *p,
                               const spp_box *boxes, int64_t nboxes, const float *dy,
                               const int32_t *argmax, float *dx, int threads, spp_error *err)
{
    spp_region_op *op;
    spp_status st = spp_region_op_create(&op, k, p, threads, err);
    if (st == SPP_OK)
        st = spp_region_op_backward(op, boxes, nboxes, dy, argmax, dx, err);
    spp_region_op_destroy(op);
    return st;
}
