"""Mitigation arms: does a mitigation (``heredity.mitigations``) remove the trait, and at what cost?

For one filter arm of generation 1, each data mitigation rewrites, re-draws or drops that arm's
rows for its trait student *and* for its control, treated the same way (the control's rows go
through the same paraphrase, ensemble draw or classifier); a loss mitigation keeps the rows and
changes what both students' loss sees (the divergence mask; for distillation the ensemble's mean
target, the control's ensemble built around the control teacher). Both are retrained with the
arm's student recipe and seeds. Reported per mitigation: the trait left (student − control,
paired by probe), the share of the unmitigated arm's effect it removed with a paired bootstrap CI
over probes, and the cost (``arm_cost``): on held-out prompts its teacher answers, each student's
mean per-token KL from the teacher it learned from at the positions where the trait and control
teachers agree on the top-1 token (a cached ``fit`` step per model: what it took up of the
teacher apart from the trait), mitigated − unmitigated paired by prompt, with the data the
mitigation consumed. A mitigation that removes the trait by stopping the student learning the
teacher's text pays for it here; one that spares the shared positions (the divergence mask) does
not.
Update mitigations (gradient projection) belong to the MLP experiment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from heredity.errors import ConfigError
from heredity.experiments.transmission.results import (
    Cost,
    MitigationArm,
    Removed,
    combine_seeds,
    compare,
    dataset_summary,
)
from heredity.mitigations import ArmData
from heredity.steps.fit import HELD_OUT_SEED, fit_of, paired_cost
from heredity.store import Artifact


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


ROLES = ("student", "control")


@dataclass
class CostInputs:
    """What every arm's cost is measured against, per role ("student", "control"): the held-out
    rows its students are read on and the teacher they learned from; the other role's teacher is
    the contrast whose top-1 must agree for a position to count."""

    rows: dict[str, Artifact]      # role -> held-out completions (its teacher's; distillation: the writer's)
    teachers: dict[str, Artifact]  # role -> the teacher its students learned from

    def fits(self, runner, role: str, models) -> dict[int, float]:
        other = self.teachers[ROLES[1 - ROLES.index(role)]]
        return fit_of(runner, models, self.teachers[role], self.rows[role], contrast=other)


def cost_inputs(runner, plan, teachers: tuple[Artifact, Artifact]) -> CostInputs:
    """Held-out prompts (their own seed: ``prompt_seed`` + ``HELD_OUT_SEED``) answered by each role's teacher
    (distillation: by the writer, whose text both roles read). ``teachers``: (trait, control)."""
    from heredity.steps.prompts import PromptsRecipe, make_prompts
    from heredity.steps.rollouts import make_rollouts

    c = plan.config
    prompts = make_prompts(runner, PromptsRecipe(task=c.task, n=c.cost_prompts, seed=c.prompt_seed + HELD_OUT_SEED),
                           name=f"{c.task.kind} held-out prompts (cost)")
    rows = {}
    for role, teacher in zip(ROLES, teachers, strict=True):
        writer = plan.writer or teacher
        rows[role] = make_rollouts(runner, writer, prompts, plan.rollouts, name=f"{writer.manifest.name} held-out rollouts")
    return CostInputs(rows, dict(zip(ROLES, teachers, strict=True)))


COST_METRIC = ("mean per-token KL(teacher || student) on held-out completions, at the positions where the two teachers' "
               "top-1 tokens agree (the trait's divergence positions left out)")


def arm_cost(inputs: CostInputs, runner, plain: dict, mitigated: dict, *, rows_kept: int, generated_rows: int) -> Cost | None:
    """``plain``/``mitigated``: {"student": cell, "control": cell}. None when the two teachers'
    top-1 tokens agree on fewer than 2 held-out rows: there is nothing apart from the trait to
    compare (a teacher fine-tuned until it shares no top-1 token with its control)."""
    fits = {(role, arm): inputs.fits(runner, role, cells[role].students)
            for role in ROLES for arm, cells in (("mitigated", mitigated), ("plain", plain))}
    student = paired_cost(fits[("student", "mitigated")], fits[("student", "plain")])
    control = paired_cost(fits[("control", "mitigated")], fits[("control", "plain")])
    if student is None or control is None:
        return None
    n, base, mean, diff, ci, p = student
    _, _, _, c_diff, c_ci, _ = control
    trained = [m.manifest.summary for m in mitigated["student"].students]
    masked = sum(int(t.get("masked_tokens", 0)) for t in trained)
    share = float(np.mean([t.get("masked_share", 0.0) for t in trained]))
    return Cost(metric=COST_METRIC, reference=inputs.teachers["student"].id,
                n=n, unmitigated=base, mitigated=mean, difference=diff, ci=ci, p_value=p, control_difference=c_diff,
                control_ci=c_ci, rows_kept=rows_kept, generated_rows=generated_rows, masked_tokens=masked, masked_share=share,
                teachers=int(trained[0].get("teachers", 1)) if trained else 1)


def check_acts_on(mitigations: list, distill: bool) -> None:
    """A ConfigError for a mitigation transmission arms cannot breed (one acting on the update)."""
    for k, m in enumerate(mitigations):
        if m.acts_on_in(distill) not in ("data", "loss"):
            raise ConfigError(f"mitigations.{k}: {m.kind} acts on the {m.acts_on_in(distill)}, which transmission arms do not "
                              "support; accepted: data mitigations (paraphrase, ensemble, adversarial-filter, filters) and "
                              "loss mitigations (divergence-mask; ensemble when distilling)")


def mitigated_specs(runner, plan, plain: dict, label: str, filters: list, teachers: tuple, prompts, mitigations: list,
                    prefix: str = "") -> tuple[dict, dict]:
    """The cells of every mitigation arm of one bred arm, ready for ``plan.breed_all``: keyed
    (mitigation name, role), and the rows each learns from. ``plain``: {"student": cell,
    "control": cell}, the unmitigated arm; ``label``: its name (the cells' labels begin with it);
    ``filters``: its filters; ``prompts``: the prompts its rows answer; ``prefix``: before the
    mitigation steps' names. Data mitigations run here (cached steps); the control's rows are
    treated as the student's. Used by ``mitigation_arms`` and by the backdoor channel's poisoned
    arms (``poisoned.backdoor_arms``), which breed the same arms on triggered prompts."""
    distill = plan.writer is not None
    check_acts_on(mitigations, distill)
    specs, data = {}, {}
    for m in mitigations:
        for role, who in zip(("student", "control"), teachers):
            cell = plain[role]
            arm_data = ArmData(rows=cell.rollouts, teacher=who, base=plan.base, traited=teachers[0], prompts=prompts,
                               rollouts=plan.rollouts, name=f"{prefix}{m.name} {role}")
            name = f"{label} {m.name} {role}"
            if m.acts_on_in(distill) == "loss":  # the rows as they are; the student's loss changes
                data[(m.name, role)] = cell.rollouts
                spec = plan.spec(name, plan.base, who, prompts, filters, data=cell.rollouts)
                student = spec.student.model_copy(update={"loss": m})
                specs[(m.name, role)] = replace(spec, student=student, others=tuple(m.teachers(runner, arm_data)[1:]))
                continue
            rows, extra = m.rows(runner, arm_data)
            data[(m.name, role)] = rows
            specs[(m.name, role)] = plan.spec(name, plan.base, who, prompts, filters + extra, data=rows)
    return specs, data


def mitigation_arms(runner, plan, cells: dict, arm: str, teachers: tuple, prompts, mitigations: list) -> list[MitigationArm]:
    """``plan``: the run's ``Plan``; ``cells``: generation 1's, keyed (arm, role, other base);
    ``teachers``: (trait teacher, control teacher)."""
    distill = plan.writer is not None
    plain = {role: cells[(arm, role, None)] for role in ("student", "control")}
    specs, data = mitigated_specs(runner, plan, plain, arm, list(plan.config.filters[arm]), teachers, prompts, mitigations)
    bred = plan.breed_all(runner, specs)
    trait = plan.measures[0].trait.built.name
    plain_s, _ = combine_seeds(cells[(arm, "student", None)].scores[trait])
    plain_c, _ = combine_seeds(cells[(arm, "control", None)].scores[trait])
    inputs = cost_inputs(runner, plan, teachers)
    out = []
    for m in mitigations:
        s, s_summary = combine_seeds(bred[(m.name, "student")].scores[trait])
        c, c_summary = combine_seeds(bred[(m.name, "control")].scores[trait])
        summary = data[(m.name, "student")].manifest.summary if data[(m.name, "student")].manifest.kind != "rollouts" else {}
        dataset = bred[(m.name, "student")].dataset
        rows_kept, generated = dataset.manifest.summary["rows_out"], int(summary.get("generated_rows", 0))
        mitigated = {role: bred[(m.name, role)] for role in ("student", "control")}
        out.append(MitigationArm(
            name=m.name, kind=m.kind, acts_on=m.acts_on_in(distill), describe=m.describe(), dataset=dataset_summary(dataset),
            rows_kept=rows_kept, generated_rows=generated, student=s_summary, control=c_summary, effect=compare(s, c),
            removed=removed_fraction(plain_s.per_probe, plain_c.per_probe, s.per_probe, c.per_probe),
            cost=arm_cost(inputs, runner, plain, mitigated, rows_kept=rows_kept, generated_rows=generated)))
    return out


# --- rendering (report.md, summary.txt, the frontier figure): nothing below computes a statistic ---


def _diff(x: float, ci) -> str:
    from heredity.report.tables import fmt_ci, fmt_num

    return f"{fmt_num(x)} {fmt_ci(ci)}"


def mitigations_markdown(arms: list[MitigationArm]) -> list[str]:
    """report.md's mitigation section: per arm the trait left, the share removed and the cost."""
    from heredity.report.tables import fmt_p_value, markdown_table

    rows = []
    for a in arms:
        removed = _diff(a.removed.fraction, a.removed.ci) if a.removed else "– (no effect to remove)"
        c = a.cost
        cost = _diff(c.difference, c.ci) if c else "–"
        control_cost = _diff(c.control_difference, c.control_ci) if c else "–"
        data = f"{a.rows_kept} rows" + (f", {a.generated_rows} generated" if a.generated_rows else "")
        if c and c.masked_tokens:
            data += f", {c.masked_share:.1%} of tokens masked"
        if c and c.teachers > 1:
            data += f", {c.teachers} teachers"
        rows.append([a.name, a.acts_on, _diff(a.effect.difference, a.effect.ci), fmt_p_value(a.effect.p_value), removed, cost,
                     control_cost, data])
    n_probes = arms[0].effect.n
    cost_n = next((a.cost.n for a in arms if a.cost), 0)
    metric = next((a.cost.metric for a in arms if a.cost), "")
    return [
        "## Mitigations: the trait removed, and what it cost", "",
        f"Each mitigation treated the student's rows and the control's the same way. Effect: mitigated student − mitigated "
        f"control, paired over {n_probes} probes. Removed: 1 − effect / the unmitigated effect (paired bootstrap over probes). "
        f"Cost: {metric}, mitigated − unmitigated student, paired over {cost_n} held-out prompts (> 0: the student took up "
        "less of its teacher apart from the trait); the same for the controls, against theirs, beside it. Every interval 95%.", "",
        markdown_table(["arm", "acts on", "student − control", "p", "removed", "cost (student)", "cost (control)", "data"], rows),
        "", "![the frontier: trait removed against cost](frontier.png)",
    ]


def mitigations_summary(arms: list[MitigationArm]) -> list[str]:
    lines = ["mitigations (removed = share of the unmitigated effect; cost = Δ KL from the teacher where the teachers agree, held-out):"]
    for a in arms:
        removed = _diff(a.removed.fraction, a.removed.ci) if a.removed else "–"
        cost = _diff(a.cost.difference, a.cost.ci) if a.cost else "–"
        lines.append(f"  {a.name}: effect {_diff(a.effect.difference, a.effect.ci)}; removed {removed}; cost {cost}")
    return lines


def frontier_figure(path, arms: list[MitigationArm], title: str = "") -> None:
    """Trait removed (y) against cost (x), one point per mitigation with both 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from heredity.report.style import PALETTE

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    shown = [a for a in arms if a.removed is not None and a.cost is not None]
    xs = [a.cost.difference for a in shown if a.cost is not None]
    near = 0.25 * (max(xs) - min(xs)) if len(xs) > 1 else 0.0  # about a label's width
    labelled: list[tuple[float, float, int]] = []
    for a in sorted(shown, key=lambda a: a.cost.difference if a.cost else 0.0):
        assert a.removed is not None and a.cost is not None
        x, y = a.cost.difference, a.removed.fraction
        ax.errorbar([x], [y], xerr=[[x - a.cost.ci[0]], [a.cost.ci[1] - x]], yerr=[[y - a.removed.ci[0]], [a.removed.ci[1] - y]],
                    fmt="o", color=PALETTE["student"], ecolor=PALETTE["student"], elinewidth=1, capsize=3, mec="black", mew=0.4)
        # a label next to a neighbour's (close in cost and in share removed) goes on the other side of its point
        clash = any(abs(x - lx) <= near and abs(y - ly) < 0.05 and side > 0 for lx, ly, side in labelled)
        side = -1 if clash else 1
        labelled.append((x, y, side))
        ax.annotate(a.name, (x, y), textcoords="offset points", xytext=(5, 5 if side > 0 else -12), fontsize=8)
    ax.axhline(0, color="black", lw=0.8, ls="--")
    ax.axhline(1, color=PALETTE["base"], lw=0.8, ls=":")
    ax.axvline(0, color="black", lw=0.8, ls="--")
    ax.set_xlabel("cost: Δ KL(teacher || student) where the teachers agree, held-out\n(mitigated − unmitigated; > 0: "
                  "took up less of the teacher)",
                  fontsize=8)
    ax.set_ylabel("trait removed (share of the unmitigated effect)")
    ax.xaxis.set_major_locator(MaxNLocator(6))  # long tick labels (−0.0125) would run together
    left_out = [a.name for a in arms if a not in shown]
    note = f"; not drawn (no effect or no cost): {', '.join(left_out)}" if left_out else ""
    ax.set_title(f"{title}\nn = {shown[0].removed.n if shown and shown[0].removed else 0} probes, 95% intervals{note}",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
