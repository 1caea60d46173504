"""Re-hash the store: every artifact, or one with all its ancestors, and walk the digest chain.

Beyond file hashes it checks what an auditor relies on: that each folder under ``artifacts/`` is
an artifact (not a foreign or half-copied folder), that its manifest names the folder it is in,
that the manifest's kind, recipe and parents still hash to its id (an edited recipe is tampering
too), that its content digest (over the whole manifest, so over the files' hashes, summary, name
and provenance too) is still the one the index recorded when it was built, and that every child's
record of its parents' digests still matches them (the Merkle chain closes). An artifact the
index or a manifest names but the store no longer holds is a failure. Build debris in ``tmp/``
and checkpoints in ``scratch/`` are not artifacts and are not checked. No digest, no pass: an
artifact the index records no digest for, or one whose manifest records none for a parent, fails
(nothing vouches for it), and so does a store whose index is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from heredity.errors import StoreError
from heredity.store.integrity import chain_problem, content_digest, inspect
from heredity.store.store import Store


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line each: artifact, what, hashes
    failed_ids: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, aid: str, message: str) -> None:
        self.failures.append(message)
        self.failed_ids.add(aid)

    def summary(self) -> str:
        n, bad = len(self.checked), len(self.failed_ids)
        return f"{n - bad} of {n} artifacts verified" + (f", {bad} failed" if bad else "")


def check_one(store: Store, name: str, report: Report) -> list[tuple[str, str, str | None]]:
    """Check one folder under artifacts/, re-hashing every file; returns its parents as
    (id, relation, recorded digest) for the chain walk."""
    report.checked.append(name)
    folder = store.artifacts / name
    if not folder.is_dir():
        report.fail(name, f"{name}: not an artifact folder (a foreign file in {store.artifacts})")
        return []
    if not (folder / "manifest.json").is_file():
        report.fail(name, f"{name}: not an artifact (no manifest.json): a foreign or half-copied folder in {store.artifacts}")
        return []
    try:
        checked = inspect(store, name, rehash=True)
    except StoreError as exc:
        report.fail(name, str(exc))
        return []
    for problem in checked.problems:
        report.fail(name, problem)
    return [(p.id, p.relation, p.digest) for p in checked.manifest.parents]


def _close_chain(store: Store, parents_of: dict[str, list[tuple[str, str, str | None]]], report: Report,
                 reported_missing: frozenset[str] = frozenset()) -> None:
    """Every recorded parent digest must match the parent as it is now; every parent must exist."""
    digests: dict[str, str | None] = {}
    for child, parents in parents_of.items():
        for pid, relation, recorded in parents:
            if pid not in digests:
                try:
                    digests[pid] = content_digest(store.manifest(pid))
                except StoreError:
                    digests[pid] = None
            if digests[pid] is None:
                if pid in reported_missing:
                    continue  # already reported as a missing ancestor
                report.fail(child, f"{child}: its {relation} parent {pid} is missing from the store (deleted or never copied)")
            elif recorded is None:
                continue  # already a failure of the child (inspect: it records no digest for a parent)
            elif recorded != digests[pid]:
                report.fail(child, chain_problem(child, pid, recorded, digests[pid]))


def verify(store: Store, root_id: str | None = None) -> Report:
    """All artifacts on disk (and every one the index names), or ``root_id`` and every ancestor
    its manifests name."""
    report = Report()
    parents_of: dict[str, list[tuple[str, str, str | None]]] = {}
    if root_id is None:
        names = sorted(p.name for p in store.artifacts.iterdir())
        for name in names:
            parents_of[name] = check_one(store, name, report)
        if not store.has_index:
            report.failures.append(f"index.sqlite: the store index is missing ({store.root}): no artifact has a recorded digest")
        indexed = set(store.ids()) if store.has_index else set()
        on_disk = {n for n in names if n not in report.failed_ids}
        for name in sorted(on_disk - indexed):
            report.warnings.append(f"{name} is not in the index (run `heredity reindex`)")
        for name in sorted(indexed - set(names)):
            report.checked.append(name)
            report.fail(name, f"{name}: is in the index but its folder is gone from the store (deleted)")
        _close_chain(store, parents_of, report)
        return report
    seen: set[str] = set()
    missing: set[str] = set()
    frontier = [root_id]
    while frontier:
        aid = frontier.pop(0)
        if aid in seen:
            continue
        seen.add(aid)
        if not store.path(aid).exists():
            report.checked.append(aid)
            report.fail(aid, f"{aid}: ancestor is missing from the store")
            missing.add(aid)
            continue
        parents_of[aid] = check_one(store, aid, report)
        frontier += [pid for pid, _, _ in parents_of[aid]]
    _close_chain(store, parents_of, report, frozenset(missing))
    return report
