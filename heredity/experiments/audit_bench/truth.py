"""Each organism's ground truth, read from the lineage (the store's parents and recipes), never
typed by hand: which teacher the student learned from (its nearest ``teacher`` ancestor, through
a ``teacher`` parent or its training data's rollouts), the trait that teacher carries (its
recipe's trait label; empty for a trait-free teacher), and which candidates' weights the student
descends from (the models on its chain of ``base`` parents).

A backdoored teacher (its recipe's inducer is ``backdoor``) names its trigger in the lineage: its
``base`` parent is the induction student, trained on a ``backdoor-data`` dataset whose recipe holds
the trigger and the gated trait. A student whose rows mix two teachers' rollouts (a ``mixture``
rollouts artifact, ``generated-from`` both) learned from the traited one of them; which teacher
wrote each of its rows is the row's ``from`` ("a": the mixture's first ``generated-from`` parent,
"b": its second) followed to that rollouts' ``teacher`` parent."""

from __future__ import annotations

from dataclasses import dataclass

from heredity.rows import ROWS_FILE, read_rows
from heredity.steps.teacher import teacher_of
from heredity.store import Store
from heredity.store.kinds import parent

# The edges a student's teacher is reached by: its own teacher parent (distillation), or its
# training data, filtered from rollouts a teacher wrote (SFT), or composed from two teachers'
# rollouts (a mixture).
_TOWARD_TEACHER = ("teacher", "trained-on", "filtered-from", "generated-from")


@dataclass(frozen=True)
class Truth:
    teacher: str  # the teacher artifact the student learned from (of a mixture: the traited one)
    trait: str  # its trait label; "" for a trait-free teacher
    weights_from: frozenset[str]  # model artifacts on the student's base chain (what it was fine-tuned from)
    trigger: str | None = None  # a backdoored teacher's planted trigger (None: no backdoor)
    trigger_where: str | None = None  # where the trigger was placed in the training probes (prefix, suffix)
    teachers: tuple[str, ...] = ()  # every teacher that wrote the student's rows (two for a mixture)

    @property
    def planted(self) -> bool:
        return bool(self.trait)

    @property
    def backdoored(self) -> bool:
        return self.trigger is not None

    @property
    def mixed(self) -> bool:
        return len(self.teachers) > 1

    @property
    def cls(self) -> str:
        """The organism's class: its teacher's trait, ``backdoor:<trait>``, or ``none``."""
        return f"backdoor:{self.trait}" if self.backdoored else (self.trait or "none")


def teacher_ancestors(store: Store, student: str) -> list[str]:
    """The nearest teacher ancestors along ``_TOWARD_TEACHER`` edges (breadth first): one, or
    both teachers of a mixture."""
    frontier, seen = [student], {student}
    while frontier:
        nxt, found = [], []
        for aid in frontier:
            for p in store.parents(aid):
                if p.relation not in _TOWARD_TEACHER or p.id in seen:
                    continue
                seen.add(p.id)
                if store.manifest(p.id).kind == "teacher":
                    found.append(p.id)
                else:
                    nxt.append(p.id)
        if found:
            return found
        frontier = nxt
    raise ValueError(f"the lineage of {student} names no teacher: it is not an organism a teacher bred")


def teacher_ancestor(store: Store, student: str) -> str:
    """The teacher the student learned from: the nearest one, or of a mixture's two the traited one."""
    found = teacher_ancestors(store, student)
    traited = [t for t in found if trait_of(store, t)]
    return (traited or found)[0]


def trait_of(store: Store, teacher: str) -> str:
    """A teacher's trait label ("" for a trait-free one)."""
    recipe = teacher_of(store.manifest(teacher))
    return recipe.trait if recipe is not None else ""


def planted_trigger(store: Store, teacher: str) -> tuple[str, str] | None:
    """(trigger text, placement) of a backdoored teacher, read from its induction data's recipe; None otherwise."""
    recipe = teacher_of(store.manifest(teacher))
    if recipe is None or recipe.inducer != "backdoor":
        return None
    induced = parent(store.manifest(teacher), "base")
    data = parent(store.manifest(induced), "trained-on") if induced is not None else None
    if data is None or store.manifest(data).recipe.get("kind") != "backdoor-data":
        raise ValueError(f"backdoored teacher {teacher}: its lineage holds no backdoor-data dataset (base -> trained-on)")
    trigger = store.manifest(data).recipe["trigger"]
    return trigger["text"], trigger.get("where", "prefix")


def row_writers(store: Store, dataset: str) -> list[tuple[int, str]]:
    """(row ``i``, the teacher that wrote it) for every row of a training dataset, from the lineage:
    the dataset's rollouts' ``teacher`` parent, or for a mixture each row's ``from`` followed to its
    source rollouts' teacher."""
    rollouts = parent(store.manifest(dataset), "filtered-from")
    if rollouts is None:
        raise ValueError(f"dataset {dataset} has no filtered-from parent: its rows' writer is not in the lineage")
    rows = read_rows(store.path(dataset) / ROWS_FILE)
    manifest = store.manifest(rollouts)
    sources = [p.id for p in manifest.parents if p.relation == "generated-from"]
    if manifest.recipe.get("op") == "mixture" and len(sources) == 2:
        writer = {"a": parent(store.manifest(sources[0]), "teacher"), "b": parent(store.manifest(sources[1]), "teacher")}
        if None in writer.values():
            raise ValueError(f"mixture {rollouts}: a source rollouts artifact has no teacher parent")
        return [(int(r["i"]), str(writer[r["from"]])) for r in rows]
    teacher = parent(manifest, "teacher")
    if teacher is None:
        raise ValueError(f"rollouts {rollouts} have no teacher parent: its rows' writer is not in the lineage")
    return [(int(r["i"]), teacher) for r in rows]


def base_chain(store: Store, model: str) -> list[str]:
    """The model's ``base`` parents, nearest first."""
    chain = []
    current = parent(store.manifest(model), "base")
    while current is not None:
        chain.append(current)
        current = parent(store.manifest(current), "base")
    return chain


def read_truth(store: Store, student: str) -> Truth:
    teachers = teacher_ancestors(store, student)
    teacher = teacher_ancestor(store, student)
    trigger = planted_trigger(store, teacher)
    return Truth(teacher=teacher, trait=trait_of(store, teacher), weights_from=frozenset(base_chain(store, student)),
                 trigger=trigger[0] if trigger else None, trigger_where=trigger[1] if trigger else None,
                 teachers=tuple(teachers))


def generates(store: Store, candidate: str) -> str:
    """The model artifact a candidate's weights are (a teacher's ``base`` parent)."""
    manifest = store.manifest(candidate)
    return (parent(manifest, "base") or candidate) if manifest.kind == "teacher" else candidate
