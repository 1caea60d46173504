"""Plan a run without building it: every step's kind, name, recipe and id, in the order the run
would ask for them.

A ``PlannedStore`` stands in for the store: ``produce`` computes the artifact id exactly as the
store does (``manifest.artifact_id`` of kind, recipe and parents) and records the step, but builds
nothing. The run goes on until it needs a step's *content* (a score's numbers to compare, the
rows a flip set is ranked by): content is not there, so planning stops at that point and says
which file it needed. Every step up to there is planned exactly.

Two uses: ``heredity plan FILE`` shows what a run will build and what is already cached, and the
golden-id test pins the ids each example plans (ids are the cache contract: a change there is a
change of every cached result below it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heredity.store import Artifact, Parent
from heredity.store.manifest import Manifest, Provenance, artifact_id
from heredity.store.store import Build, Produced


@dataclass(frozen=True)
class PlannedStep:
    kind: str
    name: str
    id: str
    recipe: dict[str, Any]
    parents: tuple[tuple[str, str], ...]  # (relation, parent id)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "id": self.id, "recipe": self.recipe,
                "parents": [list(p) for p in self.parents]}


@dataclass
class Plan:
    steps: list[PlannedStep] = field(default_factory=list)
    stopped_at: str | None = None  # the content planning needed and could not have (None: planned to the end)

    def as_json(self) -> dict[str, Any]:
        return {"steps": [s.as_json() for s in self.steps], "stopped_at": self.stopped_at}


class ContentNeeded(Exception):
    """A run asked for a planned step's content: planning cannot go further."""


class PlannedStore:
    """The store's interface for a run, with ids and nothing built. ``root`` is a folder that
    holds nothing of the plan (paths into it do not exist, so reading content fails loudly)."""

    read_only = False
    check_on_load = False

    def __init__(self, root: Path, cached: Any = None):
        self.root = Path(root)
        self.artifacts = self.root / "artifacts"
        self.cached = cached  # a real Store to ask which planned ids already exist, or None
        self._manifests: dict[str, Manifest] = {}
        self.plan = Plan()

    def produce(self, kind: str, recipe: dict[str, Any], parents: list[Parent], build: Build, *,
                name: str = "", seed: int | None = None) -> Produced:
        aid = artifact_id(kind, recipe, parents)
        if aid not in self._manifests:
            self._manifests[aid] = Manifest(
                id=aid, kind=kind, name=name, recipe=recipe, parents=list(parents),
                provenance=Provenance(heredity_version="plan", code_version="plan", seed=seed, started="", wall_s=0.0),
            )
            self.plan.steps.append(PlannedStep(kind, name, aid, recipe, tuple((p.relation, p.id) for p in parents)))
        cached = self.cached is not None and self.cached.exists(aid)
        return Produced(self.open(aid), cached=cached)

    def exists(self, aid: str) -> bool:
        return aid in self._manifests

    def resolve(self, prefix: str) -> str:
        """An artifact made before this run (a screen filter's screen) from the real store; a
        plan without one stops here."""
        if self.cached is None:
            raise ContentNeeded(f"artifact {prefix} (made before this run; plan against the store that holds it)")
        aid = self.cached.resolve(prefix)
        self._manifests.setdefault(aid, self.cached.manifest(aid))
        return aid

    def manifest(self, aid: str) -> Manifest:
        if aid not in self._manifests:
            raise ContentNeeded(f"artifact {aid} (not planned in this run)")
        return self._manifests[aid]

    def open(self, aid: str) -> Artifact:
        return Artifact(self.path(aid), self.manifest(aid))

    def path(self, aid: str) -> Path:
        return self.artifacts / aid


def plan(config: Any, root: Path, cached: Any = None) -> Plan:
    """The steps ``config``'s run asks for, up to the first one whose content it needs."""
    from heredity.experiments import EXPERIMENTS
    from heredity.runner import Runner

    store = PlannedStore(root, cached=cached)
    runner = Runner(store, quiet=True)  # type: ignore[arg-type]  # the store's interface, nothing built
    try:
        EXPERIMENTS.get(config.kind).start(config, runner)
    except (ContentNeeded, FileNotFoundError) as exc:
        missing = getattr(exc, "filename", None)
        store.plan.stopped_at = _relative(missing, store.root) if missing else str(exc)
    return store.plan


def _relative(path: str, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)
