#!/usr/bin/env python3
"""Checkpoint folders with a real-size BPE tokenizer.json for the HF->GGUF converter tests, and what llama.cpp's
convert_hf_to_gguf.py makes of them.

  make_bpe_folders.py folders QWEN2_TOKENIZER_DIR SMOLLM_TOKENIZER_DIR DEST
      (standard library only) writes DEST/qwen2-bpe/ and DEST/llama-bpe/:
      qwen2-bpe = the committed tiny checkpoint qwen2/ (config.json, model.safetensors) with config.json's
                  vocab_size set to 151936 and bos_token_id 151643 / eos_token_id 151645 added (Qwen2.5's own
                  config.json values: Qwen2.5's tokenizer_config.json has bos_token null, so the converter takes
                  the BOS id from config.json), plus the Qwen2.5 tokenizer.json / tokenizer_config.json;
      llama-bpe = the committed llama/ checkpoint (config.json, model.safetensors; not its SentencePiece files)
                  with vocab_size 49152, plus the SmolLM2 tokenizer files.
      The embedding matrices keep their 320 rows; the converter only asserts max token id < vocab_size.

  make_bpe_folders.py reference DEST CONVERTER_DIR OUT_DIR
      (converter environment) converts DEST/qwen2-bpe and DEST/llama-bpe with CONVERTER_DIR/convert_hf_to_gguf.py
      --outtype f32 and writes OUT_DIR/qwen2-bpe.f32.json and OUT_DIR/llama-bpe.f32.json with make_tiny_hf.py's
      digests() (tensor sha256s and all metadata, arrays as sha256 of their elements).

The tokenizer dirs come from scripts/bpe-tokenizer-from-gguf.py run on the cached GGUF files:
qwen2.5-coder-0.5b-instruct-q4_k_m.gguf (pre qwen2) and SmolLM2-135M-Instruct.Q4_1.gguf (pre smollm).
The committed qwen2-bpe.f32.json and llama-bpe.f32.json were made with OUT_DIR = Tests/Fixtures/hfconvert, the
converter of llama-cpp-python 0.3.36's vendored llama.cpp (its gguf-py on sys.path), torch 2.13.0 CPU,
transformers 4.57.6, tokenizers 0.22.2, numpy 2.2.6, sentencepiece 0.2.3, protobuf 4.25.9.
"""
import json, shutil, subprocess, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

FOLDERS = {
    # name: (committed checkpoint, tokenizer argument index, config.json changes)
    "qwen2-bpe": ("qwen2", 0, {"vocab_size": 151936, "bos_token_id": 151643, "eos_token_id": 151645}),
    "llama-bpe": ("llama", 1, {"vocab_size": 49152}),
}


def folders(tok_dirs, dest: Path):
    for name, (src, ti, changes) in FOLDERS.items():
        d = dest / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        config = json.loads((HERE / src / "config.json").read_text())
        config.update(changes)
        (d / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        shutil.copyfile(HERE / src / "model.safetensors", d / "model.safetensors")
        for f in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copyfile(Path(tok_dirs[ti]) / f, d / f)
        print("made", d)


def reference(dest: Path, converter: Path, out: Path):
    sys.path.insert(0, str(HERE))
    from make_tiny_hf import digests
    for name in FOLDERS:
        g = out / f"{name}.f32.gguf"
        subprocess.run([sys.executable, str(converter / "convert_hf_to_gguf.py"), str(dest / name), "--outtype", "f32",
                        "--outfile", str(g)], check=True, stdout=subprocess.DEVNULL)
        with open(out / f"{name}.f32.json", "w") as f:
            json.dump(digests(g, converter), f, indent=1, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
        g.unlink()
        print("wrote", out / f"{name}.f32.json")


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "folders":
        folders(a[1:3], Path(a[3]))
    elif len(a) == 4 and a[0] == "reference":
        reference(Path(a[1]), Path(a[2]), Path(a[3]))
    else:
        sys.exit(__doc__.split("\n\n")[1] + "\n\n" + __doc__.split("\n\n")[2])


if __name__ == "__main__":
    main()
