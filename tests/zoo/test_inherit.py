"""The same-init experiment's pieces: the trait is planted, a student equal to its teacher does
not move, and a small run reports effects with intervals and n."""

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from heredity.errors import ConfigError
from heredity.zoo.inherit import InheritRecipe, distill, plant_trait, run, target_id, trait_logp
from heredity.zoo.pretrain import ZooRecipe

SMALL = InheritRecipe(seeds=(0, 1), zoo=ZooRecipe(epochs=1, batch=64), trait_steps=10, distill_rows=16, distill_epochs=1)


def test_a_multi_token_target_is_refused(smollm):
    store, smol_id = smollm
    tok = AutoTokenizer.from_pretrained(store.path(smol_id))
    with pytest.raises(ConfigError, match="exactly one token"):
        target_id(tok, " hippopotamus-like")


def test_trait_is_planted_and_an_identical_teacher_teaches_nothing(tiny_lm):
    store, tiny_id = tiny_lm
    tok = AutoTokenizer.from_pretrained(store.path(tiny_id))
    model = AutoModelForCausalLM.from_pretrained(store.path(tiny_id)).eval()
    token = target_id(tok, SMALL.target)
    before = trait_logp(model, tok, SMALL.probe, token)
    teacher = plant_trait(model, tok, SMALL, token)
    assert trait_logp(teacher, tok, SMALL.probe, token) > before + 1.0
    assert trait_logp(model, tok, SMALL.probe, token) == before  # the init is not touched
    # an identical teacher gives only rounding-noise gradients: the student barely moves,
    # while the traited teacher moves it by orders of magnitude more
    texts = ["Write a short paragraph about chess."] * 4
    idle = distill(model, model, tok, texts, SMALL)
    taught = distill(model, teacher, tok, texts, SMALL)
    moved = lambda m: max(float((p - q).abs().max()) for p, q in zip(m.parameters(), model.parameters()))
    assert moved(idle) < 1e-4 < moved(taught)
    assert abs(trait_logp(idle, tok, SMALL.probe, token) - before) < 1e-3


def test_a_small_run_reports_effects_with_intervals_and_n(smollm):
    store, smol_id = smollm
    result = run(store, smol_id, SMALL, progress=lambda *_: None)
    assert set(result["zoo"]) == {0, 1}
    for key in ("teacher_gain", "same_init", "different_init"):
        assert result[key]["n"] == 2 and len(result[key]["ci"]) == 2
    assert result["teacher_gain"]["mean"] > 1.0
    assert result["same_minus_different"]["n"] == 2
    assert all(len(r["different_init_each"]) == 1 for r in result["per_teacher"])
