"""The extension point for trait estimators, registered by name: ``ScoresRecipe.estimator`` picks one.

An estimator is ``(model, tokenizer, trait, settings, system) -> Score``; ``settings`` is the
scores step's recipe (``samples_per_probe``, ``seed``, ``batch_size``). A new one is one file in
``heredity/measure/`` that registers a function (every module of the package is imported)::

    from heredity.measure.base import ESTIMATORS

    @ESTIMATORS.register("greedy")
    def greedy(model, tokenizer, trait, settings, system=None):
        answers = generate(model, tokenizer, trait.rendered_probes(tokenizer, system), temperature=0, ...)
        return score_answers(trait, answers, 1)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heredity.measure.score import Score
from heredity.registry import Registry
from heredity.traits.base import Trait

Estimator = Callable[[Any, Any, Trait, Any, "str | None"], Score]
ESTIMATORS: Registry[Estimator] = Registry("estimator")
