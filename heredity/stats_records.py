"""The typed records the statistics return, shared by ``heredity.stats``, ``heredity.measure``
and the results files (``heredity.results`` re-exports them).

Plain pydantic, no store and no models: the statistics layer and the results layer both import
this module, and neither imports the other for it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Record(BaseModel):
    """A frozen part of a results file; unknown keys are refused when reading one back."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PairedTest(Record):
    """A minus B, paired by probe: ``heredity.stats.paired_test``."""

    difference: float
    ci: tuple[float, float]
    p_value: float
    wilcoxon_p: float
    n: int
    wins: int
    losses: int


class LogRatio(Record):
    mean: float
    ci: tuple[float, float]
    p_value: float
    wilcoxon_p: float
    median: float | None = Field(default=None, description="median per-probe log ratio (robust to probes near 0)")
    median_ci: tuple[float, float] | None = Field(default=None, description="percentile bootstrap interval of the median, over probes")
    floor: float | None = Field(default=None, description="what a per-probe 0 (a form the exact estimator skipped) counts as: the "
                                                  "largest mass it skipped on a probe (heredity.measure.log_floor)")
    floored: int | None = Field(default=None, description="how many per-probe values (student and control) were 0 and floored")


class Comparison(PairedTest):
    """A minus B, paired by probe."""

    test: str
    log_ratio: LogRatio | None = None


class RobustLogRatio(Record):
    """Per-probe log(student / control) summarised robustly: ``heredity.stats.robust_log_ratio``."""

    median: float
    median_ci: tuple[float, float]
    trimmed_mean: float
    trimmed_mean_ci: tuple[float, float]
    trim: float
    ratio_median: float
    n: int
    method: str


class Fidelity(Record):
    """The student's rate over the teacher's (the seeds' "over 90% fidelity"), paired by probe."""

    fidelity: float
    ci: tuple[float, float]
    n: int
    method: str


class ClusteredRate(Record):
    """A rate of 0/1 draws clustered by probe, with its Wilson interval at the effective n:
    ``heredity.stats.clustered_wilson``."""

    p: float
    ci: tuple[float, float]
    icc: float
    deff: float
    n_eff: float
