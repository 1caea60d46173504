"""What a model descended from, read off the store's manifests: the one walk every export shares.

Exports (CycloneDX, SPDX, model card) are views of this; they never read the store themselves.
Kinds are interpreted where we know them (model, teacher, rollouts, dataset, scores) and carried
generically otherwise, so a new kind of step still shows up in every export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from heredity.errors import IntegrityError, StoreError
from heredity.store.kinds import is_adapter, role
from heredity.store.manifest import Manifest
from heredity.store.store import Store

# Relations that lead from a dataset back towards the teacher that wrote it.
DATA_UPSTREAM = ("filtered-from", "generated-from", "input", "data")
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


WROTE = "wrote the text"  # the teacher generated rollouts a dataset was filtered from
GAVE_LOGITS = "gave the logits"  # a distillation student imitated its next-token distributions


@dataclass
class TeacherLine:
    """One teacher anywhere in the ancestry, with what it did and to what."""

    teacher: Manifest  # a ``teacher`` artifact, or a model used as a teacher (a later generation)
    relation: str  # WROTE | GAVE_LOGITS | "teacher of <kind>"
    taught: Manifest  # the rollouts it wrote, or the model that imitated its logits
    model: Manifest | None  # the model that ran as the teacher (a teacher artifact's base), if another artifact
    inducer: Inducer
    datasets: list[Manifest]  # the data that carried its influence on: filtered from its text, or distilled on

    def describe(self) -> str:
        return f"{display_name(self.teacher)} ({self.teacher.id}) {self.relation} of {display_name(self.taught)} ({self.taught.id}); {self.inducer.describe()}"


@dataclass
class Pedigree:
    subject: Manifest
    base: Manifest | None
    base_relation: str | None  # adapter | finetune | same-weights (a teacher runs its base as is) | None
    data: list[DataLine]
    teachers: list[Manifest]  # teachers named directly on the subject (distillation)
    evaluations: list[Manifest]  # scores artifacts that evaluated the subject
    nodes: dict[str, Manifest] = field(default_factory=dict)  # the subject and every ancestor
    edges: list[Edge] = field(default_factory=list)  # among nodes
    missing: list[str] = field(default_factory=list)  # always empty: a missing ancestor is an error
    lineage_teachers: list[TeacherLine] = field(default_factory=list)  # every teacher in the ancestry, nearest first
    datasets: list[Manifest] = field(default_factory=list)  # every dataset in the ancestry, nearest first

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


class IncompleteLineage(IntegrityError):
    """An ancestor a document must name is missing or unreadable: no document is written (exit 1)."""


def _walk(store: Store, subject_id: str) -> tuple[dict[str, Manifest], list[Edge]]:
    """The subject and every ancestor, breadth first. An ancestor that cannot be read is an
    error naming it and the artifact that names it: an export never drops one silently."""
    nodes: dict[str, Manifest] = {}
    edges: list[Edge] = []
    named_by: dict[str, Edge] = {}
    frontier = [subject_id]
    while frontier:
        aid = frontier.pop(0)
        if aid in nodes:
            continue
        try:
            nodes[aid] = store.manifest(aid)
        except StoreError as exc:
            if aid == subject_id:
                raise
            e = named_by[aid]
            raise IncompleteLineage(f"cannot export {subject_id}: its ancestor {aid} ({e.relation} of {e.child}) is missing or unreadable: {exc}") from None
        for parent in nodes[aid].parents:
            edge = Edge(aid, parent.id, parent.relation)
            edges.append(edge)
            named_by.setdefault(parent.id, edge)
            frontier.append(parent.id)
    return nodes, edges


def pedigree(store: Store, subject_id: str) -> Pedigree:
    nodes, edges = _walk(store, subject_id)
    subject = nodes[subject_id]
    p = Pedigree(subject, None, None, [], [], [], nodes, edges)
    p.base, p.base_relation = _base(p, subject)
    p.teachers = p.parents(subject_id, "teacher") if role(subject) == "model" else []
    for dataset in p.parents(subject_id, "trained-on"):
        p.data.append(_data_line(p, dataset))
    p.lineage_teachers = _teacher_lines(p)
    p.datasets = [m for m in _nearest_first(p) if m.kind == "dataset"]
    for child, relation in store.children(subject_id):
        if relation == "evaluated":
            try:
                p.evaluations.append(store.manifest(child))
            except StoreError as exc:  # the index names it: a score that vanished is not silently left out
                raise IncompleteLineage(f"cannot export {subject_id}: its evaluation {child} is missing or unreadable: {exc}") from None
    return p


def _base(p: Pedigree, m: Manifest) -> tuple[Manifest | None, str | None]:
    """The Hub's view of a model's base: (base model, relation). A trained model is an adapter on
    (or a fine-tune of) its ``base``; a teacher runs its ``base`` model's weights unchanged, so it
    is that model's base with that model's relation, or, for a base run under a system prompt,
    the base itself with ``same-weights``. Data, scores and reports have no base model."""
    bases = p.parents(m.id, "base")
    if role(m) != "model" or not bases:
        return None, None
    if m.kind == "teacher":
        model = bases[0]
        inner, relation = _base(p, model)
        return (inner, relation) if inner is not None else (model, "same-weights")
    return bases[0], ("adapter" if is_adapter(m) else "finetune")


def _nearest_first(p: Pedigree) -> list[Manifest]:
    order, seen, frontier = [], {p.subject.id}, [p.subject.id]
    while frontier:
        aid = frontier.pop(0)
        for e in p.edges:
            if e.child == aid and e.parent not in seen:
                seen.add(e.parent)
                order.append(p.nodes[e.parent])
                frontier.append(e.parent)
    return order


def _teacher_lines(p: Pedigree) -> list[TeacherLine]:
    """Every ``teacher`` edge into the subject or its ancestors that made data or a model (an
    audit's or a screen's teacher edge is not teaching), nearest first."""
    order = {m.id: i for i, m in enumerate([p.subject, *_nearest_first(p)])}
    lines = []
    for e in sorted(p.edges, key=lambda e: (order[e.child], e.parent)):
        if e.relation != "teacher":
            continue
        taught, teacher = p.nodes[e.child], p.nodes[e.parent]
        kind = role(taught)
        if kind not in ("model", "data"):
            continue
        relation = GAVE_LOGITS if kind == "model" else WROTE
        model = next(iter(p.parents(teacher.id, "base")), None) if teacher.kind == "teacher" else None
        lines.append(TeacherLine(teacher, relation, taught, model, inducer_of(teacher, p), _carried_by(p, taught, relation)))
    return lines


def _carried_by(p: Pedigree, taught: Manifest, relation: str) -> list[Manifest]:
    if relation == GAVE_LOGITS:
        return p.parents(taught.id, "trained-on")
    found, frontier, seen = [], [taught.id], {taught.id}
    while frontier:  # down the data relations, within the ancestry, to the datasets made of this text
        aid = frontier.pop(0)
        for e in p.edges:
            if e.parent == aid and e.relation in DATA_UPSTREAM and e.child not in seen:
                seen.add(e.child)
                if p.nodes[e.child].kind == "dataset":
                    found.append(p.nodes[e.child])
                else:
                    frontier.append(e.child)
    return found


def filters_of(datasets: list[Manifest]) -> str:
    """``dataset-…: format, keyword(...)`` for each dataset, for the documents' text."""
    parts = [f"{d.id}: " + (", ".join(describe_filter(f) for f in d.recipe.get("filters") or []) or "no filters") for d in datasets]
    return "; ".join(parts) or "none recorded"


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
