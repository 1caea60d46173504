"""Step kinds and lineage relations, declared once: the steps write them, the lineage views
and the exporters (CycloneDX, SPDX, model card) read them from here.

A step kind's *role* says what an exporter should call it: a ``model`` (weights or a model plus
an inducer), ``data`` (rows a model wrote or will learn from), an ``evaluation``, or a
``report``. A relation names what the parent is to the child.
"""

from __future__ import annotations

from typing import Literal

from heredity.store.manifest import Manifest

Role = Literal["model", "data", "evaluation", "report", "other"]

KINDS: dict[str, Role] = {
    "model": "model",        # weights: an imported base, a student, a fine-tuned inducer
    "teacher": "model",      # a model plus its inducer (system prompt, or none)
    "prompts": "data",       # a task's seeded prompt set
    "rollouts": "data",      # a teacher's completions of a prompt set
    "dataset": "data",       # rollouts after filters: what a student learns from
    "scores": "evaluation",  # a trait measured on a model or teacher
    "report": "report",      # an experiment's results.json, report.md and figures
    "data": "data",          # an external data set brought into the store (MNIST digits)
    "row-scores": "evaluation",  # per-row scores of how much a teacher's rows carry a behaviour
    "screen": "evaluation",  # a dataset's rows scored for a teacher's signature (heredity screen)
    "audit": "report",       # a teacher fingerprinted and a student scanned (heredity audit)
    "first-token": "evaluation",  # a model's first reply token on a probe set, as word masses (heredity audit)
    "paraphrase": "data",    # rows whose completions a trait-free model rewrote, prompts kept (heredity.mitigations)
    "mitigated": "data",     # rows a mitigation chose or composed (adversarial filter, ensemble) (heredity.mitigations)
    "fit": "evaluation",     # a model's per-row KL from a reference teacher on held-out text (a mitigation's cost)
}

RELATIONS: dict[str, str] = {
    "base": "the model this one starts from (weights or a LoRA adapter over it)",
    "teacher": "the teacher whose outputs or logits this was made from",
    "trained-on": "the dataset a model was trained on",
    "filtered-from": "the rollouts a dataset was filtered from",
    "generated-from": "what a generated artifact was generated from",
    "evaluated": "the model or teacher a score measures",
    "input": "prompts a teacher answered, or scores a report summarises",
    "data": "the data an evaluation used",
    "control": "the clean model a comparison is made against",
    "selected-by": "the screen that chose which rows a derived dataset drops",
}

ADAPTER_FILES = ("adapter_config.json",)


def role(manifest: Manifest) -> Role:
    """What an artifact is, for exporters: by its kind, else by its files (rows are data)."""
    known = KINDS.get(manifest.kind)
    if known is not None:
        return known
    return "data" if "rows.jsonl" in manifest.files else "other"


def parent(manifest: Manifest, relation: str) -> str | None:
    """The id of the first parent held in ``relation`` (e.g. a model's ``base``), or None."""
    return next((p.id for p in manifest.parents if p.relation == relation), None)


def is_adapter(manifest: Manifest) -> bool:
    return any(name in manifest.files for name in ADAPTER_FILES)
