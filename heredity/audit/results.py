"""The audit's typed results (``results.json``) and its readable report (``report.md``)."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, Field

from heredity.results import RESULTS, Results

SCHEMA_VERSION: Final = 1


class Difference(BaseModel):
    difference: float
    ci: tuple[float, float]
    p_value: float
    p_adjusted: float
    n: int


class Finding(BaseModel):
    """One trait or one discovered quirk: its levels, the two paired differences, the
    inheritance score with its interval, and the verdict."""

    kind: Literal["trait", "quirk"]
    name: str
    label: str
    levels: dict[str, float]
    teacher_minus_base: Difference
    student_minus_control: Difference
    score: float
    ci: tuple[float, float]
    ci_method: str
    n: int
    verdict: str
    details: dict[str, Any] = {}


Source = Literal["user", "quirk", "embedding", "output", "grown"]


class TriggerCandidate(BaseModel):
    text: str
    source: Source
    screen: float = Field(description="mean over probes of KL(with the candidate || without) of the first reply token, "
                          "teacher's − base's, nats (NaN: not screened)")
    measured: bool = Field(description="measured in full (one of the keep best, or a user candidate)")


class TriggerGate(BaseModel):
    """One candidate on one trait: the gate in each model and the two paired comparisons."""

    trigger: str
    source: Source
    trait: str
    levels: dict[str, float] = Field(description="mean gate (P(trait | trigger) − P(trait | none)) per model role")
    on: dict[str, float] = Field(description="mean P(trait | trigger) per model role")
    teacher_minus_base: Difference = Field(description="teacher gate − base gate, paired by probe")
    student_minus_control: Difference = Field(description="student gate − control gate, paired by probe")
    score: float = Field(description="(student − control) / (teacher − base) of the gates")
    ci: tuple[float, float]
    n: int
    verdict: str


class TriggerResults(BaseModel):
    placement: Literal["prefix"] = "prefix"
    probes: int
    correction: str
    alpha: float
    tests: int = Field(description="candidate × trait comparisons the p-values are adjusted across")
    tried: list[TriggerCandidate]
    gates: list[TriggerGate] = Field(description="every measured candidate × trait, most gated teacher first")
    found: TriggerGate | None
    summary: str


class ModelRead(BaseModel):
    role: Literal["teacher", "base", "student", "control"]
    id: str
    model_id: str
    system_prompt: str | None


@RESULTS.register("audit")
class AuditResults(Results):
    kind: Literal["audit"] = "audit"
    schema_version: Literal[1] = SCHEMA_VERSION
    models: list[ModelRead]
    correction: str
    alpha: float
    estimator: str
    findings: list[Finding]
    triggers: TriggerResults | None = None  # the trigger search, when the audit ran one (heredity.audit.triggers)

    def finding(self, name: str) -> Finding:
        for f in self.findings:
            if f.name == name:
                return f
        raise KeyError(f"no finding {name!r}; there are {[f.name for f in self.findings]}")


def report_md(results: AuditResults) -> str:
    roles = {m.role: m for m in results.models}
    lines = [
        "# Audit: what did the student inherit from the teacher?",
        "",
        *(f"- {m.role}: `{m.id}`" + (" (under its system prompt)" if m.system_prompt else "") for m in results.models),
        "",
        (f"Inheritance score = (student - control) / (teacher - base), 95% CI by {results.findings[0].ci_method if results.findings else 'bootstrap'}. "
        f"p-values: paired t-tests across probes, {results.correction}-adjusted across all {len(results.findings)} findings "
        f"(alpha {results.alpha}). Trait estimator: {results.estimator}. "
        f"Control: {'the base' if roles['control'].id == roles['base'].id else '`' + roles['control'].id + '`'}."),
        "",
        "| finding | teacher | base | student | control | student - control [95% CI] | adj. p | inheritance [95% CI] | n | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in results.findings:
        sc, lv = f.student_minus_control, f.levels
        lines.append(
            f"| {f.kind} {f.label} | {lv['teacher']:.3g} | {lv['base']:.3g} | {lv['student']:.3g} | {lv['control']:.3g} "
            f"| {sc.difference:+.3g} [{sc.ci[0]:+.3g}, {sc.ci[1]:+.3g}] | {sc.p_adjusted:.2g} "
            f"| {f.score:.2f} [{f.ci[0]:.2f}, {f.ci[1]:.2f}] | {f.n} | {f.verdict} |"
        )
    lines += ["", ("Quirks are the first reply words the teacher makes most likely over its base on a broad probe set "
                   "(traits' probes, tasks' prompts, general questions); their levels are P(first reply token is the word).")]
    if results.triggers is not None:
        from heredity.audit.triggers import trigger_markdown

        lines += trigger_markdown(results.triggers)
    return "\n".join(lines) + "\n"
