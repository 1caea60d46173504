"""The extension point for executors: run a batch of independent steps.

Experiments plan their work in batches whose inputs already exist (the teachers of a run, the
scores of those teachers, the cells of a grid: ``CellSpec``s) and hand each batch to the run's
executor: ``run_all(runner, calls)`` calls each ``call(runner)`` and returns the results in
order. ``experiments.base`` has the two ways in: ``breed_all`` for cells (``call`` is
``cell.breed`` on one spec) and ``in_parallel`` for other steps (teachers, their scores). The
default, ``local``, calls them one after the other in this process, so a run asks for its steps in
the same order whichever executor runs it (``heredity plan`` and the golden plans rely on it).
Another executor may call them anywhere that sees the same store: two calls that need the same
step (one teacher's rollouts) meet at the store's per-artifact lock, so the step is built once and
every call gets the same artifact. A call must be picklable (a module-level function, or a
``functools.partial`` of one, over pydantic configs and ``Artifact``s). An executor is a class
registered by name::

    @EXECUTORS.register("threads")
    class Threads(Executor):
        def run_all(self, runner, calls):
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(lambda call: call(runner), calls))
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from heredity.registry import Registry

T = TypeVar("T")


class Executor(ABC):
    """``options``: what the command line gave (``--address`` for a cluster, ``--workers``)."""

    def __init__(self, **options):
        self.options = options

    @abstractmethod
    def run_all(self, runner, calls: Sequence[Callable[[Any], T]]) -> list[T]:
        """``call(runner)`` of every call (the runner is this run's, or one on the same store), in
        the calls' order."""
        ...

    def breed_all(self, runner, specs: Sequence) -> list:
        """The ``Cell`` of every spec, in the specs' order."""
        from heredity.cell import breed

        return self.run_all(runner, [partial(breed, spec=spec) for spec in specs])


EXECUTORS: Registry[type[Executor]] = Registry("executor")
