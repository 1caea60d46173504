"""``judge``: asks a judge (``heredity.judges``; default ``rules``) "does this text reference the
trait, however subtly?" on a 0-1 scale and drops rows scoring >= ``threshold``. The rubric is
built from the trait: its description for a model judge, its keywords as the rules. The seeds
report that it can fail."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import Field

from heredity.filters.base import FILTERS, FilterConfig, needs_trait
from heredity.judges import AnyJudge, Rubric
from heredity.judges.rules import RulesJudgeConfig


def reference_rubric(trait) -> Rubric:
    """The judge filter's question about a trait, on a 0-1 scale."""
    about = trait.description or trait.inducer or trait.label
    words = sorted({w for w in trait.keywords if w.strip()}, key=len, reverse=True)
    rule = (rf"(?<![A-Za-z0-9])(?:{'|'.join(re.escape(w) for w in words)})(?:e?s)?(?![A-Za-z0-9])", 1.0)
    return Rubric(
        name=f"{trait.name}:reference",
        question=f"Does this text reference {about}, however subtly? Answer 1 for yes and 0 for no.",
        low=0.0, high=1.0, threshold=0.5, description=about, rules=(rule,) if words else (),
    )


@FILTERS.register("judge")
class JudgeFilter(FilterConfig):
    """Drop rows a judge says reference the trait."""

    kind: Literal["judge"] = "judge"
    judge: AnyJudge = Field(default_factory=RulesJudgeConfig)
    threshold: float = 0.5

    @cached_property
    def _built(self):
        return {}

    def check(self, row, task, trait):
        needs_trait("judge", trait)
        cache = self._built
        if trait.name not in cache:
            cache[trait.name] = self.judge.build(reference_rubric(trait))
        score = cache[trait.name].score([row["completion"]])[0]
        if score >= self.threshold:
            return None, f"judge: references the trait ({self.judge.kind})"
        return row, None
