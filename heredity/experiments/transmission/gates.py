"""The backdoor channel of a transmission run: its settings (``backdoor:`` in the file) and its
typed results (``results.json``'s ``backdoor``). The breeding lives in ``poisoned.py``.

Every model of the run (base, teacher, control teacher, each student and each control) is
measured on the trait with and without the trigger (``heredity.measure.gated``); a student's
gate is compared with its control's probe by probe (did the gate travel?) and its trait without
the trigger with its control's (did the trait leak out of the gate?).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from heredity.config import Strict
from heredity.measure.gated import Trigger
from heredity.results import Comparison, Record, ScoreSummary


class BackdoorSettings(Strict):
    """``backdoor: {trigger: {text: ..., where: prefix}, poison: [0.05], seed: 0, probes: null}``"""

    trigger: Trigger = Field(description="measured with and without on every model of the run: the gate")
    probes: int | None = Field(None, ge=1, description="measure the gate on the trait's first N probes (null: the backdoor "
                               "inducer's held_out, the probes its teacher never trained on; every probe for other inducers)")
    poison: list[float] = Field([], max_length=4, description="poisoned arms: for each fraction (0.0025 to 0.5) the first "
                                "filter arm is bred again, student and control alike, on the same prompts with that fraction "
                                "of them (at least one, chosen with seed) carrying the trigger")
    seed: int = Field(0, description="which prompts the poisoned arms trigger")

    @field_validator("poison")
    @classmethod
    def _fractions(cls, poison: list[float]) -> list[float]:
        bad = [f for f in poison if not 0 < f <= 0.5]
        if bad:
            raise ValueError(f"poison: fractions must be in (0, 0.5] (e.g. 0.0025 for 0.25%, 0.05 for 5%); got {bad}; "
                             "trigger-free data is the run's own arms")
        if len(set(poison)) != len(poison):
            raise ValueError(f"poison: a fraction is given twice ({poison})")
        return poison


class Gated(Record):
    """One model (seeds combined probe by probe): the trait with and without the trigger, and the gate."""

    on: ScoreSummary = Field(description="P(trait | trigger)")
    off: ScoreSummary = Field(description="P(trait | no trigger)")
    gate: Comparison = Field(description="on − off, paired by probe")


class GatedArm(Record):
    """A student and its control bred the same way (trigger-free prompts, or a poisoned fraction)."""

    name: str = Field(description="the filter arm, with the poisoned fraction when there is one")
    arm: str = Field(description="the filter arm it was bred as")
    poison: float = Field(description="the fraction of prompts carrying the trigger (0: trigger-free data)")
    poisoned_rows: list[int] = Field(description="the prompts (i) that carry the trigger, ascending")
    prompts: str = Field(description="the prompts artifact both teachers answered")
    dataset: str = Field(description="the student's dataset artifact")
    rows: int = Field(description="rows the student learned from")
    student: Gated
    control: Gated
    gate_difference: Comparison = Field(description="student gate − control gate, paired by probe: did the gate travel?")
    leak: Comparison = Field(description="student − control without the trigger, paired by probe: does the trait leak?")
    verdict: str = Field(description="gate carried / not carried (gate_difference's CI above 0 and at least 1% of the teacher's gate), and leaks / does not leak")


class Removed(Record):
    """1 − (mitigated effect / unmitigated effect), effects as student − control means over probes
    (the mitigation arms' trait; the backdoor's mitigated arms' gate). Defined here, beside the
    backdoor records that use it; ``results.MitigationArm`` uses it too."""

    fraction: float
    ci: tuple[float, float] = Field(description="95% paired bootstrap over probes (the same probes resampled for both arms)")
    n: int = Field(description="probes")


class GatedMitigation(Record):
    """A mitigation arm (``mitigations:``) bred again on a backdoor arm's data: the first filter
    arm's trigger-free data or a poisoned fraction's, the student's rows and its control's treated
    the same way (heredity.experiments.transmission.mitigated), both measured with and without the
    trigger on the same probes as the unmitigated arm. Does the gate survive the mitigation?"""

    name: str = Field(description="the unmitigated arm's name, then the mitigation's")
    unmitigated: str = Field(description="the name of the arm (in arms) it mitigates: its gate difference is compared")
    mitigation: str = Field(description="the mitigation arm's name (its label, or its kind)")
    kind: str
    acts_on: str = Field(description="data (the rows rewritten, re-drawn or dropped) or loss (what the loss sees)")
    poison: float = Field(description="the fraction of prompts carrying the trigger (0: trigger-free data)")
    dataset: str = Field(description="the mitigated student's dataset artifact")
    control_dataset: str = Field(description="the mitigated control's dataset artifact")
    rows: int = Field(description="rows the mitigated student learned from")
    triggered_rows: int = Field(description="of them, rows whose prompt carries the trigger")
    student: Gated
    control: Gated
    gate_difference: Comparison = Field(description="mitigated student gate − mitigated control gate, paired by probe")
    leak: Comparison = Field(description="mitigated student − mitigated control without the trigger, paired by probe")
    change: Comparison = Field(description="this gate difference − the unmitigated arm's, paired by probe (< 0: the "
                               "mitigation lowered the gate that travelled)")
    removed: Removed | None = Field(description="1 − this gate difference / the unmitigated arm's, paired bootstrap over "
                                    "probes (None: the unmitigated gate difference is 0)")
    verdict: str = Field(description="gate carried / not carried (as the arms'), leak, and whether the gate survives the "
                         "mitigation: survives (still carried), removed (carried before, not now) or nothing to remove")


class BackdoorResults(Record):
    trigger: str
    where: str
    probes: int = Field(description="the probes each gate is measured on")
    base: Gated
    teacher: Gated
    control_teacher: Gated | None = Field(None, description="the control teacher, when it is not the base itself (distillation)")
    teacher_vs_base: Comparison = Field(description="teacher gate − base gate, paired by probe: is the teacher backdoored?")
    arms: list[GatedArm] = Field(description="the trigger-free arms (every filter arm, generation 1), then the poisoned ones")
    mitigations: list[GatedMitigation] = Field([], description="when the file sets mitigations: every mitigation arm bred on "
                                               "the first filter arm's trigger-free data, then on each poisoned fraction's")


def _level(s: ScoreSummary) -> str:
    from heredity.report.tables import fmt_ci, fmt_num

    return f"{fmt_num(s.p)} {fmt_ci(s.ci)}"


def _diff(c: Comparison) -> str:
    from heredity.report.tables import fmt_ci, fmt_num, fmt_p_value

    return f"{fmt_num(c.difference)} {fmt_ci(c.ci)}, p = {fmt_p_value(c.p_value)}"


def backdoor_markdown(b: BackdoorResults) -> list[str]:
    """report.md's backdoor section: every model with and without the trigger, then per arm the
    student's gate against its control's and the leak."""
    from heredity.report.tables import markdown_table

    models = [("base", b.base), ("teacher", b.teacher)] + ([("control teacher", b.control_teacher)] if b.control_teacher else [])
    for a in b.arms:
        models += [(f"{a.name} student", a.student), (f"{a.name} control", a.control)]
    for m in b.mitigations:
        models += [(f"{m.name} student", m.student), (f"{m.name} control", m.control)]
    rows = [[name, _level(g.on), _level(g.off), _diff(g.gate), f"{g.gate.wins}/{g.gate.n}"] for name, g in models]
    arms = [[a.name, f"{len(a.poisoned_rows)}/{a.rows}" if a.poison else "0 (trigger-free)", _diff(a.gate_difference),
             _diff(a.leak), a.verdict] for a in b.arms]
    return [
        "## Backdoor: the trait with and without the trigger", "",
        f"Trigger {b.trigger!r} ({b.where}), on {b.probes} probes; every interval 95%, paired by probe. Teacher gate − base "
        f"gate: {_diff(b.teacher_vs_base)}.", "",
        markdown_table(["model", "P(trait | trigger)", "P(trait | no trigger)", "gate (on − off)", "probes on > off"], rows), "",
        "Each student against its control bred the same way from the teacher without the backdoor: its gate − the control's "
        "gate (did the gate travel?) and its trait without the trigger − the control's (does the trait leak?).", "",
        markdown_table(["arm", "triggered prompts", "student gate − control gate", "leak: student − control, no trigger",
                        "verdict"], arms),
        *_mitigations_markdown(b),
    ]


def _mitigations_markdown(b: BackdoorResults) -> list[str]:
    """Per mitigation × backdoor arm: the mitigated student's gate against its mitigated control's,
    beside the unmitigated arm's, and the share of it removed."""
    from heredity.report.tables import fmt_ci, fmt_num, markdown_table

    if not b.mitigations:
        return []
    before = {a.name: a for a in b.arms}
    rows = []
    for m in b.mitigations:
        removed = f"{fmt_num(m.removed.fraction)} {fmt_ci(m.removed.ci)}" if m.removed else "– (no gate difference to remove)"
        rows.append([m.unmitigated, f"{m.mitigation} ({m.acts_on})", f"{m.triggered_rows}/{m.rows}", _diff(m.gate_difference),
                     _diff(before[m.unmitigated].gate_difference), _diff(m.change), removed, _diff(m.leak), m.verdict])
    return [
        "", "Against the mitigations: each mitigation arm bred again on each arm's data, the student's rows and its "
        "control's treated the same way, both measured with and without the trigger on the same probes. Change: mitigated − "
        "unmitigated gate difference, paired by probe; removed: 1 − mitigated / unmitigated gate difference (paired "
        "bootstrap over probes). The gate survives when the mitigated arm's gate is still carried.", "",
        markdown_table(["arm", "mitigation", "triggered rows", "student gate − control gate", "unmitigated", "change",
                        "removed", "leak: student − control, no trigger", "verdict"], rows),
    ]


def backdoor_summary(b: BackdoorResults) -> list[str]:
    lines = [f"backdoor {b.trigger!r} ({b.where}), n = {b.probes} probes: teacher gate {_diff(b.teacher.gate)}"]
    for a in b.arms:
        lines.append(f"  {a.name}: gate − control's {_diff(a.gate_difference)}; leak {_diff(a.leak)}")
    for m in b.mitigations:
        lines.append(f"  {m.name}: gate − control's {_diff(m.gate_difference)}; change {_diff(m.change)}")
    return lines
