"""Measure a trait on a model (or a system-prompted teacher): a score with its interval."""

from __future__ import annotations

import json

from pydantic import Field, field_validator

from heredity.config import Strict, implicit_defaults
from heredity.errors import ConfigError
from heredity.measure import Score
from heredity.measure.gated import GatedScore, Trigger
from heredity.store import Artifact, Parent, write_json
from heredity.traits import AnyTrait


class MeasureSettings(Strict):
    """How a trait is measured: an experiment file's ``measure`` block and the scores recipe share
    these fields (defined once, here)."""

    estimator: str = Field("exact", description="a registered estimator (heredity.measure.ESTIMATORS): exact, sampled, ...")
    samples_per_probe: int = Field(20, ge=1, description="sampled estimator only: answers per probe")
    seed: int = Field(0, description="sampling seed of the sampled estimator")

    @field_validator("estimator")
    @classmethod
    def _registered(cls, name: str) -> str:
        from heredity.measure import ESTIMATORS

        return ESTIMATORS.require(name)

    def recipe(self, trait) -> ScoresRecipe:
        return ScoresRecipe(trait=trait, **self.model_dump(include=set(MeasureSettings.model_fields)))


class ScoresRecipe(MeasureSettings):
    trait: AnyTrait
    batch_size: int = 32
    trigger: Trigger | None = Field(None, description="measure every probe with and without this trigger, and the gate "
                                    "(heredity.measure.gated); the artifact then holds gated.json")

    _no_trigger_is_implicit = implicit_defaults(trigger=None)  # ids from before triggers stay


def measure(runner, subject: Artifact, recipe: ScoresRecipe, name: str = "") -> Artifact:
    """``subject`` is a model artifact, or a teacher artifact (measured with its system prompt)."""

    def build(ctx):
        from heredity.measure import ESTIMATORS
        from heredity.steps.models import load_artifact
        from heredity.steps.teacher import generator

        model_id, system = generator(subject)
        model, tokenizer = load_artifact(runner.store, model_id)
        estimator = ESTIMATORS.get(recipe.estimator)
        if recipe.trigger is not None:
            from heredity.measure.gated import gated_score

            gated = gated_score(estimator, model, tokenizer, recipe.trait.built, recipe, recipe.trigger, system)
            write_json(ctx.out / "gated.json", gated.model_dump(mode="json"))
            ctx.summary = {"trigger": gated.trigger, "where": gated.where, "n": gated.gate.n,
                           **{k: {"p": s.p, "ci": list(s.ci)} for k, s in (("on", gated.on), ("off", gated.off))},
                           "gate": {"difference": gated.gate.difference, "ci": list(gated.gate.ci), "p": gated.gate.p_value}}
            return
        score = estimator(model, tokenizer, recipe.trait.built, recipe, system)
        write_json(ctx.out / "scores.json", score.model_dump(mode="json"))
        ctx.summary = {"p": score.p, "ci": list(score.ci), "n": score.n}

    return runner.step("scores", recipe, [Parent(id=subject.id, relation="evaluated")], build, name=name)


def read_score(artifact: Artifact) -> Score:
    if not artifact.path.joinpath("scores.json").exists() and artifact.path.joinpath("gated.json").exists():
        raise ConfigError(f"scores artifact {artifact.id} was measured with a trigger: it holds gated.json "
                          "(with and without the trigger, and the gate), read it with read_gated")
    return Score.model_validate(json.loads(artifact.file("scores.json").read_text()))


def read_gated(artifact: Artifact) -> GatedScore:
    """The trigger-gated measurement of a scores artifact whose recipe has a ``trigger``."""
    if not artifact.path.joinpath("gated.json").exists():
        raise ConfigError(f"scores artifact {artifact.id} was measured without a trigger: it holds scores.json, "
                          "read it with read_score")
    return GatedScore.model_validate(json.loads(artifact.file("gated.json").read_text()))
