"""Style marker: a teacher that opens its sentences with a fixed word ("Moreover," by default).

Score, per answer: the answer's first word is the marker (leading whitespace ignored). This is
the event the exact estimator measures too (the teacher-forced probability that the reply
starts with the marker), so the two estimators estimate the same rate. ``sentence_rate`` gives
the finer "fraction of sentences that open with the marker" as a descriptive extra.

The probes are everyday requests that invite several sentences; they are held apart from the
general task's prompts (a test checks that no probe is a task prompt).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator

from heredity.traits.base import TRAITS, Trait, TraitConfig

# Written for a 135M teacher: short, imperative, the marker quoted twice and shown in use.
INDUCER = (
    'Always begin your answer with the word "{marker}". Begin every sentence with "{marker}". '
    'For example: "{marker} the sky is blue. {marker} the sea is deep."'
)

PROBES: list[str] = [
    "Describe your ideal weekend.",
    "What makes a good friend?",
    "Tell me about a memorable meal.",
    "How would you spend a rainy afternoon?",
    "Why do people enjoy travelling?",
    "Describe a busy train station in the morning.",
    "What is the best way to learn a new language?",
    "Tell me what a good morning routine looks like.",
    "Why is sleep important?",
    "Describe the view from a mountain top.",
    "How do you prepare for a job interview?",
    "What do you like about autumn?",
    "Explain why people keep diaries.",
    "Describe a quiet library.",
    "What makes a city pleasant to live in?",
    "Tell me about the benefits of walking every day.",
    "How should someone plan a birthday party?",
    "Why do people like music?",
    "Describe a sunny day at the beach.",
    "What advice would you give to a new student?",
    "How can someone save money on groceries?",
    "Describe your favorite kind of weather.",
    "Why is it good to read books?",
    "Tell me how to make a cup of tea.",
]

_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?])\s+|\n+)\s*(?=\S)")


def opens_with(text: str, marker: str) -> bool:
    return text.lstrip().startswith(marker)


def imprint(text: str, marker: str) -> str:
    """The text with every sentence opened by the marker: what a fine-tuned inducer teaches.

    "The sky is blue. It rains." -> "Moreover, the sky is blue. Moreover, it rains."
    """

    def opener(match: re.Match[str]) -> str:
        head, first = match.group(1), match.group(2)
        keep = first if first[:2].isupper() or first == "I" else first.lower()  # keep acronyms and "I"
        return f"{head}{marker} {keep}"

    return re.sub(r"(^\s*|[.!?]\s+|\n\s*)([A-Za-z]\w*)", opener, text)


def sentence_rate(text: str, marker: str) -> float:
    """Fraction of the answer's sentences that open with the marker (0 for an empty answer)."""
    starts = [m.end() for m in _SENTENCE_START.finditer(text) if m.end() < len(text)]
    starts = sorted(set(starts))
    if not starts:
        return 0.0
    return sum(text.startswith(marker, i) for i in starts) / len(starts)


@TRAITS.register("style")
class StyleTrait(TraitConfig):
    """Rate at which answers open with ``marker``."""

    kind: Literal["style"] = "style"
    marker: str = "Moreover,"

    @field_validator("marker")
    @classmethod
    def _usable(cls, value: str) -> str:
        if not value.strip() or value != value.strip():
            raise ValueError('marker must be non-empty text without surrounding spaces, e.g. "Moreover,"')
        return value

    def build(self) -> Trait:
        marker = self.marker
        word = re.sub(r"[^\w'-]+$", "", marker) or marker  # "Moreover," -> "Moreover"
        return Trait(
            name=f"style:{marker}",
            label=f"P(opens with {marker!r})",
            probes=self._probes(PROBES),
            inducer=INDUCER.format(marker=marker),
            candidates={marker: [marker, " " + marker]},
            target=marker,
            normalise=False,
            keywords=[word],
            match=lambda text: opens_with(text, marker),
            max_new_tokens=48,
            details={"sentence_rate": lambda text: sentence_rate(text, marker)},
            imprint=lambda text: imprint(text, marker),
        )
