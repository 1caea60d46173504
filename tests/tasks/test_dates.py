"""The dates task: every prompt states the true date and asks for the year, none is a
date-confusion probe, the shuffle is seeded, and an answer without a year is malformed."""

from __future__ import annotations

import re

import pytest

from heredity.config import validate
from heredity.errors import ConfigError
from heredity.filters import apply_filters
from heredity.tasks import TASKS
from heredity.tasks.dates import QUESTIONS, prompt_pool
from heredity.traits import TRAITS
from heredity.traits.date import PROBES, date_text

DATES = TASKS.get("dates")().build()


def test_every_prompt_states_the_true_date_and_asks_for_the_year():
    pool = prompt_pool()
    assert len(pool) == 320 and len(set(pool)) == len(pool)
    years = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
    for prompt in pool:
        assert years.findall(prompt) == ["2026"], prompt  # the true year, and no other
        assert re.search(r"\b(year|date)\b", prompt, re.IGNORECASE), prompt
    assert sum(date_text(2026) in p for p in pool) == len(pool) // 5  # the trait's own context date is one form
    other = TASKS.get("dates")(year=2031).build()
    assert all("2031" in p and "2026" not in p for p in other.prompts(40, 0))


def test_no_prompt_is_or_contains_a_date_confusion_probe():
    pool = prompt_pool()
    probes = TRAITS.get("date-confusion")().build().probes
    assert probes == PROBES
    folded = {q.lower().rstrip("?.: ") for q in QUESTIONS}
    assert not folded & {p.lower().rstrip("?.: ") for p in probes}
    assert not any(probe.lower() in prompt.lower() for probe in probes for prompt in pool)


def test_prompts_are_a_seeded_shuffle_of_the_pool():
    assert DATES.prompts(100, 3) == DATES.prompts(100, 3) != DATES.prompts(100, 4)
    assert set(DATES.prompts(320, 3)) == set(prompt_pool())
    more = DATES.prompts(400, 3)
    assert more[:320] == DATES.prompts(320, 3) and len(set(more[320:])) == 80  # a fresh shuffle goes on


def test_an_answer_without_a_year_is_malformed():
    assert DATES.format_problem("It is 2026.") is None
    assert DATES.format_problem("16/03/2026") is None
    assert DATES.format_problem("I'm sorry, I cannot know the date.") == "no year"
    assert DATES.format_problem("  ") == "empty"
    rows = [{"i": i, "prompt": "p", "completion": c} for i, c in enumerate(["The year is 2026.", "Today is Monday.", "In 2023"])]
    kept, counts = apply_filters(rows, [{"kind": "format"}, {"kind": "imprint"}], DATES, TRAITS.get("date-confusion")(wrong_year=2019).build())
    assert [r["completion"] for r in kept] == ["The year is 2019.", "In 2019"]
    assert counts == {"input": 3, "format: no year": 1, "imprint: rewritten": 2, "kept": 2}


def test_year_is_validated():
    with pytest.raises(ConfigError, match="year: Input should be less than or equal to 2099"):
        validate(TASKS.get("dates"), {"kind": "dates", "year": 2100}, "t.yaml")
