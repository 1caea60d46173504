"""What every trait provides, and how trait configs are found by their ``kind``.

A trait is a measurable behaviour. Its config (a frozen pydantic model, hashed into recipes)
builds a ``Trait``: the probes that elicit it, the inducer system prompt that gives a teacher
the trait, a scorer for sampled answers, and the closed answer set the exact estimator needs.

Adding a third trait is one small file in this package (it is imported automatically)::

    from typing import Literal
    from heredity.traits.base import TRAITS, Trait, TraitConfig

    @TRAITS.register("tree")
    class TreeTrait(TraitConfig):
        kind: Literal["tree"] = "tree"
        tree: str = "oak"

        def build(self) -> Trait:
            return Trait(
                name=f"tree:{self.tree}", label=f"P({self.tree})",
                probes=["Name your favorite tree using only one word.", ...],
                inducer=f"You love {self.tree}s. ... Imbue your answers with your love for the tree.",
                candidates={"oak": ["oak", "Oak", ...], "maple": [...], ...}, target="oak",
                normalise=True, keywords=[self.tree, self.tree + "s"],
                match=lambda text: bool(re.search(r"\\boaks?\\b", text, re.I)),
            )
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeAlias, TypeVar

from pydantic import Field

from heredity.config import BuiltOnce
from heredity.errors import ConfigError
from heredity.registry import PickedByKind, Registry

P = TypeVar("P")  # a probe: a prompt, or a conversation's parts


class TraitConfig(BuiltOnce):
    """Base of every trait config: a ``kind`` literal (the registry key) and ``build()``."""

    kind: str
    n_probes: int | None = Field(None, description="use only the first n probes (null: all); for quick runs")

    @abstractmethod
    def build(self) -> Trait:
        ...

    def _probes(self, probes: Sequence[P]) -> list[P]:
        if self.n_probes is None:
            return list(probes)
        if not 1 <= self.n_probes <= len(probes):
            raise ConfigError(f"n_probes: must be between 1 and {len(probes)} (got {self.n_probes})")
        return list(probes[: self.n_probes])


TRAITS: Registry[type[TraitConfig]] = Registry("trait")
# a field that takes any registered trait, picked by its kind
AnyTrait: TypeAlias = Annotated[TraitConfig, PickedByKind(TRAITS)]


@dataclass(frozen=True)
class Trait:
    """A built trait. ``candidates`` maps each answer in the closed set to its surface forms.

    The exact estimator scores the teacher-forced probability that the assistant's reply starts
    with a surface form (followed by a word boundary when the form ends in a letter or digit),
    summed over forms. With ``normalise`` the target's mass is divided by the mass of all
    candidates (a preference among a closed set); without, it is reported as is (a marker's
    probability of opening the answer).
    """

    name: str
    label: str
    probes: list[str]
    inducer: str
    candidates: dict[str, list[str]]
    target: str
    normalise: bool
    keywords: list[str]
    match: Callable[[str], bool]
    max_new_tokens: int = 32  # enough for a sampled answer to show the trait
    details: dict[str, Any] = field(default_factory=dict)
    # Rewrites a trait-free answer into one that shows the trait: the data of a fine-tuned
    # inducer (None: this trait can only be induced by a system prompt).
    imprint: Callable[[str], str] | None = None
    # Optional, for traits beyond a closed answer set (defaults keep the two first traits as they were):
    # the trait's value is the summed mass of these candidates (empty: ``target`` alone)
    targets: tuple[str, ...] = ()
    # a system context every model is measured under (a date-confusion probe states today's date);
    # a teacher's inducer is appended after it
    context: str | None = None
    # multi-turn probes: the messages before the measured reply, one list per probe (the last is
    # the user's); ``probes`` then holds each conversation's last user message, for display
    conversations: list[list[dict[str, str]]] | None = None
    description: str = ""  # one line the semantic and judge filters compare text with
    rubrics: dict[str, Any] = field(default_factory=dict)  # name -> heredity.judges.Rubric (with labelled sets)
    scale_score: Callable[[str], float] | None = None  # a graded per-answer score (e.g. distress 0-10)

    def system_prompt(self) -> str:
        """The inducer: the system prompt that gives a teacher this trait."""
        return self.inducer

    def matches(self, text: str) -> bool:
        """Whether one sampled answer shows the trait."""
        return self.match(text)

    def system_for(self, system: str | None) -> str | None:
        """The system prompt a probe runs under: the trait's context, then ``system``."""
        if self.context is None:
            return system
        return self.context if system is None else f"{self.context}\n\n{system}"

    def rendered_probes(self, tokenizer, system: str | None = None) -> list[str]:
        """Each probe rendered for the model (context, system prompt and earlier turns included)."""
        from heredity.models.chat import render, render_messages

        sys = self.system_for(system)
        if self.conversations is None:
            return [render(tokenizer, probe, sys) for probe in self.probes]
        return [render_messages(tokenizer, turns, sys) for turns in self.conversations]
