// hnsw.c: HNSW graph construction and search for the vector store (see lai_hnsw.h).
//
// Scores are inner products (higher is closer). The construction follows hnswlib (Malkov's reference
// implementation): levels ~ floor(-ln U / ln M), greedy descent through the upper levels, a beam of
// ef_construction on each level the node lives on, the "heuristic" neighbour selection, and back links
// pruned by the same heuristic when a list is full. Concurrent inserts lock one node's lists at a time
// (a byte spinlock per node); a node that raises the top level holds the global lock for its whole insert.
#include "lai_hnsw.h"
#include "lai_vector_kernels.h"
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NONE 0xFFFFFFFFu
#define MAX_LEVEL 31

typedef struct { float s; uint32_t id; } pair;

// MARK: scores

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
static inline float dot_f32(const float *a, const float *b, int d) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    int j = 0;
    for (; j + 32 <= d; j += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 8), _mm256_loadu_ps(b + j + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 16), _mm256_loadu_ps(b + j + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j + 24), _mm256_loadu_ps(b + j + 24), a3);
    }
    for (; j + 8 <= d; j += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + j), _mm256_loadu_ps(b + j), a0);
    __m256 t = _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3));
    __m128 r = _mm_add_ps(_mm256_extractf128_ps(t, 1), _mm256_castps256_ps128(t));
    r = _mm_add_ps(r, _mm_movehl_ps(r, r));
    r = _mm_add_ss(r, _mm_movehdup_ps(r));
    float s = _mm_cvtss_f32(r);
    for (; j < d; j++) s += a[j] * b[j];
    return s;
}
static inline void prefetch(const void *p) { _mm_prefetch((const char *)p, _MM_HINT_T0); }
#else
static inline float dot_f32(const float *a, const float *b, int d) {
    float s = 0;
    for (int j = 0; j < d; j++) s += a[j] * b[j];
    return s;
}
static inline void prefetch(const void *p) { (void)p; }
#endif

static inline const char *row_ptr(const lai_hnsw_rows *r, uint32_t i) { return (const char *)r->rows + (size_t)i * r->stride; }

/// dot(q, row i), rows dequantized (f16 converted, int8 times its scale).
static inline float score(const lai_hnsw_rows *r, const float *q, uint32_t i) {
    const char *p = row_ptr(r, i);
    switch (r->element) {
    case 0: return dot_f32(q, (const float *)p, r->d);
    case 1: { float s; lai_vec_scores_f16(q, p, r->stride, 1, r->d, &s); return s; }
    default: return lai_vec_dot_f32_i8(q, (const int8_t *)p, r->scales[i], r->d);
    }
}

/// Row i as f32: the row itself for f32 segments, else decoded into buf.
static inline const float *vec(const lai_hnsw_rows *r, uint32_t i, float *buf) {
    const char *p = row_ptr(r, i);
    switch (r->element) {
    case 0: return (const float *)p;
    case 1: lai_vec_f16_to_f32(p, buf, r->d); return buf;
    default: {
        const int8_t *x = (const int8_t *)p;
        const float sc = r->scales[i];
        for (int j = 0; j < r->d; j++) buf[j] = (float)x[j] * sc;
        return buf;
    }
    }
}

// MARK: scratch and heaps

struct lai_hnsw_scratch {
    uint32_t n, epoch;
    uint32_t *tags;
    pair *cand, *res, *sel;
    size_t cand_n, cand_cap, res_n, res_cap, sel_cap;
    float *q, *tmp;
    uint32_t *buf;
};

lai_hnsw_scratch *lai_hnsw_scratch_new(uint32_t n, int d) {
    lai_hnsw_scratch *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->n = n;
    s->tags = calloc(n ? n : 1, sizeof(uint32_t));
    s->cand_cap = s->res_cap = s->sel_cap = 256;
    s->cand = malloc(s->cand_cap * sizeof(pair));
    s->res = malloc(s->res_cap * sizeof(pair));
    s->sel = malloc(s->sel_cap * sizeof(pair));
    s->q = malloc((size_t)d * sizeof(float));
    s->tmp = malloc((size_t)d * sizeof(float));
    s->buf = malloc(4096 * sizeof(uint32_t));
    if (!s->tags || !s->cand || !s->res || !s->sel || !s->q || !s->tmp || !s->buf) { lai_hnsw_scratch_free(s); return NULL; }
    return s;
}

void lai_hnsw_scratch_free(lai_hnsw_scratch *s) {
    if (!s) return;
    free(s->tags); free(s->cand); free(s->res); free(s->sel); free(s->q); free(s->tmp); free(s->buf); free(s);
}

static void grow(pair **p, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t c = *cap * 2;
    while (c < need) c *= 2;
    pair *np = realloc(*p, c * sizeof(pair));
    if (!np) abort();
    *p = np; *cap = c;
}

/// Max-heap on s (the best candidate at the top).
static inline void max_push(pair *h, size_t *n, pair x) {
    size_t i = (*n)++;
    while (i > 0) { size_t p = (i - 1) / 2; if (h[p].s >= x.s) break; h[i] = h[p]; i = p; }
    h[i] = x;
}
static inline void max_pop(pair *h, size_t *n) {
    pair x = h[--(*n)];
    size_t i = 0, m = *n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, c = i;
        float cs = x.s;
        if (l < m && h[l].s > cs) { c = l; cs = h[l].s; }
        if (r < m && h[r].s > cs) c = r;
        if (c == i) break;
        h[i] = h[c]; i = c;
    }
    if (m) h[i] = x;
}
/// Min-heap on s (the worst kept result at the top).
static inline void min_push(pair *h, size_t *n, pair x) {
    size_t i = (*n)++;
    while (i > 0) { size_t p = (i - 1) / 2; if (h[p].s <= x.s) break; h[i] = h[p]; i = p; }
    h[i] = x;
}
static inline void min_pop(pair *h, size_t *n) {
    pair x = h[--(*n)];
    size_t i = 0, m = *n;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, c = i;
        float cs = x.s;
        if (l < m && h[l].s < cs) { c = l; cs = h[l].s; }
        if (r < m && h[r].s < cs) c = r;
        if (c == i) break;
        h[i] = h[c]; i = c;
    }
    if (m) h[i] = x;
}

static inline void new_epoch(lai_hnsw_scratch *s) {
    if (++s->epoch == 0) { memset(s->tags, 0, (size_t)s->n * sizeof(uint32_t)); s->epoch = 1; }
}

/// Moves the result heap into s->sel, best first; returns the count.
static size_t results_sorted(lai_hnsw_scratch *s) {
    size_t n = s->res_n;
    grow(&s->sel, &s->sel_cap, n);
    for (size_t i = n; i > 0; i--) { s->sel[i - 1] = s->res[0]; min_pop(s->res, &s->res_n); }
    return n;
}

// MARK: builder

struct lai_hnsw_builder {
    lai_hnsw_rows rows;
    uint32_t n;
    int m, m0, efc;
    uint32_t *level0;
    uint8_t *levels;
    uint32_t **upper;
    atomic_uchar *locks;
    pthread_mutex_t global;
    uint32_t entry;
    int max_level;
};

static inline void lock_node(lai_hnsw_builder *b, uint32_t i) {
    while (atomic_exchange_explicit(&b->locks[i], 1, memory_order_acquire)) {
        while (atomic_load_explicit(&b->locks[i], memory_order_relaxed)) {
#if defined(__AVX2__)
            _mm_pause();
#endif
        }
    }
}
static inline void unlock_node(lai_hnsw_builder *b, uint32_t i) { atomic_store_explicit(&b->locks[i], 0, memory_order_release); }

/// Node i's list on `level` ([count, ids…]); the node must live on that level.
static inline uint32_t *blist(const lai_hnsw_builder *b, uint32_t i, int level) {
    return level == 0 ? b->level0 + (size_t)i * (1 + b->m0) : b->upper[i] + (size_t)(level - 1) * (1 + b->m);
}

static inline uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

lai_hnsw_builder *lai_hnsw_builder_new(lai_hnsw_rows rows, uint32_t n, int m, int ef_construction, uint64_t seed) {
    if (m < 2 || m > 1024 || n == 0 || n == NONE) return NULL;
    lai_hnsw_builder *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->rows = rows; b->n = n; b->m = m; b->m0 = 2 * m; b->efc = ef_construction < m ? m : ef_construction;
    b->level0 = calloc((size_t)n * (1 + b->m0), sizeof(uint32_t));
    b->levels = calloc(n, 1);
    b->upper = calloc(n, sizeof(uint32_t *));
    b->locks = calloc(n, sizeof(atomic_uchar));
    b->entry = NONE; b->max_level = -1;
    pthread_mutex_init(&b->global, NULL);
    if (!b->level0 || !b->levels || !b->upper || !b->locks) { lai_hnsw_builder_free(b); return NULL; }
    const double ml = 1.0 / log((double)m);
    for (uint32_t i = 0; i < n; i++) {
        double u = (double)((splitmix64(seed ^ ((uint64_t)i * 0xD6E8FEB86659FD93ull)) >> 11) + 1) * 0x1.0p-53;
        int level = (int)(-log(u) * ml);
        if (level > MAX_LEVEL) level = MAX_LEVEL;
        b->levels[i] = (uint8_t)level;
        if (level > 0) {
            b->upper[i] = calloc((size_t)level * (1 + m), sizeof(uint32_t));
            if (!b->upper[i]) { lai_hnsw_builder_free(b); return NULL; }
        }
    }
    return b;
}

void lai_hnsw_builder_free(lai_hnsw_builder *b) {
    if (!b) return;
    if (b->upper) for (uint32_t i = 0; i < b->n; i++) free(b->upper[i]);
    free(b->upper); free(b->level0); free(b->levels); free((void *)b->locks);
    pthread_mutex_destroy(&b->global);
    free(b);
}

// MARK: layer search (shared by construction and queries)

/// Where lists come from: a builder (copied under the node's lock) or a serialized graph (read in place).
typedef struct {
    lai_hnsw_builder *b;
    const lai_hnsw_graph *g;
} source;

static inline const uint32_t *neighbours(source src, uint32_t node, int level, uint32_t *buf, int *count) {
    if (src.b) {
        lai_hnsw_builder *b = src.b;
        if (level > b->levels[node]) { *count = 0; return buf; }
        lock_node(b, node);
        const uint32_t *l = blist(b, node, level);
        int c = (int)l[0];
        memcpy(buf, l + 1, (size_t)c * sizeof(uint32_t));
        unlock_node(b, node);
        *count = c;
        return buf;
    }
    const lai_hnsw_graph *g = src.g;
    const uint32_t *l;
    uint32_t cap;
    if (level == 0) { l = g->level0 + (size_t)node * (1 + g->m0); cap = g->m0; } else {
        uint32_t off = g->offsets[node];
        if (off == NONE || (int)g->upper[off] < level) { *count = 0; return buf; }
        l = g->upper + off + 1 + (size_t)(level - 1) * (1 + g->m); cap = g->m;
    }
    *count = (int)(l[0] < cap ? l[0] : cap);
    return l + 1;
}

static inline int is_deleted(const uint8_t *deleted, uint32_t i) { return deleted && (deleted[i >> 3] >> (i & 7)) & 1; }

/// Greedy walk on one upper level: moves to a better neighbour while there is one.
static void greedy(source src, const lai_hnsw_rows *rows, uint32_t n, const float *q, int level, uint32_t *cur, float *cs,
                   lai_hnsw_scratch *s) {
    int changed = 1;
    while (changed) {
        changed = 0;
        int c;
        const uint32_t *l = neighbours(src, *cur, level, s->buf, &c);
        for (int i = 0; i < c; i++) {
            uint32_t nb = l[i];
            if (nb >= n) continue;
            float sc = score(rows, q, nb);
            if (sc > *cs) { *cs = sc; *cur = nb; changed = 1; }
        }
    }
}

/// Beam search of width ef on one level from (ep, eps); leaves the best ef non-deleted nodes in s->res.
static void search_layer(source src, const lai_hnsw_rows *rows, uint32_t n, const float *q, uint32_t ep, float eps,
                         int ef, int level, const uint8_t *deleted, lai_hnsw_scratch *s) {
    new_epoch(s);
    const uint32_t epoch = s->epoch;
    uint32_t *tags = s->tags;
    s->cand_n = 0; s->res_n = 0;
    grow(&s->res, &s->res_cap, (size_t)ef + 1);
    tags[ep] = epoch;
    max_push(s->cand, &s->cand_n, (pair){eps, ep});
    if (!is_deleted(deleted, ep)) min_push(s->res, &s->res_n, (pair){eps, ep});
    float lower = s->res_n ? s->res[0].s : -INFINITY;
    while (s->cand_n) {
        pair c = s->cand[0];
        if (c.s < lower && (s->res_n >= (size_t)ef || !deleted)) break;
        max_pop(s->cand, &s->cand_n);
        int cnt;
        const uint32_t *l = neighbours(src, c.id, level, s->buf, &cnt);
        for (int i = 0; i < cnt; i++) {
            uint32_t nb = l[i];
            if (nb < n) { prefetch(tags + nb); prefetch(row_ptr(rows, nb)); }
        }
        for (int i = 0; i < cnt; i++) {
            uint32_t nb = l[i];
            if (nb >= n || tags[nb] == epoch) continue;
            tags[nb] = epoch;
            if (i + 1 < cnt && l[i + 1] < n) {
                const char *p = row_ptr(rows, l[i + 1]);
                for (size_t o = 64; o < rows->stride; o += 64) prefetch(p + o);
            }
            float sc = score(rows, q, nb);
            if (s->res_n < (size_t)ef || sc > lower) {
                grow(&s->cand, &s->cand_cap, s->cand_n + 1);
                max_push(s->cand, &s->cand_n, (pair){sc, nb});
                if (!is_deleted(deleted, nb)) {
                    min_push(s->res, &s->res_n, (pair){sc, nb});
                    if (s->res_n > (size_t)ef) min_pop(s->res, &s->res_n);
                }
                if (s->res_n) lower = s->res[0].s;
            }
        }
    }
}

/// Malkov's heuristic: from candidates sorted best first (scores against the base node), keep c unless some
/// already kept neighbour is closer to c than the base is; at most m. In place; returns the count kept.
static int select_neighbours(const lai_hnsw_rows *rows, pair *cand, int count, int m, lai_hnsw_scratch *s) {
    if (count <= m) return count;
    int kept = 0;
    for (int i = 0; i < count && kept < m; i++) {
        const float *cv = vec(rows, cand[i].id, s->tmp);
        int good = 1;
        for (int j = 0; j < kept; j++) {
            if (score(rows, cv, cand[j].id) > cand[i].s) { good = 0; break; }
        }
        if (good) cand[kept++] = cand[i];
    }
    return kept;
}

static int by_score_desc(const void *a, const void *b) {
    float x = ((const pair *)a)->s, y = ((const pair *)b)->s;
    if (x != y) return x > y ? -1 : 1;
    uint32_t i = ((const pair *)a)->id, j = ((const pair *)b)->id;
    return i < j ? -1 : i > j;
}

/// Adds `node` to nb's list on `level`; a full list is re-selected by the heuristic among its members and node.
static void link_back(lai_hnsw_builder *b, uint32_t nb, uint32_t node, float sc, int level, lai_hnsw_scratch *s) {
    const int cap = level ? b->m : b->m0;
    lock_node(b, nb);
    uint32_t *l = blist(b, nb, level);
    int c = (int)l[0];
    for (int i = 0; i < c; i++) if (l[i + 1] == node) { unlock_node(b, nb); return; }
    if (c < cap) { l[1 + c] = node; l[0] = (uint32_t)(c + 1); unlock_node(b, nb); return; }
    // s->q holds the inserted node's vector and s->tmp is the heuristic's buffer, so nb's goes to s->res.
    grow(&s->res, &s->res_cap, (size_t)(b->rows.d + 1) / 2 + 1);
    float *nv = (float *)s->res;
    const float *base = vec(&b->rows, nb, nv);
    grow(&s->cand, &s->cand_cap, (size_t)c + 1);
    pair *cand = s->cand;
    for (int i = 0; i < c; i++) cand[i] = (pair){score(&b->rows, base, l[i + 1]), l[i + 1]};
    cand[c] = (pair){sc, node};
    qsort(cand, (size_t)c + 1, sizeof(pair), by_score_desc);
    int kept = select_neighbours(&b->rows, cand, c + 1, cap, s);
    for (int i = 0; i < kept; i++) l[1 + i] = cand[i].id;
    l[0] = (uint32_t)kept;
    unlock_node(b, nb);
}

void lai_hnsw_builder_insert(lai_hnsw_builder *b, uint32_t node, lai_hnsw_scratch *s) {
    if (node >= b->n) return;
    const int level = b->levels[node];
    pthread_mutex_lock(&b->global);
    const int top = b->max_level;
    uint32_t cur = b->entry;
    if (cur == NONE) { b->entry = node; b->max_level = level; pthread_mutex_unlock(&b->global); return; }
    const int raises = level > top;
    if (!raises) pthread_mutex_unlock(&b->global);
    source src = {b, NULL};
    const lai_hnsw_rows *rows = &b->rows;
    float *q = s->q;
    memcpy(q, vec(rows, node, s->tmp), (size_t)rows->d * sizeof(float));
    float cs = score(rows, q, cur);
    for (int l = top; l > level; l--) greedy(src, rows, b->n, q, l, &cur, &cs, s);
    for (int l = level < top ? level : top; l >= 0; l--) {
        search_layer(src, rows, b->n, q, cur, cs, b->efc, l, NULL, s);
        size_t found = results_sorted(s);
        // The search may meet node itself when another thread already linked to it: drop it.
        size_t w = 0;
        for (size_t i = 0; i < found; i++) if (s->sel[i].id != node) s->sel[w++] = s->sel[i];
        if (w == 0) continue;
        cur = s->sel[0].id; cs = s->sel[0].s;
        // Selection and back links reuse cand/res, so keep the chosen list in a copy.
        int kept = select_neighbours(rows, s->sel, (int)w, b->m, s);
        uint32_t chosen[1024];
        float chosen_s[1024];
        for (int i = 0; i < kept; i++) { chosen[i] = s->sel[i].id; chosen_s[i] = s->sel[i].s; }
        lock_node(b, node);
        uint32_t *own = blist(b, node, l);
        memcpy(own + 1, chosen, (size_t)kept * sizeof(uint32_t));
        own[0] = (uint32_t)kept;
        unlock_node(b, node);
        for (int i = 0; i < kept; i++) link_back(b, chosen[i], node, chosen_s[i], l, s);
    }
    if (raises) { b->entry = node; b->max_level = level; pthread_mutex_unlock(&b->global); }
}

// MARK: serialization

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint64_t upper_words(const lai_hnsw_builder *b) {
    uint64_t w = 0;
    for (uint32_t i = 0; i < b->n; i++) if (b->levels[i]) w += 1 + (uint64_t)b->levels[i] * (1 + b->m);
    return w;
}

void lai_hnsw_builder_layout(const lai_hnsw_builder *b, uint8_t header[64], const void **level0, size_t *level0_bytes,
                             size_t *tail_bytes) {
    memset(header, 0, 64);
    memcpy(header, "LAIHNSW1", 8);
    put32(header + 8, 1);
    put32(header + 12, b->n);
    put32(header + 16, (uint32_t)b->m);
    put32(header + 20, (uint32_t)b->m0);
    put32(header + 24, (uint32_t)b->efc);
    put32(header + 28, (uint32_t)(b->max_level < 0 ? 0 : b->max_level));
    put32(header + 32, b->entry);
    put32(header + 36, (uint32_t)b->rows.d);
    const uint64_t uw = upper_words(b);
    put64(header + 40, uw);
    *level0 = b->level0;
    *level0_bytes = (size_t)b->n * (1 + b->m0) * sizeof(uint32_t);
    *tail_bytes = ((size_t)b->n + uw) * sizeof(uint32_t);
}

void lai_hnsw_builder_tail(const lai_hnsw_builder *b, void *out) {
    uint32_t *offsets = out, *upper = offsets + b->n;
    uint64_t w = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        const int L = b->levels[i];
        if (!L) { offsets[i] = NONE; continue; }
        offsets[i] = (uint32_t)w;
        upper[w] = (uint32_t)L;
        memcpy(upper + w + 1, b->upper[i], (size_t)L * (1 + b->m) * sizeof(uint32_t));
        w += 1 + (uint64_t)L * (1 + b->m);
    }
}

int lai_hnsw_graph_open(const void *bytes, size_t size, uint32_t n, uint32_t dimension, lai_hnsw_graph *g, const char **reason) {
    const uint8_t *h = bytes;
    if (size < 64 || memcmp(h, "LAIHNSW1", 8) != 0) { *reason = "not an HNSW graph (bad magic)"; return -1; }
    if (get32(h + 8) != 1) { *reason = "unsupported HNSW graph version"; return -1; }
    g->n = get32(h + 12); g->m = get32(h + 16); g->m0 = get32(h + 20); g->ef_construction = get32(h + 24);
    g->max_level = get32(h + 28); g->entry = get32(h + 32); g->dimension = get32(h + 36);
    g->upper_words = get64(h + 40);
    if (g->n != n) { *reason = "node count differs from the segment's rows"; return -1; }
    if (g->dimension != dimension) { *reason = "dimension differs from the store's"; return -1; }
    if (g->m < 2 || g->m > 1024 || g->m0 < g->m || g->m0 > 2048) { *reason = "M out of range"; return -1; }
    if (g->n == 0 || g->entry >= g->n || g->max_level > MAX_LEVEL) { *reason = "entry point or top level out of range"; return -1; }
    if (g->upper_words > (uint64_t)n * (1 + (uint64_t)MAX_LEVEL * (1 + g->m))) { *reason = "upper levels too large"; return -1; }
    const uint64_t words = (uint64_t)n * (1 + g->m0) + n + g->upper_words;
    if ((uint64_t)size != 64 + 4 * words) { *reason = "file size does not match its header"; return -1; }
    if (((uintptr_t)bytes & 3) != 0) { *reason = "misaligned mapping"; return -1; }
    g->level0 = (const uint32_t *)(h + 64);
    g->offsets = g->level0 + (size_t)n * (1 + g->m0);
    g->upper = g->offsets + n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t off = g->offsets[i];
        if (off == NONE) continue;
        if (off >= g->upper_words) { *reason = "a node's upper-level offset is out of range"; return -1; }
        uint32_t L = g->upper[off];
        if (L < 1 || L > g->max_level || off + 1 + (uint64_t)L * (1 + g->m) > g->upper_words) {
            *reason = "a node's upper-level block is out of range"; return -1;
        }
    }
    uint32_t eoff = g->offsets[g->entry];
    uint32_t elevel = eoff == NONE ? 0 : g->upper[eoff];
    if (elevel != g->max_level) { *reason = "the entry point is not on the top level"; return -1; }
    return 0;
}

int lai_hnsw_search(const lai_hnsw_graph *g, const lai_hnsw_rows *rows, const float *q, int k, int ef,
                    const uint8_t *deleted, lai_hnsw_scratch *s, float *scores, uint32_t *ids) {
    if (g->n == 0 || k <= 0) return 0;
    if (ef < k) ef = k;
    source src = {NULL, g};
    uint32_t cur = g->entry;
    float cs = score(rows, q, cur);
    for (int l = (int)g->max_level; l > 0; l--) greedy(src, rows, g->n, q, l, &cur, &cs, s);
    search_layer(src, rows, g->n, q, cur, cs, ef, 0, deleted, s);
    size_t found = results_sorted(s);
    int out = (int)(found < (size_t)k ? found : (size_t)k);
    for (int i = 0; i < out; i++) { scores[i] = s->sel[i].s; ids[i] = s->sel[i].id; }
    return out;
}
