"""Was model B fine-tuned from model A? A weight-space test for when the lineage is missing.

Method: both models are loaded as plain weights (a LoRA adapter is merged into its base first);
if their architectures differ (parameter names or shapes, e.g. another vocabulary or width),
the answer is "not derived" with the reason, since fine-tuning keeps shapes. Otherwise, for
every aligned weight matrix (2-D parameters), the cosine similarity of the two flattened
matrices; the score is the median over matrices. Fine-tuning moves weights little, so a
derived pair keeps cosines near 1; independently initialised or trained models of the same
shape have cosines near 0 (random high-dimensional vectors are nearly orthogonal). Decision:
derived when the median cosine is at least ``THRESHOLD``.

This is the simplest member of the weight-similarity family (AWM, TensorGuard in
REFERENCES.md). Unlike AWM it does not undo permutations or rotations of hidden units, so a
deliberately disguised copy is not caught; it answers the question for models bred normally.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from heredity.errors import ConfigError
from heredity.store import Store

THRESHOLD = 0.5
METHOD = ("median over aligned weight matrices of the cosine similarity of the flattened matrices "
          "(LoRA adapters merged first); derived when >= 0.5")
PUBLISHED = ("AWM: perfect AUC on 150 model pairs; TensorGuard: 94% family classification; "
             "black-box Model Provenance Testing: 90-95% precision, 80-90% recall (REFERENCES.md)")


@dataclass(frozen=True)
class Derivation:
    derived: bool
    score: float | None  # median cosine (None: architectures differ)
    reason: str
    matrices: int
    min_cosine: float | None
    max_cosine: float | None
    threshold: float = THRESHOLD
    method: str = METHOD

    def as_dict(self) -> dict:
        return asdict(self)


def weights(store: Store | None, spec: str) -> dict:
    """name -> float32 tensor of a model artifact (LoRA merged) or a model folder."""
    import torch

    path = Path(spec).expanduser()
    if path.is_dir():
        from transformers import AutoModelForCausalLM

        if (path / "adapter_config.json").is_file():
            raise ConfigError(f"{spec} is a LoRA adapter folder: pass the store artifact (its base is recorded there) or a merged model folder")
        if not (path / "config.json").is_file():
            raise ConfigError(f"{spec} has no config.json: expected a transformers model folder or a model artifact id")
        model = AutoModelForCausalLM.from_pretrained(path, use_safetensors=True)
    else:
        if store is None:
            raise ConfigError(f"{spec} is not a folder and no store was given to look it up in")
        from heredity.audit.models import resolve
        from heredity.steps.models import load_artifact

        ref = resolve(store, spec, "model")
        model, _ = load_artifact(store, ref.model_id, device="cpu")
        if hasattr(model, "merge_and_unload"):
            model = model.merge_and_unload()
    with torch.no_grad():
        return {k: v.detach().float().cpu() for k, v in model.state_dict().items()}


def compare(a: dict, b: dict) -> Derivation:
    """The test on two weight dicts (``weights``)."""
    import torch

    if set(a) != set(b):
        only = sorted(set(a) ^ set(b))[:3]
        return Derivation(False, None, f"different architecture: not derived (parameter names differ, e.g. {only})", 0, None, None)
    shapes = [k for k in a if a[k].shape != b[k].shape]
    if shapes:
        k = shapes[0]
        return Derivation(False, None, f"different architecture: not derived ({k} is {tuple(a[k].shape)} vs {tuple(b[k].shape)})", 0, None, None)
    cos = []
    for k in sorted(a):
        if a[k].dim() == 2:
            x, y = a[k].flatten(), b[k].flatten()
            denom = float(x.norm() * y.norm())
            cos.append(float(torch.dot(x, y)) / denom if denom > 0 else 0.0)
    if not cos:
        raise ConfigError("no weight matrices to compare (the models have no 2-D parameters)")
    score = float(np.median(cos))
    derived = score >= THRESHOLD
    reason = (f"derived: median cosine {score:.3f} >= {THRESHOLD} over {len(cos)} matrices" if derived
              else f"not derived: median cosine {score:.3f} < {THRESHOLD} over {len(cos)} matrices")
    return Derivation(derived, score, reason, len(cos), min(cos), max(cos))


def derived_from(store: Store | None, a: str, b: str) -> Derivation:
    """Whether ``b`` was fine-tuned from ``a`` (the test is symmetric: it says the two share a
    parent-child line, not which way round)."""
    return compare(weights(store, a), weights(store, b))
