/* The few oneDNN C calls that differ between the 2.x API (Debian's libdnnl-dev 2.6.3, peer
 * `onednn`) and the 3.x API (PyPI's onednn-devel-cpu-gomp 3.2, peer `onednn3`), so that
 * harness/peers/onednn_peer.c is one source built twice (mk/peers.mk), selected by
 * DNNL_VERSION_MAJOR of the dnnl_version.h the build finds.
 *
 * 2.x: a memory descriptor is a struct the caller owns and passes by address; operation
 * descriptors (dnnl_pooling_v2_*_desc_init) are turned into primitive descriptors.
 * 3.x: a memory descriptor is an opaque handle (created, then destroyed); primitive descriptors
 * are created directly from the operation's parameters.
 * Here `md_t` is the owned descriptor, MD(x) what the API takes for it; md_reset() releases it
 * (3.x) before it is made again or dropped. */
#ifndef SPP_ONEDNN_COMPAT_H
#define SPP_ONEDNN_COMPAT_H

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_version.h>

#define SUM_MAX_SRCS 64 /* >= SPP_MAX_LEVELS, checked in onednn_peer.c */

#if DNNL_VERSION_MAJOR >= 3
#define PEER_NAME "onednn3"
typedef dnnl_memory_desc_t md_t;            /* opaque handle */
typedef const_dnnl_memory_desc_t md_cref;
#define MD(x) (x)
#define MD_NONE NULL

static inline void md_reset(md_t *md)
{
    if (*md)
        dnnl_memory_desc_destroy(*md);
    *md = NULL;
}

static inline dnnl_status_t md_tag(md_t *md, int nd, const dnnl_dims_t d, dnnl_format_tag_t tag)
{
    return dnnl_memory_desc_create_with_tag(md, nd, d, dnnl_f32, tag);
}

static inline dnnl_status_t md_strides(md_t *md, int nd, const dnnl_dims_t d,
                                       const dnnl_dims_t strides)
{
    return dnnl_memory_desc_create_with_strides(md, nd, d, dnnl_f32, strides);
}

static inline dnnl_status_t md_sub(md_t *md, md_cref parent, const dnnl_dims_t d,
                                   const dnnl_dims_t off)
{
    return dnnl_memory_desc_create_submemory(md, parent, d, off);
}

static inline dnnl_status_t pool_fwd_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t eng,
                                        dnnl_prop_kind_t prop, dnnl_alg_kind_t alg, md_cref src,
                                        md_cref dst, const dnnl_dims_t strides,
                                        const dnnl_dims_t kernel, const dnnl_dims_t dil,
                                        const dnnl_dims_t pad_l, const dnnl_dims_t pad_r)
{
    return dnnl_pooling_forward_primitive_desc_create(pd, eng, prop, alg, src, dst, strides,
                                                      kernel, dil, pad_l, pad_r, NULL);
}

static inline dnnl_status_t pool_bwd_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t eng,
                                        dnnl_alg_kind_t alg, md_cref dsrc, md_cref ddst,
                                        const dnnl_dims_t strides, const dnnl_dims_t kernel,
                                        const dnnl_dims_t dil, const dnnl_dims_t pad_l,
                                        const dnnl_dims_t pad_r, const_dnnl_primitive_desc_t hint)
{
    return dnnl_pooling_backward_primitive_desc_create(pd, eng, alg, dsrc, ddst, strides, kernel,
                                                       dil, pad_l, pad_r, hint, NULL);
}

/* n sources, all described by src, summed into dst */
static inline dnnl_status_t sum_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t eng, md_cref dst,
                                   int n, const float *scales, md_cref src)
{
    md_cref srcs[SUM_MAX_SRCS];
    if (n > (int)(sizeof srcs / sizeof *srcs))
        return dnnl_invalid_arguments;
    for (int i = 0; i < n; i++)
        srcs[i] = src;
    return dnnl_sum_primitive_desc_create(pd, eng, dst, n, scales, srcs, NULL);
}

#else /* 2.x */
#define PEER_NAME "onednn"
typedef dnnl_memory_desc_t md_t;            /* struct, owned by the caller */
typedef const dnnl_memory_desc_t *md_cref;
#define MD(x) (&(x))
#define MD_NONE {0}

static inline void md_reset(md_t *md)
{
    (void)md; /* nothing to release; the next init overwrites it */
}

static inline dnnl_status_t md_tag(md_t *md, int nd, const dnnl_dims_t d, dnnl_format_tag_t tag)
{
    return dnnl_memory_desc_init_by_tag(md, nd, d, dnnl_f32, tag);
}

static inline dnnl_status_t md_strides(md_t *md, int nd, const dnnl_dims_t d,
                                       const dnnl_dims_t strides)
{
    return dnnl_memory_desc_init_by_strides(md, nd, d, dnnl_f32, strides);
}

static inline dnnl_status_t md_sub(md_t *md, md_cref parent, const dnnl_dims_t d,
                                   const dnnl_dims_t off)
{
    return dnnl_memory_desc_init_submemory(md, parent, d, off);
}

static inline dnnl_status_t pool_fwd_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t eng,
                                        dnnl_prop_kind_t prop, dnnl_alg_kind_t alg, md_cref src,
                                        md_cref dst, const dnnl_dims_t strides,
                                        const dnnl_dims_t kernel, const dnnl_dims_t dil,
                                        const dnnl_dims_t pad_l, const dnnl_dims_t pad_r)
{
    dnnl_pooling_v2_desc_t d;
    dnnl_status_t st = dnnl_pooling_v2_forward_desc_init(&d, prop, alg, src, dst, strides, kernel,
                                                         dil, pad_l, pad_r);
    return st != dnnl_success ? st : dnnl_primitive_desc_create(pd, &d, NULL, eng, NULL);
}

static inline dnnl_status_t pool_bwd_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t eng,
                                        dnnl_alg_kind_t alg, md_cref dsrc, md_cref ddst,
                                        const dnnl_dims_t strides, const dnnl_dims_t kernel,
                                        const dnnl_dims_t dil, const dnnl_dims_t pad_l,
                                        const dnnl_dims_t pad_r, const_dnnl_primitive_desc_t hint)
{
    dnnl_pooling_v2_desc_t d;
    dnnl_status_t st = dnnl_pooling_v2_backward_desc_init(&d, alg, dsrc, ddst, strides, kernel,
                                                          dil, pad_l, pad_r);
    return st != dnnl_success ? st : dnnl_primitive_desc_create(pd, &d, NULL, eng, hint);
}

static inline dnnl_status_t sum_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t eng, md_cref dst,
                                   int n, const float *scales, md_cref src)
{
    dnnl_memory_desc_t srcs[SUM_MAX_SRCS];
    if (n > SUM_MAX_SRCS)
        return dnnl_invalid_arguments;
    for (int i = 0; i < n; i++)
        srcs[i] = *src;
    return dnnl_sum_primitive_desc_create(pd, dst, n, scales, srcs, NULL, eng);
}
#endif

#endif
