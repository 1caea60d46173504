"""Many MLPs 784-W-W-(10+m) as one model: every weight has a seed axis, so one matmul serves all.

Layout (also the saved layout): ``w1 [784, S, W]`` so that a batch shared by all models goes
through layer 1 as a single GEMM ``x @ w1.view(784, S*W)`` (the biggest cost); ``w2 [S, W, W]``,
``w3 [S, W, O]`` (batched matmuls); biases ``b* [S, out]``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

Params = dict[str, torch.Tensor]
IN = 784
DIGITS = 10


def init_params(seeds: list[int], width: int, n_out: int) -> Params:
    """PyTorch's default ``nn.Linear`` init, drawn per seed (a seed's init never depends on the others)."""
    shapes = [("w1", "b1", IN, width), ("w2", "b2", width, width), ("w3", "b3", width, n_out)]
    per_seed: dict[str, list[torch.Tensor]] = {name: [] for pair in shapes for name in pair[:2]}
    for seed in seeds:
        gen = torch.Generator().manual_seed(seed)
        for w, b, fan_in, fan_out in shapes:
            bound = 1 / math.sqrt(fan_in)
            per_seed[w].append(torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=gen))
            per_seed[b].append(torch.empty(fan_out).uniform_(-bound, bound, generator=gen))
    params = {k: torch.stack(v) for k, v in per_seed.items()}
    params["w1"] = params["w1"].permute(1, 0, 2).contiguous()
    return params


def n_models(params: Params) -> int:
    return params["b1"].shape[0]


def select(params: Params, index: torch.Tensor) -> Params:
    """The models at ``index`` along the seed axis (e.g. a permutation of inits)."""
    return {k: (v[:, index] if k == "w1" else v[index]).clone() for k, v in params.items()}


def concat(parts: list[Params]) -> Params:
    return {k: torch.cat([p[k] for p in parts], dim=1 if k == "w1" else 0).contiguous() for k in parts[0]}


def split(params: Params, sizes: list[int]) -> list[Params]:
    out, start = [], 0
    for size in sizes:
        out.append({k: (v[:, start:start + size] if k == "w1" else v[start:start + size]).contiguous() for k, v in params.items()})
        start += size
    return out


def forward(params: Params, x: torch.Tensor) -> torch.Tensor:
    """Logits ``[S, B, O]`` for a batch ``x [B, 784]`` shared by all S models."""
    d, s, w = params["w1"].shape
    h = torch.relu((x @ params["w1"].view(d, s * w)).view(-1, s, w) + params["b1"])  # [B, S, W]
    h = torch.relu(torch.baddbmm(params["b2"].unsqueeze(1), h.transpose(0, 1), params["w2"]))  # [S, B, W]
    return torch.baddbmm(params["b3"].unsqueeze(1), h, params["w3"])


@torch.no_grad()
def predict(params: Params, x: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    return torch.cat([forward(params, x[i:i + chunk]) for i in range(0, len(x), chunk)], dim=1)


@torch.no_grad()
def accuracy(params: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-model test accuracy from the 10 digit logits, ``[S]``."""
    logits = predict(params, x)[..., :DIGITS]
    return (logits.argmax(-1) == y).float().mean(-1)


def flat_dot(a: Params, b: Params) -> torch.Tensor:
    """Per-model inner product over all parameters, ``[S]``."""
    total: Any = 0  # a python 0, so the sum keeps the parameters' dtype; a [S] tensor after the first term
    for k in a:
        prod = a[k] * b[k]
        if k == "w1":
            total = total + prod.sum(dim=(0, 2))
        else:
            total = total + prod.reshape(prod.shape[0], -1).sum(-1)
    return total


def cosine(a: Params, b: Params) -> torch.Tensor:
    return flat_dot(a, b) / (flat_dot(a, a).sqrt() * flat_dot(b, b).sqrt()).clamp_min(1e-30)


def derangement(n: int, seed: int) -> torch.Tensor:
    """A uniformly random cyclic permutation (Sattolo's algorithm): no index maps to itself."""
    if n < 2:
        raise ValueError("a derangement needs at least 2 items")
    gen = torch.Generator().manual_seed(seed)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(torch.randint(0, i, (1,), generator=gen))
        perm[i], perm[j] = perm[j], perm[i]
    return torch.tensor(perm)


def scale(params: Params, coef: torch.Tensor) -> Params:
    """Each model's parameters times its own coefficient ``coef [S]``."""
    return {k: v * (coef.view(1, -1, 1) if k == "w1" else coef.view(-1, *[1] * (v.dim() - 1))) for k, v in params.items()}


def remove_along(update: Params, direction: Params) -> Params:
    """Each model's ``update`` minus its component along its ``direction`` (a model whose
    direction is zero keeps its update): ``u − (u·d / d·d) d`` per model."""
    dd = flat_dot(direction, direction)
    coef = torch.where(dd > 0, flat_dot(update, direction) / dd.clamp_min(1e-30), torch.zeros_like(dd))
    along = scale(direction, coef)
    return {k: update[k] - along[k] for k in update}
