/* sppbench: Spatial Pyramid Pooling kernels behind one interface.
 *
 * The semantics (bins, ties, NaN, output order, gradients) are those of docs/spec.md;
 * this header is the only one a C program needs to link libspp.
 *
 * Typical use:
 *   spp_problem p;  spp_error e;
 *   spp_problem_parse("n1c256h13w13_l6.3.2.1_max_adaptive_nchw", &p, &e);
 *   const spp_kernel *k = spp_kernel_find("naive");
 *   spp_forward(k, &p, x, y, argmax, 1, &e);      // checks everything, then runs
 */
#ifndef SPP_H
#define SPP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPP_MAX_LEVELS 8   /* most pyramid levels in one problem */
#define SPP_MAX_LEVEL 64   /* largest n of a level (n x n bins) */
#define SPP_MAX_AXIS (INT64_C(1) << 56) /* longest axis spp_axis_bins accepts (int64 headroom) */

typedef enum { SPP_POOL_MAX = 0, SPP_POOL_AVG = 1 } spp_pool;
typedef enum { SPP_BINS_ADAPTIVE = 0, SPP_BINS_SPPNET = 1, SPP_BINS_CAFFE = 2 } spp_bins;
typedef enum { SPP_LAYOUT_NCHW = 0, SPP_LAYOUT_NHWC = 1 } spp_layout;
typedef enum { SPP_ISA_SCALAR = 0, SPP_ISA_AVX2 = 1, SPP_ISA_AVX512 = 2 } spp_isa;

#define SPP_LAYOUT_BIT(l) (1u << (l))

typedef enum {
    SPP_OK = 0,
    SPP_ERR_NULL,       /* a required pointer is NULL */
    SPP_ERR_ENUM,       /* pool, bins or layout is not one of the enum values */
    SPP_ERR_SHAPE,      /* N, C, H or W < 1 */
    SPP_ERR_LEVELS,     /* no levels, too many, or a level outside 1..SPP_MAX_LEVEL */
    SPP_ERR_CONVENTION, /* the bin convention is invalid for this (axis, size, level) */
    SPP_ERR_OVERFLOW,   /* a byte count overflows size_t, or H*W > INT32_MAX */
    SPP_ERR_OVERLAP,    /* input and output buffers overlap */
    SPP_ERR_LAYOUT,     /* the kernel does not take this layout */
    SPP_ERR_ISA,        /* this CPU lacks the kernel's instruction set */
    SPP_ERR_PARSE,      /* a problem string is malformed */
    SPP_ERR_ARG,        /* another argument is out of range (threads, names) */
    SPP_ERR_NOMEM       /* workspace allocation failed */
} spp_status;

/* Human-readable message for the last failure: names the field, the value and the rule. */
typedef struct { char msg[256]; } spp_error;

/* An SPP problem. Levels are kept in the caller's order; repeats are allowed. */
typedef struct {
    int64_t n, c, h, w;
    int nlevels;
    int levels[SPP_MAX_LEVELS];
    spp_pool pool;
    spp_bins bins;
    spp_layout layout;
} spp_problem;

/* One bin along one axis: rows (or columns) [start, end), and the avg divisor of this axis
 * (for caffe the divisor counts padding, so it may exceed end - start). */
typedef struct { int64_t start, end, div; } spp_interval;

typedef struct {
    int n;              /* n x n bins */
    int64_t out_offset; /* first output of this level inside a sample: C * sum_{k<l} n_k^2 */
    spp_interval rows[SPP_MAX_LEVEL];
    spp_interval cols[SPP_MAX_LEVEL];
} spp_level_plan;

/* The bin plan: every level's row and column intervals, computed once by spp_plan_init. */
typedef struct {
    spp_problem p;
    int64_t bins_per_channel; /* sum n^2 */
    int64_t out_per_sample;   /* C * sum n^2 */
    spp_level_plan lv[SPP_MAX_LEVELS];
} spp_plan;

/* Per-call execution settings a kernel receives. */
typedef struct {
    int threads;          /* >= 1; single-threaded kernels ignore it */
    void *workspace;      /* kernel->workspace_size bytes, 64-byte aligned (the prepared
                           * operations: 4 KiB), or NULL if 0 */
    int path;             /* 0: the kernel chooses its path; k >= 1: run path k - 1 of
                           * kernel->paths, already resolved by spp_kernel_path (the prepared
                           * operations set it; a zeroed spp_exec leaves the choice to the
                           * kernel) */
    const void *state;    /* NULL, or what kernel->prepare wrote for this plan, thread count,
                           * pass and path (the prepared operations keep one per pass); NULL:
                           * the kernel computes the same at the start of the call, in its
                           * workspace */
} spp_exec;
/* ---- paths (docs/kernels.md#paths) ----
 * A kernel takes one of a few named routes through its code for a given plan, pass and thread
 * count (a small-plane core, 2-D blocks, a scalar route for tiny inputs, ...). It decides in
 * one function, choose_path, which the prepared operations call at creation, so a program
 * (and `spp run --verbose`) can ask which path runs, and tests can force every path wherever
 * it is valid, thresholds included. */
typedef enum {
    SPP_PASS_FORWARD = 0,  /* forward writing argmax (max), or any avg forward */
    SPP_PASS_INFER = 1,    /* max forward with argmax NULL */
    SPP_PASS_BACKWARD = 2
} spp_pass;
#define SPP_NPASSES 3
#define SPP_PASS_BIT(s) (1u << (s))
#define SPP_PASSES_ALL 7u
typedef struct {
    const char *name;   /* short, unique in the kernel: "rows", "small-cells", "scalar" */
    unsigned passes;    /* SPP_PASS_BIT mask: the passes this path serves */
    const char *when;   /* one line: when the kernel chooses it */
} spp_path;

/* Forward: x in the problem's layout -> y (N, C*sum n^2) in canonical order. For max, argmax
 * (same shape as y, offsets h*W+w inside the (sample, channel) plane) is written when non-NULL.
 * Backward: dx (input shape and layout) = gradient of sum(dy * y); dx is overwritten, not
 * accumulated into. argmax is required for max and ignored for avg. */
typedef spp_status (*spp_forward_fn)(const spp_plan *plan, const float *x, float *y,
                                     int32_t *argmax, const spp_exec *ex);
typedef spp_status (*spp_backward_fn)(const spp_plan *plan, const float *dy,
                                      const int32_t *argmax, float *dx, const spp_exec *ex);
/* Workspace bytes for the plan and thread count; path >= 0: with that path forced for its
 * passes (the kernel's choice for the others), -1: the kernel's choices. */
typedef size_t (*spp_workspace_fn)(const spp_plan *plan, int threads, int path);
/* The kernel's path for a plan, pass and thread count: its own choice when force < 0, else
 * force (a path serving this pass) if that path is valid for the plan, or -1 if not. */
typedef int (*spp_choose_path_fn)(const spp_plan *plan, int threads, spp_pass pass, int force);
/* A pass's state: what the kernel would otherwise derive at the start of every call from the
 * plan, the thread count and the path alone (a small-plane core's merge program and position
 * table). state_size gives its bytes (0: none) for path (>= 0, as resolved for the pass);
 * prepare writes it into state (that many bytes, 64-byte aligned), read-only from then on. */
typedef size_t (*spp_state_size_fn)(const spp_plan *plan, int threads, spp_pass pass, int path);
typedef void (*spp_prepare_fn)(const spp_plan *plan, int threads, spp_pass pass, int path,
                               void *state);

typedef struct spp_kernel {
    const char *name;       /* "layout__strategy", e.g. nhwc__avx2; the file name matches */
    unsigned layouts;       /* bitmask of SPP_LAYOUT_BIT(layout) */
    spp_isa isa;            /* instruction set the kernel needs */
    int threaded;           /* 1 if it honours spp_exec.threads */
    const char *summary;    /* one line */
    spp_forward_fn forward;
    spp_backward_fn backward;
    spp_workspace_fn workspace_size; /* NULL: needs none */
    const spp_path *paths;  /* npaths >= 1 named paths */
    int npaths;
    spp_choose_path_fn choose_path; /* NULL only when npaths == 1 (one path, always valid) */
    spp_state_size_fn state_size;   /* NULL: no state (spp_exec.state stays NULL) */
    spp_prepare_fn prepare;         /* set with state_size */
} spp_kernel;

/* ---- registry ---- */
int spp_kernel_count(void);
const spp_kernel *spp_kernel_at(int i);
const spp_kernel *spp_kernel_find(const char *name); /* NULL if unknown */
int spp_kernel_has_layout(const spp_kernel *k, spp_layout l);

/* ---- buffers ----
 * spp_alloc: bytes (0 counts as 1) 64-byte aligned; from 2 MiB up, 2 MiB aligned and advised
 * for transparent huge pages (madvise MADV_HUGEPAGE) unless the environment sets
 * SPP_HUGE_PAGES=0. NULL when out of memory. Free with spp_free. The checked entry points
 * allocate kernel workspaces with it; the benchmarks and the CLI their maps and outputs.
 * spp_huge_pages: 1 if spp_alloc advises huge pages (SPP_HUGE_PAGES is not "0"). */
void *spp_alloc(size_t bytes);
void spp_free(void *p);
int spp_huge_pages(void);

/* ---- CPU ---- */
/* 1 if this CPU and OS can run isa and the environment's SPP_MAX_ISA (scalar, avx2 or avx512:
 * the highest ISA the library may run, as oneDNN's ONEDNN_MAX_CPU_ISA) does not exclude it. */
int spp_cpu_supports(spp_isa isa);
/* NULL when spp_cpu_supports(isa), else why not, in words (valid until the next call from the
 * same thread): the CPU lacks it, SPP_MAX_ISA excludes it, or SPP_MAX_ISA is not an ISA name. */
const char *spp_isa_unavailable(spp_isa isa);
const char *spp_isa_name(spp_isa isa);
/* The last-level (L3) cache size in bytes as the OS reports it, 0 when unknown; the
 * environment's SPP_LLC_BYTES (a decimal byte count, read on every call) replaces it. The
 * kernels' max backward streams its zero-fill only for a dx larger than this
 * (docs/kernels.md). */
int64_t spp_llc_bytes(void);

/* ---- names ---- */
const char *spp_pool_name(spp_pool p);
const char *spp_bins_name(spp_bins b);
const char *spp_layout_name(spp_layout l);
const char *spp_status_name(spp_status s);
/* name -> enum value; return SPP_ERR_ENUM (with message) on an unknown name */
spp_status spp_pool_from_name(const char *s, spp_pool *out, spp_error *err);
spp_status spp_bins_from_name(const char *s, spp_bins *out, spp_error *err);
spp_status spp_layout_from_name(const char *s, spp_layout *out, spp_error *err);

/* ---- problems ---- */
/* docs/spec.md#6-validation (everything that does not need buffers). err may be NULL. */
spp_status spp_problem_validate(const spp_problem *p, spp_error *err);
/* n{N}c{C}h{H}w{W}_l{a.b.c}_{pool}_{bins}_{layout}; syntax only (validate separately).
 * Only the canonical spelling is accepted, so format(parse(s)) == s. */
spp_status spp_problem_parse(const char *s, spp_problem *p, spp_error *err);
/* Returns the length the full string needs (like snprintf); writes at most cap bytes. */
int spp_problem_format(const spp_problem *p, char *buf, size_t cap);
/* Element counts of a valid problem. */
int64_t spp_input_elems(const spp_problem *p);
int64_t spp_output_elems(const spp_problem *p);

/* ---- bins: the one place boundaries are computed (docs/spec.md#2-bins) ---- */
/* Fills out[0..n) for an axis of length A; axis names the axis in messages ("H", "W"). */
spp_status spp_axis_bins(int64_t A, int n, spp_bins conv, const char *axis,
                         spp_interval *out, spp_error *err);
/* Validates p and fills plan. */
spp_status spp_plan_init(spp_plan *plan, const spp_problem *p, spp_error *err);

/* ---- checked entry points ----
 * Validate the problem, the pointers (non-NULL, no overlap), the kernel's layout and ISA,
 * allocate the kernel's workspace, then run. Nothing is written on a failed check. */
spp_status spp_forward(const spp_kernel *k, const spp_problem *p, const float *x, float *y,
                       int32_t *argmax, int threads, spp_error *err);
spp_status spp_backward(const spp_kernel *k, const spp_problem *p, const float *dy,
                        const int32_t *argmax, float *dx, int threads, spp_error *err);
/* Only the kernel, problem and ISA checks of spp_forward / spp_backward. */
spp_status spp_check_kernel(const spp_kernel *k, const spp_problem *p, spp_error *err);

/* The `auto` choice for a pass of a problem at a thread count: the first kernel of an ordered
 * rule (src/auto.c, docs/kernels.md#auto) that serves the pass, whose condition holds and that
 * takes the layout and runs on this CPU; why (may be NULL) gets the rule's one-line reason.
 * The problem need not be validated; NULL only if no kernel applies. */
const spp_kernel *spp_kernel_auto(const spp_problem *p, int threads, spp_pass pass,
                                  const char **why);
/* The pass of a forward call: SPP_PASS_INFER for max with argmax NULL, else SPP_PASS_FORWARD. */
spp_pass spp_forward_pass(const spp_problem *p, const int32_t *argmax);
const char *spp_pass_name(spp_pass pass); /* "forward", "infer", "backward" */
/* Index of the path called name in k->paths, or -1. */
int spp_kernel_path_find(const spp_kernel *k, const char *name);
/* The path k runs for plan, pass and threads: the kernel's choice when force < 0 or when path
 * force does not serve this pass; else force, or -1 when it is not valid for the plan. */
int spp_kernel_path(const spp_kernel *k, const spp_plan *plan, int threads, spp_pass pass,
                    int force);

/* ---- prepared operations: create once, run many times (docs/design.md#prepared-operations)
 * spp_op_create does everything a run needs except the buffers: it validates the problem, the
 * kernel (layout, ISA) and the thread count, builds the bin plan, allocates the kernel's
 * workspace and has the kernel prepare each pass's state (spp_kernel.prepare). spp_op_forward / spp_op_backward then check only the buffers (non-NULL, no
 * overlap; backward also that every argmax lies in its plane, one pass over argmax) and run
 * the kernel; nothing is written when a check fails. spp_forward and spp_backward are
 * create + run + destroy. An op holds one workspace: run it from one thread at a time (one op
 * per concurrent caller). spp_op_destroy(NULL) does nothing. */
typedef struct spp_op spp_op;
spp_status spp_op_create(spp_op **op, const spp_kernel *k, const spp_problem *p, int threads,
                         spp_error *err);
spp_status spp_op_forward(spp_op *op, const float *x, float *y, int32_t *argmax, spp_error *err);
spp_status spp_op_backward(spp_op *op, const float *dy, const int32_t *argmax, float *dx,
                           spp_error *err);
/* `auto`: an operation whose kernel for each pass is spp_kernel_auto's choice for the problem,
 * the thread count and that pass (the backward may run another kernel than the forward: both
 * use the canonical argmax). Otherwise as spp_op_create. */
spp_status spp_op_create_auto(spp_op **op, const spp_problem *p, int threads, spp_error *err);
/* The forward's kernel; spp_op_pass_kernel: the kernel a pass runs. */
const spp_kernel *spp_op_kernel(const spp_op *op);
const spp_kernel *spp_op_pass_kernel(const spp_op *op, spp_pass pass);
/* The name of the path a run of this pass takes (resolved at creation), NULL for a pass the
 * problem does not have (infer of avg). */
const char *spp_op_path(const spp_op *op, spp_pass pass);
/* Test and study switch: run path `name` of the op's kernel for the passes it serves, the
 * kernel's choice for the others; NULL restores the kernel's choices. SPP_ERR_ARG, op
 * unchanged, when the kernel has no such path or it is not valid for the problem (the message
 * lists the paths that are); grows the workspace if the path needs more. */
spp_status spp_op_force_path(spp_op *op, const char *name, spp_error *err);
const spp_plan *spp_op_plan(const spp_op *op);
size_t spp_op_workspace_bytes(const spp_op *op);
void spp_op_destroy(spp_op *op);

/* ===================== region SPP (docs/spec.md#5-regions) ========================
 * One feature map (C, H, W), N = 1, in NCHW or NHWC; R integer boxes pooled from it, each into
 * the full pyramid: y has shape (R, C * sum n^2), each region's row in canonical order
 * (level, channel, bin row, bin column). argmax offsets are h*W + w in the MAP's plane.
 * A box's bins are spp_axis_bins applied to the box height (y1-y0) and width (x1-x0), then
 * offset by y0 and x0. Backward overwrites dx (map shape and layout): zero, then every region's
 * every output adds its gradient, exactly like the whole-map spp_backward.
 *
 * Design of the plan: the checked entry points validate every box and build a per-box interval
 * table ONCE (spp_region_plan_init: R x sum(2n) spp_intervals, absolute map coordinates, from
 * spp_axis_bins), so no kernel calls spp_axis_bins or divides in its hot loop. */

/* A box [y0, y1) x [x0, x1) in feature-map cells; the field order is the detection order
 * x0, y0, x1, y1 (as in the boxes .npy files). */
typedef struct { int32_t x0, y0, x1, y1; } spp_box;

/* A region problem: the map and the pyramid; the boxes are passed separately. */
typedef struct {
    int64_t c, h, w;
    spp_layout layout;
    int nlevels;
    int levels[SPP_MAX_LEVELS];
    spp_pool pool;
    spp_bins bins;
} spp_region_problem;

/* The region plan: per-level constants and the per-box interval table.
 * For box r and level l (n = levels[l]): row bin i is
 *   iv[r * iv_per_box + iv_offset[l] + i],  column bin j is  iv[... + iv_offset[l] + n + j],
 * with start/end absolute map rows/columns and div the avg divisor of that axis. */
typedef struct {
    spp_region_problem p;
    int64_t nboxes;
    int64_t bins_per_channel;            /* sum n^2 */
    int64_t out_per_region;              /* C * sum n^2 */
    int64_t out_offset[SPP_MAX_LEVELS];  /* C * sum_{k<l} n_k^2 */
    int64_t iv_offset[SPP_MAX_LEVELS];   /* sum_{k<l} 2 n_k */
    int64_t iv_per_box;                  /* sum 2 n */
    const spp_box *boxes;                /* the caller's boxes (validated) */
    spp_interval *iv;                    /* owned: nboxes * iv_per_box */
} spp_region_plan;

/* Region kernels: forward writes y (R, C*sum n^2) and, for max when non-NULL, argmax (same
 * shape). Backward overwrites dx (map shape) with the gradient of sum(dy * y); argmax is
 * required for max, ignored for avg. Results must match roi__naive as
 * docs/spec.md#3-max-and-avg says (max and argmax bitwise; avg within its bound, identical for
 * every thread count). */
typedef spp_status (*spp_region_forward_fn)(const spp_region_plan *plan, const float *x,
                                            float *y, int32_t *argmax, const spp_exec *ex);
typedef spp_status (*spp_region_backward_fn)(const spp_region_plan *plan, const float *dy,
                                             const int32_t *argmax, float *dx,
                                             const spp_exec *ex);
/* As spp_workspace_fn, for the plan's boxes. */
typedef size_t (*spp_region_workspace_fn)(const spp_region_plan *plan, int threads, int path);
/* As spp_choose_path_fn; the choice may depend on the boxes. */
typedef int (*spp_region_choose_path_fn)(const spp_region_plan *plan, int threads,
                                         spp_pass pass, int force);

typedef struct spp_region_kernel {
    const char *name;       /* "layout_roi__strategy", e.g. nhwc_roi__avx2; file name matches */
    unsigned layouts;       /* bitmask of SPP_LAYOUT_BIT(layout) */
    spp_isa isa;
    int threaded;           /* 1 if it honours spp_exec.threads */
    const char *summary;
    spp_region_forward_fn forward;
    spp_region_backward_fn backward;
    spp_region_workspace_fn workspace_size; /* NULL: needs none */
    const spp_path *paths;  /* npaths >= 1 named paths */
    int npaths;
    spp_region_choose_path_fn choose_path; /* NULL only when npaths == 1 */
} spp_region_kernel;

/* ---- region registry (kernels/regions.inc) ---- */
int spp_region_kernel_count(void);
const spp_region_kernel *spp_region_kernel_at(int i);
const spp_region_kernel *spp_region_kernel_find(const char *name); /* NULL if unknown */
int spp_region_kernel_has_layout(const spp_region_kernel *k, spp_layout l);

/* ---- region problems and boxes ---- */
/* Shape, levels, enums, overflow (like spp_problem_validate, N = 1); not the boxes. */
spp_status spp_region_problem_validate(const spp_region_problem *p, spp_error *err);
/* Every box: 0 <= x0 < x1 <= W, 0 <= y0 < y1 <= H, and the convention valid for the box's
 * height and width at every level. The message names the box index, its coordinates and the
 * rule. nboxes >= 1; boxes may be NULL only if nboxes == 0 (rejected: at least one box). */
spp_status spp_region_validate_boxes(const spp_region_problem *p, const spp_box *boxes,
                                     int64_t nboxes, spp_error *err);
int64_t spp_region_map_elems(const spp_region_problem *p);                  /* C*H*W */
int64_t spp_region_output_elems(const spp_region_problem *p, int64_t nboxes); /* R*C*sum n^2 */
/* Validates problem and boxes, then fills plan (allocates plan->iv; free with
 * spp_region_plan_free, also safe on a failed or zeroed plan). */
spp_status spp_region_plan_init(spp_region_plan *plan, const spp_region_problem *p,
                                const spp_box *boxes, int64_t nboxes, spp_error *err);
void spp_region_plan_free(spp_region_plan *plan);

/* ---- region checked entry points: validate everything, then run; nothing is written on a
 * failed check. ---- */
spp_status spp_region_check_kernel(const spp_region_kernel *k, const spp_region_problem *p,
                                   spp_error *err);
spp_status spp_region_forward(const spp_region_kernel *k, const spp_region_problem *p,
                              const spp_box *boxes, int64_t nboxes, const float *x, float *y,
                              int32_t *argmax, int threads, spp_error *err);
spp_status spp_region_backward(const spp_region_kernel *k, const spp_region_problem *p,
                               const spp_box *boxes, int64_t nboxes, const float *dy,
                               const int32_t *argmax, float *dx, int threads, spp_error *err);

/* ---- prepared region operations (docs/design.md#prepared-operations) ----
 * spp_region_op_create validates the problem (map shape, levels, pool, convention), the kernel
 * and the thread count once. Each run takes its own boxes (an image's windows change from call
 * to call): it checks them and the buffers, fills the per-box interval table and, when the
 * boxes need more than the op holds, grows the table and the workspace (kept for the next
 * runs). Nothing is written when a check fails. One run at a time per op. */
typedef struct spp_region_op spp_region_op;
spp_status spp_region_op_create(spp_region_op **op, const spp_region_kernel *k,
                                const spp_region_problem *p, int threads, spp_error *err);
spp_status spp_region_op_forward(spp_region_op *op, const spp_box *boxes, int64_t nboxes,
                                 const float *x, float *y, int32_t *argmax, spp_error *err);
spp_status spp_region_op_backward(spp_region_op *op, const spp_box *boxes, int64_t nboxes,
                                  const float *dy, const int32_t *argmax, float *dx,
                                  spp_error *err);
const spp_region_kernel *spp_region_op_kernel(const spp_region_op *op);
/* The path the last run of this pass took (the choice may depend on the boxes), NULL before
 * the first such run. */
const char *spp_region_op_path(const spp_region_op *op, spp_pass pass);
/* As spp_op_force_path; the path's validity is checked by every run against its boxes (a run
 * whose boxes the path cannot take fails with SPP_ERR_ARG, nothing written). */
spp_status spp_region_op_force_path(spp_region_op *op, const char *name, spp_error *err);
int spp_region_kernel_path_find(const spp_region_kernel *k, const char *name);
int spp_region_kernel_path(const spp_region_kernel *k, const spp_region_plan *plan,
                           int threads, spp_pass pass, int force);
void spp_region_op_destroy(spp_region_op *op);

/* ---- window projection (docs/spec.md#5-regions, SPP-net) ----
 * Image box (x0, y0, x1, y1) in pixels (any real numbers, x0 <= x1, y0 <= y1, finite) ->
 * feature-map box for a map of H x W cells at total stride S:
 *   left = floor(x0/S) + 1, right = ceil(x1/S) - 1   (inclusive cells; same for top/bottom)
 *   clamp left and right to [0, W-1] (top, bottom to [0, H-1]);
 *   if right < left (the window is empty after the rule or the clamp), right = left: the
 *   window becomes the single cell at its (clamped) left/top edge;
 *   half-open end: x1 = right + 1, y1 = bottom + 1.
 * img holds nboxes rows of 4 doubles (integers convert exactly up to 2^53). Rejects stride < 1,
 * H or W outside 1..INT32_MAX, non-finite or reversed boxes, naming the box index. */
spp_status spp_roi_project(const double *img, int64_t nboxes, int stride, int64_t h, int64_t w,
                           spp_box *out, spp_error *err);
/* ==================== end region SPP ==================== */

#ifdef __cplusplus
}
#endif
#endif
