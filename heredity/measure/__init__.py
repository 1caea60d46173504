"""Trait estimators' model work and scores: each a ``Score`` with an interval.

- ``exact_score`` (``measure/exact.py``, fast path in ``measure/tree.py``, plain reference in
  ``measure/reference.py``): the teacher-forced probability of the trait's target answer.
- ``sampled_score`` (``measure/sampled.py``): n answers per probe, a Wilson interval clustered
  by probe.
- ``paired_difference`` (``measure/compare.py``): student minus control, paired by probe, a
  ``Comparison``; ``log_floor``; ``mean_over_seeds``.

The estimators a recipe names are registered in ``heredity.estimators``.
"""

from heredity.measure.boundary import boundary_mask
from heredity.measure.compare import log_floor, mean_over_seeds, paired_difference
from heredity.measure.exact import exact_score
from heredity.measure.reference import candidate_logprobs, exact_score_reference
from heredity.measure.sampled import sampled_score, score_answers
from heredity.measure.score import GradedScore, Score

__all__ = [
    "GradedScore", "Score", "boundary_mask", "candidate_logprobs", "exact_score", "exact_score_reference", "log_floor",
    "mean_over_seeds", "paired_difference", "sampled_score", "score_answers",
]
