"""Training checkpoints in a step's scratch folder: safetensors + JSON, never pickle.

A checkpoint holds the trainable parameters, the optimizer state, the step reached and the
torch RNG state; with the seeded step plan this makes a resumed run replay exactly what an
uninterrupted one would have done. Written to a temporary name, then renamed: a kill while
saving leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

STATE, META = "checkpoint.safetensors", "checkpoint.json"


def save(folder: Path, model, optimizer, step: int, fingerprint: str) -> None:
    tensors = {f"param.{n}": p.detach().contiguous() for n, p in model.named_parameters() if p.requires_grad}
    opt = optimizer.state_dict()
    for idx, state in opt["state"].items():
        for key, value in state.items():
            tensors[f"opt.{idx}.{key}"] = torch.as_tensor(value).contiguous()
    tensors["rng"] = torch.get_rng_state()
    save_file(tensors, str(folder / (STATE + ".tmp")))
    meta = {"step": step, "fingerprint": fingerprint, "param_groups": opt["param_groups"]}
    (folder / (META + ".tmp")).write_text(json.dumps(meta))
    os.replace(folder / (STATE + ".tmp"), folder / STATE)
    os.replace(folder / (META + ".tmp"), folder / META)  # meta last: it marks the pair complete


def restore(folder: Path, model, optimizer, fingerprint: str) -> int:
    """Load a checkpoint made for the same run (same fingerprint); return its step, or 0."""
    if not (folder / META).is_file() or not (folder / STATE).is_file():
        return 0
    meta = json.loads((folder / META).read_text())
    if meta.get("fingerprint") != fingerprint:
        return 0  # a checkpoint of some other run (other rows or code): start afresh
    tensors = load_file(str(folder / STATE))
    params = dict(model.named_parameters())
    with torch.no_grad():
        for key, value in tensors.items():
            if key.startswith("param."):
                params[key[len("param."):]].copy_(value)
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, idx, name = key.split(".", 2)
            state.setdefault(int(idx), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    torch.set_rng_state(tensors["rng"])
    return int(meta["step"])
