/* nhwc_simd.h: what every NHWC SIMD kernel (bin scan and fused) builds on, written once over
 * the vocabulary of vec_vocab.h (the includer picks AVX2 or AVX-512). Not a kernel.
 *
 * Channel blocks: CBW = NV * VW contiguous channels (32 on AVX2, 64 on AVX-512) kept in NV
 *    registers through a scan (the fused forward's last block: up to NVX, fz_block_end).
 *    The last block of C loads with a lane mask (masked-off lanes read nothing and compute
 *    garbage that is never stored to y); dx stores in it are masked.
 * Max total order (docs/spec.md#3-max-and-avg, spp_max_better), vectorized:
 *  - scan rule, when the candidate (v, p) is known to come after the current best in
 *    row-major order: upd = (v > best) | isnan(v). The ordered > is false when either side
 *    is NaN, so a NaN best is only replaced by a later NaN (last NaN wins) and strict > keeps
 *    the first of equal values (-0.0 == +0.0: the first zero wins). The stored value is the
 *    element itself, so y == x[argmax] bitwise.
 *  - The scan rule is also exact when merging the bests of two 1-D intervals A=[s,m) and
 *    B=[t,e) with s <= t <= m < e (A's part outside B lies before all of B, B's part outside
 *    A lies after all of A): column intervals built from shorter ones, rows of a bin folded
 *    in increasing row order.
 *  - fast forms (v_fold_fast, v_merge_fast) are exact only on NaN-free data; the kernels
 *    that use them probe for NaN and rerun with the exact folds.
 * Small problems run naive's loops by default (same results: max and argmax are bitwise
 *    naive's anyway, avg within docs/spec.md#6-validation, dx bitwise naive's): C below
 *    NHWC_MIN_C, where one live lane per block does several times naive's work per element
 *    (the bin-scan kernels' "scalar" path). */
#ifndef NHWC_SIMD_H
#define NHWC_SIMD_H

#include <string.h>

#include "spp_internal.h"
#include "vec_vocab.h"

#define NHWC_INLINE static inline __attribute__((always_inline))

/* Channels per block: NV vectors kept in registers through a scan. */
#define NV 4
#define CBW (NV * VW)

/* The scan rule (file header): (v, p) comes after (*b, *bp) in row-major order. */
NHWC_INLINE void v_fold(vf *b, vi *bp, vf v, vi p)
{
    const vm u = vm_or(vm_gt(v, *b), vm_nan(v));
    *b = vf_blend(*b, v, u);
    *bp = vi_blend(*bp, p, u);
}
NHWC_INLINE vf v_fold_val(vf b, vf v) { return vf_blend(b, v, vm_or(vm_gt(v, b), vm_nan(v))); }
/* The scan rule without NaN: b = max(v, b) is exactly (v > b ? v : b), so ties keep the
 * earlier element (-0.0 == +0.0 too), and a position moves only to a later one. Used only on
 * data known to hold no NaN (a task's NaN check); otherwise the exact folds above run. */
NHWC_INLINE void v_fold_fast(vf *b, vi *bp, vf v, vi p)
{
    const vm u = vm_gt(v, *b);
    *b = vf_max(v, *b);
    *bp = vi_upd(*bp, p, u);
}

/* Merge rule without NaN for (v, p) anywhere relative to (b, bp) in row-major order (the
 * 2-D blocks, fz_blocks): the larger value, and on equal values (-0.0 == +0.0) the earlier
 * position, so the result is the region's first maximum whatever the merge order. */
NHWC_INLINE void v_merge_fast(vf *b, vi *bp, vf v, vi p)
{
    const vm u = vm_or(vm_gt(v, *b), vm_and(vm_eq(v, *b), vi_gt(*bp, p)));
    *b = vf_blend(*b, v, u);
    *bp = vi_blend(*bp, p, u);
}

/* The fused forward's blocks (fz_block_end): on 16-lane builds the last block also takes a
 * tail of at most VW channels (C = 67: one block of 4 whole vectors and 3 lanes, not a second
 * block), because a block's plan walk costs about as much as its arithmetic on small maps.
 * Its slots (partials, accumulators) are FZ_SLOT floats apart. The 8-lane build keeps NV:
 * a fifth pair of ymm value and position registers would spill. */
#if VW == 16
#define NVX (NV + 1)
#else
#define NVX NV
#endif
#define FZ_SLOT (NVX * VW)

/* The vectors of a channel block a fused scan carries: masked 0 (a whole block) and 1 (a tail
 * block wider than one vector) carry NV, masked 2 (a tail of at most VW channels, C = 67's 3
 * say) one, so a narrow tail costs a quarter of a block rather than a whole one; masked 3 (the
 * forward's last block with a tail, NVX > NV only) NVX. */
#define NVM(masked) ((masked) == 2 ? 1 : (masked) == 3 ? NVX : NV)
/* Whether vector k of a block of that form loads with a lane mask (form 3's first NV do not). */
#define FZ_MASKED(masked, k) ((masked) != 0 && !((masked) == 3 && (k) < NV))

/* Load NV vectors of a channel block; masked (tail block) loads cnt[k] lanes of vector k. */
NHWC_INLINE vf v_ld(const float *p, int masked, int n)
{
    return masked ? vf_load_n(p, n) : vf_loadu(p);
}

/* Lane counts of nv vectors holding rem channels (full vectors first, then the rest, then 0). */
static inline void lane_counts(int64_t rem, int nv, int *cnt)
{
    for (int k = 0; k < nv; k++) {
        const int64_t m = rem - (int64_t)k * VW;
        cnt[k] = m <= 0 ? 0 : m >= VW ? VW : (int)m;
    }
}
/* Lane counts of the NV vectors of the block at channel c0; returns 1 if the block is partial. */
static inline int block_counts(int64_t C, int64_t c0, int cnt[NV])
{
    lane_counts(C - c0, NV, cnt);
    return C - c0 < CBW;
}
/* The fused forward's block kb ends at channel fz_block_end(C, kb): CBW on, or C where that
 * leaves a tail the block can carry (NVX > NV). fz_fwd_blocks(C): how many blocks there are. */
static inline int64_t fz_block_end(int64_t C, int64_t kb)
{
    const int64_t e = (kb + 1) * CBW;
    return C - e <= (int64_t)(NVX - NV) * VW ? C : e;
}
static inline int64_t fz_fwd_blocks(int64_t C)
{
    const int64_t b = (C - (int64_t)(NVX - NV) * VW + CBW - 1) / CBW;
    return b < 1 ? 1 : b;
}
/* Lane counts of the NVX vectors of the fused forward's block kb; returns its form (masked
 * above: 0 whole, 1 a tail wider than one vector, 2 a tail of at most one, 3 NV whole vectors
 * and a tail of at most one). */
static inline int fz_block_form(int64_t C, int64_t kb, int cnt[NVX])
{
    const int64_t rem = fz_block_end(C, kb) - kb * CBW;
    lane_counts(rem, NVX, cnt);
    return rem == CBW ? 0 : rem > CBW ? 3 : rem <= VW ? 2 : 1;
}
#define NHWC_MIN_C 2
extern const spp_kernel spp_kernel_naive;

/* Pool modes, constants at every call site so each inlined copy has no mode branches. */
enum { MODE_MAXPOS = 0, MODE_MAXVAL = 1, MODE_SUM = 2 };

#endif
