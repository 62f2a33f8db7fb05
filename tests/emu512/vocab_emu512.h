/* vocab_emu512.h: vec_vocab.h's 16-lane AVX-512 vector vocabulary emulated with AVX2, for
 * NHWC_VOCAB_EXTERNAL builds of the AVX-512 kernels (emu512_*.c, `make test-emu512`).
 *
 * Why: on a CPU without AVX-512 (or with SPP_MAX_ISA below it), the AVX-512 kernels are
 * skipped by the other tests; on one with it they also run natively. The NHWC ones' logic
 * (nhwc_binscan.h, nhwc_fused_*.h) is shared with the AVX2 kernels, but with
 * VW = 16 the blocks are 64 channels wide and the masks are bit masks (__mmask16), not lane
 * vectors. This header gives the same semantics lane for lane (each operation as the
 * intrinsic named in vec_vocab.h's AVX-512 branch documents it), so the 16-lane code paths
 * run and are checked against naive here. It says nothing about the real instructions'
 * encodings. */
#ifndef VOCAB_EMU512_H
#define VOCAB_EMU512_H

#include <immintrin.h>
#include <stdint.h>

#define VW 16
typedef struct { __m256 lo, hi; } vf;
typedef struct { __m256i lo, hi; } vi;
typedef uint16_t vm; /* bit i: lane i, as __mmask16 */

static inline vm vm_first(int n) { return (vm)((1u << n) - 1u); } /* n in 0..16 */
/* lanes 8h..8h+7 of m as an AVX2 lane mask */
static inline __m256i emu_lanes(vm m, int h)
{
    const __m256i bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i b = _mm256_and_si256(_mm256_set1_epi32((m >> (8 * h)) & 0xff), bit);
    return _mm256_cmpeq_epi32(b, bit);
}
static inline vm emu_bits(__m256 lo, __m256 hi)
{
    return (vm)(_mm256_movemask_ps(lo) | (_mm256_movemask_ps(hi) << 8));
}
static inline vf vf_loadu(const float *p) { return (vf){_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
/* maskz_loadu: masked-off lanes read nothing and are zero */
static inline vf vf_load_n(const float *p, int n)
{
    const vm m = vm_first(n);
    return (vf){_mm256_maskload_ps(p, emu_lanes(m, 0)), _mm256_maskload_ps(p + 8, emu_lanes(m, 1))};
}
static inline void vf_storeu(float *p, vf v)
{
    _mm256_storeu_ps(p, v.lo);
    _mm256_storeu_ps(p + 8, v.hi);
}
static inline void vf_store_n(float *p, vf v, int n)
{
    const vm m = vm_first(n);
    _mm256_maskstore_ps(p, emu_lanes(m, 0), v.lo);
    _mm256_maskstore_ps(p + 8, emu_lanes(m, 1), v.hi);
}
static inline vi vi_loadu(const int32_t *p)
{
    return (vi){_mm256_loadu_si256((const __m256i *)(const void *)p),
                _mm256_loadu_si256((const __m256i *)(const void *)(p + 8))};
}
static inline void vi_storeu(int32_t *p, vi v)
{
    _mm256_storeu_si256((__m256i *)(void *)p, v.lo);
    _mm256_storeu_si256((__m256i *)(void *)(p + 8), v.hi);
}
static inline vf vf_zero(void) { return (vf){_mm256_setzero_ps(), _mm256_setzero_ps()}; }
static inline vf vf_bits(int32_t b)
{
    const __m256 v = _mm256_castsi256_ps(_mm256_set1_epi32(b));
    return (vf){v, v};
}
static inline vi vi_set1(int32_t a) { return (vi){_mm256_set1_epi32(a), _mm256_set1_epi32(a)}; }
static inline vf vf_add(vf a, vf b) { return (vf){_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)}; }
static inline vf vf_mul(vf a, vf b)
{
    return (vf){_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)};
}
static inline vf vf_div(vf a, vf b)
{
    return (vf){_mm256_div_ps(a.lo, b.lo), _mm256_div_ps(a.hi, b.hi)};
}
static inline vf vf_set1(float a) { return (vf){_mm256_set1_ps(a), _mm256_set1_ps(a)}; }
static inline vi vi_add(vi a, vi b) { return (vi){_mm256_add_epi32(a.lo, b.lo), _mm256_add_epi32(a.hi, b.hi)}; }
static inline vm vm_gt(vf a, vf b)
{
    return emu_bits(_mm256_cmp_ps(a.lo, b.lo, _CMP_GT_OQ), _mm256_cmp_ps(a.hi, b.hi, _CMP_GT_OQ));
}
static inline vm vm_nan(vf a)
{
    return emu_bits(_mm256_cmp_ps(a.lo, a.lo, _CMP_UNORD_Q), _mm256_cmp_ps(a.hi, a.hi, _CMP_UNORD_Q));
}
static inline vm vm_or(vm a, vm b) { return (vm)(a | b); }
static inline vm vm_and(vm a, vm b) { return (vm)(a & b); }
static inline vm vm_eq(vf a, vf b)
{
    return emu_bits(_mm256_cmp_ps(a.lo, b.lo, _CMP_EQ_OQ), _mm256_cmp_ps(a.hi, b.hi, _CMP_EQ_OQ));
}
static inline vm vi_gt(vi a, vi b)
{
    return emu_bits(_mm256_castsi256_ps(_mm256_cmpgt_epi32(a.lo, b.lo)),
                    _mm256_castsi256_ps(_mm256_cmpgt_epi32(a.hi, b.hi)));
}
static inline vm vi_eq(vi a, vi b)
{
    return emu_bits(_mm256_castsi256_ps(_mm256_cmpeq_epi32(a.lo, b.lo)),
                    _mm256_castsi256_ps(_mm256_cmpeq_epi32(a.hi, b.hi)));
}
static inline vf vf_blend(vf a, vf b, vm m) /* m ? b : a */
{
    return (vf){_mm256_blendv_ps(a.lo, b.lo, _mm256_castsi256_ps(emu_lanes(m, 0))),
                _mm256_blendv_ps(a.hi, b.hi, _mm256_castsi256_ps(emu_lanes(m, 1)))};
}
static inline vi vi_blend(vi a, vi b, vm m)
{
    return (vi){_mm256_blendv_epi8(a.lo, b.lo, emu_lanes(m, 0)), _mm256_blendv_epi8(a.hi, b.hi, emu_lanes(m, 1))};
}
static inline vf vf_max(vf a, vf b) /* a > b ? a : b, as vmaxps */
{
    return (vf){_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)};
}
static inline vi vi_upd(vi p, vi c, vm m) { return vi_blend(p, c, m); } /* mask_mov */
static inline int vf_anynan(vf a) { return vm_nan(a) != 0; }
static inline vm vm_zero_tie(vf a, vf b) /* equal, bits differ: as vcmpps then vpcmpd under it */
{
    const __m256i slo = _mm256_cmpeq_epi32(_mm256_castps_si256(a.lo), _mm256_castps_si256(b.lo));
    const __m256i shi = _mm256_cmpeq_epi32(_mm256_castps_si256(a.hi), _mm256_castps_si256(b.hi));
    return (vm)(vm_eq(a, b) & ~emu_bits(_mm256_castsi256_ps(slo), _mm256_castsi256_ps(shi)));
}
static inline int vm_any(vm m) { return m != 0; }
static inline unsigned vm_bits(vm m) { return m; } /* bit i: lane i */

#endif
