/* spp-check's shared parts (docs/testing.md#the-c-driver): guarded buffers, the fills, the
 * per-case result and its report line, the comparisons against a reference and the reference's
 * own honesty rule. The whole-map cases (spp_check.c) and the region cases (check_regions.c)
 * use the same ones, so both are held to the same rules. */
#ifndef CHECK_COMMON_H
#define CHECK_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "spp.h"

#define GUARD 64            /* sentinel elements on each side of every buffer */
#define MAXMSG 5            /* mismatches shown per failed case */
#define MAXTHREADS 16
#define NFILLS_MAP 4        /* whole-map cases: the first four fills */
#define NFILLS_REGION 5     /* region cases: all five */
#define QUICK_MAX_ELEMS 20000 /* --quick: largest input (map) kept */
#define GARBAGE 0x7fbadbadu /* a NaN bit pattern no reference output can have */
#define SENTINEL 0x5afe600du
#define U (1.0 / 16777216.0) /* 2^-24 */
#define ZERO_PERCENT_MAX 95 /* a reference with more zeros than this tells a kernel apart from
                               one that writes zeros too little to be trusted: the case fails */

extern const char *const FILL_NAMES[NFILLS_REGION];
/* --plant-zero-reference: every fill is all +0.0 (x and dy), so every reference is all zeros
 * and every case must fail the honesty rule (the self-test of that rule) */
extern int g_plant_zero;

#if defined(__GNUC__)
#define CHECK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CHECK_PRINTF(a, b)
#endif

void die(const char *fmt, ...) CHECK_PRINTF(1, 2);

/* A buffer of n 4-byte elements with GUARD sentinels on both sides; data may start one
 * element past a 64-byte boundary (off = 1) to test unaligned pointers. */
typedef struct {
    uint32_t *base;
    size_t n, cap;
    int off;
} gbuf;

void gb_alloc(gbuf *g, size_t n);
/* Arms the guards and returns the data pointer; data = copy of src, or the garbage pattern. */
void *gb_arm(gbuf *g, int off, const void *src);
void *gb_data(const gbuf *g);

/* One case's outcome: runs, failed checks and the first MAXMSG messages. */
typedef struct {
    int ran, failed;
    long long bad; /* mismatching elements and failed checks */
    int nmsg;
    char msg[MAXMSG][320];
} case_res;

void note(case_res *r, const char *fmt, ...) CHECK_PRINTF(2, 3);

uint32_t fbits(float f);
float from_bits(uint32_t u);
const char *fstr(float f, char *buf);
uint32_t mix(uint64_t i, uint32_t seed);
uint32_t str_seed(const char *s);

/* Element index of (b, c, h, w) in p's layout, and its coordinates as text. */
int64_t xi(const spp_problem *p, int64_t b, int64_t c, int64_t h, int64_t w);
void x_coord(const spp_problem *p, int64_t i, char *buf);

/* The input of fill `fill` (FILL_NAMES) for p's shape and layout, and dy for ny outputs. */
void make_x(int fill, const spp_problem *p, uint32_t seed, float *x);
void make_dy(int fill, int64_t ny, uint32_t seed, float *dy);

/* A reference: the fill, the reference kernel's outputs and per-element tolerances. */
typedef struct {
    float *x, *dy, *y, *dx; /* x, dy: the fill; y, dx: the reference's outputs */
    int32_t *am;            /* the reference's argmax (max) */
    double *ytol, *dxtol;   /* avg y bound (NaN: must be equal), dx bound */
    long long zeros, compared;
} ref_t;

void ref_alloc(ref_t *R, int64_t nx, int64_t ny);
void free_ref(ref_t *R);
/* dxtol holds sum|terms| and cnt the number of terms per dx element: turn them into the dx
 * bound, and count the reference's zeros (y, and dx for avg: max's dx is sparse by
 * construction, only argmax positions). */
void ref_finish(ref_t *R, int max, int64_t nx, int64_t ny, const int32_t *cnt);
/* The avg bound of docs/spec.md#3-max-and-avg plus the reference's own final rounding (it sums
 * in double and rounds once); NaN when the bin holds a non-finite value (then equality). */
double avg_tol(double count, double sumabs, double div, int finite, float ref);

/* Writes the text coordinates of output o into buf. */
typedef void (*coord_fn)(const void *ctx, int64_t o, char *buf);

void check_guards(case_res *r, const char *ctx, const char *name, const gbuf *g);
void check_unchanged(case_res *r, const char *ctx, const char *name, const gbuf *g,
                     const void *orig);
void cmp_y(case_res *r, const char *ctx, int max, const ref_t *R, const float *y,
           const int32_t *am, int64_t ny, coord_fn coord, const void *cc);
void cmp_dx(case_res *r, const char *ctx, const spp_problem *p, const ref_t *R,
            const float *dx);
/* Bitwise equality with the kernel's first run; is_x: coordinates from p, else coord. */
void cmp_bits(case_res *r, const char *ctx, const char *what, const spp_problem *p, int is_x,
              coord_fn coord, const void *cc, const void *got, const void *base, int64_t n);

/* The honesty rule: a case fails when more than ZERO_PERCENT_MAX % of the reference outputs it
 * compared are zero (a kernel writing zeros would pass it). */
void check_informative(case_res *r, long long zeros, long long compared);

/* Totals and the failed cases' names, shared by both kinds of case. */
typedef struct {
    long long passed, failed, skipped;
    char **failures;
    size_t nfailures;
} tally;

/* One case line: PASS, or FAIL with its messages and a repro command; the tally. forced: the
 * path forced (NULL: the kernel's own choices; the case is then named `kernel`, else
 * `kernel@path`); ran: the path each pass took, ran[i] for pass i % SPP_NPASSES (nran a multiple
 * of SPP_NPASSES: one row per box set for regions; NULL for a pass the problem lacks), named on
 * the line and counted per (kernel, path); what says what ran. */
void report_case(tally *t, const char *argv0, const char *kernel, const char *forced,
                 const char *const *ran, int nran, const char *problem, int threads,
                 const char *label, const char *what, const case_res *r);
/* Per (kernel, path) counts: declare every path of every kernel checked (so a path no case ran
 * shows as 0), then the summary table, one line per path. */
void path_tally_declare(const char *kernel, const char *path);
void path_tally_print(void);

/* A problem of the shapes files or the command line: its label and canonical string. */
typedef struct {
    char label[64];
    char str[160];
    spp_problem p;
} problem_entry;

/* What the command line chose for every case. */
typedef struct {
    const char *const *kfilter; /* --kernel names (none: every kernel) */
    int nkfilter;
    const int *threads;
    int nthreads;
    const char *argv0;
    const char *path;  /* --path: only the cases forcing this path */
    int chosen_only;   /* --chosen-paths: no forced cases */
} run_opts;
/* The thread counts a forced-path case runs: the first and the last of --threads (a forced
 * path must be right at one thread and deterministic across counts; the full list runs on the
 * kernel's own choices). */
int forced_thread(const run_opts *o, int ti);

int kernel_wanted(const run_opts *o, const char *name);

/* The region cases (check_regions.c): every region kernel but roi__naive against roi__naive on
 * the map of each problem (its N dropped), with generated box sets. */
void check_regions(const problem_entry *probs, int nprobs, const run_opts *o, tally *t);
/* Region kernels checked (the registry without roi__naive); what check_regions runs. */
int region_kernels_checked(void);
/* 1 if name is a region kernel check_regions runs (the registry's or a test build's extra). */
int region_kernel_known(const char *name);

#endif
