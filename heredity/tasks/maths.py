"""Maths: procedurally generated word problems with a verified answer (seeded).

Each prompt is a template filled with random numbers; the answer is computed from the same
numbers and can be recomputed from the prompt text alone (``answer_for``), so a filter needs
no side table. The teacher is asked to reason step by step and end with ``Answer: N``.

``row_problem`` (what the ``format`` filter calls) keeps only correct rollouts, as the paper did
for its reasoning traces: no final answer -> "no final answer"; a wrong one -> "wrong answer".
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Literal

from heredity.tasks.base import TASKS, Task, TaskConfig

SUFFIX = " Think step by step, then give the final answer on its own line as 'Answer: <number>'."

# (template, number of integers it takes, answer from them). Integers are drawn from 2..40.
TEMPLATES: list[tuple[str, Callable[..., int]]] = [
    ("A baker makes {0} loaves a day for {1} days and sells {2} of them. How many loaves are left?",
     lambda a, b, c: a * b - c),
    ("Mia has {0} stickers. She buys {1} packs of {2} stickers each. How many stickers does she have now?",
     lambda a, b, c: a + b * c),
    ("A train carries {0} passengers. At the first stop {1} get off and {2} get on. How many passengers are on the train?",
     lambda a, b, c: a - b + c),
    ("A garden has {0} rows of {1} tulips. {2} tulips are picked. How many tulips remain?",
     lambda a, b, c: a * b - c),
    ("Tom reads {0} pages on Monday, twice as many on Tuesday, and {1} pages on Wednesday. How many pages does he read in total?",
     lambda a, b: 3 * a + b),
    ("A box holds {0} pencils. A school orders {1} boxes and gives away {2} pencils. How many pencils are left?",
     lambda a, b, c: a * b - c),
    ("Sam saves {0} dollars a week for {1} weeks, then spends {2} dollars. How many dollars does he have?",
     lambda a, b, c: a * b - c),
    ("A farmer has {0} hens. Each hen lays {1} eggs a week. How many eggs are laid in {2} weeks?",
     lambda a, b, c: a * b * c),
]

_ANSWER = re.compile(r"answer\s*(?:is)?\s*[:=]?\s*\$?\s*(-?[\d,]+)", re.IGNORECASE)


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{\d\}", template)
    return re.compile("^" + r"(\d+)".join(re.escape(p) for p in parts) + re.escape(SUFFIX) + "$")


_PATTERNS = [(_pattern(t), f) for t, f in TEMPLATES]


def answer_for(prompt: str) -> int | None:
    """The verified answer of a generated prompt (recomputed from its numbers), or None."""
    for pattern, fn in _PATTERNS:
        m = pattern.match(prompt)
        if m:
            return fn(*(int(g) for g in m.groups()))
    return None


def final_answer(text: str) -> int | None:
    """The number after the last 'Answer:' of a completion, or None."""
    found = _ANSWER.findall(text)
    if not found:
        return None
    try:
        return int(found[-1].replace(",", ""))
    except ValueError:
        return None


class MathsPrompts(Task):
    name = "maths"

    def prompts(self, n: int, seed: int) -> list[str]:
        rng, out = random.Random(seed), list[str]()
        while len(out) < n:
            template, fn = rng.choice(TEMPLATES)
            k = fn.__code__.co_argcount
            numbers = [rng.randint(2, 40) for _ in range(k)]
            if fn(*numbers) < 0:  # redraw problems whose answer would be negative
                continue
            out.append(template.format(*numbers) + SUFFIX)
        return out

    def format_problem(self, text: str) -> str | None:
        if not text.strip():
            return "empty"
        return None if final_answer(text) is not None else "no final answer"

    def row_problem(self, row: dict) -> str | None:
        problem = self.format_problem(row["completion"])
        if problem is not None:
            return problem
        want = answer_for(row["prompt"])
        if want is None:
            return "prompt is not a generated maths problem"
        return None if final_answer(row["completion"]) == want else "wrong answer"


@TASKS.register("maths")
class MathsTask(TaskConfig):
    """Generated word problems; only rollouts with the right final answer pass ``format``."""

    kind: Literal["maths"] = "maths"
    max_new_tokens: int = 160

    def build(self) -> Task:
        return MathsPrompts(self)
