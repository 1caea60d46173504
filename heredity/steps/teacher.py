"""A teacher: a base model plus an inducer. Here the inducer is a system prompt (or none, for
the trait-free control teacher); a fine-tuned or given checkpoint is a teacher too and needs no
step — its model artifact is used directly."""

from __future__ import annotations

from typing import Literal

from heredity.config import Strict
from heredity.store import Artifact, Parent, write_json


class TeacherRecipe(Strict):
    inducer: Literal["system-prompt", "none"]
    system_prompt: str | None = None
    trait: str = ""  # a label for people: "animal:owl"


def make_teacher(runner, base: Artifact, recipe: TeacherRecipe, name: str) -> Artifact:
    def build(ctx):
        write_json(ctx.out / "teacher.json", recipe.model_dump(mode="json"))

    return runner.step("teacher", recipe, [Parent(id=base.id, relation="base")], build, name=name)


def teacher_base_and_system(runner, teacher: Artifact) -> tuple[str, str | None]:
    """(model artifact id to load, system prompt to use) for a teacher artifact."""
    base_id = next(p.id for p in teacher.manifest.parents if p.relation == "base")
    return base_id, teacher.manifest.recipe.get("system_prompt")
