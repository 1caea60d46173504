"""One training loop for every model heredity trains; the callers differ only in their loss.

SFT (cross-entropy on completions), logit distillation (KL to a teacher), the MLP grid (digit
cross-entropy, imitation of auxiliary logits), zoo pretraining and the zoo's trait and
distillation steps all run ``fit``. A caller brings what is its own: the model, the optimizer,
the seeded plan of steps (each step a list of micro-batches) and the loss of one micro-batch.
The loop owns the rest, once: gradient accumulation, the learning-rate schedule, clipping, a
hook before each update, progress, the per-step loss record, and checkpoints in a step's
scratch folder that resume bit-identically (``checkpoint.py``: weights, optimizer state, step,
RNG; the plan is a pure function of its seed, so a resumed run replays the rest exactly).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from heredity.models import checkpoint


@dataclass(frozen=True)
class Step:
    """One optimizer update: the micro-batches whose gradients it sums, the divisor of each
    micro-batch's loss (e.g. the completion positions of the whole step; None: the loss as is),
    and how many units of progress it is (steps, images, ...)."""

    micro: Sequence[Any]
    divisor: float | None = None
    units: int = 1


@dataclass(frozen=True)
class Resume:
    """Checkpoint ``state``'s trainable parameters and the optimizer into ``folder`` every
    ``every`` steps (0: never by count) and at least every ``seconds``; a run resumes only from a
    checkpoint with its own ``fingerprint``."""

    folder: Path
    fingerprint: str
    state: Any  # a torch module: its trainable named_parameters are saved
    every: int = 0
    seconds: float = 120.0


@dataclass(frozen=True)
class Trained:
    losses: list[float]  # per step run here: the summed (divided) micro-batch losses
    start: int  # the step this run resumed at (0: from the start)
    wall_s: float


Loss = Callable[[Any], torch.Tensor]  # a micro-batch -> its loss (a scalar with a gradient)


def fit(steps: Sequence[Step], loss: Loss, optimizer: torch.optim.Optimizer, *,
        lr: Callable[[int], float] | None = None, max_grad_norm: float | None = None,
        before_update: Callable[[int], None] | None = None, progress: Callable[..., None] | None = None,
        resume: Resume | None = None) -> Trained:
    """Run ``steps`` in order: per micro-batch a forward (``loss``) and a backward, then the
    learning rate ``lr(step)``, ``before_update(step)`` (it sees the step's gradient), clipping,
    the update. Returns the per-step losses."""
    params = [p for group in optimizer.param_groups for p in group["params"]]
    start = checkpoint.restore(resume.folder, resume.state, optimizer, resume.fingerprint) if resume else 0
    losses: list[float] = []
    t0 = last_save = time.perf_counter()
    for index in range(start, len(steps)):
        step = steps[index]
        total = 0.0
        for micro in step.micro:
            value = loss(micro)
            (value if step.divisor is None else value / step.divisor).backward()
            total += float(value.detach())
        if lr is not None:
            for group in optimizer.param_groups:
                group["lr"] = lr(index)
        if before_update is not None:
            before_update(index)
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(total if step.divisor is None else total / step.divisor)
        if resume is not None and index + 1 < len(steps):
            now = time.perf_counter()
            if (resume.every and (index + 1) % resume.every == 0) or now - last_save > resume.seconds:
                checkpoint.save(resume.folder, resume.state, optimizer, index + 1, resume.fingerprint)
                last_save = time.perf_counter()
        if progress is not None:
            progress(step.units)
    return Trained(losses, start, time.perf_counter() - t0)


def mean_ends(losses: Sequence[float], digits: int = 5) -> tuple[float | None, float | None]:
    """(mean of the first tenth, mean of the last tenth) of a loss record, rounded."""
    if not losses:
        return None, None
    k = max(1, -(-len(losses) // 10))
    return round(sum(losses[:k]) / k, digits), round(sum(losses[-k:]) / k, digits)
