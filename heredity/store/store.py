"""A content-addressed store of artifacts with an embedded SQLite index.

Layout under the root::

    artifacts/<id>/manifest.json + files   finished artifacts (immutable)
    tmp/<id>.<pid>.<nonce>/                 artifacts being built (renamed into place when done)
    scratch/<id>/                           checkpoints of an unfinished step, kept across crashes
    locks/<id>.lock                         one builder per artifact, across processes
    stamps/<id>.json                        (inode, size, mtime, ctime) of files last hashed: saves re-hashing
    index.sqlite                            artifacts, lineage edges, and the content digest recorded at build

Atomicity: a step writes into ``tmp/``, writes its manifest last, then renames the folder into
``artifacts/``. A crash leaves only ``tmp/`` or ``scratch/`` debris, never a visible half-artifact.

Integrity (see ``integrity.py``): every cache hit and every parent of a step is checked against
its manifest, its id and the content digest recorded when it was built; a child records the
digests of the parents it was built from.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import heredity
from heredity.errors import StoreError
from heredity.store import integrity
from heredity.store.hashing import hash_file, hash_tree
from heredity.store.manifest import Manifest, Parent, Provenance, artifact_id
from heredity.store.provenance import code_version, hardware

ENV_VAR = "HEREDITY_STORE"
# Set to 1 to load artifacts whose files fail verification (an explicit, logged override).
ALLOW_TAMPERED_ENV = integrity.ALLOW_TAMPERED_ENV


def default_root() -> Path:
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("heredity")) / "store"


@dataclass(frozen=True)
class Artifact:
    path: Path
    manifest: Manifest

    @property
    def id(self) -> str:
        return self.manifest.id

    def file(self, name: str) -> Path:
        return self.path / name


@dataclass(frozen=True)
class Produced:
    artifact: Artifact
    cached: bool


@dataclass(frozen=True)
class Mismatch:
    artifact_id: str
    file: str
    expected: str | None
    actual: str | None

    def describe(self) -> str:
        if self.expected is None:
            return f"{self.artifact_id}: unexpected file {self.file} (not in manifest)"
        if self.actual is None:
            return f"{self.artifact_id}: {self.file} is missing (expected sha256 {self.expected})"
        return f"{self.artifact_id}: {self.file} sha256 {self.actual} != manifest {self.expected}"


class BuildContext:
    """Handed to a step's build function: where to write, where to checkpoint."""

    def __init__(self, out: Path, scratch: Path, artifact_id: str):
        self.out = out
        self.scratch = scratch
        self.id = artifact_id
        self.summary: dict[str, Any] = {}


Build = Callable[[BuildContext], None]


class Store:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.artifacts = self.root / "artifacts"
        self._db_path = self.root / "index.sqlite"
        # A finished store on a read-only disk (an archive an auditor mounts) can still be read:
        # lineage, verify and export work; only building refuses.
        self.read_only = False
        # Check every cache hit and every parent on load (cheap: see integrity.py). Off only for the
        # benchmark that measures what the check costs.
        self.check_on_load = True
        self._ensure_layout()
        if not self.read_only:
            self._init_index()

    # ---- layout and index -------------------------------------------------
    def _ensure_layout(self) -> None:
        if self.artifacts.is_dir() and self._db_path.is_file() and not os.access(self.root, os.W_OK):
            self.read_only = True
            return
        try:
            for sub in ("artifacts", "tmp", "scratch", "locks", "stamps"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"store {self.root} cannot be created or written: {exc.strerror or exc}") from exc
        if not os.access(self.root, os.W_OK):
            raise StoreError(f"store {self.root} is not writable (set {ENV_VAR} or --store to a writable folder)")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            if self.read_only:  # immutable: SQLite creates no -wal/-shm files on a read-only disk
                conn = sqlite3.connect(f"{self._db_path.resolve().as_uri()}?immutable=1", uri=True, timeout=60)
            else:
                conn = sqlite3.connect(self._db_path, timeout=60)
        except sqlite3.Error as exc:
            raise StoreError(f"store index {self._db_path} cannot be opened: {exc}") from exc
        try:
            conn.execute("PRAGMA busy_timeout=60000")
            with conn:
                yield conn
        except sqlite3.OperationalError as exc:
            raise StoreError(_explain_sqlite(self._db_path, exc)) from exc
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"store index {self._db_path} is unreadable: {exc} (delete it and run `heredity reindex`)") from exc
        finally:
            conn.close()

    def _init_index(self) -> None:
        # Serialised across processes: two connections switching a new index to WAL at once can
        # each wait on the other's lock until the busy timeout (seen with two Ray workers opening
        # one fresh store). Once the index is in WAL mode the switch is a no-op.
        with self.lock("index"), self._db() as conn:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS artifacts ("
                " id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT, created TEXT)"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS edges ("
                " child TEXT NOT NULL, parent TEXT NOT NULL, relation TEXT NOT NULL,"
                " PRIMARY KEY (child, parent, relation))"
            )
            conn.execute("CREATE INDEX IF NOT EXISTS edges_parent ON edges(parent)")
            # Kept by `reindex`: the record of what each artifact's manifest was when it was built.
            conn.execute("CREATE TABLE IF NOT EXISTS digests (id TEXT PRIMARY KEY, digest TEXT NOT NULL)")

    def _index(self, manifest: Manifest, replace: bool = True, digest: str | None = None) -> None:
        """Index an artifact. ``digest`` (given only by the build that just made it) replaces the
        recorded content digest; otherwise a missing record is filled in from the manifest."""
        with self._db() as conn:
            conn.execute(
                f"INSERT OR {'REPLACE' if digest else 'IGNORE'} INTO digests VALUES (?, ?)",
                (manifest.id, digest or integrity.content_digest(manifest)),
            )
            conn.execute(
                f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO artifacts VALUES (?, ?, ?, ?)",
                (manifest.id, manifest.kind, manifest.name, manifest.provenance.started),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO edges VALUES (?, ?, ?)",
                [(manifest.id, p.id, p.relation) for p in manifest.parents],
            )

    def reindex(self) -> int:
        """Rebuild the index from the manifests on disk (the manifests are the source of truth).

        Recorded digests are kept (a reindex must not launder an edited manifest); an artifact with
        none recorded (a lost index) gets its current one."""
        self._require_writable("rebuild the index")
        with self._db() as conn:
            conn.execute("DELETE FROM artifacts")
            conn.execute("DELETE FROM edges")
        count = 0
        for path in sorted(self.artifacts.iterdir()):
            try:
                self._index(self.manifest(path.name))
                count += 1
            except StoreError:
                continue
        return count

    # ---- reading ----------------------------------------------------------
    def path(self, artifact_id: str) -> Path:
        if "/" in artifact_id or artifact_id in ("", ".", ".."):
            raise StoreError(f"{artifact_id!r} is not an artifact id")
        return self.artifacts / artifact_id

    def exists(self, artifact_id: str) -> bool:
        return (self.path(artifact_id) / "manifest.json").is_file()

    def manifest(self, artifact_id: str) -> Manifest:
        path = self.path(artifact_id) / "manifest.json"
        if not path.is_file():
            if self.path(artifact_id).exists():
                raise StoreError(f"{self.path(artifact_id)} is not an artifact (no manifest.json): a foreign or half-copied folder in the store")
            raise StoreError(f"no artifact {artifact_id!r} in store {self.root}" + self._suggest(artifact_id))
        try:
            return Manifest.model_validate_json(path.read_text())
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise StoreError(f"{path} is not a heredity manifest (foreign or corrupt folder in the store): {where + ': ' if where else ''}{first['msg']}") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(f"{path} is not a heredity manifest (foreign or corrupt folder in the store): {str(exc).splitlines()[0]}") from exc

    def _suggest(self, prefix: str) -> str:
        matches = [p.name for p in self.artifacts.iterdir() if p.name.startswith(prefix)] if prefix else []
        return f"; did you mean {matches[0]}?" if len(matches) == 1 else ""

    def resolve(self, prefix: str) -> str:
        """An artifact id from a unique prefix of it (as git does for commits)."""
        if self.exists(prefix):
            return prefix
        matches = sorted(p.name for p in self.artifacts.iterdir() if p.name.startswith(prefix))
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise StoreError(f"no artifact matches {prefix!r} in store {self.root}")
        raise StoreError(f"{prefix!r} is ambiguous: {', '.join(matches[:5])}")

    def open(self, artifact_id: str, *, verify: bool = True) -> Artifact:
        """Open a finished artifact; by default refuse one that fails its check (files, manifest,
        recorded digest), naming the artifact and file, unless HEREDITY_ALLOW_TAMPERED=1."""
        if verify and self.check_on_load:
            manifest = integrity.require(self, artifact_id).manifest
        else:
            manifest = self.manifest(artifact_id)
        return Artifact(self.path(artifact_id), manifest)

    def recorded_digest(self, artifact_id: str) -> str | None:
        """The content digest the index recorded when the artifact was built (None: not recorded)."""
        if not self._db_path.is_file():
            return None
        try:
            with self._db() as conn:
                row = conn.execute("SELECT digest FROM digests WHERE id=?", (artifact_id,)).fetchone()
        except StoreError:
            return None  # an index from before digests (read-only archive): nothing recorded
        return row[0] if row else None

    def ids(self, kind: str | None = None) -> list[str]:
        with self._db() as conn:
            if kind:
                rows = conn.execute("SELECT id FROM artifacts WHERE kind=? ORDER BY created", (kind,))
            else:
                rows = conn.execute("SELECT id FROM artifacts ORDER BY created")
            return [r[0] for r in rows]

    def parents(self, artifact_id: str) -> list[Parent]:
        return list(self.manifest(artifact_id).parents)

    def children(self, artifact_id: str) -> list[tuple[str, str]]:
        """(child id, relation) for every artifact that names this one as a parent."""
        with self._db() as conn:
            rows = conn.execute("SELECT child, relation FROM edges WHERE parent=? ORDER BY child", (artifact_id,))
            return [(r[0], r[1]) for r in rows]

    # ---- verification -----------------------------------------------------
    def verify_one(self, artifact_id: str) -> list[Mismatch]:
        manifest = self.manifest(artifact_id)
        root = self.path(artifact_id)
        mismatches = []
        for name, expected in sorted(manifest.files.items()):
            path = root / name
            actual = hash_file(path) if path.is_file() else None
            if actual != expected:
                mismatches.append(Mismatch(artifact_id, name, expected, actual))
        on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {"manifest.json"}
        for extra in sorted(on_disk - set(manifest.files)):
            mismatches.append(Mismatch(artifact_id, extra, None, hash_file(root / extra)))
        return mismatches

    # ---- writing ----------------------------------------------------------
    @contextmanager
    def lock(self, artifact_id: str) -> Iterator[None]:
        """An exclusive, cross-process lock; released by the kernel if the holder dies."""
        path = self.root / "locks" / f"{artifact_id}.lock"
        with open(path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def scratch(self, artifact_id: str) -> Path:
        path = self.root / "scratch" / artifact_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def produce(
        self,
        kind: str,
        recipe: dict[str, Any],
        parents: list[Parent],
        build: Build,
        *,
        name: str = "",
        seed: int | None = None,
    ) -> Produced:
        """Return the artifact for (kind, recipe, parents), building it only if it does not exist.

        Every parent is checked first (a step refuses a parent that changed since it was built), and
        the new artifact records each parent's content digest; a cache hit is checked too."""
        for parent in parents:
            if not self.exists(parent.id):
                raise StoreError(f"parent {parent.id} of a {kind} step is not in the store")
        aid = artifact_id(kind, recipe, parents)
        digests = {p.id: self._checked_digest(p.id, f"build {aid} ({kind}) from {p.id}") for p in parents}
        parents = [Parent(id=p.id, relation=p.relation, digest=digests[p.id]) for p in parents]
        if self.exists(aid):
            return self._cached(aid, parents)
        self._require_writable(f"build a {kind} artifact")
        with self.lock(aid):
            if self.exists(aid):  # another process built it while we waited
                return self._cached(aid, parents)
            self._clean_tmp()
            tmp = self.root / "tmp" / f"{aid}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
            started = datetime.now(timezone.utc).isoformat(timespec="seconds")
            t0 = time.perf_counter()
            try:
                tmp.mkdir(parents=True)
                ctx = BuildContext(tmp, self.scratch(aid), aid)
                build(ctx)
                manifest = Manifest(
                    id=aid, kind=kind, name=name, recipe=recipe, parents=parents,
                    files=hash_tree(tmp), summary=ctx.summary,
                    provenance=Provenance(
                        heredity_version=heredity.__version__, code_version=code_version(),
                        seed=seed, started=started, wall_s=round(time.perf_counter() - t0, 3),
                        hardware=hardware(),
                    ),
                )
                _write_durably(tmp / "manifest.json", manifest.model_dump_json(indent=2))
                digest = integrity.content_digest(Manifest.model_validate_json((tmp / "manifest.json").read_text()))
                os.rename(tmp, self.path(aid))
            except OSError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT):
                    raise StoreError(f"could not write {kind} artifact to {self.root}: {exc.strerror}; nothing was kept") from exc
                raise
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self._index(manifest, digest=digest)
            shutil.rmtree(self.root / "scratch" / aid, ignore_errors=True)
            return Produced(Artifact(self.path(aid), manifest), cached=False)

    def _checked_digest(self, aid: str, action: str) -> str | None:
        if not self.check_on_load:
            return integrity.content_digest(self.manifest(aid))
        return integrity.require(self, aid, action).digest

    def _cached(self, aid: str, parents: list[Parent]) -> Produced:
        if not self.read_only:
            # Heals a crash between the rename into artifacts/ and the index write.
            self._index(self.manifest(aid), replace=False)
        if self.check_on_load:
            checked = integrity.inspect(self, aid)
            problems = list(checked.problems)
            built_from = {p.id: p.digest for p in checked.manifest.parents}
            for p in parents:
                if built_from.get(p.id) is not None and built_from[p.id] != p.digest:
                    problems.append(integrity.chain_problem(aid, p.id, built_from[p.id], p.digest))
            integrity.refuse_or_warn(problems, f"use cached {aid}", aid)
            manifest = checked.manifest
        else:
            manifest = self.manifest(aid)
        return Produced(Artifact(self.path(aid), manifest), cached=True)

    def _require_writable(self, what: str) -> None:
        if self.read_only:
            raise StoreError(f"store {self.root} is read-only (a read-only disk or no write permission): cannot {what}")

    def _clean_tmp(self) -> None:
        """Remove build folders left by processes that died (their pid is gone)."""
        for path in (self.root / "tmp").iterdir():
            try:
                pid = int(path.name.rsplit(".", 2)[1])
            except (IndexError, ValueError):
                continue
            if not _pid_alive(pid):
                shutil.rmtree(path, ignore_errors=True)


def _explain_sqlite(path: Path, exc: sqlite3.OperationalError) -> str:
    text = str(exc)
    if "full" in text:
        return f"store index {path}: the disk is full ({text}); free space and run again"
    if "readonly" in text or "read-only" in text:
        return f"store index {path} is on a read-only disk or not writable ({text})"
    if "locked" in text or "busy" in text:
        return f"store index {path} is locked by another process ({text}; a writer holds it past the 60 s wait, or a lock conflict SQLite cannot wait out)"
    return f"store index {path}: {text} (if it is damaged, delete it and run `heredity reindex`)"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_durably(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def write_json(path: Path, value: Any) -> None:
    """Write JSON the store's way: indented, sorted keys, trailing newline."""
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")
