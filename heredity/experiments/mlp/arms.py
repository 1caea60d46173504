"""The arms as pure functions of tensors (no store): teacher, students, and the theorem check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from heredity.experiments.mlp.config import MlpExperiment
from heredity.experiments.mlp.model import (
    DIGITS,
    Params,
    concat,
    cosine,
    derangement,
    predict,
    remove_along,
    select,
    split,
)
from heredity.experiments.mlp.train import StepHook, digit_loss, fit, imitation_loss, make_noise, teacher_logits
from heredity.mitigations.base import MitigationConfig


def digits_as_inputs(images: np.ndarray) -> torch.Tensor:
    """uint8 pixels to [-1, 1], the same range as the uniform noise the students see."""
    return torch.from_numpy(images).float() / 127.5 - 1.0


def train_teacher(init: Params, images: torch.Tensor, labels: torch.Tensor, config: MlpExperiment,
                  advance: Callable[[int], None] | None = None) -> Params:
    return fit(init, images, digit_loss(labels), config.teacher, order_seed=config.seeds[0], advance=advance)


@dataclass
class Students:
    arms: dict[str, Params]  # same_init, different_init[, all_logits]
    first_step: dict[str, list[float]]  # cosine(-grad at theta_start, theta_T - theta0) per seed
    first_k: dict[str, list[float]]  # cosine(theta_k - theta_start, theta_T - theta0) per seed
    derangement: list[int]  # different_init model i starts from the init of seed index derangement[i]
    inputs: dict[str, object]  # statistics of what the students were trained on (noise)


def _grad(p: torch.Tensor) -> torch.Tensor:
    """A parameter's gradient (the hook runs after backward, so every parameter has one)."""
    if p.grad is None:
        raise RuntimeError("the step hook ran before backward: a parameter has no gradient")
    return p.grad


def student_arms(config: MlpExperiment) -> list[str]:
    return ["same_init", "different_init"] + (["all_logits"] if config.all_logits else [])


def train_students(init: Params, teacher: Params, config: MlpExperiment,
                   advance: Callable[[int], None] | None = None) -> Students:
    """Every student arm of every seed in one stacked model, fed the same noise batches.

    Model i of each arm imitates teacher i. The same-init and all-logits arms start from θ0_i;
    the different-init arm from θ0_π(i), π a derangement, so no student shares its teacher's init.
    """
    seeds = len(config.seeds)
    names = student_arms(config)
    perm = derangement(seeds, config.derangement_seed)
    starts = {"same_init": init, "different_init": select(init, perm), "all_logits": init}
    start = concat([starts[a] for a in names])
    aux = slice(DIGITS, DIGITS + config.aux_logits)
    columns = [slice(None) if a == "all_logits" else aux for a in names]

    noise = make_noise(config.noise)
    targets = teacher_logits(teacher, noise)  # [S, N, 10+m], once for all epochs
    change = {k: teacher[k] - init[k] for k in init}  # θ_T − θ0, per seed
    change_all = concat([change] * len(names))
    first_step: dict[str, list[float]] = {}
    first_k: dict[str, list[float]] = {}

    def per_arm(values: torch.Tensor, into: dict[str, list[float]]) -> None:
        for a, chunk in zip(names, values.view(len(names), seeds)):
            into[a] = chunk.tolist()

    def hook(step: int, live: Params) -> None:
        if step == 0:
            per_arm(cosine({k: -_grad(v) for k, v in live.items()}, change_all), first_step)
        if step == config.alignment_steps:
            per_arm(cosine({k: live[k].detach() - start[k] for k in live}, change_all), first_k)

    trained = fit(start, noise, imitation_loss(targets, columns, config.loss), config.student,
                  order_seed=config.noise.seed + 1, hook=hook, advance=advance)
    if not first_k:  # fewer steps than k in the whole run: use the final change
        per_arm(cosine({k: trained[k] - start[k] for k in trained}, change_all), first_k)
    inputs: dict[str, object] = {"kind": "noise", "distribution": config.noise.distribution, "count": config.noise.count,
              "mean": float(noise.mean()), "std": float(noise.std()), "min": float(noise.min()), "max": float(noise.max())}
    return Students(dict(zip(names, split(trained, [seeds] * len(names)))),
                    {a: v for a, v in first_step.items() if a != "all_logits"},
                    {a: v for a, v in first_k.items() if a != "all_logits"}, perm.tolist(), inputs)


def train_mitigated(init: Params, teacher: Params, config: MlpExperiment, mitigation: MitigationConfig,
                    advance: Callable[[int], None] | None = None, hook: StepHook | None = None) -> Params:
    """The same-init student of every seed (aux logits, the same noise batches in the same order
    as ``train_students``), trained under an update mitigation. ``gradient-projection``: each
    update of model i loses its component along θ_T,i − θ0,i."""
    from heredity.mitigations.gradient_projection import GradientProjection

    if not isinstance(mitigation, GradientProjection):
        raise ValueError(f"mitigations: {mitigation.kind} is not an arm of the MLP experiment; accepted: gradient-projection")
    change = {k: teacher[k] - init[k] for k in init}
    noise = make_noise(config.noise)
    targets = teacher_logits(teacher, noise)
    aux = slice(DIGITS, DIGITS + config.aux_logits)
    return fit(init, noise, imitation_loss(targets, [aux], config.loss), config.student, order_seed=config.noise.seed + 1,
               hook=hook, advance=advance, project=lambda update: remove_along(update, change))


def held_out_imitation(teacher: Params, students: Params, config: MlpExperiment, count: int = 2000) -> list[float]:
    """What distillation was for: each model's imitation loss on the teacher's aux logits, on
    ``count`` fresh noise images (another seed than the training noise), per seed."""
    noise = make_noise(config.noise.model_copy(update={"count": count, "seed": config.noise.seed + 10_007}))
    aux = slice(DIGITS, DIGITS + config.aux_logits)
    targets, logits, every = teacher_logits(teacher, noise), predict(students, noise), torch.arange(count)
    # the loss sums over models: one model at a time gives each seed its own
    return [float(imitation_loss(targets[i:i + 1], [aux], config.loss)(logits[i:i + 1], every)) for i in range(len(logits))]
