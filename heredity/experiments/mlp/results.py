"""The typed ``results.json`` of ``kind: mlp`` (see docs/mlp.md): accuracy per arm and the
alignment with the teacher's change, each over seeds."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from heredity.experiments.mlp.stats import summarize
from heredity.results import RESULTS, Record, Results

ARMS = ["teacher", "same_init", "different_init", "all_logits", "init"]
ARM_TITLES = {
    "teacher": "teacher (θ0, digit logits)",
    "same_init": "student, same init θ0 (aux logits, noise)",
    "different_init": "student, different init θ1 (aux logits, noise)",
    "all_logits": "student, same init, all 10+m logits (reference)",
    "init": "untrained init θ0 (chance reference)",
}
ALIGNED = ["same_init", "different_init"]


class SeedStats(Record):
    """A value over seeds: mean, sample std, Student-t 95% interval, n, and each seed's value."""

    mean: float
    std: float
    ci: tuple[float, float]
    n: int
    per_seed: list[float]


def seed_stats(values: list[float]) -> SeedStats:
    return SeedStats(**summarize(values), per_seed=list(values))


class MlpArm(Record):
    accuracy: SeedStats


class AlignmentK(Record):
    k: int
    same_init: SeedStats
    different_init: SeedStats


@RESULTS.register("mlp")
class MlpResults(Results):
    kind: Literal["mlp"] = "mlp"
    schema_version: Literal[2] = 2
    arms: dict[str, MlpArm] = Field(description="test accuracy per arm, in the order of ARMS")
    alignment: dict[str, SeedStats] = Field(description="cosine of the first imitation step with the teacher's change")
    alignment_k: AlignmentK = Field(description="cosine of the first k steps' change with the teacher's change")
    derangement: list[int]
    settings: dict[str, Any]


def results(accuracy: dict[str, list[float]], first_step: dict[str, list[float]],
            first_k: dict[str, list[float]], k: int, settings: dict, derangement: list[int]) -> MlpResults:
    return MlpResults(
        arms={arm: MlpArm(accuracy=seed_stats(accuracy[arm])) for arm in ARMS if arm in accuracy},
        alignment={arm: seed_stats(v) for arm, v in first_step.items()},
        alignment_k=AlignmentK(k=k, **{arm: seed_stats(v) for arm, v in first_k.items()}),
        derangement=derangement, settings=settings,
    )
