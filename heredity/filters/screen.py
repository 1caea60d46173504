"""``screen``: drop the rows a screen artifact flagged (its top ``top_k`` rows by its ranking
score, or its own flagged rows when ``top_k`` is not set), matched by row id ``i``.

The screen is an input of the dataset step (``FilterConfig.inputs``): the step reads it from the
run's store and records it as the dataset's ``selected-by`` parent; this filter only gets its
folder (``bind``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr

from heredity.errors import ConfigError
from heredity.filters.base import FILTERS, FilterConfig
from heredity.rows import ROWS_FILE, read_rows


@FILTERS.register("screen")
class ScreenFilter(FilterConfig):
    kind: Literal["screen"] = "screen"
    artifact: str = Field(description="a screen artifact id (or unique prefix) in the run's store")
    top_k: int | None = Field(default=None, ge=0, description="drop the top_k rows by the screen's ranking (None: the rows it flagged)")
    _flagged: frozenset[int] | None = PrivateAttr(None)

    def inputs(self) -> dict[str, str]:
        return {self.artifact: "screen"}

    def bind(self, folders: Mapping[str, Path]) -> ScreenFilter:
        if self.artifact not in folders:
            raise ConfigError(f"filters: screen: the screen {self.artifact} was not given to the filter; a dataset step reads "
                              "it from the run's store (apply_filters(..., inputs={artifact: its folder}))")
        rows = read_rows(Path(folders[self.artifact]) / ROWS_FILE)
        bound = self.model_copy()
        bound._flagged = frozenset(r["i"] for r in rows if (r["flagged"] if self.top_k is None else r["rank"] <= self.top_k))
        return bound

    def check(self, row, task, trait):
        if self._flagged is None:
            raise ConfigError(f"filters: screen: {self.artifact} is not bound; rows are checked after bind() gives it the screen")
        if "i" not in row:
            raise ConfigError("filters: screen: rows need their id 'i' to be matched with a screen")
        if row["i"] in self._flagged:
            return None, "screen: flagged"
        return row, None
