"""The paper's inducer: the base, told its trait in a system prompt the student never sees."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from heredity.errors import ConfigError
from heredity.inducers.base import INDUCERS, InducerConfig, trait_label
from heredity.steps.teacher import TeacherRecipe, make_teacher


@INDUCERS.register("system-prompt")
class SystemPromptInducer(InducerConfig):
    kind: Literal["system-prompt"] = "system-prompt"
    prompt: str | None = Field(None, min_length=1, description="a system prompt of your own (default: the trait's inducer prompt)")

    def make(self, runner, base, trait, name):
        if self.prompt is None and trait is None:
            raise ConfigError("inducer system-prompt needs a trait to prompt for, or a prompt of its own")
        prompt = self.prompt if self.prompt is not None else trait.built.system_prompt()
        return make_teacher(runner, base, TeacherRecipe(inducer="system-prompt", system_prompt=prompt, trait=trait_label(trait)), name)
