/* Checked entry points: every caller-side error is reported before a kernel runs. */
#include <stdlib.h>
#include <string.h>

#include "spp_internal.h"

spp_status spp_check_kernel(const spp_kernel *k, const spp_problem *p, spp_error *err)
{
    if (!k)
        return spp_fail(err, SPP_ERR_NULL, "kernel=NULL: a kernel is required");
    spp_status st = spp_problem_validate(p, err);
    if (st != SPP_OK)
        return st;
    if (!spp_kernel_has_layout(k, p->layout))
        return spp_fail(err, SPP_ERR_LAYOUT, "layout=%s: kernel %s does not take this layout",
                        spp_layout_name(p->layout), k->name);
    const char *why = spp_isa_unavailable(k->isa);
    if (why)
        return spp_fail(err, SPP_ERR_ISA, "kernel=%s: %s", k->name, why);
    return SPP_OK;
}

spp_status spp_check_buffers(const spp_buffer *b, int nb, spp_error *err)
{
    for (int i = 0; i < nb; i++)
        if (!b[i].ptr)
            return spp_fail(err, SPP_ERR_NULL, "%s=NULL: buffer is required", b[i].name);
    for (int i = 0; i < nb; i++)
        for (int j = i + 1; j < nb; j++) {
            uintptr_t a0 = (uintptr_t)b[i].ptr, a1 = a0 + b[i].bytes;
            uintptr_t b0 = (uintptr_t)b[j].ptr, b1 = b0 + b[j].bytes;
            if (a0 < b1 && b0 < a1)
                return spp_fail(err, SPP_ERR_OVERLAP,
                                "%s and %s: buffers overlap (%zu and %zu bytes at %p and %p)",
                                b[i].name, b[j].name, b[i].bytes, b[j].bytes, b[i].ptr, b[j].ptr);
        }
    return SPP_OK;
}

typedef struct { spp_plan plan; spp_exec ex; void *ws; } run_ctx;

static spp_status prepare(run_ctx *c, const spp_kernel *k, const spp_problem *p, int threads,
                          spp_error *err)
{
    c->ws = NULL; /* the caller frees it on every path */
    spp_status st = spp_check_kernel(k, p, err);
    if (st != SPP_OK)
        return st;
    if (threads < 1)
        return spp_fail(err, SPP_ERR_ARG, "threads=%d: must be >= 1", threads);
    spp_plan_init(&c->plan, p, err);
    c->ex.threads = threads;
    c->ex.workspace = NULL;
    size_t bytes = k->workspace_size ? k->workspace_size(&c->plan, threads) : 0;
    if (bytes) {
        c->ws = spp_alloc(bytes);
        if (!c->ws)
            return spp_fail(err, SPP_ERR_NOMEM, "workspace: %zu bytes for kernel %s not available",
                            bytes, k->name);
        c->ex.workspace = c->ws;
    }
    return SPP_OK;
}

spp_status spp_forward(const spp_kernel *k, const spp_problem *p, const float *x, float *y,
                       int32_t *argmax, int threads, spp_error *err)
{
    spp_status st = spp_problem_validate(p, err);
    if (st != SPP_OK)
        return st;
    const size_t in = (size_t)spp_input_elems(p), out = (size_t)spp_output_elems(p);
    spp_buffer b[3] = {{"x", x, in * 4}, {"y", y, out * 4}, {"argmax", argmax, out * 4}};
    st = spp_check_buffers(b, argmax ? 3 : 2, err);
    if (st != SPP_OK)
        return st;
    run_ctx *c = malloc(sizeof *c);
    if (!c)
        return spp_fail(err, SPP_ERR_NOMEM, "plan: out of memory");
    st = prepare(c, k, p, threads, err);
    if (st == SPP_OK)
        st = k->forward(&c->plan, x, y, argmax, &c->ex);
    spp_free(c->ws);
    free(c);
    return st;
}

spp_status spp_backward(const spp_kernel *k, const spp_problem *p, const float *dy,
                        const int32_t *argmax, float *dx, int threads, spp_error *err)
{
    spp_status st = spp_problem_validate(p, err);
    if (st != SPP_OK)
        return st;
    const size_t in = (size_t)spp_input_elems(p), out = (size_t)spp_output_elems(p);
    const int need_argmax = p->pool == SPP_POOL_MAX;
    spp_buffer b[3] = {{"dy", dy, out * 4}, {"dx", dx, in * 4}, {"argmax", argmax, out * 4}};
    st = spp_check_buffers(b, need_argmax ? 3 : 2, err);
    if (st != SPP_OK)
        return st;
    run_ctx *c = malloc(sizeof *c);
    if (!c)
        return spp_fail(err, SPP_ERR_NOMEM, "plan: out of memory");
    st = prepare(c, k, p, threads, err);
    if (st == SPP_OK && need_argmax) {
        /* an argmax outside its plane would write out of bounds: reject it */
        const int64_t plane = p->h * p->w;
        for (size_t i = 0; i < out; i++)
            if (argmax[i] < 0 || argmax[i] >= plane) {
                st = spp_fail(err, SPP_ERR_ARG,
                              "argmax[%zu]=%d: must be an offset in 0..H*W-1=%lld", i,
                              (int)argmax[i], (long long)(plane - 1));
                break;
            }
    }
    if (st == SPP_OK)
        st = k->backward(&c->plan, dy, need_argmax ? argmax : NULL, dx, &c->ex);
    spp_free(c->ws);
    free(c);
    return st;
}
