// llama_ref: reference logits / greedy continuation from llama.cpp for a GGUF model.
// usage: llama_ref MODEL IDS(comma-separated) N_GEN FA(0|1) KV(f16|f32) OUT_NPY N_CTX
// prints one JSON object on stdout: {"top10":[[id,logit],...],"greedy":[...],"max_abs_logit":x,"n_vocab":n}
#include "llama.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <string>
#include <vector>
#include <algorithm>
#include <numeric>

static void quiet(enum ggml_log_level level, const char * text, void *) {
    if (level >= GGML_LOG_LEVEL_WARN && getenv("LAI_REF_VERBOSE")) fputs(text, stderr);
    if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static void write_npy(const char * path, const float * data, size_t n) {
    FILE * f = fopen(path, "wb");
    char header[128];
    int hl = snprintf(header, sizeof header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu,), }", n);
    int total = 10 + hl + 1;
    int pad = (64 - total % 64) % 64;
    std::string h(header, hl);
    h.append(pad, ' ');
    h.push_back('\n');
    unsigned short hlen = (unsigned short) h.size();
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fwrite(&hlen, 2, 1, f);
    fwrite(h.data(), 1, h.size(), f);
    fwrite(data, sizeof(float), n, f);
    fclose(f);
}

static int argmax(const float * v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}

int main(int argc, char ** argv) {
    if (argc < 8) { fprintf(stderr, "usage: %s MODEL IDS N_GEN FA KV OUT_NPY N_CTX\n", argv[0]); return 1; }
    const char * model_path = argv[1];
    std::vector<llama_token> ids;
    for (char * p = strtok(argv[2], ","); p; p = strtok(nullptr, ",")) ids.push_back(atoi(p));
    int n_gen = atoi(argv[3]);
    bool fa = atoi(argv[4]) != 0;
    bool kv32 = strcmp(argv[5], "f32") == 0;
    const char * out_npy = argv[6];
    int n_ctx = atoi(argv[7]);

    llama_log_set(quiet, nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    llama_model * model = llama_model_load_from_file(model_path, mp);
    if (!model) { fprintf(stderr, "load failed\n"); return 2; }
    const llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_ctx;
    cp.n_ubatch = n_ctx;
    cp.n_seq_max = 1;
    cp.n_threads = 2;
    cp.n_threads_batch = 2;
    cp.flash_attn_type = fa ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.type_k = kv32 ? GGML_TYPE_F32 : GGML_TYPE_F16;
    cp.type_v = kv32 ? GGML_TYPE_F32 : GGML_TYPE_F16;
    cp.no_perf = true;
    llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "context failed\n"); return 3; }

    llama_batch batch = llama_batch_get_one(ids.data(), (int) ids.size());
    if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "decode failed\n"); return 4; }
    const float * logits = llama_get_logits_ith(ctx, -1);
    std::vector<float> last(logits, logits + n_vocab);
    write_npy(out_npy, last.data(), last.size());

    std::vector<int> order(n_vocab);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return last[a] > last[b]; });
    float max_abs = 0;
    for (float v : last) max_abs = std::max(max_abs, std::fabs(v));

    std::vector<llama_token> gen;
    llama_token tok = argmax(last.data(), n_vocab);
    for (int i = 0; i < n_gen; i++) {
        gen.push_back(tok);
        if (i == n_gen - 1) break;
        llama_batch b = llama_batch_get_one(&tok, 1);
        if (llama_decode(ctx, b) != 0) { fprintf(stderr, "decode failed at gen %d\n", i); return 5; }
        tok = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
    }

    printf("{\"n_vocab\": %d, \"max_abs_logit\": %.9g, \"top10\": [", n_vocab, max_abs);
    for (int i = 0; i < 10; i++) printf("%s[%d, %.9g]", i ? ", " : "", order[i], last[order[i]]);
    printf("], \"greedy\": [");
    for (size_t i = 0; i < gen.size(); i++) printf("%s%d", i ? ", " : "", gen[i]);
    printf("]}\n");

    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
