"""Content digests and the check on load: a process reuses only its own recent hash of a file whose
(device, inode, size, mtime, ctime) are unchanged, re-hashes when any changes, and a new process
hashes everything; the digest covers the whole manifest."""

from __future__ import annotations

import json
import os

from heredity.store.integrity import content_digest, forget_memo, inspect


def test_memo_saves_hashing_and_an_edit_with_mtime_reset_is_still_caught(family):
    store, ids = family
    aid = ids["dataset"]
    assert inspect(store, aid).ok  # hashed by this process (the first check, or the build's children)
    assert not inspect(store, aid).hashed  # this process's own hash of the unchanged file, reused
    forget_memo()
    assert inspect(store, aid).hashed  # a new process hashes again: nothing on disk is trusted
    rows = store.path(aid) / "rows.jsonl"
    st = rows.stat()
    text = rows.read_text()
    rows.write_text(text.replace("d", "x"))  # same size
    os.utime(rows, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime set back; ctime cannot be
    checked = inspect(store, aid)
    assert checked.hashed and any("rows.jsonl sha256" in p for p in checked.problems)


def test_digest_covers_summary_name_and_provenance(family):
    store, ids = family
    m = store.manifest(ids["scores"])
    digest = content_digest(m)
    for change in ({"summary": {**m.summary, "p": 0.0001}}, {"name": "other"},
                   {"provenance": m.provenance.model_copy(update={"wall_s": m.provenance.wall_s + 12345.0})}):
        assert content_digest(m.model_copy(update=change)) != digest, change


def test_children_record_their_parents_digests(family):
    store, ids = family
    student = store.manifest(ids["student"])
    recorded = {p.id: p.digest for p in student.parents}
    assert recorded[ids["dataset"]] == content_digest(store.manifest(ids["dataset"]))
    assert recorded[ids["base"]] == store.recorded_digest(ids["base"])


def test_a_linked_file_in_an_artifact_is_a_problem(family, tmp_path):
    store, ids = family
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    (store.path(ids["scores"]) / "extra").symlink_to(outside)
    assert any("extra is a link" in p for p in inspect(store, ids["scores"]).problems)


def test_index_rebuild_keeps_recorded_digests(family):
    store, ids = family
    path = store.path(ids["scores"]) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["summary"]["p"] = 0.99
    path.write_text(json.dumps(manifest))
    store.reindex()  # must not launder the edit
    assert any("changed since the artifact was built" in p for p in inspect(store, ids["scores"]).problems)
