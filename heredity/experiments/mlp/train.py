"""Training all seeds of an arm at once. The loss is the *sum* over models of each model's mean
loss, so every model gets exactly the gradient it would get alone (Adam and SGD are elementwise,
so the models stay independent)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from heredity.experiments.mlp.config import Noise, Training
from heredity.experiments.mlp.model import DIGITS, IN, Params, forward, predict
from heredity.hardware import resolve_train_precision
from heredity.models import training
from heredity.models.training import Step

# (step, params) -> None; called after backward and before the update, so step t sees theta_t and its gradient.
StepHook = Callable[[int, Params], None]


def make_noise(noise: Noise) -> torch.Tensor:
    gen = torch.Generator().manual_seed(noise.seed)
    if noise.distribution == "uniform":
        return torch.empty(noise.count, IN).uniform_(-1.0, 1.0, generator=gen)
    return torch.randn(noise.count, IN, generator=gen)


def fit(
    params: Params,
    inputs: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    recipe: Training,
    *,
    order_seed: int,
    hook: StepHook | None = None,
    advance: Callable[[int], None] | None = None,
    project: Callable[[Params], Params] | None = None,
) -> Params:
    """Train ``params`` (not modified) on ``inputs``; ``loss_fn(logits [S,B,O], batch indices)``.

    The loop is ``heredity.models.training.fit``; what is the MLP's own is the stacked
    parameters, the per-epoch seeded shuffle into batches, and the loss. ``project``: each
    optimiser update is replaced by ``project(update)`` (``heredity.mitigations.gradient_projection``)."""
    live = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    tensors = list(live.values())
    opt: torch.optim.Optimizer
    if recipe.optimizer == "adam":
        # fused: the teacher step 1.25x, student step 1.06x vs foreach (bench_loop_options.py, 2026-12-05, n=2, 2-core EPYC)
        opt = torch.optim.Adam(tensors, lr=recipe.lr, fused=True)
    else:
        opt = torch.optim.SGD(tensors, lr=recipe.lr, foreach=True)
    if project is not None:
        from heredity.mitigations.gradient_projection import project_updates

        project_updates(opt, live, project)
    gen = torch.Generator().manual_seed(order_seed)
    batches = [order[start:start + recipe.batch_size] for order in (torch.randperm(len(inputs), generator=gen)
               for _ in range(recipe.epochs)) for start in range(0, len(inputs), recipe.batch_size)]
    bf16 = resolve_train_precision(recipe.precision, adapter="full") == "bf16-autocast"

    def loss(idx: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = forward(live, inputs[idx])
        return loss_fn(logits.float(), idx)

    training.fit([Step(micro=(idx,), units=len(idx)) for idx in batches], loss, opt,
                 before_update=None if hook is None else lambda step: hook(step, live), progress=advance)
    return {k: v.detach() for k, v in live.items()}


def steps_per_run(n: int, recipe: Training) -> int:
    return recipe.epochs * -(-n // recipe.batch_size)


def digit_loss(labels: torch.Tensor) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Cross-entropy on the 10 digit logits only: the auxiliary logits are never trained."""

    def loss(logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        s, b, _ = logits.shape
        return F.cross_entropy(logits[..., :DIGITS].reshape(s * b, DIGITS), labels[idx].repeat(s), reduction="sum") / b

    return loss


def imitation_loss(targets: torch.Tensor, columns: list[slice], kind: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """Match the teacher's logits ``targets [S, N, O]`` (KL of the softmaxes, or MSE of the logits).

    The models form ``len(columns)`` consecutive groups of S (one per arm); model i of every group
    imitates teacher i on the output columns ``columns[group]`` (the m aux logits, or all of them).
    """
    seeds = targets.shape[0]

    def loss(logits: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        batch_targets = targets[:, idx]
        total = logits.new_zeros(())
        for g, cols in enumerate(columns):
            out = logits[g * seeds:(g + 1) * seeds, :, cols]
            tgt = batch_targets[..., cols]
            if kind == "kl":
                logp_t = F.log_softmax(tgt, -1)
                per = (logp_t.exp() * (logp_t - F.log_softmax(out, -1))).sum(-1)  # [S, B]
                total = total + per.mean(-1).sum()
            else:
                total = total + (out - tgt).pow(2).mean(dim=(1, 2)).sum()
        return total

    return loss


def teacher_logits(teacher: Params, inputs: torch.Tensor) -> torch.Tensor:
    """The teacher's logits on the students' inputs, computed once: ``[S, N, O]``."""
    return predict(teacher, inputs)
