/* Prepared whole-map operations (include/spp.h, docs/design.md#prepared-operations): creation
 * does the checks and allocations that depend only on the kernel, the problem and the thread
 * count, once; a run checks the buffers and calls the kernel. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spp_internal.h"

static spp_status check_op(const spp_op *op, spp_error *err)
{
    return op ? SPP_OK : spp_fail(err, SPP_ERR_NULL, "op=NULL: an operation is required");
}

struct spp_op {
    const spp_kernel *k;
    spp_plan plan;
    spp_exec ex;          /* threads and the workspace the kernel receives */
    size_t ws_bytes;
    size_t in_bytes, out_bytes;
    int force;              /* forced path index, -1: the kernel's choices */
    int path[SPP_NPASSES];  /* the path each pass runs, -1 for a pass the problem lacks */
};

/* Every pass's path under `force`; SPP_ERR_ARG (the message names the pass and the valid
 * paths) when force serves a pass of this problem but is not valid for it. */
static spp_status resolve_paths(const spp_kernel *k, const spp_plan *pl, int threads, int force,
                                int path[SPP_NPASSES], spp_error *err)
{
    const int passes = spp_passes_of(pl->p.pool);
    for (int s = 0; s < SPP_NPASSES; s++) {
        path[s] = -1;
        if (!(passes & (int)SPP_PASS_BIT(s)))
            continue;
        path[s] = spp_kernel_path(k, pl, threads, (spp_pass)s, force);
        if (path[s] >= 0 && path[s] < k->npaths)
            continue;
        if (force < 0) /* a kernel that cannot name its own choice is a bug, not bad input */
            return spp_fail(err, SPP_ERR_ARG, "kernel %s: no path for the %s pass", k->name,
                            spp_pass_name((spp_pass)s));
        int valid[64] = {0};
        for (int i = 0; i < k->npaths && i < 64; i++)
            valid[i] = (k->paths[i].passes & SPP_PASS_BIT(s)) &&
                       spp_kernel_path(k, pl, threads, (spp_pass)s, i) == i;
        char list[200];
        spp_path_list(list, sizeof list, k->paths, valid, k->npaths < 64 ? k->npaths : 64);
        return spp_fail(err, SPP_ERR_ARG,
                        "path=%s: not valid for the %s pass of this problem in kernel %s; "
                        "valid there: %s",
                        k->paths[force].name, spp_pass_name((spp_pass)s), k->name,
                        *list ? list : "none");
    }
    return SPP_OK;
}

/* Forced paths a pass of this problem does not have (infer on avg) are rejected too: a test
 * that forces one would otherwise pass without running it. */
static spp_status check_force_serves(const spp_kernel *k, const spp_problem *p, int force,
                                     spp_error *err)
{
    if (force >= 0 && !(k->paths[force].passes & (unsigned)spp_passes_of(p->pool)))
        return spp_fail(err, SPP_ERR_ARG, "path=%s: kernel %s runs it only for %s pooling's "
                        "passes, not %s", k->paths[force].name, k->name,
                        p->pool == SPP_POOL_MAX ? "avg" : "max", spp_pool_name(p->pool));
    return SPP_OK;
}

spp_status spp_op_create(spp_op **op, const spp_kernel *k, const spp_problem *p, int threads,
                         spp_error *err)
{
    if (!op)
        return spp_fail(err, SPP_ERR_NULL, "op=NULL: a place for the operation is required");
    *op = NULL;
    spp_status st = spp_check_kernel(k, p, err); /* the problem's validation, once */
    if (st != SPP_OK)
        return st;
    if (threads < 1)
        return spp_fail(err, SPP_ERR_ARG, "threads=%d: must be >= 1", threads);
    spp_op *o = calloc(1, sizeof *o);
    if (!o)
        return spp_fail(err, SPP_ERR_NOMEM, "operation: out of memory");
    o->k = k;
    spp_plan_fill(&o->plan, p);
    o->ex.threads = threads;
    o->in_bytes = (size_t)spp_input_elems(p) * sizeof(float);
    o->out_bytes = (size_t)spp_output_elems(p) * sizeof(float);
    o->force = -1;
    if ((st = resolve_paths(k, &o->plan, threads, -1, o->path, err)) != SPP_OK) {
        free(o);
        return st;
    }
    o->ws_bytes = k->workspace_size ? k->workspace_size(&o->plan, threads, -1) : 0;
    if (o->ws_bytes && !(o->ex.workspace = spp_alloc(o->ws_bytes))) {
        st = spp_fail(err, SPP_ERR_NOMEM, "workspace: %zu bytes for kernel %s not available",
                      o->ws_bytes, k->name);
        free(o);
        return st;
    }
    *op = o;
    return SPP_OK;
}


spp_status spp_op_forward(spp_op *op, const float *x, float *y, int32_t *argmax, spp_error *err)
{
    spp_status st = check_op(op, err);
    if (st != SPP_OK)
        return st;
    spp_buffer b[3] = {{"x", x, op->in_bytes}, {"y", y, op->out_bytes},
                       {"argmax", argmax, op->out_bytes}};
    if ((st = spp_check_buffers(b, argmax ? 3 : 2, err)) != SPP_OK)
        return st;
    op->ex.path = 1 + op->path[spp_forward_pass(&op->plan.p, argmax)];
    return op->k->forward(&op->plan, x, y, argmax, &op->ex);
}

spp_status spp_op_backward(spp_op *op, const float *dy, const int32_t *argmax, float *dx,
                           spp_error *err)
{
    spp_status st = check_op(op, err);
    if (st != SPP_OK)
        return st;
    const spp_problem *p = &op->plan.p;
    const int need_argmax = p->pool == SPP_POOL_MAX;
    spp_buffer b[3] = {{"dy", dy, op->out_bytes}, {"dx", dx, op->in_bytes},
                       {"argmax", argmax, op->out_bytes}};
    if ((st = spp_check_buffers(b, need_argmax ? 3 : 2, err)) != SPP_OK)
        return st;
    if (need_argmax) {
        /* an argmax outside its plane would write out of bounds: reject it. One pass without
         * an early exit (the compiler vectorizes it: a run pays one read of argmax), then the
         * first bad entry for the message. */
        const uint32_t plane = (uint32_t)(p->h * p->w); /* <= INT32_MAX: validated */
        const size_t out = op->out_bytes / sizeof(float);
        uint32_t bad = 0;
        for (size_t i = 0; i < out; i++)
            bad |= (uint32_t)argmax[i] >= plane; /* a negative entry is >= 2^31 unsigned */
        for (size_t i = 0; bad && i < out; i++)
            if ((uint32_t)argmax[i] >= plane)
                return spp_fail(err, SPP_ERR_ARG,
                                "argmax[%zu]=%d: must be an offset in 0..H*W-1=%lld", i,
                                (int)argmax[i], (long long)plane - 1);
    }
    op->ex.path = 1 + op->path[SPP_PASS_BACKWARD];
    return op->k->backward(&op->plan, dy, need_argmax ? argmax : NULL, dx, &op->ex);
}

const spp_kernel *spp_op_kernel(const spp_op *op) { return op ? op->k : NULL; }

const char *spp_op_path(const spp_op *op, spp_pass pass)
{
    if (!op || (unsigned)pass >= SPP_NPASSES || op->path[pass] < 0)
        return NULL;
    return op->k->paths[op->path[pass]].name;
}

spp_status spp_op_force_path(spp_op *op, const char *name, spp_error *err)
{
    spp_status st = check_op(op, err);
    if (st != SPP_OK)
        return st;
    const spp_kernel *k = op->k;
    int force = -1;
    if (name) {
        if ((force = spp_kernel_path_find(k, name)) < 0) {
            char list[200];
            spp_path_list(list, sizeof list, k->paths, NULL, k->npaths);
            return spp_fail(err, SPP_ERR_ARG, "path=%s: kernel %s has no such path; its paths: %s",
                            name, k->name, list);
        }
        if ((st = check_force_serves(k, &op->plan.p, force, err)) != SPP_OK)
            return st;
    }
    int path[SPP_NPASSES];
    if ((st = resolve_paths(k, &op->plan, op->ex.threads, force, path, err)) != SPP_OK)
        return st;
    const size_t need = k->workspace_size ? k->workspace_size(&op->plan, op->ex.threads, force) : 0;
    if (need > op->ws_bytes) {
        void *ws = spp_alloc(need);
        if (!ws)
            return spp_fail(err, SPP_ERR_NOMEM, "workspace: %zu bytes for path %s of kernel %s "
                            "not available", need, name, k->name);
        spp_free(op->ex.workspace);
        op->ex.workspace = ws;
        op->ws_bytes = need;
    }
    op->force = force;
    memcpy(op->path, path, sizeof path);
    return SPP_OK;
}
const spp_plan *spp_op_plan(const spp_op *op) { return op ? &op->plan : NULL; }
size_t spp_op_workspace_bytes(const spp_op *op) { return op ? op->ws_bytes : 0; }

void spp_op_destroy(spp_op *op)
{
    if (op) {
        spp_free(op->ex.workspace);
        free(op);
    }
}
