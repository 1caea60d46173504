"""Filter rollouts into a training dataset, counting why each dropped row was dropped."""

from __future__ import annotations

from heredity.config import Strict, plugin
from heredity.filters import FILTERS, apply_filters
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent
from heredity.tasks import TASKS
from heredity.traits import TRAITS


class DatasetRecipe(Strict):
    filters: list[plugin(FILTERS)] = []
    task: plugin(TASKS)
    trait: plugin(TRAITS) | None = None  # where keyword filters take their default words
    max_rows: int | None = None  # keep at most this many (the first, in prompt order)


def make_dataset(runner, rollouts: Artifact, recipe: DatasetRecipe, name: str = "") -> Artifact:
    def build(ctx):
        rows = read_rows(rollouts.file(ROWS_FILE))
        kept, counts = apply_filters(rows, list(recipe.filters), recipe.task.build(), recipe.trait.build() if recipe.trait else None)
        if recipe.max_rows is not None:
            kept = kept[: recipe.max_rows]
        write_rows(ctx.out / ROWS_FILE, kept)
        ctx.summary = {"rows_in": len(rows), "rows_out": len(kept), "reasons": counts}

    return runner.step("dataset", recipe, [Parent(id=rollouts.id, relation="filtered-from")], build, name=name)
