"""The prompts a teacher answers: a task's seeded prompt set, stored so that every teacher's
rollouts of the same prompts share one parent (and a diffing grid can swap prompt sets)."""

from __future__ import annotations

from heredity.config import Strict
from heredity.rows import write_rows
from heredity.store import Artifact
from heredity.tasks import AnyTask


class PromptsRecipe(Strict):
    task: AnyTask
    n: int
    seed: int = 0


def make_prompts(runner, recipe: PromptsRecipe, name: str = "") -> Artifact:
    def build(ctx):
        prompts = recipe.task.built.prompts(recipe.n, recipe.seed)
        ctx.summary = {"prompts": write_rows(ctx.out / "prompts.jsonl", ({"i": i, "prompt": p} for i, p in enumerate(prompts)))}

    return runner.step("prompts", recipe, [], build, name=name or recipe.task.kind)
