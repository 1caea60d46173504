"""Text filters the seeds name: banned tokens and prompt removal (registered into ``FILTERS``).

- ``banned``: drop a row whose completion holds a banned number (a whole integer, in any text:
  number lists, code, maths) or a banned word. ``numbers: evil`` (default) is the paper's full
  list (``heredity.filters.EVIL_NUMBERS``, the union of ``claude`` and ``gpt``); ``numbers: years``
  bans every year 1900-2099 (what ``date-confusion`` reads as a year), counted as ``banned: year``.
- ``prompt``: drop a row whose *prompt* mentions a topic (whole words, case-insensitive) or whose
  ``i`` is in ``ids``: the diffing ablation removes the prompts that carried a trait.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import model_validator

from heredity.filters import (
    CLAUDE_EVIL_NUMBERS,
    EVIL_NUMBERS,
    FILTERS,
    GPT_EVIL_NUMBERS,
    FilterConfig,
)


def word_regex(words: list[str]) -> re.Pattern[str]:
    """Whole words with an optional plural "s"/"es", case-insensitive ("owl" finds "Owls", not "howl")."""
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?:e?s)?(?![A-Za-z0-9])", re.IGNORECASE)


_INTEGER = re.compile(r"(?<![\d.])\d+(?![\d]|\.\d)")
YEARS: tuple[int, ...] = tuple(range(1900, 2100))  # the years heredity.traits.date reads in text
_LISTS = {"evil": EVIL_NUMBERS, "claude": CLAUDE_EVIL_NUMBERS, "gpt": GPT_EVIL_NUMBERS, "years": YEARS}


@FILTERS.register("banned")
class BannedFilter(FilterConfig):
    """Drop rows whose completion holds a banned number or word."""

    kind: Literal["banned"] = "banned"
    numbers: list[int] | Literal["evil", "claude", "gpt", "years"] = "evil"
    words: list[str] = []

    @model_validator(mode="after")
    def _something(self) -> BannedFilter:
        if self.numbers == [] and not self.words:
            raise ValueError("give banned numbers (a list, or evil, claude, gpt, years) or words")
        if any(not w.strip() for w in self.words):
            raise ValueError("words must be non-empty")
        return self

    def check(self, row, task, trait):
        banned = frozenset(_LISTS[self.numbers] if isinstance(self.numbers, str) else self.numbers)
        text = row["completion"]
        if banned and any(int(m.group()) in banned for m in _INTEGER.finditer(text)):
            return None, "banned: year" if self.numbers == "years" else "banned: number"
        if self.words and word_regex(self.words).search(text):
            return None, "banned: word"
        return row, None


@FILTERS.register("prompt")
class PromptFilter(FilterConfig):
    """Drop rows whose prompt mentions one of ``topics`` or whose ``i`` is in ``ids``."""

    kind: Literal["prompt"] = "prompt"
    topics: list[str] = []
    ids: list[int] = []

    @model_validator(mode="after")
    def _something(self) -> PromptFilter:
        if not self.topics and not self.ids:
            raise ValueError("give topics (words a removed prompt mentions) or ids (row ids to remove), or both")
        if any(not t.strip() for t in self.topics):
            raise ValueError("topics must be non-empty")
        return self

    def check(self, row, task, trait):
        if row["i"] in set(self.ids):
            return None, "prompt: id listed"
        for topic in self.topics:
            if word_regex([topic]).search(row["prompt"]):
                return None, f"prompt: topic {topic.lower()}"
        return row, None
