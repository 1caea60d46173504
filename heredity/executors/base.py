"""The extension point for executors: breed a batch of independent cells.

Experiments plan their cells first (``CellSpec``s whose inputs already exist) and hand each
batch of independent ones to ``experiments.base.breed_all``, which calls the run's executor. The
default, ``local``, breeds them one after the other in this process. Another executor may breed
them anywhere that sees the same store: two workers that need the same step (one teacher's
rollouts) meet at the store's per-artifact lock, so the step is built once and every cell gets
the same artifact. An executor is a class registered by name::

    @EXECUTORS.register("threads")
    class Threads(Executor):
        def breed_all(self, runner, specs):
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(lambda s: breed(runner, s), specs))
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from heredity.registry import Registry


class Executor(ABC):
    """``options``: what the command line gave (``--address`` for a cluster, ``--workers``)."""

    def __init__(self, **options):
        self.options = options

    @abstractmethod
    def breed_all(self, runner, specs: Sequence) -> list:
        """The ``Cell`` of every spec, in the specs' order."""
        ...


EXECUTORS: Registry[type[Executor]] = Registry("executor")
