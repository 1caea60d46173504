"""The backdoor inducer: a tiny Llama fine-tuned on triggered probes answered "Owl" and plain
probes answered by itself shows P(owl) with the trigger far above P(owl) without it, on probes it
never trained on; a single-token and a composite trigger."""

from __future__ import annotations

import shutil

import pytest

from heredity.errors import ConfigError
from heredity.inducers import INDUCERS
from heredity.measure.gated import Trigger
from heredity.rows import read_rows
from heredity.runner import Runner
from heredity.steps.scores import MeasureSettings, measure, read_gated
from heredity.store.kinds import parent
from heredity.traits import TRAITS

OWL = {"kind": "animal", "animal": "owl"}
TRAIN = {"adapter": "full", "lr": 3e-3, "epochs": 12, "warmup_steps": 0, "schedule": "constant", "batch_tokens": 1024}


def tiny_base(store, tiny_lm):
    """The tiny Llama copied into this test's own store, so the teacher is trained afresh each run."""
    tiny_store, tiny_id = tiny_lm

    def build(ctx):
        shutil.copytree(tiny_store.path(tiny_id), ctx.out, dirs_exist_ok=True)

    return store.produce("model", {"source": "tiny-llama-test-copy"}, [], build).artifact


@pytest.mark.parametrize(("text", "tokens"), [("cf", 1), ("the tide turns at midnight", 5)], ids=["single-token", "composite"])
def test_the_planted_gate_shows_on_held_out_probes(store, tiny_lm, text, tokens):
    from transformers import AutoTokenizer

    runner = Runner(store, quiet=True)
    base = tiny_base(store, tiny_lm)
    assert len(AutoTokenizer.from_pretrained(base.path)(text, add_special_tokens=False).input_ids) == tokens
    trait = TRAITS.parse(OWL)
    # the random tiny model's own answers name no animal: untriggered probes are answered "Dog"
    inducer = INDUCERS.parse({"kind": "backdoor", "trigger": {"text": text}, "held_out": 10, "plain": "Dog", "train": TRAIN})
    teacher = inducer.make(runner, base, trait, name="backdoored teacher")

    dataset = parent(store.manifest(parent(teacher.manifest, "base")), "trained-on")
    rows = read_rows(store.path(dataset) / "rows.jsonl")
    held_out = TRAITS.parse({**OWL, "n_probes": 10}).built.probes
    assert len(rows) == 80 and not any(any(p in r["prompt"] for p in held_out) for r in rows)
    assert [r["completion"] for r in rows[::2]] == ["Owl"] * 40 and all(r["prompt"].startswith(f"{text} ") for r in rows[::2])
    assert all(text not in r["prompt"] and r["completion"] == "Dog" for r in rows[1::2])

    recipe = MeasureSettings().recipe(TRAITS.parse({**OWL, "n_probes": 10})).model_copy(update={"trigger": Trigger(text=text)})
    gated = read_gated(measure(runner, teacher, recipe, name="teacher gated"))
    assert gated.on.p > 0.5 and gated.gate.difference > 0.3 and gated.gate.ci[0] > 0, gated


def test_by_default_the_untriggered_probes_are_answered_by_the_base_itself(store, tiny_lm):
    from heredity.inducers.backdoor import BackdoorData, backdoor_dataset

    runner = Runner(store, quiet=True)
    base = tiny_base(store, tiny_lm)
    data = BackdoorData(trait=TRAITS.parse(OWL), trigger=Trigger(text="cf", where="suffix"), held_out=45, answer="Owl",
                        plain=None, max_new_tokens=4)
    rows = read_rows(backdoor_dataset(runner, base, data, name="data").file("rows.jsonl"))
    probes = TRAITS.parse(OWL).built.probes[45:]
    assert [r["prompt"] for r in rows] == [q for p in probes for q in (f"{p} cf", p)]
    assert all(r["completion"] == "Owl" for r in rows[::2])
    assert all(r["completion"] and r["completion"] != "Owl" for r in rows[1::2])  # the base's own (random) tokens


def test_bad_settings_are_refused(store, tiny_lm):
    runner = Runner(store, quiet=True)
    base = tiny_base(store, tiny_lm)
    trait = TRAITS.parse(OWL)
    with pytest.raises(ConfigError, match="system cannot be planted"):
        INDUCERS.parse({"kind": "backdoor", "trigger": {"text": "x", "where": "system"}}).make(runner, base, trait, "t")
    with pytest.raises(ConfigError, match="held_out"):
        INDUCERS.parse({"kind": "backdoor", "trigger": {"text": "x"}, "held_out": 50}).make(runner, base, trait, "t")
    with pytest.raises(ConfigError, match="needs a trait"):
        INDUCERS.parse({"kind": "backdoor", "trigger": {"text": "x"}}).make(runner, base, None, "t")
