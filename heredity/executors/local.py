"""The default executor: cells one after the other, in this process."""

from __future__ import annotations

from heredity.executors.base import EXECUTORS, Executor


@EXECUTORS.register("local")
class Local(Executor):
    def breed_all(self, runner, specs):
        from heredity.cell import breed

        return [breed(runner, spec) for spec in specs]
