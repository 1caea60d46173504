"""The ``kind: diffing`` experiment file: two pipelines, the factors to cross, what to measure.

Validated by ``heredity.config.validate`` (a mistake is a ConfigError, exit 2, naming the field).
Not registered as an experiment kind here: the runner wires it to the cell pipeline.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from heredity.config import Strict, implicit_defaults, plugin
from heredity.diffing import design
from heredity.diffing.flip import AnyScorer
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


def _open_fraction(value: float) -> float:
    if not 0 < value < 1:
        raise ValueError(f"a fraction must be strictly between 0 and 1 (got {value})")
    return value


def _closed_fraction(value: float) -> float:
    if not 0 <= value <= 1:
        raise ValueError(f"alpha must be between 0 and 1 (got {value})")
    return value


OpenFraction = Annotated[float, AfterValidator(_open_fraction)]
Alpha = Annotated[float, AfterValidator(_closed_fraction)]


class PromptSet(Strict):
    task: AnyTask = Field(..., description="the task whose prompts the teacher answers (e.g. {kind: general})")
    n: int = Field(..., ge=1, description="how many prompts")
    seed: int = Field(0, description="which prompts: the task's prompts(n, seed)")


def _inducer_kind(value):
    """``inducer: system-prompt`` is short for ``inducer: {kind: system-prompt}``."""
    return {"kind": value} if isinstance(value, str) else value


class Teacher(Strict):
    model: ModelSource | None = Field(
        None, description="the model that teaches (an embedded name or a folder); default: the pipeline's base")
    inducer: Annotated[AnyInducer, BeforeValidator(_inducer_kind)] = Field(
        ..., description="how the teacher gets its behaviour (heredity.inducers): system-prompt (the trait's, or its own "
        "`prompt`), finetune (on the model's answers rewritten to show the trait), checkpoint (a given model), none")
    trait: AnyTrait | None = Field(None, description="the trait a system-prompt or finetune inducer gives the teacher")

    @model_validator(mode="after")
    def _inducer_needs(self):
        needs_trait = self.inducer.kind == "finetune" or (self.inducer.kind == "system-prompt" and getattr(self.inducer, "prompt", None) is None)
        if needs_trait and self.trait is None:
            raise ValueError(f"inducer {self.inducer.kind!r} needs a trait (e.g. trait: {{kind: animal, animal: owl}})")
        return self


class Base(ModelSource):
    """The students' base: a model source, optionally given a trait first (a fine-tuned base is
    a base of its own: the planted-base case)."""

    inducer: AnyInducer | None = Field(None, description="e.g. {kind: finetune, ...}: the base is the model this makes")
    trait: AnyTrait | None = Field(None, description="the trait the base's inducer gives it")


class Pipeline(Strict):
    base: Base = Field(Base(), description="the base model the students start from (source: an embedded name or a folder)")
    prompts: PromptSet = Field(..., description="the SFT prompts the teacher answers")
    teacher: Teacher = Field(..., description="who writes the completions")
    filters: list[AnyFilter] = Field([], description="filters applied to the teacher's rollouts, in order")
    mitigations: list[plugin(MITIGATIONS)] = Field(  # type: ignore[valid-type]
        [], max_length=4, description="mitigations (heredity.mitigations) of the teacher's rows, part of the filter factor: "
        "data mitigations (paraphrase, ensemble, adversarial-filter, filters) rewrite, re-draw or drop the rows, in order, "
        "before the filters; one loss mitigation (divergence-mask) changes what the student's loss sees "
        "(e.g. [{kind: paraphrase}])")

    _no_mitigations_is_implicit = implicit_defaults(mitigations=[])  # files without mitigations keep their ids


class Students(Strict):
    seeds: list[int] = Field([0], min_length=1, description="one student per seed in every cell (seed s is paired across cells)")
    train: StudentTrain = Field(TrainRecipe(), description="how every student is trained (SFT on text across tokenizers)")

    _one_seed_source = model_validator(mode="after")(seeds_set_the_seed)


class Measure(MeasureSettings):
    """How each student is measured (the scores recipe's settings), and how the grid's intervals are drawn."""

    bootstrap: int = Field(2000, ge=100, description="bootstrap draws (probes and seeds resampled together)")
    scale: Literal["probability", "log"] = Field(
        "probability", description="attribute the gap in the score itself, or in log score (exact estimator: a rare "
        "answer's probability moves multiplicatively, and a gap of 1e-6 to 1e-3 is then 7 nats, not 0.001)")

    @model_validator(mode="after")
    def _log_needs_exact(self):
        if self.scale == "log" and self.estimator != "exact":
            raise ValueError("scale: log needs the exact estimator (a sampled rate can be 0)")
        return self


class Interpolation(Strict):
    alphas: list[Alpha] = Field([0.0, 0.25, 0.5, 0.75, 1.0], min_length=2, description="fractions of prompts whose rollout is swapped to B's teacher")
    draws: int = Field(2, ge=1, description="random subsets (one student each) per alpha")
    mixture: bool = Field(True, description="also train the plain mixture (alpha of rows from each pipeline) at each alpha")


class Flip(Strict):
    fractions: list[OpenFraction] = Field([0.02, 0.05, 0.1], min_length=1, description="flip-set sizes: the top fraction of prompts by the scorer")
    scorer: AnyScorer = Field({"kind": "llr"}, validate_default=True, description="per-row score of how much A's rollout carries the behaviour")
    test_fraction: OpenFraction = Field(0.05, description="the fraction whose swap-vs-drop test is the headline flip_test (the grid is Holm-adjusted)")
    random_draws: int = Field(1, ge=1, description="random same-size subsets, swapped and dropped, per fraction (controls)")
    drop: Literal["remove", "refill"] = Field(
        "remove", description="remove: the drop arms train on fewer rows (fewer steps); refill: each dropped row is replaced "
                              "by a copy of a kept row of A, so drop and swap train as many steps and differ in content only")

    arms: bool = Field(True, description="train the swap, drop and random arms; false: only rank the rows and check the "
                                         "found sets against the prompts' topics, with the leakage (no arm trained)")
    leak_student: bool = Field(
        False, description="where a drop leaves the behaviour: train a student on the leaking rows alone (teacher A's rows "
                           "outside the found set at test_fraction that score above the leakage cut) beside a control trained "
                           "on teacher B's rows of the same prompts, and report both and their difference paired by probe")

    _implicit = implicit_defaults(drop="remove", arms=True, leak_student=False)  # report ids from before these options stay

    @model_validator(mode="after")
    def _test_fraction_in_grid(self):
        if self.test_fraction not in self.fractions:
            raise ValueError(f"test_fraction {self.test_fraction} is not one of fractions {self.fractions}")
        return self


class DiffingConfig(Strict):
    kind: Literal["diffing"]
    name: str = Field(..., min_length=1, description="the run's name (reports, store names)")
    a: Pipeline = Field(..., description="pipeline A (the one that shows the behaviour)")
    b: Pipeline = Field(..., description="pipeline B (the one that does not)")
    factors: list[str] = Field(..., description=f"the factors to cross, a subset of {', '.join(design.FACTORS)}; 2^k cells are bred")
    path_order: list[str] | None = Field(None, description="the path view's order of swaps (default: factors' order)")
    traits: list[AnyTrait] = Field(..., min_length=1, description="the trait(s) measured on every cell; the first is the headline")
    students: Students = Field(Students(), description="students per cell")
    generation: GenerationSettings = Field(GenerationSettings(), description="how every teacher writes its rollouts")
    measure: Measure = Field(Measure(), description="how each student is measured")
    interpolation: Interpolation | None = Field(None, description="teacher patching at fractions alpha (needs teacher crossed)")
    flip: Flip | None = Field(None, description="flip-set finder and the swap-vs-drop ablation (needs teacher crossed)")
    cost_prompts: int = Field(32, ge=2, description="when a filter level has mitigations: held-out prompts each cell's teacher "
                              "answers, on which the students' cost is read (KL from the teacher where teachers A and B agree)")

    _cost_prompts_is_implicit = implicit_defaults(cost_prompts=32)  # files from before the cost keep their ids

    @field_validator("factors")
    @classmethod
    def _known_factors(cls, value: list[str]) -> list[str]:
        return list(design.check_factors(value))

    @model_validator(mode="after")
    def _pipelines_differ_where_crossed(self):
        parts = {
            "base": lambda p: p.base.model_dump(mode="json"),
            "prompts": lambda p: p.prompts.model_dump(mode="json"),
            "teacher": lambda p: p.teacher.model_dump(mode="json"),
            "filter": lambda p: ([f.model_dump(mode="json") for f in p.filters], [m.model_dump(mode="json") for m in p.mitigations]),
        }
        field = {"base": "base", "prompts": "prompts", "teacher": "teacher", "filter": "filters/mitigations"}
        for factor in design.FACTORS:
            same = parts[factor](self.a) == parts[factor](self.b)
            if factor in self.factors and same:
                raise ValueError(
                    f"factors: {factor!r} is crossed but a.{field[factor]} and b.{field[factor]} are the same: "
                    f"make them differ or leave {factor!r} out of factors")
            if factor not in self.factors and not same:
                raise ValueError(
                    f"factors: a.{field[factor]} and b.{field[factor]} differ but {factor!r} is not crossed, so no cell "
                    f"would be pipeline B: add {factor!r} to factors or make them equal")
        if self.path_order is not None and sorted(self.path_order) != sorted(self.factors):
            raise ValueError(f"path_order: {self.path_order} must list each of factors {self.factors} once")
        self._mitigations_fit()
        for what in ("interpolation", "flip"):
            if getattr(self, what) is not None and "teacher" not in self.factors:
                raise ValueError(f"{what}: swaps teacher rollouts, so it needs 'teacher' in factors")
        return self

    def _mitigations_fit(self) -> None:
        """A diffing cell trains its student with the one student recipe (``steps.student``): data mitigations and
        loss mitigations that recipe honours are accepted; update mitigations (gradient projection) are refused."""
        from heredity.mitigations.base import check_arms
        from heredity.students import STUDENT_KINDS

        distill = STUDENT_KINDS.get(self.students.train.mode).needs_teacher
        for side in ("a", "b"):
            pipe: Pipeline = getattr(self, side)
            losses = check_arms(pipe.mitigations, field=f"{side}.mitigations", distill=distill, mode=self.students.train.mode,
                                mode_field="students.train.mode", where="a diffing cell's student does not support")
            if len(losses) > 1:
                raise ValueError(f"{side}.mitigations: {len(losses)} loss mitigations ({', '.join(losses)}); a student trains "
                                 "with one loss: accepted at most one")
