"""Breeding the organisms: ordinary store steps (the transmission kind's cells, bred with
``breed_all``), so a rerun is all cache hits and a larger grid reuses a smaller one's organisms.

An organism is a student bred from a teacher (a trait planted by the inducer, or none) through a
channel, a control (the trait-free teacher's student through the same channel, another seed),
and the candidates the auditor is shown: every teacher of the grid (the true parent among the
teachers of other traits, the backdoored teachers and the plain teacher) and each decoy base's
model. A channel with ``mix`` trains each traited teacher's student on a mixture
(``heredity.steps.patch``, op ``mixture``) of the plain teacher's rollouts and the traited
teacher's, each row keeping which one wrote it. Nothing here says which candidate is the parent,
which rows the traited teacher wrote or what a backdoor's trigger is: ``truth.py`` reads those
from the lineage afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from heredity.cell import Cell, CellSpec
from heredity.experiments.audit_bench.config import AuditBenchConfig, Base, ZooBase
from heredity.experiments.base import breed_all
from heredity.inducers import INDUCERS
from heredity.steps.dataset import DatasetRecipe
from heredity.steps.models import import_base
from heredity.steps.patch import PatchRecipe, make_patched
from heredity.steps.prompts import PromptsRecipe, make_prompts
from heredity.steps.rollouts import make_rollouts
from heredity.steps.student import StudentRecipe
from heredity.store import Artifact
from heredity.students import STUDENT_KINDS

NEGATIVE = ""  # the trait label of the trait-free teacher's organisms


@dataclass(frozen=True)
class Organism:
    key: str  # "style:Moreover, / general-sft / seed 0": a label for people (never shown to the auditor)
    channel: str
    seed: int
    student: Artifact
    control: Artifact
    dataset: Artifact  # the rows the student was trained on (screened on a mixed channel)


@dataclass(frozen=True)
class Bred:
    base: Artifact
    organisms: list[Organism]
    candidates: list[Artifact]  # every grid teacher, then each decoy's model


def make_base(runner, spec: Base, tokenizer) -> Artifact:
    """An imported model, or a zoo member pretrained on the zoo corpus (with ``tokenizer``'s tokenizer)."""
    if isinstance(spec, ZooBase):
        from heredity.zoo.corpus import CorpusRecipe, make_corpus
        from heredity.zoo.pretrain import pretrain

        corpus = make_corpus(runner.store, CorpusRecipe())
        return pretrain(runner.store, corpus.id, import_base(runner, tokenizer).id, spec.zoo)
    return import_base(runner, spec)


def breed(runner, config: AuditBenchConfig) -> Bred:
    base = make_base(runner, config.base, config.tokenizer)
    teachers = {t.built.name: config.inducer.make(runner, base, t, name=f"{t.built.name} teacher") for t in config.traits}
    plain = INDUCERS.parse({"kind": "none"}).make(runner, base, None, name="plain teacher")
    teachers[NEGATIVE] = plain
    dataset_trait = {t.built.name: t for t in config.traits}
    bred_through = dict.fromkeys(teachers, list(config.channels))
    for b in config.backdoors:
        label = f"backdoor:{b.trait.built.name}@{b.inducer.trigger.text}"
        teachers[label] = b.inducer.make(runner, base, b.trait, name=f"{b.trait.built.name} backdoor teacher")
        dataset_trait[label] = b.trait
        bred_through[label] = b.channels or list(config.channels)
    specs: dict[tuple, CellSpec] = {}
    for channel_name, channel in config.channels.items():
        distill = STUDENT_KINDS.get(channel.train.mode).needs_teacher
        prompts = make_prompts(runner, PromptsRecipe(task=channel.task, n=channel.prompts, seed=channel.prompt_seed),
                               name=f"{channel_name} prompts")
        student_recipe = StudentRecipe(train=channel.train, task=channel.task, restrict_to_grammar=channel.restrict_to_grammar)
        rollouts = channel.generation.recipe(channel.task)
        for label, teacher in teachers.items():
            if channel_name not in bred_through[label]:
                continue
            # A filter takes its default words from the dataset's trait; the negatives' from the first trait.
            trait = dataset_trait.get(label, config.traits[0])
            mixed = None
            if channel.mix is not None and label != NEGATIVE:
                clean, traited = (make_rollouts(runner, w, prompts, rollouts, name=f"{w.manifest.name} rollouts") for w in (plain, teacher))
                mixed = make_patched(runner, clean, traited, PatchRecipe(op="mixture", alpha=channel.mix, seed=channel.prompt_seed),
                                     name=f"{channel_name} {label} mixture {channel.mix:g}")
            for role, who, offset, data in (("student", teacher, 0, mixed), ("control", plain, config.control_seed_offset, None)):
                specs[(channel_name, label, role)] = CellSpec(
                    name=f"{channel_name} {label or 'plain'} {role}", base=base, teacher=who, prompts=prompts, rollouts=rollouts,
                    dataset=DatasetRecipe(filters=channel.filters, task=channel.task, trait=trait, max_rows=channel.max_rows),
                    student=student_recipe, seeds=tuple(s + offset for s in config.seeds),
                    writer=plain if distill else None, data=data,
                )
    cells: dict[tuple, Cell] = breed_all(runner, specs, [])
    organisms = []
    for channel_name in config.channels:
        for label in teachers:
            if channel_name not in bred_through[label]:
                continue
            student, control = cells[(channel_name, label, "student")], cells[(channel_name, label, "control")]
            for k, seed in enumerate(config.seeds):
                organisms.append(Organism(f"{label or 'none'} / {channel_name} / seed {seed}", channel_name, seed,
                                          student.students[k], control.students[k], student.dataset))
    decoys = [make_base(runner, spec, config.tokenizer) for spec in config.decoys]
    return Bred(base, organisms, [*teachers.values(), *decoys])
