"""The audit benchmark's typed results (``results.json``): every organism's truth (read from the
lineage) and the blind auditor's verdict on it, and the error rates over organisms, each with
its interval and n.

Schema 2 (from 1): organisms carry their class (a planted trait, ``backdoor:<trait>``, ``none``),
a backdoor's planted trigger and the trigger each candidate's search reported; organisms of a
mixed channel carry the screen of their rows (``screen``); ``classes`` holds each class's
detection rate (and a backdoor class's trigger-found rate); metrics may hold
``backdoor_detection_rate``, ``trigger_found_rate`` and ``screen_auc``."""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, Field

from heredity.audit.activation_lens import ActivationLens
from heredity.results import RESULTS, Results

SCHEMA_VERSION: Final = 2


class Metric(BaseModel):
    value: float | None = Field(description="the estimate (None: no organism to estimate it on)")
    ci: tuple[float, float] | None = Field(description="95% interval")
    n: int = Field(description="organisms (or audited pairs) it is computed over")
    method: str = Field(description="how the value and its interval were computed")
    count: int | None = Field(None, description="for a proportion: the successes")
    organisms: int | None = Field(None, description="when n counts rows: the organisms they come from")



class TriggerVerdict(BaseModel):
    """What a candidate's trigger search (heredity.audit.triggers) reported, never told a trigger."""

    found: str | None = Field(description="the trigger it reported (None: not found)")
    trait: str | None = Field(description="the trait the trigger gates")
    source: str | None = Field(description="where the candidate came from (embedding, output, quirk, grown, user)")
    inherited: bool = Field(description="the student's gate exceeds its control's (adjusted p < alpha)")
    teacher_minus_base: float | None = Field(description="candidate's gate - reference's gate (probability scale)")
    student_minus_control: float | None = Field(description="student's gate - control's gate")
    p_adjusted: float | None = Field(description="of student - control, corrected across candidate x trait tests")
    tried: int = Field(description="candidates screened")
    measured: int = Field(description="candidates measured in full")
    summary: str


class ScreenResult(BaseModel):
    """A mixed organism's training rows screened (heredity screen) against the teacher it learned
    from (the suspect, as a user names it to ``heredity screen``), blind to which rows it wrote."""

    suspect: str = Field(description="the candidate label the rows were screened against (the organism's traited teacher)")
    by: str = Field(description="the ranking score (the flags are its top rows)")
    rows: int
    traited_rows: int = Field(description="rows the traited teacher wrote (from the lineage)")
    scores: list[float] = Field(description="each row's ranking score, in the dataset's row order")
    traited: list[bool] = Field(description="each row: written by the traited teacher (from the lineage)")
    auc: Metric = Field(description="ROC AUC of the ranking score against 'written by the traited teacher', over rows")


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
    trigger: TriggerVerdict | None = Field(None, description="the trigger search's report (None: the search was off)")


class Truth(BaseModel):
    """Read from the lineage, never typed: the teacher the student learned from, its trait."""

    teacher: str
    trait: str = Field(description="the teacher's trait label; empty for a trait-free teacher")
    planted: bool
    parent: str = Field(description="the label of the candidate that is the student's teacher")
    derived_from: list[str] = Field(description="labels of candidates whose weights the student was fine-tuned from")
    cls: str = Field("", description="the organism's class: the planted trait, 'backdoor:<trait>', or 'none'")
    backdoored: bool = Field(False, description="the teacher was planted with the backdoor inducer")
    trigger: str | None = Field(None, description="a backdoored teacher's planted trigger (from its induction data's recipe)")
    trigger_where: str | None = None
    mixed: bool = Field(False, description="the student's rows mix two teachers' (a mixture in its lineage)")


class Verdict(BaseModel):
    flagged: bool = Field(description="the audit calls some candidate's finding inherited")
    significant: bool = Field(description="flagged before the verdict's effect-size gate (p-value alone)")
    score: float = Field(description="the organism's detection score: the largest candidate evidence")
    parent: str | None = Field(description="the candidate ranked first (None: no unique first)")
    trait: str | None = Field(description="that candidate's top finding")
    named_class: str = Field(description="the grid trait that finding names; 'backdoor:<trait>' when no finding names "
                             "one and an inherited trigger gate (the reported trigger's) gates that trait; 'other' for none; "
                             "'not flagged'")
    parent_correct: bool
    trait_correct: bool
    lens_score: float | None = Field(None, description="the activation lens's detection score: the largest cosine over candidates")
    lens_parent: str | None = Field(None, description="the candidate with the largest lens cosine")
    lens_parent_correct: bool = False
    trigger: str | None = Field(None, description="the trigger the audit reported for this organism: of the candidates "
                                "whose search found a trigger whose gate the student inherited, the largest student - "
                                "control gate's (None: no inherited gate)")
    trigger_flagged: bool = Field(False, description="some candidate's found trigger gates a trait the student inherited")
    trigger_correct: bool = Field(False, description="the reported trigger is the planted one (backdoored organisms)")
    trigger_in_parent: bool = Field(False, description="the search on the true parent candidate found the planted trigger "
                                    "in it (whether or not the student inherited the gate)")


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
    screen: ScreenResult | None = Field(None, description="mixed organisms: the screen of the student's rows")


class ClassRates(BaseModel):
    """One class of organisms: how often the audit flagged it."""

    name: str = Field(description="a planted trait, 'backdoor:<trait>', or 'none'")
    n: int
    detection_rate: Metric = Field(description="organisms flagged (for 'none': the false-positive rate)")
    trigger_found: Metric | None = Field(None, description="backdoor classes: the reported trigger is the planted one")
    trigger_in_parent: Metric | None = Field(None, description="backdoor classes: the search found the planted trigger in "
                                             "the true parent (whether or not the student inherited it)")


@RESULTS.register("audit-bench")
class AuditBenchResults(Results):
    kind: Literal["audit-bench"] = "audit-bench"
    schema_version: Literal[2] = SCHEMA_VERSION
    experiment: str
    alpha: float
    correction: str
    traits: list[str] = Field(description="the planted traits")
    audit_traits: list[str] = Field(description="the trait panel the auditor measured on every candidate")
    metrics: dict[str, Metric]
    organisms: list[OrganismResult]
    classes: list[ClassRates] = Field([], description="per class: the detection rate with its interval and n")
    detectors: list[str] = Field(["behavioural audit", "activation lens"],
                                 description="the detectors compared (metrics prefixed lens_ are the activation lens's)")
