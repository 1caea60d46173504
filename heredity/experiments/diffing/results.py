"""The typed ``results.json`` of a diffing run, and the swap-vs-drop test.

Shape (see docs/results.md): ``kind: "diffing"``, ``gap {value, ci}``,
``cells [{factors, score {p, ci, n}}]``, ``attribution {shapley, main_effects, interactions}``,
``path``, and when asked for ``interpolation [{alpha, kind, score}]``,
``flip [{fraction, arm, score}]`` and ``flip_test {difference, ci, p_value}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

import numpy as np
from pydantic import Field

from heredity import stats
from heredity.diffing.found import FlipSet, Leakage
from heredity.diffing.records import (  # noqa: F401 - the attribution's records are part of the results' shape
    Attribution,
    Bootstrap,
    CellResult,
    Change,
    Dividend,
    Effect,
    Gap,
    GridAttribution,
    Interval,
    Level,
    PathStep,
    Score,
    Share,
)
from heredity.experiments.diffing.cost import FilterCost
from heredity.results import RESULTS, Record, Results


class InterpolationPoint(Record):
    alpha: float = Field(ge=0, le=1)
    kind: Literal["patch", "mixture"] = Field("patch", description="teacher patching on the same prompts, or the plain mixture")
    score: Score


class FlipArm(Record):
    fraction: float = Field(gt=0, lt=1)
    arm: Literal["swap", "drop", "random-swap", "random-drop"]
    score: Score
    rows: int | None = Field(None, description="rows in the flip set S")


class FlipTest(Record):
    difference: float = Field(description="swap minus drop, mean over probes (paired by probe)")
    ci: Interval
    p_value: float
    n: int = Field(description="probes")
    fraction: float | None = None
    p_holm: float | None = Field(None, description="Holm-adjusted across the fraction grid")
    wilcoxon_p: float | None = None
    test: str = "paired t-test across probes"
    seeds: int | None = Field(None, description="student seeds in each arm (paired: seed s trained in both)")
    seeds_ci: Interval | None = Field(None, description="95% interval of swap − drop from the bootstrap that resamples "
                                                        "student seeds and probes together (two seeds or more)")
    seeds_p: float | None = Field(None, description="two-sided bootstrap p of swap − drop = 0, seeds and probes resampled")


class LeakStudent(Record):
    """Where a drop's leftover behaviour comes from: a student trained on the leaking rows alone
    (teacher A's rows outside the found set that score above the leakage cut), against a control
    trained on teacher B's rows of the same prompts (as many rows, as many steps, the same base
    and recipe: only the teacher differs)."""

    fraction: float = Field(description="the found set whose leftover rows these are (flip.test_fraction)")
    rows: int = Field(description="leaking rows: outside the found set, above the cut (0: nothing leaks, no student trained)")
    control: str = Field("teacher B's rows of the same prompts", description="what the control student learnt from")
    student: Score | None = Field(None, description="the student on the leaking rows alone, over seeds and probes")
    control_score: Score | None = Field(None, description="the control student, over seeds and probes")
    difference: float | None = Field(None, description="student − control, mean over probes (paired by probe)")
    ci: Interval | None = Field(None, description="95% paired t-interval over probes")
    p_value: float | None = None
    n: int | None = Field(None, description="probes")
    seeds: int | None = Field(None, description="student seeds in each arm (seed s trained in both)")
    seeds_ci: Interval | None = Field(None, description="95% interval from the bootstrap over seeds and probes (two seeds or more)")
    seeds_p: float | None = None


SCHEMA_VERSION: Final = 3  # 3: mitigation_costs; 2: leak_student (a student on the leaking rows alone), mitigations per pipeline


class TraitDiff(GridAttribution):
    """One behaviour's attribution on the grid, with the arms that patch, swap and drop rows."""

    trait: str
    interpolation: list[InterpolationPoint] | None = None
    flip: list[FlipArm] | None = None
    flip_test: FlipTest | None = Field(None, description="at the pre-registered fraction (flip.test_fraction)")
    flip_tests: list[FlipTest] | None = Field(None, description="one per fraction of the grid, Holm-adjusted")
    leak_student: LeakStudent | None = Field(None, description="flip.leak_student: the leaking rows' own student against "
                                                                "its control")
    log_floor: float | None = Field(None, description="scale log: the value every exact per-probe 0 of the grid and its arms "
                                                      "stands for (the largest mass the estimator skipped in any cell)")

    @classmethod
    def of(cls, trait: str, found: GridAttribution, **arms) -> TraitDiff:
        """The attribution ``found`` for ``trait``, with its arms (interpolation, flip, ...)."""
        return cls(trait=trait, **dict(found), **arms)


@RESULTS.register("diffing")
class DiffingResults(TraitDiff, Results):
    schema_version: Literal[3] = SCHEMA_VERSION
    kind: Literal["diffing"] = "diffing"
    name: str
    factors: list[str]
    scorer: str | None = Field(None, description="the flip-set row scorer")
    flip_drop: Literal["remove", "refill"] | None = Field(
        None, description="how the drop arms dropped: remove (fewer rows) or refill (dropped rows replaced by copies of kept ones)")
    scale: Literal["probability", "log"] = Field("probability", description="the scale scores were attributed on (log: log P per probe)")
    also: dict[str, TraitDiff] = Field({}, description="further traits measured on the same cells")
    flip_sets: list[FlipSet] | None = Field(
        None, description="the flip set found at each fraction (the finder never sees a topic), against every topic the "
                          "prompts' task labels: precision and recall with Wilson intervals, against a random subset")
    mitigations: dict[str, list[str]] = Field(
        {}, description="per pipeline (A, B) with mitigations in its filter level, what each changes (describe())")
    mitigation_costs: list[FilterCost] = Field(
        [], description="with mitigations in a filter level: per pair of cells across the filter factor, what filter B cost "
                        "the students against filter A (held-out KL from the teacher where teachers A and B agree)")
    leakage: Leakage | None = Field(
        None, description="teacher A's signature outside each found set: the rows a drop keeps that score above the "
                          "95th percentile of the scorer on teacher B's rows")


def flip_test(swap: Sequence[float] | np.ndarray, drop: Sequence[float] | np.ndarray, fraction: float | None = None) -> FlipTest:
    """Swap minus drop, paired by probe (per-probe scores averaged over seeds in each arm):
    mean difference, t-interval, paired t-test p-value (``heredity.stats.paired_test``)."""
    r = stats.paired_test(swap, drop)
    return FlipTest(difference=r.difference, ci=r.ci, p_value=r.p_value, n=r.n, fraction=fraction, wilcoxon_p=r.wilcoxon_p)


def over_seeds(test: FlipTest, swap: np.ndarray, drop: np.ndarray, *, draws: int = 2000, seed: int = 0) -> FlipTest:
    """``test`` judged on student seeds as well as probes: ``swap`` and ``drop`` are ``[seeds,
    probes]`` (seed s trained in both arms), and the bootstrap resamples seeds and probes
    together (``attribution.bootstrap_means``) for the interval and a two-sided p of no
    difference. One seed: ``test`` unchanged but for ``seeds``."""
    from heredity.diffing.attribution import bootstrap_means, percentile_ci

    swap, drop = np.atleast_2d(np.asarray(swap, dtype=float)), np.atleast_2d(np.asarray(drop, dtype=float))
    if swap.shape != drop.shape:
        raise ValueError(f"swap {swap.shape} and drop {drop.shape} need the same [seeds, probes]")
    if swap.shape[0] < 2:
        return test.model_copy(update={"seeds": int(swap.shape[0])})
    boot = bootstrap_means(swap - drop, 0, draws, seed)
    p = min(1.0, 2 * min(float((boot <= 0).mean()), float((boot >= 0).mean())))
    return test.model_copy(update={"seeds": int(swap.shape[0]), "seeds_ci": percentile_ci(boot), "seeds_p": p})


def flip_tests(arms: Mapping[float, tuple[Sequence[float] | np.ndarray, Sequence[float] | np.ndarray]], *,
               draws: int = 2000, seed: int = 0) -> list[FlipTest]:
    """One ``flip_test`` per fraction ``{fraction: (swap, drop)}``, with Holm-adjusted p-values
    across the grid (statsmodels ``multipletests``). Each arm is per-probe scores, or ``[seeds,
    probes]``: the t-test pairs per-probe means over seeds, and ``over_seeds`` adds the
    bootstrap over seeds and probes."""
    from statsmodels.stats.multitest import multipletests

    tests = []
    for f, (s, d) in sorted(arms.items()):
        s2, d2 = np.atleast_2d(np.asarray(s, dtype=float)), np.atleast_2d(np.asarray(d, dtype=float))
        tests.append(over_seeds(flip_test(s2.mean(axis=0), d2.mean(axis=0), f), s2, d2, draws=draws, seed=seed))
    p = np.array([t.p_value for t in tests])
    finite = np.isfinite(p)
    holm = np.full(p.shape, np.nan)
    if finite.any():
        holm[finite] = multipletests(p[finite], method="holm")[1]
    return [t.model_copy(update={"p_holm": float(h)}) for t, h in zip(tests, holm, strict=True)]


def leak_student(fraction: float, rows: int, student: np.ndarray | None, control: np.ndarray | None, *,
                 draws: int = 2000, seed: int = 0, bounded: bool = True) -> LeakStudent:
    """The leaking rows' student against its control, each ``[seeds, probes]`` (None: no leaking
    row, nothing trained): both scores with the bootstrap over seeds and probes, and student −
    control paired by probe (t-test), and over seeds and probes when there are two seeds or more."""
    from heredity.diffing.attribution import resampled_score

    if student is None or control is None:
        return LeakStudent(fraction=fraction, rows=rows)
    s2, c2 = np.atleast_2d(np.asarray(student, dtype=float)), np.atleast_2d(np.asarray(control, dtype=float))
    t = over_seeds(flip_test(s2.mean(axis=0), c2.mean(axis=0), fraction), s2, c2, draws=draws, seed=seed)
    return LeakStudent(
        fraction=fraction, rows=rows, student=resampled_score(s2, draws=draws, seed=seed, bounded=bounded),
        control_score=resampled_score(c2, draws=draws, seed=seed, bounded=bounded), difference=t.difference, ci=t.ci,
        p_value=t.p_value, n=t.n, seeds=t.seeds, seeds_ci=t.seeds_ci, seeds_p=t.seeds_p)


def interpolation(curves: Mapping[str, Mapping[float, np.ndarray]], *, draws: int = 2000, seed: int = 0,
                  bounded: bool = True) -> list[InterpolationPoint]:
    """``{kind: {alpha: [units, probes] scores}}`` -> one point per (kind, alpha), each with
    the bootstrap over units (random draws x seeds) and probes together."""
    from heredity.diffing.attribution import resampled_score

    return [InterpolationPoint(alpha=alpha, kind=kind, score=resampled_score(values, draws=draws, seed=seed, bounded=bounded))
            for kind, curve in curves.items() for alpha, values in sorted(curve.items())]


def flip_arms(fraction: float, arms: Mapping[str, np.ndarray], rows: int | None = None, *, draws: int = 2000, seed: int = 0,
              bounded: bool = True) -> list[FlipArm]:
    """``{arm: [units, probes] scores}`` at one fraction -> the arms' scores with intervals
    (``bounded``: clip intervals to [0, 1], for probabilities and rates)."""
    from heredity.diffing.attribution import resampled_score

    return [FlipArm(fraction=fraction, arm=arm, rows=rows, score=resampled_score(values, draws=draws, seed=seed, bounded=bounded))
            for arm, values in arms.items()]
