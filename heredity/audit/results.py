"""The audit's typed results (``results.json``) and its readable report (``report.md``)."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel

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
    return "\n".join(lines) + "\n"
