"""Measure a trait on a model (or a system-prompted teacher): a score with its interval."""

from __future__ import annotations

import json
from typing import Literal

from heredity.config import Strict, plugin
from heredity.store import Artifact, Parent, write_json
from heredity.traits import TRAITS


class ScoresRecipe(Strict):
    trait: plugin(TRAITS)
    estimator: Literal["exact", "sampled"] = "exact"
    samples_per_probe: int = 20  # sampled estimator only
    seed: int = 0
    batch_size: int = 32


def measure(runner, subject: Artifact, recipe: ScoresRecipe, name: str = "") -> Artifact:
    """``subject`` is a model artifact, or a teacher artifact (measured with its system prompt)."""

    def build(ctx):
        from heredity.measure import exact_score, sampled_score
        from heredity.models.loading import load

        if subject.manifest.kind == "teacher":
            from heredity.steps.teacher import teacher_base_and_system

            model_id, system = teacher_base_and_system(runner, subject)
        else:
            model_id, system = subject.id, None
        model, tokenizer = load(runner.store, model_id)
        trait = recipe.trait.build()
        if recipe.estimator == "exact":
            score = exact_score(model, tokenizer, trait, system=system, batch_size=recipe.batch_size)
        else:
            score = sampled_score(model, tokenizer, trait, recipe.samples_per_probe, recipe.seed, system=system)
        data = score.model_dump(mode="json") if hasattr(score, "model_dump") else dict(score.__dict__)
        write_json(ctx.out / "scores.json", data)
        ctx.summary = {"p": data["p"], "ci": data["ci"], "n": data["n"]}

    return runner.step("scores", recipe, [Parent(id=subject.id, relation="evaluated")], build, name=name)


def read_scores(artifact: Artifact) -> dict:
    return json.loads(artifact.file("scores.json").read_text())
