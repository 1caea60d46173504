"""Rows composed from two teachers' rollouts of the same prompts: the interventions of
post-training diffing (``heredity.diffing.patching``): swap a subset to teacher B, drop a
subset, teacher patching at a fraction, or the plain mixture. The result is a rollouts artifact
with both sources as parents, so a student trained on it descends from both teachers. ``drop``
needs no second source; the artifact that chose its subset (a screen) can be named as a parent
(``selected-by``), so the lineage says why those rows are missing."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from heredity.config import Strict, implicit_defaults
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent


class PatchRecipe(Strict):
    op: Literal["swap", "drop", "patch", "mixture"] = Field(description="swap/drop ``subset``; patch/mixture at ``alpha``")
    subset: list[int] = Field([], description="row ids (``i``) to swap to B or drop")
    alpha: float = Field(0.0, ge=0, le=1, description="patch: fraction of prompts answered by B; mixture: fraction of rows from B")
    seed: int = Field(0, description="which random fraction (patch, mixture), which copies (drop with refill)")
    refill: bool = Field(False, description="drop: replace each dropped row by a copy of a kept one, so the size (and the "
                                            "student's steps) stay")

    _refill_is_implicit = implicit_defaults(refill=False)  # patch ids from before refill stay

    @model_validator(mode="after")
    def _refill_only_drops(self):
        if self.refill and self.op != "drop":
            raise ValueError(f"refill applies to op 'drop' only (got op {self.op!r})")
        return self


def make_patched(runner, a: Artifact, b: Artifact | None, recipe: PatchRecipe, name: str = "",
                 selected_by: Artifact | None = None) -> Artifact:
    """``a``: pipeline A's rollouts (the teacher being diffed); ``b``: the other teacher's (None
    for ``drop``); ``selected_by``: what chose ``subset``, kept in the lineage."""
    if b is None and recipe.op != "drop":
        raise ValueError(f"patch op {recipe.op!r} needs the other teacher's rollouts (b)")

    def build(ctx):
        from heredity.diffing import patching

        rows_a, rows_b = read_rows(a.file(ROWS_FILE)), read_rows(b.file(ROWS_FILE)) if b is not None else []
        if recipe.op == "swap":
            rows = patching.swap(rows_a, rows_b, set(recipe.subset))
        elif recipe.op == "drop":
            rows = patching.drop(rows_a, set(recipe.subset), refill_seed=recipe.seed if recipe.refill else None)
        elif recipe.op == "patch":
            rows, _ = patching.teacher_patch(rows_a, rows_b, recipe.alpha, recipe.seed)
        else:
            rows = patching.mixture(rows_a, rows_b, recipe.alpha, recipe.seed)
        write_rows(ctx.out / ROWS_FILE, rows)
        ctx.summary = {"rows": len(rows), "op": recipe.op, "subset": len(recipe.subset), "alpha": recipe.alpha, "refill": recipe.refill}

    parents = [Parent(id=x.id, relation="generated-from") for x in (a, b) if x is not None]
    parents += [Parent(id=selected_by.id, relation="selected-by")] if selected_by is not None else []
    return runner.step("rollouts", recipe, parents, build, name=name, seed=recipe.seed)
