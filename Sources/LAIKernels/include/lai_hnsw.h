// lai_hnsw.h: HNSW graphs (Malkov & Yashunin 2016) over a vector store segment's rows, for approximate
// k-nearest search by inner product (cosine on normalized rows). Layout of the serialized graph in
// docs/FORMATS.md ("seg-NNNNNN.hnsw").
//
// Nodes are a segment's local rows 0 ..< n; their vectors stay in the segment (never copied). A builder
// inserts nodes (thread-safe, any order) and serializes; a graph view reads a serialized (memory-mapped)
// graph and searches it. Every neighbour id and count read from a graph is bounds-checked, so a damaged
// file gives poor results, never an out-of-bounds read.
#ifndef LAI_HNSW_H
#define LAI_HNSW_H
#include <stddef.h>
#include <stdint.h>

/// A segment's rows: row i starts at rows + i * stride; element 0 = f32, 1 = f16, 2 = int8 (scales[i] per row).
typedef struct {
    const void *rows;
    size_t stride;
    const float *scales;
    int element;
    int d;
} lai_hnsw_rows;

/// Per-thread working memory (visited marks for n nodes, heaps, decoded vectors). Not shared between threads.
typedef struct lai_hnsw_scratch lai_hnsw_scratch;
lai_hnsw_scratch *lai_hnsw_scratch_new(uint32_t n, int d);
void lai_hnsw_scratch_free(lai_hnsw_scratch *s);

/// A graph under construction (in memory).
typedef struct lai_hnsw_builder lai_hnsw_builder;
/// Levels come from `seed` and the node id, so one thread inserting 0 ..< n gives the same graph every time.
lai_hnsw_builder *lai_hnsw_builder_new(lai_hnsw_rows rows, uint32_t n, int m, int ef_construction, uint64_t seed);
/// Inserts `node` (each once). Safe to call from several threads with their own scratch.
void lai_hnsw_builder_insert(lai_hnsw_builder *b, uint32_t node, lai_hnsw_scratch *s);
/// Serialization: a 64-byte header, the level-0 lists (returned as a pointer into the builder), then a tail
/// of `*tail_bytes` bytes that lai_hnsw_builder_tail writes (per-node offsets and the upper levels' lists).
void lai_hnsw_builder_layout(const lai_hnsw_builder *b, uint8_t header[64], const void **level0, size_t *level0_bytes,
                             size_t *tail_bytes);
void lai_hnsw_builder_tail(const lai_hnsw_builder *b, void *out);
void lai_hnsw_builder_free(lai_hnsw_builder *b);

/// A read-only view of a serialized graph (the bytes must outlive it).
typedef struct {
    uint32_t n, m, m0, ef_construction, max_level, entry, dimension;
    const uint32_t *level0;
    const uint32_t *offsets;
    const uint32_t *upper;
    uint64_t upper_words;
} lai_hnsw_graph;
/// Checks the header, sizes and every node's upper-level block; returns 0, or -1 with `*reason` set to a
/// static message. `n` and `dimension` are what the segment says.
int lai_hnsw_graph_open(const void *bytes, size_t size, uint32_t n, uint32_t dimension, lai_hnsw_graph *g,
                        const char **reason);
/// The k best live nodes for query q (d floats) with a beam of max(ef, k); `deleted` is a bitmap of n bits
/// (bit i set: node i is skipped in results but still traversed) or NULL. Writes best first; returns the count.
int lai_hnsw_search(const lai_hnsw_graph *g, const lai_hnsw_rows *rows, const float *q, int k, int ef,
                    const uint8_t *deleted, lai_hnsw_scratch *s, float *scores, uint32_t *ids);

#endif
