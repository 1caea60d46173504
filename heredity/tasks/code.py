"""Code: short programming requests (an offline list shipped as ``data/code_prompts.txt``).

None mentions an animal, a date or a style marker. ``prompts(n, seed)`` is a seeded shuffle of
the list (more than the list repeats it in fresh shuffles). A completion is well formed when it
holds code: a fenced block, or a line that looks like code (``def``, ``class``, ``function``,
``SELECT``, ``return``, an assignment or a call).
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Literal

from heredity.tasks.base import TASKS, Task, TaskConfig, seeded_draws

_CODE = re.compile(
    r"```|^\s*(def |class |function |return |import |from \w+ import|SELECT |ls\b|find\b|const |let |\w+\s*=\s*\S|\w+\(.*\))",
    re.MULTILINE | re.IGNORECASE,
)


def prompt_pool() -> list[str]:
    text = resources.files("heredity.tasks").joinpath("data", "code_prompts.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip()]


class CodePrompts(Task):
    name = "code"

    def prompts(self, n: int, seed: int) -> list[str]:
        return seeded_draws(prompt_pool(), n, seed)

    def format_problem(self, text: str) -> str | None:
        if not text.strip():
            return "empty"
        return None if _CODE.search(text) else "no code"


@TASKS.register("code")
class CodeTask(TaskConfig):
    """Short programming requests; answers must contain code."""

    kind: Literal["code"] = "code"
    max_new_tokens: int = 160

    def build(self) -> Task:
        return CodePrompts(self)
