"""Whole-word matching shared by traits and filters ("owl" matches "Owls!", never "howl")."""

from __future__ import annotations

import re
from collections.abc import Iterable


def word_regex(words: Iterable[str], *, plural: bool = False, tail: str = "") -> re.Pattern[str]:
    """Whole words, case-insensitive; ``plural`` also accepts an "s"/"es" suffix; ``tail`` is
    appended to the pattern (e.g. the punctuation a strip should take along)."""
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    suffix = "(?:e?s)?" if plural else ""
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives}){suffix}(?![A-Za-z0-9]){tail}", re.IGNORECASE)
