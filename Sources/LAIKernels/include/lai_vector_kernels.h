// lai_vector_kernels.h: exact vector search kernels (scores of one query against many fixed-size rows).
//
// Rows are `stride` bytes apart (a multiple of 64 in the store); `d` elements each. With AVX2 absent these
// compile to plain C loops, which are also the reference the Swift tests compare against.
#ifndef LAI_VECTOR_KERNELS_H
#define LAI_VECTOR_KERNELS_H
#include <stddef.h>
#include <stdint.h>

/// out[i] = dot(q, row i) for i < n; f32 rows.
void lai_vec_scores_f32(const float *q, const void *rows, size_t stride, int n, int d, float *out);
/// out[i] = dot(q, row i) for f16 rows (converted to f32, f32 accumulation).
void lai_vec_scores_f16(const float *q, const void *rows, size_t stride, int n, int d, float *out);
/// out[i] = qscale * scales[i] * dot(q8, row i) for int8 rows and an int8 query (d % 32 == 0, |values| <= 127):
/// exact int32 dot products, scaled once per row.
void lai_vec_scores_i8(const int8_t *q8, float qscale, const void *rows, size_t stride, const float *scales,
                       int n, int d, float *out);
/// Dot of f32 query with one int8 row (dequantized: scale * dot(q, row)); used to re-rank candidates.
float lai_vec_dot_f32_i8(const float *q, const int8_t *row, float scale, int d);
/// Symmetric per-vector int8: scale = max|x| / 127, q[i] = round-to-nearest-even(x[i] / scale). Returns scale
/// (0 for an all-zero vector, q then all zero).
float lai_vec_quantize_i8(const float *x, int8_t *q, int d);
/// Converts n f16 values to f32.
void lai_vec_f16_to_f32(const void *x, float *y, int n);

#endif
