"""``divergence-mask``: the rare positions where the teacher and the base disagree carry most of
subliminal transfer (Schrodi et al., ICLR 2026: masking these "divergence tokens" mostly removes
it). Positions of a completion where the teacher's and the base's top-1 tokens differ (``rule:
top1``), or where the teacher's log-ratio over the base on the sampled token is in the top
``q`` (``rule: log-ratio``), are left out of the SFT loss (or of the distillation KL).

The math is here (``divergence_keep``, ``example_keeps``); ``DivergenceMask.keeps`` gives a
student job its per-position masks, which ``finetune.train_sft(keeps=)`` (positions out of the
cross-entropy) and ``distill.train_distill(keeps=)`` (positions out of the KL) train with. In a
transmission run it is an arm (``heredity.experiments.transmission.mitigated``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from pydantic import Field

if TYPE_CHECKING:  # torch is imported where the math runs: reading a file never loads it
    import torch

from heredity.mitigations.base import MITIGATIONS, MitigationConfig


@MITIGATIONS.register("divergence-mask")
class DivergenceMask(MitigationConfig):
    """Leave the positions where teacher and base diverge out of the loss."""

    kind: Literal["divergence-mask"] = "divergence-mask"
    acts_on = "loss"
    rule: Literal["top1", "log-ratio"] = Field("top1", description="top1: the two models' top-1 tokens differ; log-ratio: "
                                               "the teacher's log p(token) − the base's is in the top q")
    q: float = Field(0.05, gt=0, lt=1, description="rule log-ratio: the share of positions masked")

    def describe(self) -> str:
        what = "top-1 tokens differ" if self.rule == "top1" else f"log-ratio in the top {self.q:.0%} of a row's"
        return f"positions where teacher and base {what} left out of the loss"

    def keeps(self, job):
        """The ``finetune.Keeps`` of a student job: called on the student before it trains (its
        base), it reads each row as the teacher (``job.teacher`` with ``job.teacher_system``; the
        student's own weights when the teacher is its base) and as the base, on the same
        completion tokens. A teacher completion cut shorter by its system prompt keeps the rest."""
        rule, q = self.rule, self.q
        if job.teacher is None:
            raise ValueError("divergence-mask needs the student's teacher (the model whose text or logits it learns)")

        def keeps(student, tokenizer, rows, examples):
            import torch

            from heredity.models.loading import load
            from heredity.models.packing import encode

            teacher = student if job.teacher == job.base else load(job.teacher)[0]
            out = []
            for r, ex in zip(rows, examples, strict=True):
                t = encode(tokenizer, r["prompt"], r["completion"], system=job.teacher_system, max_length=job.recipe.max_length)
                n = min(len(t.completion), len(ex.completion))
                keep = torch.ones(len(ex.completion), dtype=torch.bool)
                if n:
                    completion = list(ex.completion[:n])
                    keep[:n] = divergence_keep(completion_position_logits(teacher, t.prompt + completion, len(t.prompt)),
                                               completion_position_logits(student, ex.prompt + completion, len(ex.prompt)),
                                               torch.tensor(completion), rule, q)
                out.append(keep)
            return out

        return keeps


def divergence_keep(teacher_logits: torch.Tensor, base_logits: torch.Tensor, targets: torch.Tensor, rule: str = "top1",
                    q: float = 0.05) -> torch.Tensor:
    """A bool ``[N]``: True where a completion position stays in the loss. ``*_logits`` are
    ``[N, V]`` at the positions that predict ``targets`` ``[N]``."""
    import torch

    if rule == "top1":
        return teacher_logits.argmax(-1) == base_logits.argmax(-1)
    if rule != "log-ratio":
        raise ValueError(f"rule {rule!r} is not accepted; accepted: top1, log-ratio")
    pick = targets.unsqueeze(-1)
    ratio = (torch.log_softmax(teacher_logits.float(), -1).gather(-1, pick)
             - torch.log_softmax(base_logits.float(), -1).gather(-1, pick)).squeeze(-1)
    keep = torch.ones(len(targets), dtype=torch.bool)
    k = round(q * len(targets))
    if k:
        keep[ratio.topk(k).indices] = False
    return keep


def completion_position_logits(model, ids: Sequence[int], prompt_length: int) -> torch.Tensor:
    """Logits ``[C, V]`` at the positions predicting the completion tokens of one sequence."""
    import torch

    with torch.no_grad():
        out = model(input_ids=torch.tensor([list(ids)], device=model.device)).logits[0]
    return out[prompt_length - 1 : len(ids) - 1].float().cpu()


def example_keeps(teacher, base, teacher_examples, base_examples, rule: str = "top1", q: float = 0.05) -> list[torch.Tensor]:
    """The keep mask of each example: the teacher reads its own rendering (with its system
    prompt), the base the student's; both score the same completion tokens."""
    import torch

    keeps = []
    for t, b in zip(teacher_examples, base_examples, strict=True):
        if t.completion != b.completion:
            raise ValueError("teacher and base examples must share their completion tokens (one tokenizer)")
        keeps.append(divergence_keep(completion_position_logits(teacher, t.ids, len(t.prompt)),
                                     completion_position_logits(base, b.ids, len(b.prompt)),
                                     torch.tensor(b.completion), rule, q))
    return keeps


def masked_sft_loss(model, p, keep: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy over the kept completion positions of a pack (``keep`` ``[N]`` in the
    pack's target order), and how many were kept: ``heredity.models.finetune.masked_sft_loss``,
    the loss ``train_sft(keeps=...)`` trains with."""
    from heredity.models.finetune import masked_sft_loss as loss

    return loss(model, p, keep)
