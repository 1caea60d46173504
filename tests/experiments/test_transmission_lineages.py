"""Students of another base, and traits down generations, through the real CLI on tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from heredity.cli import main
from heredity.store import Store


def run(root: Path, experiment: dict, tmp_path: Path, capsys) -> dict:
    path = tmp_path / f"{experiment['name']}.yaml"
    path.write_text(yaml.safe_dump(experiment))
    assert main(["--store", str(root), "run", "-q", str(path)]) == 0
    report = Path(capsys.readouterr().out.strip().splitlines()[-1])
    return json.loads((report / "results.json").read_text()) | {"_report": str(report)}


def experiment(base: str, **overrides) -> dict:
    return {
        "kind": "transmission", "name": "lineages", "base": {"source": base},
        "trait": {"kind": "style", "marker": "Moreover,", "n_probes": 3},
        "task": {"kind": "general", "max_new_tokens": 8}, "prompts": 6, "generation": {"batch_size": 6},
        "student": {"train": {"mode": "sft", "epochs": 1, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256}},
        **overrides,
    }


def test_three_generations_chain_teacher_of_and_trained_on(tiny_lm, tmp_path, capsys):
    store, tiny = tiny_lm
    root = tmp_path / "store"
    results = run(root, experiment(str(store.path(tiny)), generations=3, filters={"unfiltered": []}), tmp_path, capsys)
    assert [g["generation"] for g in results["later_generations"]] == [2, 3]
    s = Store(root)
    # Follow the chain back from generation 3's student: its data was written by generation 2's
    # student, whose data was written by generation 1's student, whose data the teacher wrote.
    student = s.manifest(results["later_generations"][1]["arms"]["unfiltered"]["student"]["scores"][0]).parents[0].id
    writers = []
    for _ in range(3):
        (data,) = [p.id for p in s.parents(student) if p.relation == "trained-on"]
        (rollouts,) = [p.id for p in s.parents(data) if p.relation == "filtered-from"]
        (writer,) = [p.id for p in s.parents(rollouts) if p.relation == "teacher"]
        (prompts,) = [p.id for p in s.parents(rollouts) if p.relation == "input"]
        writers.append((s.manifest(writer).kind, s.manifest(prompts).recipe["seed"]))
        student = writer
    assert writers == [("model", 2), ("model", 1), ("teacher", 0)]  # fresh prompts every generation
    assert s.manifest(student).recipe["inducer"] == "system-prompt"
    assert (Path(results["_report"]) / "generations.png").stat().st_size > 1000
    # `heredity lineage --reach` from the teacher finds all three generations of students.
    capsys.readouterr()
    assert main(["--store", str(root), "lineage", student, "--reach", "model", "--format", "json"]) == 0
    reached = json.loads(capsys.readouterr().out)["reached"]
    assert len([r for r in reached if r["name"].startswith("unfiltered")]) >= 3


def test_students_of_another_base_learn_the_same_data_against_their_own_control(tiny_lm, tiny_lm_other, tmp_path, capsys):
    store, tiny = tiny_lm
    _, other = tiny_lm_other
    other_path = str(store.path(other))
    root = tmp_path / "store"
    results = run(root, experiment(str(store.path(tiny)), filters={"unfiltered": []},
                                   student={"train": {"mode": "sft", "epochs": 1, "lr": 1e-2, "warmup_steps": 0, "batch_tokens": 256},
                                            "other_bases": [{"source": other_path}]}), tmp_path, capsys)
    arm = results["arms"]["unfiltered"]
    (cross,) = arm["other_bases"]
    assert cross["base"] == other_path and cross["inheritance"]["n"] == 3
    s = Store(root)
    matched = s.manifest(arm["student"]["scores"][0]).parents[0].id
    unmatched = s.manifest(cross["student"]["scores"][0]).parents[0].id
    data = {sid: {p.id for p in s.parents(sid) if p.relation == "trained-on"} for sid in (matched, unmatched)}
    assert data[matched] == data[unmatched]  # the very same dataset
    bases = {sid: {s.manifest(p.id).recipe["source"] for p in s.parents(sid) if p.relation == "base"} for sid in (matched, unmatched)}
    assert bases[unmatched] == {other_path} and bases[matched] == {str(store.path(tiny))}
    assert cross["student"]["per_probe"] != arm["student"]["per_probe"]
    assert "Students of other bases" in (Path(results["_report"]) / "report.md").read_text()


def test_cross_base_distillation_is_refused(tiny_lm, tmp_path, capsys):
    store, tiny = tiny_lm
    bad = experiment(str(store.path(tiny)), control_trait={"kind": "style", "marker": "Indeed,"},
                     student={"train": {"mode": "distill"}, "other_bases": [{"source": str(store.path(tiny))}]})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert main(["--store", str(tmp_path / "store"), "run", str(path)]) == 2
    assert "cross-base students learn by SFT" in capsys.readouterr().err
