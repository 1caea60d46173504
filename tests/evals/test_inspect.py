"""Traits as inspect_ai tasks, and heredity scores as inspect logs read back by inspect."""

from __future__ import annotations

import pytest

inspect_ai = pytest.importorskip("inspect_ai", reason="inspect_ai is the optional extra heredity[inspect]")

from inspect_ai._util.registry import registry_info  # noqa: E402
from inspect_ai.log import read_eval_log  # noqa: E402

from heredity.errors import ConfigError  # noqa: E402
from heredity.evals import inspect_tasks  # noqa: E402
from heredity.evals.inspect_log import export_inspect_log  # noqa: E402
from heredity.traits import TRAITS  # noqa: E402


def test_every_registered_trait_is_a_named_inspect_task():
    for kind in TRAITS.names():
        factory = getattr(inspect_tasks, kind)
        # "heredity/<kind>" once the package is installed with its entry point, "<kind>" otherwise
        assert registry_info(factory).name.split("/")[-1] == kind
        t = factory()
        probes = TRAITS.parse({"kind": kind}).build().probes
        assert [s.input for s in t.dataset] == probes and [s.id for s in t.dataset] == list(range(len(probes)))


def test_a_heredity_score_round_trips_through_an_inspect_log(tmp_path):
    score = {"label": "P(owl)", "method": "exact", "p": 0.412, "ci": [0.392, 0.432], "n": 3, "probes": 3,
             "per_probe": [0.41, 0.40, 0.426], "details": {"coverage": 0.99}}
    for name in ("score.eval", "score.json"):
        path = export_inspect_log(score, tmp_path / name, model="hf/student", probes=["a?", "b?", "c?"])
        log = read_eval_log(str(path))
        metrics = log.results.scores[0].metrics
        assert (metrics["mean"].value, metrics["ci_lower"].value, metrics["ci_upper"].value, metrics["n"].value) == (0.412, 0.392, 0.432, 3)
        assert [s.scores["heredity"].value for s in log.samples] == score["per_probe"]
        assert [s.input for s in log.samples] == ["a?", "b?", "c?"] and log.eval.model == "hf/student"
        assert log.eval.metadata["heredity"]["details"] == {"coverage": 0.99}


def test_bad_scores_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="missing per_probe"):
        export_inspect_log({"label": "x", "method": "exact", "p": 0.1, "ci": [0, 1], "n": 1}, tmp_path / "a.eval")
    with pytest.raises(ConfigError, match=r"\.eval or \.json"):
        export_inspect_log({"label": "x", "method": "exact", "p": 0.1, "ci": [0, 1], "n": 1, "per_probe": [0.1]}, tmp_path / "a.txt")
