"""Mitigations as a level of a diffing file's filter factor: the cells whose filter level is B
learn from the mitigated rows (a data mitigation) or with the mitigated loss (divergence-mask),
the others from the teacher's own rows, so the attribution splits the gap between mitigated and
unmitigated like any other factor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from heredity.cli import main
from heredity.experiments import load_experiment
from heredity.experiments.plan import plan
from heredity.rows import ROWS_FILE, read_rows
from heredity.store import Store

OWL = {"kind": "animal", "animal": "owl"}


def pipeline(teacher: dict, mitigations: list | None = None, **more) -> dict:
    return {"prompts": {"task": {"kind": "general"}, "n": 16, "seed": 0}, "teacher": teacher, **more} | (
        {"mitigations": mitigations} if mitigations is not None else {})


def test_the_mitigated_filter_level_plans_its_rows_and_loss(tmp_path):
    """teacher × mitigation: the paraphrase step rewrites each teacher's own rollouts, and only the
    filter-B students train on them, with the divergence mask in their recipe."""
    owl = {"inducer": "system-prompt", "trait": OWL}
    experiment = {"kind": "diffing", "name": "mitigated", "a": pipeline(owl), "factors": ["teacher", "filter"],
                  "b": pipeline({"inducer": "none"}, [{"kind": "paraphrase"}, {"kind": "divergence-mask"}]), "traits": [OWL]}
    path = tmp_path / "mitigated.yaml"
    path.write_text(yaml.safe_dump(experiment))
    steps = plan(load_experiment(path), tmp_path / "store").steps
    by_id = {s.id: s for s in steps}
    rollouts = {s.id for s in steps if s.kind == "rollouts"}
    paraphrased = [s for s in steps if s.kind == "paraphrase"]
    assert len(rollouts) == 2 and len(paraphrased) == 2, [(s.kind, s.name) for s in steps]  # one per teacher, made once
    assert {p for s in paraphrased for rel, p in s.parents if rel == "generated-from"} == rollouts
    students = [s for s in steps if s.kind == "model" and s.name.endswith(" s0")]
    assert len(students) == 4
    for s in students:
        data = by_id[next(p for rel, p in s.parents if by_id.get(p) is not None and by_id[p].kind == "dataset")]
        source = by_id[next(p for _, p in data.parents if p in by_id)]
        mitigated = "filter=B" in s.name
        assert (source.kind == "paraphrase") == mitigated, (s.name, source.kind)
        assert (s.recipe.get("loss") or {}).get("kind") == ("divergence-mask" if mitigated else None), s.recipe


TASK = {"kind": "general", "max_new_tokens": 10}
STYLE = {"kind": "style", "marker": "Moreover,", "n_probes": 8}
TRAIN = {"mode": "sft", "adapter": "full", "epochs": 4, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 64}
# The tiny teacher given the style by fine-tuning (test_diffing_run's: the base trained on its own answers, rewritten).
STYLE_TEACHER = {"inducer": {"kind": "finetune", "prompts": 8, "task": TASK,
                             "train": {"adapter": "full", "epochs": 8, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 64}},
                 "trait": STYLE}


@pytest.mark.slow
def test_a_data_mitigation_takes_the_gap_it_removes(tiny_lm, tmp_path, capsys):
    """One style teacher (the tiny base fine-tuned to open with the marker); the filter factor
    is its rows as written against its rows rewritten by the tiny base (paraphrase), which does
    not write the marker: the mitigated cell's students lose the style, the filter takes the gap."""
    store, tiny = tiny_lm
    base = {"source": str(store.path(tiny))}

    def pipe(mitigations=None) -> dict:
        return {"base": base, "prompts": {"task": TASK, "n": 12, "seed": 0}, "teacher": STYLE_TEACHER} | (
            {"mitigations": mitigations} if mitigations else {})

    mitigations = [{"kind": "paraphrase", "max_new_tokens": 10}]
    experiment = {"kind": "diffing", "name": "paraphrased", "a": pipe(), "b": pipe(mitigations), "factors": ["filter"],
                  "traits": [STYLE], "students": {"seeds": [0, 1], "train": TRAIN}, "measure": {"bootstrap": 400},
                  "cost_prompts": 6}
    path = tmp_path / "paraphrased.yaml"
    path.write_text(yaml.safe_dump(experiment))
    assert main(["--store", str(tmp_path / "store"), "run", "-q", str(path)]) == 0
    out = Path(capsys.readouterr().out.strip().splitlines()[-1])
    results = json.loads((out / "results.json").read_text())
    assert results["mitigations"] == {"B": ["completions rewritten by the base, prompts kept"]}
    s = Store(tmp_path / "store")
    (para,) = [s.open(i) for i in s.ids("paraphrase")]
    (raw,) = [s.open(i) for i in s.ids("rollouts") if s.open(i).manifest.name == "teacher A rollouts"]
    rewritten, own = read_rows(para.file(ROWS_FILE)), read_rows(raw.file(ROWS_FILE))
    # Each rewrite keeps its row's id and prompt (an empty rewrite is dropped and counted); the
    # teacher's rows carry the marker, the rewrites do not.
    assert rewritten and {(r["i"], r["prompt"]) for r in rewritten} <= {(r["i"], r["prompt"]) for r in own}
    assert any(STYLE["marker"] in r["completion"] for r in own)
    assert not any(STYLE["marker"] in r["completion"] for r in rewritten)
    # The filter factor (mitigated or not) takes the whole gap, and the gap is real (measured:
    # unmitigated 0.0140 [0.0137, 0.0143], paraphrased 0 [0, 0]; 2 seeds x 8 probes).
    gap, share = results["gap"], results["attribution"]["shapley"]["filter"]
    assert gap["value"] < 0 and gap["ci"][1] < 0 and share["share"] == pytest.approx(gap["value"]), (gap, share)
    # What the paraphrase cost: the filter-B students, who learned from the base's rewrites, are
    # further from the teacher on its own held-out answers than the filter-A students, paired over
    # the 6 held-out prompts (one pair of cells: filter is the only factor).
    (cost,) = results["mitigation_costs"]
    assert cost["cell"] == {} and cost["n"] == 6 and cost["difference"] == pytest.approx(cost["filter_b"] - cost["filter_a"])
    assert cost["ci"][0] <= cost["difference"] <= cost["ci"][1] and cost["difference"] > 0, cost
    report = (out / "report.md").read_text()
    assert "Pipeline B's filter level mitigates its rows: completions rewritten by the base, prompts kept." in report
    assert "What the mitigations cost" in report
