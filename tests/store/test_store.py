import os
import sqlite3

import pytest

from heredity.errors import IntegrityError, StoreError
from heredity.store import Parent, Store
from heredity.store.manifest import artifact_id


def write(text):
    def build(ctx):
        (ctx.out / "data.txt").write_text(text)
        ctx.summary = {"chars": len(text)}

    return build


def test_id_is_stable_and_depends_on_recipe_and_parents():
    a = artifact_id("rollouts", {"n": 3, "t": 1.0}, [Parent(id="model-x", relation="teacher")])
    assert a == artifact_id("rollouts", {"t": 1.0, "n": 3}, [Parent(id="model-x", relation="teacher")])
    assert a != artifact_id("rollouts", {"n": 4, "t": 1.0}, [Parent(id="model-x", relation="teacher")])
    assert a != artifact_id("rollouts", {"n": 3, "t": 1.0}, [Parent(id="model-y", relation="teacher")])
    assert a != artifact_id("rollouts", {"n": 3, "t": 1.0}, [Parent(id="model-x", relation="base")])
    assert a.startswith("rollouts-") and len(a) == len("rollouts-") + 16


def test_second_produce_is_a_cache_hit(store):
    calls = []

    def build(ctx):
        calls.append(1)
        (ctx.out / "x.txt").write_text("hi")

    first = store.produce("data", {"a": 1}, [], build)
    second = store.produce("data", {"a": 1}, [], build)
    assert not first.cached and second.cached
    assert first.artifact.id == second.artifact.id and len(calls) == 1
    assert store.manifest(first.artifact.id).files["x.txt"]


def test_interrupted_build_leaves_no_artifact(store):
    def build(ctx):
        (ctx.out / "half.txt").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        store.produce("data", {"a": 2}, [], build)
    aid = artifact_id("data", {"a": 2}, [])
    assert not store.exists(aid)
    assert list((store.root / "tmp").iterdir()) == []
    assert store.ids() == []


def test_index_records_edges_and_survives_reindex(store):
    base = store.produce("model", {"m": 1}, [], write("base")).artifact
    child = store.produce("data", {"d": 1}, [Parent(id=base.id, relation="teacher")], write("rows")).artifact
    assert store.children(base.id) == [(child.id, "teacher")]
    os.remove(store.root / "index.sqlite")
    fresh = Store(store.root)
    done = fresh.reindex()
    assert done.count == 2 and done.not_vouched == sorted([base.id, child.id])  # a lost index vouches for nothing
    assert fresh.children(base.id) == [(child.id, "teacher")]
    assert fresh.trust([child.id]) == [(child.id, fresh.recorded_digest(child.id))]  # the leaf, on the user's word ...
    assert fresh.reindex().tied == [base.id]  # ... ties its parent through the digest it recorded
    assert fresh.open(base.id).id == base.id and fresh.open(child.id).id == child.id
    assert child.id in (store.root / "trust.log").read_text()


def test_missing_parent_is_refused(store):
    with pytest.raises(StoreError, match="not in the store"):
        store.produce("data", {}, [Parent(id="model-0000", relation="base")], write("x"))


def test_tampered_file_is_detected_and_loading_refuses(store, monkeypatch):
    art = store.produce("data", {"a": 3}, [], write("original")).artifact
    path = art.file("data.txt")
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    (mismatch,) = store.verify_one(art.id)
    assert mismatch.file == "data.txt" and mismatch.expected != mismatch.actual
    with pytest.raises(IntegrityError, match="refusing to load"):
        store.open(art.id)
    monkeypatch.setenv("HEREDITY_ALLOW_TAMPERED", "1")
    assert store.open(art.id).id == art.id


def test_foreign_folder_gets_a_clear_error(store):
    (store.artifacts / "junk").mkdir()
    (store.artifacts / "junk" / "manifest.json").write_text("{not json")
    with pytest.raises(StoreError, match="not a heredity manifest"):
        store.manifest("junk")


def test_read_only_store_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    root = tmp_path / "ro"
    root.mkdir()
    root.chmod(0o500)
    with pytest.raises(StoreError):
        Store(root / "store")


def test_resolve_prefix(store):
    art = store.produce("data", {"a": 4}, [], write("x")).artifact
    assert store.resolve(art.id[:10]) == art.id
    with pytest.raises(StoreError, match="no artifact"):
        store.resolve("nothing")


def test_index_is_wal(store):
    conn = sqlite3.connect(store.root / "index.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_legacy_artifact_with_parents_recorded_without_digests_is_usable_only_after_trust(store):
    import json

    base = store.produce("model", {"m": 2}, [], write("base")).artifact
    child = store.produce("data", {"d": 2}, [Parent(id=base.id, relation="teacher")], write("rows")).artifact
    path = child.path / "manifest.json"  # as an older heredity wrote it: no parent digest, none recorded
    manifest = json.loads(path.read_text())
    manifest["parents"][0]["digest"] = None
    path.write_text(json.dumps(manifest))
    with sqlite3.connect(store.root / "index.sqlite") as conn:
        conn.execute("DELETE FROM digests WHERE id=?", (child.id,))
    with pytest.raises(IntegrityError, match="no content digest recorded"):
        store.open(child.id)
    store.trust([child.id])
    assert store.open(child.id).id == child.id
