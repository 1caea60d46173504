"""The default executor: calls one after the other, in this process."""

from __future__ import annotations

from heredity.executors.base import EXECUTORS, Executor


@EXECUTORS.register("local")
class Local(Executor):
    def run_all(self, runner, calls):
        return [call(runner) for call in calls]
