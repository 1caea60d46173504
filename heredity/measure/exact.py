"""The exact estimator: the teacher-forced probability of the trait's target answer per probe.

For each probe, the probability that the assistant's reply starts with each candidate answer,
read off one forward pass of the prompt (its head shared by all probes is computed once) plus
one tree-masked pass over a token trie of the candidates' few tokens (``heredity.measure.tree``;
``heredity.measure.reference`` is the plain computation). A surface form that ends in a letter or
digit must be followed by a word boundary (a token that starts with anything else, or a special
token), so "Owl" does not also count "Owlet", and "Owl" / "Owls" are disjoint events that can be
summed. The per-probe value is the target's mass (normalised over candidates when the trait says
so); the score is the mean over probes with a t-interval across probes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from heredity import stats
from heredity.errors import ConfigError
from heredity.measure.base import ESTIMATORS
from heredity.measure.score import Score
from heredity.traits.base import Trait

if TYPE_CHECKING:
    import torch

Sequences = list[tuple[str, list[int], bool]]
# run(model, prompts, sequences) yields (log P per sequence, left-out bound) per probe, in order
Runner = Callable[[object, list[str], Sequences], Iterable[tuple["torch.Tensor", float]]]


def candidate_sequences(tokenizer, trait: Trait) -> Sequences:
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


def exact_score(
    model, tokenizer, trait: Trait, system: str | None = None, batch_size: int = 64, progress=None,
    min_first_prob: float = 1e-6,
) -> Score:
    """Teacher-forced probability of the trait's target answer, averaged over probes.

    ``system``: the system prompt (None: the model's default; a teacher passes its inducer).
    ``progress``: optional ``advance(n)`` callback, called once per probe.
    ``min_first_prob``: surface forms whose first token is less likely than this are skipped
    (most of the 240 animal forms: a 10x speed-up); ``Score.left_out`` is the largest
    per-probe bound on the skipped mass. 0 scores every form.
    ``batch_size``: prompts per forward (bounds memory; not the result).

    The model work is ``heredity.measure.tree`` (shared prompt head once, a token trie of the
    forms in one tree-masked forward per probe); ``heredity.measure.reference.exact_score_reference``
    is the plain computation it is tested against.
    """
    import torch

    from heredity.measure.tree import candidate_logprobs_many

    def run(model, prompts, sequences):
        return candidate_logprobs_many(model, tokenizer, prompts, sequences, batch_size=batch_size, min_first_prob=min_first_prob)

    with torch.inference_mode():
        return score_exact(model, tokenizer, trait, system, progress, run)


@ESTIMATORS.register("exact")
def exact(model, tokenizer, trait: Trait, settings, system: str | None = None) -> Score:
    """Teacher-forced probability of the trait's closed answer set (no sampling noise)."""
    return exact_score(model, tokenizer, trait, system=system, batch_size=settings.batch_size)


def score_exact(model, tokenizer, trait: Trait, system, progress, run: Runner) -> Score:
    """The exact score from ``run(model, prompts, sequences)``, which yields (log P per
    sequence, left-out bound) for each probe in order."""
    import torch

    if not trait.candidates:
        raise ConfigError(f"trait {trait.name} has no closed answer set, so the exact estimator cannot read it: "
                          "use estimator: sampled (a judge scores the answers)")
    sequences = candidate_sequences(tokenizer, trait)
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
        coverage=float(np.mean(coverage)), left_out=left_out, distribution=dict(top) if trait.normalise else {},
    )
