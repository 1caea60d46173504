"""Runs steps against the store and tells the user what happened: cache hits, progress, timing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from heredity import display
from heredity.config import recipe_dict
from heredity.display import safe
from heredity.store import Artifact, Parent, Store
from heredity.store.kinds import KINDS, RELATIONS
from heredity.store.store import Build


class Runner:
    """The store plus a console. Experiments call ``step`` for every artifact they need."""

    def __init__(self, store: Store, console: Console | None = None, quiet: bool = False, executor: Any = None):
        self.store = store
        self.console = console or display.console(stderr=True)  # no emoji codes; whole lines off a terminal
        self.quiet = quiet
        self.timings: list[dict[str, Any]] = []
        # How a batch of independent steps or cells is run (heredity.executors); None: one after the
        # other, here. The experiments layer reads it (experiments.base.in_parallel, breed_all): the
        # runner only carries it.
        self.executor = executor

    def step(
        self,
        kind: str,
        recipe: BaseModel | dict[str, Any],
        parents: list[Parent],
        build: Build,
        *,
        name: str = "",
        seed: int | None = None,
    ) -> Artifact:
        undeclared = [k for k in (kind,) if k not in KINDS] + [p.relation for p in parents if p.relation not in RELATIONS]
        if undeclared:  # kinds and relations are declared once, in store/kinds.py, for every reader
            raise ValueError(f"step {kind!r}: undeclared kind or relation {undeclared} (declare it in heredity/store/kinds.py)")
        recipe_json = recipe if isinstance(recipe, dict) else recipe_dict(recipe)
        label = safe(f"{kind}{f' {name}' if name else ''}")  # names are data, never markup
        started, t0 = time.time(), time.perf_counter()
        produced = self.store.produce(kind, recipe_json, parents, build, name=name, seed=seed)
        wall = time.perf_counter() - t0
        self.timings.append({"step": label, "id": produced.artifact.id, "cached": produced.cached, "wall_s": round(wall, 2),
                             "started": started})  # epoch seconds: whether two workers' steps overlapped
        if not self.quiet:
            if produced.cached:
                self.console.print(f"[dim]✓ cached[/] {label} [dim]{produced.artifact.id}[/]")
            else:
                self.console.print(f"[green]✓ built[/]  {label} [dim]{produced.artifact.id}[/] in {wall:.1f}s")
        return produced.artifact

    @contextmanager
    def progress(self, description: str, total: int | None, unit: str = "") -> Iterator[Any]:
        """A progress bar with rate and ETA; yields ``advance(n)``."""
        columns = [
            TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
        ]
        # Only on a terminal: a transient bar written to a log leaves blank lines behind.
        with Progress(*columns, console=self.console, transient=True, disable=self.quiet or not self.console.is_terminal) as bar:
            task = bar.add_task(safe(description), total=total, rate="")
            t0 = time.perf_counter()
            done = 0

            def advance(n: int = 1, **fields: Any) -> None:
                nonlocal done
                done += n
                rate = done / max(time.perf_counter() - t0, 1e-9)
                bar.update(task, advance=n, rate=_rate(rate, unit), **fields)  # fields may set the total

            yield advance


def _rate(per_second: float, unit: str) -> str:
    """"2.5 steps/s", or "22.8 s/step" when a unit takes longer than a second (not "0.0 steps/s")."""
    if per_second >= 1 or per_second <= 0:
        return f"{per_second:,.1f} {unit}/s" if unit else f"{per_second:,.1f}/s"
    return f"{1 / per_second:,.1f} s/{unit.removesuffix('s') or 'item'}"
