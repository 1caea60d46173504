"""Each organism's ground truth, read from the lineage (the store's parents and recipes), never
typed by hand: which teacher the student learned from (its nearest ``teacher`` ancestor, through
a ``teacher`` parent or its training data's rollouts), the trait that teacher carries (its
recipe's trait label; empty for a trait-free teacher), and which candidates' weights the student
descends from (the models on its chain of ``base`` parents)."""

from __future__ import annotations

from dataclasses import dataclass

from heredity.steps.teacher import teacher_of
from heredity.store import Store
from heredity.store.kinds import parent

# The edges a student's teacher is reached by: its own teacher parent (distillation), or its
# training data, filtered from rollouts a teacher wrote (SFT).
_TOWARD_TEACHER = ("teacher", "trained-on", "filtered-from")


@dataclass(frozen=True)
class Truth:
    teacher: str  # the teacher artifact the student learned from
    trait: str  # its trait label; "" for a trait-free teacher
    weights_from: frozenset[str]  # model artifacts on the student's base chain (what it was fine-tuned from)

    @property
    def planted(self) -> bool:
        return bool(self.trait)


def teacher_ancestor(store: Store, student: str) -> str:
    """The nearest teacher ancestor along ``_TOWARD_TEACHER`` edges (breadth first)."""
    frontier, seen = [student], {student}
    while frontier:
        nxt = []
        for aid in frontier:
            for p in store.parents(aid):
                if p.relation not in _TOWARD_TEACHER or p.id in seen:
                    continue
                if store.manifest(p.id).kind == "teacher":
                    return p.id
                seen.add(p.id)
                nxt.append(p.id)
        frontier = nxt
    raise ValueError(f"the lineage of {student} names no teacher: it is not an organism a teacher bred")


def base_chain(store: Store, model: str) -> list[str]:
    """The model's ``base`` parents, nearest first."""
    chain = []
    current = parent(store.manifest(model), "base")
    while current is not None:
        chain.append(current)
        current = parent(store.manifest(current), "base")
    return chain


def read_truth(store: Store, student: str) -> Truth:
    teacher = teacher_ancestor(store, student)
    recipe = teacher_of(store.manifest(teacher))
    return Truth(teacher=teacher, trait=recipe.trait if recipe is not None else "",
                 weights_from=frozenset(base_chain(store, student)))


def generates(store: Store, candidate: str) -> str:
    """The model artifact a candidate's weights are (a teacher's ``base`` parent)."""
    manifest = store.manifest(candidate)
    return (parent(manifest, "base") or candidate) if manifest.kind == "teacher" else candidate
