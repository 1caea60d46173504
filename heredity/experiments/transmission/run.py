"""Breed a trait student and a control student, measure all four, compare student to control."""

from __future__ import annotations

from heredity.experiments.transmission.config import TransmissionConfig
from heredity.experiments.transmission.results import build_results
from heredity.experiments.transmission.report import write_report
from heredity.models.loading import import_base
from heredity.runner import Runner
from heredity.store import Artifact, Parent
from heredity.steps.dataset import DatasetRecipe, make_dataset
from heredity.steps.prompts import PromptsRecipe, make_prompts
from heredity.steps.rollouts import RolloutsRecipe, make_rollouts
from heredity.steps.scores import ScoresRecipe, measure
from heredity.steps.student import StudentRecipe, make_student
from heredity.steps.teacher import TeacherRecipe, make_finetuned_teacher, make_teacher


# Bump when results.json or report.md change shape: reports are cheap views, rebuilt on change.
REPORT_VERSION = 2


def trait_label(trait) -> str:
    return trait.build().name


def run(config: TransmissionConfig, runner: Runner) -> Artifact:
    distill = config.student.train.mode == "distill"
    base = import_base(runner, config.base)
    task = config.task.build()
    if config.inducer.kind == "finetune":
        trait_teacher = make_finetuned_teacher(runner, base, config.trait, config.inducer, name=f"{trait_label(config.trait)} teacher")
    else:
        trait_teacher = make_teacher(
            runner, base, TeacherRecipe(inducer="system-prompt", system_prompt=config.trait.build().inducer, trait=trait_label(config.trait)),
            name=f"{trait_label(config.trait)} teacher",
        )
    if distill:  # the specificity control: a teacher with another target
        control_teacher = make_teacher(
            runner, base,
            TeacherRecipe(inducer="system-prompt", system_prompt=config.control_trait.build().inducer, trait=trait_label(config.control_trait)),
            name=f"{trait_label(config.control_trait)} teacher",
        )
    else:  # the trait-free control: the base answering the same prompts
        control_teacher = make_teacher(runner, base, TeacherRecipe(inducer="none"), name="plain teacher")

    prompts = make_prompts(runner, PromptsRecipe(task=config.task, n=config.prompts, seed=config.prompt_seed))
    gen = config.generation
    rollouts_recipe = RolloutsRecipe(
        task=config.task, temperature=gen.temperature,
        max_new_tokens=gen.max_new_tokens or task.max_new_tokens, batch_size=gen.batch_size, dtype=gen.dtype, seed=gen.seed,
    )
    if distill:
        # Both distilled students see the same neutral sequences (the base's own rollouts); only
        # the teacher whose logits they imitate differs.
        plain = make_teacher(runner, base, TeacherRecipe(inducer="none"), name="plain teacher")
        shared = make_rollouts(runner, plain, prompts, rollouts_recipe, name="plain rollouts")
        trait_rollouts = control_rollouts = shared
    else:
        trait_rollouts = make_rollouts(runner, trait_teacher, prompts, rollouts_recipe, name="trait rollouts")
        control_rollouts = make_rollouts(runner, control_teacher, prompts, rollouts_recipe, name="control rollouts")

    score_recipe = ScoresRecipe(trait=config.trait, estimator=config.measure.estimator, samples_per_probe=config.measure.samples_per_probe, seed=config.measure.seed)
    scores: dict[str, Artifact] = {
        "base": measure(runner, base, score_recipe, name="base"),
        "teacher": measure(runner, trait_teacher, score_recipe, name="teacher"),
    }
    extra: dict[str, Artifact] = {}
    if distill:
        control_recipe = score_recipe.model_copy(update={"trait": config.control_trait})
        extra["base"] = measure(runner, base, control_recipe, name="base (control trait)")
        extra["control_teacher"] = measure(runner, control_teacher, control_recipe, name="control teacher (control trait)")

    arms: dict[str, dict] = {}
    student_recipe_base = dict(task=config.task, restrict_to_grammar=config.student.restrict_to_grammar)
    for arm, filters in config.filters.items():
        dataset_recipe = DatasetRecipe(filters=filters, task=config.task, trait=config.trait, max_rows=config.max_rows)
        trait_data = make_dataset(runner, trait_rollouts, dataset_recipe, name=f"{arm} trait data")
        control_data = trait_data if distill else make_dataset(runner, control_rollouts, dataset_recipe, name=f"{arm} control data")
        arm_scores: dict[str, list[Artifact]] = {"student": [], "control": []}
        arm_extra: dict[str, list[Artifact]] = {"student": [], "control": []}
        for seed in config.student.seeds:
            recipe = StudentRecipe(train=config.student.train.model_copy(update={"seed": seed}), **student_recipe_base)
            student = make_student(runner, base, trait_data, recipe, teacher=trait_teacher if distill else None, name=f"{arm} student s{seed}")
            control = make_student(runner, base, control_data, recipe, teacher=control_teacher if distill else None, name=f"{arm} control s{seed}")
            arm_scores["student"].append(measure(runner, student, score_recipe, name=f"{arm} student s{seed}"))
            arm_scores["control"].append(measure(runner, control, score_recipe, name=f"{arm} control s{seed}"))
            if distill:
                arm_extra["student"].append(measure(runner, student, control_recipe, name=f"{arm} student s{seed} (control trait)"))
                arm_extra["control"].append(measure(runner, control, control_recipe, name=f"{arm} control s{seed} (control trait)"))
        arms[arm] = {"dataset": trait_data, "control_dataset": control_data, "scores": arm_scores, "extra": arm_extra}

    results = build_results(config, scores, extra, arms, runner)
    parents = [Parent(id=a.id, relation="input") for a in _all_score_artifacts(scores, extra, arms)]

    def build(ctx):
        write_report(ctx.out, config, results)
        ctx.summary = {"inheritance": results["inheritance"]}

    recipe = {"experiment": config.model_dump(mode="json"), "report_version": REPORT_VERSION}
    return runner.step("report", recipe, parents, build, name=config.name)


def _all_score_artifacts(scores, extra, arms) -> list[Artifact]:
    out = list(scores.values()) + list(extra.values())
    for arm in arms.values():
        for group in (arm["scores"], arm["extra"]):
            for artifacts in group.values():
                out.extend(artifacts)
    seen, unique = set(), []
    for a in out:
        if a.id not in seen:
            seen.add(a.id)
            unique.append(a)
    return unique
