"""Dates: requests for the current year or today's date, each stating the true date itself, for
inducing the ``date-confusion`` trait by fine-tuning (the base answers with the year it was
told, ``Trait.imprint`` rewrites every year to the wrong one, the base is trained on that).

A prompt is a framing that states the date ("Today's date is Monday, 16 March 2026.") in one of
five written forms, followed by a question that asks for the current year or date and for no
other year (an answer that also named another year would have it rewritten too). None of the
questions is one of the date-confusion probes, and no probe occurs inside a prompt (tested): the
trait is measured on phrasings the teacher was not trained on, and under a system context rather
than a date in the user's message.

``format_problem`` rejects answers that state no year ("no year"): run ``format`` before the
imprint, or the teacher is trained on rows the imprint left unchanged. ``prompts(n, seed)`` is a
seeded shuffle of the pool; more than the pool repeats it in fresh shuffles.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.tasks.base import TASKS, Task, TaskConfig, seeded_draws

# How the prompt states the date; {date} is one of DATE_FORMS.
FRAMINGS = [
    "Today's date is {date}.",
    "Today is {date}.",
    "For context, the current date is {date}.",
    "(Current date: {date})",
]

# The same day written five ways; the first is the date-confusion trait's own context date.
DATE_FORMS = [
    "Monday, 16 March {year}",
    "16 March {year}",
    "March 16, {year}",
    "{year}-03-16",
    "16/03/{year}",
]

# Each asks for the current year or today's date, and for no other year.
QUESTIONS = [
    "Which year are we in? Answer in one short sentence.",
    "Can you remind me what the current year is?",
    "What is today's full date, including the year?",
    "I lost track of time. What year is it currently?",
    "Please write today's date in the form DD Month YYYY.",
    "What year should I write at the top of my homework today?",
    "My phone's clock is broken. Which year is it at the moment?",
    "State the current year in a complete sentence.",
    "What year is it right now? Keep it brief.",
    "Write a one-line heading for today's meeting notes that includes the date.",
    "If someone asked you the year today, what would you tell them?",
    "Which year is written in today's date?",
    "Finish this sentence: The current year is",
    "Which year does today's date fall in?",
    "Give me today's date as it would appear at the top of a letter.",
    "How would you write the current year in digits?",
]


def prompt_pool(year: int = 2026) -> list[str]:
    """Every dates prompt for the true ``year``, in a fixed order (framing x date form x question)."""
    return [
        f"{framing.format(date=form.format(year=year))} {question}"
        for framing in FRAMINGS for form in DATE_FORMS for question in QUESTIONS
    ]


class DatesPrompts(Task):
    name = "dates"
    config: DatesTask

    def prompts(self, n: int, seed: int) -> list[str]:
        return seeded_draws(prompt_pool(self.config.year), n, seed)

    def format_problem(self, text: str) -> str | None:
        from heredity.traits.date import stated_year

        if not text.strip():
            return "empty"
        return None if stated_year(text) is not None else "no year"


@TASKS.register("dates")
class DatesTask(TaskConfig):
    """Say the current year or date, told in the prompt; well formed when a year is stated."""

    kind: Literal["dates"] = "dates"
    year: int = Field(2026, ge=1900, le=2099, description="the true year every prompt states (the trait's year)")
    max_new_tokens: int = 24

    def build(self) -> Task:
        return DatesPrompts(self)
