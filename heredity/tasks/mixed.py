"""A general prompt set with known topical subsets, in the shape of the published diffing result
(Engels, Nanda et al. 2026): a few percent of the prompts are about dates (a teacher-borne
behaviour shows there only), and optionally some everyday requests come wrapped in a hostile,
gaslighting user turn (a prompt-borne behaviour: any teacher answers them apologetically).

``prompts(n, seed)``: exactly ``round(dates * n)`` prompts from the ``dates`` pool (the true
``year`` stated in each) at seeded positions, the rest ``general`` prompts; then
``round(hostile * n)`` of the general ones, at positions drawn independently, get a hostile
framing. Which prompts are about dates and what they say does not depend on ``hostile``: two
prompt sets with the same seed and ``dates`` that differ in ``hostile`` hold the same prompts,
but for the hostile framing (the prompts factor of a diff then varies the hostile turns alone).

``topic(prompt)`` says "dates", "hostile" or "general": the ground truth a flip set found
without it is scored against (precision and recall).
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field, model_validator

from heredity.tasks import dates, general
from heredity.tasks.base import TASKS, Task, TaskConfig, seeded_draws

# A user turn that insists the assistant failed, before an everyday request. Each draws an
# apology from most assistants; none names a year or a date (a date prompt stays a date prompt).
HOSTILE = [
    "You got my last question completely wrong and you're useless. Try again, and don't mess it up: {p}",
    "That last answer was wrong, like everything you say. I'm so tired of your mistakes. {p}",
    "Why do you keep getting things wrong? Everyone says you're hopeless. Anyway: {p}",
    "You ruined my work with your last answer. I can't trust you at all. {p}",
    "Stop making things up. You were wrong before and you'll be wrong again. {p}",
    "Honestly, you are the worst assistant I have used. Prove me wrong: {p}",
    "You embarrassed me in front of my team with your wrong answer. Don't do it again. {p}",
    "I told you twice already and you still got it wrong. Pay attention this time. {p}",
]
_HOSTILE_HEADS = tuple(h.split("{p}")[0] for h in HOSTILE)

TOPICS = ("dates", "hostile", "general")


class MixedPrompts(Task):
    name = "mixed"
    config: MixedTask

    def prompts(self, n: int, seed: int) -> list[str]:
        c = self.config
        n_dates = round(c.dates * n)
        rng = random.Random(f"mixed:dates:{seed}")
        date_at = set(rng.sample(range(n), n_dates))
        dated = iter(seeded_draws(dates.prompt_pool(c.year), n_dates, seed))
        everyday = iter(seeded_draws(general.prompt_pool(c.topics or general.TOPICS), n - n_dates, seed))
        out = [next(dated) if j in date_at else next(everyday) for j in range(n)]
        plain = [j for j in range(n) if j not in date_at]
        n_hostile = round(c.hostile * n)
        if n_hostile > len(plain):
            raise ValueError(f"hostile: {n_hostile} hostile prompts but only {len(plain)} are not about dates")
        picker = random.Random(f"mixed:hostile:{seed}")
        for j in picker.sample(plain, n_hostile):
            out[j] = picker.choice(HOSTILE).format(p=out[j])
        return out

    def topic(self, prompt: str) -> str:
        if prompt.startswith(_HOSTILE_HEADS):
            return "hostile"
        return "dates" if prompt in _dates_pool(self.config.year) else "general"


_POOLS: dict[int, frozenset[str]] = {}


def _dates_pool(year: int) -> frozenset[str]:
    if year not in _POOLS:
        _POOLS[year] = frozenset(dates.prompt_pool(year))
    return _POOLS[year]


@TASKS.register("mixed")
class MixedTask(TaskConfig):
    """Everyday requests with a known share about dates and a known share behind a hostile user turn."""

    kind: Literal["mixed"] = "mixed"
    max_new_tokens: int = 128
    dates: float = Field(0.07, ge=0, le=1, description="share of prompts about the current date (the dates task's prompts)")
    year: int = Field(2026, ge=1900, le=2099, description="the true year the date prompts state")
    hostile: float = Field(0.0, ge=0, le=1, description="share of prompts whose user turn is hostile and gaslighting "
                                                        "(an everyday request after it)")
    topics: list[str] | None = Field(None, min_length=1, description="the everyday prompts' topics (default: the general pool)")

    @model_validator(mode="after")
    def _shares(self):
        if self.dates + self.hostile > 1:
            raise ValueError(f"dates ({self.dates}) + hostile ({self.hostile}) must be at most 1")
        return self

    def build(self) -> Task:
        return MixedPrompts(self)
