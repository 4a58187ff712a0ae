// packed_gemm_impl.h: the packed q4_0/q4_K products, included twice by packed_kernels.c: once for AVX2
// and once (LAI_PACKED_VNNI) for AVX-512 VNNI, whose vpdpbusd replaces maddubs + madd with identical sums.
// VARIANT(name) gives each copy its own names.
// Unsigned bytes × signed bytes, summed in 4s into 32-bit lanes (VNNI does it in one instruction; the
// sums are exact either way: |pair| ≤ 2·15·127 never saturates 16 bits).
#ifndef PACKED_DRIVER
// PREP: statements run first; EXTRA(c): more arguments for the tile of columns c...
// Columns in fours (the weights of a block unpacked once for four), then the 1-3 left over; generation
// (one column) prefetches the next group. Up to 8 columns (batched decoding) all of a group's columns are
// done before the next group, so its weights come from memory once; longer batches keep four columns'
// activations in cache across the groups instead.
#define PACKED_DRIVER(FN, TILE, BLOCK, PREP, EXTRA)                                                              \
void VARIANT(FN)(int nb, const void *w, size_t gs, int ng, const void *a, size_t as, int nc, float *out, size_t os) { \
    const char *ap = a;                                                                                          \
    PREP                                                                                                         \
    int c = 0;                                                                                                   \
    if (nc > 4 && nc <= 8) {                                                                                     \
        for (int g = 0; g < ng; g++) {                                                                           \
            const BLOCK *wg = (const BLOCK *)((const char *)w + g * gs);                                         \
            PACKED_TILE_N(TILE, EXTRA, 4, wg, 0, g);                                                             \
            PACKED_TILE_N(TILE, EXTRA, nc - 4, wg, 4, g);                                                        \
        }                                                                                                        \
        return;                                                                                                  \
    }                                                                                                            \
    for (; c + 4 <= nc; c += 4)                                                                                  \
        for (int g = 0; g < ng; g++)                                                                             \
            VARIANT(TILE##_tile)(nb, (const BLOCK *)((const char *)w + g * gs), ap + c * as, as, out + c * os + 8 * g, os, 4 EXTRA(c)); \
    const int rest = nc - c;                                                                                     \
    for (int g = 0; g < ng && rest > 0; g++) {                                                                   \
        const BLOCK *wg = (const BLOCK *)((const char *)w + g * gs);                                             \
        if (nc == 1) _mm_prefetch((const char *)w + (g + 1) * gs, _MM_HINT_T0);                                  \
        PACKED_TILE_N(TILE, EXTRA, rest, wg, c, g);                                                              \
    }                                                                                                            \
}
// Group g's tile of n (1-4) columns from column c on, the column count a constant in each call.
#define PACKED_TILE_N(TILE, EXTRA, n, wg, c, g)                                                                  \
    switch (n) {                                                                                                 \
    case 1: VARIANT(TILE##_tile)(nb, wg, ap + (c) * as, as, out + (c) * os + 8 * (g), os, 1 EXTRA(c)); break;    \
    case 2: VARIANT(TILE##_tile)(nb, wg, ap + (c) * as, as, out + (c) * os + 8 * (g), os, 2 EXTRA(c)); break;    \
    case 3: VARIANT(TILE##_tile)(nb, wg, ap + (c) * as, as, out + (c) * os + 8 * (g), os, 3 EXTRA(c)); break;    \
    default: VARIANT(TILE##_tile)(nb, wg, ap + (c) * as, as, out + (c) * os + 8 * (g), os, 4 EXTRA(c)); break;   \
    }
#define NO_EXTRA(c)
#endif

#ifdef LAI_PACKED_VNNI
#define DPBUSD(acc, u, s) _mm256_dpbusd_epi32(acc, u, s)
#endif
// Columns of the 16-row q8_0 tile: 3 measured best on AVX2 (2: ~10% slower; 4: spills). The same tile for q4_K
// and q5_0 gained nothing (their nibble unpacking, not loads, is the limit), so they keep the 8-row tile.
#define Q8_WIDE_CT 3

// One group of 8 rows against CT activation columns over nb blocks.
ALWAYS_INLINE void VARIANT(q4_0x8_tile)(int nb, const pk_block_q4_0x8 *w, const char *a, size_t as, float *out, size_t os, const int CT) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[4];
    for (int c = 0; c < CT; c++) acc[c] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++, w++) {
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->d));
        __m256i u[8];
        for (int p = 0; p < 4; p++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(w->qs + 32 * p));
            u[p] = _mm256_and_si256(raw, m4);
            u[p + 4] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
        }
        for (int c = 0; c < CT; c++) {
            const pk_block_q8_0s *y = (const pk_block_q8_0s *)(a + c * as) + b;
#ifdef DPBUSD
            __m256i isum = _mm256_setzero_si256();
            for (int p = 0; p < 4; p++) {
                isum = DPBUSD(isum, u[p], _mm256_set1_epi32(load_i32(y->qs + 4 * p)));
                isum = DPBUSD(isum, u[p + 4], _mm256_set1_epi32(load_i32(y->qs + 16 + 4 * p)));
            }
#else
            __m256i s16 = _mm256_setzero_si256();
            for (int p = 0; p < 4; p++) {
                s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(u[p], _mm256_set1_epi32(load_i32(y->qs + 4 * p))));
                s16 = _mm256_add_epi16(s16, _mm256_maddubs_epi16(u[p + 4], _mm256_set1_epi32(load_i32(y->qs + 16 + 4 * p))));
            }
            __m256i isum = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
#endif
            isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(8 * (int32_t)y->s));
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dw, _mm256_set1_ps(h2f(y->d))), acc[c]);
        }
    }
    for (int c = 0; c < CT; c++) _mm256_storeu_ps(out + c * os, acc[c]);
}

PACKED_DRIVER(lai_gemm_q4_0x8_q8_0s, q4_0x8, pk_block_q4_0x8, , NO_EXTRA)

// q4_K: per super-block, isum = Σ_j scale_j · Σ_{k∈j} q_k a_k and imin = Σ_j min_j · Σ_{k∈j} a_k (exact
// integers); acc += isum · (d·da), accm += imin · (dmin·da); out = acc - accm.
ALWAYS_INLINE void VARIANT(q4_Kx8_tile)(int nb, const pk_block_q4_Kx8 *w, const char *a, size_t as, float *out, size_t os, const int CT,
                                        const int32_t *mp) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[4], accm[4];
    for (int c = 0; c < CT; c++) { acc[c] = _mm256_setzero_ps(); accm[c] = _mm256_setzero_ps(); }
    for (int b = 0; b < nb; b++, w++) {
        // the block after next (1184 bytes), two ahead of use: memory-bound when few columns share the weights
        for (int i = 0; i < (int)sizeof(*w); i += 64) _mm_prefetch((const char *)(w + 2) + i, _MM_HINT_T0);
        __m256i isum[4], imin[4];
        for (int c = 0; c < CT; c++) { isum[c] = _mm256_setzero_si256(); imin[c] = _mm256_setzero_si256(); }
#ifdef DPBUSD
        for (int j = 0; j < 8; j++) {
            // sub-block j's 8 scales (lane r)
            const __m256i sc = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)w->scales[j]));
            const uint8_t *q = w->qs + 256 * (j >> 1);
            const int shift = (j & 1) * 4;
            __m256i u[8];
            for (int p = 0; p < 8; p++)
                u[p] = _mm256_and_si256(_mm256_srli_epi16(_mm256_loadu_si256((const __m256i *)(q + 32 * p)), shift), m4);
            for (int c = 0; c < CT; c++) {
                const int8_t *y = ((const pk_block_q8_K *)(a + c * as) + b)->qs + 32 * j;
                __m256i s32 = _mm256_setzero_si256();
                for (int p = 0; p < 8; p++) s32 = DPBUSD(s32, u[p], _mm256_set1_epi32(load_i32(y + 4 * p)));
                isum[c] = _mm256_add_epi32(isum[c], _mm256_mullo_epi32(s32, sc));
            }
        }
#else
        // Sub-blocks in pairs (2 j2, 2 j2 + 1): each 32-byte chunk is loaded once for its low and high nibbles,
        // and the columns' int16 sums of both sub-blocks stay in registers (8 maddubs of ≤ 2·15·127 per sum).
        for (int j2 = 0; j2 < 4; j2++) {
            const uint8_t *q = w->qs + 256 * j2;
            __m256i sl[4], sh[4];
            for (int c = 0; c < CT; c++) { sl[c] = _mm256_setzero_si256(); sh[c] = _mm256_setzero_si256(); }
            for (int p = 0; p < 8; p++) {
                const __m256i raw = _mm256_loadu_si256((const __m256i *)(q + 32 * p));
                const __m256i lo = _mm256_and_si256(raw, m4), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
                for (int c = 0; c < CT; c++) {
                    const int8_t *y = ((const pk_block_q8_K *)(a + c * as) + b)->qs + 64 * j2 + 4 * p;
                    sl[c] = _mm256_add_epi16(sl[c], _mm256_maddubs_epi16(lo, _mm256_set1_epi32(load_i32(y))));
                    sh[c] = _mm256_add_epi16(sh[c], _mm256_maddubs_epi16(hi, _mm256_set1_epi32(load_i32(y + 32))));
                }
            }
            // the two sub-blocks' 8 scales (lane r), duplicated into both 16-bit halves for madd
            __m256i scl = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)w->scales[2 * j2]));
            __m256i sch = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)w->scales[2 * j2 + 1]));
            scl = _mm256_or_si256(scl, _mm256_slli_epi32(scl, 16));
            sch = _mm256_or_si256(sch, _mm256_slli_epi32(sch, 16));
            for (int c = 0; c < CT; c++)
                isum[c] = _mm256_add_epi32(isum[c], _mm256_add_epi32(_mm256_madd_epi16(sl[c], scl), _mm256_madd_epi16(sh[c], sch)));
        }
#endif
        // mins: lane r gets Σ_j min_{r,j} · (bsum_{2j} + bsum_{2j+1}), two sub-blocks per madd: lane r of mm holds
        // (min_{r,2jp}, min_{r,2jp+1}) in 16 bits each, mp the matching pair of activation sums (q4_K_min_pairs)
        for (int jp = 0; jp < 4; jp++) {
            const __m256i mm = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)w->mins[2 * jp]),
                                                                     _mm_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15)));
            for (int c = 0; c < CT; c++)
                imin[c] = _mm256_add_epi32(imin[c], _mm256_madd_epi16(mm, _mm256_set1_epi32(mp[((size_t)c * nb + b) * 4 + jp])));
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->d));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->dmin));
        for (int c = 0; c < CT; c++) {
            const __m256 da = _mm256_set1_ps(((const pk_block_q8_K *)(a + c * as) + b)->d);
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), _mm256_mul_ps(d, da), acc[c]);
            accm[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(imin[c]), _mm256_mul_ps(dmin, da), accm[c]);
        }
    }
    for (int c = 0; c < CT; c++) _mm256_storeu_ps(out + c * os, _mm256_sub_ps(acc[c], accm[c]));
}

// the mins' activation pairs, once per call rather than once per group
#define Q4K_MIN_PAIRS(c) , mp + (size_t)(c) * nb * 4
PACKED_DRIVER(lai_gemm_q4_Kx8_q8_K, q4_Kx8, pk_block_q4_Kx8, const int32_t *mp = q4_K_min_pairs(nb, ap, as, nc);, Q4K_MIN_PAIRS)


// q8_0: weights stored + 128 (unsigned bytes); the +128 comes out with the activation block's sum.
// VNNI: vpdpbusd of the bytes by the q8_0s quants. AVX2: maddubs would saturate on 255 · 127, so the
// activations come split (q8_0p: a = 16·hi + lo, both parts in [-8, 8]) and Σ u·a = 16·Σ u·hi + Σ u·lo, each
// summed over the block's 8 steps in 16 bits (≤ 8 · 2 · 255 · 8 = 32640) — the weights are used as loaded.
#ifdef DPBUSD
ALWAYS_INLINE void VARIANT(q8_0x8_tile)(int nb, const pk_block_q8_0x8 *w, const char *a, size_t as, float *out, size_t os, const int CT) {
    __m256 acc[4];
    for (int c = 0; c < CT; c++) acc[c] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++, w++) {
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->d));
        const pk_block_q8_0s *y[4];
        for (int c = 0; c < CT; c++) y[c] = (const pk_block_q8_0s *)(a + c * as) + b;
        __m256i isum[4];
        for (int c = 0; c < CT; c++) isum[c] = _mm256_setzero_si256();
        for (int p = 0; p < 8; p++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(w->qs + 32 * p));
            for (int c = 0; c < CT; c++) isum[c] = DPBUSD(isum[c], raw, _mm256_set1_epi32(load_i32(y[c]->qs + 4 * p)));
        }
        for (int c = 0; c < CT; c++) {
            const __m256i s = _mm256_sub_epi32(isum[c], _mm256_set1_epi32(128 * (int32_t)y[c]->s));
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_mul_ps(dw, _mm256_set1_ps(h2f(y[c]->d))), acc[c]);
        }
    }
    for (int c = 0; c < CT; c++) _mm256_storeu_ps(out + c * os, acc[c]);
}

PACKED_DRIVER(lai_gemm_q8_0x8_q8_0s, q8_0x8, pk_block_q8_0x8, , NO_EXTRA)
#else
ALWAYS_INLINE void VARIANT(q8_0x8_tile)(int nb, const pk_block_q8_0x8 *w, const char *a, size_t as, float *out, size_t os, const int CT) {
    __m256 acc[4];
    for (int c = 0; c < CT; c++) acc[c] = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1);   // one constant (16 · Σ by a shift): fewer registers held
    for (int b = 0; b < nb; b++, w++) {
        const pk_block_q8_0p *y[4];
        for (int c = 0; c < CT; c++) y[c] = (const pk_block_q8_0p *)(a + c * as) + b;
        __m256i sl[4], sh[4];
        for (int c = 0; c < CT; c++) { sl[c] = _mm256_setzero_si256(); sh[c] = _mm256_setzero_si256(); }
        for (int p = 0; p < 8; p++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(w->qs + 32 * p));
            for (int c = 0; c < CT; c++) {
                sl[c] = _mm256_add_epi16(sl[c], _mm256_maddubs_epi16(raw, _mm256_set1_epi32(load_i32(y[c]->lo + 4 * p))));
                sh[c] = _mm256_add_epi16(sh[c], _mm256_maddubs_epi16(raw, _mm256_set1_epi32(load_i32(y[c]->hi + 4 * p))));
            }
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->d));
        for (int c = 0; c < CT; c++) {
            __m256i isum = _mm256_add_epi32(_mm256_slli_epi32(_mm256_madd_epi16(sh[c], ones), 4), _mm256_madd_epi16(sl[c], ones));
            isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(y[c]->s128));
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dw, _mm256_set1_ps(y[c]->d)), acc[c]);
        }
    }
    for (int c = 0; c < CT; c++) _mm256_storeu_ps(out + c * os, acc[c]);
}

// Two groups (16 rows) against CT columns: each activation broadcast feeds two maddubs, so a step loads 2 weight
// vectors and 2·CT activation words for 4·CT maddubs (the 8-row tile: 1 + 8 for 8). Every output's arithmetic
// is the 8-row tile's (same integer sums, same float operations per block), so results are identical.
ALWAYS_INLINE void VARIANT(q8_0x16_tile)(int nb, const pk_block_q8_0x8 *w0, const pk_block_q8_0x8 *w1, const char *a, size_t as, float *out, size_t os, const int CT) {
    __m256 acc0[Q8_WIDE_CT], acc1[Q8_WIDE_CT];
    for (int c = 0; c < CT; c++) { acc0[c] = _mm256_setzero_ps(); acc1[c] = _mm256_setzero_ps(); }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int b = 0; b < nb; b++, w0++, w1++) {
        const pk_block_q8_0p *y[Q8_WIDE_CT];
        for (int c = 0; c < CT; c++) y[c] = (const pk_block_q8_0p *)(a + c * as) + b;
        __m256i sl0[Q8_WIDE_CT], sh0[Q8_WIDE_CT], sl1[Q8_WIDE_CT], sh1[Q8_WIDE_CT];
        for (int c = 0; c < CT; c++) { sl0[c] = sh0[c] = sl1[c] = sh1[c] = _mm256_setzero_si256(); }
        for (int p = 0; p < 8; p++) {
            const __m256i r0 = _mm256_loadu_si256((const __m256i *)(w0->qs + 32 * p));
            const __m256i r1 = _mm256_loadu_si256((const __m256i *)(w1->qs + 32 * p));
            for (int c = 0; c < CT; c++) {
                const __m256i lo = _mm256_set1_epi32(load_i32(y[c]->lo + 4 * p)), hi = _mm256_set1_epi32(load_i32(y[c]->hi + 4 * p));
                sl0[c] = _mm256_add_epi16(sl0[c], _mm256_maddubs_epi16(r0, lo));
                sh0[c] = _mm256_add_epi16(sh0[c], _mm256_maddubs_epi16(r0, hi));
                sl1[c] = _mm256_add_epi16(sl1[c], _mm256_maddubs_epi16(r1, lo));
                sh1[c] = _mm256_add_epi16(sh1[c], _mm256_maddubs_epi16(r1, hi));
            }
        }
        const __m256 dw0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w0->d));
        const __m256 dw1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w1->d));
        for (int c = 0; c < CT; c++) {
            const __m256i s128 = _mm256_set1_epi32(y[c]->s128);
            const __m256 da = _mm256_set1_ps(y[c]->d);
            __m256i i0 = _mm256_add_epi32(_mm256_slli_epi32(_mm256_madd_epi16(sh0[c], ones), 4), _mm256_madd_epi16(sl0[c], ones));
            __m256i i1 = _mm256_add_epi32(_mm256_slli_epi32(_mm256_madd_epi16(sh1[c], ones), 4), _mm256_madd_epi16(sl1[c], ones));
            acc0[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(i0, s128)), _mm256_mul_ps(dw0, da), acc0[c]);
            acc1[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(i1, s128)), _mm256_mul_ps(dw1, da), acc1[c]);
        }
    }
    for (int c = 0; c < CT; c++) { _mm256_storeu_ps(out + c * os, acc0[c]); _mm256_storeu_ps(out + c * os + 8, acc1[c]); }
}

PACKED_DRIVER(lai_gemm_q8_0x8_q8_0p_narrow, q8_0x8, pk_block_q8_0x8, , NO_EXTRA)

// Prompts (8 or more columns) in 16-row × Q8_WIDE_CT tiles, the columns left over by the narrow driver; a few
// columns (generation, batched decoding) stay on the narrow driver's one-pass tiles.
void VARIANT(lai_gemm_q8_0x8_q8_0p)(int nb, const void *w, size_t gs, int ng, const void *a, size_t as, int nc, float *out, size_t os) {
    const char *ap = a;
    int c = 0;
    if (nc >= 8)
        for (; c + Q8_WIDE_CT <= nc; c += Q8_WIDE_CT) {
            int g = 0;
            for (; g + 2 <= ng; g += 2)
                VARIANT(q8_0x16_tile)(nb, (const pk_block_q8_0x8 *)((const char *)w + g * gs), (const pk_block_q8_0x8 *)((const char *)w + (g + 1) * gs),
                                      ap + c * as, as, out + c * os + 8 * g, os, Q8_WIDE_CT);
            if (g < ng) VARIANT(q8_0x8_tile)(nb, (const pk_block_q8_0x8 *)((const char *)w + g * gs), ap + c * as, as, out + c * os + 8 * g, os, Q8_WIDE_CT);
        }
    if (c < nc) VARIANT(lai_gemm_q8_0x8_q8_0p_narrow)(nb, w, gs, ng, ap + c * as, as, nc - c, out + c * os, os);
}
#endif


// q5_0: 5-bit unsigned values (nibble | high bit << 4, 0..31), the -16 offset taken out with the activation
// sum. The high bits come by step from the packed block (hb), one AND and one shift each.
// Step s's high bits as 16 or 0 per byte: bit s of each hb byte, moved to bit 4 (shifts of at most 4 keep every bit
// inside its byte, as the AND left one bit per byte).
ALWAYS_INLINE __m256i VARIANT(q5_high_bits)(__m256i hb, int s) {
    const __m256i t = _mm256_and_si256(hb, _mm256_set1_epi8((char)(1 << s)));
    return s < 4 ? _mm256_slli_epi16(t, 4 - s) : s > 4 ? _mm256_srli_epi16(t, s - 4) : t;
}

ALWAYS_INLINE void VARIANT(q5_0x8_tile)(int nb, const pk_block_q5_0x8 *w, const char *a, size_t as, float *out, size_t os, const int CT) {
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[4];
    for (int c = 0; c < CT; c++) acc[c] = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++, w++) {
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)w->d));
        const __m256i hb = _mm256_loadu_si256((const __m256i *)w->hb);
        __m256i u[8];
        for (int p = 0; p < 4; p++) {
            const __m256i raw = _mm256_loadu_si256((const __m256i *)(w->qs + 32 * p));
            u[p] = _mm256_or_si256(_mm256_and_si256(raw, m4), VARIANT(q5_high_bits)(hb, p));
            u[p + 4] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(raw, 4), m4), VARIANT(q5_high_bits)(hb, p + 4));
        }
        for (int c = 0; c < CT; c++) {
            const pk_block_q8_0s *y = (const pk_block_q8_0s *)(a + c * as) + b;
#ifdef DPBUSD
            __m256i isum = _mm256_setzero_si256();
            for (int p = 0; p < 4; p++) {
                isum = DPBUSD(isum, u[p], _mm256_set1_epi32(load_i32(y->qs + 4 * p)));
                isum = DPBUSD(isum, u[p + 4], _mm256_set1_epi32(load_i32(y->qs + 16 + 4 * p)));
            }
#else
            // |pair| <= 2·31·127: four maddubs per 16-bit accumulator stay below 32767
            __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
            for (int p = 0; p < 4; p++) {
                s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(u[p], _mm256_set1_epi32(load_i32(y->qs + 4 * p))));
                s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(u[p + 4], _mm256_set1_epi32(load_i32(y->qs + 16 + 4 * p))));
            }
            const __m256i one = _mm256_set1_epi16(1);
            __m256i isum = _mm256_add_epi32(_mm256_madd_epi16(s0, one), _mm256_madd_epi16(s1, one));
#endif
            isum = _mm256_sub_epi32(isum, _mm256_set1_epi32(16 * (int32_t)y->s));
            acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dw, _mm256_set1_ps(h2f(y->d))), acc[c]);
        }
    }
    for (int c = 0; c < CT; c++) _mm256_storeu_ps(out + c * os, acc[c]);
}

PACKED_DRIVER(lai_gemm_q5_0x8_q8_0s, q5_0x8, pk_block_q5_0x8, , NO_EXTRA)
#undef DPBUSD
