"""Content digests and the checks every read of the store makes (a Merkle lineage, as in git or Nix).

- An artifact's **content digest** is the SHA-256 of its whole manifest in canonical JSON. The
  manifest holds the SHA-256 of every file, so the digest covers the files *and* the recipe,
  parents, name, summary and provenance: change any of them and the digest changes.
- The index records each artifact's digest when it is built, and every child records the digest
  of each parent it was built from (``Parent.digest`` in its manifest). The chain closes: a
  child's record pins its parents' content, theirs pin their parents', up to the roots.
- **Checking on load** (:func:`inspect`) re-reads the manifest (small), checks that it names its
  folder and hashes to its id, that the folder holds exactly the manifest's regular files (no
  links, FIFOs or stray folders), re-hashes every file, and compares the digest with the one the
  index recorded. **No digest, no use**: an artifact the index records no digest for, or one
  whose manifest records none for a parent, fails (nothing vouches for it).

Nothing on disk decides that content is intact: an earlier round kept ``stamps/<id>.json`` of
(inode, size, mtime, ctime) and skipped hashing while they matched, and anyone who can write the
store can rewrite a stamp (and bit rot changes none of those fields). The only shortcut left is
in this process's memory: a file hashed by this process less than ``MEMO_TTL_S`` ago, whose
(device, inode, size, mtime, ctime) are unchanged, is not hashed again (a run checks its base
model once, not once per step that reads it; the viewer answers under load). See BENCHMARKS.md
("Checking on load") for what hashing on every load costs.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from heredity.errors import StoreError
from heredity.store.hashing import hash_file, hash_value
from heredity.store.manifest import Manifest, artifact_id

ALLOW_TAMPERED_ENV = "HEREDITY_ALLOW_TAMPERED"
# How long a hash this process computed stands in for hashing the same, unchanged file again.
MEMO_TTL_S = 60.0


def content_digest(manifest: Manifest) -> str:
    """SHA-256 (hex) of the whole manifest as stored (canonical JSON of what ``manifest.json`` holds)."""
    return hash_value(json.loads(manifest.model_dump_json()))


def short(digest: str | None) -> str:
    return f"{digest[:12]}…" if digest else "none"


@dataclass
class Checked:
    """What one check of one artifact found: its digest now, and one line per problem."""

    id: str
    digest: str
    manifest: Manifest
    problems: list[str] = field(default_factory=list)
    hashed: bool = False  # at least one file was hashed by this check (not taken from this process's memo)

    @property
    def ok(self) -> bool:
        return not self.problems


# path -> ((dev, inode, size, mtime_ns, ctime_ns), sha256, when hashed): this process's own hashes only.
_memo: dict[str, tuple[tuple[int, ...], str, float]] = {}
_memo_lock = threading.Lock()


def _key(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_sha256(path: Path, st: os.stat_result, *, rehash: bool) -> tuple[str, bool]:
    """(sha256 of a regular file, whether it was hashed now rather than taken from the memo)."""
    name = str(path)
    now = time.monotonic()
    with _memo_lock:
        known = _memo.get(name)
    if not rehash and known and known[0] == _key(st) and now - known[2] < MEMO_TTL_S:
        return known[1], False
    digest = hash_file(path)
    with _memo_lock:
        _memo[name] = (_key(os.stat(path)), digest, now)
    return digest, True


def forget_memo() -> None:
    """Drop this process's hashes (the next check of every file hashes it again)."""
    with _memo_lock:
        _memo.clear()


def _scan(folder: Path) -> tuple[dict[str, os.stat_result], list[str]]:
    """(relative path -> lstat of every regular file but the manifest, one problem line per thing
    an artifact must not hold: a link, a FIFO, socket or device, a folder holding no file)."""
    files: dict[str, os.stat_result] = {}
    odd: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        if base != folder and not dirnames and not filenames:
            odd.append(f"{base.relative_to(folder).as_posix()}/ is an empty folder (not in the manifest)")
        for name in sorted(dirnames + filenames):
            path = base / name
            rel = path.relative_to(folder).as_posix()
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                odd.append(f"{rel} is a link (an artifact holds only regular files)")
            elif stat.S_ISDIR(st.st_mode):
                continue
            elif not stat.S_ISREG(st.st_mode):
                odd.append(f"{rel} is not a regular file (a FIFO, socket or device; an artifact holds only regular files)")
            elif rel != "manifest.json":
                files[rel] = st
        dirnames[:] = [d for d in dirnames if not (base / d).is_symlink()]
    return files, odd


def _file_problems(folder: Path, aid: str, manifest: Manifest, rehash: bool, checked: Checked) -> list[str]:
    on_disk, odd = _scan(folder)
    problems = [f"{aid}: {line}" for line in odd]
    for name, expected in sorted(manifest.files.items()):
        st = on_disk.get(name)
        if st is None:
            problems.append(f"{aid}: {name} is missing (expected sha256 {expected})")
            continue
        try:
            actual, hashed = file_sha256(folder / name, st, rehash=rehash)
        except OSError as exc:
            problems.append(f"{aid}: {name} cannot be read ({exc.strerror or exc})")
            continue
        checked.hashed |= hashed
        if actual != expected:
            problems.append(f"{aid}: {name} sha256 {actual} != manifest {expected}")
    for extra in sorted(set(on_disk) - set(manifest.files)):
        problems.append(f"{aid}: unexpected file {extra} (not in manifest)")
    return problems


def inspect(store, aid: str, *, rehash: bool = False) -> Checked:
    """Check one artifact against its manifest, its id and its recorded digest, hashing its files.
    Never raises for tampering (returns the problems); raises StoreError when ``aid`` is not an
    artifact at all. ``rehash=True`` ignores this process's memo (``heredity verify``)."""
    folder = store.path(aid)
    manifest = store.manifest(aid)
    digest = content_digest(manifest)
    checked = Checked(aid, digest, manifest)
    if folder.is_symlink():
        checked.problems.append(f"{aid}: the artifact folder is a link to {os.path.realpath(folder)} (an artifact is a folder in the store)")
        return checked
    if manifest.id != aid:
        checked.problems.append(f"{aid}: its manifest names a different artifact, {manifest.id} (a renamed or copied folder)")
        return checked
    expected = artifact_id(manifest.kind, manifest.recipe, manifest.parents)
    if expected != aid:
        checked.problems.append(f"{aid}: manifest was edited: its kind, recipe and parents hash to {expected}, not to its id")
    checked.problems += _file_problems(folder, aid, manifest, rehash, checked)
    recorded = store.recorded_digest(aid)
    if recorded is None:
        checked.problems.append(unrecorded_problem(aid))
    elif recorded != digest:
        checked.problems.append(
            f"{aid}: manifest.json changed since the artifact was built: content digest {short(digest)} != recorded "
            f"{short(recorded)} (its file hashes, summary, name or provenance were edited)"
        )
    legacy_ok = any(p.digest is None for p in manifest.parents) and store.trusted_digest(aid) == digest
    for parent in manifest.parents:
        if parent.digest is None and not legacy_ok:  # a manifest trusted as it is (reindex --trust) is vouched for whole
            checked.problems.append(f"{aid}: records no content digest for its {parent.relation} parent {parent.id} "
                                    "(nothing ties it to what it was built from)")
    return checked


def unrecorded_problem(aid: str) -> str:
    return (f"{aid}: no content digest recorded for it in the index (nothing vouches for it: a folder copied or planted "
            f"into the store, or an index rebuilt without it); check it yourself, then `heredity reindex --trust {aid}`")


def tampering_allowed() -> bool:
    return os.environ.get(ALLOW_TAMPERED_ENV) == "1"


def refuse_or_warn(problems: list[str], action: str, hint_id: str) -> None:
    """Raise IntegrityError naming the first problems, or warn on stderr under the override."""
    from heredity.errors import IntegrityError

    if not problems:
        return
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    details = "; ".join(problems[:3]) + more
    if tampering_allowed():
        sys.stderr.write(f"warning: {ALLOW_TAMPERED_ENV}=1: {action} despite: {details}\n")
        return
    raise IntegrityError(
        f"refusing to {action}: {details}. Run `heredity verify {hint_id}`; set {ALLOW_TAMPERED_ENV}=1 to use it anyway."
    )


def require(store, aid: str, action: str | None = None) -> Checked:
    """Check ``aid`` on load; refuse (IntegrityError) on any problem unless the override is set."""
    checked = inspect(store, aid)
    refuse_or_warn(checked.problems, action or f"load {aid}", aid)
    return checked


def require_closure(store, ids: list[str], action: str) -> list[Checked]:
    """Check every artifact in ``ids`` (those a read command is about to show), that every parent
    they name is in the store, and that each one's recorded parent digests still match its parents
    (the chain closes). A missing or unreadable artifact is a problem, never skipped."""
    results: dict[str, Checked] = {}
    problems: list[str] = []
    for aid in dict.fromkeys(ids):
        try:
            results[aid] = inspect(store, aid)
        except StoreError as exc:
            gone = not store.path(aid).exists()
            problems.append(f"{aid}: is missing from the store (deleted or never copied)" if gone else f"{aid}: is unreadable ({exc})")
            continue
        problems += results[aid].problems
    for aid, checked in results.items():
        for parent in checked.manifest.parents:
            got = results.get(parent.id)
            if got is None and parent.id not in ids:
                if not store.exists(parent.id):
                    problems.append(f"{aid}: its {parent.relation} parent {parent.id} is missing from the store (deleted or never copied)")
            elif got is not None and parent.digest is not None and got.digest != parent.digest:
                problems.append(chain_problem(aid, parent.id, parent.digest, got.digest))
    refuse_or_warn(problems, action, ids[0] if ids else "")
    return list(results.values())


def chain_problem(child: str, parent: str, recorded: str | None, actual: str | None) -> str:
    return (f"{child}: was built from {parent} with content digest {short(recorded)}, but {parent} now has "
            f"{short(actual)} (the parent changed after this artifact was built from it)")
