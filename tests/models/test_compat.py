"""Logit distillation across tokenizers is refused, with the reason; same tokenizer passes."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from heredity.errors import ConfigError
from heredity.models.compat import check_same_tokenizer


def test_same_tokenizer_passes(tiny_lm, smollm):
    store, tiny_id = tiny_lm
    _, smol_id = smollm
    # the tiny zoo-style Llama reuses SmolLM2's tokenizer: distillation between them is allowed
    check_same_tokenizer(AutoTokenizer.from_pretrained(store.path(smol_id)), AutoTokenizer.from_pretrained(store.path(tiny_id)))


@pytest.mark.slow
def test_smollm2_and_gemma_tokenizers_are_refused_with_the_reason(smollm, gemma):
    store, smol_id = smollm
    _, gemma_id = gemma
    smol = AutoTokenizer.from_pretrained(store.path(smol_id))
    gem = AutoTokenizer.from_pretrained(store.path(gemma_id))
    for teacher, student in ((smol, gem), (gem, smol)):
        with pytest.raises(ConfigError) as err:
            check_same_tokenizer(teacher, student)
        message = str(err.value)
        assert "49152 tokens" in message and "262144 tokens" in message
        assert "no common support" in message and "mode: sft" in message


def test_a_tokenizer_with_one_token_renumbered_is_refused(smollm, tmp_path):
    import json

    store, smol_id = smollm
    folder = tmp_path / "tok"
    AutoTokenizer.from_pretrained(store.path(smol_id)).save_pretrained(folder)
    data = json.loads((folder / "tokenizer.json").read_text())
    vocab = data["model"]["vocab"]
    a, b = "hello", "world"
    vocab[a], vocab[b] = vocab[b], vocab[a]  # same strings, two ids swapped
    (folder / "tokenizer.json").write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="49150 of them with the same id"):
        check_same_tokenizer(AutoTokenizer.from_pretrained(store.path(smol_id)), AutoTokenizer.from_pretrained(folder))
