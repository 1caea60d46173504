"""``results.json`` of a transmission experiment: a typed, versioned record (JSON Schema in
docs/schemas/transmission.json).

Scores of several seeds are combined probe by probe (the mean over seeds of each probe's
value), so the student−control test stays paired by probe and its n is the number of probes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity import stats
from heredity.experiments.transmission.gates import BackdoorResults, Removed
from heredity.experiments.transmission.verdict import Verdict
from heredity.measure import Score, mean_over_seeds, paired_difference
from heredity.results import RESULTS, Comparison, Record, Results, ScoreSummary
from heredity.stats_records import Fidelity
from heredity.steps.scores import read_score
from heredity.store import Artifact


class DatasetSummary(Record):
    id: str
    rows_in: int
    rows_out: int
    reasons: dict[str, int] = Field(description="filter counts: input, kept, and one count per reason a row was dropped or changed")


class Specificity(Record):
    """Distillation: the same comparison on the control teacher's own target, mirrored."""

    trait: str
    student: ScoreSummary
    control: ScoreSummary
    difference: Comparison = Field(description="control-trait student − trait student on the control trait")


class OtherBase(Record):
    """Students of another base than the teacher's, on the same data, against their own control."""

    base: str = Field(description="the other base's source")
    student: ScoreSummary
    control: ScoreSummary
    inheritance: Comparison = Field(description="student − control (both of this base), paired by probe")


class Arm(Record):
    dataset: DatasetSummary
    control: ScoreSummary
    student: ScoreSummary
    inheritance: Comparison = Field(description="student − control, paired by probe")
    student_minus_base: Comparison | None = Field(None, description="student − base, paired by probe (beside student − control)")
    verdict: Verdict | None = Field(None, description="did the student inherit? the call, and the share of the teacher's shift")
    student_models: list[str] = Field([], description="the student model artifacts, one per seed")
    control_models: list[str] = Field([], description="the control model artifacts, one per seed")
    specificity: Specificity | None = None
    fidelity: Fidelity | None = Field(None, description="student / teacher, when the teacher shows the trait at all (a raw ratio: "
                                            "the base's own rate counts; verdict.above_base takes it out)")
    other_bases: list[OtherBase] = Field([], description="cross-base students (student.other_bases), in the file's order")


class Generation(Record):
    generation: int = Field(description="2 for the students of the first students, and so on")
    arms: dict[str, Arm]


class DroppedRows(Record):
    """A student of the screened arm's data with some rows dropped, against the arm's control."""

    dataset: DatasetSummary = Field(description="what the student learned: the arm's rows minus the dropped ones")
    rows: list[int] = Field(description="the dropped rows' ids (i), ascending")
    mean_score: float = Field(description="the screen score (by) averaged over the dropped rows")
    student: ScoreSummary
    inheritance: Comparison = Field(description="this student − the arm's control, paired by probe")


class ScreenArm(Record):
    """Does dropping the rows a screen flags remove the trait, and better than dropping at random?"""

    arm: str = Field(description="the filter arm whose trait-student dataset was screened")
    screen: str = Field(description="the screen artifact (per-row scores; heredity lineage shows what it read)")
    by: str = Field(description="the score that ranked the rows: llr_mean, llr_sum or projection")
    rows: int = Field(description="rows in the arm's trait-student dataset")
    dropped: int = Field(description="rows dropped from it, by the screen and at random alike")
    seed: int = Field(description="the random drop's seed")
    mean_score: float = Field(description="the screen score (by) averaged over all the arm's rows")
    screened: DroppedRows = Field(description="the top `dropped` rows by `by` dropped")
    random: DroppedRows = Field(description="as many rows dropped, chosen at random")
    difference: Comparison = Field(description="screened-drop student − random-drop student, paired by probe")


class ControlTrait(Record):
    trait: str
    base: ScoreSummary
    control_teacher: ScoreSummary


class Cost(Record):
    """What a mitigation cost the student of what distillation was for: its fit to the teacher it
    learned from on held-out prompts of the task, apart from the trait (``heredity.steps.fit``: per
    prompt, the mean over the teacher's completion of KL(teacher || model) of the next token, at
    the positions where the trait and control teachers' top-1 tokens agree), mitigated minus
    unmitigated, paired by prompt; the control's the same against the control teacher; and the
    data it consumed."""

    metric: str = Field(description="what is compared: mean per-token KL(teacher || student) on held-out completions, at the "
                        "positions where the two teachers agree")
    reference: str = Field(description="the trait teacher's artifact (the control's cost reads the control teacher)")
    n: int = Field(description="held-out prompts (rows) paired")
    unmitigated: float = Field(description="the unmitigated student's mean KL (seeds averaged per prompt)")
    mitigated: float = Field(description="the mitigated student's mean KL")
    difference: float = Field(description="mitigated − unmitigated: > 0, the mitigated student took up less of its "
                              "teacher apart from the trait")
    ci: tuple[float, float] = Field(description="95% paired bootstrap over held-out prompts")
    p_value: float = Field(description="paired t-test over held-out prompts")
    control_difference: float = Field(description="the same difference for the controls, treated the same way: the cost "
                                      "of the mitigation itself, apart from any trait it removed")
    control_ci: tuple[float, float]
    rows_kept: int = Field(description="rows the mitigated student learned from")
    generated_rows: int = Field(description="extra rows the mitigation had written")
    masked_tokens: int = Field(0, description="completion tokens left out of the loss (loss mitigations), seeds summed")
    masked_share: float = Field(0.0, description="masked tokens / completion tokens of the mitigated student's rows")
    teachers: int = Field(1, description="teachers whose distributions the target averages (the distillation ensemble)")


class MitigationArm(Record):
    """A mitigation arm (heredity.experiments.transmission.mitigated): a student and its control
    whose rows the mitigation treated the same way."""

    name: str
    kind: str
    acts_on: str
    describe: str
    dataset: DatasetSummary = Field(description="what the mitigated student learned")
    rows_kept: int
    generated_rows: int = Field(0, description="extra rows the mitigation had written (paraphrases, contrast and refill rows)")
    student: ScoreSummary
    control: ScoreSummary
    effect: Comparison = Field(description="mitigated student − mitigated control, paired by probe")
    removed: Removed | None = Field(description="share of the unmitigated arm's effect removed (None: that effect is 0)")
    cost: Cost | None = Field(None, description="what the mitigation cost on held-out prompts (None: not measured, or the two teachers agree on the top-1 token in fewer than 2 held-out rows)")


@RESULTS.register("transmission")
class TransmissionResults(Results):
    kind: Literal["transmission"] = "transmission"
    schema_version: Literal[8] = 8  # 8: cost read against each role's own teacher; 7: backdoor.mitigations; 6: mitigations[].cost; 5: mitigations
    experiment: str
    trait: str
    estimator: str
    mode: str
    seeds: list[int]
    base: ScoreSummary
    teacher: ScoreSummary
    models: dict[str, str] = Field({}, description="model and teacher artifacts by role: base, teacher, control teacher")
    arms: dict[str, Arm] = Field(description="one entry per filter arm, in the experiment file's order (generation 1)")
    control_trait: ControlTrait | None = None
    later_generations: list[Generation] = Field([], description="generations 2.. when the file asks for generations > 1")
    screen: ScreenArm | None = Field(None, description="the screen arm, when the file sets screen (generation 1)")
    mitigations: list[MitigationArm] = Field([], description="mitigation arms of the first filter arm (generation 1), "
                                             "when the file sets mitigations")
    backdoor: BackdoorResults | None = Field(None, description="the backdoor channel (generation 1), when the file sets backdoor: "
                                             "every model's trait with and without the trigger, and the gates")

    @property
    def first(self) -> Arm:
        return next(iter(self.arms.values()))


def combine_seeds(artifacts: tuple[Artifact, ...] | list[Artifact]) -> tuple[Score, ScoreSummary]:
    scores = [read_score(a) for a in artifacts]
    combined = mean_over_seeds(scores)
    summary = ScoreSummary(
        p=combined.p, ci=combined.ci, n=combined.n, method=combined.method, scores=[a.id for a in artifacts],
        per_seed=[s.p for s in scores] if len(scores) > 1 else None, per_probe=combined.per_probe,
    )
    return combined, summary


def compare(a: Score, b: Score) -> Comparison:
    return paired_difference(a, b)


def fidelity(student: ScoreSummary, teacher: ScoreSummary) -> Fidelity | None:
    if teacher.p <= 0 or len(student.per_probe) != len(teacher.per_probe):
        return None
    return stats.fidelity(student.per_probe, teacher.per_probe)


def dataset_summary(dataset: Artifact) -> DatasetSummary:
    s = dataset.manifest.summary
    return DatasetSummary(id=dataset.id, rows_in=s["rows_in"], rows_out=s["rows_out"], reasons=s.get("reasons", {}))
