/* nhwc__avx512's code on the emulated 16-lane vocabulary (vocab_emu512.h): the registry's
 * kernel file compiled again, its kernel renamed and marked AVX2 (what this build needs). */
#include "spp.h"
#define NHWC_VOCAB_EXTERNAL
#include "vocab_emu512.h"
#define SPP_ISA_AVX512 SPP_ISA_AVX2
#define spp_kernel_nhwc__avx512 spp_emu512_binscan
#include "nhwc__avx512.c"
