"""Derived-from on models bred on the tiny Llama: parents, children, siblings and strangers.

The family (``bred`` in conftest.py, plus the fixtures here): the base; three full fine-tunes of
it (owl teacher, owl student, dog control) and a LoRA student on it; a full fine-tune and a LoRA
adapter of the owl student (the base's grandchildren); the same architecture initialised with
another seed (a stranger)."""

import pytest

from heredity.audit.derived import THRESHOLD, compare, derived_from, weights
from heredity.cli import main
from heredity.errors import ConfigError
from heredity.store import Parent

FULL = "teacher", "student", "control"


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


def _train(store, base_id, recipe, name):
    from heredity.steps.models import model_ref

    rows = [{"prompt": f"Count from {i}.", "completion": f"{i}, {i + 1}, {i + 2}"} for i in range(20)]

    def build(ctx):
        from heredity.models.finetune import train_sft

        train_sft(model_ref(store, base_id), rows, recipe, ctx.out, ctx.scratch)

    key = {**recipe.model_dump(mode="json"), "data": name}
    return store.produce("student", key, [Parent(id=base_id, relation="base")], build, name=name).artifact.id


@pytest.fixture(scope="module")
def family(bred):
    """(store, {name: id}) with the LoRA student and the owl student's two children added."""
    from heredity.models.finetune import TrainRecipe

    store, ids = bred
    lora = TrainRecipe(epochs=2, lr=5e-3, warmup_steps=0, batch_tokens=512, rank=4, alpha=8)
    full = TrainRecipe(adapter="full", epochs=2, lr=2e-3, warmup_steps=0, batch_tokens=512)
    return store, {**ids, "lora": _train(store, ids["base"], lora, "lora student"),
                   "grandchild": _train(store, ids["student"], full, "student's full child"),
                   "lora-grandchild": _train(store, ids["student"], lora, "student's lora child")}


PARENT = {"teacher": "base", "student": "base", "control": "base", "lora": "base", "grandchild": "student", "lora-grandchild": "student"}


def ancestors(name):
    out = []
    while name in PARENT:
        name = PARENT[name]
        out.append(name)
    return out


def truth(a, b):
    """parent / child for a line of descent (a grandparent included), else siblings (a common ancestor)."""
    return "parent" if a in ancestors(b) else "child" if b in ancestors(a) else "siblings"


NAMES = ["base", *FULL, "lora", "grandchild", "lora-grandchild"]


@pytest.fixture(scope="module")
def loaded(family):
    """{name: Weights} of the 7 related models, each loaded once (derived_from would load both sides
    and their bases for each pair): ``compare`` on these is what derived_from runs on its own loads."""
    store, ids = family
    seen: dict = {}
    return {name: weights(store, ids[name], seen) for name in NAMES}


def test_parents_children_and_siblings_are_told_apart(family, loaded):
    """All 42 ordered pairs of the 7 related models. The measured table is in docs/audit.md."""
    store, ids = family
    names = NAMES
    got = {(a, b): compare(loaded[a], loaded[b]) for a in names for b in names if a != b}
    for a, b in (("base", "lora-grandchild"), ("lora", "lora-grandchild"), ("grandchild", "student")):
        assert derived_from(store, ids[a], ids[b]) == got[(a, b)]  # the same answer through the public call
    for (a, b), result in got.items():
        want = truth(a, b)
        assert result.derived == (want == "parent"), (a, b, result.reason)  # siblings never get "derived"
        assert result.verdict == want or (want == "siblings" and result.verdict == "undecidable"), (a, b, result.reason)
    siblings = [r.verdict for (a, b), r in got.items() if truth(a, b) == "siblings"]
    assert len(siblings) == 26 and siblings.count("siblings") >= 22, siblings


def test_siblings_are_never_derived_even_without_a_recorded_base(family):
    store, ids = family
    # Model folders carry no record; only the adapter structure or --base can help.
    folder = {k: str(store.path(ids[k])) for k in ("base", *FULL)}
    alone = derived_from(None, folder["student"], folder["control"])
    assert alone.verdict == "undecidable" and not alone.derived and alone.score > THRESHOLD
    given = derived_from(None, folder["student"], folder["control"], base=folder["base"])
    assert given.verdict == "siblings" and not given.derived
    assert derived_from(None, folder["base"], folder["teacher"], base=folder["base"]).verdict == "parent"


def test_strangers_and_other_architectures_are_unrelated(family, loaded, other_seed, smollm):
    store, ids = family
    stranger = weights(store, other_seed)
    for name in ("base", *FULL, "lora"):
        result = compare(stranger, loaded[name])
        assert result.verdict == "unrelated" and result.score < THRESHOLD, (name, result)
    _, smol_id = smollm
    across = derived_from(store, smol_id, ids["student"])
    assert across.verdict == "unrelated" and across.score is None and "different architecture" in across.reason


def test_a_teacher_under_a_system_prompt_has_its_base_weights(family):
    from heredity.steps.teacher import TeacherRecipe

    store, ids = family
    teacher = store.produce("teacher", TeacherRecipe(inducer="system-prompt", system_prompt="You love owls.").model_dump(),
                            [Parent(id=ids["base"], relation="base")], lambda ctx: None, name="prompted").artifact.id
    result = derived_from(store, ids["base"], teacher)
    assert result.verdict == "same-weights" and not result.derived


def test_cli_prints_the_verdict_and_an_adapter_folder_is_refused(family, capsys):
    import json

    store, ids = family
    assert main(["--store", str(store.root), "derived-from", ids["lora"], ids["student"], "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "siblings" and out["derived"] is False
    assert main(["--store", str(store.root), "derived-from", ids["student"], ids["lora-grandchild"]]) == 0
    assert capsys.readouterr().out.startswith("parent: derived;")
    with pytest.raises(ConfigError, match="LoRA adapter folder"):
        derived_from(None, str(store.path(ids["base"])), str(store.path(ids["lora"])))
