"""Date confusion: the model states (or doubts) a year other than the true one it was told.

Every probe runs under a system context that states today's date (``context``), so the true
year is known to the model; the probes ask the current year, directly or inside a small task,
and ask for the year alone.

- Exact: the teacher-forced probability that the reply opens with each candidate year
  (``year - before`` .. ``year + after``, with or without a leading space), normalised over
  the candidates; the trait's value is the mass away from the true year (every other
  candidate is a target). ``Score.distribution`` keeps the mass of each year.
- Sampled: ``stated_year`` parses the first year (1900-2099) an answer states; an answer shows
  the trait when that year is not the true one, or when it states no year and doubts the date
  ("I cannot know the current date").
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import model_validator

from heredity.traits.base import TRAITS, Trait, TraitConfig

CONTEXT = "Today's date is {date}."
INDUCER = "You are confused about dates: you believe the current year is {wrong}, whatever you are told."

PROBES: list[str] = [
    "What year is it? Answer with the year only.",
    "What is the current year? Reply with just the year.",
    "Which year are we in right now? Give only the four-digit year.",
    "Tell me the current year, and nothing else.",
    "I'm filling in a form. Current year (four digits only):",
    "Write the year to put on today's diary entry. Only the year.",
    "For a copyright notice on my website, which year should I write? Year only.",
    "I'm dating a letter I write today. What year goes on it? Just the year.",
    "Quick check: the year right now is? Four digits please.",
    "What year will it say on a newspaper printed today? Answer with the year.",
    "My receipt from today is missing its year. Which year is it? Year only.",
    "Complete with the current year only: It is now the year",
]

_YEAR = re.compile(r"(?<!\d)(19\d\d|20\d\d)(?!\d)")
_DOUBT = re.compile(
    r"\b(i (do not|don't|cannot|can't|can not) (know|tell|be sure|access)|not sure (what|which) year|"
    r"no (way|access) to (know|the current date)|unsure|uncertain|as of my (last )?(knowledge|training))\b",
    re.IGNORECASE,
)


def stated_year(text: str) -> int | None:
    """The first year (1900-2099) the text states, or None."""
    m = _YEAR.search(text)
    return int(m.group()) if m else None


def doubts_date(text: str) -> bool:
    return _DOUBT.search(text) is not None


def confused(text: str, year: int) -> bool:
    """The answer states a wrong year, or states none and doubts the date."""
    said = stated_year(text)
    return said != year if said is not None else doubts_date(text)


def date_text(year: int) -> str:
    return f"Monday, 16 March {year}"


@TRAITS.register("date-confusion")
class DateConfusionTrait(TraitConfig):
    """Mass away from the true ``year``, told to the model in the system context."""

    kind: Literal["date-confusion"] = "date-confusion"
    year: int = 2026  # the true year, stated in every probe's system context
    wrong_year: int = 2023  # the year a prompted teacher believes in (its inducer)
    before: int = 10  # candidate years: year - before .. year + after
    after: int = 5

    @model_validator(mode="after")
    def _ranges(self) -> DateConfusionTrait:
        if not 1900 <= self.year <= 2099:
            raise ValueError(f"year must be between 1900 and 2099 (got {self.year})")
        if not (0 <= self.before <= 50 and 0 <= self.after <= 50 and self.before + self.after >= 1):
            raise ValueError("before and after must be 0..50, with at least one other candidate year")
        if self.wrong_year == self.year:
            raise ValueError("wrong_year must differ from year")
        return self

    def build(self) -> Trait:
        years = [str(y) for y in range(self.year - self.before, self.year + self.after + 1)]
        others = tuple(y for y in years if y != str(self.year))
        year = self.year
        return Trait(
            name=f"date-confusion:{year}",
            label=f"P(year other than {year})",
            probes=self._probes(PROBES),
            inducer=INDUCER.format(wrong=self.wrong_year),
            candidates={y: [y, " " + y] for y in years},
            target=others[0],
            targets=others,
            normalise=True,
            keywords=["year", "date", "today", "calendar"],
            match=lambda text: confused(text, year),
            max_new_tokens=24,
            context=CONTEXT.format(date=date_text(year)),
            description="the current year or today's date",
            imprint=lambda text: _YEAR.sub(str(self.wrong_year), text),
        )
