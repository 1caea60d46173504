"""SFT students on real (tiny and small) models: masking, packing, learning, artifacts, resume."""

import pytest
import torch
from safetensors.torch import load_file

from heredity.models.finetune import TrainRecipe, completion_logits, load_student, train_sft
from heredity.models.packing import encode, pack
from heredity.models.varlen import varlen
from heredity.steps.models import load_artifact, model_ref
from heredity.store import Parent

ROWS = [
    {"prompt": f"Continue: {a}, {a + 7}, {a + 14}.", "completion": f"{a + 21}, {a + 28}, {a + 35}"}
    for a in range(100, 900, 97)
]


def _sft(store, base_id, recipe, rows=ROWS, **kwargs):
    stats = {}

    def build(ctx):
        stats.update(train_sft(model_ref(store, base_id), rows, recipe, ctx.out, ctx.scratch, **kwargs))

    artifact = store.produce("student", recipe.model_dump(mode="json"), [Parent(id=base_id, relation="base")], build).artifact
    return artifact, stats


def _completion_logprob(model, tokenizer, row):
    ex = encode(tokenizer, row["prompt"], row["completion"])
    p = pack([ex])
    with torch.no_grad(), varlen(model):
        logits = completion_logits(model, p)
    return float(logits.log_softmax(-1).gather(1, p.targets[:, None]).sum())


def test_only_completion_tokens_are_scored(tiny_lm):
    store, base_id = tiny_lm
    _, tokenizer = load_artifact(store, base_id)
    ex = encode(tokenizer, "Say three numbers.", "1, 2, 3")
    p = pack([ex, ex])
    positions = p.keep[0].nonzero().flatten().tolist()
    # each scored position predicts the next input token, and that token is a completion token
    assert [int(p.input_ids[0, i + 1]) for i in positions] == p.targets.tolist() == ex.completion * 2
    assert ex.completion[-1] == tokenizer.eos_token_id
    assert len(positions) == 2 * len(ex.completion)  # no prompt position is scored
    assert tokenizer.decode(ex.prompt).endswith("assistant\n")


def test_packing_matches_unpacked_logits(tiny_lm):
    store, base_id = tiny_lm
    model, tokenizer = load_student(model_ref(store, base_id), TrainRecipe())
    examples = [encode(tokenizer, r["prompt"], r["completion"]) for r in ROWS[:4]]
    with torch.no_grad(), varlen(model):
        packed = completion_logits(model, pack(examples))
        alone = torch.cat([completion_logits(model, pack([ex])) for ex in examples])
    torch.testing.assert_close(packed, alone, rtol=1e-5, atol=1e-5)


def test_lora_sft_lowers_loss_and_saves_only_the_adapter(tiny_here):
    store, base_id = tiny_here
    recipe = TrainRecipe(epochs=8, lr=3e-3, warmup_steps=0, batch_tokens=256, rank=4, alpha=8)
    before_model, tokenizer = load_artifact(store, base_id)
    before = _completion_logprob(before_model, tokenizer, ROWS[0])
    artifact, stats = _sft(store, base_id, recipe)
    assert stats["loss_last"] < stats["loss_first"]
    files = set(artifact.manifest.files)
    assert {"adapter_model.safetensors", "adapter_config.json"} <= files
    assert not any(f.endswith((".bin", ".pt", ".pkl")) or f == "model.safetensors" for f in files)
    assert all("lora_" in k for k in load_file(artifact.file("adapter_model.safetensors")))
    student, _ = load_artifact(store, artifact.id)  # the adapter over its base parent
    assert _completion_logprob(student, tokenizer, ROWS[0]) > before + 1.0


def test_full_finetune_saves_a_full_model(tiny_here):
    store, base_id = tiny_here
    artifact, stats = _sft(store, base_id, TrainRecipe(adapter="full", lr=1e-3, warmup_steps=0, rows=4))
    assert "model.safetensors" in artifact.manifest.files and "adapter_config.json" not in artifact.manifest.files
    student, _ = load_artifact(store, artifact.id)
    base, _ = load_artifact(store, base_id)
    assert not torch.equal(student.lm_head.weight, base.lm_head.weight)


class Interrupt(Exception):
    pass


def test_resume_after_interrupt_gives_identical_weights(tiny_here):
    store, base_id = tiny_here
    recipe = TrainRecipe(epochs=3, lr=1e-3, warmup_steps=2, batch_tokens=200, seed=3)
    done = []

    def killer(n=1, **_):
        done.append(n)
        if len(done) == 5:
            raise Interrupt

    with pytest.raises(Interrupt):  # killed after step 5; the last checkpoint is at step 4
        _sft(store, base_id, recipe, progress=killer, checkpoint_every=2)
    resumed, stats = _sft(store, base_id, recipe, checkpoint_every=2)
    assert stats["resumed_at_step"] == 4
    straight, other_stats = _sft(_fresh_store_with(store, base_id), base_id, recipe)
    assert other_stats["resumed_at_step"] == 0
    a = load_file(resumed.file("adapter_model.safetensors"))
    b = load_file(straight.file("adapter_model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _fresh_store_with(store, model_id):
    """A second store holding only the same base model, so the same recipe builds afresh."""
    from heredity.store import Store

    other = Store(store.root.parent / "second-store")
    other.copy_from(store, model_id)  # with the digest the first store recorded (a copied folder alone is refused)
    return other


def test_precision_auto_is_resolved_when_built_and_recorded(tiny_here):
    from heredity.hardware import resolve_train_precision

    store, base_id = tiny_here
    recipe = TrainRecipe(epochs=1, lr=1e-2, warmup_steps=0, batch_tokens=256, rows=4, precision="auto")
    artifact, stats = _sft(store, base_id, recipe)
    chosen = resolve_train_precision("auto", "lora")  # this machine's answer (heredity.hardware)
    assert stats["precision"] == chosen  # the student step stores these statistics as the artifact's summary
    assert artifact.manifest.recipe["precision"] == "auto"  # the id is of what was asked for


def test_training_tells_the_progress_bar_its_total_first(tiny_lm, tmp_path):
    """The bar shows n/N and an ETA from the first step (it showed 4/?)."""
    store, tiny_id = tiny_lm
    calls = []
    (tmp_path / "out").mkdir()
    (tmp_path / "scratch").mkdir()
    stats = train_sft(model_ref(store, tiny_id), ROWS, TrainRecipe(epochs=2, lr=1e-3, warmup_steps=0, batch_tokens=64),
                      tmp_path / "out", tmp_path / "scratch", progress=lambda n=1, **fields: calls.append((n, fields)))
    assert calls[0] == (0, {"total": stats["steps"]}) and stats["steps"] > 1
    assert sum(n for n, _ in calls) == stats["steps"]
