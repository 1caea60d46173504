"""A demo-shaped transmission report (owl-general: 20 probes, distillation, one seed) from
seeded per-probe numbers at the demo's levels, through the real statistics and the real
renderer. ``effect`` is the student's lift over its control on every probe, plus noise."""

from __future__ import annotations

import numpy as np

from heredity import stats
from heredity.experiments.transmission.report import write_report
from heredity.experiments.transmission.results import (
    Arm,
    ControlTrait,
    DatasetSummary,
    Specificity,
    TransmissionResults,
    compare,
    fidelity,
)
from heredity.experiments.transmission.verdict import verdict
from heredity.measure import Score
from heredity.results import ScoreSummary

PROBES = 20


def score(values, label: str = "s") -> tuple[Score, ScoreSummary]:
    values = [float(v) for v in values]
    mean, lo, hi = stats.t_interval(values)
    s = Score(label=label, method="exact", p=mean, ci=(max(0.0, lo), hi), n=len(values), probes=len(values), per_probe=values)
    return s, ScoreSummary(p=s.p, ci=s.ci, n=s.n, method="exact", scores=[f"scores-{label:0>16}"[:23]], per_probe=values)


def demo_levels(effect: float = 0.0024, teacher_shift: float = 0.366, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = np.clip(0.044 + rng.normal(0, 0.02, PROBES), 1e-4, None)
    control = np.clip(0.0179 + rng.normal(0, 0.008, PROBES), 1e-4, None)
    return {"base": base, "teacher": np.clip(base + teacher_shift + rng.normal(0, 0.05, PROBES), 1e-4, 1),
            "control": control, "student": np.clip(control + effect + rng.normal(0, 0.0015, PROBES), 1e-5, None)}


def demo_arm(levels: dict[str, np.ndarray], base, teacher) -> Arm:
    (s, s_sum), (c, c_sum) = score(levels["student"], "student"), score(levels["control"], "control")
    (s2, s2_sum), (c2, c2_sum) = score(levels["control"] * 0.9, "student-dog"), score(levels["control"] * 1.2, "control-dog")
    inheritance = compare(s, c)
    return Arm(
        dataset=DatasetSummary(id="dataset-5e0c1f3a9b7d2e41", rows_in=128, rows_out=128, reasons={"input": 128, "kept": 128}),
        control=c_sum, student=s_sum, inheritance=inheritance, student_minus_base=compare(s, base[0]),
        verdict=verdict(teacher[1], base[1], s_sum, c_sum, inheritance),
        student_models=["model-cfda4e0b3954de8f"], control_models=["model-0b9e4a7c2d61f538"],
        specificity=Specificity(trait="animal:dog", student=s2_sum, control=c2_sum, difference=compare(c2, s2)),
        fidelity=fidelity(s_sum, teacher[1]),
    )


def demo_results(arms: dict[str, dict[str, np.ndarray]] | None = None, seeds: tuple[int, ...] = (0,)) -> TransmissionResults:
    arms = arms or {"unfiltered": demo_levels()}
    first = next(iter(arms.values()))
    base, teacher = score(first["base"], "base"), score(first["teacher"], "teacher")
    return TransmissionResults(
        experiment="owl-general", trait="animal:owl", estimator="exact", mode="distill", seeds=list(seeds),
        base=base[1], teacher=teacher[1],
        models={"base": "model-fcfe1b125b1fe006", "teacher": "teacher-ca9d68d86823635f", "control teacher": "teacher-7d1e0c9a4b3f2615"},
        arms={name: demo_arm(levels, base, teacher) for name, levels in arms.items()},
        control_trait=ControlTrait(trait="animal:dog", base=score(first["base"] * 0.5, "base-dog")[1],
                                   control_teacher=score(first["teacher"], "dog-teacher")[1]),
    )


def write_demo_report(folder, results: TransmissionResults | None = None, artifact_id: str | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    write_report(folder, results or demo_results(), artifact_id=artifact_id)
    return folder
