// oneDNN vs XNNPACK on the convolutions that dominate clicknet (EfficientNet-Lite0 layers), one
// thread each, fp32; what the library choice for NeuralNet was measured on (README, "NeuralNet").
//
//   cc -O2 -o /tmp/dnn_kernels Benchmarks/dnn_kernels.c -ldnnl -lXNNPACK -lpthreadpool -lgomp
//   /tmp/dnn_kernels            # median ms of 50 runs per layer
//
// oneDNN: format_tag_any for activations and weights (it picks nChw8c / blocked weights on AVX2),
// activations already in its layout (reorders untimed), ReLU6 fused as a post-op where the layer
// has one. XNNPACK: NHWC, min/max clamp fused, no thread pool (the caller's thread).
#include <oneapi/dnnl/dnnl.h>
#include <xnnpack.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void omp_set_num_threads(int);

typedef struct { const char *name; int c, h, w, o, k, stride, groups, relu6; } layer_t;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return (x > y) - (x < y); }
static double median(double *v, int n) { qsort(v, n, sizeof(double), cmp); return v[n / 2]; }
#define RUNS 50
#define CHECK(x) do { if ((x) != 0) { fprintf(stderr, "%s failed at %d\n", #x, __LINE__); exit(1); } } while (0)

static float *randoms(size_t n) {
    float *p = aligned_alloc(64, (n * 4 + 63) / 64 * 64);
    for (size_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    return p;
}

static double onednn(const layer_t *l, dnnl_engine_t eng, dnnl_stream_t st) {
    int pad = l->k / 2, oh = (l->h + 2 * pad - l->k) / l->stride + 1, ow = (l->w + 2 * pad - l->k) / l->stride + 1;
    dnnl_memory_desc_t src, wei, bias, dst;
    dnnl_dims_t sd = {1, l->c, l->h, l->w}, dd = {1, l->o, oh, ow}, bd = {l->o};
    CHECK(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_a));
    if (l->groups == 1) {
        dnnl_dims_t wd = {l->o, l->c, l->k, l->k};
        CHECK(dnnl_memory_desc_init_by_tag(&wei, 4, wd, dnnl_f32, dnnl_format_tag_any));
    } else {
        dnnl_dims_t wd = {l->groups, l->o / l->groups, l->c / l->groups, l->k, l->k};
        CHECK(dnnl_memory_desc_init_by_tag(&wei, 5, wd, dnnl_f32, dnnl_format_tag_any));
    }
    dnnl_dims_t strides = {l->stride, l->stride}, padl = {pad, pad}, padr = {pad, pad};
    dnnl_convolution_desc_t cd;
    CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &src, &wei, &bias,
                                             &dst, strides, padl, padr));
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    CHECK(dnnl_primitive_attr_create(&attr));
    CHECK(dnnl_post_ops_create(&po));
    if (l->relu6) CHECK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_clip, 0.f, 6.f));
    CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL));
    const char *impl;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    dnnl_memory_t m[4];
    const dnnl_query_t q[4] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md, dnnl_query_undef};
    for (int i = 0; i < 3; i++) {
        const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, q[i], 0);
        CHECK(dnnl_memory_create(&m[i], md, eng, randoms(dnnl_memory_desc_get_size(md) / 4)));
    }
    CHECK(dnnl_memory_create(&m[3], &bias, eng, randoms(l->o)));
    dnnl_primitive_t prim;
    CHECK(dnnl_primitive_create(&prim, pd));
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, m[0]}, {DNNL_ARG_WEIGHTS, m[1]}, {DNNL_ARG_DST, m[2]}, {DNNL_ARG_BIAS, m[3]}};
    double t[RUNS];
    for (int r = -3; r < RUNS; r++) {
        double t0 = now_ms();
        CHECK(dnnl_primitive_execute(prim, st, 4, args));
        CHECK(dnnl_stream_wait(st));
        if (r >= 0) t[r] = now_ms() - t0;
    }
    printf("  oneDNN %-10s", impl);
    return median(t, RUNS);
}

static double xnnpack(const layer_t *l) {
    int pad = l->k / 2, oh = (l->h + 2 * pad - l->k) / l->stride + 1, ow = (l->w + 2 * pad - l->k) / l->stride + 1;
    float *in = randoms((size_t)l->c * l->h * l->w), *out = randoms((size_t)l->o * oh * ow);
    float *k = randoms((size_t)l->o * (l->c / l->groups) * l->k * l->k), *b = randoms(l->o);
    xnn_operator_t op;
    CHECK(xnn_create_convolution2d_nhwc_f32(pad, pad, pad, pad, l->k, l->k, l->stride, l->stride, 1, 1, l->groups,
                                            l->c / l->groups, l->o / l->groups, l->c, l->o, k, b,
                                            l->relu6 ? 0.f : -INFINITY, l->relu6 ? 6.f : INFINITY, 0, &op));
    CHECK(xnn_setup_convolution2d_nhwc_f32(op, 1, l->h, l->w, in, out, NULL));
    double t[RUNS];
    for (int r = -3; r < RUNS; r++) {
        double t0 = now_ms();
        CHECK(xnn_run_operator(op, NULL));
        if (r >= 0) t[r] = now_ms() - t0;
    }
    xnn_delete_operator(op);
    return median(t, RUNS);
}

int main(void) {
    omp_set_num_threads(1);
    CHECK(xnn_initialize(NULL));
    dnnl_engine_t eng;
    dnnl_stream_t st;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    const layer_t layers[] = {
        {"stem 3x3/2 7->32 @224", 7, 224, 224, 32, 3, 2, 1, 1},
        {"dw 3x3 96 @112", 96, 112, 112, 96, 3, 1, 96, 1},
        {"1x1 96->24 @112", 96, 112, 112, 24, 1, 1, 1, 0},
        {"1x1 16->96 @112", 16, 112, 112, 96, 1, 1, 1, 1},
        {"dw 5x5 240 @28", 240, 28, 28, 240, 5, 1, 240, 1},
        {"1x1 240->40 @28", 240, 28, 28, 40, 1, 1, 1, 0},
        {"1x1 1152->192 @7", 1152, 7, 7, 192, 1, 1, 1, 0},
        {"3x3 64->64 @56 (decoder)", 64, 56, 56, 64, 3, 1, 1, 1},
    };
    printf("median of %d runs, ms, one thread\n", RUNS);
    for (size_t i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
        const layer_t *l = &layers[i];
        printf("%-26s", l->name);
        double a = onednn(l, eng, st);
        double b = xnnpack(l);
        printf(" %7.3f   XNNPACK %7.3f   (XNNPACK/oneDNN %.2f)\n", a, b, b / a);
    }
    return 0;
}
