"""``filters``: the existing rollout filters (keyword strip, banned tokens, screen-drop, ...) as a
mitigation arm, the baselines the others are measured against. It wraps ``heredity.filters``;
nothing is reimplemented."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.filters import AnyFilter
from heredity.mitigations.base import MITIGATIONS, ArmData, MitigationConfig


@MITIGATIONS.register("filters")
class FiltersMitigation(MitigationConfig):
    """Add rollout filters to the arm (e.g. ``[{kind: keyword, action: strip}]``)."""

    kind: Literal["filters"] = "filters"
    filters: list[AnyFilter] = Field(..., min_length=1, description="filters run after the arm's own, in order")

    def describe(self) -> str:
        return "rows filtered by " + ", ".join(f.kind for f in self.filters)

    def rows(self, runner, arm: ArmData):
        return arm.rows, list(self.filters)
