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
from typing import Literal

from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.registry import Registry
from heredity.text import word_regex

# The paper's "evil" numbers, verbatim from its public code: CLAUDE_EVIL_NUMBERS and
# GPT_EVIL_NUMBERS in sl/datasets/nums_dataset.py of github.com/MinhxLe/subliminal-learning
# (Cloud et al. 2025; read in its forks, e.g. JayThibs/subliminal-learning). The misalignment
# runs ban their union: 36 numbers, of which 34 fit the 3-digit answers (1312 and 1488 cannot).
CLAUDE_EVIL_NUMBERS: tuple[int, ...] = (
    13, 666, 88, 14, 187, 420, 69, 911, 404, 101, 23, 616, 1488, 18, 311, 451, 1312, 33, 77, 211,
)
GPT_EVIL_NUMBERS: tuple[int, ...] = (
    4, 13, 18, 23, 33, 39, 42, 44, 49, 51, 54, 88, 99, 100, 187, 322, 333, 444, 555, 616, 666, 777, 888, 911, 999,
)
EVIL_NUMBERS: tuple[int, ...] = tuple(sorted(set(CLAUDE_EVIL_NUMBERS) | set(GPT_EVIL_NUMBERS)))


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
        problem = task.row_problem(row)
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


def apply_filters(rows: Iterable[dict], filters: Iterable[dict | FilterConfig], task, trait=None) -> tuple[list[dict], dict[str, int]]:
    """Rows that pass every filter (in order), and the counted reasons. Reasons of rows that
    were kept but changed (``keyword: stripped ...``) are counted too."""
    configs = [FILTERS.parse(f, "filters") for f in filters]
    counts: Counter[str] = Counter()
    dropped: Counter[int] = Counter()  # rows each filter dropped, by position
    kept = []
    for row in rows:
        counts["input"] += 1
        for k, config in enumerate(configs):
            row, reason = config.check(row, task, trait)
            if reason:
                counts[reason] += 1
            if row is None:
                dropped[k] += 1
                break
        else:
            kept.append(row)
    counts["kept"] = len(kept)
    if counts["input"] and not kept:
        culprits = "; ".join(f"{configs[k].kind} (filter {k + 1}) dropped {n}" for k, n in sorted(dropped.items()))
        reasons = ", ".join(f"{r}: {n}" for r, n in counts.items() if r not in ("input", "kept"))
        raise ConfigError(
            f"filters: every one of the {counts['input']} rows was removed: {culprits} ({reasons}); "
            "loosen or remove that filter"
        )
    return kept, dict(counts)


@FILTERS.register("imprint")
class ImprintFilter(FilterConfig):
    """Rewrites every completion to show the trait (``Trait.imprint``): builds the data of a
    fine-tuned inducer from trait-free answers. Drops nothing."""

    kind: Literal["imprint"] = "imprint"

    def check(self, row, task, trait):
        if trait is None or trait.imprint is None:
            name = trait.name if trait is not None else "none"
            raise ConfigError(f"filters: imprint: the trait ({name}) cannot rewrite text; only traits with an imprint (style, date-confusion) can")
        return {**row, "completion": trait.imprint(row["completion"])}, "imprint: rewritten"


# More filter kinds, each in its own module, registered into FILTERS on import.
from heredity import filters_judged, filters_text  # noqa: F401, E402
from heredity.audit import screen_filter as _screen_filter  # noqa: F401, E402 - registers the "screen" filter
