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


def test_inspect_eval_runs_a_trait_task_end_to_end_on_a_local_model(tiny_lm, tmp_path):
    # The documented command, through inspect's own CLI and our entry point, on a model folder
    # from the store with inspect's hf provider (offline; mockllm is not: it fetches a tiktoken
    # vocabulary to count tokens).
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    store, model_id = tiny_lm
    inspect_cli = Path(sys.executable).with_name("inspect")
    assert inspect_cli.exists() or shutil.which("inspect"), "inspect_ai's CLI is installed with the extra"
    done = subprocess.run([str(inspect_cli), "eval", "heredity/animal", "--model", f"hf/{store.path(model_id)}",
                           "-T", "animal=owl", "-M", "device=cpu", "--limit", "4", "--max-tokens", "8",
                           "--log-dir", str(tmp_path), "--log-format", "json", "--display", "none"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (log_path,) = tmp_path.glob("*.json")
    log = read_eval_log(str(log_path))
    assert log.status == "success", log.error
    assert log.eval.task.split("/")[-1] == "animal" and log.eval.task_args.get("animal") == "owl"
    trait = TRAITS.parse({"kind": "animal", "animal": "owl"}).build()
    assert [s.input for s in log.samples] == trait.probes[:4]
    for sample in log.samples:  # each score is the trait's own verdict on the answer inspect generated
        verdict = "C" if trait.matches(sample.output.completion) else "I"
        assert sample.scores["trait_match"].value == verdict
    assert log.results.scores[0].metrics["accuracy"].value == sum(
        s.scores["trait_match"].value == "C" for s in log.samples) / 4
