// kernels.c: AVX2/FMA/F16C block kernels for LAICore's matrix products (see lai_kernels.h).
//
// Arithmetic follows ggml's AVX2 paths (ggml-cpu/arch/x86/quants.c) so results match llama.cpp's
// within float reassociation: activations quantized with round-to-nearest-even, int8 pair products
// through maddubs/madd, per-block scales applied with FMA into 8-lane accumulators.
#include "lai_kernels.h"
#include <math.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include "simd_common.h"



typedef struct { uint16_t d; uint8_t qs[16]; } block_q4_0;
typedef struct { uint16_t d, m; uint8_t qs[16]; } block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } block_q5_0;
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } block_q5_1;
typedef struct { uint16_t d; int8_t qs[32]; } block_q8_0;
typedef struct { uint16_t d, s; int8_t qs[32]; } block_q8_1;
_Static_assert(sizeof(block_q4_0) == 18, "q4_0 block");
_Static_assert(sizeof(block_q4_1) == 20, "q4_1 block");
_Static_assert(sizeof(block_q5_0) == 22, "q5_0 block");
_Static_assert(sizeof(block_q5_1) == 24, "q5_1 block");
_Static_assert(sizeof(block_q8_0) == 34, "q8_0 block");
_Static_assert(sizeof(block_q8_1) == 36, "q8_1 block");


ALWAYS_INLINE int hsum_i8x32(__m256i a) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    __m128i h = _mm_unpackhi_epi64(s, s);
    s = _mm_add_epi32(s, h);
    h = _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1));
    return _mm_cvtsi128_si32(_mm_add_epi32(s, h));
}

// 32 nibbles: low nibbles (elements 0..15) in the low lane, high nibbles (16..31) in the high lane.
ALWAYS_INLINE __m256i nibbles32(const uint8_t *q) {
    __m128i t = _mm_loadu_si128((const __m128i *)q);
    __m256i b = _mm256_insertf128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
    return _mm256_and_si256(b, _mm256_set1_epi8(0x0F));
}
// 0xFF in byte j where bit j of the 32-bit mask is set.
ALWAYS_INLINE __m256i bits32(const uint8_t *x) {
    uint32_t x32; memcpy(&x32, x, 4);
    const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)x32), shuf);
    b = _mm256_or_si256(b, _mm256_set1_epi64x(0x7fbfdfeff7fbfdfe));
    return _mm256_cmpeq_epi8(b, _mm256_set1_epi64x(-1));
}
// Sum of products of unsigned bytes x with signed bytes y, as 8 floats.
// With AVX512-VNNI (or AVX-VNNI) one vpdpbusd does both steps; the integer sums are identical.
ALWAYS_INLINE __m256 dot_us8(__m256i x, __m256i y) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
    return _mm256_cvtepi32_ps(_mm256_dpbusd_epi32(_mm256_setzero_si256(), x, y));
#elif defined(__AVXVNNI__)
    return _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), x, y));
#else
    __m256i p = _mm256_maddubs_epi16(x, y);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
#endif
}
// Signed × signed through the sign trick (|x| and y with x's sign).
ALWAYS_INLINE __m256 dot_ss8(__m256i x, __m256i y) {
    return dot_us8(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
}

// ---- activation quantizers -------------------------------------------------------------------------

ALWAYS_INLINE void quant_block(const float *x, int8_t *qs, float *d_out, int *sum_out) {
    __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_andnot_ps(sign, v0);
    m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v1));
    m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v2));
    m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v3));
    __m128 m4 = _mm_max_ps(_mm256_extractf128_ps(m, 1), _mm256_castps256_ps128(m));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float maxs = _mm_cvtss_f32(m4);
    *d_out = maxs / 127.f;
    const float id = maxs != 0.0f ? 127.f / maxs : 0.0f;
    const __m256 mul = _mm256_set1_ps(id);
    __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, mul), _MM_ROUND_NEAREST));
    __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, mul), _MM_ROUND_NEAREST));
    __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, mul), _MM_ROUND_NEAREST));
    __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, mul), _MM_ROUND_NEAREST));
    if (sum_out) *sum_out = hsum_i8x32(_mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3)));
    i0 = _mm256_packs_epi32(i0, i1);
    i2 = _mm256_packs_epi32(i2, i3);
    i0 = _mm256_packs_epi16(i0, i2);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    i0 = _mm256_permutevar8x32_epi32(i0, perm);
    _mm256_storeu_si256((__m256i *)qs, i0);
}

void lai_quantize_row_q8_0(const float *x, void *vy, int n) {
    block_q8_0 *y = vy;
    for (int i = 0; i < n / 32; i++) {
        float d;
        quant_block(x + 32 * i, y[i].qs, &d, NULL);
        y[i].d = f2h(d);
    }
}

// q8_0 plus each block's integer sum (the packed q4_0/q5_0/q8_0 kernels take their offsets out with it).
typedef struct { uint16_t d; int16_t s; int8_t qs[32]; } block_q8_0s;
_Static_assert(sizeof(block_q8_0s) == 36, "q8_0s block");
void lai_quantize_row_q8_0s(const float *x, void *vy, int n) {
    block_q8_0s *y = vy;
    for (int i = 0; i < n / 32; i++) {
        float d; int sum;
        quant_block(x + 32 * i, y[i].qs, &d, &sum);
        y[i].d = f2h(d);
        y[i].s = (int16_t)sum;
    }
}

// q8_0 split for the AVX2 q8_0x8 kernel: each quant a = 16·hi + lo with hi = (a + 8) >> 4 ∈ [-8, 8] and
// lo ∈ [-8, 7], so that maddubs of an unsigned weight byte (0..255) by either part never saturates, even
// summed over 8 steps (8 · 2 · 255 · 8 = 32640); the scale as f32 (= the f16 q8_0 scale) and 128 · Σa.
typedef struct { float d; int32_t s128; int8_t lo[32]; int8_t hi[32]; } block_q8_0p;
_Static_assert(sizeof(block_q8_0p) == 72, "q8_0p block");
void lai_quantize_row_q8_0p(const float *x, void *vy, int n) {
    block_q8_0p *y = vy;
    for (int i = 0; i < n / 32; i++) {
        float d; int sum; int8_t qs[32];
        quant_block(x + 32 * i, qs, &d, &sum);
        y[i].d = h2f(f2h(d));
        y[i].s128 = 128 * sum;
        for (int k = 0; k < 32; k++) {
            const int h = (qs[k] + 8) >> 4;   // arithmetic shift: floor((a + 8) / 16)
            y[i].hi[k] = (int8_t)h;
            y[i].lo[k] = (int8_t)(qs[k] - 16 * h);
        }
    }
}

void lai_quantize_row_q8_1(const float *x, void *vy, int n) {
    block_q8_1 *y = vy;
    for (int i = 0; i < n / 32; i++) {
        float d; int sum;
        quant_block(x + 32 * i, y[i].qs, &d, &sum);
        y[i].d = f2h(d);
        y[i].s = f2h(d * (float)sum);
    }
}

// ---- tiled products ----------------------------------------------------------------------------------
// A tile of RT weight rows × CT activation columns keeps RT*CT 8-lane accumulators in registers; each
// weight block is unpacked once per tile and each activation block loaded once per tile.

#define GEMM_TILE(NAME, WB, AB, UNPACK, PAIR, EXTRA_DECL, EXTRA_ACC, EXTRA_OUT)                              \
ALWAYS_INLINE void NAME##_tile(int nb, const char *w, size_t ws, const char *a, size_t as, float *out,      \
                               size_t os, const int RT, const int CT) {                                  \
    __m256 acc[4][4];                                                                                        \
    EXTRA_DECL                                                                                               \
    for (int r = 0; r < RT; r++) for (int c = 0; c < CT; c++) acc[r][c] = _mm256_setzero_ps();              \
    for (int b = 0; b < nb; b++) {                                                                           \
        __m256i qa[4]; float da[4]; float sa[4]; (void)sa;                                                    \
        for (int c = 0; c < CT; c++) {                                                                       \
            const AB *y = (const AB *)(a + c * as) + b;                                                      \
            qa[c] = _mm256_loadu_si256((const __m256i *)y->qs);                                              \
            da[c] = h2f(y->d);                                                                               \
            EXTRA_ACC                                                                                        \
        }                                                                                                    \
        for (int r = 0; r < RT; r++) {                                                                       \
            const WB *x = (const WB *)(w + r * ws) + b;                                                      \
            __m256i qw; float dw; float mw; (void)mw;                                                         \
            UNPACK                                                                                           \
            for (int c = 0; c < CT; c++) {                                                                   \
                const __m256 d = _mm256_set1_ps(dw * da[c]);                                                 \
                acc[r][c] = _mm256_fmadd_ps(d, PAIR(qw, qa[c]), acc[r][c]);                                  \
                EXTRA_OUT                                                                                    \
            }                                                                                                \
        }                                                                                                    \
    }                                                                                                        \
    for (int r = 0; r < RT; r++) for (int c = 0; c < CT; c++) out[c * os + r] = hsum_f8(acc[r][c]) + EXTRA_SUM(r, c); \
}

#define GEMM_DRIVER(NAME)                                                                                     \
void lai_gemm_##NAME(int nb, const void *vw, size_t ws, int nr, const void *va, size_t as, int nc, float *out, size_t os) { \
    const char *w = vw, *a = va;                                                                             \
    if (nc == 1) {                                                                                           \
        /* One row at a time: the weights stream through memory in order, which the hardware        */     \
        /* prefetchers follow best (software prefetch two rows ahead measured 0-18% slower, 2 threads */    \
        /* over 300 MB: f16, q4_1, q8_0 rows); generation is bound by that stream.                    */    \
        for (int r = 0; r < nr; r++) NAME##_tile(nb, w + r * ws, ws, a, as, out + r, os, 1, 1);             \
        return;                                                                                              \
    }                                                                                                        \
    int c = 0;                                                                                               \
    for (; c + 4 <= nc; c += 4) {                                                                            \
        int r = 0;                                                                                           \
        for (; r + 3 <= nr; r += 3) NAME##_tile(nb, w + r * ws, ws, a + c * as, as, out + c * os + r, os, 3, 4); \
        for (; r < nr; r++) NAME##_tile(nb, w + r * ws, ws, a + c * as, as, out + c * os + r, os, 1, 4);    \
    }                                                                                                        \
    for (; c < nc; c++) {                                                                                    \
        int r = 0;                                                                                           \
        for (; r + 4 <= nr; r += 4) NAME##_tile(nb, w + r * ws, ws, a + c * as, as, out + c * os + r, os, 4, 1); \
        for (; r < nr; r++) NAME##_tile(nb, w + r * ws, ws, a + c * as, as, out + c * os + r, os, 1, 1);    \
    }                                                                                                        \
}

#define NO_DECL
#define NO_ACC
#define NO_OUT
#define EXTRA_SUM(r, c) 0.0f

// q4_0: nibbles - 8, signed × signed.
GEMM_TILE(q4_0_q8_0, block_q4_0, block_q8_0,
          { qw = _mm256_sub_epi8(nibbles32(x->qs), _mm256_set1_epi8(8)); dw = h2f(x->d); },
          dot_ss8, NO_DECL, NO_ACC, NO_OUT)
GEMM_DRIVER(q4_0_q8_0)

// q5_0: nibble | (high bit ? 0 : 0xF0) gives the signed value (n + 16 h) - 16.
GEMM_TILE(q5_0_q8_0, block_q5_0, block_q8_0,
          { __m256i hi = _mm256_andnot_si256(bits32(x->qh), _mm256_set1_epi8((char)0xF0));
            qw = _mm256_or_si256(nibbles32(x->qs), hi); dw = h2f(x->d); },
          dot_ss8, NO_DECL, NO_ACC, NO_OUT)
GEMM_DRIVER(q5_0_q8_0)

// q8_0 weights: signed × signed.
GEMM_TILE(q8_0_q8_0, block_q8_0, block_q8_0,
          { qw = _mm256_loadu_si256((const __m256i *)x->qs); dw = h2f(x->d); },
          dot_ss8, NO_DECL, NO_ACC, NO_OUT)
GEMM_DRIVER(q8_0_q8_0)

#undef EXTRA_SUM
#define EXTRA_SUM(r, c) summs[r][c]
// q4_1 and q5_1 against one column: ggml's vec_dot_q4_1_q8_1 / q5_1 (unsigned weights × signed activations,
// acc += (d·da) · Σ pairs per lane, plus Σ m·s by FMA). The tiles of several columns below keep exactly
// this arithmetic per output.
GEMM_TILE(q4_1_q8_1, block_q4_1, block_q8_1,
          { qw = nibbles32(x->qs); dw = h2f(x->d); mw = h2f(x->m); },
          dot_us8,
          float summs[4][4] = {{0}};,
          sa[c] = h2f(y->s);,
          summs[r][c] += mw * sa[c];)

// q5_1: nibble | (high bit ? 0x10 : 0), unsigned.
GEMM_TILE(q5_1_q8_1, block_q5_1, block_q8_1,
          { __m256i hi = _mm256_and_si256(bits32(x->qh), _mm256_set1_epi8(0x10));
            qw = _mm256_or_si256(nibbles32(x->qs), hi); dw = h2f(x->d); mw = h2f(x->m); },
          dot_us8,
          float summs[4][4] = {{0}};,
          sa[c] = h2f(y->s);,
          summs[r][c] += mw * sa[c];)

// Prompt processing: one row × 4 columns, the 4 accumulators in registers. The columns' scales (d, s) are
// converted once per column group into ds[b] = {d0..d3, s0..s3}; per block the four products d·da come
// from one 4-wide multiply and the four m·s sums from one 4-wide FMA: the same IEEE operations ggml does
// one at a time, so every output is bit-identical to the one-column kernel. (Two or three rows per tile
// measured slower here: the per-pair maddubs/madd/cvt/fma are the limit, and more rows only spill.)
#define X1_TILE4(NAME, WB, UNPACK)                                                                         \
ALWAYS_INLINE void NAME##_tile4(int nb, const WB *x, const char *a, size_t as, const float *ds, float *out, size_t os) { \
    __m256 acc[4];                                                                                           \
    __m128 summ = _mm_setzero_ps();                                                                          \
    const __m256i ones = _mm256_set1_epi16(1);                                                               \
    for (int c = 0; c < 4; c++) acc[c] = _mm256_setzero_ps();                                                \
    for (int b = 0; b < nb; b++, x++, ds += 8) {                                                             \
        __m256i qw;                                                                                          \
        UNPACK                                                                                               \
        float dd[4];                                                                                         \
        _mm_storeu_ps(dd, _mm_mul_ps(_mm_set1_ps(h2f(x->d)), _mm_loadu_ps(ds)));                             \
        summ = _mm_fmadd_ps(_mm_set1_ps(h2f(x->m)), _mm_loadu_ps(ds + 4), summ);                             \
        for (int c = 0; c < 4; c++) {                                                                        \
            const block_q8_1 *y = (const block_q8_1 *)(a + c * as) + b;                                      \
            const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(qw, _mm256_loadu_si256((const __m256i *)y->qs)), ones); \
            acc[c] = _mm256_fmadd_ps(_mm256_broadcast_ss(dd + c), _mm256_cvtepi32_ps(p), acc[c]);            \
        }                                                                                                    \
    }                                                                                                        \
    float sm[4];                                                                                             \
    _mm_storeu_ps(sm, summ);                                                                                 \
    for (int c = 0; c < 4; c++) out[c * os] = hsum_f8(acc[c]) + sm[c];                                       \
}                                                                                                            \
void lai_gemm_##NAME(int nb, const void *vw, size_t ws, int nr, const void *va, size_t as, int nc, float *out, size_t os) { \
    const char *w = vw, *a = va;                                                                             \
    enum { MAXB = 512 };                                                                                     \
    int c = 0;                                                                                               \
    if (nc >= 4 && nb <= MAXB) {                                                                             \
        float ds[8 * MAXB];                                                                                  \
        for (; c + 4 <= nc; c += 4) {                                                                        \
            for (int b = 0; b < nb; b++)                                                                     \
                for (int k = 0; k < 4; k++) {                                                                \
                    const block_q8_1 *y = (const block_q8_1 *)(a + (c + k) * as) + b;                       \
                    ds[8 * b + k] = h2f(y->d); ds[8 * b + 4 + k] = h2f(y->s);                               \
                }                                                                                            \
            for (int r = 0; r < nr; r++) NAME##_tile4(nb, (const WB *)(w + r * ws), a + c * as, as, ds, out + c * os + r, os); \
        }                                                                                                    \
    }                                                                                                        \
    /* the rest (generation's one column, the 1-3 left, all of them past MAXB blocks): the row-major driver */ \
    if (c < nc) lai_gemm_##NAME##_rows(nb, vw, ws, nr, a + c * as, as, nc - c, out + c * os, os);           \
}

#define q4_1_q8_1_rows_tile q4_1_q8_1_tile
GEMM_DRIVER(q4_1_q8_1_rows)
#define q5_1_q8_1_rows_tile q5_1_q8_1_tile
GEMM_DRIVER(q5_1_q8_1_rows)
X1_TILE4(q4_1_q8_1, block_q4_1, { qw = nibbles32(x->qs); })
X1_TILE4(q5_1_q8_1, block_q5_1, { qw = _mm256_or_si256(nibbles32(x->qs), _mm256_and_si256(bits32(x->qh), _mm256_set1_epi8(0x10))); })


// ---- K-quants ---------------------------------------------------------------------------------------

typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } block_q4_K;
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } block_q6_K;
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } block_q8_K;
_Static_assert(sizeof(block_q4_K) == 144, "q4_K block");
_Static_assert(sizeof(block_q6_K) == 210, "q6_K block");
_Static_assert(sizeof(block_q8_K) == 292, "q8_K block");

ALWAYS_INLINE int nearest_int(float f) {
    float v = f + 12582912.f;
    int i; memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

void lai_quantize_row_q8_K(const float *x, void *vy, int n) {
    block_q8_K *y = vy;
    for (int i = 0; i < n / 256; i++, x += 256) {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) { float ax = fabsf(x[j]); if (ax > amax) { amax = ax; max = x[j]; } }
        if (amax == 0) { memset(&y[i], 0, sizeof(block_q8_K)); continue; }
        const float iscale = -127.f / max;
        for (int j = 0; j < 256; j++) { int v = nearest_int(iscale * x[j]); y[i].qs[j] = (int8_t)(v < 127 ? v : 127); }
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int k = 0; k < 16; k++) sum += y[i].qs[16 * j + k];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

static float dot_q4_K_q8_K(int nb, const block_q4_K *x, const block_q8_K *y) {
    const uint32_t kmask1 = 0x3f3f3f3f, kmask2 = 0x0f0f0f0f, kmask3 = 0x03030303;
    uint32_t utmp[4];
    const __m256i m4 = _mm256_set1_epi8(0xF);
    __m256 acc = _mm256_setzero_ps();
    __m128 acc_m = _mm_setzero_ps();
    for (int i = 0; i < nb; ++i) {
        const float d = y[i].d * h2f(x[i].d);
        const float dmin = -y[i].d * h2f(x[i].dmin);
        memcpy(utmp, x[i].scales, 12);
        utmp[3] = ((utmp[2] >> 4) & kmask2) | (((utmp[1] >> 6) & kmask3) << 4);
        const uint32_t uaux = utmp[1] & kmask1;
        utmp[1] = (utmp[2] & kmask2) | (((utmp[0] >> 6) & kmask3) << 4);
        utmp[2] = uaux;
        utmp[0] &= kmask1;
        const uint8_t *q4 = x[i].qs;
        const int8_t *q8 = y[i].qs;
        const __m256i mins_and_scales = _mm256_cvtepu8_epi16(_mm_set_epi32((int)utmp[3], (int)utmp[2], (int)utmp[1], (int)utmp[0]));
        const __m256i q8sums = _mm256_loadu_si256((const __m256i *)y[i].bsums);
        const __m128i q8s = _mm_hadd_epi16(_mm256_extracti128_si256(q8sums, 0), _mm256_extracti128_si256(q8sums, 1));
        const __m128i prod = _mm_madd_epi16(_mm256_extracti128_si256(mins_and_scales, 1), q8s);
        acc_m = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(prod), acc_m);
        // the 8 scales as int16 (stored, not read through a pointer cast: that would break strict aliasing)
        int16_t sc16[8];
        _mm_storeu_si128((__m128i *)sc16, _mm256_extracti128_si256(mins_and_scales, 0));
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 4; ++j) {
            const __m256i scale_l = _mm256_set1_epi16(sc16[2 * j]);
            const __m256i scale_h = _mm256_set1_epi16(sc16[2 * j + 1]);
            const __m256i q4bits = _mm256_loadu_si256((const __m256i *)q4); q4 += 32;
            const __m256i q4l = _mm256_and_si256(q4bits, m4);
            const __m256i q4h = _mm256_and_si256(_mm256_srli_epi16(q4bits, 4), m4);
            const __m256i q8l = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            __m256i p16l = _mm256_madd_epi16(scale_l, _mm256_maddubs_epi16(q4l, q8l));
            const __m256i q8h = _mm256_loadu_si256((const __m256i *)q8); q8 += 32;
            __m256i p16h = _mm256_madd_epi16(scale_h, _mm256_maddubs_epi16(q4h, q8h));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p16l, p16h));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    acc_m = _mm_add_ps(acc_m, _mm_movehl_ps(acc_m, acc_m));
    acc_m = _mm_add_ss(acc_m, _mm_movehdup_ps(acc_m));
    return hsum_f8(acc) + _mm_cvtss_f32(acc_m);
}

// ggml's AVX2 ggml_vec_dot_q6_K_q8_K, lane for lane: 6-bit values stay unsigned (0..63) in the products and
// 32·Σ scale·bsum is subtracted per lane at the end, so every float accumulation matches ggml's bit for bit.
static const uint8_t k_shuffle_q6[128] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3,
    4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,  6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7,
    8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 10,10,10,10,10,10,10,10,11,11,11,11,11,11,11,11,
   12,12,12,12,12,12,12,12,13,13,13,13,13,13,13,13, 14,14,14,14,14,14,14,14,15,15,15,15,15,15,15,15,
};
// Half a q6_K block (128 weights: 64 bytes of low nibbles, 32 of high bit pairs) as four vectors of 6-bit
// values 0..63, ggml's order: weights 0-31, 32-63, 64-95, 96-127 of the half.
ALWAYS_INLINE void q6_K_unpack(const uint8_t *ql, const uint8_t *qh, __m256i *q0, __m256i *q1, __m256i *q2, __m256i *q3) {
    const __m256i m3 = _mm256_set1_epi8(3), m15 = _mm256_set1_epi8(15);
    const __m256i q4bits1 = _mm256_loadu_si256((const __m256i *)ql);
    const __m256i q4bits2 = _mm256_loadu_si256((const __m256i *)(ql + 32));
    const __m256i q4bitsH = _mm256_loadu_si256((const __m256i *)qh);
    const __m256i q4h_0 = _mm256_slli_epi16(_mm256_and_si256(q4bitsH, m3), 4);
    const __m256i q4h_1 = _mm256_slli_epi16(_mm256_and_si256(q4bitsH, _mm256_set1_epi8(12)), 2);
    const __m256i q4h_2 = _mm256_and_si256(q4bitsH, _mm256_set1_epi8(48));
    const __m256i q4h_3 = _mm256_srli_epi16(_mm256_and_si256(q4bitsH, _mm256_set1_epi8(-64)), 2);
    *q0 = _mm256_or_si256(_mm256_and_si256(q4bits1, m15), q4h_0);
    *q1 = _mm256_or_si256(_mm256_and_si256(q4bits2, m15), q4h_1);
    *q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q4bits1, 4), m15), q4h_2);
    *q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q4bits2, 4), m15), q4h_3);
}

// CT activation columns at once: the weights of a block are unpacked once and used for every column; each
// column's arithmetic is exactly ggml's vec_dot (above comment), so results do not depend on the tiling.
ALWAYS_INLINE void q6_K_tile(int nb, const block_q6_K *x, const char *a, size_t as, float *out, size_t os, const int CT) {
    __m256 acc[4];
    for (int c = 0; c < CT; c++) acc[c] = _mm256_setzero_ps();
    for (int i = 0; i < nb; ++i) {
        for (int l = 0; l < (int)sizeof(block_q6_K); l += 64) _mm_prefetch((const char *)(x + i + 8) + l, _MM_HINT_T0);
        const uint8_t *q4 = x[i].ql, *qh = x[i].qh;
        const __m128i scales = _mm_loadu_si128((const __m128i *)x[i].scales);
        const __m256i scales_16 = _mm256_cvtepi8_epi16(scales);
        __m256i sumi[4];
        for (int c = 0; c < CT; c++) sumi[c] = _mm256_setzero_si256();
        int is = 0;
        for (int j = 0; j < 2; ++j) {
            __m256i q4_0, q4_1, q4_2, q4_3;
            q6_K_unpack(q4 + 64 * j, qh + 32 * j, &q4_0, &q4_1, &q4_2, &q4_3);
            const __m256i sc_0 = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, _mm_loadu_si128((const __m128i *)k_shuffle_q6 + is + 0)));
            const __m256i sc_1 = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, _mm_loadu_si128((const __m128i *)k_shuffle_q6 + is + 1)));
            const __m256i sc_2 = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, _mm_loadu_si128((const __m128i *)k_shuffle_q6 + is + 2)));
            const __m256i sc_3 = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, _mm_loadu_si128((const __m128i *)k_shuffle_q6 + is + 3)));
            is += 4;
            for (int c = 0; c < CT; c++) {
                const int8_t *q8 = ((const block_q8_K *)(a + c * as) + i)->qs + 128 * j;
                const __m256i p16_0 = _mm256_madd_epi16(sc_0, _mm256_maddubs_epi16(q4_0, _mm256_loadu_si256((const __m256i *)q8)));
                const __m256i p16_1 = _mm256_madd_epi16(sc_1, _mm256_maddubs_epi16(q4_1, _mm256_loadu_si256((const __m256i *)(q8 + 32))));
                const __m256i p16_2 = _mm256_madd_epi16(sc_2, _mm256_maddubs_epi16(q4_2, _mm256_loadu_si256((const __m256i *)(q8 + 64))));
                const __m256i p16_3 = _mm256_madd_epi16(sc_3, _mm256_maddubs_epi16(q4_3, _mm256_loadu_si256((const __m256i *)(q8 + 96))));
                sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(p16_0, p16_1));
                sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(p16_2, p16_3));
            }
        }
        const float dw = h2f(x[i].d);
        for (int c = 0; c < CT; c++) {
            const block_q8_K *y = (const block_q8_K *)(a + c * as) + i;
            const __m256i q8sclsub = _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)y->bsums), scales_16), 5);
            acc[c] = _mm256_fmadd_ps(_mm256_set1_ps(y->d * dw), _mm256_cvtepi32_ps(_mm256_sub_epi32(sumi[c], q8sclsub)), acc[c]);
        }
    }
    for (int c = 0; c < CT; c++) out[c * os] = hsum_f8(acc[c]);
}

void lai_gemm_q4_K_q8_K(int nb, const void *w, size_t ws, int nr, const void *a, size_t as, int nc, float *out, size_t os) {
    for (int c = 0; c < nc; c++)
        for (int r = 0; r < nr; r++)
            out[(size_t)c * os + r] = dot_q4_K_q8_K(nb, (const block_q4_K *)((const char *)w + r * ws), (const block_q8_K *)((const char *)a + c * as));
}

// The q6_K products' driver for a row tile TILE (1-4 columns, the column count a constant in each call):
// columns in fours; 5-8 columns (batched decoding) every column of a row before the next row, so the weights
// are read from memory once; one column streams the rows in order.
#define Q6_K_DRIVER(FN, TILE)                                                                                    \
static inline void TILE##s(int nb, const block_q6_K *x, const char *a, size_t as, float *out, size_t os, int n) { \
    switch (n) {                                                                                                 \
    case 1: TILE(nb, x, a, as, out, os, 1); break;                                                               \
    case 2: TILE(nb, x, a, as, out, os, 2); break;                                                               \
    case 3: TILE(nb, x, a, as, out, os, 3); break;                                                               \
    default: TILE(nb, x, a, as, out, os, 4); break;                                                              \
    }                                                                                                            \
}                                                                                                                \
void FN(int nb, const void *w, size_t ws, int nr, const void *a, size_t as, int nc, float *out, size_t os) {     \
    const char *ap = a;                                                                                          \
    int c = 0;                                                                                                   \
    if (nc > 4 && nc <= 8) {                                                                                     \
        for (int r = 0; r < nr; r++) {                                                                           \
            const block_q6_K *x = (const block_q6_K *)((const char *)w + r * ws);                                \
            TILE##s(nb, x, ap, as, out + r, os, 4);                                                              \
            TILE##s(nb, x, ap + 4 * as, as, out + 4 * os + r, os, nc - 4);                                       \
        }                                                                                                        \
        return;                                                                                                  \
    }                                                                                                            \
    for (; c + 4 <= nc; c += 4)                                                                                  \
        for (int r = 0; r < nr; r++) TILE(nb, (const block_q6_K *)((const char *)w + r * ws), ap + c * as, as, out + c * os + r, os, 4); \
    for (int r = 0; r < nr && c < nc; r++)                                                                       \
        TILE##s(nb, (const block_q6_K *)((const char *)w + r * ws), ap + c * as, as, out + c * os + r, os, nc - c); \
}
Q6_K_DRIVER(lai_gemm_q6_K_q8_K, q6_K_tile)

// ---- q6_K against word-interleaved activations (q8_Kw) -------------------------------------------------
// ggml's q6_K kernel (above) spends a vpmaddwd per 32 weights and column: each int32 lane i of a 32-weight
// vector holds 4 products, summed as two int16 pairs by maddubs and the pairs by madd with the scale. The
// same lane sums come out of fewer multiplies when two vectors' halves are word-interleaved first: with
// vectors u, v (weights or activations), A = (u.w[2i], v.w[2i]) and B = (u.w[2i+1], v.w[2i+1]) per 32-bit
// lane i, maddubs(A) + maddubs(B) holds u's and v's 4-product sums of lane i as two int16 values (at most
// 4·63·128 = 32256 in magnitude: no overflow), and one madd by their two scales gives lane i's int32 sum
// for both vectors. Integer sums are exact, so every lane equals ggml's and so does every float that
// follows (bit for bit; KernelTests checks against lai_gemm_q6_K_q8_K). The activations are interleaved
// once when quantized; the weights in registers, which keeps the model file's layout.
typedef struct { int8_t qs[256]; int16_t bsums[16]; float d; uint8_t pad[28]; } block_q8_Kw;
_Static_assert(sizeof(block_q8_Kw) == 320, "q8_Kw block: 32-byte multiple, so quants stay aligned");

ALWAYS_INLINE __m256i words_even(__m256i u, __m256i v) { return _mm256_blend_epi16(u, _mm256_slli_epi32(v, 16), 0xAA); }
ALWAYS_INLINE __m256i words_odd(__m256i u, __m256i v) { return _mm256_blend_epi16(_mm256_srli_epi32(u, 16), v, 0xAA); }

void lai_quantize_row_q8_Kw(const float *x, void *vy, int n) {
    block_q8_Kw *y = vy;
    for (int i = 0; i < n / 256; i++) {
        block_q8_K t;
        lai_quantize_row_q8_K(x + 256 * i, &t, 256);
        for (int h = 0; h < 4; h++) {
            const __m256i u = _mm256_loadu_si256((const __m256i *)(t.qs + 64 * h)), v = _mm256_loadu_si256((const __m256i *)(t.qs + 64 * h + 32));
            _mm256_storeu_si256((__m256i *)(y[i].qs + 64 * h), words_even(u, v));
            _mm256_storeu_si256((__m256i *)(y[i].qs + 64 * h + 32), words_odd(u, v));
        }
        memcpy(y[i].bsums, t.bsums, sizeof t.bsums);
        y[i].d = t.d;
        memset(y[i].pad, 0, sizeof y[i].pad);
    }
}

// Scale bytes for a vector pair: low 128-bit half (lanes 0-3) takes both vectors' first-16 scales, the high
// half their second-16 scales; pair p of the block is vectors 2p and 2p+1, scales 4p .. 4p+3.
static const uint8_t k_shuffle_q6w[64] = {
    0, 2, 0, 2, 0, 2, 0, 2,  1, 3, 1, 3, 1, 3, 1, 3,   4, 6, 4, 6, 4, 6, 4, 6,  5, 7, 5, 7, 5, 7, 5, 7,
    8,10, 8,10, 8,10, 8,10,  9,11, 9,11, 9,11, 9,11,  12,14,12,14,12,14,12,14, 13,15,13,15,13,15,13,15,
};
ALWAYS_INLINE void q6_K_w_tile(int nb, const block_q6_K *x, const char *a, size_t as, float *out, size_t os, const int CT) {
    __m256 acc[4];
    for (int c = 0; c < CT; c++) acc[c] = _mm256_setzero_ps();
    for (int i = 0; i < nb; ++i) {
        for (int l = 0; l < (int)sizeof(block_q6_K); l += 64) _mm_prefetch((const char *)(x + i + 8) + l, _MM_HINT_T0);
        const uint8_t *q4 = x[i].ql, *qh = x[i].qh;
        const __m128i scales = _mm_loadu_si128((const __m128i *)x[i].scales);
        __m256i sumi[4];
        for (int c = 0; c < CT; c++) sumi[c] = _mm256_setzero_si256();
        for (int j = 0; j < 2; ++j) {
            __m256i q4_0, q4_1, q4_2, q4_3;
            q6_K_unpack(q4 + 64 * j, qh + 32 * j, &q4_0, &q4_1, &q4_2, &q4_3);
            const __m256i a01 = words_even(q4_0, q4_1), b01 = words_odd(q4_0, q4_1);
            const __m256i a23 = words_even(q4_2, q4_3), b23 = words_odd(q4_2, q4_3);
            const __m256i sc01 = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, _mm_loadu_si128((const __m128i *)k_shuffle_q6w + 2 * j)));
            const __m256i sc23 = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, _mm_loadu_si128((const __m128i *)k_shuffle_q6w + 2 * j + 1)));
            for (int c = 0; c < CT; c++) {
                const int8_t *q8 = ((const block_q8_Kw *)(a + c * as) + i)->qs + 128 * j;
                const __m256i p01 = _mm256_add_epi16(_mm256_maddubs_epi16(a01, _mm256_loadu_si256((const __m256i *)q8)),
                                                     _mm256_maddubs_epi16(b01, _mm256_loadu_si256((const __m256i *)(q8 + 32))));
                const __m256i p23 = _mm256_add_epi16(_mm256_maddubs_epi16(a23, _mm256_loadu_si256((const __m256i *)(q8 + 64))),
                                                     _mm256_maddubs_epi16(b23, _mm256_loadu_si256((const __m256i *)(q8 + 96))));
                sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(_mm256_madd_epi16(sc01, p01), _mm256_madd_epi16(sc23, p23)));
            }
        }
        // ggml's 32·Σ scale·bsum per lane, the 32 folded into the scales (|32·scale| ≤ 4096: exact in int16)
        const __m256i scales_32 = _mm256_slli_epi16(_mm256_cvtepi8_epi16(scales), 5);
        const __m256 dw = _mm256_set1_ps(h2f(x[i].d));
        for (int c = 0; c < CT; c++) {
            const block_q8_Kw *y = (const block_q8_Kw *)(a + c * as) + i;
            const __m256i q8sclsub = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)y->bsums), scales_32);
            acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_broadcast_ss(&y->d), dw), _mm256_cvtepi32_ps(_mm256_sub_epi32(sumi[c], q8sclsub)), acc[c]);
        }
    }
    for (int c = 0; c < CT; c++) out[c * os] = hsum_f8(acc[c]);
}

Q6_K_DRIVER(lai_gemm_q6_K_q8_Kw, q6_K_w_tile)

// ---- IQ4 (non-linear 4-bit levels) ------------------------------------------------------------------
// As ggml's AVX2 vec_dot_iq4_nl_q8_0 / vec_dot_iq4_xs_q8_K: the 16 levels are a byte table, and one
// _mm256_shuffle_epi8 turns 32 nibbles into 32 signed levels; then the same int8 products as q4_0.

typedef struct { uint16_t d; uint8_t qs[16]; } block_iq4_nl;
typedef struct { uint16_t d; uint16_t scales_h; uint8_t scales_l[4]; uint8_t qs[128]; } block_iq4_xs;
_Static_assert(sizeof(block_iq4_nl) == 18, "iq4_nl block");
_Static_assert(sizeof(block_iq4_xs) == 136, "iq4_xs block");
static const int8_t kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

// 32 levels of one 32-group (elements 0..15 from the low nibbles, 16..31 from the high ones).
ALWAYS_INLINE __m256i iq4_levels32(const uint8_t *q) {
    const __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)kvalues_iq4nl));
    return _mm256_shuffle_epi8(table, nibbles32(q));
}

#undef EXTRA_SUM
#define EXTRA_SUM(r, c) 0.0f
GEMM_TILE(iq4_nl_q8_0, block_iq4_nl, block_q8_0,
          { qw = iq4_levels32(x->qs); dw = h2f(x->d); },
          dot_ss8, NO_DECL, NO_ACC, NO_OUT)
GEMM_DRIVER(iq4_nl_q8_0)

static float dot_iq4_xs_q8_K(int nb, const block_iq4_xs *x, const block_q8_K *y) {
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < nb; i++) {
        __m256i sumi = _mm256_setzero_si256();
        const unsigned sh = x[i].scales_h;
        for (int ib = 0; ib < 8; ib++) {
            const int ls = (((x[i].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xF) | (((sh >> 2 * ib) & 3) << 4)) - 32;
            const __m256i qw = iq4_levels32(x[i].qs + 16 * ib);
            const __m256i qa = _mm256_loadu_si256((const __m256i *)(y[i].qs + 32 * ib));
            // |w| ≤ 127, so the int16 pair sums of maddubs cannot saturate.
            const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(qw, qw), _mm256_sign_epi8(qa, qw));
            sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p16, _mm256_set1_epi16((short)ls)));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(h2f(x[i].d) * y[i].d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_f8(acc);
}

void lai_gemm_iq4_xs_q8_K(int nb, const void *w, size_t ws, int nr, const void *a, size_t as, int nc, float *out, size_t os) {
    for (int c = 0; c < nc; c++)
        for (int r = 0; r < nr; r++)
            out[(size_t)c * os + r] = dot_iq4_xs_q8_K(nb, (const block_iq4_xs *)((const char *)w + r * ws), (const block_q8_K *)((const char *)a + c * as));
}

// ---- f16 ---------------------------------------------------------------------------------------------

// llamafile's tinyBLAS order (what llama.cpp uses for f16 and bf16 weights on AVX2): one 8-lane accumulator per
// output over steps of 8, then a horizontal sum. The activations (rounded to f16 / bf16, as ggml does) come widened
// to f32 once per batch, so a step converts only the weight rows and the 3×4 tile's 12 FMAs read the activations
// straight from memory (converting both sides took twice as long: 48 → 108 GFLOP/s per core). BF16 weights widen by
// a shift.
ALWAYS_INLINE __m256 bf16x8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
ALWAYS_INLINE float bf2f(uint16_t h) { uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }
ALWAYS_INLINE void half_f32_tile(int n, const char *w, size_t ws, const char *a, size_t as, float *out, size_t os,
                                 const int RT, const int CT, const int BF16) {
    __m256 acc[4][4];
    for (int r = 0; r < RT; r++) for (int c = 0; c < CT; c++) acc[r][c] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 wv[4];
        for (int r = 0; r < RT; r++) {
            const uint16_t *p = (const uint16_t *)(w + r * ws) + i;
            wv[r] = BF16 ? bf16x8(p) : _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
        }
        for (int c = 0; c < CT; c++) {
            const __m256 av = _mm256_loadu_ps((const float *)(a + c * as) + i);
            for (int r = 0; r < RT; r++) acc[r][c] = _mm256_fmadd_ps(wv[r], av, acc[r][c]);
        }
    }
    for (int r = 0; r < RT; r++) for (int c = 0; c < CT; c++) {
        float s = hsum_f8(acc[r][c]);
        for (int j = i; j < n; j++) {
            const uint16_t h = ((const uint16_t *)(w + r * ws))[j];
            s += (BF16 ? bf2f(h) : h2f(h)) * ((const float *)(a + c * as))[j];
        }
        out[c * os + r] = s;
    }
}
ALWAYS_INLINE void f16_f32_tile(int n, const char *w, size_t ws, const char *a, size_t as, float *out, size_t os, const int RT, const int CT) {
    half_f32_tile(n, w, ws, a, as, out, os, RT, CT, 0);
}
ALWAYS_INLINE void bf16_f32_tile(int n, const char *w, size_t ws, const char *a, size_t as, float *out, size_t os, const int RT, const int CT) {
    half_f32_tile(n, w, ws, a, as, out, os, RT, CT, 1);
}
GEMM_DRIVER(f16_f32)
GEMM_DRIVER(bf16_f32)

// ---- vectors -----------------------------------------------------------------------------------------

float lai_dot_f32(const float *a, const float *b, int n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum_f8(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

float lai_dot_f16_f32(const void *va, const float *b, int n) {
    const uint16_t *a = va;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i + 8))), _mm256_loadu_ps(b + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))), _mm256_loadu_ps(b + i), s0);
    float s = hsum_f8(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += h2f(a[i]) * b[i];
    return s;
}

void lai_axpy_f16_f32(float *y, const void *vx, float s, int n) {
    const uint16_t *x = vx;
    const __m256 sv = _mm256_set1_ps(s);
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), sv, _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += s * h2f(x[i]);
}

void lai_round_to_f16(const float *x, float *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), 0)));
    for (; i < n; i++) y[i] = h2f(f2h(x[i]));
}

// ggml's GGML_FP32_TO_BF16: round to nearest even; a NaN stays a (quiet) NaN.
void lai_round_to_bf16(const float *x, float *y, int n) {
    const __m256i one = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7fff), hi = _mm256_set1_epi32((int)0xffff0000u);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        const __m256i u = _mm256_castps_si256(v);
        const __m256i r = _mm256_and_si256(_mm256_add_epi32(u, _mm256_add_epi32(bias, _mm256_and_si256(_mm256_srli_epi32(u, 16), one))), hi);
        const __m256i q = _mm256_and_si256(_mm256_or_si256(u, _mm256_set1_epi32(64 << 16)), hi);
        const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
        _mm256_storeu_ps(y + i, _mm256_blendv_ps(_mm256_castsi256_ps(r), _mm256_castsi256_ps(q), nan));
    }
    for (; i < n; i++) {
        uint32_t u; memcpy(&u, x + i, 4);
        u = (u & 0x7fffffff) > 0x7f800000 ? ((u | (64 << 16)) & 0xffff0000u) : ((u + (0x7fff + ((u >> 16) & 1))) & 0xffff0000u);
        memcpy(y + i, &u, 4);
    }
}

void lai_f32_to_f16(const float *x, void *vy, int n) {
    uint16_t *y = vy;
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), 0));
    for (; i < n; i++) y[i] = f2h(x[i]);
}



void lai_swiglu(float *gate, const float *up, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(gate + i);
        __m256 e = v_expf(_mm256_sub_ps(_mm256_setzero_ps(), x));
        __m256 s = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1), e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(s, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) gate[i] = (gate[i] / (1.0f + expf(-gate[i]))) * up[i];
}

#pragma STDC FP_CONTRACT ON
void lai_rope(float *x, int heads, int head_dim, int dims, const float *cs, int neox) {
    for (int h = 0; h < heads; h++) {
        float *v = x + (size_t)h * head_dim;
        if (neox) {
            const int half = dims / 2;
            for (int i = 0; i < half; i++) {
                const float c = cs[2 * i], s = cs[2 * i + 1], x0 = v[i], x1 = v[i + half];
                v[i] = x0 * c - x1 * s;
                v[i + half] = x0 * s + x1 * c;
            }
        } else {
            for (int i = 0; i < dims / 2; i++) {
                const float c = cs[2 * i], s = cs[2 * i + 1], x0 = v[2 * i], x1 = v[2 * i + 1];
                v[2 * i] = x0 * c - x1 * s;
                v[2 * i + 1] = x0 * s + x1 * c;
            }
        }
    }
}

#else  // no AVX2: the Swift portable path is used.

void lai_quantize_row_q8_0s(const float *x, void *y, int n) { (void)x; (void)y; (void)n; }
void lai_quantize_row_q8_0p(const float *x, void *y, int n) { (void)x; (void)y; (void)n; }
void lai_quantize_row_q8_0(const float *x, void *y, int n) { (void)x; (void)y; (void)n; }
void lai_quantize_row_q8_1(const float *x, void *y, int n) { (void)x; (void)y; (void)n; }
#define STUB(NAME) void lai_gemm_##NAME(int nb, const void *w, size_t ws, int nr, const void *a, size_t as, int nc, float *out, size_t os) \
    { (void)nb; (void)w; (void)ws; (void)nr; (void)a; (void)as; (void)nc; (void)out; (void)os; }
void lai_quantize_row_q8_K(const float *x, void *y, int n) { (void)x; (void)y; (void)n; }
void lai_quantize_row_q8_Kw(const float *x, void *y, int n) { (void)x; (void)y; (void)n; }
STUB(q4_K_q8_K) STUB(q6_K_q8_K) STUB(q6_K_q8_Kw) STUB(iq4_nl_q8_0) STUB(iq4_xs_q8_K)
STUB(q4_0_q8_0) STUB(q4_1_q8_1) STUB(q5_0_q8_0) STUB(q5_1_q8_1) STUB(q8_0_q8_0) STUB(f16_f32) STUB(bf16_f32)
float lai_dot_f32(const float *a, const float *b, int n) { float s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }
float lai_dot_f16_f32(const void *a, const float *b, int n) { (void)a; (void)b; (void)n; return 0; }
void lai_axpy_f16_f32(float *y, const void *x, float s, int n) { (void)y; (void)x; (void)s; (void)n; }
void lai_f32_to_f16(const float *x, void *y, int n) { (void)x; (void)y; (void)n; }
void lai_round_to_f16(const float *x, float *y, int n) { (void)x; (void)y; (void)n; }
void lai_round_to_bf16(const float *x, float *y, int n) { (void)x; (void)y; (void)n; }
void lai_swiglu(float *gate, const float *up, int n) { (void)gate; (void)up; (void)n; }
void lai_rope(float *x, int heads, int head_dim, int dims, const float *cs, int neox) { (void)x; (void)heads; (void)head_dim; (void)dims; (void)cs; (void)neox; }
#endif
