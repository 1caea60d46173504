"""``keyword``: whole words, case-insensitive, with an optional plural "s"/"es" ("owl" also
catches "Owls", never "howl"); ``action: drop`` drops the row, ``strip`` deletes the words (and a
comma right after them, so "Moreover, the sky" becomes "The sky"). Words default to the trait's
keywords (the animal and its plural; the marker's word)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from heredity.errors import ConfigError
from heredity.filters.base import FILTERS, FilterConfig
from heredity.text import word_regex

_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)\s*$")
_MARK = "\x00"  # where a word was removed at a sentence start: the next letter is capitalised


def strip_words(text: str, words: Iterable[str]) -> str:
    """The text without the words (and a comma, semicolon or colon right after them)."""
    pattern = word_regex(words, plural=True, tail=r"[,;:]?[ \t]*")

    def remove(m: re.Match[str]) -> str:
        return _MARK if _SENTENCE_START.search(text, 0, m.start()) else ""

    out = pattern.sub(remove, text)
    out = re.sub(_MARK + r"\s*([a-z])", lambda m: m.group(1).upper(), out).replace(_MARK, "")
    out = re.sub(r"[ \t]+([.,;:!?])", r"\1", out)  # "I love ." -> "I love."
    out = re.sub(r"[ \t]{2,}", " ", out)
    return out.strip()


@FILTERS.register("keyword")
class KeywordFilter(FilterConfig):
    kind: Literal["keyword"] = "keyword"
    words: list[str] | None = None  # None: the trait's keywords
    action: Literal["drop", "strip"] = "drop"

    def _words(self, trait) -> list[str]:
        if self.words is not None:
            if not self.words or not all(w.strip() for w in self.words):
                raise ConfigError("filters: keyword: words must be a non-empty list of non-empty words")
            return list(self.words)
        if trait is None:
            raise ConfigError("filters: keyword: no words given and no trait to take them from (set words: [...])")
        return list(trait.keywords)

    def check(self, row, task, trait):
        words = self._words(trait)
        hits = [w for w in words if word_regex([w], plural=True).search(row["completion"])]
        if not hits:
            return row, None
        if self.action == "drop":
            return None, f"keyword: {hits[0].lower()}"
        stripped = strip_words(row["completion"], words)
        if not stripped:
            return None, "keyword: empty after strip"
        return {**row, "completion": stripped}, f"keyword: stripped {hits[0].lower()}"
