"""Content digests and the checks every read of the store makes (a Merkle lineage, as in git or Nix).

- An artifact's **content digest** is the SHA-256 of its whole manifest in canonical JSON. The
  manifest holds the SHA-256 of every file, so the digest covers the files *and* the recipe,
  parents, name, summary and provenance: change any of them and the digest changes.
- The index records each artifact's digest when it is built, and every child records the digest
  of each parent it was built from (``Parent.digest`` in its manifest). The chain closes: a
  child's record pins its parents' content, theirs pin their parents', up to the roots.
- **Checking on load** (:func:`inspect`) re-reads the manifest (small), checks that it names its
  folder and hashes to its id, compares every file with a stamp ``stamps/<id>.json`` of
  ``(inode, size, mtime, ctime)`` kept since the files were last hashed and re-hashes only when a
  stamp differs (or ``rehash=True``, as ``heredity verify`` does), then compares the digest with
  the one the index recorded. A folder with an extra file, a missing file or a link fails too.

A stamp only saves hashing: it is never trusted for the digest itself, which is recomputed from
the manifest every time. ctime is in the stamp because a user cannot set it back (``touch -d``
can reset mtime after an edit; nothing resets ctime).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from heredity.errors import HeredityError, IntegrityError, StoreError
from heredity.store.atomic import write_atomic
from heredity.store.hashing import hash_value
from heredity.store.manifest import Manifest, artifact_id

ALLOW_TAMPERED_ENV = "HEREDITY_ALLOW_TAMPERED"


def content_digest(manifest: Manifest) -> str:
    """SHA-256 (hex) of the whole manifest as stored (canonical JSON of what ``manifest.json`` holds)."""
    return hash_value(json.loads(manifest.model_dump_json()))


def short(digest: str | None) -> str:
    return f"{digest[:12]}…" if digest else "none"


@dataclass
class Checked:
    """What one check of one artifact found: its digest now, and one line per problem."""

    id: str
    digest: str | None
    problems: list[str] = field(default_factory=list)
    manifest: Manifest | None = None
    hashed: bool = False  # the files were hashed (no stamp, a stamp that no longer matched, or rehash=True)

    @property
    def ok(self) -> bool:
        return not self.problems


def _file_stats(folder: Path) -> tuple[dict[str, list[int]], list[str]]:
    """(relative path -> [inode, size, mtime_ns, ctime_ns] of every regular file, links found)."""
    stats: dict[str, list[int]] = {}
    links: list[str] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        for name in sorted(dirnames + filenames):
            path = base / name
            rel = path.relative_to(folder).as_posix()
            st = path.lstat()
            if path.is_symlink():
                links.append(rel)
            elif name in filenames and rel != "manifest.json":
                stats[rel] = [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
        dirnames[:] = [d for d in dirnames if not (base / d).is_symlink()]
    return stats, links


def _stamp_path(store, aid: str) -> Path:
    return store.root / "stamps" / f"{aid}.json"


def _read_stamp(store, aid: str) -> dict | None:
    try:
        return json.loads(_stamp_path(store, aid).read_text())
    except (OSError, ValueError):
        return None


def inspect(store, aid: str, *, rehash: bool = False) -> Checked:
    """Check one artifact against its manifest, its id and its recorded digest. Never raises for
    tampering (returns the problems); raises StoreError when ``aid`` is not an artifact at all."""
    folder = store.path(aid)
    manifest = store.manifest(aid)
    digest = content_digest(manifest)
    checked = Checked(aid, digest, manifest=manifest)
    if manifest.id != aid:
        checked.problems.append(f"{aid}: its manifest names a different artifact, {manifest.id} (a renamed or copied folder)")
        return checked
    expected = artifact_id(manifest.kind, manifest.recipe, manifest.parents)
    if expected != aid:
        checked.problems.append(f"{aid}: manifest was edited: its kind, recipe and parents hash to {expected}, not to its id")
    stats, links = _file_stats(folder)
    checked.problems += [f"{aid}: {link} is a link (an artifact holds only regular files)" for link in links]
    stamp = None if rehash else _read_stamp(store, aid)
    if not (stamp and stamp.get("digest") == digest and stamp.get("files") == stats):
        checked.hashed = True
        checked.problems += [m.describe() for m in store.verify_one(aid)]
        if not checked.problems and not store.read_only:
            _write_stamp(store, aid, digest, stats)
    recorded = store.recorded_digest(aid)
    if recorded is not None and recorded != digest:
        checked.problems.append(
            f"{aid}: manifest.json changed since the artifact was built: content digest {short(digest)} != recorded "
            f"{short(recorded)} (its file hashes, summary, name or provenance were edited)"
        )
    return checked


def _write_stamp(store, aid: str, digest: str, stats: dict[str, list[int]]) -> None:
    try:
        (store.root / "stamps").mkdir(exist_ok=True)
        write_atomic(_stamp_path(store, aid), json.dumps({"digest": digest, "files": stats}))
    except (OSError, HeredityError):  # a stamp only saves time; failing to keep one is not an error
        pass


def tampering_allowed() -> bool:
    return os.environ.get(ALLOW_TAMPERED_ENV) == "1"


def refuse_or_warn(problems: list[str], action: str, hint_id: str) -> None:
    """Raise IntegrityError naming the first problems, or warn on stderr under the override."""
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
    """Check every artifact in ``ids`` (those a read command is about to show), and that each
    one's recorded parent digests still match its parents (the chain closes)."""
    results: dict[str, Checked] = {}
    problems: list[str] = []
    for aid in dict.fromkeys(ids):
        try:
            results[aid] = inspect(store, aid)
        except StoreError:
            continue  # a missing ancestor is shown as missing by the caller, not hidden
        problems += results[aid].problems
    for aid, checked in results.items():
        for parent in checked.manifest.parents if checked.manifest else []:
            got = results.get(parent.id)
            if got is not None and parent.digest is not None and got.digest != parent.digest:
                problems.append(chain_problem(aid, parent.id, parent.digest, got.digest))
    refuse_or_warn(problems, action, ids[0] if ids else "")
    return list(results.values())


def chain_problem(child: str, parent: str, recorded: str | None, actual: str | None) -> str:
    return (f"{child}: was built from {parent} with content digest {short(recorded)}, but {parent} now has "
            f"{short(actual)} (the parent changed after this artifact was built from it)")
