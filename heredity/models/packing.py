"""Rows -> token sequences -> optimizer steps -> packed micro-batches, without padding.

Packing puts several sequences end to end in one row of a batch, with ``position_ids`` that
restart at 0 for each sequence. Attention is kept inside each sequence by the exact varlen
attention of ``heredity.models.varlen`` (the trainers run under ``varlen(model)``), not by
transformers' own position-id packing, which was measured to leak between sequences with sdpa.
Packed losses are tested against unpacked ones. No token is spent on padding.

The schedule is a pure function of (lengths, seed, epochs, batch_tokens): resuming from a
checkpoint replays exactly the same steps.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from heredity.models.chat import end_of_turn, render


@dataclass(frozen=True)
class Example:
    """One training sequence: prompt tokens then completion tokens (the only ones trained on)."""

    prompt: list[int]
    completion: list[int]

    @property
    def ids(self) -> list[int]:
        return self.prompt + self.completion

    def __len__(self) -> int:
        return len(self.prompt) + len(self.completion)


def encode(tokenizer, prompt: str, completion: str, *, system: str | None = None, max_length: int = 500) -> Example:
    """Render the prompt as generation saw it, append completion + end of turn, truncate the completion.

    Prompt and completion are tokenised separately, as in generation (the sampled tokens
    followed the rendered prompt's tokens), so the trained token boundaries are the sampled ones.
    """
    prompt_ids = tokenizer(render(tokenizer, prompt, system=system)).input_ids
    completion_ids = tokenizer(completion + end_of_turn(tokenizer), add_special_tokens=False).input_ids
    room = max(max_length - len(prompt_ids), 1)  # at least one completion token survives
    return Example(prompt_ids, completion_ids[:room])


def plan_steps(lengths: Sequence[int], *, epochs: int, batch_tokens: int, seed: int) -> list[list[int]]:
    """Optimizer steps as lists of example indices: each epoch a seeded shuffle, cut greedily
    into steps of at most ``batch_tokens`` tokens (a longer example gets a step of its own)."""
    steps: list[list[int]] = []
    for epoch in range(epochs):
        order = list(range(len(lengths)))
        random.Random(f"{seed}:{epoch}").shuffle(order)
        steps += _cut(order, lengths, batch_tokens)
    return steps


def micro_batches(indices: Sequence[int], lengths: Sequence[int], micro_tokens: int) -> list[list[int]]:
    """Split one step into packs of at most ``micro_tokens`` tokens, in order.

    Attention over a pack costs its length squared even though the mask is block-diagonal,
    so packs are kept short (about 1k tokens) and their gradients are accumulated.
    """
    return _cut(indices, lengths, micro_tokens)


def _cut(indices: Sequence[int], lengths: Sequence[int], budget: int) -> list[list[int]]:
    """Consecutive groups of ``indices`` of at most ``budget`` tokens (an example longer than
    the budget gets a group of its own)."""
    groups: list[list[int]] = []
    current: list[int] = []
    size = 0
    for i in indices:
        if current and size + lengths[i] > budget:
            groups.append(current)
            current, size = [], 0
        current.append(i)
        size += lengths[i]
    if current:
        groups.append(current)
    return groups


@dataclass(frozen=True)
class Pack:
    """A ``[1, L]`` packed row: inputs, restarting positions, and which positions are scored.

    ``keep[0, t]`` is True where the logits at ``t`` predict a completion token; ``targets`` are
    those tokens, in order (so ``logits_to_keep=keep`` yields exactly one row per target).
    """

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    keep: torch.Tensor
    targets: torch.Tensor

    @property
    def tokens(self) -> int:
        return int(self.input_ids.shape[1])


def pack(examples: Sequence[Example]) -> Pack:
    ids: list[int] = []
    positions: list[int] = []
    keep: list[bool] = []
    targets: list[int] = []
    for ex in examples:
        seq = ex.ids
        ids += seq
        positions += range(len(seq))
        # logits at position t predict token t+1: score the positions from the prompt's last
        # token up to the completion's second-to-last.
        keep += [False] * (len(ex.prompt) - 1) + [True] * len(ex.completion) + [False]
        targets += ex.completion
    return Pack(
        input_ids=torch.tensor([ids]),
        position_ids=torch.tensor([positions]),
        keep=torch.tensor([keep]),
        targets=torch.tensor(targets),
    )
