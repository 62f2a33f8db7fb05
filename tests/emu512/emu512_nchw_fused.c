/* nchw__fused_avx512's code on the emulated 16-lane vocabulary (vocab_emu512.h): the
 * registry's kernel file compiled again, its kernel renamed and marked AVX2. */
#include "spp.h"
#define NHWC_VOCAB_EXTERNAL
#include "vocab_emu512.h"
#define SPP_ISA_AVX512 SPP_ISA_AVX2
#define spp_kernel_nchw__fused_avx512 spp_emu512_nchw_fused
#include "nchw__fused_avx512.c"
