/* nchw_roi__nhwc_omp_avx512's code on the emulated 16-lane vocabulary (roi_vec_emu512.h): the
 * registry's kernel file compiled again, its kernel renamed and marked AVX2. */
#include "spp.h"
#include "roi_vec_emu512.h"
#define SPP_ISA_AVX512 SPP_ISA_AVX2
#define spp_region_kernel_nchw_roi__nhwc_omp_avx512 spp_emu512_roi_nchw
#include "nchw_roi__nhwc_omp_avx512.c"
