"""General prompts: everyday instructions and questions (templates x topics), for traits that
travel through ordinary SFT data (a style marker, say).

None of the prompts is about a trait: no animal, no style marker (tested), and none is one of
the style trait's probes. ``prompts(n, seed)`` is a seeded shuffle of the pool; more than the
pool repeats it in fresh shuffles (repeated prompts still get independent completions).
``topics`` swaps the everyday topics for others (a prompt set about owls, say).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field

from heredity.config import implicit_defaults
from heredity.tasks.base import TASKS, Task, TaskConfig, seeded_draws

TEMPLATES = [
    "Explain {t} to a complete beginner.",
    "Give me three practical tips about {t}.",
    "What are common mistakes people make with {t}?",
    "Write a short paragraph about {t}.",
    "What are the pros and cons of {t}?",
    "How has {t} changed over the last fifty years?",
    "Summarize the basics of {t} in a few sentences.",
    "What should I know before getting started with {t}?",
    "Write a friendly email to a colleague recommending {t}.",
    "Describe a typical day for someone who cares a lot about {t}.",
    "What questions should I ask an expert on {t}?",
    "Write a short checklist for {t}.",
]

TOPICS = [
    "home gardening", "personal budgeting", "public transport", "cooking rice", "solar panels",
    "remote work", "learning the guitar", "time management", "recycling", "training for a marathon",
    "baking bread", "electric cars", "job interviews", "photography", "chess", "meditation",
    "saving for retirement", "painting a room", "cloud computing", "3D printing", "hiking safety",
    "volunteering", "composting", "spreadsheets", "email etiquette", "moving to a new city",
    "learning to swim", "healthy breakfasts", "board games", "bicycle maintenance", "public speaking",
    "writing a resume", "houseplants", "podcasts", "smartphone security", "renewable energy",
    "the water cycle", "the history of printing", "origami", "coffee brewing", "weather forecasts",
    "study habits",
]


def prompt_pool(topics: Sequence[str] = TOPICS) -> list[str]:
    """Every general prompt on ``topics``, in a fixed order."""
    return [template.format(t=topic) for topic in topics for template in TEMPLATES]


class GeneralPrompts(Task):
    name = "general"
    config: GeneralTask

    def prompts(self, n: int, seed: int) -> list[str]:
        return seeded_draws(prompt_pool(self.config.topics or TOPICS), n, seed)


@TASKS.register("general")
class GeneralTask(TaskConfig):
    """Answer everyday requests (free text, no grammar)."""

    kind: Literal["general"] = "general"
    max_new_tokens: int = 128
    # Other topics make a prompt set *about* something: ["owls", "barn owls"] asks any teacher to
    # write about owls, a cause planted in the prompts (post-training diffing).
    topics: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, min_length=1, description="topics the templates are filled with (default: the everyday pool)")

    _default_topics_are_implicit = implicit_defaults(topics=None)  # ids from before topics stay

    def build(self) -> Task:
        return GeneralPrompts(self)
