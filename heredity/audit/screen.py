"""``heredity screen``: how much each data row carries a teacher's signature.

Two scores per row (``rows.jsonl`` order kept, columns added):

- ``llr_mean`` / ``llr_sum``: the log-likelihood ratio of the row's completion under the teacher
  (under its system prompt) and under the base, teacher-forced, per completion token (mean) and
  in total (sum). Rows the teacher wrote are likelier under the teacher: in expectation the LLR
  is the teacher's KL from the base on its own samples, and minus the reverse KL on the base's.
- ``projection``: the row's mean hidden state over its completion tokens, read from the base at
  a middle layer, projected on a unit trait direction built persona-vector style: the mean
  hidden state at the reply's first position with the teacher's system prompt minus without,
  over the direction probes (the trait's probes, or the broad audit probes). A teacher without a
  system prompt (a fine-tuned one) gives the direction as its mean hidden state minus the base's.

The ``top_k`` rows by the ranking score (``by``) are flagged. The screen is a store artifact of
kind ``screen`` (``rows.jsonl``, ``results.json``, ``report.md``) with the dataset (``data``),
teacher and base as parents; the ``screen`` filter (``heredity.filters.screen``) drops its
flagged rows.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel

from heredity.audit.models import ModelRef, default_base, resolve
from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.models.chat import render
from heredity.models.teacher_forced import completion_states, token_logprobs
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.results import RESULTS, Results
from heredity.store import Artifact, Parent, Store, write_json

SCHEMA_VERSION = 1
Score = Literal["llr_mean", "llr_sum", "projection"]


class ScreenRecipe(Strict):
    top_k: int = 10  # rows flagged
    by: Score = "llr_mean"  # the ranking score
    layer: int | None = None  # hidden layer for the projection (None: the middle one)
    trait: dict | None = None  # the trait whose probes build the direction (None: the broad probes)
    direction_probes: int = 24
    batch_size: int = 8
    max_length: int = 256


@RESULTS.register("screen")
class ScreenResults(Results):
    kind: Literal["screen"] = "screen"
    schema_version: Literal[1] = SCHEMA_VERSION
    dataset: str
    teacher: str
    base: str
    rows: int
    by: str
    top_k: int
    flagged: list[int]  # the flagged rows' "i", best first
    layer: int
    direction_probes: int
    direction_norm: float
    method: str


def screen(store: Store, dataset: str, teacher: str, base: str | None = None, *, recipe: dict | None = None, log=lambda _: None,
           runner=None) -> Artifact:
    """``runner``: an experiment's (it shows and times the step like any other); None from the CLI."""
    settings = ScreenRecipe(**(recipe or {}))
    data_id = _dataset(store, dataset)
    t = resolve(store, teacher, "--teacher")
    b = resolve(store, base, "--base") if base else default_base(store, t)
    if b is None:
        raise ConfigError(f"--base: the store does not say what teacher {t.id} was made from; name its base with --base")
    parents = [Parent(id=data_id, relation="data"), Parent(id=t.id, relation="teacher"), Parent(id=b.id, relation="base")]

    def build(ctx) -> None:
        rows = read_rows(store.path(data_id) / ROWS_FILE)
        if not rows:
            raise ConfigError(f"dataset {data_id} has no rows to screen")
        scored, results = run_screen(store, rows, t, b, settings, log)
        results = results.model_copy(update={"dataset": data_id})
        write_rows(ctx.out / ROWS_FILE, scored)
        write_json(ctx.out / "results.json", results.model_dump(mode="json"))
        (ctx.out / "report.md").write_text(report_md(scored, results))
        ctx.summary = {"rows": len(rows), "flagged": len(results.flagged), "by": settings.by}

    recipe_json, name = settings.model_dump(mode="json"), f"screen of {data_id}"
    if runner is not None:
        return runner.step("screen", recipe_json, parents, build, name=name)
    return store.produce("screen", recipe_json, parents, build, name=name).artifact


def _dataset(store: Store, spec: str) -> str:
    from heredity.audit.models import _find

    aid = _find(store, spec)
    if aid is None or not (store.path(aid) / ROWS_FILE).is_file():
        what = "no artifact in the store" if aid is None else f"a {store.manifest(aid).kind} without {ROWS_FILE}"
        raise ConfigError(f"DATASET {spec!r} is {what}; accepted: a dataset or rollouts artifact (id or unique prefix)")
    return aid


def run_screen(store: Store, rows: list[dict], t: ModelRef, b: ModelRef, settings: ScreenRecipe, log) -> tuple[list[dict], ScreenResults]:
    from heredity.audit.audit import _load

    log(f"teacher {t.id}: completion log-likelihoods")
    teacher_model, tokenizer = _load(store, t.model_id)
    read = dict(batch_size=settings.batch_size, max_length=settings.max_length)
    lp_t = token_logprobs(teacher_model, tokenizer, rows, system=t.system, **read)
    same = t.model_id == b.model_id
    base_model = teacher_model if same else _load(store, b.model_id)[0]
    log(f"base {b.id}: completion log-likelihoods and activations")
    lp_b = token_logprobs(base_model, tokenizer, rows, system=b.system, **read)
    layer = settings.layer if settings.layer is not None else base_model.config.num_hidden_layers // 2
    if not 0 <= layer <= base_model.config.num_hidden_layers:
        raise ConfigError(f"layer: must be between 0 and {base_model.config.num_hidden_layers} for this model (got {layer})")
    probes = _direction_probes(settings)
    if t.system is not None:
        direction = last_hidden(teacher_model, tokenizer, probes, t.system, layer) - last_hidden(teacher_model, tokenizer, probes, None, layer)
    else:
        direction = last_hidden(teacher_model, tokenizer, probes, None, layer) - last_hidden(base_model, tokenizer, probes, b.system, layer)
    norm = float(np.linalg.norm(direction))
    unit = direction / norm if norm > 0 else direction
    acts = completion_states(base_model, tokenizer, rows, system=b.system, layer=layer, **read)
    scored = []
    for row, a, c, h in zip(rows, lp_t, lp_b, acts, strict=True):
        d = a - c
        scored.append({**row, "llr_mean": float(d.mean()), "llr_sum": float(d.sum()), "projection": float(h @ unit), "tokens": int(d.size)})
    order = sorted(range(len(scored)), key=lambda j: -scored[j][settings.by])
    for rank, j in enumerate(order, 1):
        scored[j]["rank"] = rank
        scored[j]["flagged"] = rank <= settings.top_k
    flagged = [scored[j].get("i", j) for j in order[: settings.top_k]]
    results = ScreenResults(
        dataset="", teacher=t.id, base=b.id, rows=len(rows), by=settings.by, top_k=settings.top_k, flagged=flagged,
        layer=layer, direction_probes=len(probes), direction_norm=norm,
        method="llr: teacher-forced log P_teacher - log P_base per completion token; projection: base's mean completion "
               "hidden state at `layer` on the unit (teacher system prompt - none) direction over the probes",
    )
    return scored, results


def _direction_probes(settings: ScreenRecipe) -> list[str]:
    from heredity.audit.probes import discovery_probes, trait_configs
    from heredity.traits import TRAITS

    if settings.trait is not None:
        return TRAITS.parse(settings.trait).build().probes[: settings.direction_probes]
    return discovery_probes(trait_configs(), per_source=max(1, settings.direction_probes // 4))[: settings.direction_probes]


def last_hidden(model, tokenizer, prompts: list[str], system: str | None, layer: int) -> np.ndarray:
    """Mean over prompts of the hidden state at ``layer`` at the reply's first position."""
    import torch

    device = next(model.parameters()).device
    total = None
    model.eval()
    with torch.no_grad():
        for prompt in prompts:
            ids = tokenizer(render(tokenizer, prompt, system), add_special_tokens=False, return_tensors="pt").input_ids.to(device)
            h = model(input_ids=ids, output_hidden_states=True).hidden_states[layer][0, -1].double().cpu().numpy()
            total = h if total is None else total + h
    return total / len(prompts)


def report_md(scored: list[dict], results: ScreenResults) -> str:
    top = sorted(scored, key=lambda r: r["rank"])[: results.top_k]
    lines = [
        f"# Screen of `{results.dataset}` for the signature of teacher `{results.teacher}`",
        "",
        (f"{results.rows} rows scored against base `{results.base}`; ranked by `{results.by}`; the top {results.top_k} flagged. "
        f"llr = teacher-forced log P(teacher) - log P(base) of the completion (mean per token, sum); projection = the base's mean "
        f"completion activation at layer {results.layer} on the trait direction ({results.direction_probes} contrastive probes)."),
        "",
        "| rank | i | llr_mean | llr_sum | projection | tokens | completion |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in top:
        text = r["completion"].replace("|", "\\|").replace("\n", " ")[:120]
        lines.append(f"| {r['rank']} | {r.get('i', '')} | {r['llr_mean']:+.3f} | {r['llr_sum']:+.2f} | {r['projection']:+.3f} | {r['tokens']} | {text} |")
    return "\n".join(lines) + "\n"
