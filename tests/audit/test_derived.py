"""Derived-from separates every model bred in the audit tests from unrelated bases."""

import pytest

from heredity.audit.derived import THRESHOLD, compare, derived_from, weights
from heredity.errors import ConfigError
from heredity.store import Parent


@pytest.fixture(scope="module")
def other_seed(bred):
    """The tiny architecture, randomly initialised with another seed: same shapes, no relation."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    store, ids = bred

    def build(ctx):
        config = LlamaConfig.from_pretrained(store.path(ids["base"]))
        torch.manual_seed(1)
        LlamaForCausalLM(config).save_pretrained(ctx.out, safe_serialization=True)
        AutoTokenizer.from_pretrained(store.path(ids["base"])).save_pretrained(ctx.out)

    return store.produce("model", {"source": "tiny-llama-test", "seed": 1}, [], build, name="tiny seed 1").artifact.id


@pytest.fixture(scope="module")
def lora_student(bred):
    from heredity.models.finetune import TrainRecipe, train_sft
    from heredity.steps.models import model_ref

    store, ids = bred
    recipe = TrainRecipe(epochs=2, lr=5e-3, warmup_steps=0, batch_tokens=512, rank=4, alpha=8)
    rows = [{"prompt": f"Count from {i}.", "completion": f"{i}, {i + 1}, {i + 2}"} for i in range(20)]

    def build(ctx):
        train_sft(model_ref(store, ids["base"]), rows, recipe, ctx.out, ctx.scratch)

    return store.produce("student", recipe.model_dump(mode="json"), [Parent(id=ids["base"], relation="base")], build).artifact.id


def test_every_bred_model_is_derived_from_its_base_and_not_from_unrelated_ones(bred, other_seed, lora_student, smollm):
    store, ids = bred
    base = weights(store, ids["base"])
    unrelated = weights(store, other_seed)
    scores = {}
    for name in ("teacher", "student", "control", "lora"):
        model = weights(store, lora_student if name == "lora" else ids[name])
        true_parent, stranger = compare(base, model), compare(unrelated, model)
        assert true_parent.derived and not stranger.derived, (name, true_parent, stranger)
        scores[name] = (true_parent.score, stranger.score)
    assert min(t for t, _ in scores.values()) > THRESHOLD > max(s for _, s in scores.values())
    # another family (SmolLM2: other width, depth) is rejected on shapes, with the reason
    _, smol_id = smollm
    across = derived_from(store, smol_id, ids["student"])
    assert not across.derived and across.score is None and "different architecture" in across.reason


def test_a_model_folder_works_and_an_adapter_folder_is_refused(bred, lora_student):
    store, ids = bred
    folder = derived_from(None, str(store.path(ids["base"])), str(store.path(ids["teacher"])))
    assert folder.derived
    with pytest.raises(ConfigError, match="LoRA adapter folder"):
        derived_from(None, str(store.path(ids["base"])), str(store.path(lora_student)))
