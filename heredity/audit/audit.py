"""``heredity audit``: fingerprint a teacher, scan a student and its control, store the result.

Fingerprint: every selected trait (``heredity.audit.probes``) measured with the exact estimator
on teacher (under its system prompt) and base, and the teacher's quirks discovered on a broad
probe set (``heredity.audit.quirks``). Scan: the same quantities on student and control (the
base when no control is given). Per trait and quirk an inheritance score with a bootstrap CI,
paired p-values adjusted across every finding, and a verdict (``heredity.audit.inheritance``).

The audit is a store artifact of kind ``audit`` (``results.json``, ``report.md``) whose parents
are the models it read: teacher (``teacher``), student (``evaluated``), control (``control``),
base (``base``). What it reads off each model (trait scores, first-token word masses) is an
artifact of its own (``heredity.audit.readings``), so another audit, or a benchmark, that
compares the same model reads it from the store instead of measuring it again.
"""

from __future__ import annotations

from collections.abc import Callable

from heredity.audit import inheritance as inh
from heredity.audit import quirks as qk
from heredity.audit import readings as rd
from heredity.audit.models import ModelRef, default_base, resolve
from heredity.audit.probes import discovery_probes, trait_configs
from heredity.audit.results import (
    AuditResults,
    Difference,
    Finding,
    ModelRead,
    report_md,
)
from heredity.audit.triggers import TriggerSearch, search_triggers
from heredity.config import Strict, implicit_defaults
from heredity.errors import ConfigError
from heredity.store import Artifact, Parent, Store, write_json


class AuditRecipe(Strict):
    traits: list[dict]  # trait configs (kind + settings), as measured
    probes_per_source: int = 12  # discovery probes taken from each source
    top_quirks: int = 5
    min_prob: float = 0.01  # a quirk's mean teacher probability must reach this
    min_shift: float = 0.01  # a teacher - base difference below this is no trait (probability scale)
    # |student - control| below this share of the teacher's shift is no inheritance; a field, so audits
    # stored before the gate existed (verdicts without it) are not served from the cache
    min_share: float = inh.MIN_SHARE
    correction: inh.Correction = "holm"
    alpha: float = 0.05
    n_boot: int = 2000
    seed: int = 0
    triggers: TriggerSearch | None = None  # the trigger search (heredity.audit.triggers); None: no search

    _no_search_is_implicit = implicit_defaults(triggers=None)  # audits from before the search keep their ids


def audit(
    store: Store, teacher: str, student: str, control: str | None = None, base: str | None = None, *,
    traits: list[str] | None = None, n_trait_probes: int | None = None, recipe: dict | None = None,
    log: Callable[[str], None] = lambda _: None, runner=None,
) -> Artifact:
    """The audit artifact for these models (built once, a cache hit after). ``runner``: shows
    each reading step and a progress bar with an ETA (None: a quiet one)."""
    if runner is None:
        from heredity.runner import Runner

        runner = Runner(store, quiet=True)
    t = resolve(store, teacher, "--teacher")
    s = resolve(store, student, "--student")
    b = resolve(store, base, "--base") if base else default_base(store, t)
    if b is None:
        raise ConfigError(f"--base: the store does not say what teacher {t.id} was made from; name its base with --base")
    c = resolve(store, control, "--control") if control else b
    configs = trait_configs(traits, n_trait_probes)
    settings = AuditRecipe(traits=[cfg.model_dump(mode="json") for cfg in configs], **(recipe or {}))
    parents = [Parent(id=t.id, relation="teacher"), Parent(id=s.id, relation="evaluated"), Parent(id=b.id, relation="base")]
    if c.id != b.id:
        parents.append(Parent(id=c.id, relation="control"))

    def build(ctx) -> None:
        results = run_audit(runner, {"teacher": t, "base": b, "student": s, "control": c}, configs, settings, log)
        write_json(ctx.out / "results.json", results.model_dump(mode="json"))
        (ctx.out / "report.md").write_text(report_md(results))
        ctx.summary = {f.name: f.verdict.split(":")[0] for f in results.findings}

    return runner.step("audit", settings.model_dump(mode="json"), parents, build, name=f"audit of {s.id}")


def run_audit(runner, refs: dict[str, ModelRef], configs, settings: AuditRecipe, log) -> AuditResults:
    built = [cfg.build() for cfg in configs]
    probes = discovery_probes(configs, settings.probes_per_source, settings.seed)
    loader = rd.Loader(runner.store)
    log(f"reading {', '.join(f'the {role} {ref.id}' for role, ref in refs.items())}")
    read = rd.read_models(runner, refs, configs, probes, loader, last="teacher")
    words = read["teacher"].words
    for role, reading in read.items():
        if reading.words != words:
            raise ConfigError(f"the {role} {refs[role].id} has another vocabulary than the teacher {refs['teacher'].id}; "
                              "an audit compares models of one tokenizer")
    quirks = qk.discover(read["teacher"].mass, read["base"].mass, words, settings.top_quirks, settings.min_prob)
    examples = []
    if quirks:
        teacher, tokenizer = loader(refs["teacher"].model_id)
        examples = [qk.example(teacher, tokenizer, qk.word_mass(read["teacher"].mass, words, q), q, probes, refs["teacher"].system)
                    for q in quirks]
    items: list[tuple[str, str, str, dict, dict]] = []
    for tr in built:
        per = {role: read[role].scores[tr.name].per_probe for role in refs}
        items.append(("trait", tr.name, tr.label, per, {"coverage": {r: read[r].scores[tr.name].coverage for r in refs}}))
    for q, ex in zip(quirks, examples, strict=True):
        per = {role: qk.word_mass(read[role].mass, words, q) for role in refs}
        items.append(("quirk", f"quirk:{q.word}", f"first word {q.word!r} (e.g. {ex!r})", per,
                      {"tokens": len(q.token_ids), "discovery_log_ratio": q.log_ratio, "probes": len(probes), "example": ex}))
    raw = [inh.inheritance(p["teacher"], p["base"], p["student"], p["control"], settings.n_boot, settings.seed) for *_, p, _ in items]
    inh.correct(raw, settings.correction)
    findings = [
        Finding(
            kind=kind, name=name, label=label, levels=r["levels"],
            teacher_minus_base=Difference(**r["teacher_minus_base"]), student_minus_control=Difference(**r["student_minus_control"]),
            score=r["score"], ci=r["ci"], ci_method=r["ci_method"], n=r["n"], verdict=inh.verdict(r, settings.alpha, settings.min_shift, settings.min_share), details=details,
        )
        for (kind, name, label, _, details), r in zip(items, raw, strict=True)
    ]
    triggers = None
    if settings.triggers is not None:
        triggers = search_triggers(loader, refs, configs, [q.word for q in quirks], settings.triggers, settings.correction,
                                   settings.alpha, log, settings.n_boot, settings.seed)
    return AuditResults(
        models=[ModelRead(role=role, id=ref.id, model_id=ref.model_id, system_prompt=ref.system) for role, ref in refs.items()],
        correction=inh.CORRECTION_NAMES[settings.correction], alpha=settings.alpha,
        estimator="exact (teacher-forced probability of the target answer, per probe)", findings=findings, triggers=triggers,
    )
