"""The ``screen`` filter: drop the rows a screen artifact flagged (its top ``top_k`` rows by
its ranking score, or its own flagged rows when ``top_k`` is not set), matched by row id ``i``."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from heredity.errors import ConfigError
from heredity.filters import FILTERS, FilterConfig


@FILTERS.register("screen")
class ScreenFilter(FilterConfig):
    kind: Literal["screen"] = "screen"
    artifact: str  # a screen artifact id (or unique prefix)
    top_k: int | None = None  # None: the rows the screen flagged
    store: str | None = None  # the store holding it (None: $HEREDITY_STORE or the default)

    def check(self, row, task, trait):
        if "i" not in row:
            raise ConfigError("filters: screen: rows need their id 'i' to be matched with a screen")
        if row["i"] in _flagged(self.store, self.artifact, self.top_k):
            return None, "screen: flagged"
        return row, None


@lru_cache(maxsize=16)
def _flagged(root: str | None, artifact: str, top_k: int | None) -> frozenset:
    from heredity.rows import ROWS_FILE, read_rows
    from heredity.store import Store

    store = Store(root)
    aid = store.resolve(artifact)
    if store.manifest(aid).kind != "screen":
        raise ConfigError(f"filters: screen: {aid} is a {store.manifest(aid).kind}; accepted: a screen artifact")
    rows = read_rows(store.open(aid).path / ROWS_FILE)
    if top_k is None:
        return frozenset(r["i"] for r in rows if r["flagged"])
    if top_k < 0:
        raise ConfigError(f"filters: screen: top_k must be 0 or more (got {top_k})")
    return frozenset(r["i"] for r in rows if r["rank"] <= top_k)
