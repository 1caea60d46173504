"""The audit benchmark's typed results (``results.json``): every organism's truth (read from the
lineage) and the blind auditor's verdict on it, and the error rates over organisms, each with
its interval and n."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, Field

from heredity.audit.activation_lens import ActivationLens
from heredity.results import RESULTS, Results

SCHEMA_VERSION: Final = 1


class Metric(BaseModel):
    value: float | None = Field(description="the estimate (None: no organism to estimate it on)")
    ci: tuple[float, float] | None = Field(description="95% interval")
    n: int = Field(description="organisms (or audited pairs) it is computed over")
    method: str = Field(description="how the value and its interval were computed")
    count: int | None = Field(None, description="for a proportion: the successes")


class TopFinding(BaseModel):
    name: str
    kind: Literal["trait", "quirk"]
    score: float = Field(description="inheritance: (student - control) / (candidate - reference)")
    ci: tuple[float, float]
    p_adjusted: float = Field(description="student - control, corrected across the audit's findings")
    difference: float = Field(description="student - control")
    verdict: str


class CandidateVerdict(BaseModel):
    """What the blind auditor said about one candidate teacher of one organism."""

    label: str = Field(description="the neutral name the auditor saw (candidate A, B, ...)")
    model: str = Field(description="the model artifact the candidate runs")
    system_prompt: str | None
    comparable: bool = Field(description="false: another tokenizer, the behavioural audit could not compare it")
    note: str = ""
    inherited: bool = Field(description="some finding's verdict is 'inherited'")
    significant: bool = Field(description="some shown finding has student - control > 0 at adjusted p < alpha (the verdict "
                              "before its effect-size gate, heredity.audit.inheritance.MIN_SHARE)")
    evidence: float = Field(description="largest inheritance score (share of the candidate's shift the student shows over "
                            "the control) over findings the candidate shows; 0: none")
    findings: int
    top: list[TopFinding] = Field(description="inherited findings, strongest first (at most 3)")
    derived: bool = Field(description="heredity derived-from: the student was fine-tuned from this candidate's weights")
    derived_verdict: str
    weight_cosine: float | None
    lens: ActivationLens | None = Field(None, description="the activation lens (second detector): student - control "
                                        "along candidate - reference at the middle block; None: another architecture, or the candidate is the reference (no direction)")


class Truth(BaseModel):
    """Read from the lineage, never typed: the teacher the student learned from, its trait."""

    teacher: str
    trait: str = Field(description="the teacher's trait label; empty for a trait-free teacher")
    planted: bool
    parent: str = Field(description="the label of the candidate that is the student's teacher")
    derived_from: list[str] = Field(description="labels of candidates whose weights the student was fine-tuned from")


class Verdict(BaseModel):
    flagged: bool = Field(description="the audit calls some candidate's finding inherited")
    significant: bool = Field(description="flagged before the verdict's effect-size gate (p-value alone)")
    score: float = Field(description="the organism's detection score: the largest candidate evidence")
    parent: str | None = Field(description="the candidate ranked first (None: no unique first)")
    trait: str | None = Field(description="that candidate's top finding")
    named_class: str = Field(description="the grid trait that finding names; 'other' for none; 'not flagged'")
    parent_correct: bool
    trait_correct: bool
    lens_score: float | None = Field(None, description="the activation lens's detection score: the largest cosine over candidates")
    lens_parent: str | None = Field(None, description="the candidate with the largest lens cosine")
    lens_parent_correct: bool = False


class OrganismResult(BaseModel):
    key: str = Field(description="trait / channel / seed, for people (the auditor never saw it)")
    channel: str
    seed: int
    student: str
    control: str
    reference: str
    truth: Truth
    verdict: Verdict
    candidates: list[CandidateVerdict]


@RESULTS.register("audit-bench")
class AuditBenchResults(Results):
    kind: Literal["audit-bench"] = "audit-bench"
    schema_version: Literal[1] = SCHEMA_VERSION
    experiment: str
    alpha: float
    correction: str
    traits: list[str] = Field(description="the planted traits")
    audit_traits: list[str] = Field(description="the trait panel the auditor measured on every candidate")
    metrics: dict[str, Metric]
    organisms: list[OrganismResult]
    detectors: list[str] = Field(["behavioural audit", "activation lens"],
                                 description="the detectors compared (metrics prefixed lens_ are the activation lens's)")
