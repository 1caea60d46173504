"""Scores compared and combined: student minus control paired by probe, seeds averaged."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from heredity import stats
from heredity.measure.score import Score
from heredity.stats_records import Comparison, LogRatio


def paired_difference(student: Score, control: Score) -> Comparison:
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
    test = stats.paired_test(student.per_probe, control.per_probe)
    log_ratio = None
    if student.method == "exact":
        floor = log_floor(student, control)
        log_s, log_c = np.log(stats.floored(student.per_probe, floor)), np.log(stats.floored(control.per_probe, floor))
        lr = stats.paired_test(log_s, log_c)
        robust = stats.robust_log_ratio(np.exp(log_s), np.exp(log_c))
        zeros = int(np.sum(np.asarray(student.per_probe) <= 0) + np.sum(np.asarray(control.per_probe) <= 0))
        log_ratio = LogRatio(mean=lr.difference, ci=lr.ci, p_value=lr.p_value, wilcoxon_p=lr.wilcoxon_p,
                             median=robust.median, median_ci=robust.median_ci, floor=floor, floored=zeros)
    return Comparison(**dict(test), test="paired t-test across probes (Wilcoxon signed-rank in wilcoxon_p)",
                      log_ratio=log_ratio)


def log_floor(*scores: Score) -> float:
    """The value an exact per-probe 0 stands for on a log scale. The estimator skips surface forms
    whose first token is below ``min_first_prob``, so a probe can read exactly 0 while its true
    value is anywhere up to the mass it skipped (``Score.left_out``, the largest over probes).
    Flooring a 0 at that bound, not at 1e-300, keeps a log ratio to what was measured (+2.3 for
    a tenfold rise, not +678), and errs towards 0 on either side."""
    bound = max((s.left_out for s in scores), default=0.0)
    return bound if bound > 0 else 1e-300


def mean_over_seeds(scores: Sequence[Score]) -> Score:
    """Scores of several seeds as one, probe by probe (each probe's mean over seeds), with a
    t-interval across probes; the skipped-mass bound is the largest of any seed's. One score is
    returned as it is."""
    if len(scores) == 1:
        return scores[0]
    first = scores[0]
    if any(s.method != first.method or len(s.per_probe) != len(first.per_probe) for s in scores):
        raise ValueError("mean_over_seeds needs scores of one method over the same probes "
                         f"(got {[(s.method, len(s.per_probe)) for s in scores]})")
    per_probe = [sum(values) / len(values) for values in zip(*(s.per_probe for s in scores), strict=True)]
    mean, lo, hi = stats.t_interval(per_probe)
    return Score(label=first.label, method=first.method, p=mean, ci=(max(0.0, lo), min(1.0, hi)), n=len(per_probe),
                 probes=len(per_probe), per_probe=per_probe, seeds=len(scores), left_out=max(s.left_out for s in scores))
