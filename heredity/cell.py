"""One cell: the breeding pipeline every experiment is made of.

    teacher ──rollouts(prompts)──▶ rollouts ──dataset(filters)──▶ dataset ──student(base)──▶ student × seeds
                                                                                              └─scores(traits)

``breed(runner, spec)`` runs it as store steps, so a step another cell already built is a cache
hit: one teacher's rollouts on a prompt set serve every cell that uses them. Transmission arms,
diffing's crossed cells and generations call ``breed``; the fine-tune inducer, itself a step,
composes the same steps (a step may not reach up to this layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from heredity.steps.dataset import DatasetRecipe, make_dataset
from heredity.steps.rollouts import RolloutsRecipe, make_rollouts
from heredity.steps.scores import ScoresRecipe, measure
from heredity.steps.student import StudentRecipe, make_student
from heredity.store import Artifact


@dataclass(frozen=True)
class CellSpec:
    """What one cell breeds. ``teacher`` is the teacher a student learns from (its text for SFT,
    its logits for distillation); ``writer``, when given, writes the rollouts instead (distilled
    students of different teachers can then share one neutral text); ``data``, when given, are
    the rollouts already (rows composed from two teachers), and nothing is generated."""

    name: str                     # a label for people, prefixed to every step's name
    base: Artifact                # the student's base model
    teacher: Artifact
    prompts: Artifact
    rollouts: RolloutsRecipe
    dataset: DatasetRecipe
    student: StudentRecipe
    seeds: tuple[int, ...] = (0,)
    measures: tuple[ScoresRecipe, ...] = ()
    writer: Artifact | None = None
    data: Artifact | None = None  # rows already made (a patched mix of two teachers): no generation
    others: tuple[Artifact, ...] = ()  # more teachers the student reads (a distilled ensemble arm's)


@dataclass(frozen=True)
class Cell:
    rollouts: Artifact
    dataset: Artifact
    students: tuple[Artifact, ...]  # one per seed, in seed order
    scores: dict[str, tuple[Artifact, ...]] = field(default_factory=dict)  # trait name -> one per seed


def breed(runner, spec: CellSpec) -> Cell:
    writer = spec.writer or spec.teacher
    rollouts = spec.data or make_rollouts(runner, writer, spec.prompts, spec.rollouts, name=f"{writer.manifest.name} rollouts")
    dataset = make_dataset(runner, rollouts, spec.dataset, name=f"{spec.name} data")
    students: list[Artifact] = []
    scores: dict[str, list[Artifact]] = {}
    for seed in spec.seeds:
        recipe = spec.student.model_copy(update={"train": spec.student.train.model_copy(update={"seed": seed})})
        student = make_student(runner, spec.base, dataset, recipe, teacher=spec.teacher, others=spec.others,
                               name=f"{spec.name} s{seed}")
        students.append(student)
        for m in spec.measures:
            trait = m.trait.built.name
            scores.setdefault(trait, []).append(measure(runner, student, m, name=f"{spec.name} s{seed} ({trait})"))
    return Cell(rollouts, dataset, tuple(students), {k: tuple(v) for k, v in scores.items()})
