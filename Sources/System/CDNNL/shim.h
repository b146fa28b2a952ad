// oneDNN 2.x C API (Debian 12: libdnnl-dev 2.6.3, OpenMP runtime), plus a few static inline helpers
// that build descriptors from scalars: dnnl_dims_t is a C array (a 12-tuple in Swift) and the
// operation descriptors are large unions, both easier to fill in C.
#ifndef FEWCLICK_CDNNL_SHIM_H
#define FEWCLICK_CDNNL_SHIM_H

#include <oneapi/dnnl/dnnl.h>
#include <string.h>

// libgomp (oneDNN's threading runtime). Declared here rather than through <omp.h>, which lives in
// GCC's private include directory that Swift's Clang does not search.
extern void omp_set_num_threads(int);
extern int omp_get_max_threads(void);

/// Sets the OpenMP thread count for parallel regions started from the calling thread (per thread).
static inline void fc_set_threads(int n) { omp_set_num_threads(n); }
static inline int fc_max_threads(void) { return omp_get_max_threads(); }

/// A 4-D f32 descriptor N×C×H×W in `tag` (dnnl_format_tag_any lets a primitive choose).
static inline dnnl_status_t fc_md_4d(dnnl_memory_desc_t *md, int64_t n, int64_t c, int64_t h, int64_t w,
                                     dnnl_format_tag_t tag) {
    dnnl_dims_t d = {n, c, h, w};
    return dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, tag);
}

/// Convolution weights in PyTorch's layout ([O, I/g, kh, kw]; with groups > 1 the same bytes as
/// goihw [g, O/g, I/g, kh, kw]), or `any` when `plain` is 0.
static inline dnnl_status_t fc_md_weights(dnnl_memory_desc_t *md, int64_t groups, int64_t o, int64_t ig,
                                          int64_t kh, int64_t kw, int plain) {
    if (groups == 1) {
        dnnl_dims_t d = {o, ig, kh, kw};
        return dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, plain ? dnnl_oihw : dnnl_format_tag_any);
    }
    dnnl_dims_t d = {groups, o / groups, ig, kh, kw};
    return dnnl_memory_desc_init_by_tag(md, 5, d, dnnl_f32, plain ? dnnl_goihw : dnnl_format_tag_any);
}

static inline dnnl_status_t fc_md_1d(dnnl_memory_desc_t *md, int64_t n) {
    dnnl_dims_t d = {n};
    return dnnl_memory_desc_init_by_tag(md, 1, d, dnnl_f32, dnnl_a);
}

static inline int64_t fc_md_dim(const dnnl_memory_desc_t *md, int i) { return md->dims[i]; }
static inline int fc_md_ndims(const dnnl_memory_desc_t *md) { return md->ndims; }

/// Forward-inference convolution (dilation as in PyTorch: 1 = dense; oneDNN counts from 0).
static inline dnnl_status_t fc_conv_pd(dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t *src,
                                       const dnnl_memory_desc_t *weights, const dnnl_memory_desc_t *bias,
                                       const dnnl_memory_desc_t *dst, int64_t sh, int64_t sw, int64_t dh,
                                       int64_t dw, int64_t pt, int64_t pl, int64_t pb, int64_t pr,
                                       const_dnnl_primitive_attr_t attr, dnnl_engine_t engine) {
    dnnl_convolution_desc_t desc;
    dnnl_dims_t strides = {sh, sw}, dil = {dh - 1, dw - 1}, padl = {pt, pl}, padr = {pb, pr};
    dnnl_status_t s = dnnl_dilated_convolution_forward_desc_init(
        &desc, dnnl_forward_inference, dnnl_convolution_direct, src, weights, bias, dst, strides, dil, padl, padr);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
}

/// Pooling, forward inference; `max` 0 = average excluding padding (count_include_pad=False).
static inline dnnl_status_t fc_pool_pd(dnnl_primitive_desc_t *pd, int max, const dnnl_memory_desc_t *src,
                                       const dnnl_memory_desc_t *dst, int64_t kh, int64_t kw, int64_t sh,
                                       int64_t sw, int64_t pt, int64_t pl, int64_t pb, int64_t pr,
                                       const_dnnl_primitive_attr_t attr, dnnl_engine_t engine) {
    dnnl_pooling_v2_desc_t desc;
    dnnl_dims_t strides = {sh, sw}, kernel = {kh, kw}, dil = {0, 0}, padl = {pt, pl}, padr = {pb, pr};
    dnnl_status_t s = dnnl_pooling_v2_forward_desc_init(
        &desc, dnnl_forward_inference, max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding, src, dst,
        strides, kernel, dil, padl, padr);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
}

/// Bilinear resampling (oneDNN's linear mode maps dst x to src (x + 0.5)·in/out − 0.5, clamped:
/// PyTorch's align_corners=False).
static inline dnnl_status_t fc_resample_pd(dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t *src,
                                           const dnnl_memory_desc_t *dst, const_dnnl_primitive_attr_t attr,
                                           dnnl_engine_t engine) {
    dnnl_resampling_desc_t desc;
    dnnl_status_t s = dnnl_resampling_forward_desc_init(&desc, dnnl_forward_inference, dnnl_resampling_linear,
                                                        NULL, src, dst);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
}

/// Elementwise a + b (post-ops carry the activation).
static inline dnnl_status_t fc_add_pd(dnnl_primitive_desc_t *pd, const dnnl_memory_desc_t *a,
                                      const dnnl_memory_desc_t *b, const dnnl_memory_desc_t *dst,
                                      const_dnnl_primitive_attr_t attr, dnnl_engine_t engine) {
    dnnl_binary_desc_t desc;
    dnnl_status_t s = dnnl_binary_desc_init(&desc, dnnl_binary_add, a, b, dst);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
}

/// The execution argument of the binary post-op at `index` (its second operand).
static inline int fc_arg_post_op_src1(int index) { return DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1; }

/// The implementation name oneDNN picked ("jit:avx2", "ref:any", ...), or "" on failure.
static inline const char *fc_impl_name(const_dnnl_primitive_desc_t pd) {
    const char *name = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success || name == NULL) return "";
    return name;
}

/// Memory descriptor sizes are queried in bytes; copies a queried descriptor into `out`.
static inline dnnl_status_t fc_query_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what, int index,
                                        dnnl_memory_desc_t *out) {
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, index);
    if (md == NULL) return dnnl_invalid_arguments;
    memcpy(out, md, sizeof(dnnl_memory_desc_t));
    return dnnl_success;
}

#endif
