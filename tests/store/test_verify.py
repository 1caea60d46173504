"""Tamper and rot: `heredity verify` names artifact, file and both hashes; loading refuses."""

from __future__ import annotations

import json
import shutil

import pytest

from heredity.cli import main
from heredity.errors import IntegrityError
from heredity.store.hashing import hash_file


def flip_byte(path, offset=100):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_flipped_byte_in_weights_is_named_and_loading_refuses(family, capsys, monkeypatch):
    store, ids = family
    weights = store.path(ids["student"]) / "adapter_model.safetensors"
    expected = store.manifest(ids["student"]).files["adapter_model.safetensors"]
    flip_byte(weights)
    actual = hash_file(weights)

    assert main(["--store", str(store.root), "verify"]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert ids["student"] in line and "adapter_model.safetensors" in line and expected in line and actual in line
    assert "13 of 14 artifacts verified, 1 failed" in out

    # verifying a descendant checks its ancestors, so the grandstudent fails too; the base does not
    assert main(["--store", str(store.root), "verify", ids["grandstudent"]]) == 1
    assert main(["--store", str(store.root), "verify", ids["base"]]) == 0
    capsys.readouterr()

    with pytest.raises(IntegrityError, match=f"refusing to load {ids['student']}.*adapter_model.safetensors.*HEREDITY_ALLOW_TAMPERED=1"):
        store.open(ids["student"])
    monkeypatch.setenv("HEREDITY_ALLOW_TAMPERED", "1")
    assert store.open(ids["student"]).id == ids["student"]


def test_loading_a_tampered_model_through_the_model_loader_refuses(family, monkeypatch):
    from heredity.steps.models import load_artifact

    store, ids = family
    flip_byte(store.path(ids["base"]) / "model.safetensors")
    with pytest.raises(IntegrityError, match="refusing to load"):
        load_artifact(store, ids["base"])


def test_edited_manifest_recipe_is_tampering(family, capsys):
    store, ids = family
    path = store.path(ids["teacher"]) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["recipe"]["system_prompt"] = "You are a helpful assistant."  # hide the inducer
    path.write_text(json.dumps(manifest))
    assert main(["--store", str(store.root), "verify", ids["student"]]) == 1
    assert f"{ids['teacher']}: manifest was edited" in capsys.readouterr().out


def test_foreign_and_broken_folders_fail_verification_by_name(family, capsys):
    store, ids = family
    (store.artifacts / "holiday-photos").mkdir()
    (store.artifacts / "holiday-photos" / "beach.jpg").write_bytes(b"\xff\xd8")
    (store.artifacts / "model-broken").mkdir()
    (store.artifacts / "model-broken" / "manifest.json").write_text('{"id": "model-broken", "kin')
    (store.artifacts / "notes.txt").write_text("hi")
    shutil.copytree(store.path(ids["base"]), store.artifacts / "model-copy")
    (store.root / "tmp" / f"{ids['base']}.999999999.abcd1234").mkdir()  # build debris is not an artifact

    assert main(["--store", str(store.root), "verify"]) == 1
    out = capsys.readouterr().out
    assert "FAIL holiday-photos: not an artifact (no manifest.json)" in out
    assert "FAIL " in out and "model-broken/manifest.json is not a heredity manifest" in out
    assert "FAIL notes.txt: not an artifact folder" in out
    assert f"FAIL model-copy: its manifest names a different artifact, {ids['base']}" in out
    assert "14 of 18 artifacts verified, 4 failed" in out
    assert "Traceback" not in out
    # the rest of the store still works around them
    assert main(["--store", str(store.root), "lineage", ids["student"], "--format", "json"]) == 0
    assert main(["--store", str(store.root), "ls"]) == 0
    capsys.readouterr()
    assert main(["--store", str(store.root), "reindex"]) == 1  # it indexes the rest and names what it could not vouch for
    out = capsys.readouterr().out
    assert "NOT VOUCHED model-copy" in out and "SKIP holiday-photos" in out and "indexed 15 artifacts" in out


def test_missing_file_missing_ancestor_and_extra_file(family, capsys, monkeypatch):
    store, ids = family
    (store.path(ids["dataset"]) / "rows.jsonl").unlink()
    (store.path(ids["scores"]) / "sneaky.txt").write_text("added later")
    shutil.rmtree(store.path(ids["rollouts"]))
    assert main(["--store", str(store.root), "verify", ids["student"]]) == 1
    out = capsys.readouterr().out
    assert f"{ids['dataset']}: rows.jsonl is missing (expected sha256" in out
    assert f"{ids['rollouts']}: ancestor is missing from the store" in out
    assert main(["--store", str(store.root), "verify", ids["scores"]]) == 1
    assert f"{ids['scores']}: unexpected file sneaky.txt (not in manifest)" in capsys.readouterr().out
    # lineage refuses to show a dataset that lost its file, naming it ...
    assert main(["--store", str(store.root), "lineage", ids["student"], "--direction", "up"]) == 1
    assert f"{ids['dataset']}: rows.jsonl is missing" in capsys.readouterr().err
    # ... and once the dataset is whole again, the hole the deleted rollouts left is an error naming it
    (store.path(ids["dataset"]) / "rows.jsonl").write_text("".join(
        json.dumps({"i": i, "prompt": f"continue {i}", "completion": f"{i}, {i + 1}, d"}) + "\n" for i in range(3)))
    assert main(["--store", str(store.root), "lineage", ids["student"], "--direction", "up"]) == 1
    assert f"{ids['rollouts']}: is missing from the store" in capsys.readouterr().err
    monkeypatch.setenv("HEREDITY_ALLOW_TAMPERED", "1")  # examining the damage: the hole is shown, not a crash
    assert main(["--store", str(store.root), "lineage", ids["student"], "--direction", "up"]) == 0
    assert "missing from the store" in capsys.readouterr().out


def test_index_out_of_step_is_a_warning_and_is_healed(family, capsys):
    import sqlite3

    store, ids = family
    with sqlite3.connect(store.root / "index.sqlite") as conn:  # as if killed between rename and index
        conn.execute("DELETE FROM artifacts WHERE id=?", (ids["scores"],))
    assert main(["--store", str(store.root), "verify"]) == 0
    assert f"WARN {ids['scores']} is not in the index" in capsys.readouterr().out
    store.produce("scores", store.manifest(ids["scores"]).recipe, store.manifest(ids["scores"]).parents, lambda ctx: None)
    assert ids["scores"] in store.ids()
