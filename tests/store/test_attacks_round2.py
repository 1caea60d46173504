"""The attacks of issue 24 on the synthetic family (tests/store/store_family.py), through the real
CLI: each test is named after the attack and failed on the code before the fix. An attacker has
write access to the store's folders but not to this process."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

import pytest

from heredity.cli import main
from heredity.errors import IntegrityError
from heredity.store import Parent
from heredity.store.hashing import hash_file, hash_tree
from heredity.store.integrity import content_digest, forget_memo
from heredity.store.manifest import Manifest, Provenance, artifact_id


def flip_byte(path, offset=5):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def run(store, *argv):
    return main(["--store", str(store.root), *argv])


def old_style_stamp(store, aid):
    """The stamp the previous release trusted: (inode, size, mtime, ctime) of each file as it is now."""
    folder = store.path(aid)
    files = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "manifest.json":
            st = path.stat()
            files[path.relative_to(folder).as_posix()] = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    (store.root / "stamps").mkdir(exist_ok=True)
    (store.root / "stamps" / f"{aid}.json").write_text(json.dumps({"digest": content_digest(store.manifest(aid)), "files": files}))


def plant(store, kind, recipe, parents, files, name="", summary=None):
    """A self-consistent artifact folder written by hand (as an attacker would): right id, right
    file hashes, parents' digests as given; but never built by the store."""
    aid = artifact_id(kind, recipe, parents)
    folder = store.path(aid)
    folder.mkdir()
    for fname, text in files.items():
        (folder / fname).write_text(text)
    manifest = Manifest(id=aid, kind=kind, name=name, recipe=recipe, parents=parents, files=hash_tree(folder), summary=summary or {},
                        provenance=Provenance(heredity_version="0", code_version="x", started="2026-01-01T00:00:00+00:00", wall_s=1.0))
    (folder / "manifest.json").write_text(manifest.model_dump_json())
    return aid


# ---- 1. loading never trusts a stamp ------------------------------------------------------------
def test_rewritten_stamp_after_an_edit_is_refused_on_load_ls_lineage_and_export(family, capsys):
    store, ids = family
    flip_byte(store.path(ids["teacher"]) / "teacher.json", offset=3)
    old_style_stamp(store, ids["teacher"])  # the stamp now matches the edited file
    forget_memo()  # as a new process would start
    with pytest.raises(IntegrityError, match="teacher.json sha256"):
        store.open(ids["teacher"])
    assert run(store, "ls") == 1
    for argv in (["lineage", ids["student"]], ["export", ids["student"], "--format", "cyclonedx"]):
        assert run(store, *argv) == 1, argv
        assert f"{ids['teacher']}: teacher.json sha256" in capsys.readouterr().err


def test_bit_rot_that_leaves_inode_size_and_times_alone_is_caught_on_load(family):
    store, ids = family
    rows = store.path(ids["dataset"]) / "rows.jsonl"
    before = rows.stat()
    flip_byte(rows)
    os.utime(rows, ns=(before.st_atime_ns, before.st_mtime_ns))
    old_style_stamp(store, ids["dataset"])  # every recorded stat field matches, as with rot on the disk
    forget_memo()
    with pytest.raises(IntegrityError, match="rows.jsonl sha256"):
        store.open(ids["dataset"])


# ---- 2. no digest, no use -----------------------------------------------------------------------
def test_planted_report_with_null_parent_digests_is_not_a_cache_hit(family):
    store, ids = family
    recipe = {"experiment": {"kind": "transmission", "name": "forged"}}
    parents = [Parent(id=ids["scores"], relation="input")]  # digest: None
    planted = plant(store, "report", recipe, parents, {"report.md": "# p = 1e-9, everything inherited\n"})
    with pytest.raises(IntegrityError, match=f"{planted}: no content digest recorded"):
        store.produce("report", recipe, parents, lambda ctx: None)
    with pytest.raises(IntegrityError, match="records no content digest for its input parent"):
        store.open(planted)


def test_forged_self_consistent_scores_are_not_laundered_by_reindex_nor_published(family, capsys, tmp_path):
    store, ids = family
    parent = Parent(id=ids["student"], relation="evaluated", digest=store.recorded_digest(ids["student"]))
    forged = plant(store, "scores", {"trait": {"kind": "animal", "target": "owl"}, "estimator": "forged"}, [parent],
                   {"scores.json": '{"p": 1e-9}'}, name="scores", summary={"p": 1e-9, "ci": [0.9, 0.99], "n": 50})
    assert run(store, "verify") == 1
    assert f"FAIL {forged}: no content digest recorded" in capsys.readouterr().out
    assert run(store, "reindex") == 1  # it cannot vouch for the forgery, and says so
    assert f"NOT VOUCHED {forged}" in capsys.readouterr().out
    assert run(store, "verify") == 1
    card = tmp_path / "README.md"
    assert run(store, "export", ids["student"], "--format", "model-card", "-o", str(card)) == 1
    assert forged in capsys.readouterr().err and not card.exists()


def test_deleted_index_then_an_edited_leaf_summary_is_not_re_recorded(family, capsys):
    store, ids = family
    os.remove(store.root / "index.sqlite")
    path = store.path(ids["scores"]) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["summary"]["p"] = 1e-9
    path.write_text(json.dumps(manifest))
    assert run(store, "reindex") == 1
    out = capsys.readouterr().out
    assert f"NOT VOUCHED {ids['scores']}" in out
    with pytest.raises(IntegrityError, match=f"{ids['scores']}: no content digest recorded"):
        store.open(ids["scores"])
    # an ancestor is vouched for by the digest a vouched child recorded, once that child is trusted
    assert run(store, "reindex", "--trust", ids["grandstudent"]) == 1
    assert f"TRUSTED {ids['grandstudent']}" in capsys.readouterr().out
    assert store.open(ids["dataset2"]).id == ids["dataset2"] and store.open(ids["base"]).id == ids["base"]


# ---- 3. missing and unreadable are errors ---------------------------------------------------------
def test_deleted_index_makes_ls_lineage_and_reach_fail_naming_it(family, capsys):
    store, ids = family
    os.remove(store.root / "index.sqlite")
    for argv in (["ls"], ["lineage", ids["teacher"], "--reach"], ["lineage", ids["student"]]):
        assert run(store, *argv) == 1, argv
        assert "index.sqlite" in capsys.readouterr().err
    assert run(store, "verify") == 1
    assert "FAIL index.sqlite: the store index is missing" in capsys.readouterr().out
    assert not (store.root / "index.sqlite").exists()  # no read recreated it empty


def test_deleted_teacher_makes_lineage_exit_1_naming_it(family, capsys):
    store, ids = family
    shutil.rmtree(store.path(ids["teacher"]))
    assert run(store, "lineage", ids["student"]) == 1
    assert f"{ids['teacher']}: is missing from the store" in capsys.readouterr().err


# ---- 4. read commands never create a store ----------------------------------------------------------
@pytest.mark.parametrize("where", ["empty string", "no such folder", "empty folder"])
@pytest.mark.parametrize("argv", [["verify"], ["ls"], ["lineage", "model-1"], ["export", "model-1", "--format", "spdx"],
                                  ["reindex"], ["view"]])
def test_read_command_on_a_path_that_is_not_a_store_exits_2_and_creates_nothing(tmp_path, monkeypatch, capsys, argv, where):
    monkeypatch.chdir(tmp_path)
    path = {"empty string": "", "no such folder": str(tmp_path / "typo"), "empty folder": str(tmp_path / "empty")}[where]
    if where == "empty folder":
        (tmp_path / "empty").mkdir()
    assert main(["--store", path, *argv]) == 2
    assert "store" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == (["empty"] if where == "empty folder" else [])
    assert where != "empty folder" or not any((tmp_path / "empty").iterdir())


# ---- 8. the rest ------------------------------------------------------------------------------------
def test_artifact_folder_that_is_a_link_to_an_identical_copy_outside_fails_verify(family, capsys, tmp_path):
    store, ids = family
    outside = tmp_path / "outside"
    shutil.copytree(store.path(ids["scores"]), outside)
    shutil.rmtree(store.path(ids["scores"]))
    store.path(ids["scores"]).symlink_to(outside)
    assert run(store, "verify") == 1
    assert f"FAIL {ids['scores']}: the artifact folder is a link" in capsys.readouterr().out


def test_fifo_and_empty_folder_inside_an_artifact_fail_verify_without_hanging(family, capsys):
    store, ids = family
    os.mkfifo(store.path(ids["scores"]) / "pipe")
    (store.path(ids["dataset"]) / "hollow").mkdir()
    assert run(store, "verify") == 1
    out = capsys.readouterr().out
    assert f"FAIL {ids['scores']}: pipe is not a regular file" in out
    assert f"FAIL {ids['dataset']}: hollow/ is an empty folder" in out


def test_sparse_3_gb_manifest_is_refused_without_reading_it(family, capsys):
    store, ids = family
    with open(store.path(ids["scores"]) / "manifest.json", "r+b") as handle:
        handle.truncate(3 << 30)  # sparse: no disk used, 3 GB to read
    assert run(store, "verify", ids["scores"]) == 1
    assert "manifest.json is larger than 64 MiB" in capsys.readouterr().out
    assert run(store, "ls") == 1


def test_index_errors_never_advise_deleting_the_index(tmp_path):
    from heredity.store.store import _explain_sqlite

    for text in ("disk I/O error", "database or disk is full", "unable to open database file"):
        assert "delete" not in _explain_sqlite(tmp_path / "index.sqlite", sqlite3.OperationalError(text))


def test_raw_escape_bell_and_carriage_return_never_reach_stdout(family, capsys):
    store, ids = family
    hostile = "evil\x1b]0;pwned\x07\x1b[2J\rname"
    parents = [Parent(id=ids["base"], relation="base"), Parent(id=ids["dataset"], relation="trained-on")]
    student = store.produce("model", {"train": {"lr": 0.5}}, parents, lambda ctx: (ctx.out / "adapter_config.json").write_text("{}"),
                            name=hostile).artifact.id
    for argv in (["lineage", student, "--format", "dot"], ["export", student, "--format", "model-card"]):
        assert run(store, *argv) == 0, argv
        out = capsys.readouterr().out
        assert "evil" in out and not any(c in out for c in "\x1b\x07\r"), argv


def test_copy_of_an_artifact_into_another_store_needs_its_record(family, tmp_path):
    from heredity.store import Store

    store, ids = family
    other = Store(tmp_path / "other")
    shutil.copytree(store.path(ids["base"]), other.path(ids["base"]))  # a bare copy: nothing vouches for it
    with pytest.raises(IntegrityError, match="no content digest recorded"):
        other.open(ids["base"])
    shutil.rmtree(other.path(ids["base"]))
    assert other.copy_from(store, ids["base"]).id == ids["base"]  # with the digest the source recorded
    assert hash_file(other.path(ids["base"]) / "model.safetensors") == store.manifest(ids["base"]).files["model.safetensors"]
