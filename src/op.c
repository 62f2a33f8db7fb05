/* Prepared whole-map operations (include/spp.h, docs/design.md#prepared-operations): creation
 * does the checks and allocations that depend only on the kernel, the problem and the thread
 * count, once; a run checks the buffers and calls the kernel. */
#include <stdint.h>
#include <stdlib.h>

#include "spp_internal.h"

struct spp_op {
    const spp_kernel *k;
    spp_plan plan;
    spp_exec ex;          /* threads and the workspace the kernel receives */
    size_t ws_bytes;
    size_t in_bytes, out_bytes;
};

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
    o->ws_bytes = k->workspace_size ? k->workspace_size(&o->plan, threads) : 0;
    if (o->ws_bytes && !(o->ex.workspace = spp_alloc(o->ws_bytes))) {
        st = spp_fail(err, SPP_ERR_NOMEM, "workspace: %zu bytes for kernel %s not available",
                      o->ws_bytes, k->name);
        free(o);
        return st;
    }
    *op = o;
    return SPP_OK;
}

static spp_status check_op(const spp_op *op, spp_error *err)
{
    return op ? SPP_OK : spp_fail(err, SPP_ERR_NULL, "op=NULL: an operation is required");
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
    return op->k->backward(&op->plan, dy, need_argmax ? argmax : NULL, dx, &op->ex);
}

const spp_kernel *spp_op_kernel(const spp_op *op) { return op ? op->k : NULL; }
const spp_plan *spp_op_plan(const spp_op *op) { return op ? &op->plan : NULL; }
size_t spp_op_workspace_bytes(const spp_op *op) { return op ? op->ws_bytes : 0; }

void spp_op_destroy(spp_op *op)
{
    if (op) {
        spp_free(op->ex.workspace);
        free(op);
    }
}
