"""What every teacher task provides, and how task configs are found by their ``kind``.

A task is what the teacher is asked to write: its prompts (seeded), how long an answer may be,
a format check (with a reason when it fails, for the filters' counts), and optionally an output
grammar for format-constrained sampling.

Adding a task is one small file in this package (it is imported automatically)::

    from typing import Literal
    from heredity.tasks.base import TASKS, Task, TaskConfig

    @TASKS.register("haiku")
    class HaikuTask(TaskConfig):
        kind: Literal["haiku"] = "haiku"
        max_new_tokens: int = 40

        def build(self) -> Task:
            return HaikuPrompts(self)   # a Task subclass: prompts(n, seed), format_problem(text)
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Annotated, TypeAlias

from heredity.config import BuiltOnce
from heredity.registry import PickedByKind, Registry


class TaskConfig(BuiltOnce):
    """Base of every task config: a ``kind`` literal (the registry key) and ``build()``."""

    kind: str
    max_new_tokens: int = 64

    @abstractmethod
    def build(self) -> Task:
        ...


TASKS: Registry[type[TaskConfig]] = Registry("task")
# a field that takes any registered task, picked by its kind
AnyTask: TypeAlias = Annotated[TaskConfig, PickedByKind(TASKS)]


class Task(ABC):
    """A built task. Subclasses implement ``prompts`` and ``format_problem``."""

    name: str = "task"

    def __init__(self, config: TaskConfig):
        self.config = config
        self.max_new_tokens = config.max_new_tokens

    @abstractmethod
    def prompts(self, n: int, seed: int) -> list[str]:
        """n user messages, the same for the same seed."""
        ...

    def format_problem(self, text: str) -> str | None:
        """Why a completion is malformed (a short reason), or None when it is well formed."""
        return None if text.strip() else "empty"

    def row_problem(self, row: dict) -> str | None:
        """Why a rollout row (``prompt`` and ``completion``) is rejected, or None. Tasks whose
        check needs the prompt (a maths answer checked against its problem) override this."""
        return self.format_problem(row["completion"])

    def topic(self, prompt: str) -> str | None:
        """The topic this task gave ``prompt`` (e.g. "dates" in a set where a few prompts are
        about dates), or None when the task does not label its prompts. Never shown to a scorer:
        it is the ground truth a found flip set is checked against (precision and recall)."""
        return None

    def format_ok(self, text: str) -> bool:
        return self.format_problem(text) is None

    def grammar_dfa(self):
        """The output grammar (``heredity.models.grammar.CharDFA``), or None for free text."""
        return

    def grammar_regex(self) -> str | None:
        """The same grammar as a regular expression, for engines that take one (vLLM's guided
        decoding); None for free text. A task with a ``grammar_dfa`` that cannot give one cannot
        be written by vLLM."""
        return None

    def grammar(self, tokenizer):
        """The grammar compiled for a tokenizer (``TokenGrammar``), or None for free text."""
        dfa = self.grammar_dfa()
        if dfa is None:
            return None
        from heredity.models.grammar import TokenGrammar

        return TokenGrammar.compile(dfa, tokenizer)


def seeded_draws(pool: Sequence[str], n: int, seed: int) -> list[str]:
    """``n`` prompts from a fixed pool: seeded shuffles of the whole pool, one after another
    (past the pool's size, prompts repeat and get independent completions)."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        order = list(pool)
        rng.shuffle(order)
        out.extend(order[: n - len(out)])
    return out
