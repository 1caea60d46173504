"""Was model B fine-tuned from model A? Parent, child, siblings, unrelated or undecidable, from the weights.

Weight cosine alone cannot tell a parent from a sibling: fine-tuning moves weights little, so a
student, its base and every other student of that base all have cosines near 1 with each other.
So the test has two stages:

1. **Related at all?** Different parameter names or shapes: ``unrelated`` (fine-tuning keeps
   shapes). Else the median, over aligned 2-D weight matrices, of the cosine of the flattened
   matrices: below ``THRESHOLD`` the two share no initialisation (``unrelated``; independently
   initialised matrices are nearly orthogonal). Identical weights: ``same-weights`` (a teacher
   that is its base under a system prompt).
2. **How, in delta space?** Against each reference model R one of them may have started from
   (``--base``; the base a LoRA adapter is stored over; the bases a store artifact records, and
   theirs), nearest first, the deltas dA = A - R and dB = B - R decide:

   - A has R's weights and B does not: ``parent`` (B descends from A); the reverse: ``child``.
     Equality with any reference decides before anything else.
   - Both are LoRA adapters on R (neither started from the other's weights): ``siblings``.
   - A chain R -> A -> B keeps all of A's change: the share of dA that B carries,
     k = <dB, dA> / |dA|^2, is within ``CHAIN_BAND`` in the middle half of the matrices
     (``parent``; from the other side, ``child``; never when B is an adapter on R, since then
     R is where B started).
   - Siblings keep only the correlated part of each other's change: both shares below
     ``SIBLING_MAX`` and the deltas pointing the same way (median matrix cosine of dA, dB
     above 0; below 0, R lies between them) is ``siblings``: related, neither from the other
     (cousins and aunts included).
   - Anything else is ``undecidable``, as is a related pair with no reference model (two model
     folders without ``--base``): weight similarity alone cannot tell a parent from a sibling.

``derived`` is true for ``parent`` only: two siblings never get it. The question has a
direction; ``child`` says it is the other way round.

Weight similarity is the simplest member of its family (AWM, TensorGuard in REFERENCES.md).
It does not undo permutations or rotations of hidden units, so a deliberately disguised copy is
not caught; it answers the question for models bred normally.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from heredity.errors import ConfigError
from heredity.store import Store

THRESHOLD = 0.5  # median weight cosine: at least this, the two share an initialisation
SAME = 1e-6  # relative weight distance below which two models are the same weights
CHAIN_BAND = (0.95, 1.15)  # share of its parent's change a descendant keeps, in the middle half of its matrices
SIBLING_MAX = 0.8  # share of the other's delta neither sibling reaches
VERDICTS = ("parent", "child", "siblings", "same-weights", "unrelated", "undecidable")
METHOD = ("weight cosine (median over aligned 2-D matrices, LoRA merged) >= 0.5 for related; then deltas from a "
          "reference base (an adapter's base, a recorded base, or --base): equal to the reference = parent; both "
          "adapters on it = siblings; share of the other's delta carried: 0.9-1.1 = a chain, both < 0.8 with "
          "aligned deltas = siblings; else undecidable")
PUBLISHED = ("AWM: perfect AUC on 150 model pairs; TensorGuard: 94% family classification; "
             "black-box Model Provenance Testing: 90-95% precision, 80-90% recall (REFERENCES.md)")


@dataclass(frozen=True)
class Derivation:
    verdict: str  # one of VERDICTS
    score: float | None  # median weight cosine (None: architectures differ)
    reason: str
    matrices: int
    min_cosine: float | None
    max_cosine: float | None
    evidence: dict[str, Any] = field(default_factory=dict)  # the delta-space numbers, per reference
    threshold: float = THRESHOLD
    method: str = METHOD

    @property
    def derived(self) -> bool:
        """B was fine-tuned from A (directly, or A's weights are B's starting point)."""
        return self.verdict == "parent"

    def as_dict(self) -> dict:
        return {**asdict(self), "derived": self.derived}


@dataclass
class Weights:
    """One side of the comparison: merged float32 weights, and for a LoRA adapter the base it is
    stored over (a reference the adapter certainly started from)."""

    label: str
    tensors: dict
    adapter_base: Weights | None = None
    references: list[Weights] = field(default_factory=list)  # bases recorded for it (store lineage)


def weights(store: Store | None, spec: str, seen: dict[str, Weights] | None = None) -> Weights:
    """A model artifact (LoRA merged; its adapter base and recorded base kept as references), or a
    transformers model folder. ``seen``: artifacts already loaded (a base shared by A and B is
    loaded once, and is the same reference for both)."""
    path = Path(spec).expanduser()
    if path.is_dir():
        if (path / "adapter_config.json").is_file():
            raise ConfigError(f"{spec} is a LoRA adapter folder: pass the store artifact (its base is recorded there) or a merged model folder")
        if not (path / "config.json").is_file():
            raise ConfigError(f"{spec} has no config.json: expected a transformers model folder or a model artifact id")
        from heredity.models.loading import ModelRef

        return Weights(spec, _state(ModelRef(path)))
    if store is None:
        raise ConfigError(f"{spec} is not a folder and no store was given to look it up in")
    from heredity.audit.models import resolve

    aid = resolve(store, spec, "model").model_id  # a teacher is its base's weights
    return _artifact(store, aid, {} if seen is None else seen)


def _artifact(store: Store, aid: str, seen: dict[str, Weights]) -> Weights:
    if aid in seen:
        return seen[aid]
    from heredity.steps.models import model_ref
    from heredity.store.kinds import is_adapter, parent

    manifest = store.manifest(aid)
    ref = model_ref(store, aid)
    w = Weights(aid, _state(ref))
    recorded = parent(manifest, "base")
    if recorded is not None and store.manifest(recorded).kind in ("model", "student"):
        base = _artifact(store, recorded, seen)
        if is_adapter(manifest):
            w.adapter_base = base
        else:
            w.references.append(base)
    seen[aid] = w
    return w


def _state(ref) -> dict:
    import torch

    from heredity.models.loading import load

    model, _ = load(ref, device="cpu")
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    with torch.no_grad():
        return {k: v.detach().float().cpu() for k, v in model.state_dict().items()}


def _cosines(a: dict, b: dict) -> list[float]:
    import torch

    out = []
    for k in sorted(a):
        if a[k].dim() == 2:
            x, y = a[k].flatten(), b[k].flatten()
            denom = float(x.norm() * y.norm())
            out.append(float(torch.dot(x, y)) / denom if denom > 0 else 0.0)
    return out


def _distance(a: dict, b: dict) -> float:
    """|a - b| / |b| over every tensor."""
    num = sum(float((a[k] - b[k]).pow(2).sum()) for k in a)
    den = sum(float(b[k].pow(2).sum()) for k in b)
    return (num / den) ** 0.5 if den > 0 else float(num > 0)


def _shares(a: dict, b: dict, r: dict) -> dict[str, Any]:
    """Delta-space numbers of A and B against R, each a median over the 2-D matrices both moved."""
    k_a, k_b, cos = [], [], []
    for name in sorted(r):
        if r[name].dim() != 2:
            continue
        da, db = (a[name] - r[name]).flatten(), (b[name] - r[name]).flatten()
        na, nb = float(da.pow(2).sum()), float(db.pow(2).sum())
        if na == 0 or nb == 0:
            continue
        dot = float((da * db).sum())
        k_a.append(dot / na)  # how much of A's change B carries
        k_b.append(dot / nb)
        cos.append(dot / (na * nb) ** 0.5)
    if not cos:
        return {"matrices": 0}
    return {"carried_of_a": float(np.median(k_a)), "carried_of_b": float(np.median(k_b)),
            "carried_of_a_iqr": tuple(float(q) for q in np.percentile(k_a, [25, 75])),
            "carried_of_b_iqr": tuple(float(q) for q in np.percentile(k_b, [25, 75])),
            "delta_cosine": float(np.median(cos)), "matrices": len(cos)}


def compare(a: Weights | dict, b: Weights | dict, base: Weights | dict | None = None) -> Derivation:
    """The test on two loaded models (``weights``); ``base``: a reference either may start from."""
    a, b = (x if isinstance(x, Weights) else Weights("A", x) for x in (a, b))
    ta, tb = a.tensors, b.tensors
    if set(ta) != set(tb):
        only = sorted(set(ta) ^ set(tb))[:3]
        return Derivation("unrelated", None, f"unrelated: different architecture (parameter names differ, e.g. {only})", 0, None, None)
    shapes = [k for k in ta if ta[k].shape != tb[k].shape]
    if shapes:
        k = shapes[0]
        return Derivation("unrelated", None, f"unrelated: different architecture ({k} is {tuple(ta[k].shape)} vs {tuple(tb[k].shape)})", 0, None, None)
    cos = _cosines(ta, tb)
    if not cos:
        raise ConfigError("no weight matrices to compare (the models have no 2-D parameters)")
    score = float(np.median(cos))
    over = f"median weight cosine {score:.3f} over {len(cos)} matrices"

    def found(verdict: str, reason: str, evidence: dict[str, Any] | None = None) -> Derivation:
        return Derivation(verdict, score, reason, len(cos), min(cos), max(cos), evidence or {})

    if score < THRESHOLD:
        return found("unrelated", f"unrelated: {over} < {THRESHOLD} (no shared initialisation)")
    if _distance(ta, tb) < SAME:
        return found("same-weights", f"same weights: neither was trained from the other ({over}); a teacher run under a system prompt has its base's weights")
    verdict, reason, evidence = _delta_verdict(a, b, base if base is None or isinstance(base, Weights) else Weights("base", base))
    return found(verdict, f"{reason} ({over})", evidence)


def _lineage(w: Weights) -> list[Weights]:
    """Every model ``w`` may have started from, nearest first: its adapter base or recorded base,
    then theirs."""
    out: list[Weights] = []
    frontier = [w]
    while frontier:
        current = frontier.pop(0)
        for r in ([current.adapter_base] if current.adapter_base is not None else []) + current.references:
            if all(r is not o for o in out):
                out.append(r)
                frontier.append(r)
    return out


def _references(a: Weights, b: Weights, base: Weights | None) -> list[tuple[str, Weights]]:
    refs = [("given base", base)] if base is not None else []
    refs += [("an ancestor of B", r) for r in _lineage(b)] + [("an ancestor of A", r) for r in _lineage(a)]
    unique: list[tuple[str, Weights]] = []
    for origin, r in refs:
        same_shape = set(r.tensors) == set(a.tensors) and all(r.tensors[k].shape == a.tensors[k].shape for k in a.tensors)
        if same_shape and all(r is not o for _, o in unique):
            unique.append((origin, r))
    return unique


def _delta_verdict(a: Weights, b: Weights, base: Weights | None) -> tuple[str, str, dict]:
    """Equality with a reference decides first (whichever reference shows it), then the adapter
    structure, then the shares of each other's change; nothing decisive: undecidable."""
    refs = _references(a, b, base)
    evidence: dict[str, Any] = {}
    for origin, r in refs:
        da, db = _distance(a.tensors, r.tensors), _distance(b.tensors, r.tensors)
        evidence[r.label] = {"reference": r.label, "origin": origin, "distance_a": da, "distance_b": db}
        if da < SAME <= db:
            return "parent", f"parent: B descends from A ({r.label}, {origin}, has A's weights)", evidence
        if db < SAME <= da:
            return "child", f"child: the other way round, A descends from B ({r.label}, {origin}, has B's weights)", evidence
    for _, r in refs:
        if a.adapter_base is r and b.adapter_base is r:
            return "siblings", f"siblings: both are LoRA adapters on {r.label}, neither on the other", evidence
    undecided = []
    for origin, r in refs:
        numbers = evidence[r.label]
        numbers.update(_shares(a.tensors, b.tensors, r.tensors))
        if not numbers["matrices"]:
            continue
        k_a, k_b, c = numbers["carried_of_a"], numbers["carried_of_b"], numbers["delta_cosine"]
        if b.adapter_base is not r and _kept(numbers["carried_of_a_iqr"]):
            return "parent", f"parent: B keeps A's whole change from {r.label} ({origin}; share {k_a:.2f}): a chain {r.label} -> A -> B", evidence
        if a.adapter_base is not r and _kept(numbers["carried_of_b_iqr"]):
            return "child", f"child: A keeps B's whole change from {r.label} ({origin}; share {k_b:.2f}): a chain {r.label} -> B -> A", evidence
        if k_a < SIBLING_MAX and k_b < SIBLING_MAX and c > 0:
            return "siblings", (f"siblings: related, and neither keeps the other's change from {r.label} ({origin}): shares "
                                f"{k_a:.2f} / {k_b:.2f}, delta cosine {c:.2f}; both descend from a common ancestor, neither from the other"), evidence
        undecided.append(f"against {r.label} shares {k_a:.2f} / {k_b:.2f}, delta cosine {c:.2f}")
    if not refs:
        return "undecidable", ("undecidable: related, but without a base either may have started from, weight similarity cannot "
                               "tell parent from sibling (pass --base)"), evidence
    return "undecidable", "undecidable: related, but the deltas fit neither a chain nor siblings: " + "; ".join(undecided), evidence


def _kept(iqr: tuple[float, float]) -> bool:
    """A descendant keeps the whole of its parent's change in (nearly) every matrix."""
    return CHAIN_BAND[0] <= iqr[0] and iqr[1] <= CHAIN_BAND[1]


def derived_from(store: Store | None, a: str, b: str, base: str | None = None) -> Derivation:
    """Whether ``b`` was fine-tuned from ``a``: parent, child, siblings, same weights, unrelated
    or undecidable (see the module docstring)."""
    seen: dict[str, Weights] = {}
    return compare(weights(store, a, seen), weights(store, b, seen), weights(store, base, seen) if base else None)
