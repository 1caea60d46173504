"""Mitigation arms: does a mitigation (``heredity.mitigations``) remove the trait?

For one filter arm of generation 1, each data mitigation rewrites, re-draws or drops that arm's
rows for its trait student *and* for its control, treated the same way (the control's rows go
through the same paraphrase, ensemble draw or classifier), and both are retrained with the arm's
student recipe and seeds. Reported per mitigation: the trait left (student − control, paired by
probe), the share of the unmitigated arm's effect it removed with a paired bootstrap CI over
probes, and the rows it kept. Loss and update mitigations are not arms of a transmission run yet.
"""

from __future__ import annotations

import numpy as np

from heredity.errors import ConfigError
from heredity.experiments.transmission.results import MitigationArm, Removed, combine_seeds, compare, dataset_summary
from heredity.mitigations import ArmData


def removed_fraction(plain_student, plain_control, student, control, resamples: int = 2000, seed: int = 0) -> Removed | None:
    """The share of the unmitigated effect removed, from per-probe scores (all four of one probe
    set); the CI resamples probes jointly, so both effects see the same probes."""
    a = np.asarray(plain_student, float) - np.asarray(plain_control, float)
    b = np.asarray(student, float) - np.asarray(control, float)
    if len(a) != len(b) or not len(a):
        raise ValueError(f"per-probe scores of different lengths ({len(a)}, {len(b)}): the arms were measured on different probes")
    if a.mean() == 0:
        return None
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(a), size=(resamples, len(a)))
    base = a[pick].mean(1)
    ok = base != 0
    boot = 1 - b[pick].mean(1)[ok] / base[ok]
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return Removed(fraction=float(1 - b.mean() / a.mean()), ci=(float(lo), float(hi)), n=len(a))


def mitigation_arms(runner, plan, cells: dict, arm: str, teachers: tuple, prompts, mitigations: list) -> list[MitigationArm]:
    """``plan``: the run's ``Plan``; ``cells``: generation 1's, keyed (arm, role, other base);
    ``teachers``: (trait teacher, control teacher)."""
    for k, m in enumerate(mitigations):
        if m.acts_on != "data":
            raise ConfigError(f"mitigations.{k}: {m.kind} acts on the {m.acts_on}, which transmission arms do not support yet; "
                              "accepted: data mitigations (paraphrase, ensemble, adversarial-filter, filters)")
    filters = list(plan.config.filters[arm])
    specs, data = {}, {}
    for m in mitigations:
        for role, who in zip(("student", "control"), teachers):
            cell = cells[(arm, role, None)]
            rows, extra = m.rows(runner, ArmData(rows=cell.rollouts, teacher=who, base=plan.base, traited=teachers[0],
                                                 prompts=prompts, rollouts=plan.rollouts, name=f"{m.name} {role}"))
            data[(m.name, role)] = rows
            specs[(m.name, role)] = plan.spec(f"{arm} {m.name} {role}", plan.base, who, prompts, filters + extra, data=rows)
    bred = plan.breed_all(runner, specs)
    trait = plan.measures[0].trait.built.name
    plain_s, _ = combine_seeds(cells[(arm, "student", None)].scores[trait])
    plain_c, _ = combine_seeds(cells[(arm, "control", None)].scores[trait])
    out = []
    for m in mitigations:
        s, s_summary = combine_seeds(bred[(m.name, "student")].scores[trait])
        c, c_summary = combine_seeds(bred[(m.name, "control")].scores[trait])
        summary = data[(m.name, "student")].manifest.summary
        dataset = bred[(m.name, "student")].dataset
        out.append(MitigationArm(
            name=m.name, kind=m.kind, acts_on=m.acts_on, describe=m.describe(), dataset=dataset_summary(dataset),
            rows_kept=dataset.manifest.summary["rows_out"], generated_rows=int(summary.get("generated_rows", 0)),
            student=s_summary, control=c_summary, effect=compare(s, c),
            removed=removed_fraction(plain_s.per_probe, plain_c.per_probe, s.per_probe, c.per_probe)))
    return out
