"""A white-box detector beside the behavioural audit: the Activation Difference Lens idea.

On a broad probe set, each model's hidden state at a layer, averaged over the last
``positions`` tokens of the rendered prompt (the assistant's turn opened: the last position is
the one that predicts the reply's first token), is read per probe. Then, per probe ``p``:

- ``a(p) = h_student(p) − h_control(p)``: what the student carries that its control does not;
- ``b(p) = h_teacher(p) − h_base(p)``: what the candidate teacher changed in its base.

The teacher's direction is ``d = mean_p b(p)``; the student's shift is ``u = mean_p a(p)``. The
lens reports ``cosine(u, d)`` and ``fraction = u·d / |d|²`` (how far the student moved along the
teacher's direction, as a share of the teacher's own move), each with a bootstrap interval over
probes (both means resampled together), and a one-sided sign-flip p-value over probes for the
projection ``u·d > 0``: under "student and control are exchangeable", each ``a(p)`` is as likely
``−a(p)``, ``d`` held fixed.
``n`` is the number of probes.

The inputs are model references only (artifact ids, prefixes or model sources, as
``heredity.audit.models.resolve`` takes them), never a trait or a lineage: the lens is blind.
A teacher artifact runs as its base model under its system prompt, as in the audit.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pydantic import Field

from heredity.audit.models import ModelRef, resolve
from heredity.config import Strict
from heredity.store import Store


class ActivationLens(Strict):
    """The student-minus-control shift read along the teacher-minus-base direction, at one layer."""

    cosine: float = Field(description="cosine(mean student − control, mean teacher − base) over probes")
    cosine_ci: tuple[float, float] = Field(description="95% bootstrap interval over probes (BCa)")
    fraction: float = Field(description="(student − control)·d / |d|²: the student's move along d, as a share of the teacher's")
    fraction_ci: tuple[float, float] = Field(description="95% bootstrap interval over probes (BCa)")
    p_value: float = Field(description="one-sided sign-flip test over probes that the projection u·d is > 0")
    n: int = Field(description="probes")
    layer: int = Field(description="hidden-state index: 0 the embeddings, i the output of block i")
    positions: int = Field(description="last prompt positions averaged (the last predicts the reply's first token)")
    by_layer: list[float] = Field(description="the cosine at every hidden-state index, 0 (embeddings) to the last")
    resamples: int


def activation_lens(store: Store, student: str, control: str, teacher: str, base: str, probes: list[str], *,
                    layer: int | None = None, positions: int = 4, resamples: int = 2000, batch_size: int = 16,
                    seed: int = 0) -> ActivationLens:
    """The lens for one (student, control) pair and one candidate (teacher, base) pair.

    ``layer``: a hidden-state index (negative counts from the end; None: the middle block's
    output, ``n_layers // 2``). The four models may repeat (a base as control): each distinct
    (model, system prompt) is read once, and readings are kept in memory for later calls."""
    if len(probes) < 2:
        raise ValueError(f"probes: {len(probes)} given; the lens needs at least 2 (n = probes)")
    if positions < 1:
        raise ValueError(f"positions: {positions} given; accepted: an integer >= 1")
    refs = {role: resolve(store, spec, f"--{role}") for role, spec in
            (("student", student), ("control", control), ("teacher", teacher), ("base", base))}
    states = {role: hidden_means(store, ref, tuple(probes), positions, batch_size) for role, ref in refs.items()}
    depth = states["base"].shape[0]
    for role, h in states.items():
        if h.shape != states["base"].shape:
            raise ValueError(f"{role} {refs[role].label()}: hidden states {h.shape[::2]} (layers, width) differ from the "
                             f"base's {states['base'].shape[::2]}; the lens needs one architecture")
    index = depth // 2 if layer is None else layer
    if not -depth <= index < depth:
        raise ValueError(f"layer: {layer} given; accepted: -{depth}..{depth - 1} (hidden-state indices of this model)")
    index %= depth
    a = states["student"] - states["control"]  # [layers, probes, width]
    b = states["teacher"] - states["base"]
    by_layer = [_cosine(a[i].mean(0), b[i].mean(0)) for i in range(depth)]
    return _lens(a[index], b[index], index, positions, by_layer, resamples, seed)


def _lens(a: np.ndarray, b: np.ndarray, layer: int, positions: int, by_layer: list[float], resamples: int,
          seed: int) -> ActivationLens:
    from scipy import stats

    n = len(a)
    d = b.mean(0)

    def cosine(idx: np.ndarray, axis: int = -1) -> np.ndarray:  # idx [..., n] resampled probe indices
        return _cosine(a[idx].mean(-2), b[idx].mean(-2))

    def fraction(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        u, v = a[idx].mean(-2), b[idx].mean(-2)
        return (u * v).sum(-1) / np.maximum((v * v).sum(-1), 1e-30)

    probes = (np.arange(n),)
    ci = {name: stats.bootstrap(probes, f, n_resamples=resamples, vectorized=True, method="BCa",
                                random_state=np.random.default_rng(seed)).confidence_interval
          for name, f in (("cosine", cosine), ("fraction", fraction))}
    # The test statistic is the projection u·d (the cosine is scale-free: sign-flipping a shift
    # shared by every probe leaves the probes' own parts, whose cosine with d need not be small).
    signs = np.random.default_rng(seed + 1).choice([-1.0, 1.0], size=(resamples, n))
    observed = float(a.mean(0) @ d)
    null = (signs @ a / n) @ d
    p = (1 + int((null >= observed - 1e-12 * abs(observed)).sum())) / (resamples + 1)
    whole = np.arange(n)
    cos = _cosine(a.mean(0), d)
    return ActivationLens(cosine=cos, cosine_ci=_interval(ci["cosine"], cos),
                          fraction=float(fraction(whole)), fraction_ci=_interval(ci["fraction"], float(fraction(whole))),
                          p_value=p, n=n, layer=layer, positions=positions, by_layer=by_layer, resamples=resamples)


def _cosine(u: np.ndarray, v: np.ndarray):
    value = (u * v).sum(-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-30)
    return float(value) if np.ndim(value) == 0 else value


def _interval(ci, point: float) -> tuple[float, float]:
    """The bootstrap interval; a degenerate one (every resample equal: NaN from BCa) is the point."""
    lo, hi = float(ci.low), float(ci.high)
    return (point, point) if np.isnan(lo) or np.isnan(hi) else (lo, hi)


def hidden_means(store: Store, ref: ModelRef, probes: tuple[str, ...], positions: int, batch_size: int = 16) -> np.ndarray:
    """``[layers + 1, probes, width]`` float64: each hidden state averaged over the last
    ``positions`` tokens of each rendered probe (kept in memory per store, model, system prompt)."""
    return _hidden_means(str(store.root), ref.model_id, ref.system, probes, positions, batch_size)


@lru_cache(maxsize=16)
def _hidden_means(root: str, model_id: str, system: str | None, probes: tuple[str, ...], positions: int,
                  batch_size: int) -> np.ndarray:
    import torch

    from heredity.models.chat import render
    from heredity.steps.models import load_artifact

    model, tokenizer = load_artifact(Store(root), model_id)
    device = next(model.parameters()).device
    ids = [tokenizer(render(tokenizer, p, system), add_special_tokens=False).input_ids for p in probes]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else (tokenizer.eos_token_id or 0)
    was_training = model.training
    model.eval()
    out: list[np.ndarray] = []
    try:
        with torch.inference_mode():
            for lo in range(0, len(ids), max(1, batch_size)):
                batch = ids[lo:lo + batch_size]
                width = max(len(x) for x in batch)
                tokens = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for r, x in enumerate(batch):  # left padding: every prompt's last token sits at the last column
                    tokens[r, width - len(x):] = torch.tensor(x)
                    mask[r, width - len(x):] = 1
                where = (mask.cumsum(-1) - 1).clamp_min(0)  # positions skip the padding
                hidden = model(input_ids=tokens.to(device), attention_mask=mask.to(device), position_ids=where.to(device),
                               output_hidden_states=True).hidden_states
                k = [min(positions, len(x)) for x in batch]
                stacked = torch.stack([h.float() for h in hidden])  # [layers + 1, B, width, D]
                means = torch.stack([stacked[:, r, width - k[r]:].mean(1) for r in range(len(batch))], dim=1)
                out.append(means.double().cpu().numpy())
    finally:
        model.train(was_training)
    return np.concatenate(out, axis=1)
