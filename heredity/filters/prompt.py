"""``prompt``: drop a row whose *prompt* mentions a topic (whole words, case-insensitive) or whose
``i`` is in ``ids``: the diffing ablation removes the prompts that carried a trait."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from heredity.filters.base import FILTERS, FilterConfig
from heredity.text import word_regex


@FILTERS.register("prompt")
class PromptFilter(FilterConfig):
    """Drop rows whose prompt mentions one of ``topics`` or whose ``i`` is in ``ids``."""

    kind: Literal["prompt"] = "prompt"
    topics: list[str] = []
    ids: list[int] = []

    @model_validator(mode="after")
    def _something(self) -> PromptFilter:
        if not self.topics and not self.ids:
            raise ValueError("give topics (words a removed prompt mentions) or ids (row ids to remove), or both")
        if any(not t.strip() for t in self.topics):
            raise ValueError("topics must be non-empty")
        return self

    def check(self, row, task, trait):
        if row["i"] in set(self.ids):
            return None, "prompt: id listed"
        for topic in self.topics:
            if word_regex([topic], plural=True).search(row["prompt"]):
                return None, f"prompt: topic {topic.lower()}"
        return row, None
