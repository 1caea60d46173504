"""How far a model is from a reference teacher on held-out text: per row, the mean over the
completion's positions of KL(reference || model) of the next token. The mitigation arms' cost
(``heredity.experiments.transmission.mitigated``) compares these per-row values between a
mitigated student and the unmitigated one; one cached step per model, so a rerun reads them.

The reference reads each row with its system prompt (a teacher), the model without (a student
never sees it); both score the same completion tokens."""

from __future__ import annotations

import json

from pydantic import Field

from heredity.config import Strict
from heredity.rows import ROWS_FILE, read_rows
from heredity.store import Artifact, Parent

FIT_FILE = "fit.json"


class FitRecipe(Strict):
    metric: str = Field("kl", description="kl: mean per-token KL(reference || model) over a row's completion")
    max_length: int = Field(256, ge=8, description="tokens of prompt + completion read per row")


def row_kl(reference_logits, model_logits) -> float:
    """Mean over positions of KL(p_ref || p_model), both ``[C, V]`` at the same positions."""
    import torch

    ref = torch.log_softmax(reference_logits.float(), -1)
    mod = torch.log_softmax(model_logits.float(), -1)
    return float((ref.exp() * (ref - mod)).sum(-1).mean())


def make_fit(runner, model: Artifact, reference: Artifact, rows: Artifact, recipe: FitRecipe | None = None,
             name: str = "") -> Artifact:
    """``model``: a model artifact; ``reference``: a teacher (or model) artifact; ``rows``: held-out rollouts."""
    recipe = recipe or FitRecipe()
    parents = [Parent(id=model.id, relation="evaluated"), Parent(id=reference.id, relation="control"),
               Parent(id=rows.id, relation="data")]

    def build(ctx):
        from heredity.mitigations.divergence_mask import completion_position_logits
        from heredity.models.packing import encode
        from heredity.steps.models import load_artifact
        from heredity.steps.teacher import generator

        ref_id, system = generator(reference)
        ref_model, tokenizer = load_artifact(runner.store, ref_id)
        student, _ = load_artifact(runner.store, model.id)
        values = {}
        source = read_rows(rows.file(ROWS_FILE))
        with runner.progress(f"fit {name}", len(source), unit="rows") as advance:
            for r in source:
                t = encode(tokenizer, r["prompt"], r["completion"], system=system, max_length=recipe.max_length)
                s = encode(tokenizer, r["prompt"], r["completion"], max_length=recipe.max_length)
                n = min(len(t.completion), len(s.completion))
                if n:
                    values[str(r["i"])] = row_kl(completion_position_logits(ref_model, t.ids[: len(t.prompt) + n], len(t.prompt)),
                                                 completion_position_logits(student, s.ids[: len(s.prompt) + n], len(s.prompt)))
                advance(1)
        (ctx.out / FIT_FILE).write_text(json.dumps(values, sort_keys=True))
        ctx.summary = {"rows": len(values), "mean": round(sum(values.values()) / max(1, len(values)), 6)}

    return runner.step("fit", recipe, parents, build, name=name)


def read_fit(artifact: Artifact) -> dict[int, float]:
    """Row id -> that row's mean per-token KL."""
    return {int(k): float(v) for k, v in json.loads(artifact.file(FIT_FILE).read_text()).items()}
