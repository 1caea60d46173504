"""The extension point for inducers: a config (``kind`` + settings) that makes a teacher.

``make(runner, base, trait, name)`` returns a ``teacher`` artifact (``heredity.steps.teacher``)
whose ``base`` parent is the model that generates. Adding one is one file in this package::

    from typing import Literal
    from heredity.inducers.base import INDUCERS, InducerConfig
    from heredity.steps.teacher import TeacherRecipe, make_teacher

    @INDUCERS.register("shout")
    class Shout(InducerConfig):
        kind: Literal["shout"] = "shout"

        def make(self, runner, base, trait, name):
            return make_teacher(runner, base, TeacherRecipe(inducer="shout", system_prompt="ANSWER IN CAPITALS."), name)

and an experiment file says ``inducer: {kind: shout}``.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Annotated, TypeAlias

from heredity.config import Strict
from heredity.registry import PickedByKind, Registry
from heredity.store import Artifact


class InducerConfig(Strict):
    kind: str

    @abstractmethod
    def make(self, runner, base: Artifact, trait, name: str) -> Artifact:
        """The teacher: ``base`` given ``trait`` (a trait config, or None for a trait-free teacher)."""
        ...


INDUCERS: Registry[type[InducerConfig]] = Registry("inducer")
# a field that takes any registered inducer, picked by its kind
AnyInducer: TypeAlias = Annotated[InducerConfig, PickedByKind(INDUCERS)]


def trait_label(trait) -> str:
    return trait.built.name if trait is not None else ""
