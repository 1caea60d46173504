"""The SmolLM2 tokenizer the estimator tests run the bigram toy (tests/measure/bigram.py) on."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def tokenizer(smollm):
    from transformers import AutoTokenizer

    store, base_id = smollm
    return AutoTokenizer.from_pretrained(store.path(base_id))
