"""Transmission: for every filter arm, breed a trait cell and a control cell, measure them, and
compare student to control; optionally students of other bases on the same data, further
generations in which each generation's students teach the next, and a screen arm (one arm's
data minus the rows a screen flags, against as many dropped at random: ``screened.py``).

SFT: the trait teacher and a trait-free control teacher each write their own rollouts.
Distillation: both students learn the same neutral text (the base's own rollouts) and differ
only in whose next-token distributions they imitate (the trait teacher's, or a control-trait
teacher's), so a specificity control is required.
"""

from __future__ import annotations

from dataclasses import dataclass

from heredity.cell import Cell, CellSpec
from heredity.experiments.base import breed_all, call, in_parallel, report_step
from heredity.experiments.transmission.config import TransmissionConfig
from heredity.experiments.transmission.mitigated import mitigation_arms
from heredity.experiments.transmission.poisoned import backdoor_arms
from heredity.experiments.transmission.report import write_report
from heredity.experiments.transmission.results import (
    Arm,
    ControlTrait,
    Generation,
    OtherBase,
    Specificity,
    TransmissionResults,
    combine_seeds,
    compare,
    dataset_summary,
    fidelity,
)
from heredity.experiments.transmission.screened import screen_arm
from heredity.experiments.transmission.verdict import verdict
from heredity.inducers import INDUCERS
from heredity.runner import Runner
from heredity.steps.dataset import DatasetRecipe
from heredity.steps.models import import_base
from heredity.steps.prompts import PromptsRecipe, make_prompts
from heredity.steps.rollouts import RolloutsRecipe
from heredity.steps.scores import ScoresRecipe, measure
from heredity.steps.student import StudentRecipe
from heredity.store import Artifact
from heredity.students import STUDENT_KINDS

# Bump when results.json or report.md change shape: reports are cheap views, rebuilt on change.
REPORT_VERSION = 10  # 10: the backdoor against the mitigations (results.json schema 7)
# 9: mitigation costs, loss arms, the frontier figure (results.json schema 6)
# 8: mitigation arms (results.json schema 5)
# 7: verdicts, student − base, model ids, the gap figure
# 6: per-probe zeros floored at the skipped mass in log ratios; 5: generations.png


@dataclass
class Plan:
    """What every cell of a run shares."""

    config: TransmissionConfig
    base: Artifact
    writer: Artifact | None  # distillation: the neutral writer; SFT: None (each teacher writes)
    rollouts: RolloutsRecipe
    student: StudentRecipe
    measures: list[ScoresRecipe]
    inputs: list[Artifact]  # every score the report summarises

    def spec(self, name, base, teacher, prompts, filters, data=None) -> CellSpec:
        c = self.config
        return CellSpec(
            name=name, base=base, teacher=teacher, prompts=prompts, rollouts=self.rollouts,
            dataset=DatasetRecipe(filters=filters, task=c.task, trait=c.trait, max_rows=c.max_rows),
            student=self.student, seeds=tuple(c.student.seeds), measures=tuple(self.measures), writer=self.writer, data=data,
        )

    def breed_all(self, runner, specs: dict[tuple, CellSpec]) -> dict[tuple, Cell]:
        return breed_all(runner, specs, self.inputs)


def run(config: TransmissionConfig, runner: Runner) -> Artifact:
    distill = STUDENT_KINDS.get(config.student.train.mode).needs_teacher
    base = import_base(runner, config.base)
    trait_name = config.trait.built.name
    # The teachers, then their scores, are each a batch of independent steps: the run's executor
    # may build them at once (Ray workers); locally they run in this order.
    teachers = [call(config.inducer.make, base, config.trait, name=f"{trait_name} teacher"),
                call(INDUCERS.get("none")().make, base, None, name="plain teacher")]
    if distill:  # the specificity control: a teacher with another target
        teachers.append(call(INDUCERS.get("system-prompt")().make, base, config.control_trait,
                             name=f"{config.control_trait.built.name} teacher"))
    teacher, plain, *control = in_parallel(runner, teachers)
    control_teacher = control[0] if distill else plain  # SFT: the trait-free control, the base answering the same prompts
    measures = [config.measure.recipe(config.trait)]
    if distill:
        measures.append(config.measure.recipe(config.control_trait))
    plan = Plan(
        config=config, base=base, writer=plain if distill else None, measures=measures, inputs=[],
        rollouts=config.generation.recipe(config.task),
        student=StudentRecipe(train=config.student.train, task=config.task, restrict_to_grammar=config.student.restrict_to_grammar),
    )
    others = [(source.source, import_base(runner, source)) for source in config.student.other_bases]
    base_score, teacher_score = in_parallel(runner, [call(measure, base, measures[0], name="base"),
                                                     call(measure, teacher, measures[0], name="teacher")])
    plan.inputs += [base_score, teacher_score]

    # Generation g's teachers are generation g-1's students (the trait chain and the control
    # chain apart); every generation answers fresh prompts (the prompt seed moves on).
    generations: list[dict[str, Arm]] = []
    screened, mitigated, backdoor = None, [], None
    teachers = {arm: (teacher, control_teacher) for arm in config.filters}
    for g in range(1, config.generations + 1):
        prompts = make_prompts(runner, PromptsRecipe(task=config.task, n=config.prompts, seed=config.prompt_seed + g - 1),
                               name=f"{config.task.kind} prompts" + (f" (generation {g})" if g > 1 else ""))
        specs: dict[tuple, CellSpec] = {}
        for arm, filters in config.filters.items():
            label = arm if g == 1 else f"{arm} g{g}"
            for role, who in zip(("student", "control"), teachers[arm]):
                specs[(arm, role, None)] = plan.spec(f"{label} {role}", base, who, prompts, filters)
                for source, other in (others if g == 1 else []):  # same data, another base
                    specs[(arm, role, source)] = plan.spec(f"{label} {role} ({source})", other, who, prompts, filters)
        cells = plan.breed_all(runner, specs)
        arms: dict[str, Arm] = {}
        for arm in config.filters:
            other = [_compare_base(plan, source, cells[(arm, "student", source)], cells[(arm, "control", source)])
                     for source, _ in (others if g == 1 else [])]
            arms[arm] = _arm(config, cells[(arm, "student", None)], cells[(arm, "control", None)], trait_name, other,
                             teacher=combine_seeds([teacher_score])[1], base=combine_seeds([base_score]))
            teachers[arm] = (cells[(arm, "student", None)].students[0], cells[(arm, "control", None)].students[0])
        generations.append(arms)
        if g == 1 and config.screen is not None:
            screened = screen_arm(runner, plan, cells, teacher, prompts)
        if g == 1 and config.mitigations:
            mitigated = mitigation_arms(runner, plan, cells, next(iter(config.filters)), (teacher, control_teacher), prompts,
                                        list(config.mitigations))
        if g == 1 and config.backdoor is not None:
            backdoor = backdoor_arms(runner, plan, cells, (teacher, control_teacher), prompts)

    control_trait = None
    if distill:
        extra = in_parallel(runner, [call(measure, base, measures[1], name="base (control trait)"),
                                     call(measure, control_teacher, measures[1], name="control teacher (control trait)")])
        plan.inputs += extra
        control_trait = ControlTrait(trait=config.control_trait.built.name, base=combine_seeds(extra[:1])[1],
                                     control_teacher=combine_seeds(extra[1:])[1])
    results = TransmissionResults(
        experiment=config.name, trait=trait_name, estimator=config.measure.estimator, mode=config.student.train.mode,
        seeds=list(config.student.seeds), base=combine_seeds([base_score])[1], teacher=combine_seeds([teacher_score])[1],
        models={"base": base.id, "teacher": teacher.id, "control teacher": control_teacher.id},
        arms=generations[0], control_trait=control_trait,
        later_generations=[Generation(generation=g, arms=arms) for g, arms in enumerate(generations[1:], start=2)],
        screen=screened, mitigations=mitigated, backdoor=backdoor,
    )
    return report_step(runner, config, results, plan.inputs, version=REPORT_VERSION, write=write_report, summary=_summary)


def _summary(results: TransmissionResults) -> dict:
    first = results.first.inheritance
    return {"inheritance": {"difference": first.difference, "ci": list(first.ci), "p_value": first.p_value}}


def _arm(config: TransmissionConfig, student: Cell, control: Cell, trait_name: str, other: list[OtherBase], *, teacher,
         base) -> Arm:
    s, s_summary = combine_seeds(student.scores[trait_name])
    c, c_summary = combine_seeds(control.scores[trait_name])
    specificity = None
    if config.control_trait is not None and len(student.scores) > 1:
        name = config.control_trait.built.name
        s2, s2_summary = combine_seeds(student.scores[name])
        c2, c2_summary = combine_seeds(control.scores[name])
        # Mirrored: the control-trait student should score higher on its own target.
        specificity = Specificity(trait=name, student=s2_summary, control=c2_summary, difference=compare(c2, s2))
    inheritance = compare(s, c)
    return Arm(dataset=dataset_summary(student.dataset), control=c_summary, student=s_summary, inheritance=inheritance,
               student_minus_base=compare(s, base[0]), verdict=verdict(teacher, base[1], s_summary, c_summary, inheritance),
               student_models=[m.id for m in student.students], control_models=[m.id for m in control.students],
               specificity=specificity, fidelity=fidelity(s_summary, teacher), other_bases=other)


def _compare_base(plan: Plan, source: str, student: Cell, control: Cell) -> OtherBase:
    """Students of another base on the very same data as the matched ones, each against a
    control of its own base."""
    trait_name = plan.config.trait.built.name
    s, s_summary = combine_seeds(student.scores[trait_name])
    c, c_summary = combine_seeds(control.scores[trait_name])
    return OtherBase(base=source, student=s_summary, control=c_summary, inheritance=compare(s, c))
