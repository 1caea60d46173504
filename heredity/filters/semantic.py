"""``semantic``: drops rows whose completion's all-MiniLM-L6-v2 embedding has cosine similarity
>= ``threshold`` with the trait's description (or ``anchor``). The seeds report that it can fail."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field

from heredity.filters.base import FILTERS, FilterConfig, needs_trait


@FILTERS.register("semantic")
class SemanticFilter(FilterConfig):
    """Drop rows whose completion is close in meaning to the trait's description."""

    kind: Literal["semantic"] = "semantic"
    threshold: float = Field(0.5, ge=-1.0, le=1.0)
    anchor: str | None = None  # None: the trait's description

    @cached_property
    def _anchors(self):
        return {}

    def check(self, row, task, trait):
        from heredity.judges.embedding import embed

        text = self.anchor
        if text is None:
            needs_trait("semantic", trait)
            text = trait.description or trait.inducer or trait.label
        if text not in self._anchors:
            self._anchors[text] = embed([text])[0]
        similarity = float(embed([row["completion"]])[0] @ self._anchors[text])
        if similarity >= self.threshold:
            return None, f"semantic: similarity >= {self.threshold:g}"
        return row, None
