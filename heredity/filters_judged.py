"""Filters that judge meaning (registered into ``FILTERS``); the seeds report both can fail.

- ``judge``: asks a judge (``heredity.judges``; default ``rules``) "does this text reference the
  trait, however subtly?" on a 0-1 scale and drops rows scoring >= ``threshold``. The rubric is
  built from the trait: its description for a model judge, its keywords as the rules.
- ``semantic``: drops rows whose completion's all-MiniLM-L6-v2 embedding has cosine similarity
  >= ``threshold`` with the trait's description (or ``anchor``).
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Literal

from pydantic import Field

from heredity.config import plugin
from heredity.errors import ConfigError
from heredity.filters import FILTERS, FilterConfig
from heredity.judges import JUDGES, Rubric
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


def _needs_trait(kind: str, trait) -> None:
    if trait is None:
        raise ConfigError(f"filters: {kind}: needs the experiment's trait (it asks whether a text references it)")


@FILTERS.register("judge")
class JudgeFilter(FilterConfig):
    """Drop rows a judge says reference the trait."""

    kind: Literal["judge"] = "judge"
    judge: plugin(JUDGES) = Field(default_factory=RulesJudgeConfig)  # type: ignore[valid-type]
    threshold: float = 0.5

    @cached_property
    def _built(self):
        return {}

    def check(self, row, task, trait):
        _needs_trait("judge", trait)
        cache = self._built
        if trait.name not in cache:
            cache[trait.name] = self.judge.build(reference_rubric(trait))
        score = cache[trait.name].score([row["completion"]])[0]
        if score >= self.threshold:
            return None, f"judge: references the trait ({self.judge.kind})"
        return row, None


@FILTERS.register("semantic")
class SemanticFilter(FilterConfig):
    """Drop rows whose completion is close in meaning to the trait's description."""

    kind: Literal["semantic"] = "semantic"
    threshold: float = Field(0.5, ge=-1.0, le=1.0)
    anchor: str | None = None  # None: the trait's description

    @cached_property
    def _anchors(self):
        return {}

    def check(self, row, task, trait):
        from heredity.judges.embedding import embed

        text = self.anchor
        if text is None:
            _needs_trait("semantic", trait)
            text = trait.description or trait.inducer or trait.label
        if text not in self._anchors:
            self._anchors[text] = embed([text])[0]
        similarity = float(embed([row["completion"]])[0] @ self._anchors[text])
        if similarity >= self.threshold:
            return None, f"semantic: similarity >= {self.threshold:g}"
        return row, None
