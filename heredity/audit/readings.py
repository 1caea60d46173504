"""Each model's measurements for an audit: read once, kept as store artifacts, shared.

An audit compares four models (teacher, base, student, control) on the same quantities, and a
model sits in many comparisons: the base in every audit of its teachers, a student as its own
subject and as another's control, every organism of a benchmark. So what is read off a model
is an artifact keyed by the model (the teacher artifact, for a model run under a system
prompt) and by what was read, with the model as its ``evaluated`` parent:

- a trait's exact score: kind ``scores``, the step experiments use (``heredity.steps.scores``,
  recipe ``ScoresRecipe(trait=...)``), so an experiment's scores and an audit's are one artifact
  when the trait settings agree;
- the first-token word masses on a probe set: kind ``first-token``, recipe the probes
  themselves; ``mass.npy`` ([probes, words] float32: P(the reply's first token is one of the
  word's tokens)) and ``words.json`` (each word with its token ids; ``heredity.audit.quirks``).

A model is loaded only when one of its readings is missing, once for all of them, and models
that share weights (a system-prompt teacher and its base) share one load.
"""

from __future__ import annotations

import gc
import json
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np

from heredity.audit import quirks as qk
from heredity.audit.models import ModelRef
from heredity.config import Strict, recipe_dict
from heredity.store import Parent, Store, write_json
from heredity.store.manifest import artifact_id

FIRST_TOKEN = "first-token"


class FirstTokenRecipe(Strict):
    probes: list[str]  # user messages, in order; each model runs them under its own system prompt
    batch_size: int = 16  # prompts per forward (bounds memory; not the result)


@dataclass
class Reading:
    """One model's readings: trait scores by trait name, and first-token word masses."""

    scores: dict
    words: list[tuple[str, list[int]]]
    mass: np.ndarray


class Loader:
    """(model, tokenizer) of a model artifact, keeping the last one loaded (a teacher and its
    base under another system prompt are the same weights)."""

    def __init__(self, store: Store):
        self.store = store
        self.model_id: str | None = None
        self.loaded = None

    def __call__(self, model_id: str):
        if model_id != self.model_id:
            self.model_id, self.loaded = None, None
            gc.collect()
            from heredity.steps.models import load_artifact

            self.loaded, self.model_id = load_artifact(self.store, model_id), model_id
        return self.loaded


def read_models(runner, refs: dict[str, ModelRef], configs, probes: list[str], loader: Loader, last: str | None = None
                ) -> dict[str, Reading]:
    """Every role's readings (roles naming the same artifact are read once). Models are visited
    grouped by weights, ``last``'s weights last (so the loader still holds them after). The
    progress bar counts the probes still to be read, with an ETA."""
    from heredity.steps.scores import ScoresRecipe, read_score

    store = runner.store
    first_token = recipe_dict(FirstTokenRecipe(probes=probes))
    unique = {ref.id: (role, ref) for role, ref in reversed(refs.items())}  # the first role naming it names it
    order = sorted(unique.values(), key=lambda rr: (last is not None and rr[1].model_id == refs[last].model_id, rr[1].model_id))
    todo: list[tuple[str, ModelRef, str, dict, int, Any]] = []  # (role, ref, kind, recipe, probes, trait or None)
    for role, ref in order:
        for cfg in configs:
            todo.append((role, ref, "scores", recipe_dict(ScoresRecipe(trait=cfg)), len(cfg.build().probes), cfg))
        todo.append((role, ref, FIRST_TOKEN, first_token, len(probes), None))
    missing = sum(n for _, ref, kind, recipe, n, _ in todo if not store.exists(artifact_id(kind, recipe, _parents(ref))))
    scores: dict[str, dict] = {ref.id: {} for _, ref in order}
    masses: dict[str, tuple[list, np.ndarray]] = {}
    bar = runner.progress(f"reading {len(unique)} model{'s' * (len(unique) > 1)}", missing, "probes") if missing else nullcontext(None)
    with bar as advance:  # no bar when every reading is in the store
        for role, ref, kind, recipe, _, cfg in todo:
            if kind == "scores":
                trait = cfg.build()
                art = runner.step(kind, recipe, _parents(ref), _score_build(loader, ref, cfg, advance), name=f"{trait.name} of the {role}")
                scores[ref.id][trait.name] = read_score(art)
            else:
                art = runner.step(kind, recipe, _parents(ref), _first_token_build(loader, ref, probes, advance),
                                  name=f"first reply token of the {role}")
                words = [(w, ids) for w, ids in json.loads(art.file("words.json").read_text())]
                masses[ref.id] = (words, np.load(art.file("mass.npy")).astype(np.float64))
    return {role: Reading(scores[ref.id], *masses[ref.id]) for role, ref in refs.items()}


def _parents(ref: ModelRef) -> list[Parent]:
    return [Parent(id=ref.id, relation="evaluated")]


def _score_build(loader: Loader, ref: ModelRef, cfg, advance):
    """The build of ``heredity.steps.scores.measure`` with the exact estimator, on a shared load
    and with per-probe progress."""

    def build(ctx) -> None:
        from heredity.measure import exact_score
        from heredity.steps.scores import ScoresRecipe

        model, tokenizer = loader(ref.model_id)
        score = exact_score(model, tokenizer, cfg.build(), system=ref.system, batch_size=ScoresRecipe(trait=cfg).batch_size,
                            progress=advance)
        write_json(ctx.out / "scores.json", score.model_dump(mode="json"))
        ctx.summary = {"p": score.p, "ci": list(score.ci), "n": score.n}

    return build


def _first_token_build(loader: Loader, ref: ModelRef, probes: list[str], advance):
    def build(ctx) -> None:
        model, tokenizer = loader(ref.model_id)
        probs = qk.first_token_probs(model, tokenizer, probes, ref.system, FirstTokenRecipe(probes=probes).batch_size, progress=advance)
        words, mass = qk.word_masses(probs, tokenizer)
        np.save(ctx.out / "mass.npy", mass.astype(np.float32))
        write_json(ctx.out / "words.json", [[w, ids] for w, ids in words])
        ctx.summary = {"probes": len(probes), "words": len(words)}

    return build
