"""A teacher: a model that generates, plus the system prompt it generates with (or none).

Inducers (``heredity.inducers``) decide which model and which prompt; this step only records
them. The teacher artifact's ``base`` parent is the model that generates; its recipe holds the
system prompt, and its summary says how the trait was induced (what exports show).
"""

from __future__ import annotations

from heredity.config import Strict
from heredity.errors import StoreError
from heredity.store import Artifact, Parent, write_json
from heredity.store.kinds import parent
from heredity.store.manifest import Manifest


class TeacherRecipe(Strict):
    inducer: str  # the inducer kind: system-prompt, none, finetune, checkpoint, ...
    system_prompt: str | None = None
    trait: str = ""  # a label for people: "animal:owl"


def make_teacher(runner, model: Artifact, recipe: TeacherRecipe, name: str, detail: str = "") -> Artifact:
    """``model`` is the model that will generate: a base, a fine-tuned inducer, a checkpoint."""

    def build(ctx):
        write_json(ctx.out / "teacher.json", recipe.model_dump(mode="json"))
        # What exports show about how the trait was induced (store/exports/pedigree.py reads it).
        ctx.summary = {"inducer": recipe.inducer, "system_prompt": recipe.system_prompt, "trait": recipe.trait, "detail": detail}

    return runner.step("teacher", recipe, [Parent(id=model.id, relation="base")], build, name=name)


def teacher_of(manifest: Manifest) -> TeacherRecipe | None:
    """A teacher artifact's recipe, typed (its inducer, system prompt and trait label); None for a
    plain model. The one reader of what ``make_teacher`` wrote."""
    if manifest.kind != "teacher":
        return None
    return TeacherRecipe.model_validate(manifest.recipe)


def generator(artifact: Artifact) -> tuple[str, str | None]:
    """(model artifact id to load, system prompt to use) for a teacher or a plain model."""
    teacher = teacher_of(artifact.manifest)
    if teacher is None:
        return artifact.id, None
    base = parent(artifact.manifest, "base")
    if base is None:
        raise StoreError(f"teacher {artifact.id} has no base parent: its manifest names no model to load")
    return base, teacher.system_prompt
