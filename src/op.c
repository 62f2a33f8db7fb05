/* Prepared whole-map operations (include/spp.h, docs/design.md#prepared-operations): creation
 * does the checks and allocations that depend only on the kernel, the problem and the thread
 * count, once, resolves the path of every pass and has the pass's kernel prepare its state; a
 * run checks the buffers and calls the pass's kernel. An `auto` operation may run another
 * kernel per pass (src/auto.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spp_internal.h"

static spp_status check_op(const spp_op *op, spp_error *err)
{
    return op ? SPP_OK : spp_fail(err, SPP_ERR_NULL, "op=NULL: an operation is required");
}

struct spp_op {
    const spp_kernel *k[SPP_NPASSES]; /* the kernel of each pass (one kernel unless auto) */
    spp_plan plan;
    spp_exec ex;          /* threads and the workspace the kernel receives */
    size_t ws_bytes;
    size_t in_bytes, out_bytes;
    int path[SPP_NPASSES];  /* the path each pass runs, -1 for a pass the problem lacks */
    void *state[SPP_NPASSES]; /* each pass's prepared state (spp_kernel.prepare), or NULL */
};

static void free_states(void *state[SPP_NPASSES])
{
    for (int s = 0; s < SPP_NPASSES; s++)
        spp_free(state[s]);
}

/* Each pass's state for the paths path[] (NULL where the kernel keeps none), into state[];
 * on failure nothing is kept. */
static spp_status prepare_states(const spp_op *o, const int path[SPP_NPASSES],
                                 void *state[SPP_NPASSES], spp_error *err)
{
    for (int s = 0; s < SPP_NPASSES; s++)
        state[s] = NULL;
    for (int s = 0; s < SPP_NPASSES; s++) {
        const spp_kernel *k = o->k[s];
        if (path[s] < 0 || !k->state_size)
            continue;
        const size_t b = k->state_size(&o->plan, o->ex.threads, (spp_pass)s, path[s]);
        if (!b)
            continue;
        if (!(state[s] = spp_alloc(b))) {
            free_states(state);
            return spp_fail(err, SPP_ERR_NOMEM, "state: %zu bytes for the %s pass of kernel %s "
                            "not available", b, spp_pass_name((spp_pass)s), k->name);
        }
        k->prepare(&o->plan, o->ex.threads, (spp_pass)s, path[s], state[s]);
    }
    return SPP_OK;
}

/* Pass s's path with path `name` forced (NULL: none); SPP_ERR_ARG (the message names the pass
 * and the valid paths) when the pass's kernel has the path, it serves the pass and it is not
 * valid for the problem. */
static spp_status resolve_pass(const spp_kernel *k, const spp_plan *pl, int threads, int s,
                               const char *name, int *path, spp_error *err)
{
    const int force = name ? spp_kernel_path_find(k, name) : -1;
    *path = spp_kernel_path(k, pl, threads, (spp_pass)s, force);
    if (*path >= 0 && *path < k->npaths)
        return SPP_OK;
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
                    "path=%s: not valid for the %s pass of this problem in kernel %s; valid "
                    "there: %s",
                    name, spp_pass_name((spp_pass)s), k->name, *list ? list : "none");
}

static spp_status resolve_paths(const spp_op *o, const char *name, int path[SPP_NPASSES],
                                spp_error *err)
{
    const int passes = spp_passes_of(o->plan.p.pool);
    for (int s = 0; s < SPP_NPASSES; s++) {
        path[s] = -1;
        if (passes & (int)SPP_PASS_BIT(s)) {
            spp_status st = resolve_pass(o->k[s], &o->plan, o->ex.threads, s, name, &path[s], err);
            if (st != SPP_OK)
                return st;
        }
    }
    return SPP_OK;
}

/* The workspace every pass's kernel needs with path `name` forced (NULL: none): the largest. */
static size_t workspace_for(const spp_op *o, const char *name)
{
    size_t need = 0;
    for (int s = 0; s < SPP_NPASSES; s++) {
        const spp_kernel *k = o->k[s];
        const size_t b = k->workspace_size ? k->workspace_size(&o->plan, o->ex.threads,
                                                               spp_kernel_path_find(k, name))
                                           : 0;
        need = b > need ? b : need;
    }
    return need;
}

/* An operation running kernel k[s] for pass s; every kernel checked against the problem. */
static spp_status create(spp_op **op, const spp_kernel *const k[SPP_NPASSES],
                         const spp_problem *p, int threads, spp_error *err)
{
    if (!op)
        return spp_fail(err, SPP_ERR_NULL, "op=NULL: a place for the operation is required");
    *op = NULL;
    spp_status st;
    for (int s = 0; s < SPP_NPASSES; s++) /* the problem's validation, once per kernel */
        if ((s == 0 || k[s] != k[s - 1]) && (st = spp_check_kernel(k[s], p, err)) != SPP_OK)
            return st;
    if (threads < 1)
        return spp_fail(err, SPP_ERR_ARG, "threads=%d: must be >= 1", threads);
    spp_op *o = calloc(1, sizeof *o);
    if (!o)
        return spp_fail(err, SPP_ERR_NOMEM, "operation: out of memory");
    memcpy(o->k, k, sizeof o->k);
    spp_plan_fill(&o->plan, p);
    o->ex.threads = threads;
    o->in_bytes = (size_t)spp_input_elems(p) * sizeof(float);
    o->out_bytes = (size_t)spp_output_elems(p) * sizeof(float);
    if ((st = resolve_paths(o, NULL, o->path, err)) != SPP_OK) {
        free(o);
        return st;
    }
    o->ws_bytes = workspace_for(o, NULL);
    if (o->ws_bytes && !(o->ex.workspace = spp_alloc_workspace(o->ws_bytes))) {
        st = spp_fail(err, SPP_ERR_NOMEM, "workspace: %zu bytes for kernel %s not available",
                      o->ws_bytes, k[0]->name);
        free(o);
        return st;
    }
    if ((st = prepare_states(o, o->path, o->state, err)) != SPP_OK) {
        spp_free(o->ex.workspace);
        free(o);
        return st;
    }
    *op = o;
    return SPP_OK;
}

spp_status spp_op_create(spp_op **op, const spp_kernel *k, const spp_problem *p, int threads,
                         spp_error *err)
{
    const spp_kernel *ks[SPP_NPASSES] = {k, k, k};
    return create(op, ks, p, threads, err);
}

spp_status spp_op_create_auto(spp_op **op, const spp_problem *p, int threads, spp_error *err)
{
    if (!p) {
        if (op)
            *op = NULL;
        return spp_fail(err, SPP_ERR_NULL, "problem=NULL: a problem is required");
    }
    spp_status st = spp_problem_validate(p, err); /* before the rule reads its fields */
    if (st != SPP_OK) {
        if (op)
            *op = NULL;
        return st;
    }
    const spp_kernel *ks[SPP_NPASSES];
    for (int s = 0; s < SPP_NPASSES; s++)
        if (!(ks[s] = spp_kernel_auto(p, threads, (spp_pass)s, NULL))) {
            if (op)
                *op = NULL;
            return spp_fail(err, SPP_ERR_LAYOUT, "kernel auto: no registered kernel takes "
                            "layout %s on this CPU", spp_layout_name(p->layout));
        }
    if (p->pool != SPP_POOL_MAX) /* avg has no infer pass: its forward is the forward's */
        ks[SPP_PASS_INFER] = ks[SPP_PASS_FORWARD];
    return create(op, ks, p, threads, err);
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
    const spp_pass s = spp_forward_pass(&op->plan.p, argmax);
    op->ex.path = 1 + op->path[s];
    op->ex.state = op->state[s];
    return op->k[s]->forward(&op->plan, x, y, argmax, &op->ex);
}

/* Whether an entry of a[0..n) lies outside 0..plane-1 (a negative one is >= 2^31 unsigned).
 * One pass without an early exit, which the compiler vectorizes; cloned per ISA and picked
 * at load time, since the library's own files are built for the baseline x86-64 (SSE2: 4
 * lanes), and on a small map the check is a noticeable part of a backward (odd, 7x5: about
 * 10 % of the max backward's samples at one thread with SSE2). */
__attribute__((target_clones("avx512f", "avx2", "default"))) static int
argmax_outside(const int32_t *a, size_t n, uint32_t plane)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= (uint32_t)a[i] >= plane;
    return bad != 0;
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
        /* an argmax outside its plane would write out of bounds: reject it. A run pays one
         * read of argmax; then the first bad entry for the message. */
        const uint32_t plane = (uint32_t)(p->h * p->w); /* <= INT32_MAX: validated */
        const size_t out = op->out_bytes / sizeof(float);
        const int bad = argmax_outside(argmax, out, plane);
        for (size_t i = 0; bad && i < out; i++)
            if ((uint32_t)argmax[i] >= plane)
                return spp_fail(err, SPP_ERR_ARG,
                                "argmax[%zu]=%d: must be an offset in 0..H*W-1=%lld", i,
                                (int)argmax[i], (long long)plane - 1);
    }
    op->ex.path = 1 + op->path[SPP_PASS_BACKWARD];
    op->ex.state = op->state[SPP_PASS_BACKWARD];
    return op->k[SPP_PASS_BACKWARD]->backward(&op->plan, dy, need_argmax ? argmax : NULL, dx,
                                              &op->ex);
}

const spp_kernel *spp_op_kernel(const spp_op *op) { return op ? op->k[SPP_PASS_FORWARD] : NULL; }

const spp_kernel *spp_op_pass_kernel(const spp_op *op, spp_pass pass)
{
    return op && (unsigned)pass < SPP_NPASSES ? op->k[pass] : NULL;
}

const char *spp_op_path(const spp_op *op, spp_pass pass)
{
    if (!op || (unsigned)pass >= SPP_NPASSES || op->path[pass] < 0)
        return NULL;
    return op->k[pass]->paths[op->path[pass]].name;
}

spp_status spp_op_force_path(spp_op *op, const char *name, spp_error *err)
{
    spp_status st = check_op(op, err);
    if (st != SPP_OK)
        return st;
    const char *forced = NULL; /* the kernel's own copy of the name */
    if (name) {
        /* some pass of this problem must run it: a forced path that ran nowhere would let a
         * test pass without running it */
        const int passes = spp_passes_of(op->plan.p.pool);
        int serves = 0, known = 0;
        for (int s = 0; s < SPP_NPASSES; s++) {
            const int i = spp_kernel_path_find(op->k[s], name);
            if (i < 0)
                continue;
            known = 1;
            forced = op->k[s]->paths[i].name;
            serves |= (passes & (int)SPP_PASS_BIT(s)) &&
                      (op->k[s]->paths[i].passes & SPP_PASS_BIT(s));
        }
        const spp_kernel *k = op->k[SPP_PASS_FORWARD];
        if (!known) {
            char list[200];
            spp_path_list(list, sizeof list, k->paths, NULL, k->npaths);
            return spp_fail(err, SPP_ERR_ARG, "path=%s: kernel %s has no such path; its paths: %s",
                            name, k->name, list);
        }
        if (!serves)
            return spp_fail(err, SPP_ERR_ARG, "path=%s: kernel %s runs it only for %s pooling's "
                            "passes, not %s", name, k->name,
                            op->plan.p.pool == SPP_POOL_MAX ? "avg" : "max",
                            spp_pool_name(op->plan.p.pool));
    }
    int path[SPP_NPASSES];
    if ((st = resolve_paths(op, forced, path, err)) != SPP_OK)
        return st;
    void *state[SPP_NPASSES];
    if ((st = prepare_states(op, path, state, err)) != SPP_OK)
        return st;
    const size_t need = workspace_for(op, forced);
    if (need > op->ws_bytes) {
        void *ws = spp_alloc_workspace(need);
        if (!ws) {
            free_states(state);
            return spp_fail(err, SPP_ERR_NOMEM, "workspace: %zu bytes for path %s not available",
                            need, name);
        }
        spp_free(op->ex.workspace);
        op->ex.workspace = ws;
        op->ws_bytes = need;
    }
    free_states(op->state);
    memcpy(op->state, state, sizeof state);
    memcpy(op->path, path, sizeof path);
    return SPP_OK;
}

const spp_plan *spp_op_plan(const spp_op *op) { return op ? &op->plan : NULL; }
size_t spp_op_workspace_bytes(const spp_op *op) { return op ? op->ws_bytes : 0; }

void spp_op_destroy(spp_op *op)
{
    if (op) {
        spp_free(op->ex.workspace);
        free_states(op->state);
        free(op);
    }
}
