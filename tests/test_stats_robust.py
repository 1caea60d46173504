"""Robust log-ratio summary and style fidelity (heredity.stats), against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heredity.stats import fidelity, robust_log_ratio, trimmed_mean


def test_median_resists_probes_where_the_control_is_astronomically_small():
    # 9 probes: the student is 23x the control; 1 probe: the control's probability is 1e-300.
    control = [1e-4] * 9 + [1e-300]
    student = [23e-4] * 9 + [1e-3]
    r = robust_log_ratio(student, control)
    assert r.median == pytest.approx(math.log(23))
    assert r.ratio_median == pytest.approx(23)
    mean = float(np.mean(np.log(student) - np.log(control)))
    assert mean > 60  # the plain mean is what the report printed: dominated by one probe
    assert r.trimmed_mean == pytest.approx(math.log(23))  # 10% of 10 probes: the outlier is trimmed
    lo, hi = r.median_ci
    assert lo == pytest.approx(math.log(23)) and hi == pytest.approx(math.log(23))  # 9 of 10 probes agree
    assert r.n == 10 and "median" in r.method and "trimmed" in r.method


def test_trimmed_mean_drops_both_tails():
    assert trimmed_mean([-100, 1, 2, 3, 4, 5, 6, 7, 8, 100], 0.1) == pytest.approx(4.5)
    assert trimmed_mean([1, 2, 3], 0.1) == pytest.approx(2.0)  # floor(0.3) = 0 trimmed


def test_robust_log_ratio_rejects_bad_input():
    with pytest.raises(ValueError, match="same, non-zero length"):
        robust_log_ratio([0.1], [0.1, 0.2])
    with pytest.raises(ValueError, match="above 0"):
        robust_log_ratio([0.0, 0.1], [0.1, 0.2])


def test_fidelity_ratio_and_delta_interval_by_hand():
    teacher = [0.9, 0.8, 1.0, 0.9]
    student = [0.4, 0.3, 0.5, 0.4]
    f = fidelity(student, teacher)
    r = 0.4 / 0.9
    assert f.fidelity == pytest.approx(r)
    s, t = np.array(student), np.array(teacher)
    c = np.cov(s, t, ddof=1)
    se = math.sqrt((c[0, 0] + r**2 * c[1, 1] - 2 * r * c[0, 1]) / (4 * 0.9**2))
    assert f.ci[0] == pytest.approx(r - 1.959964 * se, rel=1e-5)
    assert f.ci[1] == pytest.approx(r + 1.959964 * se, rel=1e-5)
    assert f.n == 4


def test_fidelity_interval_covers_the_true_ratio_about_95_percent():
    rng = np.random.default_rng(0)
    covered, trials = 0, 400
    for _ in range(trials):
        t = np.clip(rng.normal(0.9, 0.05, 40), 0, 1)
        s = np.clip(0.42 * t + rng.normal(0, 0.1, 40), 0, 1)
        lo, hi = fidelity(s, t).ci
        covered += lo <= 0.42 <= hi
    assert 0.90 <= covered / trials <= 0.99


def test_fidelity_needs_a_teacher_that_shows_the_marker():
    with pytest.raises(ValueError, match="teacher rate above 0"):
        fidelity([0.1, 0.2], [0.0, 0.0])
