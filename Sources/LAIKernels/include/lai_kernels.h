// lai_kernels.h: AVX2/FMA/F16C inner kernels (integer dot products over ggml blocks), called from Swift.
//
// Built when the compiler targets AVX2 (make's default, x86-64-v3); otherwise lai_cpu_features() is 0 and
// LAICore uses its portable Swift path (CPUFeatures), which is also the reference these kernels are
// tested against.
#ifndef LAI_KERNELS_H
#define LAI_KERNELS_H
#include <stddef.h>
#include <stdint.h>
#include "lai_vector_kernels.h"
#include "lai_hnsw.h"

/// The spin-loop hint (`pause` on x86, `yield` on arm64).
static inline void lai_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}


/// Quantizes n floats (n % 32 == 0) to q8_0 blocks as ggml's AVX2 quantize_row_q8_0 (round to nearest even).
void lai_quantize_row_q8_0(const float *x, void *y, int n);
/// Same for q8_1 (adds s = d * sum(q)), the activation type of q4_1/q5_1 weights.
void lai_quantize_row_q8_1(const float *x, void *y, int n);

/// Tiled products of weight rows with activation columns, both in ggml blocks (nb blocks per row):
/// out[c * out_stride + r] = dot(w row r, a col c) for r < nr, c < nc.
/// w rows are w_stride bytes apart, activations a_stride bytes apart.
void lai_gemm_q4_0_q8_0(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
void lai_gemm_q4_1_q8_1(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
void lai_gemm_q5_0_q8_0(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
void lai_gemm_q5_1_q8_1(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
void lai_gemm_q8_0_q8_0(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
/// Quantizes n floats (n % 256 == 0) to q8_K blocks as ggml's quantize_row_q8_K_ref (the activation type of
/// the K-quants): scale -127/max, round to nearest even, per-16 sums.
void lai_quantize_row_q8_K(const float *x, void *y, int n);
/// K-quant weights with q8_K activations, as ggml's AVX2 vec_dot_q4_K_q8_K / vec_dot_q6_K_q8_K (nb
/// blocks of 256 per row); same arguments as the other lai_gemm functions.
void lai_gemm_q4_K_q8_K(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
void lai_gemm_q6_K_q8_K(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
/// q8_K activations with each pair of 32-quant vectors word-interleaved (320-byte blocks: 256 quants, the 16
/// original sums, d, padding), what lai_gemm_q6_K_q8_Kw takes.
void lai_quantize_row_q8_Kw(const float *x, void *y, int n);
/// q6_K weights with q8_Kw activations: the same lane sums as lai_gemm_q6_K_q8_K (ggml's), so bit-identical
/// results, from a quarter fewer multiplies (see kernels.c).
void lai_gemm_q6_K_q8_Kw(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
/// IQ4_NL weights with q8_0 activations and IQ4_XS weights with q8_K activations, as ggml's AVX2
/// vec_dot_iq4_nl_q8_0 / vec_dot_iq4_xs_q8_K (a byte shuffle maps nibbles to levels); arguments as above.
void lai_gemm_iq4_nl_q8_0(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
void lai_gemm_iq4_xs_q8_K(int nb, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
/// F16 weights with F16-rounded activations held as f32 (n elements per row), F32 accumulation, as ggml's
/// vec_dot_f16 (the activations' values are f16 ones; only their storage is widened).
void lai_gemm_f16_f32(int n, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);
/// BF16 weights with BF16-rounded activations held as f32, the same order (llama.cpp's tinyBLAS on AVX2).
void lai_gemm_bf16_f32(int n, const void *w, size_t w_stride, int nr, const void *a, size_t a_stride, int nc, float *out, size_t out_stride);

/// Dot product of n floats (FMA, 4 accumulators).
float lai_dot_f32(const float *a, const float *b, int n);
/// Dot product of n f16 values with n f32 values (attention: K cache row with a query).
float lai_dot_f16_f32(const void *a, const float *b, int n);
/// y[i] += s * x[i] for f16 x (attention: V cache row into an output row).
void lai_axpy_f16_f32(float *y, const void *x, float s, int n);
/// y[i] = x[i] rounded to the nearest f16 (even on ties), kept as f32.
void lai_round_to_f16(const float *x, float *y, int n);
/// y[i] = x[i] rounded to bf16 (ggml's GGML_FP32_TO_BF16: nearest even, NaN kept quiet), kept as f32.
void lai_round_to_bf16(const float *x, float *y, int n);
/// Converts n floats to f16 (round to nearest even, as F16C).
void lai_f32_to_f16(const float *x, void *y, int n);

/// One attention head for one query over n cached positions, as ggml's CPU flash attention with an
/// f16 KV cache: the query is rounded to f16, scores are f16·f16 dots in f32, softmax runs online and the
/// weighted sum of V accumulates in f16 (which is what llama.cpp computes by default on CPU).
/// k and v point at position 0 of this head; rows are kv_stride bytes apart; out gets hd floats.
/// scratch must hold 2*hd f16 values.
void lai_attention_f16(const float *q, const void *k, const void *v, size_t kv_stride, int n, int hd,
                       float scale, float softcap, float *out, void *scratch);
/// The most query heads lai_attention_f16_heads and lai_attention_f16_partial_heads take at once.
#define LAI_FA_MAX_HEADS 16
/// lai_attention_f16 for `heads` (1...LAI_FA_MAX_HEADS) query heads that share this KV head (grouped-query
/// attention): q and out hold heads × hd floats, scratch heads × 2*hd f16 values. Each head's result is
/// bit-identical to lai_attention_f16's; the heads are interleaved cell by cell (faster: independent work).
void lai_attention_f16_heads(const float *q, int heads, const void *k, const void *v, size_t kv_stride, int n, int hd,
                             float scale, float softcap, float *out, void *scratch);

/// gate[i] = silu(gate[i]) * up[i] with ggml's vectorized expf approximation (max error ~1.5 ulp), so
/// results equal llama.cpp's bit for bit.
void lai_swiglu(float *gate, const float *up, int n);
/// RoPE on `heads` vectors of head_dim floats (first dims rotated) with a (cos, sin) table of dims/2 pairs;
/// neox pairs i with i + dims/2, otherwise adjacent elements.
void lai_rope(float *x, int heads, int head_dim, int dims, const float *cs, int neox);

// ---- weights repacked in groups of 8 rows (packed_kernels.c) ------------------------------------------
// q4_0, q4_K, q5_0 and q8_0 matrices whose row count is a multiple of 8 are repacked at load. q4_0 and q4_K are
// what llama.cpp repacks on AVX2, multiplied with its arithmetic (per block: exact integer sum, one FMA by
// the product of the scales), so results equal llama.cpp's bit for bit. q5_0 and q8_0 use the same
// arithmetic; llama.cpp's tinyBLAS keeps 8 partial sums per output for them instead, so they differ from it
// by float rounding only. Outputs: out[c * os + 8 g + r] for group g,
// row r; gs is the bytes between groups (nb blocks each).

/// Bytes the packed copy of `rows` × `nb` blocks takes.
size_t lai_packed_bytes_q4_0x8(int rows, int nb);
size_t lai_packed_bytes_q4_Kx8(int rows, int nb);
size_t lai_packed_bytes_q8_0x8(int rows, int nb);
size_t lai_packed_bytes_q5_0x8(int rows, int nb);
/// Repacks `rows` (a multiple of 8) rows of nb blocks, ws bytes apart, into `out`.
void lai_pack_q4_0x8(const void *w, size_t ws, int rows, int nb, void *out);
void lai_pack_q4_Kx8(const void *w, size_t ws, int rows, int nb, void *out);
void lai_pack_q8_0x8(const void *w, size_t ws, int rows, int nb, void *out);
void lai_pack_q5_0x8(const void *w, size_t ws, int rows, int nb, void *out);
/// q8_0 activation blocks with their integer sum (36 bytes: f16 d, int16 sum, 32 int8), for q4_0x8, q5_0x8 and
/// (VNNI) q8_0x8.
void lai_quantize_row_q8_0s(const float *x, void *y, int n);
/// q8_0 activation blocks split for the AVX2 q8_0x8 kernel (72 bytes: f32 d, int32 128·sum, 32 low and 32 high
/// parts, a = 16·hi + lo with lo ∈ [-8, 7]).
void lai_quantize_row_q8_0p(const float *x, void *y, int n);
/// A product kernel: nb blocks per row, ng groups of 8 rows gs bytes apart, nc activation rows as bytes apart.
typedef void (*lai_gemm_fn)(int nb, const void *w, size_t gs, int ng, const void *a, size_t as, int nc, float *out, size_t os);
typedef struct { lai_gemm_fn q4_0x8; lai_gemm_fn q4_Kx8; lai_gemm_fn q8_0x8; lai_gemm_fn q5_0x8; } lai_packed_kernels;
/// The packed kernels for AVX2 (vnni = 0) or AVX-512 VNNI (vnni = 1); null pointers in a build without AVX2.
lai_packed_kernels lai_packed_kernel_set(int vnni);
/// CPU features found by CPUID: 1 AVX2+FMA+F16C, 2 AVX-512 F/BW/VL, 4 AVX-512 VNNI; 0 when the build lacks
/// the AVX2 kernels (or on other architectures).
int lai_cpu_features(void);

// ---- ggml's other CPU flash-attention paths (attention_kernels.c) --------------------------------------

/// Tile sizes of ggml's tiled flash attention (GGML_FA_TILE_Q / GGML_FA_TILE_KV in ggml-cpu/common.h).
#define LAI_FA_TILE_Q 64
#define LAI_FA_TILE_KV 64

/// Floats of scratch lai_attention_tiled_f16 needs for head size hd (one block of query rows at a time).
size_t lai_attention_tiled_scratch_floats(int hd);
/// ggml_compute_forward_flash_attn_ext_tiled for `rows` (1...64) query rows of one head of one sequence,
/// which llama.cpp runs when a batch has >= 64 query rows: f32 queries; K/V tiles of 64 cache cells from
/// cell 0 converted from f16; scores = one FMA chain per (row, cell) times scale (softcap: cap*tanh(s/cap));
/// cells after a row's position, or `window` (> 0) or more before it, are masked; online softmax per KV
/// tile with ggml's vectorized expf (sums in double per tile); V accumulated in f32 by FMA chains.
/// q: row r's query at q + r*q_stride; pos[r]: its position; k, v: cell 0 of this KV head, cells kv_stride
/// bytes apart; out: row r at out + r*out_stride (hd floats). Bit-identical to ggml (AVX2 build).
void lai_attention_tiled_f16(const float *q, size_t q_stride, const long *pos, int rows,
                             const void *k, const void *v, size_t kv_stride, int window, int hd,
                             float scale, float softcap, float *out, size_t out_stride, float *scratch);
/// ggml's split-KV path, one chunk: the one-query f16 kernel (as lai_attention_f16) over cells j0..<j1,
/// leaving the unnormalized result: partial = [M (running max), S (sum), VKQ (hd floats, from the f16
/// accumulator)]. scratch holds 2*hd f16 values.
void lai_attention_f16_partial(const float *q, const void *k, const void *v, size_t kv_stride, int j0, int j1, int hd,
                               float scale, float softcap, float *partial, void *scratch);
/// lai_attention_f16_partial for `heads` (1...LAI_FA_MAX_HEADS) query heads sharing this KV head: q holds heads × hd
/// floats, head g's partial goes to partials + g * partial_stride, scratch holds heads × 2*hd f16 values.
void lai_attention_f16_partial_heads(const float *q, int heads, const void *k, const void *v, size_t kv_stride, int j0, int j1,
                                     int hd, float scale, float softcap, float *partials, size_t partial_stride, void *scratch);
/// ggml_flash_attn_ext_reduce_partials for one head: merges `chunks` partials (each 2 + hd floats, in
/// order; chunks with S == 0 skipped) and writes the normalized hd floats to out.
void lai_attention_reduce_partials(const float *partials, int chunks, int hd, float *out);

#endif
