"""``banned``: drop a row whose completion holds a banned number (a whole integer, in any text:
number lists, code, maths) or a banned word. ``numbers: evil`` (default) is the paper's full list
(``heredity.filters.lists.EVIL_NUMBERS``, the union of ``claude`` and ``gpt``); ``numbers: years``
bans every year 1900-2099 (what ``date-confusion`` reads as a year), counted as ``banned: year``."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import model_validator

from heredity.filters.base import FILTERS, FilterConfig
from heredity.filters.lists import CLAUDE_EVIL_NUMBERS, EVIL_NUMBERS, GPT_EVIL_NUMBERS, YEARS
from heredity.text import word_regex

_INTEGER = re.compile(r"(?<![\d.])\d+(?![\d]|\.\d)")
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
        if self.words and word_regex(self.words, plural=True).search(text):
            return None, "banned: word"
        return row, None
