"""Transmission: for every filter arm, breed a trait cell and a control cell, measure them, and
compare student to control.

SFT: the trait teacher and a trait-free control teacher each write their own rollouts.
Distillation: both students learn the same neutral text (the base's own rollouts) and differ
only in whose next-token distributions they imitate (the trait teacher's, or a control-trait
teacher's), so a specificity control is required.
"""

from __future__ import annotations

from heredity.cell import CellSpec, breed
from heredity.experiments.transmission.config import TransmissionConfig
from heredity.experiments.transmission.report import write_report
from heredity.experiments.transmission.results import (
    Arm, ControlTrait, Specificity, TransmissionResults, combine_seeds, compare, dataset_summary,
)
from heredity.inducers import INDUCERS
from heredity.runner import Runner
from heredity.steps.dataset import DatasetRecipe
from heredity.steps.models import import_base
from heredity.steps.prompts import PromptsRecipe, make_prompts
from heredity.steps.rollouts import RolloutsRecipe
from heredity.steps.scores import ScoresRecipe, measure
from heredity.steps.student import StudentRecipe
from heredity.store import Artifact, Parent
from heredity.students import STUDENT_KINDS

# Bump when results.json or report.md change shape: reports are cheap views, rebuilt on change.
REPORT_VERSION = 3


def run(config: TransmissionConfig, runner: Runner) -> Artifact:
    distill = STUDENT_KINDS.get(config.student.train.mode).needs_teacher
    base = import_base(runner, config.base)
    trait_name = config.trait.build().name
    teacher = config.inducer.make(runner, base, config.trait, name=f"{trait_name} teacher")
    plain = INDUCERS.get("none")().make(runner, base, None, name="plain teacher")
    if distill:  # the specificity control: a teacher with another target
        control_teacher = INDUCERS.get("system-prompt")().make(
            runner, base, config.control_trait, name=f"{config.control_trait.build().name} teacher")
    else:  # the trait-free control: the base answering the same prompts
        control_teacher = plain

    measures = [ScoresRecipe(trait=config.trait, estimator=config.measure.estimator,
                             samples_per_probe=config.measure.samples_per_probe, seed=config.measure.seed)]
    if distill:
        measures.append(measures[0].model_copy(update={"trait": config.control_trait}))
    prompts = make_prompts(runner, PromptsRecipe(task=config.task, n=config.prompts, seed=config.prompt_seed))
    gen = config.generation
    rollouts = RolloutsRecipe(task=config.task, temperature=gen.temperature, seed=gen.seed, batch_size=gen.batch_size,
                              max_new_tokens=gen.max_new_tokens or config.task.build().max_new_tokens, dtype=gen.dtype)
    student = StudentRecipe(train=config.student.train, task=config.task, restrict_to_grammar=config.student.restrict_to_grammar)

    base_score = measure(runner, base, measures[0], name="base")
    teacher_score = measure(runner, teacher, measures[0], name="teacher")
    arms: dict[str, Arm] = {}
    inputs = [base_score, teacher_score]
    for arm, filters in config.filters.items():
        cells = {}
        for role, who in (("student", teacher), ("control", control_teacher)):
            cells[role] = breed(runner, CellSpec(
                name=f"{arm} {role}", base=base, teacher=who, prompts=prompts, rollouts=rollouts,
                dataset=DatasetRecipe(filters=filters, task=config.task, trait=config.trait, max_rows=config.max_rows),
                student=student, seeds=tuple(config.student.seeds), measures=tuple(measures),
                writer=plain if distill else None,
            ))
            inputs += [a for scores in cells[role].scores.values() for a in scores]
        s, s_summary = combine_seeds(cells["student"].scores[trait_name])
        c, c_summary = combine_seeds(cells["control"].scores[trait_name])
        specificity = None
        if distill:
            other = config.control_trait.build().name
            s2, s2_summary = combine_seeds(cells["student"].scores[other])
            c2, c2_summary = combine_seeds(cells["control"].scores[other])
            # Mirrored: the control-trait student should score higher on its own target.
            specificity = Specificity(trait=other, student=s2_summary, control=c2_summary, difference=compare(c2, s2))
        arms[arm] = Arm(dataset=dataset_summary(cells["student"].dataset), control=c_summary, student=s_summary,
                        inheritance=compare(s, c), specificity=specificity)

    control_trait = None
    if distill:
        extra = [measure(runner, base, measures[1], name="base (control trait)"),
                 measure(runner, control_teacher, measures[1], name="control teacher (control trait)")]
        inputs += extra
        control_trait = ControlTrait(trait=config.control_trait.build().name, base=combine_seeds(extra[:1])[1],
                                     control_teacher=combine_seeds(extra[1:])[1])
    results = TransmissionResults(
        experiment=config.name, trait=trait_name, estimator=config.measure.estimator, mode=config.student.train.mode,
        seeds=list(config.student.seeds), base=combine_seeds([base_score])[1], teacher=combine_seeds([teacher_score])[1],
        arms=arms, control_trait=control_trait,
    )

    def build(ctx):
        write_report(ctx.out, results)
        first = results.first.inheritance
        ctx.summary = {"inheritance": {"difference": first.difference, "ci": list(first.ci), "p_value": first.p_value}}

    parents = [Parent(id=aid, relation="input") for aid in dict.fromkeys(a.id for a in inputs)]
    recipe = {"experiment": config.model_dump(mode="json"), "report_version": REPORT_VERSION}
    return runner.step("report", recipe, parents, build, name=config.name)
