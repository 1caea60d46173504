"""``Score``: a trait score with its interval and the estimator's diagnostics, as typed fields."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from heredity.stats_records import Record


class GradedScore(Record):
    """A graded trait's mean score per answer (``Trait.scale_score``), t-interval across probes."""

    mean: float
    ci: tuple[float, float]
    probes: int
    n: int


class Score(Record):
    """A trait score: never a bare number.

    ``p``: the rate (mean over probes for exact; pooled over answers for sampled).
    ``ci``: [lo, hi] at 95%. ``n``: probes (exact) or answers (sampled); ``probes``: number of
    probes. ``per_probe``: the per-probe values, in probe order (what paired tests pair on).
    The rest are the estimator's diagnostics; a field an estimator does not produce keeps its default.
    """

    label: str
    method: str = Field(description="the estimator (heredity.measure.ESTIMATORS)")
    p: float
    ci: tuple[float, float]
    n: int
    probes: int
    per_probe: list[float]
    seeds: int = Field(default=1, description="scores of this many seeds averaged probe by probe (heredity.measure.mean_over_seeds)")
    # exact
    coverage: float | None = Field(default=None, description="exact: probability mass the candidate answers cover, mean over probes")
    left_out: float = Field(default=0.0, description="exact: the largest per-probe bound on the mass of the surface forms skipped "
                                             "by the first-token cut (what heredity.measure.log_floor floors a 0 at)")
    distribution: dict[str, float] = Field(default={}, description="exact, normalised traits: mean share of each candidate, largest first")
    # sampled
    icc: float | None = Field(default=None, description="sampled: intra-cluster correlation of the answers within a probe")
    deff: float | None = Field(default=None, description="sampled: design effect 1 + (m - 1) ICC")
    n_eff: float | None = Field(default=None, description="sampled: effective number of independent answers, n / deff")
    examples: list[str] = Field(default=[], description="sampled: the first answer of the first few probes")
    scale_score: GradedScore | None = Field(default=None, description="sampled, graded traits: the mean grade")
    sentence_rate: float | None = Field(default=None, description="sampled, style traits: the share of sentences that show the marker")

    @model_validator(mode="before")
    @classmethod
    def _details(cls, data: Any) -> Any:
        """A scores.json written before the typed fields kept them in a ``details`` dict."""
        if isinstance(data, dict) and "details" in data:
            data = dict(data)
            data.update(data.pop("details") or {})
        return data
