"""A content-addressed store of artifacts with an embedded SQLite index.

Layout under the root::

    artifacts/<id>/manifest.json + files   finished artifacts (immutable)
    tmp/<id>.<pid>.<nonce>/                 artifacts being built (renamed into place when done)
    scratch/<id>/                           checkpoints of an unfinished step, kept across crashes
    locks/<id>.lock                         one builder per artifact, across processes
    index.sqlite                            artifacts, lineage edges, and the content digest recorded at build
    trust.log                               every digest recorded on a user's word (``reindex --trust``)

Atomicity: a step writes into ``tmp/``, writes its manifest last, then renames the folder into
``artifacts/``. A crash leaves only ``tmp/`` or ``scratch/`` debris, never a visible half-artifact.

Integrity (see ``integrity.py``): every cache hit and every parent of a step is checked against
its manifest, its id and the content digest recorded when it was built; a child records the
digests of the parents it was built from. The digest is recorded before the folder is renamed into
``artifacts/``, so no crash leaves a finished artifact without one: an artifact with none is one
the store never built (copied or planted), and is refused until someone vouches for it.
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
# A manifest holds hashes and a small summary; a larger one is not a heredity manifest (a sparse
# multi-GB manifest.json would otherwise be read into memory whole).
MAX_MANIFEST_BYTES = 64 << 20
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
class Reindexed:
    """What ``reindex`` did: artifacts indexed, those whose digest it tied to a child's record, and
    those it could not vouch for (refused on load until ``trust``)."""

    count: int
    tied: list[str]
    not_vouched: list[str]
    unreadable: list[str]


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
    def __init__(self, root: Path | str | None = None, *, create: bool = True):
        """Open the store at ``root``. ``create=False`` (every command but the one that builds)
        refuses a path that is not already a store, and never makes or changes anything there."""
        if root is not None and not str(root).strip():
            raise StoreError("the store path is empty (\"\"): give --store DIR or set HEREDITY_STORE to a store folder")
        self.root = Path(root).expanduser() if root is not None else default_root()
        self.artifacts = self.root / "artifacts"
        self._db_path = self.root / "index.sqlite"
        # A finished store on a read-only disk (an archive an auditor mounts) can still be read:
        # lineage, verify and export work; only building refuses.
        self.read_only = False
        # Check every cache hit and every parent on load (see integrity.py). Off only for the
        # benchmark that measures what the check costs.
        self.check_on_load = True
        if not create:
            if not self.artifacts.is_dir():
                what = "does not exist" if not self.root.exists() else "is not a heredity store (no artifacts/ folder)"
                raise StoreError(f"store {self.root} {what}: give --store DIR or set {ENV_VAR} to an existing store "
                                 "(only `heredity run` creates one)")
            self.read_only = not os.access(self.root, os.W_OK)
            return  # a missing index is reported by the reads that need it, never silently recreated
        self._ensure_layout()
        # A store whose index was lost is not given a fresh, empty one: that would hide the loss
        # (every read would then refuse artifacts as unrecorded, and `ls` list nothing).
        if not self.read_only and (self.has_index or not any(self.artifacts.iterdir())):
            self._init_index()

    # ---- layout and index -------------------------------------------------
    def _ensure_layout(self) -> None:
        if self.artifacts.is_dir() and not os.access(self.root, os.W_OK):
            self.read_only = True
            return
        try:
            for sub in ("artifacts", "tmp", "scratch", "locks"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"store {self.root} cannot be created or written: {exc.strerror or exc}") from exc
        if not os.access(self.root, os.W_OK):
            raise StoreError(f"store {self.root} is not writable (set {ENV_VAR} or --store to a writable folder)")

    @property
    def has_index(self) -> bool:
        return self._db_path.is_file()

    def _require_index(self) -> None:
        if not self.has_index:
            from heredity.errors import IntegrityError

            raise IntegrityError(f"store index {self._db_path} is missing: it held the lineage edges and the content digest "
                                 "recorded for each artifact when it was built, so nothing in the store can be vouched for. "
                                 "`heredity reindex` rebuilds it and vouches only for what the children's records tie")

    @contextmanager
    def _db(self, *, create: bool = False) -> Iterator[sqlite3.Connection]:
        if not create:
            self._require_index()  # never recreate a lost index as an empty one: that would hide the loss
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
            raise StoreError(f"store index {self._db_path} is unreadable: {exc} (move it aside and run `heredity reindex`: it "
                             "vouches only for what the children's records tie; the digests recorded in the old file are the rest)") from exc
        finally:
            conn.close()

    def _init_index(self) -> None:
        # Serialised across processes: two connections switching a new index to WAL at once can
        # each wait on the other's lock until the busy timeout (seen with two Ray workers opening
        # one fresh store). Once the index is in WAL mode the switch is a no-op.
        with self.lock("index"), self._db(create=True) as conn:
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
            # Digests recorded on a user's word (`reindex --trust`): the manifest is vouched for as it is,
            # including a legacy one's parents recorded without a digest.
            conn.execute("CREATE TABLE IF NOT EXISTS trusted (id TEXT PRIMARY KEY, digest TEXT NOT NULL)")

    def _record_digest(self, aid: str, digest: str) -> None:
        """Record the content digest of an artifact this store is vouching for (built here, or
        tied to a child's record, or trusted on the user's word)."""
        with self._db() as conn:
            conn.execute("INSERT OR REPLACE INTO digests VALUES (?, ?)", (aid, digest))

    def _recorded_digests(self) -> dict[str, str]:
        with self._db() as conn:
            return dict(conn.execute("SELECT id, digest FROM digests"))

    def _index(self, manifest: Manifest, replace: bool = True) -> None:
        """Index an artifact's row and edges. Never records a digest: only a build, a digest tied to
        a child's record (``reindex``) or an explicit ``trust`` does."""
        with self._db() as conn:
            conn.execute(
                f"INSERT OR {'REPLACE' if replace else 'IGNORE'} INTO artifacts VALUES (?, ?, ?, ?)",
                (manifest.id, manifest.kind, manifest.name, manifest.provenance.started),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO edges VALUES (?, ?, ?)",
                [(manifest.id, p.id, p.relation) for p in manifest.parents],
            )

    def reindex(self) -> Reindexed:
        """Rebuild the index from the manifests on disk (the manifests are the source of truth).

        Recorded digests are kept (a reindex must not launder an edited manifest). An artifact with
        none recorded (a lost index, a copied folder) gets its current digest only when a child
        that is itself vouched for recorded that same digest for it when it was built; every other
        one is listed as not vouched for, and stays refused until ``trust``."""
        self._require_writable("rebuild the index")
        self._init_index()
        with self._db() as conn:
            conn.execute("DELETE FROM artifacts")
            conn.execute("DELETE FROM edges")
        manifests: dict[str, Manifest] = {}
        unreadable: list[str] = []
        for path in sorted(self.artifacts.iterdir()):
            try:
                manifests[path.name] = self.manifest(path.name)
                self._index(manifests[path.name])
            except StoreError as exc:
                unreadable.append(f"{path.name}: {exc}")
        recorded = self._recorded_digests()
        now = {aid: integrity.content_digest(m) for aid, m in manifests.items() if m.id == aid}
        vouched = {aid for aid, d in now.items() if recorded.get(aid) == d}
        tied: list[str] = []
        changed = True
        while changed:  # a vouched child vouches for the parent digests it recorded; up to the roots
            changed = False
            for child in list(vouched):
                for p in manifests[child].parents:
                    if p.id in now and p.id not in recorded and p.id not in vouched and p.digest == now[p.id]:
                        self._record_digest(p.id, now[p.id])
                        vouched.add(p.id)
                        tied.append(p.id)
                        changed = True
        not_vouched = sorted(aid for aid in manifests if aid not in recorded and aid not in vouched)
        return Reindexed(count=len(manifests), tied=sorted(tied), not_vouched=not_vouched, unreadable=unreadable)

    def trust(self, ids: list[str], who: str = "") -> list[tuple[str, str]]:
        """Record the current content digest of artifacts nothing vouches for, on the user's word
        (a legacy store, an archive received without its index). Each is logged to ``trust.log``.
        Refuses one whose files do not match its own manifest."""
        self._require_writable("record trusted digests")
        done = []
        for aid in ids:
            checked = integrity.inspect(self, aid, rehash=True)
            own = [p for p in checked.problems if p != integrity.unrecorded_problem(aid) and "records no content digest" not in p]
            if own:
                raise StoreError(f"cannot trust {aid}: {'; '.join(own[:3])}")
            if self.recorded_digest(aid) is not None:
                continue
            self._record_digest(aid, checked.digest)
            with self._db() as conn:
                conn.execute("INSERT OR REPLACE INTO trusted VALUES (?, ?)", (aid, checked.digest))
            when = datetime.now(timezone.utc).isoformat(timespec="seconds")
            with open(self.root / "trust.log", "a") as log:
                log.write(json.dumps({"time": when, "id": aid, "digest": checked.digest, "by": who or os.environ.get("USER", "")}) + "\n")
            done.append((aid, checked.digest))
        return done

    def copy_from(self, source: Store, aid: str) -> Artifact:
        """Copy a checked artifact from another store, with the digest that store recorded for it
        (the source vouches for it, so it is usable here without a trust step)."""
        checked = integrity.require(source, aid, f"copy {aid} from {source.root}")
        self._require_writable(f"copy {aid}")
        if not self.exists(aid):
            tmp = self.root / "tmp" / f"{aid}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
            shutil.copytree(source.path(aid), tmp, symlinks=True)
            self._record_digest(aid, checked.digest)
            os.rename(tmp, self.path(aid))
        self._index(self.manifest(aid))
        return self.open(aid)

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
            with open(path, "rb") as handle:
                data = handle.read(MAX_MANIFEST_BYTES + 1)
        except OSError as exc:
            raise StoreError(f"{path} cannot be read: {exc.strerror or exc}") from exc
        if len(data) > MAX_MANIFEST_BYTES:
            raise StoreError(f"{path} is larger than {MAX_MANIFEST_BYTES >> 20} MiB: not a heredity manifest (foreign or corrupt folder in the store)")
        try:
            return Manifest.model_validate_json(data)
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
        """The content digest the index recorded when the artifact was built (None: not recorded,
        or no index at all)."""
        if not self.has_index:
            return None
        try:
            with self._db() as conn:
                row = conn.execute("SELECT digest FROM digests WHERE id=?", (artifact_id,)).fetchone()
        except StoreError:
            return None  # an index from before digests (read-only archive): nothing recorded
        return row[0] if row else None

    def trusted_digest(self, artifact_id: str) -> str | None:
        """The digest recorded for the artifact on a user's word (``trust``), if any."""
        if not self.has_index:
            return None
        try:
            with self._db() as conn:
                row = conn.execute("SELECT digest FROM trusted WHERE id=?", (artifact_id,)).fetchone()
        except StoreError:
            return None  # an index from before the trusted table: nothing trusted
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
        self._require_index()
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
                self._record_digest(aid, digest)  # before the rename: no crash leaves it built but unrecorded
                os.rename(tmp, self.path(aid))
            except OSError as exc:
                shutil.rmtree(tmp, ignore_errors=True)
                if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT):
                    raise StoreError(f"could not write {kind} artifact to {self.root}: {exc.strerror}; nothing was kept") from exc
                raise
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            self._index(manifest)
            shutil.rmtree(self.root / "scratch" / aid, ignore_errors=True)
            return Produced(Artifact(self.path(aid), manifest), cached=False)

    def _checked_digest(self, aid: str, action: str) -> str | None:
        if not self.check_on_load:
            return integrity.content_digest(self.manifest(aid))
        return integrity.require(self, aid, action).digest

    def _cached(self, aid: str, parents: list[Parent]) -> Produced:
        if not self.read_only and self.has_index:
            # Heals a crash between the rename into artifacts/ and the index write (the digest was
            # recorded before the rename; a folder without one is refused by the check below).
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
    # Never advise deleting the index: it holds the digests recorded at build time, which nothing
    # else in the store can restore.
    text = str(exc)
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        free = None
    if "full" in text or (free is not None and free < (1 << 20)):
        return f"store index {path}: the disk is full ({text}); free space and run again (keep the index: it holds the recorded digests)"
    if "readonly" in text or "read-only" in text:
        return f"store index {path} is on a read-only disk or not writable ({text})"
    if "locked" in text or "busy" in text:
        return f"store index {path} is locked by another process ({text}; a writer holds it past the 60 s wait, or a lock conflict SQLite cannot wait out)"
    return (f"store index {path}: {text} (keep a copy of it: it holds the digests recorded at build time; `heredity verify` "
            "says what fails)")


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
