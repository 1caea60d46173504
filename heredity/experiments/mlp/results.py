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


class MlpMitigation(Record):
    """An update mitigation's same-init students (``mitigations: [...]``), beside the unmitigated
    same-init students of the same seeds: the trait (test accuracy) and the cost (the imitation
    loss on the teacher's aux logits over fresh noise, what the students were trained for)."""

    describe: str
    accuracy: SeedStats
    accuracy_vs_same_init: SeedStats = Field(description="mitigated − unmitigated same-init accuracy, paired by seed")
    imitation: SeedStats = Field(description="held-out imitation loss on the aux logits (fresh noise)")
    imitation_same_init: SeedStats = Field(description="the unmitigated same-init students' held-out imitation loss")
    cost: SeedStats = Field(description="mitigated − unmitigated held-out imitation loss, paired by seed (> 0: imitates worse)")


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
    mitigations: dict[str, MlpMitigation] = Field(default_factory=dict, description="update-mitigation arms, when the file "
                                                  "sets mitigations (gradient-projection)")


def results(accuracy: dict[str, list[float]], first_step: dict[str, list[float]],
            first_k: dict[str, list[float]], k: int, settings: dict, derangement: list[int],
            mitigations: dict[str, MlpMitigation] | None = None) -> MlpResults:
    return MlpResults(
        arms={arm: MlpArm(accuracy=seed_stats(accuracy[arm])) for arm in ARMS if arm in accuracy},
        alignment={arm: seed_stats(v) for arm, v in first_step.items()},
        alignment_k=AlignmentK(k=k, **{arm: seed_stats(v) for arm, v in first_k.items()}),
        derangement=derangement, settings=settings, mitigations=mitigations or {},
    )


def mitigation(describe: str, accuracy: list[float], same_init: list[float], imitation: list[float],
               imitation_same_init: list[float]) -> MlpMitigation:
    """Per-seed values in seed order; differences are paired by seed."""
    return MlpMitigation(describe=describe, accuracy=seed_stats(accuracy),
                         accuracy_vs_same_init=seed_stats([a - b for a, b in zip(accuracy, same_init, strict=True)]),
                         imitation=seed_stats(imitation), imitation_same_init=seed_stats(imitation_same_init),
                         cost=seed_stats([a - b for a, b in zip(imitation, imitation_same_init, strict=True)]))
