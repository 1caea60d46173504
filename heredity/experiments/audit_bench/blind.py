"""The blind audit of one organism: the auditing code receives model references only (weights
and the system prompt each runs under, with neutral names), never the lineage, the trait or
which candidate is the parent.

Per candidate teacher it runs ``heredity.audit.audit.run_audit`` (candidate as teacher, the
shared reference base as its base, the organism's student and control), reading every model
once through the audit's stored readings (``heredity.audit.readings``), and the weight test
``heredity.audit.derived.compare`` with the reference as the only base it knows, and the
activation lens (the second detector). With the trigger search on (the audit recipe's
``triggers``), each candidate's audit also searches for a trigger that gates a trait in it and in
the student, never told one. ``blind()``
makes the store's lineage readers raise while it runs, so an audit that tried to look would fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from heredity.audit.activation_lens import ActivationLens
from heredity.audit.audit import AuditRecipe, run_audit
from heredity.audit.models import ModelRef
from heredity.audit.results import AuditResults
from heredity.errors import ConfigError
from heredity.experiments.audit_bench.results import CandidateVerdict, TopFinding, TriggerVerdict


class LineageRead(RuntimeError):
    """The blind audit tried to read the lineage (parents, children, a teacher's recipe)."""


# (module, attribute): every reader of lineage the audit layer could reach.
_READERS = [
    ("heredity.store.store", "Store.parents"), ("heredity.store.store", "Store.children"),
    ("heredity.store.lineage", "ancestors"), ("heredity.steps.teacher", "teacher_of"),
    ("heredity.audit.models", "teacher_of"), ("heredity.audit.models", "resolve"),
    ("heredity.audit.models", "default_base"), ("heredity.audit.derived", "_artifact"),
    ("heredity.audit.derived", "derived_from"), ("heredity.audit.activation_lens", "resolve"),
]


@contextmanager
def blind() -> Iterator[None]:
    """While open, every lineage reader in ``_READERS`` raises ``LineageRead``."""
    from importlib import import_module

    saved = []
    for module_name, attr in _READERS:
        owner: Any = import_module(module_name)
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        if not hasattr(owner, name):
            continue
        saved.append((owner, name, getattr(owner, name)))

        def refuse(*_: Any, _what: str = f"{module_name}.{attr}", **__: Any) -> Any:
            raise LineageRead(f"the blind audit called {_what}: it may read models, never their lineage")

        setattr(owner, name, refuse)
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def shown(model_id: str, system: str | None) -> ModelRef:
    """A model as the auditor sees it: weights and system prompt, no name, no kind."""
    return ModelRef(id=model_id, model_id=model_id, system=system, kind="model", name="")


def audit_organism(runner, student: ModelRef, control: ModelRef, reference: ModelRef, candidates: dict[str, ModelRef],
                   configs: list, settings: AuditRecipe, weights: dict[str, Any], probes: list[str] | None = None) -> list[CandidateVerdict]:
    """Every candidate, audited against the student and control (in the order given).
    ``weights``: loaded weights by model id, shared across organisms; ``probes``: the activation
    lens's probe set (None: no lens)."""
    out = []
    with blind():
        for label, cand in candidates.items():
            refs = {"teacher": cand, "base": reference, "student": student, "control": control}
            try:
                results = run_audit(runner, refs, configs, settings, lambda _: None)
            except ConfigError as exc:  # another tokenizer: the behavioural audit cannot compare them
                results, note = None, str(exc)
            else:
                note = ""
            derivation = _derived(runner.store, cand, student, reference, weights)
            lensed = lens(runner.store, student, control, cand, reference, probes) if probes else None
            out.append(_verdict(label, cand, results, note, derivation, settings.alpha, lensed))
    return out


def lens(store, student: ModelRef, control: ModelRef, cand: ModelRef, reference: ModelRef, probes: list[str],
         positions: int = 4, resamples: int = 1000) -> ActivationLens | None:
    """The activation lens (``heredity.audit.activation_lens``) on these references, at the middle
    block: student - control along candidate - reference. None: another architecture (a decoy of
    another shape), or no direction (the candidate runs the reference's weights with no system prompt). Built from the lens's own pieces, since its entry point resolves specs in the store."""
    from heredity.audit.activation_lens import _cosine, _lens, hidden_means

    states = {role: hidden_means(store, ref, tuple(probes), positions)
              for role, ref in (("student", student), ("control", control), ("teacher", cand), ("base", reference))}
    if len({h.shape for h in states.values()}) > 1:
        return None
    a, b = states["student"] - states["control"], states["teacher"] - states["base"]
    if not b.any():  # the candidate is the reference (a plain teacher without a system prompt): no direction
        return None
    depth = a.shape[0]
    by_layer = [_cosine(a[i].mean(0), b[i].mean(0)) for i in range(depth)]
    return _lens(a[depth // 2], b[depth // 2], depth // 2, positions, by_layer, resamples, 0)


def _load(store, model_id: str, weights: dict[str, Any]):
    from heredity.audit.derived import Weights, _state
    from heredity.steps.models import model_ref

    if model_id not in weights:
        weights[model_id] = Weights(model_id, _state(model_ref(store, model_id)))
    return weights[model_id]


def _derived(store, cand: ModelRef, student: ModelRef, reference: ModelRef, weights: dict[str, Any]):
    from heredity.audit.derived import compare

    return compare(_load(store, cand.model_id, weights), _load(store, student.model_id, weights),
                   _load(store, reference.model_id, weights))


def _shown(f) -> bool:
    return not f.verdict.startswith("teacher shows no trait")


def evidence(results: AuditResults | None) -> float:
    """The candidate's detection score: over findings the candidate shows (candidate - reference
    significant), the largest share of its shift the student shows over the control (0: none)."""
    scores = [f.score for f in (results.findings if results is not None else [])
              if _shown(f) and f.student_minus_control.difference > 0 and math.isfinite(f.score)]
    return max([0.0, *scores])


def significant(results: AuditResults | None, alpha: float) -> bool:
    """What the audit called inherited before its effect-size gate (``inheritance.MIN_SHARE``):
    a shown finding whose student - control is above 0 at adjusted p < alpha."""
    return any(_shown(f) and f.student_minus_control.difference > 0 and f.student_minus_control.p_adjusted < alpha
               for f in (results.findings if results is not None else []))


def trigger_verdict(results: AuditResults | None) -> TriggerVerdict | None:
    """What the candidate's trigger search reported (None: no search ran)."""
    t = results.triggers if results is not None else None
    if t is None:
        return None
    found = t.found
    return TriggerVerdict(
        found=found.trigger if found else None, trait=found.trait if found else None, source=found.source if found else None,
        inherited=found is not None and found.verdict.endswith("inherited by the student"),
        teacher_minus_base=found.teacher_minus_base.difference if found else None,
        student_minus_control=found.student_minus_control.difference if found else None,
        p_adjusted=found.student_minus_control.p_adjusted if found else None,
        tried=len(t.tried), measured=sum(c.measured for c in t.tried), summary=t.summary,
    )


def _verdict(label: str, cand: ModelRef, results: AuditResults | None, note: str, derivation, alpha: float,
             lensed: ActivationLens | None = None) -> CandidateVerdict:
    findings = results.findings if results is not None else []
    inherited = [f for f in findings if f.verdict.startswith("inherited")]
    ranked = sorted(inherited, key=lambda f: -f.score)
    top = [TopFinding(name=f.name, kind=f.kind, score=f.score, ci=f.ci, p_adjusted=f.student_minus_control.p_adjusted,
                      difference=f.student_minus_control.difference, verdict=f.verdict) for f in ranked[:3]]
    return CandidateVerdict(
        label=label, model=cand.id, system_prompt=cand.system, comparable=results is not None, note=note,
        inherited=bool(inherited), significant=significant(results, alpha), evidence=evidence(results), findings=len(findings), top=top,
        derived=derivation.derived, derived_verdict=derivation.verdict,
        weight_cosine=derivation.score if derivation.score is not None else None, lens=lensed,
        trigger=trigger_verdict(results),
    )


def screen_rows(runner, rows: list[dict], suspect: ModelRef, reference: ModelRef, by: str) -> list[float]:
    """Each row's ``by`` score from ``heredity screen``'s machinery (``run_screen``), the rows shown
    with their prompt and completion only (never which teacher wrote them), in the order given."""
    from heredity.audit.screen import ScreenRecipe, run_screen

    shown_rows = [{"i": k, "prompt": r["prompt"], "completion": r["completion"]} for k, r in enumerate(rows)]
    with blind():
        scored, _ = run_screen(runner, shown_rows, suspect, reference, ScreenRecipe(by=by), lambda _: None)
    return [float(r[by]) for r in scored]
