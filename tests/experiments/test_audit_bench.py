"""The audit benchmark end to end on tiny models: organisms bred through the transmission
steps, audited blind, scored against the truth the lineage holds."""

from __future__ import annotations

import json

import pytest
import yaml

from heredity.audit import models
from heredity.cli import main
from heredity.experiments.audit_bench.blind import LineageRead, blind
from heredity.steps.teacher import teacher_of
from heredity.store import Store

FAST_TRAIN = {"mode": "sft", "adapter": "full", "epochs": 4, "lr": 3e-3, "warmup_steps": 0, "batch_tokens": 64}
INDUCE = {**FAST_TRAIN, "epochs": 8}
METRICS = ("detection_auc", "false_positive_rate", "trait_accuracy", "parent_accuracy", "derived_precision", "derived_recall",
           "true_positive_rate", "lens_detection_auc", "lens_parent_accuracy")


def bench(tiny_lm, tiny_lm_other) -> dict:
    store, tiny = tiny_lm
    _, other = tiny_lm_other
    return {
        "kind": "audit-bench", "name": "tiny-bench",
        "base": {"source": str(store.path(tiny))},
        "traits": [{"kind": "style", "marker": "Moreover,"}],
        "inducer": {"kind": "finetune", "task": {"kind": "general", "max_new_tokens": 8}, "prompts": 16, "train": INDUCE},
        "channels": {"general-sft": {"task": {"kind": "general", "max_new_tokens": 8}, "prompts": 8,
                                     "generation": {"batch_size": 8}, "train": FAST_TRAIN}},
        "seeds": [0, 1],
        "decoys": [{"source": str(store.path(other))}],
        "audit": {"n_trait_probes": 6, "probes_per_source": 2, "top_quirks": 2, "n_boot": 200},
        "bootstrap": 200,
    }


@pytest.fixture(scope="module")
def bench_run(tiny_lm, tiny_lm_other, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    path = tmp / "bench.yaml"
    path.write_text(yaml.safe_dump(bench(tiny_lm, tiny_lm_other)))
    root = tmp / "store"
    assert main(["--store", str(root), "run", str(path)]) == 0
    store = Store(root)
    return store, root, path, store.path(store.ids("report")[-1])


@pytest.mark.slow
def test_bench_scores_the_auditor_against_the_lineage(bench_run):
    store, root, path, report = bench_run
    results = json.loads((report / "results.json").read_text())
    assert results["kind"] == "audit-bench" and results["schema_version"] == 2
    for name in METRICS:
        m = results["metrics"][name]
        assert set(m) >= {"value", "ci", "n"} and m["n"] > 0, name
        assert m["ci"][0] <= m["value"] <= m["ci"][1], name
    assert results["metrics"]["detection_auc"]["n"] == 4  # 2 planted + 2 negatives
    organisms = results["organisms"]
    assert [o["truth"]["planted"] for o in organisms] == [True, True, False, False]
    for o in organisms:
        # The truth comes from the lineage: the parent is the teacher the student's data was written by.
        recipe = teacher_of(store.manifest(o["truth"]["teacher"]))
        assert recipe is not None and (recipe.trait or "") == o["truth"]["trait"]
        assert len(o["candidates"]) >= 3 and o["truth"]["parent"] in {c["label"] for c in o["candidates"]}
        # The student was fine-tuned from the base: exactly the trait-free teacher's weights.
        assert len(o["truth"]["derived_from"]) == 1
    # Measured on these organisms: the true parent has the largest inheritance score (planted:
    # 0.5% of its shift, against < 1e-5 for the other candidates); no negative is flagged.
    assert results["metrics"]["parent_accuracy"]["value"] == 1.0
    assert results["metrics"]["false_positive_rate"]["value"] == 0.0
    assert results["metrics"]["derived_recall"]["value"] == 1.0
    md = (report / "report.md").read_text()
    assert "![ROC over organisms](roc.png)" in md and "planted \\ named" in md and (report / "roc.png").stat().st_size > 0
    # A rerun is a cache hit: the same report.
    assert main(["--store", str(root), "run", str(path)]) == 0
    assert store.ids("report") == [report.name]


def test_the_blind_audit_cannot_read_the_lineage(tiny_lm):
    store, tiny = tiny_lm
    with blind(), pytest.raises(LineageRead, match="never their lineage"):
        store.parents(tiny)
    with blind(), pytest.raises(LineageRead):
        models.resolve(store, tiny, "--teacher")
    assert store.parents(tiny) is not None and models.resolve(store, tiny, "--teacher").model_id == tiny  # restored after
