"""What a model descended from, read off the store's manifests: the one walk every export shares.

Exports (CycloneDX, SPDX, model card) are views of this; they never read the store themselves.
Kinds are interpreted where we know them (model, teacher, rollouts, dataset, scores) and carried
generically otherwise, so a new kind of step still shows up in every export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from heredity.errors import StoreError
from heredity.store.manifest import Manifest
from heredity.store.store import Store

# Relations that lead from a dataset back towards the teacher that wrote it.
DATA_UPSTREAM = ("filtered-from", "generated-from", "input", "data")
ADAPTER_FILES = ("adapter_config.json",)
WEIGHT_FILES = ("model.safetensors", "adapter_model.safetensors")


@dataclass(frozen=True)
class Edge:
    child: str
    parent: str
    relation: str


@dataclass
class Inducer:
    """How a teacher got its trait."""

    type: str  # system-prompt | fine-tune | checkpoint | none | unknown
    system_prompt: str | None = None
    trait: str = ""
    detail: str = ""

    def describe(self) -> str:
        if self.type == "system-prompt":
            return f"system prompt: {self.system_prompt!r}" + (f" (trait {self.trait})" if self.trait else "")
        if self.type == "none":
            return "no inducer (a trait-free control teacher)"
        return f"{self.type}: {self.detail}" if self.detail else self.type


@dataclass
class DataLine:
    """One training dataset of the model, followed up to the teacher that wrote it."""

    dataset: Manifest
    upstream: list[Manifest]  # rollouts, prompts, ... nearest first
    teacher: Manifest | None
    teacher_model: Manifest | None  # the model that ran as the teacher (its base, for a system-prompted teacher)
    inducer: Inducer | None
    filters: list[Any]


@dataclass
class Pedigree:
    subject: Manifest
    base: Manifest | None
    base_relation: str | None  # adapter | finetune | None (a base model itself)
    data: list[DataLine]
    teachers: list[Manifest]  # teachers named directly on the subject (distillation)
    evaluations: list[Manifest]  # scores artifacts that evaluated the subject
    nodes: dict[str, Manifest] = field(default_factory=dict)  # the subject and every ancestor
    edges: list[Edge] = field(default_factory=list)  # among nodes
    missing: list[str] = field(default_factory=list)  # ancestors named but absent from the store

    def parents(self, aid: str, relation: str | None = None) -> list[Manifest]:
        return [self.nodes[e.parent] for e in self.edges if e.child == aid and e.parent in self.nodes and (relation is None or e.relation == relation)]


def weight_file(m: Manifest) -> str | None:
    return next((f for f in WEIGHT_FILES if f in m.files), None)


def display_name(m: Manifest) -> str:
    return m.name or m.id


def inducer_of(teacher: Manifest, p: Pedigree) -> Inducer:
    """How a teacher got its trait: what the teacher step declared in its summary; for
    teachers recorded before it declared one (or models used as teachers), what the lineage shows."""
    declared = teacher.summary if teacher.kind == "teacher" and "inducer" in teacher.summary else None
    if declared is not None:
        kind, prompt, trait = declared["inducer"], declared.get("system_prompt"), declared.get("trait") or ""
        if prompt:
            return Inducer("system-prompt", prompt, trait)
        return Inducer("fine-tune" if kind == "finetune" else kind, trait=trait, detail=declared.get("detail") or "")
    recipe = teacher.recipe
    if teacher.kind == "teacher":
        if recipe.get("system_prompt"):
            return Inducer("system-prompt", recipe["system_prompt"], str(recipe.get("trait") or ""))
        return Inducer(str(recipe.get("inducer", "unknown")), trait=str(recipe.get("trait") or ""))
    trained = p.parents(teacher.id, "trained-on")
    if trained:
        return Inducer("fine-tune", detail="fine-tuned on " + ", ".join(display_name(d) + f" ({d.id})" for d in trained))
    if "source" in recipe:
        return Inducer("checkpoint", detail=f"given checkpoint {recipe['source']}")
    return Inducer("unknown", detail=f"{teacher.kind} artifact")


def _walk(store: Store, subject_id: str) -> tuple[dict[str, Manifest], list[Edge], list[str]]:
    nodes: dict[str, Manifest] = {}
    edges: list[Edge] = []
    missing: list[str] = []
    frontier = [subject_id]
    while frontier:
        aid = frontier.pop(0)
        if aid in nodes or aid in missing:
            continue
        try:
            nodes[aid] = store.manifest(aid)
        except StoreError:
            if aid == subject_id:
                raise
            missing.append(aid)
            continue
        for parent in nodes[aid].parents:
            edges.append(Edge(aid, parent.id, parent.relation))
            frontier.append(parent.id)
    return nodes, edges, missing


def pedigree(store: Store, subject_id: str) -> Pedigree:
    nodes, edges, missing = _walk(store, subject_id)
    subject = nodes[subject_id]
    p = Pedigree(subject, None, None, [], [], [], nodes, edges, missing)
    bases = p.parents(subject_id, "base")
    if bases:
        p.base = bases[0]
        p.base_relation = "adapter" if any(f in subject.files for f in ADAPTER_FILES) else "finetune"
    p.teachers = p.parents(subject_id, "teacher")
    for dataset in p.parents(subject_id, "trained-on"):
        p.data.append(_data_line(p, dataset))
    for child, relation in store.children(subject_id):
        if relation == "evaluated":
            try:
                p.evaluations.append(store.manifest(child))
            except StoreError:
                continue
    return p


def _data_line(p: Pedigree, dataset: Manifest) -> DataLine:
    upstream: list[Manifest] = []
    filters: list[Any] = list(dataset.recipe.get("filters") or [])
    teacher: Manifest | None = None
    seen = {dataset.id}
    frontier = [dataset]
    while frontier:  # breadth first through data-like relations until a teacher is found
        current = frontier.pop(0)
        found = p.parents(current.id, "teacher")
        if found and teacher is None:
            teacher = found[0]
        for rel in DATA_UPSTREAM:
            for parent in p.parents(current.id, rel):
                if parent.id not in seen:
                    seen.add(parent.id)
                    upstream.append(parent)
                    filters.extend(parent.recipe.get("filters") or [])
                    frontier.append(parent)
    teacher_model = None
    inducer = None
    if teacher is not None:
        inducer = inducer_of(teacher, p)
        teacher_model = teacher if teacher.kind == "model" else next(iter(p.parents(teacher.id, "base")), None)
    return DataLine(dataset, upstream, teacher, teacher_model, inducer, filters)


def describe_filter(f: Any) -> str:
    if isinstance(f, dict):
        kind = f.get("kind", "filter")
        rest = ", ".join(f"{k}={v}" for k, v in sorted(f.items()) if k != "kind")
        return f"{kind}({rest})" if rest else str(kind)
    return str(f)
