"""Filter rollouts into a training dataset, counting why each dropped row was dropped.

A filter that reads an artifact (the ``screen`` filter: ``FilterConfig.inputs``) gets it from the
run's store, and it becomes a ``selected-by`` parent of the dataset: the lineage shows what chose
the rows that are missing."""

from __future__ import annotations

from heredity.config import Strict
from heredity.errors import ConfigError, StoreError
from heredity.filters import AnyFilter, apply_filters
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent
from heredity.tasks import AnyTask
from heredity.traits import AnyTrait


class DatasetRecipe(Strict):
    filters: list[AnyFilter] = []
    task: AnyTask
    trait: AnyTrait | None = None  # where keyword filters take their default words
    max_rows: int | None = None  # keep at most this many (the first, in prompt order)


def filter_inputs(store, recipe: DatasetRecipe) -> dict[str, Artifact]:
    """The artifacts the recipe's filters read, opened (and checked) in ``store``, by reference."""
    opened: dict[str, Artifact] = {}
    for k, config in enumerate(recipe.filters):
        for reference, kind in config.inputs().items():
            try:
                found = store.resolve(reference)
            except StoreError as exc:
                raise ConfigError(f"filters.{k}: {config.kind}: {exc}") from None
            artifact = store.open(found)
            if artifact.manifest.kind != kind:
                raise ConfigError(f"filters.{k}: {config.kind}: {reference} is a {artifact.manifest.kind} artifact in store "
                                  f"{store.root}; accepted: a {kind} artifact")
            opened[reference] = artifact
    return opened


def make_dataset(runner, rollouts: Artifact, recipe: DatasetRecipe, name: str = "") -> Artifact:
    inputs = filter_inputs(runner.store, recipe)

    def build(ctx):
        rows = read_rows(rollouts.file(ROWS_FILE))
        kept, counts = apply_filters(rows, list(recipe.filters), recipe.task.built, recipe.trait.built if recipe.trait else None,
                                     inputs={reference: artifact.path for reference, artifact in inputs.items()})
        if recipe.max_rows is not None:
            kept = kept[: recipe.max_rows]
        write_rows(ctx.out / ROWS_FILE, kept)
        ctx.summary = {"rows_in": len(rows), "rows_out": len(kept), "reasons": counts}

    parents = [Parent(id=rollouts.id, relation="filtered-from")]
    parents += [Parent(id=a.id, relation="selected-by") for a in {a.id: a for a in inputs.values()}.values()]
    return runner.step("dataset", recipe, parents, build, name=name)
