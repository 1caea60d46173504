"""Trait estimators and their scores: each a ``Score`` with an interval. A plug-in package like
``heredity.traits``: every module is imported, so an estimator is one file that registers itself
in ``ESTIMATORS`` (``heredity.measure.base``).

- ``exact`` (``exact.py``, its fast path ``tree.py``, the plain reference ``reference.py``): the
  teacher-forced probability of the trait's target answer.
- ``sampled`` (``sampled.py``): n answers per probe, a Wilson interval clustered by probe.
- ``paired_difference`` (``compare.py``): student minus control, paired by probe, a
  ``Comparison``; ``log_floor``; ``mean_over_seeds``.
- ``gated_score`` (``gated.py``): a trait with and without a ``Trigger`` on the same probes, and
  the gate paired by probe, a ``GatedScore`` (the scores step's ``trigger``).
"""

from heredity.measure.base import ESTIMATORS, Estimator
from heredity.measure.boundary import boundary_mask
from heredity.measure.compare import log_floor, mean_over_seeds, paired_difference
from heredity.measure.exact import exact_score
from heredity.measure.reference import candidate_logprobs, exact_score_reference
from heredity.measure.sampled import sampled_score, score_answers
from heredity.measure.score import GradedScore, Score
from heredity.registry import import_plugins

import_plugins(__name__, __path__, skip=("base", "tree"))  # tree.py registers nothing and imports torch

__all__ = [
    "ESTIMATORS", "Estimator", "GradedScore", "Score", "boundary_mask", "candidate_logprobs", "exact_score",
    "exact_score_reference", "log_floor", "mean_over_seeds", "paired_difference", "sampled_score", "score_answers",
]
