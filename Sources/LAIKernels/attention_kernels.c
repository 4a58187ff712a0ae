// attention_kernels.c: the two flash-attention paths of ggml's CPU backend beyond its one-query kernel
// (ggml-cpu/ops.cpp, ggml 0.25.3), see lai_kernels.h:
//   - lai_attention_tiled_f16: ggml_compute_forward_flash_attn_ext_tiled, used when a batch has >= 64 query
//     rows: f32 Q, K/V tiles of 64 cells converted from f16, scores by an f32 FMA GEMM, online softmax per KV
//     tile with ggml_v_expf (ggml_vec_soft_max_f32), V accumulated in f32 by a second GEMM;
//   - lai_attention_f16_partial + lai_attention_reduce_partials: the split-KV path for a single query over
//     >= 512 cache cells (one-query f16 kernel over one chunk of cells, then the chunks merged).
// The order of every rounding follows ggml's so that results equal llama.cpp's bit for bit; the portable
// branch (no AVX2) computes the same values with scalar code, and Ops.attentionTiledReference (Swift) is the
// reference twin. The f16 conversions, ggml's f16 dot and ggml_v_expf come from simd_common.h.
#include "lai_kernels.h"
#include <math.h>
#include <string.h>

// Every product and sum below is written out (fmaf or intrinsics): nothing may be contracted behind our back.
#pragma STDC FP_CONTRACT OFF

#define TQ LAI_FA_TILE_Q
#define TKV LAI_FA_TILE_KV

size_t lai_attention_tiled_scratch_floats(int hd) {
    // KQ (TQ x TKV) | VKQ (TQ x hd) | V32 (TKV x hd) | K32 (hd x TKV), as ggml's per-thread wdata minus Q and mask.
    return (size_t)TQ * TKV + (size_t)TQ * hd + 2 * (size_t)TKV * hd;
}

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include "simd_common.h"



// ggml_vec_soft_max_f32 (AVX2 branch) for n % 8 == 0: y = exp(x - max), returns the sum in double, each
// 8-lane group reduced in float first ((v4+v0)+(v6+v2)) + ((v5+v1)+(v7+v3)).
ALWAYS_INLINE double soft_max_row(float *x, int n, float max) {
    double sum = 0;
    for (int i = 0; i < n; i += 8) {
        const __m256 val = v_expf(_mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(max)));
        _mm256_storeu_ps(x + i, val);
        __m128 v2 = _mm_add_ps(_mm256_extractf128_ps(val, 1), _mm256_castps256_ps128(val));
        v2 = _mm_add_ps(v2, _mm_movehl_ps(v2, v2));
        v2 = _mm_add_ss(v2, _mm_movehdup_ps(v2));
        sum += (double)_mm_cvtss_f32(v2);
    }
    return sum;
}

// simd_gemm (AVX2: GEMM_RM = 6 rows x GEMM_RN = 2 vectors): C[M x N] += A[M x K] * B[K x N], row-major.
// Each C element is one FMA chain over k = 0..K-1 starting from its old value, whatever the blocking.
ALWAYS_INLINE void gemm_block(float *C, const float *A, size_t lda, const float *B, int K, int N, int rm, int j) {
    __m256 acc[6][2];
    for (int i = 0; i < rm; i++) { acc[i][0] = _mm256_loadu_ps(C + i * N + j); acc[i][1] = _mm256_loadu_ps(C + i * N + j + 8); }
    for (int kk = 0; kk < K; kk++) {
        const __m256 b0 = _mm256_loadu_ps(B + kk * N + j), b1 = _mm256_loadu_ps(B + kk * N + j + 8);
        for (int i = 0; i < rm; i++) {
            const __m256 p = _mm256_set1_ps(A[i * lda + kk]);
            acc[i][0] = _mm256_fmadd_ps(b0, p, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(b1, p, acc[i][1]);
        }
    }
    for (int i = 0; i < rm; i++) { _mm256_storeu_ps(C + i * N + j, acc[i][0]); _mm256_storeu_ps(C + i * N + j + 8, acc[i][1]); }
}

static void gemm(float *C, const float *A, size_t lda, const float *B, int M, int K, int N) {
    for (int ii = 0; ii < M; ii += 6) {
        const int rm = M - ii < 6 ? M - ii : 6;
        float *c = C + (size_t)ii * N;
        const float *a = A + (size_t)ii * lda;
        int j = 0;
        for (; j + 16 <= N; j += 16) {
            switch (rm) {  // constant row counts let the compiler keep acc in registers
                case 6: gemm_block(c, a, lda, B, K, N, 6, j); break;
                case 5: gemm_block(c, a, lda, B, K, N, 5, j); break;
                case 4: gemm_block(c, a, lda, B, K, N, 4, j); break;
                case 3: gemm_block(c, a, lda, B, K, N, 3, j); break;
                case 2: gemm_block(c, a, lda, B, K, N, 2, j); break;
                default: gemm_block(c, a, lda, B, K, N, 1, j); break;
            }
        }
        for (; j < N; j++)  // columns past the last 16 (head sizes that are not multiples of 16)
            for (int i = 0; i < rm; i++) {
                float s = c[i * N + j];
                for (int kk = 0; kk < K; kk++) s = fmaf(B[kk * N + j], a[i * lda + kk], s);
                c[i * N + j] = s;
            }
    }
}

ALWAYS_INLINE void scale_row(float *x, int n, float s) {
    int i = 0;
    const __m256 v = _mm256_set1_ps(s);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), v));
    for (; i < n; i++) x[i] *= s;
}

ALWAYS_INLINE void f16_to_f32_row(const uint16_t *x, float *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = h2f(x[i]);
}


// acc (f16) = acc * s, and acc = acc + v * s, as ggml_vec_scale_f16 / ggml_vec_mad_f16 (AVX2, F16C).
ALWAYS_INLINE void scale_f16(uint16_t *acc, int n, float s) {
    int i = 0;
    const __m256 v = _mm256_set1_ps(s);
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i))), v), 0));
    for (; i < n; i++) acc[i] = f2h(h2f(acc[i]) * s);
}
ALWAYS_INLINE void mad_f16(uint16_t *acc, const uint16_t *x, int n, float s) {
    int i = 0;
    const __m256 v = _mm256_set1_ps(s);
    for (; i + 8 <= n; i += 8) {
        const __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i)));
        _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), v, a), 0));
    }
    for (; i < n; i++) acc[i] = f2h(fmaf(h2f(x[i]), s, h2f(acc[i])));
}
ALWAYS_INLINE void f32_to_f16_row(const float *x, uint16_t *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), 0));
    for (; i < n; i++) y[i] = f2h(x[i]);
}

#else  // portable: the same roundings in scalar C (also what the Swift twin computes).

static inline float h2f(uint16_t h) {
    const uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    uint32_t u;
    if (e == 0x1f) u = s | 0x7f800000u | (m << 13);
    else if (e != 0) u = s | ((e + 112) << 23) | (m << 13);
    else if (m == 0) u = s;
    else { float f = (float)m * 0x1p-24f; memcpy(&u, &f, 4); u |= s; }
    float f; memcpy(&f, &u, 4); return f;
}
static inline uint16_t f2h(float f) {  // round to nearest even, as F16C
    uint32_t x; memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    const uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0);
    if (ax >= 0x477ff000u) return sign | 0x7c00;  // rounds to >= 65520: infinity
    if (ax < 0x38800000u) {  // subnormal or zero in f16
        float a; memcpy(&a, &ax, 4);
        const float r = a * 0x1p24f;  // exact scaling; nearbyintf rounds to even
        return sign | (uint16_t)nearbyintf(r);
    }
    const uint32_t e = (ax >> 23) - 112, m = ax & 0x7fffff;
    uint32_t h = (e << 10) | (m >> 13);
    const uint32_t rest = m & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
    return sign | (uint16_t)h;
}

// ggml_v_expf, one lane.
static inline float fa_expf1(float x) {
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    uint32_t zi; memcpy(&zi, &z, 4);
    const uint32_t e = zi << 23;
    const uint32_t ki = e + 0x3f800000u;
    float k; memcpy(&k, &ki, 4);
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u, 0x1.ffffecp-1f * b);
    if (!(fabsf(n) > 126)) return fmaf(j, k, k);
    const uint32_t g = n <= 0 ? 0x82000000u : 0;
    const uint32_t s1i = g + 0x7f000000u, s2i = e - g;
    float s1, s2; memcpy(&s1, &s1i, 4); memcpy(&s2, &s2i, 4);
    if (fabsf(n) > 192) return s1 * s1;
    return fmaf(s2, j, s2) * s1;
}

static inline double soft_max_row(float *x, int n, float max) {
    double sum = 0;
    for (int i = 0; i < n; i += 8) {
        float v[8];
        for (int l = 0; l < 8; l++) { v[l] = fa_expf1(x[i + l] - max); x[i + l] = v[l]; }
        sum += (double)(((v[4] + v[0]) + (v[6] + v[2])) + ((v[5] + v[1]) + (v[7] + v[3])));
    }
    return sum;
}

static void gemm(float *C, const float *A, size_t lda, const float *B, int M, int K, int N) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = C[i * N + j];
            for (int kk = 0; kk < K; kk++) s = fmaf(B[kk * N + j], A[i * lda + kk], s);
            C[i * N + j] = s;
        }
}

static inline void scale_row(float *x, int n, float s) { for (int i = 0; i < n; i++) x[i] *= s; }
static inline void f16_to_f32_row(const uint16_t *x, float *y, int n) { for (int i = 0; i < n; i++) y[i] = h2f(x[i]); }

// ggml's vec_dot_f16 lane order: 32 accumulators (4 vectors x 8 lanes), combined as the AVX2 code does.
static inline float dot_f16_ggml(const uint16_t *x, const uint16_t *y, int n) {
    float s[4][8] = {{0}};
    const int np = n & ~31;
    for (int i = 0; i < np; i += 32)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 8; l++) s[j][l] = fmaf(h2f(x[i + 8 * j + l]), h2f(y[i + 8 * j + l]), s[j][l]);
    float t[8], t0[4];
    for (int l = 0; l < 8; l++) t[l] = (s[0][l] + s[2][l]) + (s[1][l] + s[3][l]);
    for (int l = 0; l < 4; l++) t0[l] = t[l] + t[l + 4];
    double r = (t0[0] + t0[1]) + (t0[2] + t0[3]);
    for (int i = np; i < n; i++) r += (double)(h2f(x[i]) * h2f(y[i]));
    return (float)r;
}
static inline void scale_f16(uint16_t *acc, int n, float s) { for (int i = 0; i < n; i++) acc[i] = f2h(h2f(acc[i]) * s); }
static inline void mad_f16(uint16_t *acc, const uint16_t *x, int n, float s) { for (int i = 0; i < n; i++) acc[i] = f2h(fmaf(h2f(x[i]), s, h2f(acc[i]))); }
static inline void f32_to_f16_row(const float *x, uint16_t *y, int n) { for (int i = 0; i < n; i++) y[i] = f2h(x[i]); }

#endif

void lai_attention_tiled_f16(const float *q, size_t q_stride, const long *pos, int rows,
                             const void *k, const void *v, size_t kv_stride, int window, int hd,
                             float scale, float softcap, float *out, size_t out_stride, float *scratch) {
    if (rows <= 0) return;
    if (softcap != 0.0f) scale /= softcap;
    float *KQ = scratch, *VKQ = KQ + TQ * TKV, *V32 = VKQ + (size_t)TQ * hd, *K32 = V32 + (size_t)TKV * hd;
    float S[TQ], M[TQ];
    long lo[TQ];
    long first = pos[0], last = pos[0];
    for (int r = 0; r < rows; r++) {
        S[r] = 0.0f; M[r] = -INFINITY;
        lo[r] = window > 0 && pos[r] - window + 1 > 0 ? pos[r] - window + 1 : 0;
        if (lo[r] < first) first = lo[r];
        if (pos[r] > last) last = pos[r];
    }
    memset(VKQ, 0, sizeof(float) * (size_t)rows * hd);
    // KV tiles start at cell 0 as ggml's do (a sequence's position p is its cell p); tiles every row masks are skipped.
    for (long ic = first / TKV * TKV; ic <= last; ic += TKV) {
        const int kv_tile = last + 1 - ic < TKV ? (int)(last + 1 - ic) : TKV;
        int any = 0;
        for (int r = 0; r < rows && !any; r++) any = lo[r] < ic + TKV && pos[r] >= ic;
        if (!any) continue;
        // K tile transposed (K32[dk][kv]), zero past kv_tile; V tile (V32[kv][dv]), zero past kv_tile.
        for (int tk = 0; tk < kv_tile; tk++) {
            const uint16_t *kr = (const uint16_t *)((const char *)k + (size_t)(ic + tk) * kv_stride);
            for (int d = 0; d < hd; d++) K32[d * TKV + tk] = h2f(kr[d]);
            f16_to_f32_row((const uint16_t *)((const char *)v + (size_t)(ic + tk) * kv_stride), V32 + (size_t)tk * hd, hd);
        }
        for (int tk = kv_tile; tk < TKV; tk++) {
            for (int d = 0; d < hd; d++) K32[d * TKV + tk] = 0.0f;
            memset(V32 + (size_t)tk * hd, 0, sizeof(float) * hd);
        }
        memset(KQ, 0, sizeof(float) * (size_t)rows * TKV);
        gemm(KQ, q, q_stride, K32, rows, hd, TKV);
        for (int r = 0; r < rows; r++) {
            float *row = KQ + r * TKV;
            scale_row(row, TKV, scale);
            if (softcap != 0.0f) {
                for (int tk = 0; tk < TKV; tk++) row[tk] = tanhf(row[tk]);
                scale_row(row, TKV, softcap);
            }
            // padding and the causal / sliding-window mask (ggml adds a 0 / -inf mask: the same values)
            for (int tk = 0; tk < TKV; tk++) {
                const long j = ic + tk;
                if (tk >= kv_tile || j > pos[r] || j < lo[r]) row[tk] = -INFINITY;
            }
            float tile_max = -INFINITY;
            for (int tk = 0; tk < TKV; tk++) tile_max = row[tk] > tile_max ? row[tk] : tile_max;
            if (tile_max == -INFINITY) { memset(row, 0, sizeof(float) * TKV); continue; }
            const float Mold = M[r], Mnew = fmaxf(Mold, tile_max);
            if (Mnew > Mold) {
                const float ms = expf(Mold - Mnew);
                scale_row(VKQ + (size_t)r * hd, hd, ms);
                S[r] *= ms;
            }
            M[r] = Mnew;
            S[r] = (float)((double)S[r] + soft_max_row(row, TKV, Mnew));
        }
        gemm(VKQ, KQ, TKV, V32, rows, TKV, hd);
    }
    for (int r = 0; r < rows; r++) {
        const float inv = S[r] == 0.0f ? 0.0f : 1.0f / S[r];
        float *o = out + (size_t)r * out_stride;
        memcpy(o, VKQ + (size_t)r * hd, sizeof(float) * hd);
        scale_row(o, hd, inv);
    }
}

// The one-query f16 loop over cells j0..<j1 (ggml_compute_forward_flash_attn_ext_f16_one_chunk) for G query heads
// that share one KV head (q: G rows of hd floats): each head leaves its f16 accumulator in scratch + (2g + 1) hd and
// its running max and sum in M[g], S[g]. Cell by cell, the G dot products come first, then the G softmax steps and
// value updates: each head's operations and their order are exactly the one-head loop's (so are its results, bit
// for bit), but a cell now offers G independent chains (dot → exp → f16 update), where one head alone leaves the
// CPU waiting on that chain; each K/V cell is also read once for all G heads.
static void attention_f16_cells(const float *q, int G, const void *k, const void *v, size_t kv_stride, int j0, int j1,
                                int hd, float scale, float softcap, uint16_t *scratch, float *M, float *S) {
    // ggml: with a softcap, s = cap * tanh(s * scale / cap)
    if (softcap != 0.0f) scale /= softcap;
    for (int g = 0; g < G; g++) {
        f32_to_f16_row(q + (size_t)g * hd, scratch + (size_t)2 * g * hd, hd);
        memset(scratch + (size_t)(2 * g + 1) * hd, 0, (size_t)hd * 2);
        S[g] = 0.0f; M[g] = -INFINITY;
    }
    float s[LAI_FA_MAX_HEADS];
    for (int j = j0; j < j1; j++) {
        const uint16_t *kj = (const uint16_t *)((const char *)k + (size_t)j * kv_stride);
        const uint16_t *vj = (const uint16_t *)((const char *)v + (size_t)j * kv_stride);
        for (int g = 0; g < G; g++) {
            s[g] = dot_f16_ggml(kj, scratch + (size_t)2 * g * hd, hd) * scale;
            if (softcap != 0.0f) s[g] = softcap * tanhf(s[g]);
        }
        for (int g = 0; g < G; g++) {
            uint16_t *acc = scratch + (size_t)(2 * g + 1) * hd;
            const float Mold = M[g];
            float ms = 1.0f, vs = 1.0f;
            if (s[g] > M[g]) {
                M[g] = s[g];
                ms = expf(Mold - M[g]);
                scale_f16(acc, hd, ms);
            } else {
                vs = expf(s[g] - M[g]);
            }
            mad_f16(acc, vj, hd, vs);
            S[g] = fmaf(S[g], ms, vs);  // GCC contracts ggml's S*ms + vs (clang too)
        }
    }
}

void lai_attention_f16_heads(const float *q, int heads, const void *k, const void *v, size_t kv_stride, int n, int hd,
                             float scale, float softcap, float *out, void *scratch) {
    float M[LAI_FA_MAX_HEADS], S[LAI_FA_MAX_HEADS];
    attention_f16_cells(q, heads, k, v, kv_stride, 0, n, hd, scale, softcap, scratch, M, S);
    for (int g = 0; g < heads; g++) {
        const uint16_t *acc = (const uint16_t *)scratch + (size_t)(2 * g + 1) * hd;
        const float inv = S[g] == 0.0f ? 0.0f : 1.0f / S[g];
        for (int i = 0; i < hd; i++) out[(size_t)g * hd + i] = h2f(acc[i]) * inv;
    }
}

void lai_attention_f16(const float *q, const void *k, const void *v, size_t kv_stride, int n, int hd,
                       float scale, float softcap, float *out, void *scratch) {
    lai_attention_f16_heads(q, 1, k, v, kv_stride, n, hd, scale, softcap, out, scratch);
}

void lai_attention_f16_partial_heads(const float *q, int heads, const void *k, const void *v, size_t kv_stride, int j0, int j1,
                                     int hd, float scale, float softcap, float *partials, size_t partial_stride, void *scratch) {
    float M[LAI_FA_MAX_HEADS], S[LAI_FA_MAX_HEADS];
    attention_f16_cells(q, heads, k, v, kv_stride, j0, j1, hd, scale, softcap, scratch, M, S);
    for (int g = 0; g < heads; g++) {
        float *partial = partials + (size_t)g * partial_stride;
        partial[0] = M[g]; partial[1] = S[g];
        f16_to_f32_row((const uint16_t *)scratch + (size_t)(2 * g + 1) * hd, partial + 2, hd);
    }
}

void lai_attention_f16_partial(const float *q, const void *k, const void *v, size_t kv_stride, int j0, int j1, int hd,
                               float scale, float softcap, float *partial, void *scratch) {
    lai_attention_f16_partial_heads(q, 1, k, v, kv_stride, j0, j1, hd, scale, softcap, partial, 0, scratch);
}

void lai_attention_reduce_partials(const float *partials, int chunks, int hd, float *out) {
    float Mf = -INFINITY, Sf = 0.0f;
    for (int d = 0; d < hd; d++) out[d] = 0.0f;
    for (int c = 0; c < chunks; c++) {
        const float *p = partials + (size_t)c * (2 + hd);
        const float Mc = p[0], Sc = p[1];
        if (Sc == 0.0f) continue;
        const float Mn = fmaxf(Mf, Mc);
        const float so = expf(Mf - Mn), sn = expf(Mc - Mn);
        // GCC contracts ggml's `a*so + b*sn` into fma(a, so, b*sn) (checked in libggml-cpu.so)
        for (int d = 0; d < hd; d++) out[d] = fmaf(out[d], so, p[2 + d] * sn);
        Sf = fmaf(Sf, so, Sc * sn);
        Mf = Mn;
    }
    if (Sf != 0.0f) scale_row(out, hd, 1.0f / Sf);
}
