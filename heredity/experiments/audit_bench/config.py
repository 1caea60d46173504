"""The ``audit-bench`` experiment file: model organisms of known pedigree, and the auditor's
settings. The organisms are a grid: every trait (each planted in a teacher by ``inducer``) plus
one trait-free teacher (the negatives), times every channel, times every seed; plus, per
``backdoors`` entry, a teacher whose trait fires only on a trigger (the ``backdoor`` inducer),
bred through its channels for every seed. A channel with ``mix`` breeds each traited teacher's
student on rows of which that fraction the traited teacher wrote and the rest the plain teacher
(the screen's organisms)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from heredity.audit.inheritance import Correction
from heredity.audit.screen import Score
from heredity.audit.triggers import TriggerSearch
from heredity.config import Strict
from heredity.filters import AnyFilter
from heredity.inducers import AnyInducer
from heredity.inducers.backdoor import BackdoorInducer
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
    mix: float | None = Field(None, gt=0, lt=1, description="the fraction of each traited teacher's student's rows the "
                              "traited teacher wrote, the rest written by the plain teacher (heredity.steps.patch "
                              "mixture; which teacher wrote each row stays in the rows and the lineage); null: all its own. "
                              "The students' data are then screened (heredity screen) against their teacher")


class BackdoorClass(Strict):
    """Backdoored organisms: a teacher planted with the ``backdoor`` inducer (its trait shows only
    with the trigger), students bred through ``channels`` for every seed. The auditor is never told
    the trigger: its trigger search (heredity.audit.triggers) runs on every candidate."""

    trait: AnyTrait = Field(description="the trait gated behind the trigger (the auditor's panel measures it)")
    inducer: BackdoorInducer = Field(description="the backdoor inducer: {kind: backdoor, trigger: {text: ...}, ...}")
    channels: list[str] | None = Field(None, min_length=1, description="the channels its students are bred through (null: every one)")


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
    triggers: TriggerSearch | None = Field(
        None, description="the trigger search run in every candidate's audit (null: on, with its defaults, when the bench "
        "has backdoored organisms; off otherwise)")
    screen_by: Score = Field("llr_mean", description="mixed channels: the screen's ranking score whose AUC is reported")
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
    backdoors: list[BackdoorClass] = Field([], max_length=4, description="backdoored organisms (the backdoor inducer), "
                                           "a class of their own; their triggers are withheld from the auditor")
    decoys: list[Base] = Field([], max_length=4, description="other bases, shown to the auditor as candidates (cross-base decoys)")
    audit: AuditSettings = AuditSettings()
    bootstrap: int = Field(2000, ge=100, description="resamples of organisms for the AUC's interval")

    @model_validator(mode="after")
    def _distinct_traits(self):
        names = [t.built.name for t in self.traits]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"traits: {', '.join(twice)} given twice; each planted trait once")
        planted = [(b.trait.built.name, b.inducer.trigger.text) for b in self.backdoors]
        again = sorted({f"{t} behind {g!r}" for t, g in planted if planted.count((t, g)) > 1})
        if again:
            raise ValueError(f"backdoors: {', '.join(again)} given twice; each backdoored teacher once")
        from heredity.students import STUDENT_KINDS

        for name, channel in self.channels.items():
            if channel.mix is not None and STUDENT_KINDS.get(channel.train.mode).needs_teacher:
                raise ValueError(f"channels.{name}.mix: a {channel.train.mode} student reads its teacher's logits on the plain "
                                 "teacher's text, so there are no rows to mix; accepted: mix on an sft channel")
        for k, b in enumerate(self.backdoors):
            unknown = [c for c in b.channels or [] if c not in self.channels]
            if unknown:
                raise ValueError(f"backdoors.{k}.channels: {', '.join(unknown)} not in channels; accepted: {', '.join(self.channels)}")
        return self
