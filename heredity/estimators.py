"""Trait estimators, registered by name: ``ScoresRecipe.estimator`` picks one.

An estimator is ``(model, tokenizer, trait, settings, system) -> Score``; ``settings`` is the
scores step's recipe (``samples_per_probe``, ``seed``, ``batch_size``). A new one is one file
that registers a function::

    from heredity.estimators import ESTIMATORS

    @ESTIMATORS.register("greedy")
    def greedy(model, tokenizer, trait, settings, system=None):
        answers = generate(model, tokenizer, [render(tokenizer, p, system) for p in trait.probes], temperature=0, ...)
        return score_answers(trait, answers, 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heredity.measure import Score, exact_score, sampled_score
from heredity.registry import Registry
from heredity.traits.base import Trait

Estimator = Callable[[Any, Any, Trait, Any, "str | None"], Score]
ESTIMATORS: Registry[Estimator] = Registry("estimator")


@ESTIMATORS.register("exact")
def exact(model, tokenizer, trait: Trait, settings, system: str | None = None) -> Score:
    """Teacher-forced probability of the trait's closed answer set (no sampling noise)."""
    return exact_score(model, tokenizer, trait, system=system, batch_size=settings.batch_size)


@ESTIMATORS.register("sampled")
def sampled(model, tokenizer, trait: Trait, settings, system: str | None = None) -> Score:
    """Sampled answers scored by the trait, a Wilson interval clustered by probe."""
    return sampled_score(model, tokenizer, trait, settings.samples_per_probe, settings.seed, system=system)
