/* sweep_config: the benchmark sweep files (configs/NAME.ini), parsed with inih (Debian libinih-dev).
 *
 * Format (also at the top of every configs/NAME.ini):
 *
 *   ; comment lines start with ';' or '#'; ' ; ' after a value starts an inline comment
 *   [run]                      ; optional, at most once
 *   min_time = 0.05            ; seconds per benchmark repetition (as --benchmark_min_time,
 *                              ; which wins when given on the command line)
 *
 *   [grid NAME]                ; one or more; NAME: letters, digits, '_', '-', '.'
 *   n       = 1, 64            ; batch sizes                                   (default 1)
 *   c       = 256              ; channels                                      (required)
 *   hw      = 13x13, 10x10     ; H x W pairs; a single number S means S x S
 *   h       = 7, 13            ; or: h and w lists, whose cross product gives the pairs
 *   w       = 5, 13            ;     (either hw, or both h and w)               (required)
 *   levels  = 6.3.2.1 | 3.2.1  ; level sets, levels joined by '.', sets by '|' (required)
 *   pool    = max, avg         ;                                               (default max)
 *   bins    = adaptive, sppnet, caffe                                        ; (default adaptive)
 *   layout  = nchw, nhwc       ;                                               (default nchw)
 *   kernels = *                ; '*' = every registered kernel, or a list      (default *)
 *   threads = 1, 2             ; single-threaded kernels run at t1 only        (default 1)
 *   direction = fwd, bwd, fwdbwd                                             ; (default fwd)
 *
 * Lists are comma-separated (levels: '|'-separated). A key given again in the same grid, or
 * continued on an indented line, appends to its list. A grid is the cross product of all its
 * lists; problems that spp_problem_validate rejects (e.g. sppnet with H < n) and kernels that lack
 * the problem's layout are skipped and counted by the benchmark program, not errors.
 * Unknown sections, unknown keys and malformed values are errors: "FILE:LINE: key 'hw': value
 * '13y13': expected HxW (e.g. 13x13) or S for SxS".
 */
#ifndef SWEEP_CONFIG_H
#define SWEEP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "spp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SWEEP_MAX_VALUES 64   /* values in one list (hw pairs: after the h x w product) */
#define SWEEP_MAX_GRIDS 64
#define SWEEP_MAX_KERNELS 64
#define SWEEP_NAME_MAX 64
#define SWEEP_MAX_POINTS 100000 /* kernel x problem x threads x direction points in one file */

typedef enum { SWEEP_FWD = 0, SWEEP_BWD = 1, SWEEP_FWDBWD = 2 } sweep_direction;

typedef struct {
    char name[SWEEP_NAME_MAX];
    int line;                      /* line of its [grid NAME] header, for messages */
    int nn, nc, nhw, nlevelsets, npool, nbins, nlayout, nthreads, ndir;
    int64_t n[SWEEP_MAX_VALUES], c[SWEEP_MAX_VALUES];
    int64_t h[SWEEP_MAX_VALUES], w[SWEEP_MAX_VALUES]; /* nhw (H, W) pairs */
    int levelset_len[SWEEP_MAX_VALUES];
    int levelset[SWEEP_MAX_VALUES][SPP_MAX_LEVELS];
    spp_pool pool[SWEEP_MAX_VALUES];
    spp_bins bins[SWEEP_MAX_VALUES];
    spp_layout layout[SWEEP_MAX_VALUES];
    int threads[SWEEP_MAX_VALUES];
    sweep_direction dir[SWEEP_MAX_VALUES];
    int all_kernels;               /* kernels = * (or kernels not given) */
    int nkernels;                  /* otherwise: the listed kernels, in list order */
    const spp_kernel *kernels[SWEEP_MAX_KERNELS];
} sweep_grid;

typedef struct {
    char path[512];
    char name[SWEEP_NAME_MAX];     /* file name without directory and .ini: "quick" */
    double min_time;               /* [run] min_time, 0 if not given */
    int ngrids;
    sweep_grid grid[SWEEP_MAX_GRIDS];
} sweep_config;

/* Parses path into *cfg (large: allocate it on the heap). Returns 0 on success; otherwise -1
 * with one line in err: "path:line: what was wrong". */
int sweep_config_load(const char *path, sweep_config *cfg, char *err, size_t errcap);

/* Number of problems in the grid's cross product (n x c x hw x levels x pool x bins x layout). */
int64_t sweep_grid_problem_count(const sweep_grid *g);

/* The idx-th problem of that product, 0 <= idx < count; n varies slowest, then c, hw, levels,
 * pool, bins, and layout fastest (so the variants of one shape are adjacent). Not validated. */
void sweep_grid_problem(const sweep_grid *g, int64_t idx, spp_problem *p);

const char *sweep_direction_name(sweep_direction d); /* "fwd", "bwd", "fwdbwd" */
/* Name -> direction; returns -1 on an unknown name. */
int sweep_direction_from_name(const char *s, sweep_direction *out);

#ifdef __cplusplus
}
#endif
#endif
