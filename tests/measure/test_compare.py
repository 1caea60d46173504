"""Scores compared and combined (heredity.measure.compare): the paired difference, its log ratio
and floor, and seeds averaged probe by probe."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heredity.measure import Score, log_floor, mean_over_seeds, paired_difference


def _score(values, method="exact"):
    return Score(label="P(owl)", method=method, p=float(np.mean(values)), ci=(0.0, 1.0), n=len(values), probes=len(values), per_probe=list(values))


def test_paired_difference_on_known_data():
    control = np.array([0.01, 0.02, 0.015, 0.03, 0.012, 0.02])
    student = control * 2
    r = paired_difference(_score(student), _score(control))
    assert r.difference == pytest.approx(control.mean())
    assert r.p_value < 0.01 and r.wins == 6 and r.n == 6
    assert r.log_ratio.mean == pytest.approx(math.log(2))
    assert r.log_ratio.p_value == 0.0  # every probe doubled exactly: no spread at all
    assert "paired t-test" in r.test
    assert paired_difference(_score(student, "sampled"), _score(control, "sampled")).log_ratio is None


def test_log_ratio_floors_skipped_zeros_at_the_skipped_mass_not_at_1e_300():
    # The moreover-style control read exactly 0 on most probes (forms cut below the first-token
    # threshold, skipped mass <= 6e-7) and the report printed a log ratio of +350 for a ~10x rise.
    student = np.array([3e-5, 2e-5, 4e-5, 2.5e-5])
    control = np.array([0.0, 0.0, 3e-6, 2e-6])
    def with_bound(values, left_out):
        return _score(values).model_copy(update={"left_out": left_out})
    r = paired_difference(with_bound(student, 5e-7), with_bound(control, 6e-7))
    lr = r.log_ratio
    assert lr.floor == 6e-7 and lr.floored == 2
    expected = np.log(student) - np.log([6e-7, 6e-7, 3e-6, 2e-6])
    assert lr.mean == pytest.approx(expected.mean()) and lr.median == pytest.approx(np.median(expected))
    assert lr.mean < 4  # within tenfold-to-fiftyfold, not e^678
    # with no skipped mass recorded, a 0 is still guarded (and then says so: floor 1e-300)
    assert paired_difference(_score(student), _score(control)).log_ratio.floor == 1e-300


def test_paired_difference_needs_matching_scores():
    with pytest.raises(ValueError):
        paired_difference(_score([0.1, 0.2]), _score([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError):
        paired_difference(_score([0.1, 0.2]), _score([0.1, 0.2], "sampled"))




def test_mean_over_seeds_averages_probe_by_probe_and_keeps_the_skipped_mass():
    a = _score([0.0, 0.2, 0.4]).model_copy(update={"left_out": 3e-7})
    b = _score([0.2, 0.2, 0.0]).model_copy(update={"left_out": 8e-7})
    combined = mean_over_seeds([a, b])
    assert combined.per_probe == pytest.approx([0.1, 0.2, 0.2]) and combined.p == pytest.approx(0.5 / 3)
    assert combined.seeds == 2 and combined.n == combined.probes == 3
    # the floor of a later log ratio is the seeds' largest skipped mass, not 1e-300
    assert combined.left_out == 8e-7 and log_floor(combined) == 8e-7
    assert mean_over_seeds([a]) is a
    with pytest.raises(ValueError, match="one method over the same probes"):
        mean_over_seeds([a, _score([0.1, 0.2])])
