/* A region's output row in the channel-last region kernels (nhwc_roi_avx2.h): from a chunk's
 * bin-major stage into the region's staged row, then out to y (and argmax). RW lanes a vector
 * (nhwc_roi_vec.h): with RW = 16 the transposes take 16 channels at a time while 16 are left.
 * Order: a region's outputs are channel-major per level, y[r][level offset + c * n^2 + bin]
 * (docs/spec.md#5-regions); a chunk stages its bins bin-major, st[bin][channel], so
 * roi_emit_level transposes each level into the staged row: 8 bins x 8 (or 16) channels and 4 x 8
 * (or 16) per register transpose, a tail of 1-3 bins by a 4-bin transpose overlapping the
 * bins before it, the bin count a compile-time constant for the usual levels (roi_store_level).
 * y and argmax are moved as 4-byte bits, never read through another type.
 * Streamed row: the output is far larger than the caches and written once, so whole 64-byte
 * lines go out with streamed stores (roi_nt_lines) and no output line is read first; the
 * elements before the first line boundary and the partial last line go plainly.
 *  - argmax path, and the values-only path from segment blocks: y (and argmax) at the region's
 *    end, in one burst (roi_stream_copy), after finishing any pending row.
 *  - values-only direct path: the drain queue. The finished row becomes the pending one
 *    (roi_pend) and roi_drain streams w->quota lines of it after each finest bin of the next
 *    region, so its stores drain under that region's loads instead of stalling the core at
 *    once; the staged row's two buffers (yst, ast: no argmax here) swap. w->quota is set by
 *    roi_ws_carve so that a row drains within one region.
 * roi_drain_all finishes the pending row: before a new one, before a burst, and after a thread's
 * last region, ahead of the kernel's sfence.
 * Parallel split: one pending row per thread (roi_ws); threads' rows are disjoint.
 * Weakest: the transposes store into the staged row, which is not in L1, and the streamed
 * stores are the largest single part of the values-only path's time. */
#ifndef NHWC_ROI_ROW_H
#define NHWC_ROI_ROW_H

#include "avx2_transpose.h"
#include "nhwc_roi_common.h"
#include "nhwc_roi_vec.h"

#if RW == 16 && !defined(ROI_VEC_EXTERNAL) /* an external vocabulary brings its own */
/* 8 x 16 transpose of 32-bit lanes: src rows r = 0..7 (16 channels each, row stride ss) -> dst
 * rows c = 0..15 of 8 bins each (row stride ds). In-lane unpacks and shuffles as avx2_t8x8, then
 * one two-source permute pairs bins 0-3 and 4-7 of two channels: half the shuffles of two 8 x 8
 * transposes. Bit patterns move unchanged. */
static inline __attribute__((always_inline)) void roi_t8x16(const float *src, int64_t ss,
                                                             float *dst, int64_t ds)
{
    const __m512i lo = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i hi = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29,
                                         30, 31);
    __m512 t[8], u[8];
    for (int r = 0; r < 8; r += 2) {
        const __m512 a = _mm512_loadu_ps(src + r * ss), b = _mm512_loadu_ps(src + (r + 1) * ss);
        t[r] = _mm512_unpacklo_ps(a, b), t[r + 1] = _mm512_unpackhi_ps(a, b);
    }
    for (int h = 0; h < 8; h += 4) { /* u[h + q], 128-bit lane j: channel 4j+q, 4 bins */
        u[h] = _mm512_shuffle_ps(t[h], t[h + 2], 0x44);
        u[h + 1] = _mm512_shuffle_ps(t[h], t[h + 2], 0xEE);
        u[h + 2] = _mm512_shuffle_ps(t[h + 1], t[h + 3], 0x44);
        u[h + 3] = _mm512_shuffle_ps(t[h + 1], t[h + 3], 0xEE);
    }
    for (int q = 0; q < 4; q++) { /* channels q, 4+q (from lo) and 8+q, 12+q (from hi) */
        const __m512 a = _mm512_permutex2var_ps(u[q], lo, u[q + 4]);
        const __m512 b = _mm512_permutex2var_ps(u[q], hi, u[q + 4]);
        _mm256_storeu_ps(dst + q * ds, _mm512_castps512_ps256(a));
        _mm256_storeu_ps(dst + (4 + q) * ds, _mm512_extractf32x8_ps(a, 1));
        _mm256_storeu_ps(dst + (8 + q) * ds, _mm512_castps512_ps256(b));
        _mm256_storeu_ps(dst + (12 + q) * ds, _mm512_extractf32x8_ps(b, 1));
    }
}

/* 4 x 16 transpose: src rows r = 0..3 (16 lanes) -> dst rows c = 0..15 of 4 lanes each. */
static inline __attribute__((always_inline)) void roi_t4x16(const float *src, int64_t ss,
                                                             float *dst, int64_t ds)
{
    const __m512 r0 = _mm512_loadu_ps(src), r1 = _mm512_loadu_ps(src + ss),
                 r2 = _mm512_loadu_ps(src + 2 * ss), r3 = _mm512_loadu_ps(src + 3 * ss);
    const __m512 t0 = _mm512_unpacklo_ps(r0, r1), t1 = _mm512_unpackhi_ps(r0, r1),
                 t2 = _mm512_unpacklo_ps(r2, r3), t3 = _mm512_unpackhi_ps(r2, r3);
    const __m512 u[4] = {_mm512_shuffle_ps(t0, t2, 0x44), _mm512_shuffle_ps(t0, t2, 0xEE),
                         _mm512_shuffle_ps(t1, t3, 0x44), _mm512_shuffle_ps(t1, t3, 0xEE)};
    for (int q = 0; q < 4; q++) { /* u[q], 128-bit lane j: channel 4j+q */
        _mm_storeu_ps(dst + q * ds, _mm512_castps512_ps128(u[q]));
        _mm_storeu_ps(dst + (4 + q) * ds, _mm512_extractf32x4_ps(u[q], 1));
        _mm_storeu_ps(dst + (8 + q) * ds, _mm512_extractf32x4_ps(u[q], 2));
        _mm_storeu_ps(dst + (12 + q) * ds, _mm512_extractf32x4_ps(u[q], 3));
    }
}
#endif

/* Staged bin-major results st[b][c] (nn bins, `valid` channels, 4-byte elements: float y or
 * int32 argmax, moved as bits) -> out[c * nn + b]: the canonical channel-major order. Scalar
 * moves use memcpy so no type is read through another. */
static inline __attribute__((always_inline)) void
roi_store_level_n(const void *stv, int64_t stride, void *outv, int64_t nn, int valid)
{
    const char *st = stv;
    char *out = outv;
    if (nn == 1) { /* one bin: channels are contiguous in the output already */
        int c = 0;
        for (; c + RW <= valid; c += RW)
            rv_storeu((float *)(out + 4 * c), rv_load((const float *)(st + 4 * c)));
        memcpy(out + 4 * c, st + 4 * c, (size_t)(valid - c) * 4);
        return;
    }
    /* 8 bins x 8 channels, then 4 bins x 8 channels, per register transpose (x 16 channels
     * while 16 are left, with RW = 16); a tail of 1-3 bins (levels of 9 or 49 bins) by a 4-bin
     * transpose overlapping the bins before it (they are rewritten with the same values);
     * levels of 2 or 3 bins and the channel tail one by one */
    const float *sf = stv;
    float *of = outv;
    const int c8end = valid & ~7;
    const int64_t b8end = nn & ~(int64_t)7, b4end = nn - b8end >= 4 ? b8end + 4 : b8end;
    int c0 = 0;
#if RW == 16
    for (; c0 + 16 <= valid; c0 += 16) {
        for (int64_t b = 0; b < b8end; b += 8)
            roi_t8x16(sf + b * stride + c0, stride, of + c0 * nn + b, nn);
        if (b4end > b8end)
            roi_t4x16(sf + b8end * stride + c0, stride, of + c0 * nn + b8end, nn);
        else if (nn > b8end && nn >= 4)
            roi_t4x16(sf + (nn - 4) * stride + c0, stride, of + c0 * nn + nn - 4, nn);
    }
#endif
    for (int c = c0; c < c8end; c += 8) {
        for (int64_t b = 0; b < b8end; b += 8)
            avx2_t8x8(sf + b * stride + c, stride, of + c * nn + b, nn);
        if (b4end > b8end)
            avx2_t4x8(sf + b8end * stride + c, stride, of + c * nn + b8end, nn);
        else if (nn > b8end && nn >= 4)
            avx2_t4x8(sf + (nn - 4) * stride + c, stride, of + c * nn + nn - 4, nn);
    }
    const int64_t done = nn >= 4 ? nn : b4end; /* bins already out for channels below c8end */
    for (int c = 0; c < valid; c++)
        for (int64_t b = c < c8end ? done : 0; b < nn; b++)
            memcpy(out + 4 * (c * nn + b), st + 4 * (b * stride + c), 4);
}
/* roi_store_level_n with the bin count a constant for the levels of the usual pyramids ({6,3,2,1},
 * {4,2,1}, {7}: 36, 9, 4, 1, 16, 49 bins), so the compiler unrolls the bin loop and the eight
 * output rows of each transpose are constant offsets, not strides reloaded from the stack.
 * Inlined at each call site (out of line it measured 1.05x the region time). The coverage
 * build (SPP_COVERAGE, mk/coverage.mk) keeps one out-of-line copy per unit instead: gcov counts
 * an inlined function's branches once per call site, so the call sites' identical copies would
 * be counted as separate branches (docs/testing.md#coverage). */
#ifdef SPP_COVERAGE
#define ROI_STORE_LEVEL_INLINE static __attribute__((noinline))
#else
#define ROI_STORE_LEVEL_INLINE static inline __attribute__((always_inline))
#endif
ROI_STORE_LEVEL_INLINE void roi_store_level(const void *stv, int64_t stride, void *outv, int64_t nn,
                                            int valid)
{
    switch (nn) {
    case 36: roi_store_level_n(stv, stride, outv, 36, valid); return;
    case 9: roi_store_level_n(stv, stride, outv, 9, valid); return;
    case 4: roi_store_level_n(stv, stride, outv, 4, valid); return;
    case 1: roi_store_level_n(stv, stride, outv, 1, valid); return;
    case 16: roi_store_level_n(stv, stride, outv, 16, valid); return;
    case 49: roi_store_level_n(stv, stride, outv, 49, valid); return;
    default: roi_store_level_n(stv, stride, outv, nn, valid);
    }
}

/* `lines` whole 64-byte lines s -> d by streamed stores, 64 / (4 * RW) vectors a line (d
 * 64-byte aligned).
 * A row left as one burst of them at a region's end stalls the core until the write buffers
 * drain, so the direct path sends a few lines after each finest bin of the next region
 * (roi_drain) and keeps the stores in flight under its loads. */
static inline void roi_nt_lines(float *d, const float *s, int64_t lines)
{
    int64_t i = 0;
    for (; i + 2 <= lines; i += 2) { /* two lines: all loads, then the streamed stores */
        rv v[32 / RW];
        for (int k = 0; k < 32 / RW; k++)
            v[k] = rv_loadu(s + 16 * i + RW * k);
        for (int k = 0; k < 32 / RW; k++)
            rv_stream(d + 16 * i + RW * k, v[k]);
    }
    if (i < lines)
        for (int k = 0; k < 16 / RW; k++)
            rv_stream(d + 16 * i + RW * k, rv_loadu(s + 16 * i + RW * k));
}

/* Elements (4 bytes) before dst's first 64-byte boundary, at most n: stored plainly, so that
 * the streamed stores cover whole lines. */
static inline int64_t roi_line_head(const void *dst, int64_t n)
{
    const int64_t head = (int64_t)((64 - ((uintptr_t)dst & 63)) & 63) / 4;
    return head < n ? head : n;
}

/* n 4-byte elements (float y or int32 argmax, moved as bits) src -> dst at once: the head and
 * the partial last line plainly, the whole lines streamed. The output (R x C x sum n^2, far
 * larger than the caches) is written once and never read back here, so streaming it avoids
 * reading every output line from memory before overwriting it. */
static inline void roi_stream_copy(void *dstv, const void *srcv, int64_t n)
{
    float *dst = dstv;
    const float *src = srcv;
    const int64_t head = roi_line_head(dst, n), lines = (n - head) / 16, done = head + 16 * lines;
    memcpy(dst, src, (size_t)head * 4);
    roi_nt_lines(dst + head, src + head, lines);
    memcpy(dst + done, src + done, (size_t)(n - done) * 4);
}

/* Up to `lines` more 64-byte lines of the pending row. */
static inline void roi_drain(roi_ws *w, int64_t lines)
{
    const int64_t left = (w->pn - w->pi) / 16;
    if (lines > left)
        lines = left;
    if (lines > 0) {
        roi_nt_lines(w->pdst + w->pi, w->psrc + w->pi, lines);
        w->pi += 16 * lines;
    }
}

/* The rest of the pending row, its partial last line included. Kernels call it after their
 * last region, before the fence. */
static inline void roi_drain_all(roi_ws *w)
{
    roi_drain(w, (w->pn - w->pi) / 16);
    if (w->pi < w->pn)
        memcpy(w->pdst + w->pi, w->psrc + w->pi, (size_t)(w->pn - w->pi) * 4);
    w->pi = w->pn;
}

/* Row src (n floats, staged) becomes the pending one, to go to dst; the previous one is
 * finished first. The floats before dst's first 64-byte boundary go out at once. */
static inline void roi_pend(roi_ws *w, float *dst, const float *src, int64_t n)
{
    roi_drain_all(w);
    const int64_t head = roi_line_head(dst, n);
    memcpy(dst, src, (size_t)head * 4);
    w->pdst = dst, w->psrc = src, w->pn = n, w->pi = head;
}

/* Level l of the chunk (channels [c0, c0+valid)) from its bin-major stage into the region's
 * staged row, canonical order. The row is streamed out whole (roi_region_forward; the direct
 * path's during the next region), not each level's span per chunk. */
static inline __attribute__((always_inline)) void
roi_emit_level(const spp_region_plan *pl, int l, const void *stage_bins, int64_t stride,
               void *stage_row, int64_t c0, int valid)
{
    const int64_t nn = (int64_t)pl->p.levels[l] * pl->p.levels[l];
    roi_store_level(stage_bins, stride, (char *)stage_row + 4 * (pl->out_offset[l] + c0 * nn),
                    nn, valid);
}

#endif
