// packed_kernels.c: q4_0 and q4_K weights repacked at load into groups of 8 rows (see lai_kernels.h).
//
// llama.cpp repacks exactly these two types on AVX2 (ggml-cpu/repack.cpp, q4_0_8x8 and q4_K_8x8) and then
// computes each output as: per block, the exact integer dot product of the block, converted to float and
// accumulated with one FMA by (weight scale × activation scale); q4_K adds the same for the mins and
// subtracts. The kernels here keep that arithmetic bit for bit with a layout of our own: for each group of
// 8 rows, each 32-byte vector holds 4 consecutive weights of every row (row r in 32-bit lane r), so one
// broadcast of 4 activation bytes and one maddubs compute a step of all 8 rows. Weight nibbles stay
// unsigned (0..15): no sign tricks; q4_0's -8 offset is taken out of the integer sum with the activation
// block's sum (the q8_0s activation blocks carry it), which keeps the sums exact.
#include "lai_kernels.h"
#include <stdlib.h>
#include <string.h>

typedef struct { uint16_t d; uint8_t qs[16]; } pk_block_q4_0;
typedef struct { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } pk_block_q4_K;
typedef struct { uint16_t d; int16_t s; int8_t qs[32]; } pk_block_q8_0s;
typedef struct { float d; int32_t s128; int8_t lo[32]; int8_t hi[32]; } pk_block_q8_0p;
typedef struct { float d; int8_t qs[256]; int16_t bsums[16]; } pk_block_q8_K;
// 8 rows × 32 weights: the 8 scales, then 4 chunks of 32 bytes; chunk p byte 4r+i is row r's original
// byte qs[4p+i] (low nibble: weight 4p+i, high nibble: weight 16+4p+i).
typedef struct { uint16_t d[8]; uint8_t qs[128]; } pk_block_q4_0x8;
// 8 rows × 256 weights: scales, the 6-bit sub-block scales and mins unpacked to bytes ([sub-block][row]),
// then for each 64-weight half-pair j2 8 chunks of 32 bytes; chunk (j2, p) byte 4r+i is row r's original
// byte qs[32 j2 + 4p + i] (low nibble: sub-block 2 j2, high nibble: sub-block 2 j2 + 1, weight 4p+i).
typedef struct { uint16_t d[8], dmin[8]; uint8_t scales[8][8], mins[8][8]; uint8_t qs[1024]; } pk_block_q4_Kx8;
// 8 rows × 32 q8_0 weights: the 8 scales, then 8 chunks of 32 bytes; chunk p byte 4r+i is row r's weight
// 4p+i plus 128 (an unsigned byte).
typedef struct { uint16_t d[8]; uint8_t qs[256]; } pk_block_q8_0x8;
typedef struct { uint16_t d; int8_t qs[32]; } pk_block_q8_0;
// 8 rows × 32 q5_0 weights: the scales, the high bits by step, and the nibbles as for q4_0x8. Step s (0..7) is
// the vector of low (s < 4: weights 4s+i) or high nibbles (s >= 4: weights 16+4(s-4)+i) of chunk s % 4, byte
// 4r+i for row r; hb[4r+i] bit s is that byte's high (fifth) bit, so a step's bits are one AND and one shift away.
typedef struct { uint16_t d[8]; uint8_t hb[32]; uint8_t qs[128]; } pk_block_q5_0x8;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } pk_block_q5_0;
_Static_assert(sizeof(pk_block_q8_0x8) == 272, "q8_0x8 block");
_Static_assert(sizeof(pk_block_q5_0x8) == 176, "q5_0x8 block");
_Static_assert(sizeof(pk_block_q4_0x8) == 144, "q4_0x8 block");
_Static_assert(sizeof(pk_block_q4_Kx8) == 1184, "q4_Kx8 block");
_Static_assert(sizeof(pk_block_q8_0s) == 36, "q8_0s block");

size_t lai_packed_bytes_q4_0x8(int rows, int nb) { return (size_t)(rows / 8) * (size_t)nb * sizeof(pk_block_q4_0x8); }
size_t lai_packed_bytes_q4_Kx8(int rows, int nb) { return (size_t)(rows / 8) * (size_t)nb * sizeof(pk_block_q4_Kx8); }
size_t lai_packed_bytes_q5_0x8(int rows, int nb) { return (size_t)(rows / 8) * (size_t)nb * sizeof(pk_block_q5_0x8); }

void lai_pack_q5_0x8(const void *w, size_t ws, int rows, int nb, void *out) {
    pk_block_q5_0x8 *o = out;
    for (int g = 0; g < rows / 8; g++)
        for (int b = 0; b < nb; b++, o++)
            for (int r = 0; r < 8; r++) {
                const pk_block_q5_0 *x = (const pk_block_q5_0 *)((const char *)w + (size_t)(8 * g + r) * ws) + b;
                o->d[r] = x->d;
                uint32_t qh;
                memcpy(&qh, x->qh, 4);
                for (int i = 0; i < 4; i++) {
                    uint8_t bits = 0;
                    for (int st = 0; st < 8; st++) {
                        const int k = st < 4 ? 4 * st + i : 16 + 4 * (st - 4) + i;
                        bits |= (uint8_t)(((qh >> k) & 1) << st);
                    }
                    o->hb[4 * r + i] = bits;
                }
                for (int p = 0; p < 4; p++) memcpy(o->qs + 32 * p + 4 * r, x->qs + 4 * p, 4);
            }
}

size_t lai_packed_bytes_q8_0x8(int rows, int nb) { return (size_t)(rows / 8) * (size_t)nb * sizeof(pk_block_q8_0x8); }

void lai_pack_q8_0x8(const void *w, size_t ws, int rows, int nb, void *out) {
    pk_block_q8_0x8 *o = out;
    for (int g = 0; g < rows / 8; g++)
        for (int b = 0; b < nb; b++, o++)
            for (int r = 0; r < 8; r++) {
                const pk_block_q8_0 *x = (const pk_block_q8_0 *)((const char *)w + (size_t)(8 * g + r) * ws) + b;
                o->d[r] = x->d;
                for (int p = 0; p < 8; p++)
                    for (int i = 0; i < 4; i++) o->qs[32 * p + 4 * r + i] = (uint8_t)(x->qs[4 * p + i] ^ 0x80);
            }
}

void lai_pack_q4_0x8(const void *w, size_t ws, int rows, int nb, void *out) {
    pk_block_q4_0x8 *o = out;
    for (int g = 0; g < rows / 8; g++)
        for (int b = 0; b < nb; b++, o++)
            for (int r = 0; r < 8; r++) {
                const pk_block_q4_0 *x = (const pk_block_q4_0 *)((const char *)w + (size_t)(8 * g + r) * ws) + b;
                o->d[r] = x->d;
                for (int p = 0; p < 4; p++) memcpy(o->qs + 32 * p + 4 * r, x->qs + 4 * p, 4);
            }
}

// ggml's get_scale_min_k4: sub-block j's 6-bit scale and min from the 12 packed bytes.
static void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) { *d = q[j] & 63; *m = q[j + 4] & 63; }
    else { *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4); *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4); }
}

void lai_pack_q4_Kx8(const void *w, size_t ws, int rows, int nb, void *out) {
    pk_block_q4_Kx8 *o = out;
    for (int g = 0; g < rows / 8; g++)
        for (int b = 0; b < nb; b++, o++)
            for (int r = 0; r < 8; r++) {
                const pk_block_q4_K *x = (const pk_block_q4_K *)((const char *)w + (size_t)(8 * g + r) * ws) + b;
                o->d[r] = x->d; o->dmin[r] = x->dmin;
                for (int j = 0; j < 8; j++) scale_min_k4(j, x->scales, &o->scales[j][r], &o->mins[j][r]);
                for (int j2 = 0; j2 < 4; j2++)
                    for (int p = 0; p < 8; p++) memcpy(o->qs + 256 * j2 + 32 * p + 4 * r, x->qs + 32 * j2 + 4 * p, 4);
            }
}

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#include "simd_common.h"

ALWAYS_INLINE int32_t load_i32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }

// For the q4_K mins, per activation row c and block b: four words, word jp holding the sums of sub-blocks 2jp and
// 2jp + 1 (bsums[4jp] + bsums[4jp + 1], bsums[4jp + 2] + bsums[4jp + 3]; |sum| ≤ 32·128) in its low and high
// 16 bits. Computed once per product call (the tiles would otherwise redo it for every group of 8 rows), in a
// buffer of the calling thread's that grows as needed and is reused.
static _Thread_local int32_t *min_pairs;
static _Thread_local size_t min_pairs_count;
static const int32_t *q4_K_min_pairs(int nb, const char *a, size_t as, int nc) {
    const size_t need = (size_t)nc * (size_t)nb * 4;
    if (need > min_pairs_count) {
        free(min_pairs);
        min_pairs = malloc(need * sizeof(int32_t));
        if (!min_pairs) abort();
        min_pairs_count = need;
    }
    for (int c = 0; c < nc; c++)
        for (int b = 0; b < nb; b++) {
            const int16_t *bs = ((const pk_block_q8_K *)(a + (size_t)c * as) + b)->bsums;
            int32_t *m = min_pairs + ((size_t)c * nb + b) * 4;
            for (int jp = 0; jp < 4; jp++) {
                const int32_t s0 = bs[4 * jp] + bs[4 * jp + 1], s1 = bs[4 * jp + 2] + bs[4 * jp + 3];
                m[jp] = (int32_t)((uint32_t)(uint16_t)s0 | ((uint32_t)(uint16_t)s1 << 16));
            }
        }
    return min_pairs;
}


#define VARIANT(name) name##_avx2
#include "packed_gemm_impl.h"
#undef VARIANT

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#define LAI_PACKED_VNNI 1
#define VARIANT(name) name##_vnni
#include "packed_gemm_impl.h"
#undef VARIANT
#undef LAI_PACKED_VNNI
#pragma clang attribute pop

lai_packed_kernels lai_packed_kernel_set(int vnni) {
    lai_packed_kernels k;
    k.q4_0x8 = vnni ? lai_gemm_q4_0x8_q8_0s_vnni : lai_gemm_q4_0x8_q8_0s_avx2;
    k.q4_Kx8 = vnni ? lai_gemm_q4_Kx8_q8_K_vnni : lai_gemm_q4_Kx8_q8_K_avx2;
    k.q8_0x8 = vnni ? lai_gemm_q8_0x8_q8_0s_vnni : lai_gemm_q8_0x8_q8_0p_avx2;
    k.q5_0x8 = vnni ? lai_gemm_q5_0x8_q8_0s_vnni : lai_gemm_q5_0x8_q8_0s_avx2;
    return k;
}

int lai_cpu_features(void) {
    __builtin_cpu_init();
    int f = 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) f |= 1;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) f |= 2;
    if ((f & 3) == 3 && __builtin_cpu_supports("avx512vnni")) f |= 4;
    return f;
}

#else
// Without AVX2 in the build the packed kernels do not exist; LAICore then never packs (CPU level portable).
lai_packed_kernels lai_packed_kernel_set(int vnni) { (void)vnni; lai_packed_kernels k = {0, 0, 0, 0}; return k; }
int lai_cpu_features(void) { return 0; }
#endif
