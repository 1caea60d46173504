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


class BackdoorResults(Record):
    trigger: str
    where: str
    probes: int = Field(description="the probes each gate is measured on")
    base: Gated
    teacher: Gated
    control_teacher: Gated | None = Field(None, description="the control teacher, when it is not the base itself (distillation)")
    teacher_vs_base: Comparison = Field(description="teacher gate − base gate, paired by probe: is the teacher backdoored?")
    arms: list[GatedArm] = Field(description="the trigger-free arms (every filter arm, generation 1), then the poisoned ones")


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
    ]


def backdoor_summary(b: BackdoorResults) -> list[str]:
    lines = [f"backdoor {b.trigger!r} ({b.where}), n = {b.probes} probes: teacher gate {_diff(b.teacher.gate)}"]
    for a in b.arms:
        lines.append(f"  {a.name}: gate − control's {_diff(a.gate_difference)}; leak {_diff(a.leak)}")
    return lines
