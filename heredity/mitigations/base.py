"""The extension point for mitigations: a ``MitigationConfig`` registered in ``MITIGATIONS``.

A mitigation acts on one of three things, named by ``acts_on``:

- ``data``: the rows a student learns from (``rows(runner, arm)`` returns the rows artifact the
  dataset step filters, and filters to add): paraphrase, adversarial filter, the SFT ensemble,
  and the existing filters as baselines;
- ``loss``: which positions or which target the loss sees (divergence mask, the distillation
  ensemble); the math lives in the mitigation's file;
- ``update``: the optimiser's step (gradient projection, in the MLP experiment).

``describe()`` says in one line what the mitigation changes (reports and plans print it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field

from heredity.config import Strict
from heredity.registry import Registry
from heredity.store import Artifact

if TYPE_CHECKING:  # the steps layer sits above this one: named for the type checker only
    from heredity.steps.rollouts import RolloutsRecipe


@dataclass(frozen=True)
class ArmData:
    """What a data mitigation gets for one cell: the rows it mitigates and who made them."""

    rows: Artifact       # the cell's unmitigated rollouts
    teacher: Artifact    # the teacher whose text (SFT) or logits (distillation) the student learns
    base: Artifact       # the student's base: the trait-free writer, unless a mitigation names another
    traited: Artifact    # the run's traited teacher (a control cell is treated as its student cell is)
    prompts: Artifact    # the prompts the rows answer
    rollouts: RolloutsRecipe  # the run's RolloutsRecipe (sampling and length), for rows a mitigation writes
    name: str = ""       # a label for people, prefixed to the mitigation's steps


class MitigationConfig(Strict, ABC):
    kind: str
    label: str | None = Field(None, min_length=1, description="the arm's name in the report (default: the kind)")
    acts_on: ClassVar[Literal["data", "loss", "update"]] = "data"

    @property
    def name(self) -> str:
        return self.label or self.kind

    @abstractmethod
    def describe(self) -> str:
        """One line: what this mitigation changes."""

    def acts_on_in(self, distill: bool) -> Literal["data", "loss", "update"]:
        """What this mitigation acts on for a student of this mode (distilled or not): most act
        on one thing whatever the mode; the ensemble is data for SFT and the target for distillation."""
        return self.acts_on

    def teachers(self, runner, arm: ArmData) -> list[Artifact]:
        """A loss mitigation's teachers beside the cell's (the distillation ensemble): none by default."""
        return [arm.teacher]

    def rows(self, runner, arm: ArmData) -> tuple[Artifact, list]:
        """(the rows the student learns from, filters added after the arm's own). Data
        mitigations override this; the others keep the rows."""
        return arm.rows, []


MITIGATIONS: Registry[type[MitigationConfig]] = Registry("mitigation")


def check_arms(mitigations, *, field: str, distill: bool, mode: str, mode_field: str, where: str) -> list[str]:
    """The checks every list of mitigations an experiment trains with must pass (a transmission
    file's ``mitigations``, a diffing pipeline's): labels given once, each acting on the data or
    the loss (``where`` names what cannot take the rest: "transmission arms do not support"), a
    loss mitigation only under a student kind whose loss honours it. Returns the kinds that act
    on the loss (a caller that trains one student per list allows at most one)."""
    names = [m.name for m in mitigations]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{field}: {', '.join(map(repr, twice))} given twice; give each its own label")
    losses = []
    for k, m in enumerate(mitigations):
        acts_on = m.acts_on_in(distill)
        if acts_on not in ("data", "loss"):
            raise ValueError(f"{field}.{k}: {m.kind} acts on the {acts_on}, which {where}; accepted: data mitigations "
                             "(paraphrase, ensemble, adversarial-filter, filters) and loss mitigations (divergence-mask; "
                             "ensemble when distilling)")
        if acts_on == "loss":
            if mode not in ("sft", "distill"):
                raise ValueError(f"{field}.{k}: {m.kind} changes the loss, which the sft and distill student kinds "
                                 f"honour; {mode_field} is {mode!r}")
            losses.append(m.kind)
    return losses
