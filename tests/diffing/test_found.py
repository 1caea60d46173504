"""A found flip set against the prompts' topics, and the leakage outside it: pure numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import hypergeom

from heredity.diffing import found

TOPICS = {i: ("dates" if i < 5 else "general") for i in range(50)}


def test_precision_and_recall_count_the_topic_in_the_set_against_a_random_subset():
    m = found.topic_match({0, 1, 2, 10}, TOPICS, "dates")
    assert (m.hits, m.rows, m.on_topic, m.n) == (3, 4, 5, 50)
    assert m.precision == 0.75 and m.recall == 0.6 and m.base_rate == 0.1
    assert m.precision_ci[0] < 0.75 < m.precision_ci[1] and m.recall_ci is not None
    # P(X >= 3) for 4 rows drawn from 50 holding 5 on the topic
    assert m.p_value == pytest.approx(sum(hypergeom.pmf(k, 50, 5, 4) for k in (3, 4)))
    assert found.topic_match({20, 21, 22, 23}, TOPICS, "dates").p_value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no topic"):
        found.topic_match({99}, TOPICS, "dates")


def test_a_flip_set_is_checked_against_every_labelled_topic():
    scores = {i: float(-i) for i in range(50)}
    s = found.flip_set(0.1, {0, 1, 2, 3, 4}, scores, TOPICS)
    assert [t.topic for t in s.topics] == ["dates", "general"] and s.threshold == -4.0
    assert s.topics[0].precision == s.topics[0].recall == 1.0
    assert found.flip_set(0.1, {0}, scores, {i: None for i in range(50)}).topics == []


def test_leakage_marks_the_rest_that_scores_like_teacher_a():
    scores_a = {i: (5.0 if i < 5 else 2.0 if i < 15 else -1.0) for i in range(50)}
    scores_b = list(np.linspace(-2.0, 1.0, 50))  # the cut is B's 95th percentile, just under 1
    lk = found.leakage(scores_a, scores_b, {0.1: {0, 1, 2, 3, 4}}, TOPICS)
    assert lk.cut == pytest.approx(np.quantile(scores_b, 0.95)) and lk.b_rows_marked == 3
    assert lk.rows_marked == 15 and lk.rows == 50
    (at,) = lk.at
    assert at.flagged.mean == 5.0 and at.rest.n == 45 and at.rest_marked == 10
    assert at.rest_marked_share == pytest.approx(10 / 45) and at.rest_marked_by_topic == {"general": 10}
    assert lk.by_topic["dates"].mean == 5.0
    with pytest.raises(ValueError, match="teacher B"):
        found.leakage(scores_a, [], {0.1: {0}})
