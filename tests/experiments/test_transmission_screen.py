"""The transmission screen arm through the real CLI on the tiny model: one arm's trait-student
data screened, its top rows dropped and a student retrained, beside a random-drop comparator."""

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


def run(root: Path, experiment: dict, tmp_path: Path, capsys) -> tuple[int, str, str]:
    path = tmp_path / f"{experiment['name']}.yaml"
    path.write_text(yaml.safe_dump(experiment))
    status = main(["--store", str(root), "run", "-q", str(path)])
    out, err = capsys.readouterr()
    return status, out, err


def experiment(base: str, **overrides) -> dict:
    return {
        "kind": "transmission", "name": "screened", "base": {"source": base},
        "trait": {"kind": "animal", "animal": "owl", "n_probes": 4},
        "task": {"kind": "general", "max_new_tokens": 8}, "prompts": 8, "generation": {"batch_size": 8},
        "filters": {"unfiltered": []},
        "student": {"train": {"mode": "sft", "epochs": 1, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256}},
        "screen": {"arm": "unfiltered", "drop": 2, "by": "llr_mean"},
        **overrides,
    }


def ids(store: Store, aid: str) -> set[int]:
    return {r["i"] for r in read_rows(store.path(aid) / "rows.jsonl")}


def test_screen_arm_drops_the_top_rows_against_a_random_drop(tiny_lm, tmp_path, capsys):
    lm_store, tiny = tiny_lm
    root = tmp_path / "store"
    spec = experiment(str(lm_store.path(tiny)))
    status, out, err = run(root, spec, tmp_path, capsys)
    assert status == 0, err
    report = Path(out.strip().splitlines()[-1])
    results = json.loads((report / "results.json").read_text())
    assert results["schema_version"] == TransmissionResults.model_fields["schema_version"].default
    sc, arm = results["screen"], results["arms"]["unfiltered"]
    assert (sc["arm"], sc["by"], sc["rows"], sc["dropped"]) == ("unfiltered", "llr_mean", 8, 2)
    store = Store(root)

    # The screen read the arm's trait-student dataset; the screened student's data lacks exactly
    # its two top-ranked rows, the random one two other rows, and both keep the other six.
    screened_rows = read_rows(store.path(sc["screen"]) / "rows.jsonl")
    assert {p.relation: p.id for p in store.parents(sc["screen"])}["data"] == arm["dataset"]["id"]
    top = sorted(r["i"] for r in screened_rows if r["rank"] <= 2)
    everything = ids(store, arm["dataset"]["id"])
    assert len(everything) == 8 and sc["screened"]["rows"] == top
    for how in ("screened", "random"):
        part = sc[how]
        assert part["dataset"]["rows_out"] == 6 and len(part["rows"]) == 2
        assert ids(store, part["dataset"]["id"]) == everything - set(part["rows"])
        by_i = {r["i"]: r["llr_mean"] for r in screened_rows}
        assert part["mean_score"] == pytest.approx(np.mean([by_i[i] for i in part["rows"]]))
    assert set(sc["random"]["rows"]) != set(top)
    assert sc["mean_score"] == pytest.approx(np.mean([r["llr_mean"] for r in screened_rows]))
    assert sc["screened"]["mean_score"] >= max(sc["random"]["mean_score"], sc["mean_score"])

    # Lineage: each reduced dataset is filtered from rollouts generated from the arm's dataset;
    # the screened one is also selected by the screen, the random one by nothing.
    for how, selected in (("screened", [sc["screen"]]), ("random", [])):
        (rollouts,) = [p.id for p in store.parents(sc[how]["dataset"]["id"]) if p.relation == "filtered-from"]
        parents = store.parents(rollouts)
        assert [p.id for p in parents if p.relation == "generated-from"] == [arm["dataset"]["id"]]
        assert [p.id for p in parents if p.relation == "selected-by"] == selected
        student = store.manifest(sc[how]["student"]["scores"][0]).parents[0].id
        assert {p.id for p in store.parents(student) if p.relation == "trained-on"} == {sc[how]["dataset"]["id"]}

    # The numbers are the paired tests of the per-probe scores they report.
    control = np.array(arm["control"]["per_probe"])
    screened, randomly = (np.array(sc[h]["student"]["per_probe"]) for h in ("screened", "random"))
    assert sc["screened"]["inheritance"]["difference"] == pytest.approx(float(np.mean(screened - control)))
    assert sc["random"]["inheritance"]["difference"] == pytest.approx(float(np.mean(randomly - control)))
    assert sc["difference"]["difference"] == pytest.approx(float(np.mean(screened - randomly)))
    assert sc["difference"]["n"] == 4

    # ... and the report shows them.
    md, summary = (report / "report.md").read_text(), (report / "summary.txt").read_text()
    assert "## Screen arm" in md and sc["screen"] in md and "| top 2 by llr_mean | 6/8 |" in md
    from heredity.report.tables import fmt_num

    assert f"Screened − random drop: {fmt_num(sc['difference']['difference'])}" in md
    assert "screen arm unfiltered: dropped 2/8 rows by llr_mean" in summary
    assert f"  screened − random  {fmt_num(sc['difference']['difference'])}" in summary
    assert max(len(line) for line in summary.splitlines()) <= 80
    assert "Screen arm" in (report / "report.html").read_text()

    # A rerun is all cache hits; a fraction that comes to the same two rows reuses every step
    # but the report; a drop that leaves nothing is refused by name once the rows are known.
    count = len(store.ids())
    status, out, _ = run(root, spec, tmp_path, capsys)
    assert status == 0 and Path(out.strip().splitlines()[-1]) == report and len(store.ids()) == count
    status, out, _ = run(root, experiment(str(lm_store.path(tiny)), screen={"arm": "unfiltered", "drop": 0.25}), tmp_path, capsys)
    assert status == 0 and len(store.ids()) == count + 1
    status, _, err = run(root, experiment(str(lm_store.path(tiny)), screen={"arm": "unfiltered", "drop": 8}), tmp_path, capsys)
    assert status == 2 and "screen.drop: 8 drops 8 of the 8 rows of arm 'unfiltered'" in err and "from 1 to 7" in err


@pytest.mark.parametrize("override, message", [
    ({"screen": {"arm": "nope", "drop": 2}}, "screen.arm: 'nope' is not an arm of this file; accepted: one of 'unfiltered'"),
    ({"screen": {"arm": "unfiltered", "drop": 0}}, "screen.drop: a row count must be 1 or more"),
    ({"screen": {"arm": "unfiltered", "drop": 1.0}}, "screen.drop: a fraction must be in (0, 1)"),
    ({"screen": {"arm": "unfiltered", "drop": 2, "by": "vibes"}}, "screen.by"),
    ({"control_trait": {"kind": "animal", "animal": "dog"},
      "student": {"train": {"mode": "distill"}}}, "screen: student.train.mode is 'distill'"),
])
def test_bad_screen_settings_are_config_errors(override, message, tmp_path, capsys):
    status, _, err = run(tmp_path / "store", experiment("unused-model-folder", **override), tmp_path, capsys)
    assert status == 2 and message in " ".join(err.split())
