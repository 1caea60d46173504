"""Trait estimators: exact (teacher-forced) and sampled, each a ``Score`` with an interval.

- ``exact_score``: for each probe, the probability that the assistant's reply starts with each
  candidate answer, read off one forward pass of the prompt (its head shared by all probes is
  computed once) plus one tree-masked pass over a token trie of the candidates' few tokens
  (``heredity.measure_exact``; ``exact_score_reference`` is the plain computation). A surface form that ends in a letter or digit must be
  followed by a word boundary (a token that starts with anything else, or a special token), so
  "Owl" does not also count "Owlet", and "Owl" / "Owls" are disjoint events that can be summed.
  The per-probe value is the target's mass (normalised over candidates when the trait says so);
  the score is the mean over probes with a t-interval across probes.
- ``sampled_score``: n answers per probe at temperature 1, scored by ``trait.matches``; the
  rate with a Wilson interval clustered by probe (``heredity.stats.clustered_wilson``).
- ``paired_difference``: student minus control, paired by probe.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from heredity import stats
from heredity.errors import ConfigError
from heredity.traits.base import Trait


class Score(BaseModel):
    """A trait score: never a bare number.

    ``p``: the rate (mean over probes for exact; pooled over answers for sampled).
    ``ci``: [lo, hi] at 95%. ``n``: probes (exact) or answers (sampled); ``probes``: number of
    probes. ``per_probe``: the per-probe values, in probe order (what paired tests pair on).
    ``details``: estimator diagnostics (exact: candidate distribution, candidate coverage;
    sampled: ICC, design effect, effective n, example answers).
    """

    model_config = ConfigDict(frozen=True)

    label: str
    method: str  # the estimator (heredity.estimators)
    p: float
    ci: tuple[float, float]
    n: int
    probes: int
    per_probe: list[float]
    details: dict[str, Any] = {}


# ---------------------------------------------------------------- exact


_BOUNDARY_CACHE: dict[int, Any] = {}


def boundary_mask(tokenizer, vocab_size: int):
    """[V] bool: tokens that end a word when they follow one (start with a non-alphanumeric
    character, are empty, or are special tokens such as end-of-turn)."""
    import torch

    key = (id(tokenizer), vocab_size)
    if key not in _BOUNDARY_CACHE:
        n = min(len(tokenizer), vocab_size)
        texts = tokenizer.batch_decode([[i] for i in range(n)])
        mask = torch.zeros(vocab_size, dtype=torch.bool)  # ids beyond the tokenizer: never boundary
        mask[:n] = torch.tensor([not (t[:1].isalnum()) for t in texts])
        for i in tokenizer.all_special_ids:
            if i < vocab_size:
                mask[i] = True
        _BOUNDARY_CACHE[key] = mask
    return _BOUNDARY_CACHE[key]


def _candidate_sequences(tokenizer, trait: Trait) -> list[tuple[str, list[int], bool]]:
    """(candidate, token ids, needs a boundary after) for every distinct surface form."""
    seen: set[tuple[int, ...]] = set()
    out = []
    for candidate, forms in trait.candidates.items():
        for form in forms:
            ids = tokenizer(form, add_special_tokens=False).input_ids
            if ids and tuple(ids) not in seen:
                seen.add(tuple(ids))
                out.append((candidate, ids, form[-1].isalnum()))
    return out


def candidate_logprobs(
    model, tokenizer, prompt: str, sequences: list[tuple[str, list[int], bool]], batch_size: int = 64,
    min_first_prob: float = 0.0,
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


def exact_score(
    model, tokenizer, trait: Trait, system: str | None = None, batch_size: int = 64, progress=None,
    min_first_prob: float = 1e-6,
) -> Score:
    """Teacher-forced probability of the trait's target answer, averaged over probes.

    ``system``: the system prompt (None: the model's default; a teacher passes its inducer).
    ``progress``: optional ``advance(n)`` callback, called once per probe.
    ``min_first_prob``: surface forms whose first token is less likely than this are skipped
    (most of the 240 animal forms: a 10x speed-up); ``details["left_out"]`` is the largest
    per-probe bound on the skipped mass. 0 scores every form.
    ``batch_size``: rows of the LM head computed at once (bounds memory; not the result).

    The model work is ``heredity.measure_exact`` (shared prompt head once, a token trie of the
    forms in one tree-masked forward per probe); ``exact_score_reference`` is the plain
    computation it is tested against.
    """
    import torch

    from heredity.measure_exact import candidate_logprobs_many

    def run(model, prompts, sequences):
        return candidate_logprobs_many(model, tokenizer, prompts, sequences, batch_size=batch_size, min_first_prob=min_first_prob)

    with torch.inference_mode():
        return _exact(model, tokenizer, trait, system, progress, run)


def exact_score_reference(
    model, tokenizer, trait: Trait, system: str | None = None, batch_size: int = 64, progress=None,
    min_first_prob: float = 1e-6,
) -> Score:
    """``exact_score`` computed plainly: each probe's whole prompt, then its candidate forms in
    padded batches over a repeated copy of the prompt's KV cache (``candidate_logprobs``).
    Slower; kept as the reference the fast path is tested and benchmarked against."""
    import torch

    def run(model, prompts, sequences):
        for prompt in prompts:
            yield candidate_logprobs(model, tokenizer, prompt, sequences, batch_size, min_first_prob)

    with torch.inference_mode():
        return _exact(model, tokenizer, trait, system, progress, run)


def _exact(model, tokenizer, trait: Trait, system, progress, run) -> Score:
    """The score from ``run(model, prompts, sequences)``, which yields (log P per sequence,
    left-out bound) for each probe in order."""
    import torch

    if not trait.candidates:
        raise ConfigError(f"trait {trait.name} has no closed answer set, so the exact estimator cannot read it: "
                          "use estimator: sampled (a judge scores the answers)")
    sequences = _candidate_sequences(tokenizer, trait)
    names = list(trait.candidates)
    index = torch.tensor([names.index(c) for c, _, _ in sequences], dtype=torch.long)
    per_probe, coverage, distribution, left_out = [], [], np.zeros(len(names)), 0.0
    prompts = trait.rendered_probes(tokenizer, system)
    was_training = model.training
    model.eval()
    try:
        for logp, skipped in run(model, prompts, sequences):
            left_out = max(left_out, skipped)
            mass = torch.zeros(len(names), dtype=torch.float64).index_add_(0, index, logp.exp()).numpy()
            total = float(mass.sum())
            target = float(sum(mass[names.index(t)] for t in (trait.targets or (trait.target,))))
            per_probe.append(target / total if trait.normalise and total > 0 else target)
            coverage.append(total)
            distribution += mass / total if total > 0 else mass
            if progress:
                progress(1)
    finally:
        model.train(was_training)
    mean, lo, hi = stats.t_interval(per_probe)
    distribution /= len(trait.probes)
    top = sorted(zip(names, distribution.tolist(), strict=True), key=lambda kv: -kv[1])
    return Score(
        label=trait.label, method="exact", p=mean, ci=(max(0.0, lo), min(1.0, hi)),
        n=len(per_probe), probes=len(per_probe), per_probe=per_probe,
        details={
            "coverage": float(np.mean(coverage)),  # probability mass the candidates cover
            "left_out": left_out,
            "distribution": dict(top) if trait.normalise else {},
        },
    )


# ---------------------------------------------------------------- sampled


def sampled_score(
    model, tokenizer, trait: Trait, n_per_probe: int, seed: int, system: str | None = None,
    generate_fn: Callable[..., list[str]] | None = None, max_new_tokens: int | None = None,
    batch_size: int = 64, progress=None,
) -> Score:
    """n answers per probe at temperature 1, scored with ``trait.matches``; Wilson interval
    clustered by probe. ``generate_fn`` defaults to ``heredity.models.generate.generate``."""
    if n_per_probe < 1:
        raise ValueError(f"n_per_probe must be at least 1 (got {n_per_probe})")
    if generate_fn is None:
        from heredity.models.generate import generate as generate_fn
    prompts = [p for p in trait.rendered_probes(tokenizer, system) for _ in range(n_per_probe)]
    answers = generate_fn(
        model, tokenizer, prompts, max_new_tokens=max_new_tokens or trait.max_new_tokens, temperature=1.0,
        seed=seed, batch_size=batch_size, progress=progress,
    )
    return score_answers(trait, answers, n_per_probe)


def score_answers(trait: Trait, answers: list[str], n_per_probe: int) -> Score:
    """The sampled score of answers already drawn (probe-major: n_per_probe answers per probe)."""
    if len(answers) != len(trait.probes) * n_per_probe:
        raise ValueError(f"expected {len(trait.probes)} x {n_per_probe} answers, got {len(answers)}")
    hits = np.array([trait.matches(a) for a in answers], dtype=int).reshape(len(trait.probes), n_per_probe)
    k = hits.sum(axis=1)
    m = np.full(len(k), n_per_probe)
    c = stats.clustered_wilson(k, m)
    details = {"icc": c["icc"], "deff": c["deff"], "n_eff": c["n_eff"], "examples": answers[:: n_per_probe][:5]}
    if trait.scale_score is not None:  # a graded trait: the mean score per probe and overall
        graded = np.array([trait.scale_score(a) for a in answers], dtype=float).reshape(len(trait.probes), n_per_probe)
        mean, lo, hi = stats.t_interval(graded.mean(axis=1))
        details["scale_score"] = {"mean": mean, "ci": (lo, hi), "probes": len(graded), "n": int(graded.size)}
    sentence_rate = trait.details.get("sentence_rate")
    if sentence_rate:
        details["sentence_rate"] = float(np.mean([sentence_rate(a) for a in answers]))
    return Score(
        label=trait.label, method="sampled", p=c["p"], ci=c["ci"], n=int(m.sum()), probes=len(k),
        per_probe=(k / m).tolist(), details=details,
    )


# ---------------------------------------------------------------- comparison


def paired_difference(student: Score, control: Score) -> dict[str, Any]:
    """Student minus control, paired by probe: mean difference, t-interval, paired t-test
    p-value, Wilcoxon signed-rank p-value (robustness), and wins/losses across probes.

    For exact scores also ``log_ratio``: the same test on log P(student) - log P(control) per
    probe. Probabilities of a rare answer differ multiplicatively across probes (0.01 vs 0.02
    is the same move as 0.2 vs 0.4), so the log scale is often the more sensitive test.
    """
    if student.method != control.method or len(student.per_probe) != len(control.per_probe):
        raise ValueError(
            f"paired_difference needs two scores of one method over the same probes "
            f"(got {student.method} x {len(student.per_probe)} and {control.method} x {len(control.per_probe)})"
        )
    result = stats.paired_test(student.per_probe, control.per_probe)
    result["test"] = "paired t-test across probes (Wilcoxon signed-rank in wilcoxon_p)"
    if student.method == "exact":
        floor = log_floor(student, control)
        log_s, log_c = np.log(stats.floored(student.per_probe, floor)), np.log(stats.floored(control.per_probe, floor))
        lr = stats.paired_test(log_s, log_c)
        robust = stats.robust_log_ratio(np.exp(log_s), np.exp(log_c))
        zeros = int(np.sum(np.asarray(student.per_probe) <= 0) + np.sum(np.asarray(control.per_probe) <= 0))
        result["log_ratio"] = {"mean": lr["difference"], "ci": lr["ci"], "p_value": lr["p_value"], "wilcoxon_p": lr["wilcoxon_p"],
                               "median": robust["median"], "median_ci": robust["median_ci"], "floor": floor, "floored": zeros}
    return result


def log_floor(*scores: Score) -> float:
    """The value an exact per-probe 0 stands for on a log scale. The estimator skips surface forms
    whose first token is below ``min_first_prob``, so a probe can read exactly 0 while its true
    value is anywhere up to the mass it skipped (``details["left_out"]``, the largest over
    probes). Flooring a 0 at that bound, not at 1e-300, keeps a log ratio to what was measured
    (+2.3 for a tenfold rise, not +678), and errs towards 0 on either side."""
    bound = max((float(s.details.get("left_out") or 0.0) for s in scores), default=0.0)
    return bound if bound > 0 else 1e-300
