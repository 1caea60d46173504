"""``Score`` (heredity.measure.score): typed diagnostics, and scores.json files written before them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from heredity.measure import GradedScore, Score

BASE = {"label": "P(owl)", "method": "exact", "p": 0.2, "ci": [0.1, 0.3], "n": 2, "probes": 2, "per_probe": [0.1, 0.3]}


def test_a_scores_json_with_a_details_dict_reads_into_the_typed_fields():
    old = Score.model_validate({**BASE, "details": {"coverage": 0.9, "left_out": 4e-7, "distribution": {"owl": 0.2, "cat": 0.8}}})
    assert old.coverage == 0.9 and old.left_out == 4e-7 and old.distribution == {"owl": 0.2, "cat": 0.8}
    sampled = Score.model_validate({**BASE, "method": "sampled", "details": {
        "icc": 0.1, "deff": 1.9, "n_eff": 21.0, "examples": ["Owl."],
        "scale_score": {"mean": 0.5, "ci": [0.4, 0.6], "probes": 2, "n": 40}}})
    assert sampled.scale_score == GradedScore(mean=0.5, ci=(0.4, 0.6), probes=2, n=40) and sampled.examples == ["Owl."]
    assert Score.model_validate(old.model_dump(mode="json")) == old  # what the scores step writes now reads back


def test_an_unknown_diagnostic_is_refused_by_name():
    with pytest.raises(ValidationError, match="left_outt"):
        Score.model_validate({**BASE, "details": {"left_outt": 1e-7}})
