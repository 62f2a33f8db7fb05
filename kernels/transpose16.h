/* transpose16.h: register transposes of 32-bit lanes for the 16-lane kernels
 * (small_cells_avx512.h, nchw_fused_rows16.h): 16 planes' pixels into a pixel-major tile
 * ([pixel][16 lanes]), and bins of 16 channels ([bin][16 lanes]) out to SPP's channel-major
 * output. Bit patterns move unchanged, so the same code carries int32 argmax. Blocks of
 * 16 x 16 in zmm registers, with cheaper forms for narrow edges: a last block of at most 8
 * columns by two 8 x 8 transposes in the 256-bit halves, and 4 bins by 4 x 4 transposes
 * within the 128-bit lanes. A block's columns may go to two places (scz_cols: the lanes of
 * two samples' channels in one group). Under the emulated vocabulary (NHWC_VOCAB_EXTERNAL,
 * tests/emu512/) element-by-element copies stand in for the register forms. Not a kernel by
 * itself. */
#ifndef TRANSPOSE16_H
#define TRANSPOSE16_H

#include <stdint.h>
#include <string.h>

#include "nhwc_simd.h"

#if VW != 16
#error "transpose16.h needs the 16-lane vocabulary (VW == 16)"
#endif

/* Where a block's columns go: column c, lo <= c < hi, to (c < split ? a : b) + c * ds, with
 * lo <= split <= hi. a and b are bases as if column 0 were there: a group of lanes that spans two samples' outputs
 * (NCHW small-cells) is stored by one transpose. */
typedef struct {
    float *a, *b;
    int lo, split, hi;
} scz_cols;

/* All of a's columns below nc. */
static inline scz_cols scz_cols_to(float *a, int nc)
{
    const scz_cols d = {a, a, 0, nc, nc};
    return d;
}

/* The column's address (e: its first element). */
static inline float *scz_col(const scz_cols *d, int c, int64_t ds)
{
    return (c < d->split ? d->a : d->b) + c * ds;
}

#ifndef NHWC_VOCAB_EXTERNAL
/* probe += the sum of 8 vectors, as a tree: one chain of adds would wait on the add latency. */
static inline void t16_probe8(__m512 *probe, const __m512 v[8])
{
    const __m512 a = _mm512_add_ps(v[0], v[4]), b = _mm512_add_ps(v[1], v[5]);
    const __m512 c = _mm512_add_ps(v[2], v[6]), d = _mm512_add_ps(v[3], v[7]);
    *probe = _mm512_add_ps(*probe, _mm512_add_ps(_mm512_add_ps(a, b), _mm512_add_ps(c, d)));
}

/* Bits [lo, hi) of 64 (none when hi <= lo). */
static inline uint64_t t16_bits64(int lo, int hi)
{
    if (hi <= lo)
        return 0;
    const uint64_t below_hi = hi >= 64 ? ~0ull : (1ull << hi) - 1u;
    return below_hi & ~((1ull << lo) - 1u);
}

/* 4 x 4 transposes within each 128-bit lane of the rows r[0..3]: in lane L, u[j] holds
 * element j of that lane of r[0], r[1], r[2], r[3]. The first stage of every form below. */
static inline void t16_lanes4(const __m512 r[4], __m512 u[4])
{
    const __m512 t0 = _mm512_unpacklo_ps(r[0], r[1]), t1 = _mm512_unpackhi_ps(r[0], r[1]);
    const __m512 t2 = _mm512_unpacklo_ps(r[2], r[3]), t3 = _mm512_unpackhi_ps(r[2], r[3]);
    u[0] = _mm512_shuffle_ps(t0, t2, 0x44);
    u[1] = _mm512_shuffle_ps(t0, t2, 0xEE);
    u[2] = _mm512_shuffle_ps(t1, t3, 0x44);
    u[3] = _mm512_shuffle_ps(t1, t3, 0xEE);
}

/* Rows r = 0..15 of a 16 x 16 block of 32-bit lanes (row r < nr: the first nl lanes at
 * src + r * ss, the rest zero and not read; rows from nr on zero) -> column c of the block to
 * scz_col(d, c, ds), lanes [0, nb) of it, for the columns d names. probe (or NULL): the rows'
 * sum is added to it (NaN if a lane is NaN). Rows by base and stride, not by an array of
 * pointers: the compiler kept such an array in vector registers and paid an extract per load. */
static inline void scz_t16(const float *src, int64_t ss, int nr, int nl, __m512 *probe,
                           scz_cols d, int64_t ds, int nb)
{
    __m512 r[16], t[16];
    const __mmask16 ml = vm_first(nl);
    for (int i = 0; i < 16; i++) {
        const float *row = src + i * ss;
        r[i] = i >= nr ? _mm512_setzero_ps()
               : nl == 16 ? _mm512_loadu_ps(row) : _mm512_maskz_loadu_ps(ml, row);
    }
    if (probe) {
        for (int i = 0; i < 8; i++)
            t[i] = _mm512_add_ps(r[i], r[i + 8]);
        t16_probe8(probe, t);
    }
    /* t[4g + j]: in 128-bit lane L, rows 4g..4g+3 of column 4L + j */
    for (int g = 0; g < 16; g += 4)
        t16_lanes4(r + g, t + g);
    const __mmask16 m = vm_first(nb);
    for (int j = 0; j < 4; j++) {
        const __m512 lo01 = _mm512_shuffle_f32x4(t[j], t[4 + j], 0x44);
        const __m512 hi01 = _mm512_shuffle_f32x4(t[j], t[4 + j], 0xEE);
        const __m512 lo23 = _mm512_shuffle_f32x4(t[8 + j], t[12 + j], 0x44);
        const __m512 hi23 = _mm512_shuffle_f32x4(t[8 + j], t[12 + j], 0xEE);
        const __m512 o[4] = {_mm512_shuffle_f32x4(lo01, lo23, 0x88),
                             _mm512_shuffle_f32x4(lo01, lo23, 0xDD),
                             _mm512_shuffle_f32x4(hi01, hi23, 0x88),
                             _mm512_shuffle_f32x4(hi01, hi23, 0xDD)};
        for (int L = 0; L < 4; L++)
            if (4 * L + j >= d.lo && 4 * L + j < d.hi) {
                if (nb == 16)
                    _mm512_storeu_ps(scz_col(&d, 4 * L + j, ds), o[L]);
                else
                    _mm512_mask_storeu_ps(scz_col(&d, 4 * L + j, ds), m, o[L]);
            }
    }
}

/* 4 rows of 16 lanes at A (row e at A + 16 e, lane k = channel k) -> scz_col(dc, k, ds)[e]
 * for the channels dc names: 4 x 4 transposes within the 128-bit lanes (lane L of u[j] then holds
 * channel 4L + j's 4 values), a fraction of a 16 x 16 transpose's shuffles. With ds == 4 (a
 * 2 x 2 level) the 16 channels' values are 64 contiguous floats: a 4 x 4 transpose of the
 * 128-bit lanes and 4 stores; else one masked store per channel, of the lane holding it. */
static inline void scz_t4(const float *A, const scz_cols *dc, int64_t ds)
{
    const __m512 r[4] = {_mm512_loadu_ps(A), _mm512_loadu_ps(A + 16), _mm512_loadu_ps(A + 32),
                         _mm512_loadu_ps(A + 48)};
    __m512 u[4];
    t16_lanes4(r, u);
    if (ds == 4) {
        const __m512 a = _mm512_shuffle_f32x4(u[0], u[1], 0x44);
        const __m512 b = _mm512_shuffle_f32x4(u[0], u[1], 0xEE);
        const __m512 c = _mm512_shuffle_f32x4(u[2], u[3], 0x44);
        const __m512 d = _mm512_shuffle_f32x4(u[2], u[3], 0xEE);
        const __m512 o[4] = {_mm512_shuffle_f32x4(a, c, 0x88), _mm512_shuffle_f32x4(a, c, 0xDD),
                             _mm512_shuffle_f32x4(b, d, 0x88), _mm512_shuffle_f32x4(b, d, 0xDD)};
        /* float 4k + i belongs to channel k: a's floats, then b's */
        const uint64_t fa = t16_bits64(4 * dc->lo, 4 * dc->split);
        const uint64_t fb = t16_bits64(4 * dc->split, 4 * dc->hi);
        for (int m = 0; m < 4; m++) { /* o[m]: channels 4m .. 4m + 3 */
            if ((__mmask16)(fa >> 16 * m))
                _mm512_mask_storeu_ps(dc->a + 16 * m, (__mmask16)(fa >> 16 * m), o[m]);
            if ((__mmask16)(fb >> 16 * m))
                _mm512_mask_storeu_ps(dc->b + 16 * m, (__mmask16)(fb >> 16 * m), o[m]);
        }
        return;
    }
    for (int k = dc->lo; k < dc->hi; k++) { /* the lane's 4 floats land at its column */
        const int L = k >> 2;
        _mm512_mask_storeu_ps(scz_col(dc, k, ds) - 4 * L, (__mmask16)(0xFu << (4 * L)),
                              u[k & 3]);
    }
}

/* scz_t16's job for a last block of nc <= 8 columns: rows k = 0..15 (k < nr: the first nc
 * lanes at src + k * ss; from nr on zero) -> dst[c * 16 + k], c < nc (probe or NULL as
 * scz_t16's), by 8 x 8 transposes in
 * both 256-bit halves, half the shuffles. Vector k < 4 holds rows k and k + 4, vector 4 + k
 * rows 8 + k and 12 + k, so that the last step's two 128-bit lanes from each side land in row
 * order. */
static inline void scz_t8(const float *src, int64_t ss, int nr, int nc, __m512 *probe,
                          float *dst)
{
    const __mmask8 m = (__mmask8)((1u << nc) - 1u);
    __m512 v[8], t[8];
    for (int k = 0; k < 8; k++) {
        const int a = k < 4 ? k : k + 4; /* rows a (low half) and a + 4 (high half) */
        const __m256 lo = a < nr ? _mm256_maskz_loadu_ps(m, src + a * ss) : _mm256_setzero_ps();
        const __m256 hi =
            a + 4 < nr ? _mm256_maskz_loadu_ps(m, src + (a + 4) * ss) : _mm256_setzero_ps();
        v[k] = _mm512_insertf32x8(_mm512_castps256_ps512(lo), hi, 1);
    }
    if (probe)
        t16_probe8(probe, v);
    /* t[g + j] (g = 0, 4): in 128-bit lane L, column j (L even) or 4 + j (L odd) of 4 rows */
    t16_lanes4(v, t);
    t16_lanes4(v + 4, t + 4);
    for (int j = 0; j < 4; j++) {
        if (j < nc)
            _mm512_storeu_ps(dst + j * 16, _mm512_shuffle_f32x4(t[j], t[4 + j], 0x88));
        if (4 + j < nc)
            _mm512_storeu_ps(dst + (4 + j) * 16, _mm512_shuffle_f32x4(t[j], t[4 + j], 0xDD));
    }
}

/* Rows k < nr of n lanes each (row k at src + k * ss; rows nr..15 zero) -> dst[c * 16 + k],
 * c < n, by scz_t16 blocks (the tail by masked loads); probe (or NULL) as scz_t16's. */
static inline void scz_t16_rows_to(const float *src, int64_t ss, int nr, int64_t n, float *dst,
                                   __m512 *probe)
{
    for (int64_t c0 = 0; c0 < n; c0 += 16) {
        const int nc = n - c0 < 16 ? (int)(n - c0) : 16;
        if (nc <= 8)
            scz_t8(src + c0, ss, nr, nc, probe, dst + c0 * 16);
        else
            scz_t16(src + c0, ss, nr, nc, probe, scz_cols_to(dst + c0 * 16, nc), 16, 16);
    }
}

/* scz_t16_rows_to for the 16-lane NCHW input stage (a tile of 16 planes in small-cells, or one
 * row of them in nchw_fused_rows16.h), the rows never stored by the callers; returns 1 if a
 * loaded lane may be NaN. Two 8 x 8 ymm transposes per block instead measured 1.2-1.45x
 * slower on the Xeon VM's row path. */
static inline int scz_t16_rows(const float *src, int64_t ss, int nr, int64_t n, float *dst)
{
    __m512 probe = _mm512_setzero_ps();
    scz_t16_rows_to(src, ss, nr, n, dst, &probe);
    return vf_anynan(probe);
}

/* scz_t16_rows_to without a probe: bit patterns only (int32 argmax too, whose small values
 * would be denormal operands of a probe's adds). */
static inline void scz_t16_bits(const void *src, int64_t ss, int nr, int64_t n, void *dst)
{
    scz_t16_rows_to((const float *)src, ss, nr, n, (float *)dst, NULL);
}
#else
/* The emulated vocabulary's form (tests/emu512/): element by element. */
static inline int scz_t16_rows(const float *src, int64_t ss, int nr, int64_t n, float *dst)
{
    vf s0 = vf_zero();
    for (int64_t c = 0; c < n; c++) {
        for (int k = 0; k < 16; k++)
            dst[c * 16 + k] = k < nr ? src[k * ss + c] : 0.0f;
        s0 = vf_add(s0, vf_loadu(dst + c * 16));
    }
    return vf_anynan(s0);
}
static inline void scz_t16_bits(const void *src, int64_t ss, int nr, int64_t n, void *dst)
{
    for (int64_t c = 0; c < n; c++)
        for (int k = 0; k < 16; k++) {
            const int32_t z = 0;
            memcpy((char *)dst + (c * 16 + k) * 4,
                   k < nr ? (const char *)src + (k * ss + c) * 4 : (const char *)&z, 4);
        }
}
#endif

/* nn bins of 16 lanes at A (lane k = channel k) -> scz_col(&d, k, nn)[e] for the channels
 * d names; 32-bit patterns only, so it serves argmax too. */
static inline void scz_store(const float *A, scz_cols d, int64_t nn)
{
#ifndef NHWC_VOCAB_EXTERNAL
    if (nn == 1) { /* the lanes' values are contiguous outputs */
        const __m512 v = _mm512_loadu_ps(A);
        _mm512_mask_storeu_ps(d.a, (__mmask16)t16_bits64(d.lo, d.split), v);
        _mm512_mask_storeu_ps(d.b, (__mmask16)t16_bits64(d.split, d.hi), v);
        return;
    }
    int64_t e0 = 0;
    for (; e0 < nn && nn - e0 != 4; e0 += 16) { /* a tail block's missing rows are zero */
        const int nb = nn - e0 < 16 ? (int)(nn - e0) : 16;
        const scz_cols de = {d.a + e0, d.b + e0, d.lo, d.split, d.hi};
        scz_t16(A + e0 * 16, 16, nb, 16, NULL, de, nn, nb);
    }
    if (e0 < nn) { /* 4 bins left: a 2 x 2 level, or 6 x 6 after two blocks */
        const scz_cols de = {d.a + e0, d.b + e0, d.lo, d.split, d.hi};
        scz_t4(A + e0 * 16, &de, nn);
    }
#else
    for (int k = d.lo; k < d.hi; k++)
        for (int64_t e = 0; e < nn; e++)
            memcpy(scz_col(&d, k, nn) + e, A + e * 16 + k, 4);
#endif
}

#endif
