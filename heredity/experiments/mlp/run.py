"""The experiment as store steps: data → init → teacher → students → report."""

from __future__ import annotations

import json

import torch
from safetensors.torch import load_file, save_file

from heredity.config import recipe_dict
from heredity.data.mnist import mnist_step, read_digits
from heredity.experiments.mlp.arms import (
    digits_as_inputs,
    held_out_imitation,
    student_arms,
    train_mitigated,
    train_students,
    train_teacher,
)
from heredity.experiments.mlp.config import MlpExperiment
from heredity.experiments.mlp.model import DIGITS, Params, accuracy, init_params
from heredity.experiments.mlp.report import write
from heredity.experiments.mlp.train import steps_per_run
from heredity.hardware import resolve_train_precision
from heredity.store import Artifact, BuildContext, Parent, write_json

# Bump when results.json or report.md change shape: reports are cheap views, rebuilt on change.
REPORT_VERSION = 2

ARCH = "mlp-784-w-w-o"
WEIGHTS = "params.safetensors"


def save(params: Params, path) -> None:
    save_file({k: v.contiguous() for k, v in params.items()}, str(path), metadata={"layout": "w1 [784, seed, W]; others [seed, ...]"})


def load(artifact: Artifact, name: str = WEIGHTS) -> Params:
    return load_file(str(artifact.file(name)))


def run(config: MlpExperiment, runner) -> Artifact:
    n_out = DIGITS + config.aux_logits
    data = mnist_step(runner, config.data)
    arch = {"arch": ARCH, "seeds": config.seeds, "width": config.width, "outputs": n_out}

    def build_init(ctx: BuildContext) -> None:
        save(init_params(config.seeds, config.width, n_out), ctx.out / WEIGHTS)

    init = runner.step("model", {**arch, "role": "init"}, [], build_init, name="mlp init θ0")

    def build_teacher(ctx: BuildContext) -> None:
        digits = read_digits(data)
        images = digits_as_inputs(digits["train_x"])
        labels = torch.from_numpy(digits["train_y"]).long()
        total = steps_per_run(len(images), config.teacher) * len(config.seeds)
        with runner.progress("teacher", total, "model-steps") as advance:
            teacher = train_teacher(load(init), images, labels, config, advance=lambda n: advance(len(config.seeds)))
        save(teacher, ctx.out / WEIGHTS)
        ctx.summary = {"train_images": len(images), "total_steps": total,
                       "precision": resolve_train_precision(config.teacher.precision, adapter="full")}

    teacher = runner.step("model", {**arch, "role": "teacher", "training": recipe_dict(config.teacher)},
                          [Parent(id=init.id, relation="base"), Parent(id=data.id, relation="trained-on")],
                          build_teacher, name="mlp teacher")

    arms = student_arms(config)
    student_recipe = {
        **arch, "role": "students", "arms": arms, "training": recipe_dict(config.student), "loss": config.loss,
        "aux_logits": config.aux_logits, "noise": recipe_dict(config.noise), "derangement_seed": config.derangement_seed,
        "alignment_steps": config.alignment_steps,
    }

    def build_students(ctx: BuildContext) -> None:
        total = steps_per_run(config.noise.count, config.student) * len(config.seeds) * len(arms)
        with runner.progress("students", total, "model-steps") as advance:
            students = train_students(load(init), load(teacher), config,
                                      advance=lambda n: advance(len(config.seeds) * len(arms)))
        for arm, params in students.arms.items():
            save(params, ctx.out / f"{arm}.safetensors")
        write_json(ctx.out / "training.json", {
            "inputs": students.inputs, "derangement": students.derangement,
            "alignment_first_step": students.first_step, "alignment_first_k": students.first_k,
        })
        ctx.summary = {"inputs": students.inputs["kind"], "derangement": students.derangement,
                       "precision": resolve_train_precision(config.student.precision, adapter="full")}

    # No data parent: the students never see a digit, only the teacher's outputs on noise.
    students = runner.step("model", student_recipe,
                           [Parent(id=teacher.id, relation="teacher"), Parent(id=init.id, relation="base")],
                           build_students, name="mlp students")

    mitigated = None
    if config.mitigations:  # a step of its own: the students step (and its id) stays as it was
        def build_mitigated(ctx: BuildContext) -> None:
            total = steps_per_run(config.noise.count, config.student) * len(config.seeds) * len(config.mitigations)
            with runner.progress("mitigated students", total, "model-steps") as advance:
                for m in config.mitigations:
                    params = train_mitigated(load(init), load(teacher), config, m, advance=lambda n: advance(len(config.seeds)))
                    save(params, ctx.out / f"{m.name}.safetensors")
            ctx.summary = {"mitigations": [m.name for m in config.mitigations]}

        mitigated = runner.step("model", {**student_recipe, "role": "mitigated students", "arms": ["same_init"],
                                          "mitigations": [recipe_dict(m) for m in config.mitigations]},
                                [Parent(id=teacher.id, relation="teacher"), Parent(id=init.id, relation="base")],
                                build_mitigated, name="mlp mitigated students")

    def build_report(ctx: BuildContext) -> None:
        digits = read_digits(data)
        x = digits_as_inputs(digits["test_x"])
        y = torch.from_numpy(digits["test_y"]).long()
        acc = {"teacher": accuracy(load(teacher), x, y).tolist()}
        for arm in arms:
            acc[arm] = accuracy(load(students, f"{arm}.safetensors"), x, y).tolist()
        acc["init"] = accuracy(load(init), x, y).tolist()
        training = json.loads(students.file("training.json").read_text())
        split = json.loads(data.file("split.json").read_text())
        settings = {**recipe_dict(config), "data_source": split["source"], "data_sha256": split["source_sha256"],
                    "train_images": split["train"], "test_images": split["test"]}
        from heredity.experiments.mlp.results import results

        arms_out = {}
        if mitigated is not None:
            from heredity.experiments.mlp.results import mitigation

            same_init = load(students, "same_init.safetensors")
            plain_imitation = held_out_imitation(load(teacher), same_init, config)
            for m in config.mitigations:
                params = load(mitigated, f"{m.name}.safetensors")
                arms_out[m.name] = mitigation(m.describe(), accuracy(params, x, y).tolist(), acc["same_init"],
                                              held_out_imitation(load(teacher), params, config), plain_imitation)
        res = results(acc, training["alignment_first_step"], training["alignment_first_k"], config.alignment_steps,
                      settings, training["derangement"], mitigations=arms_out)
        write(res, ctx.out, artifact_id=ctx.id)
        ctx.summary = {arm: round(v.accuracy.mean, 4) for arm, v in res.arms.items()}

    parents = [Parent(id=teacher.id, relation="evaluated"), Parent(id=students.id, relation="evaluated"),
               Parent(id=init.id, relation="evaluated"), Parent(id=data.id, relation="data")]
    if mitigated is not None:
        parents.append(Parent(id=mitigated.id, relation="evaluated"))
    return runner.step("report", {"experiment": "mlp", "name": config.name, "report_version": REPORT_VERSION}, parents, build_report, name=config.name)
