#!/usr/bin/env python3
# Runs llama.cpp on the tiny models written by ../make_tiny_models.py and writes
# ../<name>.json and ../<name>.logits*.npy. See ../README.md.
#
# usage: python3 make_fixtures.py MODEL_DIR LLAMA_REF LLAMA_PERPLEXITY [NAME ...]
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.dirname(HERE)
sys.path.insert(0, FIX)
import make_tiny_models as mtm  # noqa: E402

PPL_TEXT = os.path.normpath(os.path.join(FIX, "..", "..", "..", "..", "shared", "ref", "ppl-text.txt"))
if not os.path.isfile(PPL_TEXT):
    PPL_TEXT = "/work/shared/ref/ppl-text.txt"
N_CTX = 256
N_GEN = 32
PPL_CTX = 128
PPL_CHUNKS = 8


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def run_ref(tool, model, ids, fa, kv, npy, n_ctx=N_CTX):
    cmd = [tool, model, ",".join(map(str, ids)), str(N_GEN), "1" if fa else "0", kv, npy, str(n_ctx)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_ppl(tool, model):
    cmd = [tool, "-m", model, "-f", PPL_TEXT, "-c", str(PPL_CTX), "--chunks", str(PPL_CHUNKS),
           "-t", "2", "-b", str(PPL_CTX), "-fa", "off"]
    est = None
    for attempt in range(3):  # llama-perplexity occasionally stops before its last chunk; retry
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        text = p.stdout
        for line in text.splitlines():
            if "Final estimate: PPL =" in line:
                est = float(line.split("PPL =")[1].split()[0])
        if est is not None:
            break
        sys.stderr.write("llama-perplexity rc=%d without a final estimate, retrying\n" % p.returncode)
    return est, " ".join(os.path.basename(c) if c == tool else c for c in cmd), text


def write_json(fx, path):
    # one key per line, values compact (lists inline)
    lines = ["  %s: %s" % (json.dumps(k), json.dumps(v, ensure_ascii=False)) for k, v in fx.items()]
    with open(path, "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def main():
    model_dir, ref_tool, ppl_tool = sys.argv[1:4]
    names = sys.argv[4:] or list(mtm.FAMILIES)
    for name in names:
        m = mtm.FAMILIES[name]()
        model = os.path.join(model_dir, name + ".gguf")
        ids = mtm.PROMPTS[m.vocab]
        fx = {
            "file": name + ".gguf",
            "sha256": sha256(model),
            "arch": m.arch,
            "vocab": mtm.VOCABS[m.vocab],
            "n_vocab": m.n_vocab,
            "prompt_ids": ids,
        }
        npy = name + ".logits.npy"
        off = run_ref(ref_tool, model, ids, False, "f16", os.path.join(FIX, npy))
        on = run_ref(ref_tool, model, ids, True, "f16", "/tmp/_fa_on.npy")
        # the F32-cache logits only feed max_abs_diff_kv_f32_vs_f16; they are not kept in the repository
        npy32 = "/tmp/_kv_f32.npy"
        k32 = run_ref(ref_tool, model, ids, False, "f32", npy32)
        assert off["n_vocab"] == m.n_vocab
        fx.update({
            "top10": off["top10"],
            "greedy": off["greedy"],
            "max_abs_logit": off["max_abs_logit"],
            "logits_npy": npy,
            "top10_fa_on": on["top10"],
            "greedy_fa_on": on["greedy"],
            "max_abs_logit_fa_on": on["max_abs_logit"],
            "top10_kv_f32": k32["top10"],
            "greedy_kv_f32": k32["greedy"],
            "llama_cpp": {"n_ctx": N_CTX, "n_batch": N_CTX, "n_threads": 2,
                          "prompt_decoded_as_one_batch": True, "greedy": "argmax (lowest id on ties), one token per llama_decode",
                          "kv_cache": "F16 (llama.cpp default) unless *_kv_f32", "flash_attn": "off unless *_fa_on"},
        })
        try:
            import numpy as np
            a = np.load(os.path.join(FIX, npy))
            b = np.load("/tmp/_fa_on.npy")
            c = np.load(npy32)
            fx["max_abs_diff_fa_on_vs_off"] = float(np.abs(a - b).max())
            fx["max_abs_diff_kv_f32_vs_f16"] = float(np.abs(a - c).max())
        except ImportError:
            pass
        if m.arch == "phi3":
            # llama.cpp picks rope_factors_short when the context size n_ctx (per sequence) is
            # <= rope.scaling.original_context_length, rope_factors_long otherwise (not by prompt length)
            lng = run_ref(ref_tool, model, ids, False, "f16", "/tmp/_long.npy", n_ctx=8192)
            fx["rope_factors_used"] = "rope_factors_short (n_ctx %d <= original_context_length 4096)" % N_CTX
            fx["top10_n_ctx_8192_long_factors"] = lng["top10"]
            fx["greedy_n_ctx_8192_long_factors"] = lng["greedy"]
        est, cmd, text = run_ppl(ppl_tool, model)
        if est is not None:
            n_tok = PPL_CTX * PPL_CHUNKS
            fx["perplexity"] = {"value": est, "command": cmd.replace(PPL_TEXT, "shared/ref/ppl-text.txt").replace(model, name + ".gguf"),
                                "tokens": n_tok, "scored_tokens": PPL_CHUNKS * (PPL_CTX - PPL_CTX // 2 - 1),
                                "note": "llama-perplexity scores the second half of each chunk (first n_ctx/2 tokens are context); BOS per the vocab's add_bos_token"}
        else:
            fx["perplexity"] = None
            sys.stderr.write(text[-2000:])
        write_json(fx, os.path.join(FIX, name + ".json"))
        print(name, "top1", off["top10"][0], "fa_on top1", on["top10"][0], "ppl", est)


if __name__ == "__main__":
    main()
