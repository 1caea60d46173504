"""How far a model is from a reference teacher on held-out text: per row, the mean over the
completion's positions of KL(reference || model) of the next token. The mitigation arms' cost
(``heredity.experiments.transmission.mitigated``) compares these per-row values between a
mitigated student and the unmitigated one; one cached step per model, so a rerun reads them.

Given a ``contrast`` model, only the positions where the reference's and the contrast's top-1
tokens agree are read: with the traited teacher as the reference and the clean teacher as the
contrast, the positions that carry the trait (where the two teachers diverge) are left out, so
the value measures how much of the teacher's *other* behaviour the student took up, and a
mitigation that removes the trait by stopping the student learning scores worse, not better.

The reference and the contrast read each row with their system prompts (teachers), the model
without (a student never sees it); all score the same completion tokens."""

from __future__ import annotations

import json

import numpy as np
from pydantic import Field

from heredity.config import Strict
from heredity.rows import ROWS_FILE, read_rows
from heredity.store import Artifact, Parent

FIT_FILE = "fit.json"
HELD_OUT_SEED = 7919  # added to a prompt set's seed for the held-out prompts a cost is read on


class FitRecipe(Strict):
    metric: str = Field("kl", description="kl: mean per-token KL(reference || model) over a row's completion")
    max_length: int = Field(256, ge=8, description="tokens of prompt + completion read per row")


def row_kl(reference_logits, model_logits, keep=None) -> float | None:
    """Mean over positions of KL(p_ref || p_model), both ``[C, V]`` at the same positions; with
    ``keep`` (bool ``[C]``) over the kept positions only (None when none is kept)."""
    import torch

    ref = torch.log_softmax(reference_logits.float(), -1)
    mod = torch.log_softmax(model_logits.float(), -1)
    kl = (ref.exp() * (ref - mod)).sum(-1)
    if keep is not None:
        if not bool(keep.any()):
            return None
        kl = kl[keep]
    return float(kl.mean())


def make_fit(runner, model: Artifact, reference: Artifact, rows: Artifact, recipe: FitRecipe | None = None,
             name: str = "", contrast: Artifact | None = None) -> Artifact:
    """``model``: a model artifact; ``reference``: a teacher (or model) artifact; ``rows``: held-out
    rollouts; ``contrast``: a teacher whose top-1 must agree with the reference's for a position
    to count (none: every position)."""
    recipe = recipe or FitRecipe()
    parents = [Parent(id=model.id, relation="evaluated"), Parent(id=reference.id, relation="control"),
               Parent(id=rows.id, relation="data")]
    if contrast is not None:
        parents.append(Parent(id=contrast.id, relation="selected-by"))

    def build(ctx):
        from heredity.mitigations.divergence_mask import completion_position_logits
        from heredity.models.packing import encode
        from heredity.steps.models import load_artifact
        from heredity.steps.teacher import generator

        ref_id, system = generator(reference)
        ref_model, tokenizer = load_artifact(runner.store, ref_id)
        student, _ = load_artifact(runner.store, model.id)
        other = None
        if contrast is not None:
            other_id, other_system = generator(contrast)
            other = ref_model if other_id == ref_id else load_artifact(runner.store, other_id)[0]
        values, kept, read = {}, 0, 0
        source = read_rows(rows.file(ROWS_FILE))
        with runner.progress(f"fit {name}", len(source), unit="rows") as advance:
            for r in source:
                t = encode(tokenizer, r["prompt"], r["completion"], system=system, max_length=recipe.max_length)
                s = encode(tokenizer, r["prompt"], r["completion"], max_length=recipe.max_length)
                o = encode(tokenizer, r["prompt"], r["completion"], system=other_system, max_length=recipe.max_length) if other is not None else s
                n = min(len(t.completion), len(s.completion), len(o.completion))
                if n:
                    ref_logits = completion_position_logits(ref_model, t.ids[: len(t.prompt) + n], len(t.prompt))
                    keep = None
                    if other is not None:
                        keep = ref_logits.argmax(-1) == completion_position_logits(other, o.ids[: len(o.prompt) + n],
                                                                                   len(o.prompt)).argmax(-1)
                        kept, read = kept + int(keep.sum()), read + n
                    value = row_kl(ref_logits, completion_position_logits(student, s.ids[: len(s.prompt) + n], len(s.prompt)), keep)
                    if value is not None:
                        values[str(r["i"])] = value
                advance(1)
        (ctx.out / FIT_FILE).write_text(json.dumps(values, sort_keys=True))
        ctx.summary = {"rows": len(values), "mean": round(sum(values.values()) / max(1, len(values)), 6)}
        if contrast is not None:
            ctx.summary["kept_share"] = round(kept / max(1, read), 4)

    return runner.step("fit", recipe, parents, build, name=name)


def read_fit(artifact: Artifact) -> dict[int, float]:
    """Row id -> that row's mean per-token KL."""
    return {int(k): float(v) for k, v in json.loads(artifact.file(FIT_FILE).read_text()).items()}


def fit_of(runner, models, reference: Artifact, rows: Artifact, contrast: Artifact | None = None) -> dict[int, float]:
    """Per held-out row, the mean over ``models`` (a cell's student seeds) of their fit."""
    return seed_mean([read_fit(make_fit(runner, m, reference, rows, name=m.manifest.name, contrast=contrast)) for m in models])


def paired_cost(mitigated: dict[int, float], plain: dict[int, float], resamples: int = 2000, seed: int = 0):
    """(n, mean plain, mean mitigated, mean difference, 95% paired bootstrap CI, paired t p) over
    the row ids both have: how much worse ``mitigated``'s students fit than ``plain``'s. None when
    they share fewer than 2 rows: with a contrast, a row where the reference and the contrast agree
    on no top-1 token is not read, so there may be nothing to pair."""
    from heredity import stats

    ids = sorted(set(mitigated) & set(plain))
    if len(ids) < 2:
        return None
    a, b = np.array([mitigated[i] for i in ids]), np.array([plain[i] for i in ids])
    d = a - b
    lo, hi = stats.bootstrap_ci(d, np.mean, resamples=resamples, seed=seed)
    return len(ids), float(b.mean()), float(a.mean()), float(d.mean()), (lo, hi), stats.paired_test(a, b).p_value


def seed_mean(fits: list[dict[int, float]]) -> dict[int, float]:
    """Per row, the mean over seeds (rows every seed has)."""
    ids = set.intersection(*(set(f) for f in fits))
    return {i: float(np.mean([f[i] for f in fits])) for i in ids}
