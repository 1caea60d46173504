"""`heredity lineage`: ancestors and descendants with relations, reach, JSON, DOT and pictures."""

from __future__ import annotations

import json

from heredity.cli import main
from heredity.store import lineage


def test_every_ancestor_of_a_student_with_relations(family):
    store, ids = family
    ups = {a["id"]: a for a in lineage.ancestors(store, ids["student"])}
    assert set(ups) == {ids[k] for k in ("base", "dataset", "rollouts", "teacher", "prompts")}
    assert ups[ids["teacher"]]["path"] == ["trained-on", "filtered-from", "teacher"]
    assert ups[ids["base"]]["relation"] == "base" and ups[ids["base"]]["depth"] == 1


def test_every_model_a_teachers_data_reached(family, capsys):
    store, ids = family
    reached = {r["id"] for r in lineage.reach(store, ids["teacher"], "model")}
    assert reached == {ids["student"], ids["grandstudent"]}  # two generations; not the control student
    assert main(["--store", str(store.root), "lineage", ids["teacher"], "--reach"]) == 0
    out = capsys.readouterr().out
    assert f"every model that {ids['teacher']} reached: 2" in out
    assert f"{ids['grandstudent']}  model grandstudent  via teacher → filtered-from → trained-on → teacher" in out
    assert main(["--store", str(store.root), "lineage", ids["teacher"][:12], "--reach", "scores", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in data["reached"]] == [ids["scores"]]


def test_tree_shows_both_directions_with_relations(family, capsys):
    store, ids = family
    assert main(["--store", str(store.root), "lineage", ids["student"]]) == 0
    out = capsys.readouterr().out
    assert "ancestors" in out and "descendants" in out
    assert f"trained-on ← dataset dataset {ids['dataset']}" in out
    assert f"teacher ← teacher teacher {ids['teacher']}" in out
    assert f"as evaluated → scores scores {ids['scores']}" in out


def test_json_and_kind_filter(family, capsys):
    store, ids = family
    assert main(["--store", str(store.root), "lineage", ids["grandstudent"], "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "model" and ids["teacher"] in {a["id"] for a in data["ancestors"]}
    assert {"parent": ids["dataset2"], "child": ids["grandstudent"], "relation": "trained-on"} in data["edges"]
    assert main(["--store", str(store.root), "lineage", ids["grandstudent"], "--direction", "up", "--kind", "model"]) == 0
    out = capsys.readouterr().out
    assert f"ancestors of {ids['grandstudent']}: 2" in out and ids["student"] in out and ids["base"] in out


def test_graph_picture_svg_png_and_dot(family, tmp_path, capsys):
    store, ids = family
    for suffix in ("svg", "png"):
        out = tmp_path / f"g.{suffix}"
        assert main(["--store", str(store.root), "lineage", ids["student"], "-o", str(out)]) == 0
        assert out.stat().st_size > 1000 and (tmp_path / "g.dot").exists()
    assert (tmp_path / "g.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith("digraph lineage {") and f'"{ids["dataset"]}" -> "{ids["student"]}" [label="trained-on"]' in dot
    assert main(["--store", str(store.root), "lineage", ids["student"], "-o", str(tmp_path / "g.gif")]) == 2
    assert "must be .svg, .png or .dot" in capsys.readouterr().err


def test_dot_on_stdout_parses_as_a_graph(family, capsys):
    import networkx as nx

    store, ids = family
    assert main(["--store", str(store.root), "lineage", ids["student"], "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    edges = [line for line in dot.splitlines() if "->" in line]
    g = nx.DiGraph([(e.split('"')[1], e.split('"')[3]) for e in edges])
    assert nx.is_directed_acyclic_graph(g) and g.has_edge(ids["teacher"], ids["rollouts"])
