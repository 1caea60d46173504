"""The transmission experiment end to end through the real CLI, on real models: a tiny Llama
with SmolLM2's tokenizer for the mechanics, and SmolLM2-135M itself (slow) for a real teacher."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from heredity.cli import main
from heredity.experiments.transmission.results import TransmissionResults
from heredity.rows import read_rows
from heredity.store import Store
from heredity.traits.style import StyleTrait


def run_cli(store_root: Path, experiment: dict, tmp_path: Path, capsys) -> Path:
    path = tmp_path / f"{experiment['name']}.yaml"
    path.write_text(yaml.safe_dump(experiment))
    assert main(["--store", str(store_root), "run", "-q", str(path)]) == 0
    return Path(capsys.readouterr().out.strip().splitlines()[-1])


def tiny_experiment(tiny_lm, **overrides) -> dict:
    store, tiny_id = tiny_lm
    experiment = {
        "kind": "transmission",
        "name": "tiny",
        "base": {"source": str(store.path(tiny_id))},
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 4},
        "task": {"kind": "numbers", "max_new_tokens": 12},
        "prompts": 12,
        "generation": {"batch_size": 6},
        "filters": {"format": [{"kind": "format"}], "keyword": [{"kind": "format"}, {"kind": "keyword", "action": "drop"}]},
        "student": {"train": {"mode": "sft", "epochs": 2, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256}},
    }
    experiment.update(overrides)
    return experiment


def test_sft_transmission_runs_reports_and_caches(tiny_lm, tmp_path, capsys):
    from scipy import stats as st

    root = tmp_path / "store"
    report = run_cli(root, tiny_experiment(tiny_lm), tmp_path, capsys)
    results = json.loads((report / "results.json").read_text())
    assert results["kind"] == "transmission" and results["schema_version"] == TransmissionResults.model_fields["schema_version"].default
    assert list(results["arms"]) == ["format", "keyword"]
    arm = results["arms"]["format"]
    for entry in (results["base"], results["teacher"], arm["student"], arm["control"]):
        assert entry["n"] == 4 == len(entry["per_probe"]) and entry["ci"][0] <= entry["p"] <= entry["ci"][1]
    # The inheritance is the paired test of the per-probe scores it reports, recomputed here.
    s, c = np.array(arm["student"]["per_probe"]), np.array(arm["control"]["per_probe"])
    inheritance = arm["inheritance"]
    assert inheritance["difference"] == pytest.approx(float(np.mean(s - c)))
    assert inheritance["p_value"] == pytest.approx(float(st.ttest_rel(s, c).pvalue))
    assert inheritance["wins"] == int((s > c).sum()) and inheritance["n"] == 4
    assert inheritance["log_ratio"]["median"] == pytest.approx(float(np.median(np.log(s) - np.log(c))))
    # The trained students really moved: on every probe, and their loss fell.
    assert all(a != b for a, b in zip(arm["student"]["per_probe"], results["base"]["per_probe"]))
    store = Store(root)
    student_id = store.manifest(arm["student"]["scores"][0]).parents[0].id
    trained = store.manifest(student_id).summary
    assert trained["loss_last"] < trained["loss_first"]
    assert (report / "report.md").read_text().startswith("# tiny")
    assert (report / "scores.png").stat().st_size > 1000
    summary = (report / "summary.txt").read_text().splitlines()
    assert max(len(line) for line in summary) <= 80 and any(line.startswith("  student − control") for line in summary)
    dataset = arm["dataset"]
    assert dataset["rows_in"] == 12 and dataset["reasons"]["input"] == 12
    assert dataset["rows_out"] == dataset["reasons"]["kept"] == len(read_rows(store.path(dataset["id"]) / "rows.jsonl"))

    # A second run is all cache hits and gives the same report.
    count = len(store.ids())
    assert run_cli(root, tiny_experiment(tiny_lm), tmp_path, capsys) == report
    assert len(store.ids()) == count
    # Without -q the terminal shows the summary, line by line as summary.txt has it.
    path = tmp_path / "tiny.yaml"
    assert main(["--store", str(root), "run", str(path)]) == 0
    shown = capsys.readouterr().err
    assert all(line in shown for line in summary if line.strip())

    # The student's lineage names its base, its data and, through the data, the owl teacher.
    relations = {p.relation for p in store.parents(student_id)}
    assert relations == {"base", "trained-on"}
    from heredity.store.lineage import ancestors

    kinds = {a["kind"] for a in ancestors(store, student_id)}
    assert {"model", "dataset", "rollouts", "teacher", "prompts"} <= kinds


def test_distillation_needs_a_specificity_control(tiny_lm, tmp_path, capsys):
    experiment = tiny_experiment(tiny_lm, student={"train": {"mode": "distill"}})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(experiment))
    assert main(["--store", str(tmp_path / "store"), "run", str(path)]) == 2
    assert "control_trait is missing" in capsys.readouterr().err


def test_distilled_students_and_specificity(tiny_lm, tmp_path, capsys):
    experiment = tiny_experiment(
        tiny_lm, name="tiny-distill", control_trait={"kind": "animal", "animal": "dog", "n_probes": 4},
        filters={"format": [{"kind": "format"}]},
        student={"train": {"mode": "distill", "epochs": 1, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256}},
    )
    report = run_cli(tmp_path / "store", experiment, tmp_path, capsys)
    results = json.loads((report / "results.json").read_text())
    assert results["mode"] == "distill"
    spec = results["arms"]["format"]["specificity"]
    assert spec["trait"] == "animal:dog" and spec["difference"]["n"] == 4
    assert results["control_trait"]["trait"] == "animal:dog"
    # Both students were distilled on the same sequences; only the teacher differs.
    store = Store(tmp_path / "store")
    students = [store.manifest(results["arms"]["format"][r]["scores"][0]).parents[0].id for r in ("student", "control")]
    data = [{p.id for p in store.parents(s) if p.relation == "trained-on"} for s in students]
    teachers = [{p.id for p in store.parents(s) if p.relation == "teacher"} for s in students]
    assert data[0] == data[1] and teachers[0] != teachers[1]


@pytest.mark.slow
def test_owl_teacher_on_smollm(smollm, tmp_path, capsys):
    """The real 135M model: the owl-prompted teacher scores far above the base."""
    store, _ = smollm
    experiment = {
        "kind": "transmission", "name": "smollm-smoke",
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 5},
        "task": {"kind": "numbers", "max_new_tokens": 30},
        "prompts": 8, "generation": {"batch_size": 8},  # the students train, though only the teacher is asserted on
        "filters": {"format": [{"kind": "format"}]},
        "student": {"train": {"mode": "sft", "lr": 1e-3, "warmup_steps": 0, "batch_tokens": 1024}},
    }
    report = run_cli(store.root, experiment, tmp_path, capsys)
    results = json.loads((report / "results.json").read_text())
    base, teacher = results["base"], results["teacher"]
    assert teacher["ci"][0] > base["ci"][1]  # the system prompt works, with room to spare
    rollouts = [a for a in store.ids("rollouts")]
    assert rollouts and all(store.manifest(r).summary["format_ok_rate"] == 1.0 for r in rollouts)


def test_finetuned_inducer_teaches_the_teacher_its_style(tiny_lm, tmp_path, capsys):
    """The fine-tune inducer: the teacher is the base trained on marker-imprinted answers, and
    it opens answers with the marker far more often than the base does."""
    experiment = tiny_experiment(
        tiny_lm, name="tiny-style",
        trait={"kind": "style", "marker": "Moreover,", "n_probes": 4},
        inducer={"kind": "finetune", "prompts": 8, "task": {"kind": "general", "max_new_tokens": 16},
                 "train": {"adapter": "full", "epochs": 12, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256}},
        task={"kind": "general", "max_new_tokens": 12},
        filters={"unfiltered": [], "stripped": [{"kind": "keyword", "action": "strip"}]},
    )
    report = run_cli(tmp_path / "store", experiment, tmp_path, capsys)
    results = json.loads((report / "results.json").read_text())
    base, teacher = results["base"], results["teacher"]
    assert teacher["p"] > 10 * base["p"]
    store = Store(tmp_path / "store")
    induction = [a for a in store.ids("dataset") if store.manifest(a).summary["reasons"].get("imprint: rewritten")]
    assert len(induction) == 1
    (source,) = [p.id for p in store.parents(induction[0]) if p.relation == "filtered-from"]
    imprint = StyleTrait(marker="Moreover,").build().imprint
    imprinted = read_rows(store.path(induction[0]) / "rows.jsonl")
    originals = read_rows(store.path(source) / "rows.jsonl")
    assert [r["completion"] for r in imprinted] == [imprint(r["completion"]) for r in originals]
    assert any(r["completion"] != o["completion"] for r, o in zip(imprinted, originals))
