/* Checked entry points: every caller-side error is reported before a kernel runs. The kernel
 * and buffer checks are shared with the prepared operations (op.c, region_op.c). */
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

/* The one-shot entry points: a prepared operation created, run once and destroyed (op.c). */
spp_status spp_forward(const spp_kernel *k, const spp_problem *p, const float *x, float *y,
                       int32_t *argmax, int threads, spp_error *err)
{
    spp_op *op;
    spp_status st = spp_op_create(&op, k, p, threads, err);
    if (st == SPP_OK)
        st = spp_op_forward(op, x, y, argmax, err);
    spp_op_destroy(op);
    return st;
}

spp_status spp_backward(const spp_kernel *k, const spp_problem *p, const float *dy,
                        const int32_t *argmax, float *dx, int threads, spp_error *err)
{
    spp_op *op;
    spp_status st = spp_op_create(&op, k, p, threads, err);
    if (st == SPP_OK)
        st = spp_op_backward(op, dy, argmax, dx, err);
    spp_op_destroy(op);
    return st;
}
