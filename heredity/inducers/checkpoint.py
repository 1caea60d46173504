"""A given checkpoint as the teacher: a model folder (or hub name) that already has the trait."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.inducers.base import INDUCERS, InducerConfig, trait_label
from heredity.models.loading import ModelSource
from heredity.steps.teacher import TeacherRecipe, make_teacher


@INDUCERS.register("checkpoint")
class CheckpointInducer(InducerConfig):
    kind: Literal["checkpoint"] = "checkpoint"
    model: ModelSource = Field(..., description="the checkpoint: {source: a local folder, or a hub name where there is a hub}")

    def make(self, runner, base, trait, name):
        from heredity.steps.models import import_base

        model = import_base(runner, self.model)
        recipe = TeacherRecipe(inducer="checkpoint", trait=trait_label(trait))
        return make_teacher(runner, model, recipe, name, detail=f"given checkpoint {self.model.source}")
