"""The extension point for rollout filters: rules that drop (or clean) rows, each drop counted
by its reason.

``apply_filters(rows, filters, task, trait=None, inputs={}) -> (kept, counts)``: filters run in
order, a row is dropped by the first that rejects it; ``counts`` (``{"input": 1000, "kept": 812,
"format: not a number list": 150, "keyword: owl": 3, ...}``) belongs in the filtered dataset's
manifest summary. Rows are ``{"i", "prompt", "completion"}`` dicts; kept rows keep their ``i``.

A filter is a ``FilterConfig`` registered in ``FILTERS`` with ``check(row, task, trait)``. One
that reads an artifact (the ``screen`` filter reads a screen) names it in ``inputs()``; the
dataset step opens it in the run's store, makes it a ``selected-by`` parent of the dataset, and
hands its folder to ``bind``. Filters never open a store themselves.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, TypeAlias

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.registry import PickedByKind, Registry


class FilterConfig(Strict, ABC):
    kind: str

    @abstractmethod
    def check(self, row: dict, task, trait) -> tuple[dict | None, str | None]:
        """(row to keep, possibly changed, or None to drop; the reason to count, or None)."""

    def inputs(self) -> dict[str, str]:
        """The store artifacts this filter reads, ``{reference (id or unique prefix): accepted kind}``."""
        return {}

    def bind(self, folders: Mapping[str, Path]) -> FilterConfig:
        """This filter ready to check rows, given the folders of its ``inputs()`` by reference."""
        return self


FILTERS: Registry[type[FilterConfig]] = Registry("filter")
# a field that takes any registered filter, picked by its kind
AnyFilter: TypeAlias = Annotated[FilterConfig, PickedByKind(FILTERS)]


def needs_trait(kind: str, trait) -> None:
    if trait is None:
        raise ConfigError(f"filters: {kind}: needs the experiment's trait (it asks whether a text references it)")


def apply_filters(rows: Iterable[dict], filters: Iterable[dict | FilterConfig], task, trait=None,
                  inputs: Mapping[str, Path] | None = None) -> tuple[list[dict], dict[str, int]]:
    """Rows that pass every filter (in order), and the counted reasons. Reasons of rows that
    were kept but changed (``keyword: stripped ...``) are counted too. ``inputs``: the folders
    of the artifacts the filters read (``FilterConfig.inputs``), by reference."""
    configs = [FILTERS.parse(f, "filters").bind(inputs or {}) for f in filters]
    counts: Counter[str] = Counter()
    dropped: Counter[int] = Counter()  # rows each filter dropped, by position
    kept = []
    for row in rows:
        counts["input"] += 1
        for k, config in enumerate(configs):
            row, reason = config.check(row, task, trait)
            if reason:
                counts[reason] += 1
            if row is None:
                dropped[k] += 1
                break
        else:
            kept.append(row)
    counts["kept"] = len(kept)
    if counts["input"] and not kept:
        culprits = "; ".join(f"{configs[k].kind} (filter {k + 1}) dropped {n}" for k, n in sorted(dropped.items()))
        reasons = ", ".join(f"{r}: {n}" for r, n in counts.items() if r not in ("input", "kept"))
        raise ConfigError(
            f"filters: every one of the {counts['input']} rows was removed: {culprits} ({reasons}); "
            "loosen or remove that filter"
        )
    return kept, dict(counts)
