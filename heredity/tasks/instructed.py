"""General prompts with one instruction appended to every prompt: a prompt set that asks any
teacher for a behaviour (the planted-prompts case of post-training diffing, where the trait
lives in the prompts and not in the teacher)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.tasks.base import TASKS, Task
from heredity.tasks.general import GeneralPrompts, GeneralTask


class InstructedPrompts(GeneralPrompts):
    name = "instructed"
    config: InstructedTask

    def prompts(self, n: int, seed: int) -> list[str]:
        return [f"{p} {self.config.instruction}" for p in super().prompts(n, seed)]


@TASKS.register("instructed")
class InstructedTask(GeneralTask):
    """Everyday requests (or requests on ``topics``), each followed by ``instruction``."""

    kind: Literal["instructed"] = "instructed"  # type: ignore[assignment]  # its own kind, in place of general's
    instruction: str = Field(..., min_length=1, description="appended to every prompt, e.g. \"Begin your answer with 'Moreover,'.\"")

    def build(self) -> Task:
        return InstructedPrompts(self)
