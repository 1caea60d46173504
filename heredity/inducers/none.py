"""No inducer: the base itself, the trait-free control teacher."""

from __future__ import annotations

from typing import Literal

from heredity.inducers.base import INDUCERS, InducerConfig
from heredity.steps.teacher import TeacherRecipe, make_teacher


@INDUCERS.register("none")
class NoInducer(InducerConfig):
    kind: Literal["none"] = "none"

    def make(self, runner, base, trait, name):
        return make_teacher(runner, base, TeacherRecipe(inducer="none"), name)
