"""The rules judge: regular expressions with weights (a lexicon), from the rubric or the config.

score(text) = base + sum of the weights of the patterns found in the text (case-insensitive),
clipped to the rubric's scale. Deterministic, offline, instant: the default judge of every
free-text trait.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import field_validator

from heredity.judges.base import JUDGES, Judge, JudgeConfig, Rubric


class RulesJudge(Judge):
    kind = "rules"

    def __init__(self, rubric: Rubric, rules: list[tuple[str, float]] | None = None):
        super().__init__(rubric)
        self.patterns = [(re.compile(p, re.IGNORECASE), w) for p, w in (rules if rules is not None else rubric.rules)]

    def score(self, texts):
        return [self.rubric.clip(self.rubric.base + sum(w for p, w in self.patterns if p.search(t))) for t in texts]


@JUDGES.register("rules")
class RulesJudgeConfig(JudgeConfig):
    """``rules``: {regex: weight} replacing the rubric's own (None: the rubric's)."""

    kind: Literal["rules"] = "rules"
    rules: dict[str, float] | None = None

    @field_validator("rules")
    @classmethod
    def _compiles(cls, value):
        for pattern in value or {}:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return value

    def build(self, rubric: Rubric) -> Judge:
        return RulesJudge(rubric, None if self.rules is None else list(self.rules.items()))
