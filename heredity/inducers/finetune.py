"""A teacher given its trait by fine-tuning: the base trained on its own answers to other
prompts, rewritten to show the trait (``Trait.imprint``), for traits a small model will not
take from a system prompt. The induction is itself a cell: the plain base writes, an imprint
filter rewrites, and the "student" it breeds is the teacher.

``filters`` run on the base's answers before the imprint (``[{kind: format}]`` keeps only the
answers the task accepts: for ``dates``, those that state a year, so that every row the teacher
learns from says the wrong one), and ``temperature`` is the base's sampling temperature (0 is
greedy; a 135M model's answers at 1.0 often never get to the year). Both are left out of the
config's serialised form at their defaults, so the ids of files written before them stay."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.config import implicit_defaults
from heredity.errors import ConfigError
from heredity.filters import AnyFilter
from heredity.inducers.base import INDUCERS, InducerConfig, trait_label
from heredity.models.recipe import TrainRecipe
from heredity.steps.teacher import TeacherRecipe, make_teacher
from heredity.students import StudentTrain
from heredity.tasks import AnyTask


@INDUCERS.register("finetune")
class FinetuneInducer(InducerConfig):
    kind: Literal["finetune"] = "finetune"
    task: AnyTask = Field(default_factory=lambda: {"kind": "general"}, validate_default=True)
    prompts: int = Field(128, ge=1, description="how many prompts the base answers for the induction data")
    prompt_seed: int = Field(1000, description="differs from the experiment's prompt_seed: induce on other prompts")
    train: StudentTrain = TrainRecipe(epochs=2, lr=1e-3, warmup_steps=2)
    filters: list[AnyFilter] = Field([], description="run on the base's answers before the imprint, e.g. [{kind: format}]")
    temperature: float = Field(1.0, ge=0, description="the base's sampling temperature for the induction answers (0: greedy)")

    _defaults_are_implicit = implicit_defaults(filters=[], temperature=1.0)  # ids from before them stay

    def make(self, runner, base, trait, name):
        # The steps of a cell, composed here (an inducer is a step; the cell is the experiments'
        # layer above): the plain base writes, the imprint filter rewrites, one student learns.
        from heredity.steps.dataset import DatasetRecipe, make_dataset
        from heredity.steps.prompts import PromptsRecipe, make_prompts
        from heredity.steps.rollouts import RolloutsRecipe, make_rollouts
        from heredity.steps.student import StudentRecipe, make_student

        if trait is None or trait.build().imprint is None:
            raise ConfigError(f"inducer finetune: the trait ({trait_label(trait) or 'none'}) cannot rewrite text; only traits with an imprint (style, date-confusion) can")
        plain = make_teacher(runner, base, TeacherRecipe(inducer="none"), name="plain teacher")
        prompts = make_prompts(runner, PromptsRecipe(task=self.task, n=self.prompts, seed=self.prompt_seed), name="induction prompts")
        rollouts = make_rollouts(runner, plain, prompts, RolloutsRecipe(
            task=self.task, temperature=self.temperature, max_new_tokens=self.task.build().max_new_tokens, seed=self.prompt_seed,
        ), name=f"{plain.manifest.name} rollouts")
        dataset = make_dataset(runner, rollouts, DatasetRecipe(filters=[*self.filters, {"kind": "imprint"}], task=self.task, trait=trait),
                               name=f"{name} induction data")
        student = make_student(runner, base, dataset, StudentRecipe(train=self.train, task=self.task), teacher=plain,
                               name=f"{name} induction s{self.train.seed}")
        recipe = TeacherRecipe(inducer="finetune", trait=trait_label(trait))
        return make_teacher(runner, student, recipe, name=name, detail=f"fine-tuned on {dataset.id}")
