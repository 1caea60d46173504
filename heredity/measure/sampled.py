"""The sampled estimator: n answers per probe at temperature 1, scored by ``trait.matches``; the
rate with a Wilson interval clustered by probe (``heredity.stats.clustered_wilson``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from heredity import stats
from heredity.measure.base import ESTIMATORS
from heredity.measure.score import GradedScore, Score
from heredity.traits.base import Trait


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
        from heredity.models.generate import generate

        generate_fn = generate
    prompts = [p for p in trait.rendered_probes(tokenizer, system) for _ in range(n_per_probe)]
    answers = generate_fn(
        model, tokenizer, prompts, max_new_tokens=max_new_tokens or trait.max_new_tokens, temperature=1.0,
        seed=seed, batch_size=batch_size, progress=progress,
    )
    return score_answers(trait, answers, n_per_probe)


@ESTIMATORS.register("sampled")
def sampled(model, tokenizer, trait: Trait, settings, system: str | None = None) -> Score:
    """Sampled answers scored by the trait, a Wilson interval clustered by probe."""
    return sampled_score(model, tokenizer, trait, settings.samples_per_probe, settings.seed, system=system)


def score_answers(trait: Trait, answers: list[str], n_per_probe: int) -> Score:
    """The sampled score of answers already drawn (probe-major: n_per_probe answers per probe)."""
    if len(answers) != len(trait.probes) * n_per_probe:
        raise ValueError(f"expected {len(trait.probes)} x {n_per_probe} answers, got {len(answers)}")
    hits = np.array([trait.matches(a) for a in answers], dtype=int).reshape(len(trait.probes), n_per_probe)
    k = hits.sum(axis=1)
    m = np.full(len(k), n_per_probe)
    rate = stats.clustered_wilson(k, m)
    graded = None
    if trait.scale_score is not None:  # a graded trait: the mean score per probe and overall
        grades = np.array([trait.scale_score(a) for a in answers], dtype=float).reshape(len(trait.probes), n_per_probe)
        mean, lo, hi = stats.t_interval(grades.mean(axis=1))
        graded = GradedScore(mean=mean, ci=(lo, hi), probes=len(grades), n=int(grades.size))
    sentence_rate = trait.details.get("sentence_rate")
    return Score(
        label=trait.label, method="sampled", p=rate.p, ci=rate.ci, n=int(m.sum()), probes=len(k),
        per_probe=(k / m).tolist(), icc=rate.icc, deff=rate.deff, n_eff=rate.n_eff,
        examples=answers[::n_per_probe][:5], scale_score=graded,
        sentence_rate=float(np.mean([sentence_rate(a) for a in answers])) if sentence_rate else None,
    )
