"""Re-hash the store: every artifact, or one with all its ancestors.

Beyond file hashes it checks what an auditor relies on: that each folder under ``artifacts/`` is
an artifact (not a foreign or half-copied folder), that its manifest names the folder it is in,
and that the manifest's kind, recipe and parents still hash to its id (an edited recipe is
tampering too). Build debris in ``tmp/`` and checkpoints in ``scratch/`` are not artifacts and
are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from heredity.errors import StoreError
from heredity.store.manifest import artifact_id
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


def check_one(store: Store, name: str, report: Report) -> None:
    report.checked.append(name)
    folder = store.artifacts / name
    if not folder.is_dir():
        report.fail(name, f"{name}: not an artifact folder (a foreign file in {store.artifacts})")
        return
    if not (folder / "manifest.json").is_file():
        report.fail(name, f"{name}: not an artifact (no manifest.json): a foreign or half-copied folder in {store.artifacts}")
        return
    try:
        manifest = store.manifest(name)
    except StoreError as exc:
        report.fail(name, str(exc))
        return
    if manifest.id != name:
        report.fail(name, f"{name}: its manifest names a different artifact, {manifest.id} (a renamed or copied folder)")
        return
    expected = artifact_id(manifest.kind, manifest.recipe, manifest.parents)
    if expected != name:
        report.fail(name, f"{name}: manifest was edited: its kind, recipe and parents hash to {expected}, not to its id")
    for mismatch in store.verify_one(name):
        report.fail(name, mismatch.describe())


def verify(store: Store, root_id: str | None = None) -> Report:
    """All artifacts on disk, or ``root_id`` and every ancestor its manifests name."""
    report = Report()
    if root_id is None:
        names = sorted(p.name for p in store.artifacts.iterdir())
        for name in names:
            check_one(store, name, report)
        indexed = set(store.ids())
        on_disk = {n for n in names if n not in report.failed_ids}
        for name in sorted(on_disk - indexed):
            report.warnings.append(f"{name} is not in the index (run `heredity reindex`)")
        for name in sorted(indexed - set(names)):
            report.warnings.append(f"{name} is in the index but not on disk (run `heredity reindex`)")
        return report
    seen: set[str] = set()
    frontier = [root_id]
    while frontier:
        aid = frontier.pop(0)
        if aid in seen:
            continue
        seen.add(aid)
        if not store.exists(aid):
            report.checked.append(aid)
            report.fail(aid, f"{aid}: ancestor is missing from the store")
            continue
        check_one(store, aid, report)
        try:
            frontier += [p.id for p in store.parents(aid)]
        except StoreError:
            continue
    return report
