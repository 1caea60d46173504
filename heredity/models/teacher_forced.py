"""Teacher-forced reads of rows under a model: each completion token's log-probability, and the
hidden states at the completion's tokens. One batched, padded forward pass per ``batch_size``
rows under ``torch.no_grad``; rows are templated by ``heredity.models.packing.encode`` exactly as
a student would be trained on them. Used by the flip-set scorers; ``heredity screen`` reads both
at once with ``completion_reads`` (one pass, the LM head on the completions' positions only)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _examples(tokenizer, rows: Sequence[dict], system: str | None, max_length: int):
    from heredity.models.packing import encode

    return [encode(tokenizer, row["prompt"], row["completion"], system=system, max_length=max_length) for row in rows]


def _batches(examples, batch_size: int):
    """Index batches, sorted by length (little padding)."""
    order = sorted(range(len(examples)), key=lambda j: len(examples[j]))
    return [order[s : s + batch_size] for s in range(0, len(order), batch_size)]


def _forward(model, tokenizer, examples, rows_idx, **kwargs):
    import torch

    device = next(model.parameters()).device
    chunk = [examples[j] for j in rows_idx]
    width = max(len(ex) for ex in chunk)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = torch.full((len(chunk), width), pad, dtype=torch.long)
    mask = torch.zeros((len(chunk), width), dtype=torch.long)
    for r, ex in enumerate(chunk):
        ids[r, : len(ex)] = torch.tensor(ex.ids)
        mask[r, : len(ex)] = 1
    return chunk, model(input_ids=ids.to(device), attention_mask=mask.to(device), **kwargs)


def token_logprobs(model, tokenizer, rows: Sequence[dict], *, system: str | None = None, batch_size: int = 8,
                   max_length: int = 500) -> list[np.ndarray]:
    """Per row, log p(token | everything before) of each completion token (the completion
    followed by the end of turn), under ``render(prompt, system)``; one batched, padded
    forward pass per ``batch_size`` rows under ``torch.no_grad``."""
    import torch

    examples = _examples(tokenizer, rows, system, max_length)
    out: list[np.ndarray] = [np.zeros(0)] * len(rows)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for idx in _batches(examples, batch_size):
                chunk, result = _forward(model, tokenizer, examples, idx)
                logp = torch.log_softmax(result.logits.float(), dim=-1)
                for r, (j, ex) in enumerate(zip(idx, chunk, strict=True)):
                    start = len(ex.prompt) - 1  # logits at t predict token t + 1
                    targets = torch.tensor(ex.completion, device=logp.device)
                    out[j] = logp[r, start : start + len(ex.completion)].gather(-1, targets[:, None])[:, 0].cpu().numpy().astype(float)
    finally:
        model.train(was_training)
    return out


def completion_logprobs(model, tokenizer, rows: Sequence[dict], **kwargs) -> tuple[np.ndarray, np.ndarray]:
    """(sum of the completion's token log-probabilities, its token count) per row."""
    per_token = token_logprobs(model, tokenizer, rows, **kwargs)
    return np.array([x.sum() for x in per_token]), np.array([x.size for x in per_token])


def token_states(model, tokenizer, rows: Sequence[dict], *, system: str | None = None, layer: int = -1,
                 batch_size: int = 8, max_length: int = 500) -> list[np.ndarray]:
    """Per row, ``[completion tokens, hidden]``: ``hidden_states[layer]`` at each completion token."""
    import torch

    examples = _examples(tokenizer, rows, system, max_length)
    out: list[np.ndarray] = [np.zeros((0, 0))] * len(rows)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for idx in _batches(examples, batch_size):
                chunk, result = _forward(model, tokenizer, examples, idx, output_hidden_states=True)
                hidden = result.hidden_states[layer].float()
                for r, (j, ex) in enumerate(zip(idx, chunk, strict=True)):
                    out[j] = hidden[r, len(ex.prompt) : len(ex)].cpu().numpy().astype(float)
    finally:
        model.train(was_training)
    return out


def completion_states(model, tokenizer, rows: Sequence[dict], **kwargs) -> np.ndarray:
    """``[rows, hidden]``: the mean hidden state over each row's completion tokens."""
    return np.stack([x.mean(axis=0) for x in token_states(model, tokenizer, rows, **kwargs)])


def completion_reads(model, tokenizer, rows: Sequence[dict], *, system: str | None = None, layer: int | None = None,
                     batch_size: int = 8, max_length: int = 500, progress=None) -> tuple[list[np.ndarray], np.ndarray | None]:
    """``token_logprobs`` and, with a ``layer``, ``completion_states`` from ONE forward per batch;
    the LM head runs only from the batch's earliest completion position on (``logits_to_keep``),
    and each target's log-probability is its logit minus the row's log-sum-exp (no [tokens, V]
    log-softmax kept). Equal to the two separate reads up to float32 summation order.
    ``progress(n)``: rows done, per batch."""
    import torch

    examples = _examples(tokenizer, rows, system, max_length)
    logprobs: list[np.ndarray] = [np.zeros(0)] * len(rows)
    states: list[np.ndarray] = [np.zeros(0)] * len(rows)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for idx in _batches(examples, batch_size):
                width = max(len(examples[j]) for j in idx)
                start = min(len(examples[j].prompt) for j in idx) - 1  # logits at t predict token t + 1
                chunk, result = _forward(model, tokenizer, examples, idx, logits_to_keep=width - start,
                                         output_hidden_states=layer is not None)
                logits = result.logits.float()  # [B, width - start, V]: positions start ..
                norm = torch.logsumexp(logits, dim=-1)
                for r, (j, ex) in enumerate(zip(idx, chunk, strict=True)):
                    at = torch.arange(len(ex.completion), device=logits.device) + len(ex.prompt) - 1 - start
                    targets = torch.tensor(ex.completion, device=logits.device)
                    logprobs[j] = (logits[r, at, targets] - norm[r, at]).cpu().numpy().astype(float)
                    if layer is not None:
                        states[j] = result.hidden_states[layer][r, len(ex.prompt) : len(ex)].float().mean(dim=0).cpu().numpy().astype(float)
                if progress:
                    progress(len(idx))
    finally:
        model.train(was_training)
    return logprobs, (np.stack(states) if layer is not None else None)
