import math

import numpy as np
import pytest
from scipy import stats as sps

from heredity import stats


def test_t_interval_matches_textbook():
    x = [0.1, 0.2, 0.3, 0.4]
    mean, lo, hi = stats.t_interval(x)
    half = sps.t.ppf(0.975, 3) * np.std(x, ddof=1) / 2
    assert mean == pytest.approx(0.25)
    assert (lo, hi) == pytest.approx((0.25 - half, 0.25 + half))


def test_t_interval_of_one_value_is_unbounded():
    assert stats.t_interval([0.3])[1:] == (-math.inf, math.inf)


def test_icc_zero_when_probes_agree_and_one_when_they_split_perfectly():
    assert stats.icc_binary([5, 5, 5, 5], [10, 10, 10, 10]) == 0.0
    assert stats.icc_binary([10, 0, 10, 0], [10, 10, 10, 10]) == pytest.approx(1.0)


def test_clustered_wilson_reduces_to_wilson_without_clustering():
    from statsmodels.stats.proportion import proportion_confint

    c = stats.clustered_wilson([5, 5, 5, 5], [10, 10, 10, 10])
    assert c.deff == 1.0
    assert c.ci == pytest.approx(proportion_confint(20, 40, method="wilson"))


def test_clustered_wilson_widens_with_icc():
    same_rate = [5, 5, 5, 5, 5, 5]  # p = .5, no between-probe spread
    split = [10, 0, 9, 1, 10, 0]  # p = .5, probes disagree
    a = stats.clustered_wilson(same_rate, [10] * 6)
    b = stats.clustered_wilson(split, [10] * 6)
    assert a.p == b.p == 0.5
    assert b.icc > 0.5 and b.deff > 5
    assert (b.ci[1] - b.ci[0]) > 2 * (a.ci[1] - a.ci[0])


def test_clustered_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        stats.clustered_wilson([3], [2])


def test_paired_test_on_known_data():
    control = np.array([0.10, 0.20, 0.15, 0.30, 0.25, 0.05])
    shift = np.array([0.05, 0.07, 0.04, 0.06, 0.05, 0.06])
    r = stats.paired_test(control + shift, control)
    assert r.difference == pytest.approx(shift.mean())
    assert r.p_value == pytest.approx(sps.ttest_1samp(shift, 0).pvalue)
    assert r.p_value < 1e-4
    assert r.ci[0] < shift.mean() < r.ci[1] and r.ci[0] > 0
    assert r.wins == 6 and r.losses == 0 and 0 < r.wilcoxon_p < 0.05


def test_paired_test_with_no_difference():
    r = stats.paired_test([0.1, 0.2, 0.3], [0.1, 0.2, 0.3])
    assert r.difference == 0 and r.p_value == 1.0 and r.wilcoxon_p == 1.0


def test_paired_test_needs_equal_lengths():
    with pytest.raises(ValueError):
        stats.paired_test([0.1, 0.2], [0.1])
