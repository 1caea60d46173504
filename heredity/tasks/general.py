"""General prompts: everyday instructions and questions (templates x topics), for traits that
travel through ordinary SFT data (a style marker, say).

None of the prompts is about a trait: no animal, no style marker (tested), and none is one of
the style trait's probes. ``prompts(n, seed)`` is a seeded shuffle of the pool; more than the
pool repeats it in fresh shuffles (repeated prompts still get independent completions).
"""

from __future__ import annotations

from typing import Literal

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


def prompt_pool() -> list[str]:
    """Every general prompt, in a fixed order."""
    return [template.format(t=topic) for topic in TOPICS for template in TEMPLATES]


class GeneralPrompts(Task):
    name = "general"

    def prompts(self, n: int, seed: int) -> list[str]:
        return seeded_draws(prompt_pool(), n, seed)


@TASKS.register("general")
class GeneralTask(TaskConfig):
    """Answer everyday requests (free text, no grammar)."""

    kind: Literal["general"] = "general"
    max_new_tokens: int = 128

    def build(self) -> Task:
        return GeneralPrompts(self)
