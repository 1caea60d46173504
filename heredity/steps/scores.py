"""Measure a trait on a model (or a system-prompted teacher): a score with its interval."""

from __future__ import annotations

import json

from pydantic import Field, field_validator

from heredity.config import Strict, plugin
from heredity.measure import Score
from heredity.store import Artifact, Parent, write_json
from heredity.traits import TRAITS


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
    trait: plugin(TRAITS)
    batch_size: int = 32


def measure(runner, subject: Artifact, recipe: ScoresRecipe, name: str = "") -> Artifact:
    """``subject`` is a model artifact, or a teacher artifact (measured with its system prompt)."""

    def build(ctx):
        from heredity.measure import ESTIMATORS
        from heredity.steps.models import load_artifact
        from heredity.steps.teacher import generator

        model_id, system = generator(subject)
        model, tokenizer = load_artifact(runner.store, model_id)
        score = ESTIMATORS.get(recipe.estimator)(model, tokenizer, recipe.trait.built, recipe, system)
        write_json(ctx.out / "scores.json", score.model_dump(mode="json"))
        ctx.summary = {"p": score.p, "ci": list(score.ci), "n": score.n}

    return runner.step("scores", recipe, [Parent(id=subject.id, relation="evaluated")], build, name=name)


def read_score(artifact: Artifact) -> Score:
    return Score.model_validate(json.loads(artifact.file("scores.json").read_text()))
