"""``gradient-projection``: keep the student's updates orthogonal to the trait direction.

In the MLP experiment (``kind: mlp``) the trait is the teacher's digit skill, and the direction
that carries it is the teacher's own change from the shared initialisation, ``d = θ_T − θ0``
(all parameters of the model, per seed): the theorem behind subliminal learning says a
same-init student's first imitation step has a positive component along ``d``. This
mitigation removes that component from **every optimiser update** of the student, after the
optimiser (Adam or SGD) has made it: ``Δ ← Δ − (Δ·d / d·d) d``, so the parameters never move
along ``d`` (exact up to float rounding; Adam's moment estimates are left as they are). It acts on
the update (``acts_on = "update"``), so it is an arm of the MLP experiment, not of a
transmission run.

The optimiser hook is here and generic (``project_updates``); what "per model" means for the
MLP's stacked parameters is ``heredity.experiments.mlp.model.remove_along``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from heredity.mitigations.base import MITIGATIONS, MitigationConfig

if TYPE_CHECKING:  # torch is imported where the math runs: reading a file never loads it
    import torch


@MITIGATIONS.register("gradient-projection")
class GradientProjection(MitigationConfig):
    """Project the trait direction out of each student update (MLP experiment)."""

    kind: Literal["gradient-projection"] = "gradient-projection"
    acts_on = "update"
    direction: Literal["teacher-change"] = Field(
        "teacher-change", description="teacher-change: the teacher's change from the shared init, θ_T − θ0, per seed "
        "(every parameter)")

    def describe(self) -> str:
        return "the component of each student update along the teacher's change θ_T − θ0 projected out"


Tensors = dict[str, "torch.Tensor"]


def project_updates(optimizer: torch.optim.Optimizer, params: Tensors, project: Callable[[Tensors], Tensors]) -> list:
    """Make every ``optimizer.step()`` move ``params`` by ``project(update)`` instead of by the
    update it computed. Returns the hook handles (``.remove()`` them to stop)."""
    import torch

    before: Tensors = {}

    def snapshot(_opt, _args, _kwargs) -> None:
        before.update({k: v.detach().clone() for k, v in params.items()})

    def replace(_opt, _args, _kwargs) -> None:
        with torch.no_grad():
            update = project({k: params[k].detach() - before[k] for k in params})
            for k, p in params.items():
                p.copy_(before[k] + update[k])

    return [optimizer.register_step_pre_hook(snapshot), optimizer.register_step_post_hook(replace)]
