"""The exact estimator computed plainly, one probe at a time: the reference that the fast path
(``heredity.measure.tree``) is tested and benchmarked against."""

from __future__ import annotations

import copy
import math

from heredity.measure.boundary import boundary_mask
from heredity.measure.exact import Sequences, score_exact
from heredity.measure.score import Score
from heredity.traits.base import Trait


def candidate_logprobs(
    model, tokenizer, prompt: str, sequences: Sequences, batch_size: int = 64, min_first_prob: float = 0.0,
):
    """(log P(sequence [+ boundary] | prompt) per sequence, bound on the mass left out).

    The prompt runs once, its KV cache is repeated across a batch of candidates, and only the
    candidates' tokens are fed. Sequences whose first token has probability below
    ``min_first_prob`` are not run (log P = -inf): together they hold at most the returned
    bound (the summed probability of their distinct first tokens).
    """
    import torch

    device = next(model.parameters()).device
    prompt_ids = tokenizer(prompt, return_tensors="pt").input_ids.to(device)  # as generation tokenises it (Gemma: BOS)
    prefix = model(input_ids=prompt_ids, use_cache=True, logits_to_keep=1)  # [1, 1, V]: never [prompt, V]
    first = torch.log_softmax(prefix.logits[0, -1].float(), dim=-1)
    boundary = boundary_mask(tokenizer, first.shape[-1]).to(device)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    result = torch.full((len(sequences),), -math.inf, dtype=torch.float64)
    firsts = torch.tensor([ids[0] for _, ids, _ in sequences], device=device)
    run = (first[firsts] >= math.log(min_first_prob)) if min_first_prob > 0 else torch.ones_like(firsts, dtype=torch.bool)
    left_out = float(first[torch.unique(firsts[~run])].exp().sum()) if (~run).any() else 0.0
    todo = sorted(run.nonzero()[:, 0].tolist(), key=lambda j: len(sequences[j][1]))  # little padding
    for start in range(0, len(todo), batch_size):
        rows = todo[start : start + batch_size]
        chunk = [sequences[j] for j in rows]
        lengths = torch.tensor([len(ids) for _, ids, _ in chunk], device=device)
        width = int(lengths.max())
        tokens = torch.full((len(chunk), width), pad, dtype=torch.long, device=device)
        for row, (_, ids, _) in enumerate(chunk):
            tokens[row, : len(ids)] = torch.tensor(ids, device=device)
        cache = copy.deepcopy(prefix.past_key_values)
        cache.batch_repeat_interleave(len(chunk))
        # Right padding needs no mask: under causal attention real tokens never see the pads.
        logp = torch.log_softmax(model(input_ids=tokens, past_key_values=cache, use_cache=True).logits.float(), dim=-1)
        total = first[tokens[:, 0]]
        if width > 1:
            follow = logp[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0]
            real = torch.arange(1, width, device=device)[None, :] < lengths[:, None]
            total = total + (follow * real).sum(dim=1)
        last = logp[torch.arange(len(chunk), device=device), lengths - 1]
        ends = torch.logsumexp(last.masked_fill(~boundary, -math.inf), dim=-1)
        needs = torch.tensor([b for _, _, b in chunk], device=device)
        total = total + torch.where(needs, ends, torch.zeros_like(ends))
        result[rows] = total.double().cpu()
    return result, left_out


def exact_score_reference(
    model, tokenizer, trait: Trait, system: str | None = None, batch_size: int = 64, progress=None,
    min_first_prob: float = 1e-6,
) -> Score:
    """``exact_score`` computed plainly: each probe's whole prompt, then its candidate forms in
    padded batches over a repeated copy of the prompt's KV cache (``candidate_logprobs``)."""
    import torch

    def run(model, prompts, sequences):
        for prompt in prompts:
            yield candidate_logprobs(model, tokenizer, prompt, sequences, batch_size, min_first_prob)

    with torch.inference_mode():
        return score_exact(model, tokenizer, trait, system, progress, run)
