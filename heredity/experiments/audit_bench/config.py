"""The ``audit-bench`` experiment file: model organisms of known pedigree, and the auditor's
settings. The organisms are a grid: every trait (each planted in a teacher by ``inducer``) plus
one trait-free teacher (the negatives), times every channel, times every seed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from heredity.audit.inheritance import Correction
from heredity.config import Strict
from heredity.filters import AnyFilter
from heredity.inducers import AnyInducer
from heredity.models.loading import ModelSource
from heredity.models.recipe import TrainRecipe
from heredity.steps.rollouts import GenerationSettings
from heredity.students import StudentTrain
from heredity.tasks import AnyTask
from heredity.traits import AnyTrait
from heredity.zoo.recipe import ZooRecipe


class ZooBase(Strict):
    """A tiny-zoo member (heredity.zoo.pretrain) as a base: a small Llama with SmolLM2's
    tokenizer, pretrained on the zoo corpus; ``{zoo: {seed: 1}}`` is another initialisation."""

    zoo: ZooRecipe = Field(ZooRecipe(), description="the member's architecture, pretraining and seed")


Base = ModelSource | ZooBase


class Channel(Strict):
    """How a student is bred from its teacher: the task the teacher answers, the filters, the
    student's training (the transmission kind's cell, heredity.cell)."""

    task: AnyTask
    prompts: int = Field(64, ge=1, description="task prompts the teacher answers")
    prompt_seed: int = 0
    generation: GenerationSettings = GenerationSettings()
    filters: list[AnyFilter] = Field([], description="applied to the teacher's rollouts, as a transmission arm's")
    max_rows: int | None = Field(None, ge=1)
    train: StudentTrain = TrainRecipe()
    restrict_to_grammar: bool = True


class AuditSettings(Strict):
    """What the blind auditor measures: the same trait panel and probe set on every organism
    (it is never told which trait, if any, was planted)."""

    traits: list[AnyTrait] | None = Field(
        None, description="the trait panel the auditor measures on every candidate (default: the grid's traits)")
    n_trait_probes: int | None = Field(None, ge=2, description="use only the first N probes of each trait")
    probes_per_source: int = Field(12, ge=1, description="discovery probes from each source (heredity audit)")
    top_quirks: int = Field(5, ge=0)
    min_prob: float = 0.01
    min_shift: float = 0.01
    correction: Correction = "holm"
    alpha: float = Field(0.05, gt=0, lt=1)
    n_boot: int = Field(2000, ge=100)
    lens: bool = Field(True, description="also run the activation lens (heredity.audit.activation_lens) on every "
                       "candidate, on the audit's discovery probes: the second detector the metrics compare")


class AuditBenchConfig(Strict):
    kind: Literal["audit-bench"]
    name: str = Field(..., min_length=1)
    base: Base = Field(ModelSource(), description="the base every organism is bred from: {source: ...} or {zoo: {...}}")
    tokenizer: ModelSource = Field(ModelSource(), description="zoo bases: the model whose tokenizer the members use")
    traits: list[AnyTrait] = Field(..., min_length=1, description="one planted trait per teacher")
    inducer: AnyInducer = Field(default_factory=lambda: {"kind": "finetune"}, validate_default=True,
                                description="how each teacher gets its trait (heredity.inducers)")
    channels: dict[str, Channel] = Field(..., min_length=1, description="name -> how students are bred")
    seeds: list[int] = Field([0], min_length=1, description="one organism per trait (and one negative) per channel per seed")
    control_seed_offset: int = Field(1000, description="each organism's control is the trait-free teacher's student of "
                                     "the same channel with seed + this (so a negative's student is not its own control)")
    decoys: list[Base] = Field([], max_length=4, description="other bases, shown to the auditor as candidates (cross-base decoys)")
    audit: AuditSettings = AuditSettings()
    bootstrap: int = Field(2000, ge=100, description="resamples of organisms for the AUC's interval")

    @model_validator(mode="after")
    def _distinct_traits(self):
        names = [t.built.name for t in self.traits]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"traits: {', '.join(twice)} given twice; each planted trait once")
        return self
