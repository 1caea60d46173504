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

from typing import Final, Literal

import numpy as np

from heredity.audit.models import ModelRef, default_base, resolve
from heredity.config import Strict
from heredity.errors import ConfigError
from heredity.models.chat import render
from heredity.results import RESULTS, Results
from heredity.rows import ROWS_FILE, read_rows, write_rows
from heredity.store import Artifact, Parent, Store, write_json

SCHEMA_VERSION: Final = 1
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
    """``runner``: shows and times the step and its progress bar (an experiment's, the CLI's;
    None: a quiet one)."""
    if runner is None:
        from heredity.runner import Runner

        runner = Runner(store, quiet=True)
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
        scored, results = run_screen(runner, rows, t, b, settings, log)
        results = results.model_copy(update={"dataset": data_id})
        write_rows(ctx.out / ROWS_FILE, scored)
        write_json(ctx.out / "results.json", results.model_dump(mode="json"))
        (ctx.out / "report.md").write_text(report_md(scored, results))
        ctx.summary = {"rows": len(rows), "flagged": len(results.flagged), "by": settings.by}

    return runner.step("screen", settings.model_dump(mode="json"), parents, build, name=f"screen of {data_id}")


def _dataset(store: Store, spec: str) -> str:
    from heredity.audit.models import _find

    aid = _find(store, spec)
    if aid is None or not (store.path(aid) / ROWS_FILE).is_file():
        what = "no artifact in the store" if aid is None else f"a {store.manifest(aid).kind} without {ROWS_FILE}"
        raise ConfigError(f"DATASET {spec!r} is {what}; accepted: a dataset or rollouts artifact (id or unique prefix)")
    return aid


def run_screen(runner, rows: list[dict], t: ModelRef, b: ModelRef, settings: ScreenRecipe, log) -> tuple[list[dict], ScreenResults]:
    """Three reads, each batched: the rows under the teacher (log-likelihoods), the rows under the
    base (log-likelihoods and activations, one pass), the direction probes (two batches)."""
    from heredity.audit.readings import Loader
    from heredity.models.teacher_forced import completion_reads

    load = Loader(runner.store)
    probes = _direction_probes(settings)
    read = dict(batch_size=settings.batch_size, max_length=settings.max_length)
    with runner.progress(f"screening {len(rows)} rows", 2 * len(rows) + 2 * len(probes), "rows") as advance:
        teacher_model, tokenizer = load(t.model_id)
        layers = teacher_model.config.num_hidden_layers
        layer = settings.layer if settings.layer is not None else layers // 2
        if not 0 <= layer <= layers:
            raise ConfigError(f"layer: must be between 0 and {layers} for this model (got {layer})")
        log(f"teacher {t.id}: completion log-likelihoods")
        lp_t, _ = completion_reads(teacher_model, tokenizer, rows, system=t.system, progress=advance, **read)
        if t.system is not None:  # the direction: the teacher's system prompt minus none, on the teacher's weights
            direction = last_hidden(teacher_model, tokenizer, probes, t.system, layer, progress=advance)
            direction -= last_hidden(teacher_model, tokenizer, probes, None, layer, progress=advance)
        else:  # a fine-tuned teacher: its states minus the base's
            direction = last_hidden(teacher_model, tokenizer, probes, None, layer, progress=advance)
        base_model, _ = load(b.model_id)  # the same weights, for a system-prompt teacher: no second load
        if t.system is None:
            direction -= last_hidden(base_model, tokenizer, probes, b.system, layer, progress=advance)
        log(f"base {b.id}: completion log-likelihoods and activations")
        lp_b, acts = completion_reads(base_model, tokenizer, rows, system=b.system, layer=layer, progress=advance, **read)
        if acts is None:  # completion_reads returns states whenever it is given a layer
            raise RuntimeError(f"no layer-{layer} states came back for base {b.id}")
    norm = float(np.linalg.norm(direction))
    unit = direction / norm if norm > 0 else direction
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


def last_hidden(model, tokenizer, prompts: list[str], system: str | None, layer: int, batch_size: int = 16,
                progress=None) -> np.ndarray:
    """Mean over prompts of the hidden state at ``layer`` at the reply's first position (the
    rendered prompt's last token); ``batch_size`` prompts per right-padded forward (a real token
    never sees a pad, so each row's states are its own). ``progress(n)``: prompts done."""
    import torch

    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ids = [tokenizer(render(tokenizer, p, system), add_special_tokens=False).input_ids for p in prompts]
    total = np.zeros(model.config.hidden_size)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for lo in range(0, len(ids), max(1, batch_size)):
                chunk = ids[lo : lo + batch_size]
                lens = torch.tensor([len(x) for x in chunk])
                tokens = torch.full((len(chunk), int(lens.max())), pad, dtype=torch.long)
                for r, x in enumerate(chunk):
                    tokens[r, : len(x)] = torch.tensor(x)
                mask = (torch.arange(tokens.shape[1])[None, :] < lens[:, None]).long()
                hidden = model(input_ids=tokens.to(device), attention_mask=mask.to(device), output_hidden_states=True,
                               logits_to_keep=1).hidden_states[layer]
                total += hidden[torch.arange(len(chunk), device=device), (lens - 1).to(device)].double().sum(dim=0).cpu().numpy()
                if progress:
                    progress(len(chunk))
    finally:
        model.train(was_training)
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
