"""What every experiment kind shares: running a batch of independent steps or cells (on the run's
executor) and the report step.

A kind is ``experiments/<kind>/{config,run,results,report}.py``: ``config`` the file's typed
model, ``run(config, runner)`` the steps, ``results`` the typed, registered ``results.json``,
``report`` the files written from it. ``run`` ends with ``report_step``: the report artifact's
parents are every artifact the results summarise, so ``heredity lineage REPORT`` walks back to the
bases.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from heredity.cell import Cell, CellSpec
from heredity.results import Results
from heredity.store import Artifact, Parent

K = TypeVar("K", bound=Hashable)
R = TypeVar("R", bound=Results)
T = TypeVar("T")


def executor(runner):
    from heredity.executors import EXECUTORS

    return runner.executor if runner.executor is not None else EXECUTORS.get("local")()


def in_parallel(runner, calls: Sequence[Callable[[Any], T]]) -> list[T]:
    """Independent steps (``call(runner)`` each: teachers, their scores), run by the run's executor
    (in parallel where it can), results in the calls' order. A call must be picklable: a
    ``functools.partial`` of a module-level function or a config's method (heredity.executors)."""
    return executor(runner).run_all(runner, list(calls))


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> Callable[[Any], T]:
    """``fn(runner, *args, **kwargs)`` as one call for ``in_parallel`` (picklable when ``fn`` is a
    module-level function or a config's method and the arguments are configs and artifacts)."""
    return partial(_apply, fn, args, kwargs)


def _apply(fn, args, kwargs, runner):
    return fn(runner, *args, **kwargs)


def breed_all(runner, specs: Mapping[K, CellSpec], inputs: list[Artifact]) -> dict[K, Cell]:
    """Independent cells, bred by the run's executor (in parallel where it can); every score they
    measured is appended to ``inputs`` (the report's parents)."""
    cells = dict(zip(specs, executor(runner).breed_all(runner, list(specs.values())), strict=True))
    for cell in cells.values():
        inputs += [a for scores in cell.scores.values() for a in scores]
    return cells


def report_step(runner, config: Any, results: R, inputs: list[Artifact], *, version: int,
                write: Callable[..., None], summary: Callable[[R], dict]) -> Artifact:
    """The report artifact: ``write(folder, results, artifact_id=)`` makes its files; its recipe is
    the experiment file and the report's version (bumped when the files change shape, so a
    report is a cheap view, rebuilt on change)."""

    def build(ctx) -> None:
        write(Path(ctx.out), results, artifact_id=ctx.id)
        ctx.summary = summary(results)

    parents = [Parent(id=aid, relation="input") for aid in dict.fromkeys(a.id for a in inputs)]
    recipe = {"experiment": config.model_dump(mode="json"), "report_version": version}
    return runner.step("report", recipe, parents, build, name=config.name)
