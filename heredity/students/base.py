"""The extension point for student kinds: a name in ``TrainRecipe.mode`` and a ``train`` function.

A student kind gets a ``StudentJob`` (paths and rows, no store) and writes the student's weights
into ``job.out``. Adding one is one file in this package::

    from heredity.students.base import STUDENT_KINDS, StudentJob, StudentKind

    @STUDENT_KINDS.register("echo")
    class Echo(StudentKind):
        "Keeps the base as it is: a do-nothing control."
        needs_teacher = False

        def train(self, job: StudentJob) -> dict:
            model, tokenizer = load(job.base)
            model.save_pretrained(job.out); tokenizer.save_pretrained(job.out)
            return {"rows": len(job.rows)}

and an experiment file says ``student: {train: {mode: echo}}``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator

from heredity.models.loading import ModelRef
from heredity.models.recipe import TrainRecipe
from heredity.registry import Registry


@dataclass(frozen=True)
class StudentJob:
    base: ModelRef              # the student's starting weights
    rows: Sequence[dict]        # {"i", "prompt", "completion"}
    recipe: Any                 # heredity.models.finetune.TrainRecipe
    out: Path                   # write the student here
    scratch: Path               # checkpoints that survive a crash of this step
    teacher: ModelRef | None = None       # the teacher's weights, for kinds that read its logits
    teacher_system: str | None = None     # the teacher's system prompt (the student never sees it)
    grammar: Any = None                   # allowed tokens of the task's output, or None
    progress: Callable[..., None] | None = None
    loss: Any = None                      # a loss mitigation (heredity.mitigations: divergence-mask, ensemble), or None
    others: tuple = ()                    # the ensemble's other teachers: (ModelRef, system prompt or None) each


class StudentKind(ABC):
    """``needs_teacher``: the kind reads the teacher model itself (not only its text), so the
    student artifact gets a ``teacher`` parent and both must share a tokenizer."""

    needs_teacher: bool = False

    @abstractmethod
    def train(self, job: StudentJob) -> dict[str, Any]:
        ...


STUDENT_KINDS: Registry[type[StudentKind]] = Registry("student kind")


def _registered_kind(recipe: TrainRecipe) -> TrainRecipe:
    try:
        STUDENT_KINDS.require(recipe.mode)
    except ValueError as exc:
        raise ValueError(f"mode: {exc}") from None
    return recipe


# A TrainRecipe whose ``mode`` is a registered student kind: the type of every ``train`` field
# of a file or recipe (the check lives here, not in the models layer, which never reads mode).
# Import it from ``heredity.students``, so that the kinds in this package are registered.
StudentTrain = Annotated[TrainRecipe, AfterValidator(_registered_kind)]
