"""SFT cross-entropy (and distillation KL) without a ``[tokens, vocab]`` fp32 logits tensor.

With Gemma's 262,144-token head a 1,024-token micro-batch would hold 1 GiB of fp32 logits, and
as much again for their log-softmax and gradient. Here the decoder runs once, the hidden states
at completion positions are cut into blocks of ``ROWS`` rows, and each block's head product and
cross-entropy run under activation checkpointing: forward and backward hold one block's logits
(``ROWS x V``) at a time, and the result equals the unchunked loss up to float summation order.

Logit distillation (``distill.py``) uses the same blocks for both models' logits. Models whose
logits are not ``hidden @ head.T`` (a biased head) fall back to the whole forward; a
final-logit soft-cap (Gemma 2) is applied per block. ``completion_logits`` is that whole
forward (and what the tests compare the blocks against).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

ROWS = 256  # head rows per block: 256 x 262,144 fp32 = 256 MiB for Gemma, 48 MiB for SmolLM2


def segments(p) -> list[int]:
    """The lengths of the sequences packed into ``p`` (varlen attention keeps them apart)."""
    starts = (p.position_ids[0] == 0).nonzero().flatten().tolist() + [p.tokens]
    return [b - a for a, b in zip(starts, starts[1:])]


def completion_logits(model, p, **kwargs) -> torch.Tensor:
    """Logits ``[N, V]`` at the positions that predict completion tokens, and only there."""
    device = model.device
    out = model(input_ids=p.input_ids.to(device), position_ids=p.position_ids.to(device),
                logits_to_keep=p.keep.to(device), segments=segments(p), use_cache=False, **kwargs)
    return out.logits.reshape(-1, out.logits.shape[-1])


def _head(model):
    """(decoder, head weight, soft-cap) or None when the split does not apply."""
    try:
        body, linear = model.get_decoder(), model.get_output_embeddings()
    except (AttributeError, NotImplementedError):
        return None
    if not callable(body) or linear is None or getattr(linear, "bias", None) is not None:
        return None
    return body, linear.weight, getattr(model.config, "final_logit_softcapping", None)


def head_logits(hidden: torch.Tensor, weight: torch.Tensor, cap: float | None) -> torch.Tensor:
    """fp32 logits of a block of hidden states (with the model's final soft-cap, if any)."""
    logits = (hidden @ weight.T).float()
    return torch.tanh(logits / cap) * cap if cap else logits


def _block_loss(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, cap: float | None) -> torch.Tensor:
    return F.cross_entropy(head_logits(hidden, weight, cap), targets, reduction="sum")


def completion_hidden(model, p) -> tuple[torch.Tensor, torch.Tensor, float | None] | None:
    """(hidden states ``[N, H]`` at the positions that predict completion tokens, head weight,
    soft-cap), or None for a model whose head does not split off (use the whole forward)."""
    split = _head(model)
    if split is None:
        return None
    body, weight, cap = split
    device = model.device
    hidden = body(input_ids=p.input_ids.to(device), position_ids=p.position_ids.to(device),
                  segments=segments(p), use_cache=False).last_hidden_state
    return hidden[0, p.keep[0].to(device)], weight, cap


def chunked_sft_loss(model, p, batch, rows: int = ROWS) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy of a pack's completion tokens (the contract of ``finetune.sft_loss``)."""
    targets = p.targets.to(model.device)
    split = completion_hidden(model, p)
    if split is None:
        return F.cross_entropy(completion_logits(model, p).float(), targets, reduction="sum"), len(targets)
    hidden, weight, cap = split
    total = hidden.new_zeros((), dtype=torch.float32)
    for a in range(0, len(targets), rows):
        total = total + checkpoint(_block_loss, hidden[a : a + rows], weight, targets[a : a + rows], cap, use_reentrant=False)
    return total, len(targets)
