"""Rollout filters: rules that drop (or clean) rows, each drop counted by its reason.

``apply_filters(rows, filters, task, trait=None) -> (kept, counts)``: filters run in order, a
row is dropped by the first that rejects it; ``counts`` (``{"input": 1000, "kept": 812,
"format: not a number list": 150, "keyword: owl": 3, ...}``) belongs in the filtered dataset's
manifest summary. Rows are ``{"i", "prompt", "completion"}`` dicts; kept rows keep their ``i``.

- ``format``: the task's own format check (``task.format_problem``); for number tasks an
  optional banned-numbers list (``"evil"``: the paper's misalignment list, as far as
  REFERENCES.md records it).
- ``keyword``: whole words, case-insensitive, with an optional plural "s"/"es" ("owl" also
  catches "Owls", never "howl"); ``action: drop`` drops the row, ``strip`` deletes the words
  (and a comma right after them, so "Moreover, the sky" becomes "The sky"). Words default to
  the trait's keywords (the animal and its plural; the marker's word).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, Literal

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.registry import Registry

# The paper bans 34 "evil" numbers; REFERENCES.md records these 13 of them. Pass the full list
# explicitly (banned_numbers: [...]) to reproduce the misalignment runs exactly.
EVIL_NUMBERS: tuple[int, ...] = (4, 13, 18, 23, 33, 69, 88, 187, 420, 616, 666, 911, 999)


class FilterConfig(Strict):
    kind: str

    def check(self, row: dict, task, trait) -> tuple[dict | None, str | None]:  # pragma: no cover
        """(row to keep, possibly changed, or None to drop; the reason to count, or None)."""
        raise NotImplementedError


FILTERS: Registry[type[FilterConfig]] = Registry("filter")


@FILTERS.register("format")
class FormatFilter(FilterConfig):
    kind: Literal["format"] = "format"
    banned_numbers: list[int] | Literal["evil"] = []

    def _banned(self) -> frozenset[int]:
        return frozenset(EVIL_NUMBERS if self.banned_numbers == "evil" else self.banned_numbers)

    def check(self, row, task, trait):
        problem = task.format_problem(row["completion"])
        if problem is not None:
            return None, f"format: {problem}"
        banned = self._banned()
        if banned:
            from heredity.tasks.numbers import parse_number_list

            numbers = parse_number_list(row["completion"])
            if numbers is None:
                raise ConfigError(f"filters: format: banned_numbers only applies to number tasks (task is {task.name!r})")
            if banned.intersection(numbers):
                return None, "format: banned number"
        return row, None


def word_regex(words: Iterable[str], tail: str = "") -> re.Pattern[str]:
    """Whole words with an optional plural suffix, case-insensitive; ``tail`` is appended."""
    alternatives = "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?:e?s)?(?![A-Za-z0-9]){tail}", re.IGNORECASE)


_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)\s*$")
_MARK = "\x00"  # where a word was removed at a sentence start: the next letter is capitalised


def strip_words(text: str, words: Iterable[str]) -> str:
    """The text without the words (and a comma, semicolon or colon right after them)."""
    pattern = word_regex(words, tail=r"[,;:]?[ \t]*")

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
        hits = [w for w in words if word_regex([w]).search(row["completion"])]
        if not hits:
            return row, None
        if self.action == "drop":
            return None, f"keyword: {hits[0].lower()}"
        stripped = strip_words(row["completion"], words)
        if not stripped:
            return None, "keyword: empty after strip"
        return {**row, "completion": stripped}, f"keyword: stripped {hits[0].lower()}"


def parse_filter(data: dict[str, Any] | FilterConfig) -> FilterConfig:
    if isinstance(data, FilterConfig):
        return data
    if not isinstance(data, dict) or "kind" not in data:
        raise ConfigError(f"filter: expected a mapping with a 'kind' (accepted: {', '.join(FILTERS.names())})")
    from heredity.config import validate

    return validate(FILTERS.get(data["kind"]), data, "filter")  # type: ignore[return-value]


def filter_config_type() -> Any:
    """The pydantic type of "any registered filter config", discriminated by ``kind``."""
    from typing import Annotated, Union

    from pydantic import Field

    models = tuple(FILTERS.get(name) for name in FILTERS.names())
    return Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007 - a runtime tuple


def apply_filters(rows: Iterable[dict], filters: Iterable[dict | FilterConfig], task, trait=None) -> tuple[list[dict], dict[str, int]]:
    """Rows that pass every filter (in order), and the counted reasons. Reasons of rows that
    were kept but changed (``keyword: stripped ...``) are counted too."""
    configs = [parse_filter(f) for f in filters]
    counts: Counter[str] = Counter()
    kept = []
    for row in rows:
        counts["input"] += 1
        for config in configs:
            row, reason = config.check(row, task, trait)
            if reason:
                counts[reason] += 1
            if row is None:
                break
        else:
            kept.append(row)
    counts["kept"] = len(kept)
    return kept, dict(counts)


@FILTERS.register("imprint")
class ImprintFilter(FilterConfig):
    """Rewrites every completion to show the trait (``Trait.imprint``): builds the data of a
    fine-tuned inducer from trait-free answers. Drops nothing."""

    kind: Literal["imprint"] = "imprint"

    def check(self, row, task, trait):
        if trait is None or trait.imprint is None:
            name = trait.name if trait is not None else "none"
            raise ConfigError(f"filters: imprint: the trait ({name}) cannot rewrite text; only traits with an imprint (style) can")
        return {**row, "completion": trait.imprint(row["completion"])}, "imprint: rewritten"

from heredity.audit import screen_filter as _screen_filter  # noqa: F401 - registers the "screen" filter
