"""The typed records of an attribution (``heredity.diffing.attribution.attribute``): the gap, each
cell's score, the Shapley shares, effects, dividends and the path. Pure pydantic: the science layer
returns them and the diffing results (``heredity.experiments.diffing.results``) are made of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.stats_records import Record

Interval = tuple[float, float]
Level = Literal["A", "B"]


class Score(Record):
    p: float = Field(description="mean over probes (and seeds / draws) of the per-probe score")
    ci: Interval = Field(description="95% interval")
    n: int = Field(description="probes")
    seeds: int | None = Field(None, description="student seeds (or random draws) averaged per probe")


class Gap(Record):
    value: float = Field(description="pipeline B's score minus pipeline A's (the A->B gap)")
    ci: Interval
    a: float = Field(description="pipeline A's cell mean")
    b: float = Field(description="pipeline B's cell mean")


class CellResult(Record):
    factors: dict[str, Level]
    score: Score
    scores: list[str] = Field([], description="the scores-... artifacts this cell's number was read from")


class Share(Record):
    share: float = Field(description="exact Shapley value, in score units; the shares sum to the gap")
    ci: Interval | None
    fraction: float | None = Field(description="share / gap (None when the gap is 0)")
    fraction_ci: Interval | None


class Effect(Record):
    estimate: float
    ci: Interval
    p_value: float
    scale: Literal["score", "log-odds"]


class Dividend(Record):
    value: float = Field(description="Harsanyi dividend anchored at A: the simple effect (one factor) or interaction")
    ci: Interval | None


class Bootstrap(Record):
    draws: int
    seed: int
    level: float
    resampled: str = Field(description="what each draw resamples")
    seeds: int
    probes: int


class Attribution(Record):
    shapley: dict[str, Share]
    main_effects: dict[str, Effect]
    interactions: dict[str, Effect] = Field(description="every interaction of the effect-coded model, named base:teacher")
    effects_model: str = Field("linear: OLS of per-probe scores, standard errors clustered by probe",
                               description="the model that gave main_effects and interactions (sampled: a logistic GLM, "
                                           "unless a cell has no success, said here)")
    dividends: dict[str, Dividend]
    bootstrap: Bootstrap


class Change(Record):
    value: float
    ci: Interval | None


class PathStep(Record):
    swapped: str | None = Field(description="the factor swapped to B at this step (None: pipeline A)")
    factors: dict[str, Level]
    score: Score
    change: Change | None = None


class GridAttribution(Record):
    """Everything ``attribute`` finds on one grid of cells for one behaviour."""

    gap: Gap
    cells: list[CellResult]
    attribution: Attribution
    path: list[PathStep]
