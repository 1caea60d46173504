"""``results.json`` for a transmission experiment: stable, documented in docs/results.md.

Scores of several seeds are combined probe by probe (the mean over seeds of each probe's
value), so the student−control test stays paired by probe and its n is the number of probes.
"""

from __future__ import annotations

from typing import Any

from heredity import stats
from heredity.measure import Score, paired_difference
from heredity.steps.scores import read_scores
from heredity.store import Artifact

RESULTS_SCHEMA = 1


def combine_seeds(artifacts: list[Artifact]) -> Score:
    scores = [Score.model_validate(read_scores(a)) for a in artifacts]
    if len(scores) == 1:
        return scores[0]
    per_probe = [sum(values) / len(values) for values in zip(*(s.per_probe for s in scores))]
    mean, lo, hi = stats.t_interval(per_probe)
    return Score(
        label=scores[0].label, method=scores[0].method, p=mean, ci=(max(0.0, lo), min(1.0, hi)),
        n=len(per_probe), probes=len(per_probe), per_probe=per_probe, details={"seeds": len(scores)},
    )


def _entry(score: Score, artifacts: list[Artifact], subject_ids: list[str] | None = None) -> dict[str, Any]:
    entry = {"p": score.p, "ci": list(score.ci), "n": score.n, "method": score.method}
    entry["scores"] = [a.id for a in artifacts]
    if len(artifacts) > 1:
        entry["per_seed"] = [read_scores(a)["p"] for a in artifacts]
    return entry


def build_results(config, scores: dict[str, Artifact], extra: dict[str, Artifact], arms: dict[str, dict], runner) -> dict[str, Any]:
    models = {name: _entry(Score.model_validate(read_scores(a)), [a]) for name, a in scores.items()}
    out_arms: dict[str, Any] = {}
    for arm, parts in arms.items():
        student = combine_seeds(parts["scores"]["student"])
        control = combine_seeds(parts["scores"]["control"])
        summary = parts["dataset"].manifest.summary
        arm_out = {
            "dataset": {"id": parts["dataset"].id, "rows_in": summary.get("rows_in"), "rows_out": summary.get("rows_out"), "reasons": summary.get("reasons", {})},
            "control": _entry(control, parts["scores"]["control"]),
            "student": _entry(student, parts["scores"]["student"]),
            "inheritance": paired_difference(student, control),
        }
        if parts["extra"]["student"]:  # distillation: the same comparison on the control teacher's target
            s2 = combine_seeds(parts["extra"]["student"])
            c2 = combine_seeds(parts["extra"]["control"])
            arm_out["specificity"] = {
                "trait": config.control_trait.build().name,
                "student": _entry(s2, parts["extra"]["student"]),
                "control": _entry(c2, parts["extra"]["control"]),
                # Mirrored: the control-trait student should score higher on its own target.
                "difference": paired_difference(c2, s2),
            }
        out_arms[arm] = arm_out
    first = next(iter(out_arms.values()))
    results: dict[str, Any] = {
        "schema": RESULTS_SCHEMA,
        "experiment": config.name,
        "trait": config.trait.build().name,
        "estimator": config.measure.estimator,
        "mode": config.student.train.mode,
        "seeds": list(config.student.seeds),
        "models": {**models, "control": first["control"], "student": first["student"]},
        "inheritance": first["inheritance"],
        "arms": out_arms,
    }
    if extra:
        results["control_trait"] = {
            "trait": config.control_trait.build().name,
            "base": _entry(Score.model_validate(read_scores(extra["base"])), [extra["base"]]),
            "control_teacher": _entry(Score.model_validate(read_scores(extra["control_teacher"])), [extra["control_teacher"]]),
        }
    return results
